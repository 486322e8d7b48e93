// ONNX exports of MXNet's ordering and gather ops (topk, sort, argsort, pick, _take_along_axis, cumsum, diag, repeat) and the *_like shape ops
// SPDX-License-Identifier: Apache-2.0
import { normalizeDType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
import { diagonalAt, diagonalOf, ints, reshapeTo, scalarOf, step, type Exporter, type NodeExport } from './export_graph.js';
import { onnxTypeOf } from './tensor.js';

const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** x and the axis an ordering op works along: axis None flattens x. */
function alongAxis(e: Exporter, out: string, x: string, axis: unknown, shape: readonly number[]): { x: string; axis: number; n: number } {
  if (axis === null) {
    const flat = e.fresh(`${out}_flat`);
    reshapeTo(e, x, flat, [-1]);
    return { x: flat, axis: 0, n: shape.reduce((p, d) => p * d, 1) };
  }
  const ax = norm(Number(axis ?? -1), shape.length);
  return { x, axis: ax, n: shape[ax]! };
}

/**
 * TopK along the axis: ONNX's order of ties (lower index first, both directions) is MXNet's. Returns the
 * sorted values and int64 indices of the k first.
 */
function topK(e: Exporter, out: string, x: string, axis: number, k: number, ascending: boolean): [string, string] {
  const v = e.fresh(`${out}_values`), i = e.fresh(`${out}_indices`);
  e.node('TopK', [x, e.constant(`${out}_k`, [k], 'int64')], [v, i],
         [{ name: 'axis', i: axis }, { name: 'largest', i: ascending ? 0 : 1 }, { name: 'sorted', i: 1 }]);
  return [v, i];
}

/** int64 indices cast to MXNet's index dtype param (float32 by default). */
function castIndices(e: Exporter, i: string, dtype: unknown, out: string, name?: string): void {
  const dt = normalizeDType(typeof dtype === 'string' ? dtype : 'float32', 'onnx.exportModel');
  e.node('Cast', [i], [out], [{ name: 'to', i: onnxTypeOf(dt) }], name);
}

/** Float (or any) user indices as int64, truncated toward zero as MXNet reads them. */
const asInt64 = (e: Exporter, out: string, idx: string): string => step(e, out, 'Cast', [idx], 'idx', [{ name: 'to', i: onnxTypeOf('int64') }]);

/** MXNet's (M, ...) index columns as ONNX's (..., M) int64 index tuples. */
export function indicesLast(e: Exporter, out: string, idx: string, rank: number): string {
  return step(e, out, 'Transpose', [asInt64(e, out, idx)], 'idxT', [{ name: 'perm', ints: [...Array.from({ length: rank - 1 }, (_, i) => i + 1), 0] }]);
}

export const INDEXING_EXPORTS: Readonly<Record<string, NodeExport>> = {
  topk: (e, n, ins, out, a, shapeOf, cx) => {
    const shape = shapeOf(ins[0]!);
    const { x, axis, n: len } = alongAxis(e, out, ins[0]!, a('axis'), shape);
    const kk = Number(a('k') ?? 1);
    const k = kk < 1 || kk > len ? len : kk;
    const [v, i] = topK(e, out, x, axis, k, a('is_ascend') === true);
    const ret = String(a('ret_typ') ?? 'indices');
    if (ret === 'value') {
      e.node('Identity', [v], [out], [], n.name);
    } else if (ret === 'indices') {
      castIndices(e, i, a('dtype'), out, n.name);
    } else if (ret === 'both') {
      e.node('Identity', [v], [out], [], n.name);
      castIndices(e, i, a('dtype'), cx.outName(1));
    } else if (ret === 'mask') {
      // Ones scattered at the selected places of zeros shaped like the (flattened) input.
      const dt = cx.typeOf(ins[0]!);
      const zeros = step(e, out, 'Expand', [scalarOf(e, `${out}_zero`, 0, dt), step(e, out, 'Shape', [x], 'xshape')], 'zeros');
      const ones = step(e, out, 'Expand', [scalarOf(e, `${out}_one`, 1, dt), step(e, out, 'Shape', [i], 'ishape')], 'ones');
      const m = step(e, out, 'ScatterElements', [zeros, i, ones], 'mask', [{ name: 'axis', i: axis }]);
      reshapeTo(e, m, out, shape, n.name);
    } else {
      throw new IsotensorError(`onnx.exportModel: topk ret_typ '${ret}' has no ONNX form`);
    }
  },
  sort: (e, n, ins, out, a, shapeOf) => {
    const { x, axis, n: len } = alongAxis(e, out, ins[0]!, a('axis'), shapeOf(ins[0]!));
    const [v] = topK(e, out, x, axis, len, a('is_ascend') !== false);
    e.node('Identity', [v], [out], [], n.name);
  },
  argsort: (e, n, ins, out, a, shapeOf) => {
    const { x, axis, n: len } = alongAxis(e, out, ins[0]!, a('axis'), shapeOf(ins[0]!));
    const [, i] = topK(e, out, x, axis, len, a('is_ascend') !== false);
    castIndices(e, i, a('dtype'), out, n.name);
  },
  // argmax over the last axis, as a float.
  argmax_channel: (e, n, ins, out, _a, shapeOf, cx) => {
    const i = step(e, out, 'ArgMax', [ins[0]!], 'i', [{ name: 'axis', i: shapeOf(ins[0]!).length - 1 }, { name: 'keepdims', i: 0 }]);
    e.node('Cast', [i], [out], [{ name: 'to', i: onnxTypeOf(cx.typeOf(out)) }], n.name);
  },
  pick: (e, n, ins, out, a, shapeOf) => {
    const shape = shapeOf(ins[0]!);
    if (a('axis') === null) throw new IsotensorError('onnx.exportModel: pick with axis=None has no ONNX export');
    const axis = norm(Number(a('axis') ?? -1), shape.length);
    const len = shape[axis]!;
    let idx = asInt64(e, out, ins[1]!);
    idx = a('mode') === 'wrap'
      ? step(e, out, 'Mod', [idx, e.constant(`${out}_n`, [len], 'int64', [])], 'wrapped')
      : step(e, out, 'Clip', [idx, e.constant(`${out}_lo`, [0], 'int64', []), e.constant(`${out}_hi`, [len - 1], 'int64', [])], 'clipped');
    const u = step(e, out, 'Unsqueeze', [idx, e.constant(`${out}_ax`, [axis], 'int64')], 'u');
    const g = step(e, out, 'GatherElements', [ins[0]!, u], 'g', [{ name: 'axis', i: axis }]);
    reshapeTo(e, g, out, shapeOf(out), n.name);
  },
  _take_along_axis: (e, n, ins, out, a, shapeOf) => {
    const axis = norm(Number(a('axis') ?? -1), shapeOf(ins[0]!).length);
    e.node('GatherElements', [ins[0]!, asInt64(e, out, ins[1]!)], [out], [{ name: 'axis', i: axis }], n.name);
  },
  cumsum: (e, n, ins, out, a, shapeOf, cx) => {
    const { x, axis } = alongAxis(e, out, ins[0]!, a('axis') ?? null, shapeOf(ins[0]!));
    const dt = cx.typeOf(out);
    const xc = cx.typeOf(ins[0]!) === dt ? x : step(e, out, 'Cast', [x], 'cast', [{ name: 'to', i: onnxTypeOf(dt) }]);
    e.node('CumSum', [xc, e.constant(`${out}_axis`, [axis], 'int64', [])], [out], [], n.name);
  },
  // numpy's diagonal: 1-D input → a matrix with x on diagonal k; otherwise the diagonal of axes
  // (axis1, axis2), appended as the last axis after the others.
  diag: (e, n, ins, out, a, shapeOf, cx) => {
    const shape = shapeOf(ins[0]!);
    const k = Number(a('k') ?? 0);
    const os = shapeOf(out);
    if (shape.length === 1) {
      const m = os[0]!;
      const at = diagonalAt(m, m, k).flat();
      const zeros = step(e, out, 'Expand', [scalarOf(e, `${out}_zero`, 0, cx.typeOf(ins[0]!)),
        e.constant(`${out}_mshape`, [m, m], 'int64')], 'zeros');
      e.node('ScatterND', [zeros, e.constant(`${out}_at`, at, 'int64', [shape[0]!, 2]), ins[0]!], [out], [], n.name);
      return;
    }
    const a1 = norm(Number(a('axis1') ?? 0), shape.length), a2 = norm(Number(a('axis2') ?? 1), shape.length);
    const rest = shape.map((_, i) => i).filter((i) => i !== a1 && i !== a2);
    const perm = [...rest, a1, a2];
    const t = step(e, out, 'Transpose', [ins[0]!], 't', [{ name: 'perm', ints: perm }]);
    diagonalOf(e, out, t, perm.map((i) => shape[i]!), k, n.name);
  },
  repeat: (e, n, ins, out, a, shapeOf) => {
    const r = Number(a('repeats'));
    const { x, axis } = alongAxis(e, out, ins[0]!, a('axis') ?? null, shapeOf(ins[0]!));
    const xs = a('axis') === null || a('axis') === undefined ? [shapeOf(ins[0]!).reduce((p, d) => p * d, 1)] : shapeOf(ins[0]!);
    // Each element followed by its copies: a new axis after `axis`, expanded to r, merged back.
    const u = step(e, out, 'Unsqueeze', [x, e.constant(`${out}_ax`, [axis + 1], 'int64')], 'u');
    const to = [...xs.slice(0, axis + 1), r, ...xs.slice(axis + 1)];
    const ex = step(e, out, 'Expand', [u, e.constant(`${out}_to`, to, 'int64')], 'expanded');
    reshapeTo(e, ex, out, shapeOf(out), n.name);
  },
  // MXNet indexes with the first axis of `indices`, ONNX's ScatterND with the last; a repeated index keeps
  // the last write, as MXNet.
  scatter_nd: (e, n, ins, out, _a, shapeOf, cx) => {
    const zeros = step(e, out, 'Expand', [scalarOf(e, `${out}_zero`, 0, cx.typeOf(ins[0]!)),
      e.constant(`${out}_shape`, shapeOf(out), 'int64')], 'zeros');
    e.node('ScatterND', [zeros, indicesLast(e, out, ins[1]!, shapeOf(ins[1]!).length), ins[0]!], [out], [], n.name);
  },
  _scatter_set_nd: (e, n, ins, out, _a, shapeOf) =>
    e.node('ScatterND', [ins[0]!, indicesLast(e, out, ins[2]!, shapeOf(ins[2]!).length), ins[1]!], [out], [], n.name),
  // The summed cross-entropy of softmax(data) rows against integer labels, as MXNet's (1,) result.
  softmax_cross_entropy: (e, n, ins, out) => {
    const loss = step(e, out, 'SoftmaxCrossEntropyLoss', [ins[0]!, asInt64(e, out, ins[1]!)], 'loss', [{ name: 'reduction', s: 'sum' }]);
    reshapeTo(e, loss, out, [1], n.name);
  },
  // Flat index = sum of index_i * stride_i, in int64 and cast back (MXNet's result has the input dtype).
  _ravel_multi_index: (e, n, ins, out, a, shapeOf, cx) => {
    const dims = ints(a('shape'));
    const rank = shapeOf(ins[0]!).length;
    const strides = dims.map((_, i) => dims.slice(i + 1).reduce((p, d) => p * d, 1));
    const col = [dims.length, ...new Array<number>(rank - 1).fill(1)];
    const terms = step(e, out, 'Mul', [asInt64(e, out, ins[0]!), e.constant(`${out}_strides`, strides, 'int64', col)], 'terms');
    const flat = step(e, out, 'ReduceSum', [terms, e.constant(`${out}_axes`, [0], 'int64')], 'flat', [{ name: 'keepdims', i: 0 }]);
    const c = step(e, out, 'Cast', [flat], 'cast', [{ name: 'to', i: onnxTypeOf(cx.typeOf(out)) }]);
    reshapeTo(e, c, out, shapeOf(out), n.name);
  },
  // Index i of the result = (flat / stride_i) mod dim_i; the first not reduced (its dim may be -1).
  _unravel_index: (e, n, ins, out, a, shapeOf, cx) => {
    const dims = ints(a('shape'));
    if (dims.slice(1).some((d) => d <= 0)) throw new IsotensorError(`onnx.exportModel: _unravel_index of shape (${dims}) has an empty dim`);
    const rank = shapeOf(ins[0]!).length;
    const strides = dims.map((_, i) => dims.slice(i + 1).reduce((p, d) => p * d, 1));
    const mods = dims.map((d, i) => (i === 0 ? 2 ** 62 : d));
    const col = [dims.length, ...new Array<number>(rank).fill(1)];
    const v = step(e, out, 'Unsqueeze', [asInt64(e, out, ins[0]!), e.constant(`${out}_ax`, [0], 'int64')], 'v');
    const q = step(e, out, 'Div', [v, e.constant(`${out}_strides`, strides, 'int64', col)], 'q');
    const r = step(e, out, 'Mod', [q, e.constant(`${out}_dims`, mods, 'int64', col)], 'r');
    e.node('Cast', [r], [out], [{ name: 'to', i: onnxTypeOf(cx.typeOf(out)) }], n.name);
  },
  // The graph is static: the *_like ops take the inferred shape of their output.
  reshape_like: (e, n, ins, out, _a, shapeOf) => reshapeTo(e, ins[0]!, out, shapeOf(out), n.name),
  slice_like: (e, n, ins, out, _a, shapeOf) => {
    const os = shapeOf(out);
    e.node('Slice', [ins[0]!, e.constant(`${out}_starts`, os.map(() => 0), 'int64'), e.constant(`${out}_ends`, os, 'int64'),
      e.constant(`${out}_axes`, os.map((_, i) => i), 'int64')], [out], [], n.name);
  },
  size_array: (e, n, ins, out) => reshapeTo(e, step(e, out, 'Size', [ins[0]!], 'size'), out, [1], n.name),
};
