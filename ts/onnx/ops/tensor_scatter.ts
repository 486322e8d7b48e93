// ONNX TensorScatter: a KV-cache update that writes `update` into a copy of `past_cache` at per-batch offsets.
// SPDX-License-Identifier: Apache-2.0
import { converter, numbersOf } from '../convert.js';

converter('TensorScatter', (c) => {
  const past = c.input(0);
  const update = c.input(1);
  const ps = c.shape(past, 'past_cache');
  const us = c.shape(update, 'update');
  const mode = c.string('mode', 'linear');
  if (mode !== 'linear' && mode !== 'circular') c.fail(`mode '${mode}' is not 'linear' or 'circular'`);
  if (ps.length < 2) c.fail(`past_cache must have rank 2 or more (batch and sequence axes), got shape (${ps})`);
  const axis = c.axis(c.int('axis', -2), ps.length);
  if (axis === 0) c.fail('axis must not be 0 (the batch axis)');
  const S = ps[axis]!; // max_sequence_length
  const L = us[axis]!; // sequence_length
  if (us.length !== ps.length || us.some((d, i) => i !== axis && d !== ps[i]) || L > S) {
    c.fail(`update of shape (${us}) does not fit past_cache of shape (${ps}) along axis ${axis}: the shapes must ` +
           `match outside the axis and the update be no longer than ${S} along it`);
  }
  const B = ps[0]!;
  const dt = c.dtype(past, 'past_cache');
  if (c.dtype(update, 'update') !== dt) c.fail(`update is ${c.dtype(update, 'update')}, past_cache ${dt}`);
  if (L === 0 || ps.includes(0)) return c.op('_copy', [past]);
  // Write offsets as (B, 1); zeros when absent.
  const w = c.has(2) ? c.op('Reshape', [c.cast(c.input(2), 'int64')], { shape: [B, 1] })
    : c.constant(new Array<number>(B).fill(0), [B, 1], 'int64');
  if (c.has(2) && mode === 'linear' && c.isKnown(w)) {
    // Linear writes past the cache's end have no place to go: ONNX's reference fails on them too.
    const bad = numbersOf(w).findIndex((v) => v < 0 || v + L > S);
    if (bad >= 0) c.fail(`write_indices[${bad}] = ${numbersOf(w)[bad]} puts ${L} updates outside 0..${S - 1} (mode linear)`);
  }
  // Cache position s of batch b takes update row j = s - w[b] (mod S when circular) where 0 <= j < L,
  // else keeps the past value: gather update along the axis by j, then select.
  const s = c.constant(Array.from({ length: S }, (_, i) => i), [1, S], 'int64');
  let j = c.op('broadcast_sub', [s, w]); // (B, S)
  if (mode === 'circular') {
    // Python-style modulo of a possibly negative j, done as ((j mod S) + S) mod S so any sign convention works.
    j = c.op('_mod_scalar', [c.op('_plus_scalar', [c.op('_mod_scalar', [j], { scalar: S })], { scalar: S })], { scalar: S });
  }
  const inside = c.op('broadcast_logical_and', [c.op('_greater_equal_scalar', [j], { scalar: 0 }), c.op('_lesser_scalar', [j], { scalar: L })]);
  const jc = c.op('clip', [j], { a_min: 0, a_max: L - 1 });
  // (B, S) viewed at the cache's rank (batch at 0, sequence at axis, 1 elsewhere), then broadcast.
  const view = ps.map((d, i) => (i === 0 ? B : i === axis ? S : 1));
  const grid = (v: typeof j) => c.op('broadcast_to', [c.op('Reshape', [v], { shape: view })], { shape: ps });
  const taken = c.op('_take_along_axis', [update, grid(jc)], { axis });
  return c.op('where', [grid(inside), taken, past]);
}, 24);
