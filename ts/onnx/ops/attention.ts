// ONNX attention-family operators: Attention, RotaryEmbedding and the newer fused attention ops
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import { converter, type NodeContext, type Value } from '../convert.js';
import { broadcastShape, broadcastTo } from './elementwise.js';
import './attention_fused.js';

const FLOATS: readonly DType[] = ['float32', 'float16', 'bfloat16', 'float64'];

/** ONNX TensorProto element types that softmax_precision may name. */
const PRECISION: Record<number, DType> = { 1: 'float32', 10: 'float16', 11: 'float64', 16: 'bfloat16' };

export function floatDType(c: NodeContext, v: Value, what: string): DType {
  const dt = c.dtype(v, what);
  if (!FLOATS.includes(dt)) c.fail(`${what} has dtype ${dt}; expected a floating-point type`);
  return dt;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** (B, S, H*D) -> (B, H, S, D). */
function splitHeads(c: NodeContext, x: Value, heads: number, what: string): Value {
  const [b, s, hidden] = c.shape(x, what) as [number, number, number];
  if (heads <= 0 || hidden % heads !== 0) c.fail(`${what}'s hidden size ${hidden} is not a multiple of ${heads} heads`);
  const r = c.op('Reshape', [x], { shape: [b, s, heads, hidden / heads] });
  return c.op('transpose', [r], { axes: [0, 2, 1, 3] });
}

/** (B, H, S, D) -> (B, S, H*D). */
function mergeHeads(c: NodeContext, x: Value): Value {
  const [b, h, s, d] = c.shape(x) as [number, number, number, number];
  const t = c.op('transpose', [x], { axes: [0, 2, 1, 3] });
  return c.op('Reshape', [t], { shape: [b, s, h * d] });
}

/** a @ b (or a @ bᵀ) over equal leading dims, through one batch_dot. */
export function bmm(c: NodeContext, a: Value, b: Value, transposeB: boolean): Value {
  const as = c.shape(a);
  const bs = c.shape(b);
  const lead = as.slice(0, -2);
  const m = as[as.length - 2]!;
  const n = transposeB ? bs[bs.length - 2]! : bs[bs.length - 1]!;
  const a3 = c.op('Reshape', [a], { shape: [prod(lead), m, as[as.length - 1]!] });
  const b3 = c.op('Reshape', [b], { shape: [prod(lead), bs[bs.length - 2]!, bs[bs.length - 1]!] });
  const y = c.op('batch_dot', [a3, b3], { transpose_b: transposeB });
  return c.op('Reshape', [y], { shape: [...lead, m, n] });
}

/** v with leading 1s up to rank 4. */
function toRank4(c: NodeContext, v: Value): Value {
  const s = c.shape(v);
  if (s.length > 4) c.fail(`attn_mask has rank ${s.length}; expected at most 4`);
  return s.length === 4 ? v : c.op('Reshape', [v], { shape: [...new Array<number>(4 - s.length).fill(1), ...s] });
}

/** 0 where `allowed` (1) and -inf where not (0): log maps 1 to 0 and 0 to -inf exactly. */
function allowedToBias(c: NodeContext, allowed: Value, dt: DType): Value {
  return c.cast(c.op('log', [c.cast(allowed, 'float32')]), dt);
}

/** A (1, 1, q, kv) constant of f(i, j). */
function gridConst(c: NodeContext, q: number, kv: number, f: (i: number, j: number) => number, dt: DType): Value {
  const vals = new Float32Array(q * kv);
  for (let i = 0; i < q; i++) for (let j = 0; j < kv; j++) vals[i * kv + j] = f(i, j);
  return c.cast(c.constant(vals, [1, 1, q, kv], 'float32'), dt);
}

/**
 * Softmax over the last axis. For 16-bit types each step rounds to the type, as the reference's
 * NumPy steps do: a fused float32 softmax rounds once and lands an ulp off often enough to fail.
 * The row sum stays one reduction (accumulated wider); bfloat16 NumPy rounds after every add, which
 * would take one op per key to mirror.
 */
export function softmax(c: NodeContext, x: Value): Value {
  const dt = c.dtype(x);
  if (dt !== 'float16' && dt !== 'bfloat16') return c.op('softmax', [x], { axis: -1 });
  const e = c.op('exp', [c.op('broadcast_sub', [x, c.op('max', [x], { axis: -1, keepdims: true })])]);
  return c.op('broadcast_div', [e, c.op('sum', [e], { axis: -1, keepdims: true })]);
}

function attention(c: NodeContext): Value[] {
  let q = c.input(0);
  let k = c.input(1);
  let v = c.input(2);
  const dt = floatDType(c, q, 'Q');
  if (c.dtype(k, 'K') !== dt || c.dtype(v, 'V') !== dt) c.fail('Q, K and V must have the same dtype');
  const inRank = c.rank(q, 'Q');
  if (inRank !== 3 && inRank !== 4) c.fail(`Q has rank ${inRank}; expected 3 or 4`);
  if (c.rank(k, 'K') !== inRank || c.rank(v, 'V') !== inRank) c.fail('Q, K and V must have the same rank');
  if (inRank === 3) {
    const qh = c.int('q_num_heads');
    const kvh = c.int('kv_num_heads');
    if (qh === undefined || kvh === undefined) c.fail('3-D inputs need the q_num_heads and kv_num_heads attributes');
    q = splitHeads(c, q, qh, 'Q');
    k = splitHeads(c, k, kvh, 'K');
    v = splitHeads(c, v, kvh, 'V');
  } else if (c.opset >= 25 && (c.hasAttr('q_num_heads') || c.hasAttr('kv_num_heads'))) {
    c.fail('q_num_heads and kv_num_heads must not be given for 4-D inputs');
  }
  const [batch, qHeads, qLen, headSize] = c.shape(q, 'Q') as [number, number, number, number];

  // Scale is split as sqrt(scale) on both Q and K, as the reference and function body do.
  const scale = c.float('scale') ?? 1 / Math.sqrt(headSize);
  const rootScale = Math.sqrt(scale);

  // KV cache: present = past ++ new along the sequence axis.
  const hasPast = c.has(4) || c.has(5);
  if (hasPast && !(c.has(4) && c.has(5))) c.fail('past_key and past_value must be given together');
  const pastLen = hasPast ? c.shape(c.input(4), 'past_key')[2]! : 0;
  if (hasPast) {
    k = c.op('Concat', [c.input(4), k], { dim: 2, num_args: 2 });
    v = c.op('Concat', [c.input(5), v], { dim: 2, num_args: 2 });
  }
  const presentK = k;
  const presentV = v;
  const kvLen = c.shape(k, 'K')[2]!;

  const nonpad = c.opset >= 24 && c.has(6) ? c.input(6) : undefined;
  if (nonpad !== undefined && hasPast) c.fail('nonpad_kv_seqlen cannot be combined with past_key/past_value');
  // Per-batch valid key counts as float32 (B, 1, 1, 1), for the mask arithmetic below.
  const nonpadF = nonpad === undefined ? undefined : c.op('Reshape', [c.cast(nonpad, 'float32')], { shape: [batch, 1, 1, 1] });

  const isCausal = c.int('is_causal', 0) !== 0;
  const left = c.opset >= 25 ? c.int('left_window_size', -1) : -1;
  const right = c.opset >= 25 ? c.int('right_window_size', -1) : -1;
  if (left < -1 || right < -1) c.fail('left_window_size and right_window_size must be -1 or nonnegative');

  // Additive bias terms (0 or -inf, or a float mask), each broadcastable to (B, H, q, kv).
  const terms: Value[] = [];
  if (c.has(3)) {
    let mask = c.input(3);
    const mdt = c.dtype(mask, 'attn_mask');
    if (mdt === 'bool') mask = allowedToBias(c, mask, dt);
    else if (FLOATS.includes(mdt)) mask = c.cast(mask, dt);
    else c.fail(`attn_mask has dtype ${mdt}; expected bool or ${dt}`);
    // A mask shorter than the keys masks out the rest.
    const ms = c.shape(mask, 'attn_mask');
    const padW = kvLen - ms[ms.length - 1]!;
    if (padW > 0) {
      const padShape = [...ms.slice(0, -1), padW];
      const pad = c.constant(new Float32Array(prod(padShape)).fill(-Infinity), padShape, 'float32');
      mask = c.op('Concat', [mask, c.cast(pad, dt)], { dim: ms.length - 1, num_args: 2 });
    }
    terms.push(toRank4(c, mask));
  }
  // Causal and window masks are offset-aligned: query i sits at position i + offset.
  if (isCausal || left >= 0 || right >= 0) {
    if (nonpadF === undefined) {
      const off = pastLen;
      if (isCausal) terms.push(gridConst(c, qLen, kvLen, (i, j) => (j <= i + off ? 0 : -Infinity), dt));
      if (left >= 0 || right >= 0) {
        terms.push(gridConst(c, qLen, kvLen, (i, j) => {
          const d = i + off - j;
          return (left < 0 || d <= left) && (right < 0 || -d <= right) ? 0 : -Infinity;
        }, dt));
      }
    } else {
      // External cache: offset[b] = nonpad_kv_seqlen[b] - q, known only at run time.
      const off = c.op('_minus_scalar', [nonpadF], { scalar: qLen });
      const diff = c.op('broadcast_add', [gridConst(c, qLen, kvLen, (i, j) => i - j, 'float32'), off]);
      if (isCausal) terms.push(allowedToBias(c, c.op('_greater_equal_scalar', [diff], { scalar: 0 }), dt));
      if (left >= 0) terms.push(allowedToBias(c, c.op('_lesser_equal_scalar', [diff], { scalar: left }), dt));
      if (right >= 0) terms.push(allowedToBias(c, c.op('_greater_equal_scalar', [diff], { scalar: -right }), dt));
    }
  }
  if (nonpadF !== undefined) {
    const j = c.constant(Float32Array.from({ length: kvLen }, (_, i) => i), [1, 1, 1, kvLen], 'float32');
    terms.push(allowedToBias(c, c.op('broadcast_lesser', [j, nonpadF]), dt));
  }
  let bias: Value | undefined;
  for (const t of terms) bias = bias === undefined ? t : c.op('broadcast_add', [bias, t]);

  // Grouped-query attention: each KV head serves q_heads / kv_heads consecutive query heads.
  const kvHeads = c.shape(k, 'K')[1]!;
  if (c.shape(v, 'V')[1] !== kvHeads) c.fail('K and V must have the same number of heads');
  if (qHeads !== kvHeads) {
    if (qHeads % kvHeads !== 0) c.fail(`q heads (${qHeads}) must be a multiple of kv heads (${kvHeads})`);
    k = c.op('repeat', [k], { repeats: qHeads / kvHeads, axis: 1 });
    v = c.op('repeat', [v], { repeats: qHeads / kvHeads, axis: 1 });
  }

  const qS = c.op('_mul_scalar', [q], { scalar: rootScale });
  const kS = c.op('_mul_scalar', [k], { scalar: rootScale });
  let qk = bmm(c, qS, kS, true);
  const softcap = c.float('softcap', 0);
  if (softcap > 0) {
    qk = c.op('_mul_scalar', [c.op('tanh', [c.op('_div_scalar', [qk], { scalar: softcap })])], { scalar: softcap });
  }
  const qkShape = [batch, qHeads, qLen, kvLen];
  let scores = qk;
  if (bias !== undefined) {
    const bs = c.shape(bias, 'the attention bias');
    const full = broadcastShape([qkShape, bs]);
    if (full.join() !== qkShape.join()) c.fail(`attn_mask of shape (${bs.join(',')}) does not broadcast to (${qkShape.join(',')})`);
    scores = c.op('broadcast_add', [qk, bias]);
  }
  const mode = c.int('qk_matmul_output_mode', 0);
  if (mode < 0 || mode > 3) c.fail(`qk_matmul_output_mode ${mode} is not 0, 1, 2 or 3`);

  const precCode = c.int('softmax_precision');
  let smIn = scores;
  if (precCode !== undefined) {
    const p = PRECISION[precCode];
    if (p === undefined) c.fail(`softmax_precision ${precCode} is not float, float16, double or bfloat16`);
    smIn = c.cast(smIn, p);
  }
  // A row whose bias is all -inf attends nothing: its probabilities are 0, not NaN.
  let guard: Value | undefined;
  if (bias !== undefined) {
    const rowMax = c.op('max', [bias], { axis: -1, keepdims: true });
    guard = broadcastTo(c, c.op('isinf', [rowMax]), qkShape);
    const g = c.cast(guard, c.dtype(smIn));
    smIn = c.op('where', [g, c.op('zeros_like', [smIn]), smIn]);
  }
  let probs = softmax(c, smIn);
  if (guard !== undefined) probs = c.op('where', [c.cast(guard, c.dtype(probs)), c.op('zeros_like', [probs]), probs]);

  const wantQk = c.node.outputs.length > 3 && c.node.outputs[3] !== '';
  let qkOut: Value | undefined;
  if (wantQk) qkOut = c.cast(mode === 3 ? probs : mode === 2 ? scores : qk, dt);

  let y = bmm(c, c.cast(probs, dt), v, false);
  if (inRank === 3) y = mergeHeads(c, y);
  const outs = [y, presentK, presentV];
  if (qkOut !== undefined) outs.push(qkOut);
  return outs;
}

converter('Attention', attention, 23);

converter('RotaryEmbedding', (c: NodeContext) => {
  const x = c.input(0);
  const dt = floatDType(c, x, 'input');
  const xs = c.shape(x, 'input');
  let cos = c.input(1);
  let sin = c.input(2);
  // Work in (B, S, H, D).
  let h: Value;
  if (xs.length === 4) {
    h = c.op('transpose', [x], { axes: [0, 2, 1, 3] });
  } else if (xs.length === 3) {
    const heads = c.int('num_heads', 0);
    if (heads <= 0) c.fail('3-D input needs the num_heads attribute');
    if (xs[2]! % heads !== 0) c.fail(`hidden size ${xs[2]} is not a multiple of num_heads ${heads}`);
    h = c.op('Reshape', [x], { shape: [xs[0]!, xs[1]!, heads, xs[2]! / heads] });
  } else {
    c.fail(`input has rank ${xs.length}; expected 3 or 4`);
  }
  const [b, s, heads, headSize] = c.shape(h) as [number, number, number, number];
  let rot = c.int('rotary_embedding_dim', 0);
  if (rot === 0) rot = headSize;
  if (rot % 2 !== 0 || rot > headSize) c.fail(`rotary_embedding_dim ${rot} must be even and at most the head size ${headSize}`);
  const half = rot / 2;
  if (c.has(3)) {
    const pos = c.input(3);
    cos = c.op('take', [cos, pos], { axis: 0, mode: 'clip' });
    sin = c.op('take', [sin, pos], { axis: 0, mode: 'clip' });
  }
  for (const [t, n] of [[cos, 'cos_cache'], [sin, 'sin_cache']] as const) {
    const ts = c.shape(t, n);
    if (ts[ts.length - 1] !== half) c.fail(`the last dim of ${n} (${ts[ts.length - 1]}) is not rotary_embedding_dim/2 (${half})`);
  }
  cos = c.op('Reshape', [c.cast(cos, dt)], { shape: [b, s, 1, half] });
  sin = c.op('Reshape', [c.cast(sin, dt)], { shape: [b, s, 1, half] });

  const xr = rot === headSize ? h : c.op('slice_axis', [h], { axis: 3, begin: 0, end: rot });
  const interleaved = c.int('interleaved', 0) !== 0;
  let x1: Value;
  let x2: Value;
  if (interleaved) {
    // Pairs (x[2i], x[2i+1]) sit on a trailing axis of 2.
    const pairs = c.op('Reshape', [xr], { shape: [b, s, heads, half, 2] });
    x1 = c.op('Reshape', [c.op('slice_axis', [pairs], { axis: 4, begin: 0, end: 1 })], { shape: [b, s, heads, half] });
    x2 = c.op('Reshape', [c.op('slice_axis', [pairs], { axis: 4, begin: 1, end: 2 })], { shape: [b, s, heads, half] });
  } else {
    x1 = c.op('slice_axis', [xr], { axis: 3, begin: 0, end: half });
    x2 = c.op('slice_axis', [xr], { axis: 3, begin: half, end: rot });
  }
  const real = c.op('elemwise_sub', [c.op('broadcast_mul', [cos, x1]), c.op('broadcast_mul', [sin, x2])]);
  const imag = c.op('elemwise_add', [c.op('broadcast_mul', [sin, x1]), c.op('broadcast_mul', [cos, x2])]);
  let rotated = interleaved
    ? c.op('Reshape', [c.op('stack', [real, imag], { axis: 4, num_args: 2 })], { shape: [b, s, heads, rot] })
    : c.op('Concat', [real, imag], { dim: 3, num_args: 2 });
  if (rot < headSize) {
    rotated = c.op('Concat', [rotated, c.op('slice_axis', [h], { axis: 3, begin: rot, end: headSize })], { dim: 3, num_args: 2 });
  }
  return xs.length === 3 ? c.op('Reshape', [rotated], { shape: xs }) : c.op('transpose', [rotated], { axes: [0, 2, 1, 3] });
}, 23);
