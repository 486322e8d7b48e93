// mx.onnx.readTensor / readValue: a serialized TensorProto, SequenceProto or OptionalProto (a .pb file
// of a conformance case) as an NDArray, an array of NDArrays, or null.
// SPDX-License-Identifier: Apache-2.0
import type { Context } from '../base/context.js';
import { expectString, IsotensorError } from '../base/error.js';
import { localPath } from '../base/read_source.js';
import { expectNDArray } from '../ndarray/invoke.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { decodeValue, encodeTensor, ONNX_TYPE, valueElemName, type ValueProto } from './onnx_proto.js';
import { isStrings, stringsFromProto, type StringTensor } from './strings.js';
import { sourceBytes, sourceBytesSync, type ModelSource } from './source.js';
import { hostFromNDArray, ndarrayFromHost, protoFromHost, tensorFromProto } from './tensor.js';

/**
 * An ONNX value as isotensor holds it: a tensor, a tensor of strings, a sequence of tensors, or an
 * empty optional (null).
 */
export type OnnxValue = NDArray | StringTensor | NDArray[] | null;

/** Which message a value file holds (the wire formats cannot be told apart reliably). */
export type OnnxValueKind = 'tensor' | 'sequence' | 'optional';

/** Options of readValue. */
export interface ReadValueOptions {
  /** The message the bytes hold (default 'tensor'): a graph input's or output's declared kind. */
  kind?: OnnxValueKind;
  ctx?: Context | string;
}

type Src = ModelSource;

function fromProto(v: ValueProto, ctx: Context | string | undefined, what: string): OnnxValue {
  if (v.kind === 'tensor') {
    return v.tensor.dataType === ONNX_TYPE.STRING ? stringsFromProto(v.tensor, what) : ndarrayFromHost(tensorFromProto(v.tensor, what), ctx);
  }
  if (v.kind === 'optional') return v.value === null ? null : fromProto(v.value, ctx, what);
  const out: NDArray[] = [];
  try {
    for (const item of v.items) {
      if (item.kind !== 'tensor') {
        throw new IsotensorError(`${what}: a sequence of ${valueElemName(v.elemType)}s is not supported (sequences of tensors only)`);
      }
      out.push(ndarrayFromHost(tensorFromProto(item.tensor, what), ctx));
    }
  } catch (e) {
    for (const a of out) a.dispose();
    throw e;
  }
  return out;
}

function valueOf(bytes: Uint8Array, opts: ReadValueOptions, what: string): OnnxValue {
  return fromProto(decodeValue(bytes, opts.kind ?? 'tensor'), opts.ctx, what);
}

function syncBytes(src: Src, fn: string): Uint8Array {
  const b = sourceBytesSync(src, fn);
  if (b.length === 0 && !(src instanceof Uint8Array || src instanceof ArrayBuffer)) {
    throw new IsotensorError(`${fn}: ${localPath(src, fn, '')} is empty`);
  }
  return b;
}

/** A TensorProto from a path/URL or bytes, as an NDArray (onnx.numpy_helper.to_array). */
export async function readTensor(src: Src, ctx?: Context | string): Promise<NDArray> {
  return numeric(valueOf(await sourceBytes(src, 'onnx.readTensor'), { ctx }, 'onnx.readTensor'), 'onnx.readTensor');
}

// readTensor's result is an NDArray: a string tensor is read with readValue.
function numeric(v: OnnxValue, fn: string): NDArray {
  if (isStrings(v)) throw new IsotensorError(`${fn}: the tensor holds strings; read it with mx.onnx.readValue (an mx.onnx.StringTensor)`);
  return v as NDArray;
}

/** readTensor that blocks (a Node path, or bytes). */
export function readTensorSync(src: Src, ctx?: Context | string): NDArray {
  return numeric(valueOf(syncBytes(src, 'onnx.readTensorSync'), { ctx }, 'onnx.readTensor'), 'onnx.readTensorSync');
}

/**
 * A TensorProto, SequenceProto or OptionalProto (`opts.kind`) from a path/URL or bytes: an NDArray,
 * an array of NDArrays, or null for an empty optional (onnx.numpy_helper.to_array/to_list/to_optional).
 * @example const xs = await mx.onnx.readValue('input_0.pb', { kind: 'sequence' });
 */
export async function readValue(src: Src, opts: ReadValueOptions = {}): Promise<OnnxValue> {
  return valueOf(await sourceBytes(src, 'onnx.readValue'), opts, 'onnx.readValue');
}

/** readValue that blocks (a Node path, or bytes). */
export function readValueSync(src: Src, opts: ReadValueOptions = {}): OnnxValue {
  return valueOf(syncBytes(src, 'onnx.readValueSync'), opts, 'onnx.readValue');
}

/**
 * An NDArray as a serialized TensorProto (onnx.numpy_helper.from_array): raw little-endian data; an
 * array of a narrow type (mx.onnx.elementType) in that type's encoding, 4- and 2-bit values packed.
 * @example writeFileSync('input_0.pb', mx.onnx.writeTensor(x, 'x'));
 */
export function writeTensor(x: NDArray, name = ''): Uint8Array {
  expectNDArray(x, 'onnx.writeTensor', "argument 'x'");
  expectString(name, 'onnx.writeTensor', 'name');
  return encodeTensor(protoFromHost(hostFromNDArray(x, name)));
}
