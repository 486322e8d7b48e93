// ONNX fused sequence-model operators: SwiGLU, CausalConvWithState and LinearAttention
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import { converter, type NodeContext, type Value } from '../convert.js';

const FLOATS: readonly DType[] = ['float32', 'float16', 'bfloat16', 'float64'];

function floatDType(c: NodeContext, v: Value, what: string): DType {
  const dt = c.dtype(v, what);
  if (!FLOATS.includes(dt)) c.fail(`${what} has dtype ${dt}; expected a floating-point type`);
  return dt;
}

converter('SwiGLU', (c: NodeContext) => {
  const a = c.input(0);
  const b = c.input(1);
  const dt = floatDType(c, a, 'A');
  if (c.dtype(b, 'B') !== dt) c.fail('A and B must have the same dtype');
  if (c.shape(a, 'A').join() !== c.shape(b, 'B').join()) c.fail('A and B must have the same shape (SwiGLU does not broadcast)');
  const alpha = c.float('alpha', 1);
  // Each step in the input dtype, as the reference's a * (1 / (1 + exp(-alpha * a))) does.
  const e = c.op('exp', [c.op('_mul_scalar', [a], { scalar: -alpha })]);
  const gate = c.op('_rdiv_scalar', [c.op('_plus_scalar', [e], { scalar: 1 })], { scalar: 1 });
  return c.op('elemwise_mul', [c.op('elemwise_mul', [a, gate]), b]);
}, 1);

converter('CausalConvWithState', (c: NodeContext) => {
  const x = c.input(0);
  const w = c.input(1);
  const dt = floatDType(c, x, 'input');
  const xs = c.shape(x, 'input');
  const ws = c.shape(w, 'weight');
  if (xs.length !== 3) c.fail(`input has rank ${xs.length}; expected 3 (batch, channels, length)`);
  if (ws.length !== 3 || ws[0] !== xs[1] || ws[1] !== 1) c.fail(`weight has shape (${ws.join(',')}); expected (${xs[1]}, 1, k)`);
  const act = c.string('activation', 'none');
  if (!['none', 'silu', 'swish'].includes(act)) c.fail(`activation '${act}' is not none, silu or swish`);
  const [batch, channels, len] = xs as [number, number, number];
  const k = ws[2]!;
  // Left context: the carried state, or zeros.
  let padded = x;
  if (c.has(3)) {
    const ps = c.shape(c.input(3), 'past_state');
    if (ps.join() !== [batch, channels, k - 1].join()) c.fail(`past_state has shape (${ps.join(',')}); expected (${batch}, ${channels}, ${k - 1})`);
    if (k > 1) padded = c.op('Concat', [c.cast(c.input(3), dt), x], { dim: 2, num_args: 2 });
  } else if (k > 1) {
    padded = c.op('Concat', [c.op('_zeros', [], { shape: [batch, channels, k - 1], dtype: dt }), x], { dim: 2, num_args: 2 });
  }
  // A depthwise, valid-padded 1-D convolution.
  const convIns = c.has(2) ? [padded, w, c.input(2)] : [padded, w];
  let y = c.op('Convolution', convIns, {
    kernel: [k], stride: [1], dilate: [1], pad: [0], num_filter: channels, num_group: channels, no_bias: !c.has(2),
  });
  if (act !== 'none') {
    // SiLU in float32, as the reference computes it.
    const f = c.cast(y, 'float32');
    y = c.cast(c.op('elemwise_mul', [f, c.op('sigmoid', [f])]), dt);
  }
  const present = k > 1
    ? c.op('slice_axis', [padded], { axis: 2, begin: len, end: len + k - 1 })
    : c.op('_zeros', [], { shape: [batch, channels, 0], dtype: dt });
  return [y, present];
}, 1);

/** (B, T, H*D) -> (B, H, T, D). */
function heads4(c: NodeContext, x: Value, heads: number, what: string): Value {
  const [b, t, hd] = c.shape(x, what) as [number, number, number];
  if (hd % heads !== 0) c.fail(`${what}'s last dim ${hd} is not a multiple of ${heads} heads`);
  return c.op('transpose', [c.op('Reshape', [x], { shape: [b, t, heads, hd / heads] })], { axes: [0, 2, 1, 3] });
}

