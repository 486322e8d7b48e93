// The toolkit of mx.onnx.exportModel's per-op exports: the ONNX graph being written and helpers that shape constants and nodes
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../base/dtype.js';
import { scalarToStorage, toStorage } from '../base/dtype.js';
import type { AttributeValue, NodeValue } from './onnx_proto.js';
import { onnxTypeOf, protoFromHost } from './tensor.js';

/** A node of MXNet's symbol JSON. */
export interface JsonNode { op: string; name: string; attrs?: Record<string, string>; inputs: [number, number, number][] }

/** The ONNX graph being written: nodes, initializers and the names taken. */
export class Exporter {
  readonly nodes: NodeValue[] = [];
  readonly initializers: ReturnType<typeof protoFromHost>[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly shapes: Map<string, number[]>) {}

  fresh(base: string): string {
    let n = base;
    while (this.used.has(n)) n = `${base}_${++this.counter}`;
    this.used.add(n);
    return n;
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: AttributeValue[] = [], name?: string): void {
    this.nodes.push({ name: this.fresh(name ?? `${outputs[0]}_${opType}`), opType, inputs, outputs, attributes: attrs });
  }

  /** A new initializer of `dtype` holding `values` (converted as nd.array converts them); returns its name. */
  constant(base: string, values: readonly number[], dtype: DType, shape = [values.length]): string {
    const name = this.fresh(base);
    this.initializers.push(protoFromHost({ name, dtype, shape, storage: toStorage(dtype, values) }));
    return name;
  }
}

/** What an export may ask of the graph beyond its own node: other outputs' names, entries' dtypes. */
export interface ExportContext {
  /** The name of the node's output `i` (0 is `out`). */
  outName(i: number): string;
  /** An entry's dtype from type inference (float32 where it could not tell). */
  typeOf(name: string): DType;
}

export type NodeExport = (e: Exporter, n: JsonNode, ins: string[], out: string, a: (k: string) => unknown,
                   shapeOf: (name: string) => number[], cx: ExportContext) => void;

export function ints(v: unknown, dflt: number[] = []): number[] {
  return Array.isArray(v) ? v as number[] : typeof v === 'number' ? [v] : dflt;
}

/** An axis list attribute ("(1, 2)", "1" or absent/None: every axis), normalised to [0, rank). */
export function axesOf(v: unknown, rank: number): number[] {
  const all = Array.from({ length: rank }, (_, i) => i);
  if (v === undefined || v === null) return all;
  return ints(v).map((x) => (x < 0 ? x + rank : x));
}

/** One ONNX node into a fresh intermediate named after `out` and `what`; returns its name. */
export function step(e: Exporter, out: string, opType: string, inputs: string[], what: string, attrs: AttributeValue[] = []): string {
  const o = e.fresh(`${out}_${what}`);
  e.node(opType, inputs, [o], attrs);
  return o;
}

/** A 0-d constant of `value` in `dtype`, the type of the tensor it meets (ONNX's binary ops take one type). */
export function scalarOf(e: Exporter, base: string, value: number, dtype: DType): string {
  return e.constant(base, [value], dtype, []);
}

/** Reshape `src` to the inferred shape of `out` (MXNet's 1-element results where ONNX gives 0-d ones). */
export function reshapeTo(e: Exporter, src: string, out: string, shape: readonly number[], name?: string): void {
  e.node('Reshape', [src, e.constant(`${out}_shape`, shape, 'int64')], [out], [], name);
}

/** A comparison or logical op: ONNX's bool result cast back to MXNet's dtype (that of the inputs). */
export const predicate = (opType: string, negate = false, boolInputs = false): NodeExport => (e, n, ins, out, _a, _s, cx) => {
  const xs = boolInputs ? ins.map((x, k) => {
    const b = `${out}_b${k}`;
    e.node('Cast', [x], [b], [{ name: 'to', i: onnxTypeOf('bool') }]);
    return b;
  }) : ins;
  e.node(opType, xs, [`${out}_p`]);
  let p = `${out}_p`;
  if (negate) {
    e.node('Not', [p], [`${out}_np`]);
    p = `${out}_np`;
  }
  e.node('Cast', [p], [out], [{ name: 'to', i: onnxTypeOf(cx.typeOf(out)) }], n.name);
};
export const scalarPredicate = (opType: string, negate = false): NodeExport => (e, n, ins, out, a, shapeOf, cx) => {
  const c = scalarOf(e, `${n.name}_scalar`, Number(a('scalar')), cx.typeOf(ins[0]!));
  predicate(opType, negate)(e, n, [ins[0]!, c], out, a, shapeOf, cx);
};

export const unary = (opType: string): NodeExport => (e, _n, ins, out) => e.node(opType, [ins[0]!], [out]);
export const binary = (opType: string): NodeExport => (e, _n, ins, out) => e.node(opType, [ins[0]!, ins[1]!], [out]);
export const scalar = (opType: string, reversed = false): NodeExport => (e, n, ins, out, a, _s, cx) => {
  const s = scalarOf(e, `${n.name}_scalar`, Number(a('scalar')), cx.typeOf(ins[0]!));
  e.node(opType, reversed ? [s, ins[0]!] : [ins[0]!, s], [out]);
};
/** zeros_like/ones_like: a constant of the input's shape. */
export function filled(e: Exporter, n: JsonNode, x: string, out: string, value: number, dtype: DType): void {
  e.node('Shape', [x], [`${out}_shape`]);
  const t = protoFromHost({ name: 'value', dtype, shape: [1], storage: scalarToStorage(dtype, value) });
  e.node('ConstantOfShape', [`${out}_shape`], [out], [{ name: 'value', t }], n.name);
}

/** (row, column) of the entries of diagonal `k` of an (r, c) matrix. */
export function diagonalAt(r: number, c: number, k: number): number[][] {
  const at: number[][] = [];
  for (let i = 0; i < r; i++) if (i + k >= 0 && i + k < c) at.push([i, i + k]);
  return at;
}

/** Diagonal k of the last two axes of x (..., r, c), as (..., len). */
export function diagonalOf(e: Exporter, out: string, x: string, shape: readonly number[], k: number, name?: string): string {
  const r = shape[shape.length - 2]!, c = shape[shape.length - 1]!;
  const lead = shape.slice(0, -2);
  const P = lead.reduce((p, d) => p * d, 1);
  const at = diagonalAt(r, c, k);
  const x3 = e.fresh(`${out}_3d`);
  reshapeTo(e, x, x3, [P, r, c]);
  const idx = e.constant(`${out}_diag_at`, Array.from({ length: P }, () => at.flat()).flat(), 'int64', [P, at.length, 2]);
  const g = e.fresh(`${out}_diag`);
  e.node('GatherND', [x3, idx], [g], [{ name: 'batch_dims', i: 1 }]);
  const d = name === undefined ? e.fresh(`${out}_diagonal`) : out;
  reshapeTo(e, g, d, [...lead, at.length], name);
  return d;
}
