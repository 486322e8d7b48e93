// Folds constant per-channel multiplies and adds that follow an inference BatchNorm into its gamma and beta,
// for a session's static plan: Caffe2's SpatialBN + Mul + Add (DenseNet and other converted models) becomes
// one BatchNorm, which the executor can then fuse with the convolution before it and the relu after it.
// SPDX-License-Identifier: Apache-2.0
import type { Context } from '../base/context.js';
import { array } from '../ndarray/creation.js';
import { NDArray } from '../ndarray/ndarray.js';
import { fromJSON, type Symbol } from '../symbol/symbol.js';

interface JsonNode {
  op: string;
  name: string;
  attrs?: Record<string, string>;
  inputs: [number, number, number][];
}
interface JsonGraph {
  nodes: JsonNode[];
  arg_nodes: number[];
  heads: [number, number, number][];
  node_row_ptr?: number[];
  attrs?: unknown;
}

/** What foldChannelAffine returns: the rewritten graph and the parameters it created (the caller owns them). */
export interface FoldedGraph {
  sym: Symbol;
  created: Record<string, NDArray>;
}

const isTrue = (v: string | undefined): boolean => v !== undefined && /^(true|1)$/i.test(v);

/**
 * BN(x; γ, β) * s + t = BN(x; γ s, β s + t) for s, t constant per channel of BN's axis. `params` holds the
 * graph's parameter values; `shapes` the input shapes the plan is bound for. Returns null when nothing folds.
 * The values are folded in double and stored as float32, so the plan differs from the unfolded graph by
 * roundings only (a session checks its static plan against a node-by-node run once).
 */
export function foldChannelAffine(sym: Symbol, params: Record<string, NDArray>, shapes: Record<string, readonly number[]>,
                                  ctx: Context): FoldedGraph | null {
  const g = JSON.parse(sym.toJSON()) as JsonGraph;
  const nodes = g.nodes;
  const uses = new Map<string, number>();  // "node:entry" -> readers (graph outputs count)
  const readers = new Map<number, number[]>();  // node -> the nodes reading its entry 0
  const key = (n: number, e: number): string => `${n}:${e}`;
  nodes.forEach((n, i) => {
    for (const [src, e] of n.inputs) {
      uses.set(key(src, e), (uses.get(key(src, e)) ?? 0) + 1);
      if (e === 0) {
        const r = readers.get(src);
        if (r) r.push(i);
        else readers.set(src, [i]);
      }
    }
  });
  for (const [src, e] of g.heads) uses.set(key(src, e), (uses.get(key(src, e)) ?? 0) + 1);

  let internalShapes: Map<string, number[]> | undefined;
  const outputShape = (name: string): number[] | undefined => {
    if (!internalShapes) {
      const internals = sym.getInternals();
      try {
        const names = internals.listOutputs();
        const r = internals.inferShape(shapes);
        internalShapes = new Map(names.map((n, i) => [n, r.outShapes[i]!]));
      } finally {
        internals.dispose();
      }
    }
    return internalShapes.get(name);
  };
  const constant = (n: JsonNode): NDArray | undefined =>
    (n.op === 'null' && params[n.name]?.dtype === 'float32' ? params[n.name] : undefined);

  const removed = new Set<number>();
  const redirect = new Map<number, number>();  // absorbed node -> the BatchNorm that now gives its value
  const folded = new Map<number, { gamma: string; beta: string }>();
  const created: Record<string, NDArray> = {};
  nodes.forEach((bn, i) => {
    if (bn.op !== 'BatchNorm' || (uses.get(key(i, 1)) ?? 0) > 0 || (uses.get(key(i, 2)) ?? 0) > 0) return;
    const gamma = constant(nodes[bn.inputs[1]![0]]!), beta = constant(nodes[bn.inputs[2]![0]]!);
    const xShape = outputShape(`${bn.name}_output`);
    if (!gamma || !beta || !xShape || xShape.length < 2) return;
    const rank = xShape.length;
    const axis = ((Number(bn.attrs?.axis ?? 1) % rank) + rank) % rank;
    const C = xShape[axis]!;
    if (gamma.size !== C || beta.size !== C) return;
    const s = new Float64Array(C).fill(1), t = new Float64Array(C);
    let last = i;
    for (;;) {
      const next = readers.get(last);
      if ((uses.get(key(last, 0)) ?? 0) !== 1 || next?.length !== 1) break;
      const m = nodes[next[0]!]!;
      const mul = m.op === 'broadcast_mul', add = m.op === 'broadcast_add';
      if ((!mul && !add) || m.inputs.length !== 2) break;
      const other = m.inputs[0]![0] === last ? m.inputs[1]! : m.inputs[0]!;
      const c = constant(nodes[other[0]]!);
      // Per channel: right-aligned against x, every dim 1 but the channel axis (C or 1).
      if (!c || c.shape.length > rank) break;
      const lead = rank - c.shape.length;
      if (!c.shape.every((d, k) => d === 1 || (k + lead === axis && d === C))) break;
      const v = Array.from(c.dataSync() as Float32Array, Number);
      for (let ch = 0; ch < C; ch++) {
        const x = v.length === 1 ? v[0]! : v[ch]!;
        if (mul) {
          s[ch] *= x;
          t[ch] *= x;
        } else {
          t[ch] += x;
        }
      }
      removed.add(next[0]!);
      redirect.set(next[0]!, i);
      last = next[0]!;
    }
    if (last === i) return;
    const fixGamma = isTrue(bn.attrs?.fix_gamma);
    const gv = gamma.dataSync() as Float32Array, bv = beta.dataSync() as Float32Array;
    const g2 = new Float32Array(C), b2 = new Float32Array(C);
    for (let ch = 0; ch < C; ch++) {
      g2[ch] = (fixGamma ? 1 : gv[ch]!) * s[ch]!;
      b2[ch] = bv[ch]! * s[ch]! + t[ch]!;
    }
    const names = { gamma: `${bn.name}_gamma_folded`, beta: `${bn.name}_beta_folded` };
    created[names.gamma] = fromValues(g2, ctx);
    created[names.beta] = fromValues(b2, ctx);
    folded.set(i, names);
  });
  if (folded.size === 0) return null;

  // The graph again, in order: each folded BatchNorm reads two new variables (placed just before it), and
  // whatever read the last absorbed node reads the BatchNorm.
  const out: JsonNode[] = [];
  const index = new Map<number, number>();
  const target = (n: number): number => {
    const bn = redirect.get(n);
    return index.get(bn ?? n)!;
  };
  nodes.forEach((n, i) => {
    if (removed.has(i)) return;
    const inputs = n.inputs.map(([src, e, v]): [number, number, number] => [target(src), e, v]);
    const f = folded.get(i);
    if (f) {
      for (const [slot, name] of [[1, f.gamma], [2, f.beta]] as const) {
        out.push({ op: 'null', name, inputs: [] });
        inputs[slot] = [out.length - 1, 0, 0];
      }
    }
    index.set(i, out.length);
    out.push(f ? { ...n, attrs: { ...n.attrs, fix_gamma: 'False' }, inputs } : { ...n, inputs });
  });
  const json: JsonGraph = {
    nodes: out,
    arg_nodes: out.flatMap((n, i) => (n.op === 'null' ? [i] : [])),
    heads: g.heads.map(([src, e, v]): [number, number, number] => [target(src), e, v]),
    attrs: g.attrs,
  };
  return { sym: fromJSON(JSON.stringify(json)), created };
}

function fromValues(v: Float32Array, ctx: Context): NDArray {
  return array(v, { shape: [v.length], dtype: 'float32', ctx });
}
