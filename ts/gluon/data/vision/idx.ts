// IDX files (the MNIST format): big-endian header with type and dims, then the values; gzip detected.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../../../base/error.js';
import { hostTensor, valueArray, type HostTensor } from '../host/host_tensor.js';
import type { DType } from '../../../base/dtype.js';

const TYPES: Record<number, { dtype: DType; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/** Whether bytes start with the gzip magic number. */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Parses an (uncompressed) IDX file into a HostTensor; `shared` puts the values in shared memory
 * (one copy for every data worker). `name` is used in errors.
 */
export function parseIdx(bytes: Uint8Array, name: string, shared = false): HostTensor {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IsotensorError(`IDX file ${name}: not an IDX file (bad magic number)`);
  }
  const type = TYPES[bytes[2]!];
  if (type === undefined) throw new IsotensorError(`IDX file ${name}: unknown element type 0x${bytes[2]!.toString(16)}`);
  const ndim = bytes[3]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw new IsotensorError(`IDX file ${name}: truncated header`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - header !== n * type.bytes) {
    throw new IsotensorError(`IDX file ${name}: shape (${shape.join(', ')}) needs ${n * type.bytes} data bytes, ` +
                             `the file has ${bytes.length - header}`);
  }
  const out = valueArray(type.dtype, n, shared);
  if (type.bytes === 1) {
    (out as Uint8Array).set(type.dtype === 'uint8' ? bytes.subarray(header) : new Int8Array(bytes.buffer, bytes.byteOffset + header, n) as never);
  } else {
    const o = out as Float64Array;
    for (let i = 0; i < n; i++) {
      const p = header + i * type.bytes;
      o[i] = type.dtype === 'int16' ? view.getInt16(p, false) : type.dtype === 'int32' ? view.getInt32(p, false)
        : type.dtype === 'float32' ? view.getFloat32(p, false) : view.getFloat64(p, false);
    }
  }
  return hostTensor(out, shape, type.dtype);
}