converter('LinearAttention', (c: NodeContext) => {
  const rule = c.string('update_rule', 'gated_delta');
  if (!['linear', 'gated', 'delta', 'gated_delta'].includes(rule)) c.fail(`update_rule '${rule}' is not linear, gated, delta or gated_delta`);
  const qh = c.int('q_num_heads');
  const kvh = c.int('kv_num_heads');
  if (qh === undefined || kvh === undefined) c.fail('q_num_heads and kv_num_heads are required');
  if (qh <= 0 || kvh <= 0 || qh % kvh !== 0) c.fail(`q_num_heads (${qh}) must be a positive multiple of kv_num_heads (${kvh})`);
  const gating = rule === 'gated' || rule === 'gated_delta';
  const delta = rule === 'delta' || rule === 'gated_delta';
  if (gating !== c.has(4)) c.fail(`update_rule '${rule}' ${gating ? 'requires' : 'forbids'} the decay input`);
  if (delta !== c.has(5)) c.fail(`update_rule '${rule}' ${delta ? 'requires' : 'forbids'} the beta input`);
  const query = c.input(0);
  const outDt = floatDType(c, query, 'query');
  for (const [i, n] of [[0, 'query'], [1, 'key'], [2, 'value']] as const) {
    if (c.rank(c.input(i), n) !== 3) c.fail(`${n} must have rank 3 (B, T, H*D)`);
  }
  const [b, t, qhd] = c.shape(query, 'query') as [number, number, number];
  const dk = qhd / qh;
  const dv = c.shape(c.input(2), 'value')[2]! / kvh;
  // The recurrence runs in float32, as the reference does.
  const q4 = c.cast(heads4(c, query, qh, 'query'), 'float32');
  const k4 = c.cast(heads4(c, c.input(1), kvh, 'key'), 'float32');
  const v4 = c.cast(heads4(c, c.input(2), kvh, 'value'), 'float32');

  // exp(decay) as (B, H_kv, T, 1 or d_k).
  let expDecay: Value | undefined;
  if (gating) {
    const d = c.input(4);
    const ds = c.shape(d, 'decay');
    if (ds.length !== 3) c.fail(`decay must have rank 3, got (${ds.join(',')})`);
    let d4: Value;
    if (ds[2] === kvh) d4 = c.op('transpose', [c.op('Reshape', [d], { shape: [b, t, kvh, 1] })], { axes: [0, 2, 1, 3] });
    else if (ds[2] === kvh * dk) d4 = heads4(c, d, kvh, 'decay');
    else c.fail(`decay's last dim ${ds[2]} must be kv_num_heads (${kvh}) or kv_num_heads*d_k (${kvh * dk})`);
    expDecay = c.op('exp', [c.cast(d4, 'float32')]);
  }
  // beta as (B, H_kv or 1, T, 1).
  let beta4: Value | undefined;
  if (delta) {
    const be = c.input(5);
    const bs = c.shape(be, 'beta');
    if (bs.length !== 3 || (bs[2] !== kvh && bs[2] !== 1)) c.fail(`beta has shape (${bs.join(',')}); expected (B, T, ${kvh} or 1)`);
    beta4 = c.cast(c.op('transpose', [c.op('Reshape', [be], { shape: [b, t, bs[2]!, 1] })], { axes: [0, 2, 1, 3] }), 'float32');
  }

  const stateShape = [b, kvh, dk, dv];
  let stateDt = outDt;
  let state: Value;
  if (c.has(3)) {
    const ps = c.input(3);
    if (c.shape(ps, 'past_state').join() !== stateShape.join()) c.fail(`past_state must have shape (${stateShape.join(',')})`);
    stateDt = floatDType(c, ps, 'past_state');
    state = c.cast(ps, 'float32');
  } else {
    state = c.op('_zeros', [], { shape: stateShape, dtype: 'float32' });
  }
  const scaleAttr = c.float('scale', 0);
  const scale = scaleAttr === 0 ? 1 / Math.sqrt(dk) : scaleAttr;
  const group = qh / kvh;

  const step = (v: Value, i: number): Value => c.op('slice_axis', [v], { axis: 2, begin: i, end: i + 1 });
  const outs: Value[] = [];
  // The recurrence is unrolled over the (known) sequence length.
  for (let i = 0; i < t; i++) {
    const kt = step(k4, i); // (B, H_kv, 1, d_k)
    let vt = step(v4, i); // (B, H_kv, 1, d_v)
    if (expDecay !== undefined) {
      const g = step(expDecay, i);
      const gs = c.shape(g);
      state = c.op('broadcast_mul', [state, c.op('Reshape', [g], { shape: [b, kvh, gs[3]!, 1] })]);
    }
    const kCol = c.op('Reshape', [kt], { shape: [b, kvh, dk, 1] });
    if (beta4 !== undefined) {
      // v_t <- beta_t * (v_t - Sᵀ k_t)
      const retrieved = c.op('sum', [c.op('broadcast_mul', [state, kCol])], { axis: 2, keepdims: true });
      vt = c.op('broadcast_mul', [step(beta4, i), c.op('elemwise_sub', [vt, retrieved])]);
    }
    state = c.op('elemwise_add', [state, c.op('broadcast_mul', [kCol, vt])]);
    const read = group === 1 ? state : c.op('repeat', [state], { repeats: group, axis: 1 });
    const qCol = c.op('Reshape', [step(q4, i)], { shape: [b, qh, dk, 1] });
    const o = c.op('sum', [c.op('broadcast_mul', [read, qCol])], { axis: 2, keepdims: true }); // (B, H_q, 1, d_v)
    outs.push(c.op('_mul_scalar', [o], { scalar: scale }));
  }
  const all = outs.length === 1 ? outs[0]! : c.op('Concat', outs, { dim: 2, num_args: outs.length });
  const y = c.op('Reshape', [c.op('transpose', [all], { axes: [0, 2, 1, 3] })], { shape: [b, t, qh * dv] });
  return [c.cast(y, outDt), c.cast(state, stateDt)];
}, 1);
