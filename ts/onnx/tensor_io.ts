// mx.onnx.readTensor: a serialized TensorProto (a .pb file of a conformance case) as an NDArray.
// SPDX-License-Identifier: Apache-2.0
import type { Context } from '../base/context.js';
import { IsotensorError } from '../base/error.js';
import { nodeFs } from '../base/node_builtin.js';
import { localPath, readBytes } from '../base/read_source.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { decodeTensor } from './onnx_proto.js';
import { ndarrayFromHost, tensorFromProto } from './tensor.js';

function toArray(bytes: Uint8Array, ctx?: Context | string): NDArray {
  return ndarrayFromHost(tensorFromProto(decodeTensor(bytes), 'onnx.readTensor'), ctx);
}

/** A TensorProto from a path/URL or bytes, as an NDArray (onnx.numpy_helper.to_array). */
export async function readTensor(src: string | URL | Uint8Array | ArrayBuffer, ctx?: Context | string): Promise<NDArray> {
  if (src instanceof Uint8Array) return toArray(src, ctx);
  if (src instanceof ArrayBuffer) return toArray(new Uint8Array(src), ctx);
  return toArray(await readBytes(src, 'onnx.readTensor', 'read the bytes yourself and pass a Uint8Array'), ctx);
}

/** readTensor that blocks (a Node path, or bytes). */
export function readTensorSync(src: string | URL | Uint8Array | ArrayBuffer, ctx?: Context | string): NDArray {
  if (src instanceof Uint8Array) return toArray(src, ctx);
  if (src instanceof ArrayBuffer) return toArray(new Uint8Array(src), ctx);
  const p = localPath(src.toString(), 'onnx.readTensorSync', 'pass the bytes');
  const b = nodeFs('onnx.readTensorSync', 'elsewhere pass the bytes').readFileSync(p);
  if (b.length === 0) throw new IsotensorError(`onnx.readTensorSync: ${p} is empty`);
  return toArray(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), ctx);
}
