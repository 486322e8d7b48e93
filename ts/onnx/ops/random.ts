// ONNX random operators: RandomUniform/Normal(-Like), Bernoulli, Multinomial, on mx.random's Philox stream.
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import { converter, type NodeContext } from '../convert.js';
import { dtypeOfOnnx } from '../tensor.js';

const FLOATS: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16'];

/**
 * The core op's `seed` param for the node's seed attribute (a float in ONNX): a seeded node draws the same
 * values every run (what mx.random.seed(seed) would give next); unseeded ones advance the context's stream.
 */
function seedParam(c: NodeContext): { seed?: number } {
  const s = c.float('seed');
  if (s === undefined) return {};
  // Whole non-negative seeds map to themselves; any other float to its bit pattern (distinct seeds stay distinct).
  if (Number.isInteger(s) && s >= 0 && s <= Number.MAX_SAFE_INTEGER) return { seed: s };
  return { seed: new Uint32Array(new Float32Array([s]).buffer)[0]! };
}

/** The node's `dtype` attribute as a float dtype (absent: `dflt`). */
function floatDType(c: NodeContext, dflt: DType): DType {
  const to = c.int('dtype');
  const d = to === undefined ? dflt : dtypeOfOnnx(to, `${c.label}: attribute dtype`);
  if (!FLOATS.includes(d)) c.fail(`attribute dtype must be a float type, got ${d}`);
  return d;
}

function fixedShape(c: NodeContext): number[] {
  const shape = c.ints('shape') ?? c.fail('attribute shape is required');
  shape.forEach((d) => { if (d < 0) c.fail(`attribute shape [${shape.join(', ')}] has a negative dimension`); });
  return shape;
}

converter('RandomUniform', (c) => c.opNoFold('_random_uniform', [], {
  low: c.float('low', 0), high: c.float('high', 1), shape: fixedShape(c), dtype: floatDType(c, 'float32'), ...seedParam(c),
})[0]!);

converter('RandomNormal', (c) => c.opNoFold('_random_normal', [], {
  loc: c.float('mean', 0), scale: c.float('scale', 1), shape: fixedShape(c), dtype: floatDType(c, 'float32'), ...seedParam(c),
})[0]!);

// The *Like forms default to the input's dtype, which must then be a float type; the sampler takes its
// shape and dtype from the input cast to that type.
converter('RandomUniformLike', (c) => c.opNoFold('_random_uniform_like', [c.cast(c.input(0), floatDType(c, c.dtype(c.input(0))))], {
  low: c.float('low', 0), high: c.float('high', 1), ...seedParam(c),
})[0]!);

converter('RandomNormalLike', (c) => c.opNoFold('_random_normal_like', [c.cast(c.input(0), floatDType(c, c.dtype(c.input(0))))], {
  loc: c.float('mean', 0), scale: c.float('scale', 1), ...seedParam(c),
})[0]!);

// 1 with probability p: a uniform draw in [0, 1) below p. The output takes any dtype (default p's).
converter('Bernoulli', (c) => {
  const p = c.input(0);
  const pd = c.dtype(p, 'input');
  if (!FLOATS.includes(pd)) c.fail(`input must be a float tensor of probabilities, got ${pd}`);
  const to = c.int('dtype');
  const out = to === undefined ? pd : dtypeOfOnnx(to, `${c.label}: attribute dtype`);
  const u = c.opNoFold('_random_uniform_like', [p], seedParam(c))[0]!;
  return c.cast(c.op('broadcast_lesser', [u, p]), out);
});

// Input [batch, classes] holds unnormalised log-probabilities; the output [batch, sample_size] class indices.
converter('Multinomial', (c) => {
  const x = c.input(0);
  const s = c.shapeIfKnown(x);
  if (s !== undefined && s.length !== 2) c.fail(`input must be 2-D [batch_size, class_size], got shape [${s.join(', ')}]`);
  const to = c.int('dtype', 6);
  const out = dtypeOfOnnx(to, `${c.label}: attribute dtype`);
  if (out !== 'int32' && out !== 'int64') c.fail(`attribute dtype must be int32 or int64, got ${out}`);
  const n = c.int('sample_size', 1);
  if (n < 1) c.fail(`attribute sample_size must be at least 1, got ${n}`);
  const probs = c.op('softmax', [x], { axis: -1 });
  const y = c.opNoFold('_sample_multinomial', [probs], { shape: [n], dtype: 'int32', ...seedParam(c) })[0]!;
  return c.cast(y, out);
});
