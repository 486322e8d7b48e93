// ONNX operators on string tensors (sessions only): StringConcat, StringSplit, RegexFullMatch,
// StringNormalizer, string Equal, and ai.onnx.ml LabelEncoder.
// SPDX-License-Identifier: Apache-2.0
//
// Strings live on the host (strings.ts), so these run there; a numeric result becomes an NDArray.
import type { DType } from '../../base/dtype.js';
import { converter, numbersOf, type AnyValue, type NodeContext } from '../convert.js';
import { ONNX_TYPE, type TensorProto } from '../onnx_proto.js';
import { broadcastIndices } from '../../base/broadcast.js';
import { isStrings, StringTensor, stringsFromProto } from '../strings.js';
import { tensorFromProto } from '../tensor.js';

/** Two string tensors broadcast against each other: the shape and, per element, both operands. */
function broadcastPair(c: NodeContext, a: StringTensor, b: StringTensor): { shape: number[]; pairs: [string, string][] } {
  const { shape, ia, ib } = broadcastIndices(a.shape, b.shape, c.label);
  return { shape, pairs: Array.from(ia, (k, i) => [a.data[k]!, b.data[ib[i]!]!]) };
}

converter('StringConcat', (c) => {
  const { shape, pairs } = broadcastPair(c, c.stringInput(0), c.stringInput(1));
  return new StringTensor(pairs.map(([x, y]) => x + y), shape);
}, 20);

