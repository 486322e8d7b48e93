// String tensors of ONNX graphs: UTF-8 values and a shape, held on the host (NDArrays hold numbers).
// SPDX-License-Identifier: Apache-2.0
//
// Sessions run the string operators (StringConcat, StringSplit, RegexFullMatch, StringNormalizer,
// Equal, LabelEncoder, ...) on them; Symbol graphs have no strings, so importModel refuses them.
import { IsotensorError } from '../base/error.js';
import { ONNX_TYPE, type TensorProto } from './onnx_proto.js';

/** A tensor of strings: row-major `data` of `shape`. */
export class StringTensor {
  readonly kind = 'strings' as const;
  readonly shape: number[];

  /** @example new mx.onnx.StringTensor(['a', 'b', 'c', 'd'], [2, 2]) */
  constructor(readonly data: string[], shape?: readonly number[]) {
    this.shape = shape === undefined ? [data.length] : shape.slice();
    const n = this.shape.reduce((a, b) => a * b, 1);
    if (this.shape.some((d) => !Number.isInteger(d) || d < 0) || n !== data.length) {
      throw new IsotensorError(`onnx.StringTensor: ${data.length} strings do not fill shape (${this.shape.join(', ')})`);
    }
  }

  get size(): number { return this.data.length; }

  /** The same strings in another shape of the same size. */
  reshape(shape: readonly number[]): StringTensor {
    return new StringTensor(this.data, shape);
  }
}

export function isStrings(v: unknown): v is StringTensor {
  return v instanceof StringTensor;
}

const utf8 = new TextDecoder('utf-8');
const toUtf8 = new TextEncoder();

/** The strings of a STRING TensorProto (string_data, UTF-8). */
export function stringsFromProto(t: TensorProto, what: string): StringTensor {
  if (t.external) throw new IsotensorError(`${what}: string tensors cannot be stored as external data`);
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.stringData.length !== n) {
    throw new IsotensorError(`${what}: holds ${t.stringData.length} strings but its shape (${t.dims.join(', ')}) needs ${n}`);
  }
  return new StringTensor(t.stringData.map((b) => utf8.decode(b)), t.dims);
}

/** A STRING TensorProto's fields (for writing). */
export function protoFromStrings(s: StringTensor, name: string): { name: string; dims: number[]; dataType: number; stringData: Uint8Array[] } {
  return { name, dims: s.shape, dataType: ONNX_TYPE.STRING, stringData: s.data.map((x) => toUtf8.encode(x)) };
}

/** NumPy broadcasting of two shapes, or undefined when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** For each element of `shape`, its index into an array of shape `from` broadcast to it. */
export function broadcastIndex(from: readonly number[], shape: readonly number[]): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(n);
  const strides = new Array<number>(shape.length).fill(0);
  let s = 1;
  for (let i = from.length - 1; i >= 0; i--) {
    const j = shape.length - from.length + i;
    strides[j] = from[i] === 1 ? 0 : s;
    s *= from[i]!;
  }
  for (let k = 0; k < n; k++) {
    let rest = k;
    let off = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      off += (rest % shape[d]!) * strides[d]!;
      rest = Math.floor(rest / shape[d]!);
    }
    idx[k] = off;
  }
  return idx;
}
