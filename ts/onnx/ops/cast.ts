// ONNX Cast to any element type, the narrow ones (float8, float4, int4, int2) included.
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import type { NodeContext, Value } from '../convert.js';
import { narrowOf, narrowType, tagNarrow, type NarrowType } from '../narrow.js';
import { dtypeOfOnnx } from '../tensor.js';

/**
 * x rounded onto narrow type t's grid (round_to_format: ml_dtypes' rules) in t's carrier dtype, tagged.
 * `saturate` (float8 only) clips to the largest finite value first.
 */
export function toNarrow(c: NodeContext, x: Value, t: NarrowType, saturate: boolean): Value {
  // float32 holds every narrow value and every float16/bfloat16 input exactly; float64 inputs and
  // integers round from their own value.
  const src = c.dtype(x, 'input');
  const work: DType = src === 'float32' || src === 'float16' || src === 'bfloat16' ? 'float32' : 'float64';
  const r = c.op('round_to_format', [c.cast(x, work)], {
    format: t.name, saturate, round_mode: c.string('round_mode', 'up'),
  });
  return tagNarrow(c.cast(r, t.carrier), t);
}

/** x as ONNX element type `to` (Cast's and CastLike's rules, with the node's saturate and round_mode). */
export function castTo(c: NodeContext, x: Value, to: number): Value {
  const from = narrowOf(x);
  const t = narrowType(to);
  if (t !== undefined) return from === t ? x : toNarrow(c, x, t, c.int('saturate', 1) !== 0);
  const dtype = dtypeOfOnnx(to, `${c.label}: attribute to`);
  // A narrow value's carrier may already be the target dtype: the result is a plain (untagged) copy.
  if (from !== undefined && c.dtypeIfKnown(x) === dtype) return c.op('_copy', [x]);
  return c.cast(x, dtype);
}