/** Python's str.split: on `sep` (every occurrence), or on whitespace runs when sep is undefined. */
function pySplit(s: string, sep: string | undefined, maxsplit: number): string[] {
  const limit = maxsplit < 0 ? Infinity : maxsplit;
  if (sep !== undefined) {
    const parts = s.split(sep);
    return parts.length - 1 <= limit ? parts : [...parts.slice(0, limit), parts.slice(limit).join(sep)];
  }
  // Leading whitespace never makes an empty part; after the last split the rest is kept as is.
  const out: string[] = [];
  let i = 0;
  const ws = /\s/;
  while (i < s.length) {
    while (i < s.length && ws.test(s[i]!)) i++;
    if (i >= s.length) break;
    if (out.length === limit) {
      out.push(s.slice(i));
      break;
    }
    let j = i;
    while (j < s.length && !ws.test(s[j]!)) j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

converter('StringSplit', (c) => {
  const x = c.stringInput(0);
  const d = c.string('delimiter', '');
  const parts = x.data.map((s) => pySplit(s, d === '' ? undefined : d, c.int('maxsplit', -1)));
  const width = parts.reduce((m, p) => Math.max(m, p.length), 0);
  const y = new StringTensor(parts.flatMap((p) => [...p, ...new Array<string>(width - p.length).fill('')]), [...x.shape, width]);
  return [y, c.constant(parts.map((p) => p.length), x.shape, 'int64')];
}, 20);

converter('RegexFullMatch', (c) => {
  const x = c.stringInput(0);
  const pattern = c.string('pattern') ?? c.fail('attribute pattern is required');
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`, 'u');
  } catch (e) {
    return c.fail(`pattern ${JSON.stringify(pattern)} is not a valid regular expression: ${(e as Error).message}`);
  }
  return c.constant(x.data.map((s) => (re.test(s) ? 1 : 0)), x.shape, 'bool');
}, 20);

converter('StringNormalizer', (c) => {
  const x = c.stringInput(0);
  const action = c.string('case_change_action', 'NONE');
  if (!['NONE', 'LOWER', 'UPPER'].includes(action)) c.fail(`case_change_action '${action}' is not NONE, LOWER or UPPER`);
  const sensitive = c.int('is_case_sensitive', 0) !== 0;
  const rank = x.shape.length;
  if (rank !== 1 && !(rank === 2 && x.shape[0] === 1)) c.fail(`input must be of shape [C] or [1, C], got (${x.shape.join(', ')})`);
  // Stopwords drop whole elements (compared case-insensitively unless is_case_sensitive).
  const fold = (s: string): string => (sensitive ? s : s.toLowerCase());
  const stops = new Set((c.strings('stopwords') ?? []).map(fold));
  const change = (s: string): string => (action === 'LOWER' ? s.toLowerCase() : action === 'UPPER' ? s.toUpperCase() : s);
  let kept = x.data.filter((s) => !stops.has(fold(s))).map(change);
  // Nothing left: one empty string, as the spec's output must not be empty.
  if (kept.length === 0) kept = [''];
  return new StringTensor(kept, rank === 1 ? [kept.length] : [1, kept.length]);
}, 10);

converter('Equal', (c) => {
  const a = c.value(0);
  const b = c.value(1);
  if (!isStrings(a) && !isStrings(b)) return c.op('Cast', [c.op('broadcast_equal', [c.input(0), c.input(1)])], { dtype: 'bool' });
  const { shape, pairs } = broadcastPair(c, c.stringInput(0), c.stringInput(1));
  return c.constant(pairs.map(([x, y]) => (x === y ? 1 : 0)), shape, 'bool');
});

/* ---- ai.onnx.ml LabelEncoder ---- */

type Key = string | number;

/** A tensor attribute's values: strings, or numbers with their dtype. */
function tensorValues(c: NodeContext, t: TensorProto, what: string): { values: Key[]; dtype: DType | 'string' } {
  if (t.dataType === ONNX_TYPE.STRING) return { values: stringsFromProto(t, what).data, dtype: 'string' };
  const h = tensorFromProto(t, what);
  if (h.dtype === 'float16' || h.dtype === 'bfloat16') c.fail(`${what}: ${h.dtype} keys or values are not supported`);
  return { values: Array.from(h.storage as ArrayLike<number | bigint>, Number), dtype: h.dtype };
}

/** One side (keys_* or values_*) of the mapping, with its type; the one attribute given. */
function side(c: NodeContext, prefix: 'keys' | 'values'): { values: Key[]; dtype: DType | 'string' } {
  const strs = c.strings(`${prefix}_strings`);
  if (strs !== undefined) return { values: strs, dtype: 'string' };
  const ints = c.ints(`${prefix}_int64s`);
  if (ints !== undefined) return { values: ints, dtype: 'int64' };
  const floats = c.floats(`${prefix}_floats`);
  if (floats !== undefined) return { values: floats.map(Math.fround), dtype: 'float32' };
  const t = c.tensorProtoAttr(`${prefix}_tensor`);
  if (t !== undefined) return tensorValues(c, t, `${c.label}: attribute ${prefix}_tensor`);
  return c.fail(`one of ${prefix}_strings, ${prefix}_int64s, ${prefix}_floats or ${prefix}_tensor is required`);
}

function defaultValue(c: NodeContext, dtype: DType | 'string'): Key {
  const t = c.tensorProtoAttr('default_tensor');
  if (t !== undefined) return tensorValues(c, t, `${c.label}: attribute default_tensor`).values[0] ?? c.fail('default_tensor is empty');
  if (dtype === 'string') return c.string('default_string', '_Unused');
  if (dtype === 'float32' || dtype === 'float64') return c.float('default_float', -0);
  return c.int('default_int64', -1);
}

/** The input's elements as keys (strings, or numbers of a known array) and its shape. */
function keysOf(c: NodeContext, x: AnyValue, keyType: DType | 'string'): { keys: Key[]; shape: number[] } {
  if (isStrings(x)) {
    if (keyType !== 'string') c.fail('input X holds strings but the keys are numbers');
    return { keys: x.data, shape: x.shape };
  }
  if (keyType === 'string') c.fail('input X holds numbers but the keys are strings');
  const a = c.input(0);
  if (!c.isKnown(a)) c.fail('a numeric X must be known (LabelEncoder runs in an InferenceSession)');
  const f32 = c.dtype(a) === 'float32';
  return { keys: numbersOf(a).map((v) => (f32 ? Math.fround(v) : v)), shape: c.shape(a) };
}

// Opset 1 maps strings to their index in classes_strings and back (the direction from X's type).
converter('LabelEncoder', (c) => {
  const classes = c.strings('classes_strings') ?? c.fail('attribute classes_strings is required');
  const x = c.value(0);
  if (isStrings(x)) {
    const idx = new Map(classes.map((s, i) => [s, i]));
    return c.constant(x.data.map((s) => idx.get(s) ?? c.int('default_int64', -1)), x.shape, 'int64');
  }
  const { keys, shape } = keysOf(c, x, 'int64');
  return new StringTensor(keys.map((k) => classes[k as number] ?? c.string('default_string', '_Unused')), shape);
}, 1, 'ai.onnx.ml');

converter('LabelEncoder', (c) => {
  const k = side(c, 'keys');
  const v = side(c, 'values');
  if (k.values.length !== v.values.length) c.fail(`${k.values.length} keys but ${v.values.length} values`);
  // NaN keys match NaN inputs (Map compares with SameValueZero).
  const table = new Map<Key, Key>(k.values.map((key, i) => [key, v.values[i]!]));
  const dflt = defaultValue(c, v.dtype);
  const { keys, shape } = keysOf(c, c.value(0), k.dtype);
  const out = keys.map((key) => table.get(key) ?? dflt);
  if (v.dtype === 'string') return new StringTensor(out.map(String), shape);
  return c.constant(out as number[], shape, v.dtype);
}, 2, 'ai.onnx.ml');
