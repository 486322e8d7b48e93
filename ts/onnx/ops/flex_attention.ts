// ONNX FlexAttention (ai.onnx.preview opset 1): attention with score_mod / prob_mod subgraphs
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import type { GraphProto } from '../onnx_proto.js';
import { converter, isTensor, kindOf, type NodeContext, type Value } from '../convert.js';
import { bmm, floatDType, softmax } from './attention.js';

/** ONNX TensorProto element types that softmax_precision may name. */
const PRECISION: Record<number, DType> = { 1: 'float32', 10: 'float16', 11: 'float64', 16: 'bfloat16' };

const ATTRS = new Set(['scale', 'softmax_precision', 'score_mod', 'prob_mod']);

/**
 * Runs a modifier subgraph on the whole (B, Hq, L, S) tensor at once: FlexAttention-1's modifiers
 * take exactly that one tensor (positions come from Shape/Range inside the graph), so no per-element
 * calls and no index inputs are needed.
 */
function modify(c: NodeContext, name: string, g: GraphProto, x: Value, dt: DType): Value {
  if (g.inputs.length !== 1 || g.outputs.length !== 1) {
    c.fail(`${name} must take exactly 1 input and give 1 output (the (B, Hq, L, S) tensor), but graph ` +
           `'${g.name}' takes ${g.inputs.length} and gives ${g.outputs.length}`);
  }
  const out = c.subgraph(g, [x])[0]!;
  if (!isTensor(out)) c.fail(`${name} gave ${kindOf(out)}; expected a tensor`);
  const want = c.shape(x);
  const got = c.shapeIfKnown(out);
  if (got !== undefined && got.join() !== want.join()) {
    c.fail(`${name} output has shape (${got.join(',')}); expected the input's shape (${want.join(',')})`);
  }
  // The reference takes the modifier's result back in the softmax precision.
  return c.cast(out, dt);
}

function flexAttention(c: NodeContext): Value[] {
  for (const a of c.node.attributes) {
    if (!ATTRS.has(a.name)) c.fail(`attribute ${a.name} is not part of FlexAttention-1 (scale, softmax_precision, score_mod, prob_mod)`);
  }
  if (c.numInputs !== 3) c.fail(`takes 3 inputs (Q, K, V), got ${c.numInputs}`);
  const q = c.input(0);
  let k = c.input(1);
  let v = c.input(2);
  const dt = floatDType(c, q, 'Q');
  if (c.dtype(k, 'K') !== dt || c.dtype(v, 'V') !== dt) c.fail('Q, K and V must have the same dtype');
  const qs = c.shape(q, 'Q');
  const ks = c.shape(k, 'K');
  const vs = c.shape(v, 'V');
  if (qs.length !== 4 || ks.length !== 4 || vs.length !== 4) {
    c.fail(`Q, K and V must have rank 4, got Q (${qs.join(',')}), K (${ks.join(',')}), V (${vs.join(',')})`);
  }
  const [batch, qHeads, , headSize] = qs as [number, number, number, number];
  const [kb, kvHeads, kvLen, kHead] = ks as [number, number, number, number];
  if (kb !== batch || vs[0] !== batch) c.fail(`Q, K and V must have the same batch size, got ${batch}, ${kb} and ${vs[0]}`);
  if (vs[1] !== kvHeads) c.fail(`K and V must have the same number of heads, got ${kvHeads} and ${vs[1]}`);
  if (vs[2] !== kvLen) c.fail(`K and V must have the same sequence length, got ${kvLen} and ${vs[2]}`);
  if (kHead !== headSize) c.fail(`Q and K must have the same head size, got ${headSize} and ${kHead}`);

  // Grouped-query attention: each KV head serves q_heads / kv_heads consecutive query heads.
  if (qHeads !== kvHeads) {
    if (kvHeads <= 0 || qHeads % kvHeads !== 0) c.fail(`q heads (${qHeads}) must be a multiple of kv heads (${kvHeads})`);
    k = c.op('repeat', [k], { repeats: qHeads / kvHeads, axis: 1 });
    v = c.op('repeat', [v], { repeats: qHeads / kvHeads, axis: 1 });
  }

  // Softmax (and the modifiers, and P @ V) run in softmax_precision: by default float32 for 16-bit
  // inputs, the input type otherwise.
  const precCode = c.int('softmax_precision');
  let sdt: DType;
  if (precCode !== undefined) {
    sdt = PRECISION[precCode] ?? c.fail(`softmax_precision ${precCode} is not float, float16, double or bfloat16`);
  } else {
    sdt = dt === 'float16' || dt === 'bfloat16' ? 'float32' : dt;
  }

  // sqrt(scale) on both Q and K, computed in float32 then taken to the input type, as the reference does.
  const scale = c.float('scale') ?? 1 / Math.sqrt(headSize);
  if (!(scale > 0)) c.fail(`scale ${scale} must be positive (it is split as sqrt(scale) on Q and K)`);
  const rootScale = Math.fround(Math.sqrt(Math.fround(scale)));
  const qS = c.op('_mul_scalar', [q], { scalar: rootScale });
  const kS = c.op('_mul_scalar', [k], { scalar: rootScale });
  let scores = c.cast(bmm(c, qS, kS, true), sdt);

  const scoreMod = c.graph('score_mod');
  if (scoreMod !== undefined) scores = modify(c, 'score_mod', scoreMod, scores, sdt);
  let probs = softmax(c, scores);
  const probMod = c.graph('prob_mod');
  if (probMod !== undefined) probs = modify(c, 'prob_mod', probMod, probs, sdt);

  return [c.cast(bmm(c, probs, c.cast(v, sdt), false), dt)];
}

converter('FlexAttention', flexAttention, 1, 'ai.onnx.preview');
