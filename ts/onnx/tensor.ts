// ONNX TensorProto <-> host tensors and NDArrays (what numpy_helper.to_array/from_array do).
// SPDX-License-Identifier: Apache-2.0
import { backend } from '../backend/runtime.js';
import { toContext, type Context } from '../base/context.js';
import {
  allocStorage, dtypeFlag, floatToBFloat16Bits, floatToHalfBits, type DataArray, type DType,
} from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
import { expectNDArray } from '../ndarray/invoke.js';
import { NDArray } from '../ndarray/ndarray.js';
import { decodeNarrow, encodeNarrow, narrowOf, narrowType, tagNarrow, type NarrowType } from './narrow.js';
import { ONNX_TYPE, type TensorProto } from './onnx_proto.js';

const DTYPE_OF_ONNX: Readonly<Record<number, DType>> = {
  [ONNX_TYPE.FLOAT]: 'float32', [ONNX_TYPE.UINT8]: 'uint8', [ONNX_TYPE.INT8]: 'int8', [ONNX_TYPE.UINT16]: 'uint16',
  [ONNX_TYPE.INT16]: 'int16', [ONNX_TYPE.INT32]: 'int32', [ONNX_TYPE.INT64]: 'int64', [ONNX_TYPE.BOOL]: 'bool',
  [ONNX_TYPE.FLOAT16]: 'float16', [ONNX_TYPE.DOUBLE]: 'float64', [ONNX_TYPE.UINT32]: 'uint32',
  [ONNX_TYPE.UINT64]: 'uint64', [ONNX_TYPE.BFLOAT16]: 'bfloat16',
};

const ONNX_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ONNX_TYPE).map(([k, v]) => [v, k.toLowerCase()]));

/** The dtype of an ONNX element type; throws for types NDArrays cannot hold (strings, complex, narrow). */
export function dtypeOfOnnx(t: number, what: string): DType {
  const d = DTYPE_OF_ONNX[t];
  if (d === undefined) {
    const narrow = narrowType(t) !== undefined ? ` here (only Cast, CastLike, QuantizeLinear, DequantizeLinear and ops that ` +
      'move values take it, held widened)' : ' (NDArrays hold bool, (u)int8-64, float16, bfloat16, float32 and float64)';
    throw new IsotensorError(`${what}: ONNX element type ${ONNX_TYPE_NAMES[t] ?? t} is not supported${narrow}`);
  }
  return d;
}

/** The dtype an ONNX element type is held in: its own, or a narrow type's carrier (narrow.ts). */
export function carrierOfOnnx(t: number, what: string): DType {
  return narrowType(t)?.carrier ?? dtypeOfOnnx(t, what);
}

/** The name of an ONNX element type number ('float', 'int64', 'float8e4m3fn', ...). */
export function onnxTypeName(t: number): string {
  return ONNX_TYPE_NAMES[t] ?? String(t);
}

/** The ONNX element type of a dtype. */
export function onnxTypeOf(d: DType): number {
  for (const [k, v] of Object.entries(DTYPE_OF_ONNX)) if (v === d) return Number(k);
  throw new IsotensorError(`onnx: dtype ${d} has no ONNX element type`);
}

/**
 * The ONNX element type name of an array a session or readTensor returned: 'float8e4m3fn', 'int4', ...
 * for the narrow types held widened (float32, int8 or uint8 arrays), else its dtype's ONNX name
 * ('float', 'int64', 'float16', ...).
 * @example mx.onnx.elementType(session.run(feeds).y)  // 'float8e4m3fn'
 */
export function elementType(x: NDArray): string {
  expectNDArray(x, 'onnx.elementType', "argument 'x'");
  return narrowOf(x)?.name ?? onnxTypeName(onnxTypeOf(x.dtype));
}

/** A tensor's values in storage layout (float16/bfloat16 as raw bits), dtype and shape. */
export interface HostTensor {
  name: string;
  dtype: DType;
  shape: number[];
  storage: DataArray;
  /** A narrow ONNX type whose values `storage` holds widened (dtype is its carrier). */
  narrow?: NarrowType;
}

/** Reads external tensor data (`location`, `offset`, `length`); supplied by the loader of a model file. */
export type ExternalDataReader = (location: string, offset: number, length: number | undefined) => Uint8Array;

