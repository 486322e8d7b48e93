// String tensors of ONNX graphs: UTF-8 values and a shape, held on the host (NDArrays hold numbers).
// SPDX-License-Identifier: Apache-2.0
//
// Sessions run the string operators (StringConcat, StringSplit, RegexFullMatch, StringNormalizer,
// Equal, LabelEncoder, ...) on them; Symbol graphs have no strings, so importModel refuses them.
import { IsotensorError } from '../base/error.js';
import type { TensorProto } from './onnx_proto.js';

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

/** The strings of a STRING TensorProto (string_data, UTF-8). */
export function stringsFromProto(t: TensorProto, what: string): StringTensor {
  if (t.external) throw new IsotensorError(`${what}: string tensors cannot be stored as external data`);
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.stringData.length !== n) {
    throw new IsotensorError(`${what}: holds ${t.stringData.length} strings but its shape (${t.dims.join(', ')}) needs ${n}`);
  }
  return new StringTensor(t.stringData.map((b) => utf8.decode(b)), t.dims);
}
