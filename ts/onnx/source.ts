// Where ONNX bytes come from: a path or URL (async), a Node path (sync), or bytes in memory.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { nodeBuiltin, nodeFs } from '../base/node_builtin.js';
import { localPath, readBytes } from '../base/read_source.js';
import { decodeModel, type ModelProto } from './onnx_proto.js';
import type { ExternalDataReader } from './tensor.js';

/** A model: a Node path, a file:// or http(s):// URL, the file's bytes, or an already decoded model. */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;

/** A decoded model and how to read its external tensor data (beside a model file, in Node). */
export interface LoadedModel {
  model: ModelProto;
  external?: ExternalDataReader;
}

function externalBeside(modelPath: string): ExternalDataReader | undefined {
  const path = nodeBuiltin<typeof import('node:path')>('node:path');
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');
  if (path === null || fs === null) return undefined;
  const dir = path.dirname(modelPath);
  return (location, offset, length) => {
    const file = path.resolve(dir, location);
    if (path.relative(dir, file).startsWith('..')) {
      throw new IsotensorError(`onnx: external data location '${location}' points outside the model's folder`);
    }
    const all = fs.readFileSync(file);
    const end = length === undefined ? all.length : offset + length;
    if (end > all.length) throw new IsotensorError(`onnx: external data '${location}' is shorter than offset + length (${end})`);
    return new Uint8Array(all.buffer, all.byteOffset + offset, end - offset);
  };
}

function asBytes(src: Uint8Array | ArrayBuffer): Uint8Array {
  return src instanceof Uint8Array ? src : new Uint8Array(src);
}

/** The bytes of a source: a path or URL read (fetched for http(s)), bytes passed through. */
export async function sourceBytes(src: ModelSource, what: string): Promise<Uint8Array> {
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) return asBytes(src);
  return readBytes(src, what, 'read the bytes yourself and pass a Uint8Array');
}

/** sourceBytes that blocks (a Node path, or bytes anywhere). */
export function sourceBytesSync(src: ModelSource, what: string): Uint8Array {
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) return asBytes(src);
  const p = localPath(src, what, 'use the async form, or pass the bytes');
  const b = nodeFs(what, 'elsewhere pass the bytes or use the async form').readFileSync(p);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Reads and decodes a model (any source). */
export async function loadModel(src: ModelSource, what: string): Promise<LoadedModel> {
  const model = decodeModel(await sourceBytes(src, what));
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) return { model };
  const s = src.toString();
  const isRemote = /^https?:\/\//i.test(s) || nodeBuiltin('node:fs') === null;
  return { model, external: isRemote ? undefined : externalBeside(localPath(s, what, '')) };
}

/** loadModel that blocks (a Node path, or bytes anywhere). */
export function loadModelSync(src: ModelSource, what: string): LoadedModel {
  const model = decodeModel(sourceBytesSync(src, what));
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) return { model };
  return { model, external: externalBeside(localPath(src, what, '')) };
}