/** The values of a TensorProto (raw_data or the typed fields), as a HostTensor. */
export function tensorFromProto(t: TensorProto, what: string, external?: ExternalDataReader): HostTensor {
  const label = t.name !== '' ? `${what} '${t.name}'` : what;
  const dtype = carrierOfOnnx(t.dataType, label);
  const shape = t.dims.slice();
  const n = shape.reduce((a, b) => a * b, 1);
  const out = allocStorage(dtype, n);
  let raw = t.rawData;
  if (t.external) {
    const loc = t.externalData['location'];
    if (loc === undefined) throw new IsotensorError(`${label}: external data without a location`);
    if (external === undefined) {
      throw new IsotensorError(`${label}: its data is in the external file '${loc}'; load the model from a path ` +
                               '(Node) or pass options.externalData to read it');
    }
    const len = t.externalData['length'];
    raw = external(loc, Number(t.externalData['offset'] ?? 0), len === undefined ? undefined : Number(len));
  }
  const narrow = narrowType(t.dataType);
  if (narrow !== undefined) {
    // Codes are packed in raw_data, or one byte (of codes) per int32_data entry.
    const bytes = raw ?? Uint8Array.from(t.int32Data, (v) => v & 0xff);
    const values = decodeNarrow(narrow, bytes, n, label);
    for (let i = 0; i < n; i++) (out as Float64Array)[i] = values[i]!;
    return { name: t.name, dtype, shape, storage: out, narrow };
  }
  if (raw !== undefined) {
    const bytes = out.BYTES_PER_ELEMENT * n;
    if (raw.length !== bytes) {
      throw new IsotensorError(`${label}: raw_data holds ${raw.length} bytes but ${dtype} (${shape.join(', ')}) ` +
                               `needs ${bytes}`);
    }
    // Copy through bytes: raw_data is little-endian and may be unaligned inside the file.
    new Uint8Array(out.buffer, out.byteOffset, bytes).set(raw);
    return { name: t.name, dtype, shape, storage: out };
  }
  const src: ArrayLike<number | bigint> =
    dtype === 'float32' ? t.floatData
      : dtype === 'float64' ? t.doubleData
        : dtype === 'int64' ? t.int64Data
          : dtype === 'uint32' || dtype === 'uint64' ? t.uint64Data
            : t.int32Data; // (u)int8/16, int32, bool, and float16/bfloat16 as their bits
  if (src.length !== n) {
    throw new IsotensorError(`${label}: holds ${src.length} values but its shape (${shape.join(', ')}) needs ${n}`);
  }
  if (dtype === 'int64' || dtype === 'uint64') {
    for (let i = 0; i < n; i++) (out as BigInt64Array)[i] = src[i] as bigint;
  } else if (dtype === 'uint32') {
    for (let i = 0; i < n; i++) (out as Uint32Array)[i] = Number(src[i]);
  } else {
    for (let i = 0; i < n; i++) (out as Float64Array)[i] = Number(src[i]);
  }
  return { name: t.name, dtype, shape, storage: out };
}

/** An NDArray holding a host tensor's values (tagged with its narrow type, if any). */
export function ndarrayFromHost(t: HostTensor, ctx?: Context | string): NDArray {
  const b = backend();
  const c = toContext(ctx);
  const x = new NDArray(b.create(t.shape, dtypeFlag(t.dtype), c.deviceTypeId, c.deviceId), b);
  try {
    if (t.storage.length > 0) b.copyFrom(x.handle, t.storage);
  } catch (e) {
    x.dispose();
    throw e;
  }
  return t.narrow !== undefined ? tagNarrow(x, t.narrow) : x;
}

/** A host tensor with an NDArray's values (waits for pending writes). */
export function hostFromNDArray(x: NDArray, name: string): HostTensor {
  const values = x.dataSync<DType>();
  let storage: DataArray = values;
  if (x.dtype === 'float16' || x.dtype === 'bfloat16') {
    const bits = new Uint16Array(values.length);
    const f = x.dtype === 'float16' ? floatToHalfBits : floatToBFloat16Bits;
    for (let i = 0; i < values.length; i++) bits[i] = f(values[i] as number);
    storage = bits;
  }
  const narrow = narrowOf(x);
  return { name, dtype: x.dtype, shape: x.shape, storage, ...(narrow !== undefined ? { narrow } : {}) };
}

/** A TensorProto's fields for encoding: raw little-endian bytes. */
export function protoFromHost(t: HostTensor): { name: string; dims: number[]; dataType: number; rawData: Uint8Array } {
  const s = t.storage;
  if (t.narrow !== undefined) {
    return { name: t.name, dims: t.shape, dataType: t.narrow.code, rawData: encodeNarrow(t.narrow, s as ArrayLike<number>, `onnx tensor '${t.name}'`) };
  }
  return {
    name: t.name, dims: t.shape, dataType: onnxTypeOf(t.dtype),
    rawData: new Uint8Array(s.buffer, s.byteOffset, s.byteLength),
  };
}
