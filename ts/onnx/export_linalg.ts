// ONNX exports of MXNet's batched linear algebra that ONNX can express: _linalg_gemm/gemm2/syrk on MatMul, det/slogdet/logdet on Det, diagonals, khatri_rao
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { diagonalOf, reshapeTo, scalarOf, step, type Exporter, type NodeExport } from './export_graph.js';

/** x with its last two axes swapped. */
function swapLast(e: Exporter, out: string, x: string, rank: number, what: string): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return step(e, out, 'Transpose', [x], what, [{ name: 'perm', ints: perm }]);
}

/** alpha op(A) op(B) over the last two axes (MXNet's axis param must be the default -2). */
function product(e: Exporter, out: string, ins: string[], a: (k: string) => unknown, shapeOf: (n: string) => number[],
                 dt: Parameters<typeof scalarOf>[3]): string {
  if (a('axis') !== undefined && Number(a('axis')) !== -2) {
    throw new IsotensorError('onnx.exportModel: _linalg_gemm with an axis other than -2 has no ONNX export');
  }
  const ra = shapeOf(ins[0]!).length, rb = shapeOf(ins[1]!).length;
  const A = a('transpose_a') === true ? swapLast(e, out, ins[0]!, ra, 'At') : ins[0]!;
  const B = a('transpose_b') === true ? swapLast(e, out, ins[1]!, rb, 'Bt') : ins[1]!;
  const ab = step(e, out, 'MatMul', [A, B], 'ab');
  const alpha = Number(a('alpha') ?? 1);
  return alpha === 1 ? ab : step(e, out, 'Mul', [ab, scalarOf(e, `${out}_alpha`, alpha, dt)], 'alpha_ab');
}

export const LINALG_EXPORTS: Readonly<Record<string, NodeExport>> = {
  _linalg_gemm2: (e, n, ins, out, a, shapeOf, cx) =>
    e.node('Identity', [product(e, out, ins, a, shapeOf, cx.typeOf(ins[0]!))], [out], [], n.name),
  _linalg_gemm: (e, n, ins, out, a, shapeOf, cx) => {
    const dt = cx.typeOf(ins[0]!);
    const p = product(e, out, ins, a, shapeOf, dt);
    const beta = Number(a('beta') ?? 1);
    const c = beta === 1 ? ins[2]! : step(e, out, 'Mul', [ins[2]!, scalarOf(e, `${out}_beta`, beta, dt)], 'beta_c');
    e.node('Add', [p, c], [out], [], n.name);
  },
  // alpha A A^T, or alpha A^T A with transpose.
  _linalg_syrk: (e, n, ins, out, a, shapeOf, cx) => {
    const r = shapeOf(ins[0]!).length;
    const At = swapLast(e, out, ins[0]!, r, 'At');
    const ab = a('transpose') === true ? step(e, out, 'MatMul', [At, ins[0]!], 'ata') : step(e, out, 'MatMul', [ins[0]!, At], 'aat');
    e.node('Mul', [ab, scalarOf(e, `${out}_alpha`, Number(a('alpha') ?? 1), cx.typeOf(ins[0]!))], [out], [], n.name);
  },
  _linalg_det: (e, n, ins, out) => e.node('Det', [ins[0]!], [out], [], n.name),
  _linalg_logdet: (e, n, ins, out) => e.node('Log', [step(e, out, 'Det', [ins[0]!], 'det')], [out], [], n.name),
  _linalg_slogdet: (e, n, ins, out, _a, _s, cx) => {
    const det = step(e, out, 'Det', [ins[0]!], 'det');
    e.node('Sign', [det], [out], [], n.name);
    e.node('Log', [step(e, out, 'Abs', [det], 'abs')], [cx.outName(1)]);
  },
  _linalg_sumlogdiag: (e, n, ins, out, _a, shapeOf) => {
    const shape = shapeOf(ins[0]!);
    const d = diagonalOf(e, out, ins[0]!, shape, 0);
    const logs = step(e, out, 'Log', [d], 'log');
    e.node('ReduceSum', [logs, e.constant(`${out}_axes`, [-1], 'int64')], [out], [{ name: 'keepdims', i: 0 }], n.name);
  },
  _linalg_extractdiag: (e, n, ins, out, a, shapeOf) => {
    diagonalOf(e, out, ins[0]!, shapeOf(ins[0]!), Number(a('offset') ?? 0), n.name);
  },
  // (..., n) → (..., m, m) with m = n + |offset|: entry (i, j) on the diagonal reads x[min(i, j)], the rest 0.
  _linalg_makediag: (e, n, ins, out, a, shapeOf, cx) => {
    const k = Number(a('offset') ?? 0);
    const os = shapeOf(out);
    const m = os[os.length - 1]!;
    const len = shapeOf(ins[0]!).at(-1)!;
    const pick: number[] = [], on: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        pick.push(Math.min(i, j, len - 1));  // off the diagonal: any valid index, masked out
        on.push(j - i === k ? 1 : 0);
      }
    }
    const g = step(e, out, 'Gather', [ins[0]!, e.constant(`${out}_pick`, pick, 'int64', [m, m])], 'g',
                   [{ name: 'axis', i: shapeOf(ins[0]!).length - 1 }]);
    const mask = e.constant(`${out}_on`, on, 'bool', [m, m]);
    e.node('Where', [mask, g, scalarOf(e, `${out}_zero`, 0, cx.typeOf(ins[0]!))], [out], [], n.name);
  },
  // Column-wise Kronecker product of (n_i, k) matrices: (prod n_i, k).
  khatri_rao: (e, n, ins, out, _a, shapeOf) => {
    let acc = ins[0]!;
    let rows = shapeOf(ins[0]!)[0]!;
    const k = shapeOf(ins[0]!)[1]!;
    ins.slice(1).forEach((b, j) => {
      const rb = shapeOf(b)[0]!;
      const u = step(e, out, 'Unsqueeze', [acc, e.constant(`${out}_ax1_${j}`, [1], 'int64')], `u${j}`);
      const v = step(e, out, 'Unsqueeze', [b, e.constant(`${out}_ax0_${j}`, [0], 'int64')], `v${j}`);
      const last = j === ins.length - 2;
      const next = last ? out : e.fresh(`${out}_kr${j}`);
      reshapeTo(e, step(e, out, 'Mul', [u, v], `m${j}`), next, [rows * rb, k], last ? n.name : undefined);
      acc = next;
      rows *= rb;
    });
    if (ins.length === 1) e.node('Identity', [acc], [out], [], n.name);
  },
};
