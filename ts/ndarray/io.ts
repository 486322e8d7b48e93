// Save/load in MXNet's binary NDArray list format: bytes anywhere, files and URLs where available.
// SPDX-License-Identifier: Apache-2.0
import { assertCanBlock, backend } from '../backend/runtime.js';
import { IsotensorError, kindOf } from '../base/error.js';
import { nodeFs } from '../base/node_builtin.js';
import { localPath, readBytes } from '../base/read_source.js';
import { NDArray } from './ndarray.js';

// What to do instead when a URL scheme cannot be read or written here.
const LOAD_HINT = 'read the bytes with your storage client and pass them to nd.load() or nd.deserialize()';
const SAVE_HINT = 'write the bytes of nd.serialize(data) with your storage client';

/** What save/serialize take and load/deserialize give: a list, or a name → array dict. */
export type NDArrayCollection = NDArray[] | Record<string, NDArray>;

/** Byte sources nd.load reads. */
export type ByteSource = Uint8Array | ArrayBuffer | ArrayBufferView | Response;

function requireFs(what: string): typeof import('node:fs') {
  return nodeFs(what, 'in browsers and other runtimes use nd.serialize(data) → Uint8Array and nd.deserialize(bytes)');
}

function splitCollection(data: NDArrayCollection | NDArray, what: string): { arrays: NDArray[]; keys: string[] | null } {
  if (data instanceof NDArray) return { arrays: [data], keys: null };
  if (Array.isArray(data)) {
    for (const [i, a] of data.entries()) {
      if (!(a instanceof NDArray)) throw new IsotensorError(`${what}: element ${i} is not an NDArray`);
    }
    return { arrays: data, keys: null };
  }
  if (data === null || typeof data !== 'object') {
    throw new IsotensorError(`${what}: expected a list of NDArrays or a {name: NDArray} dict`);
  }
  const keys = Object.keys(data);
  const arrays = keys.map((k) => {
    const a = (data as Record<string, unknown>)[k];
    if (!(a instanceof NDArray)) throw new IsotensorError(`${what}: '${k}' is not an NDArray`);
    return a;
  });
  return { arrays, keys };
}

function toBytes(v: Uint8Array | ArrayBuffer | ArrayBufferView, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const buf: unknown = v;
  if (buf instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer)) {
    return new Uint8Array(buf);
  }
  throw new IsotensorError(`${what}: argument 'bytes' must be a Uint8Array, ArrayBuffer or typed array, got ` +
                           `${kindOf(v)}`);
}

function fromLoaded(b: ReturnType<typeof backend>, res: { arrays: number[]; keys: string[] }): NDArrayCollection {
  const arrays = res.arrays.map((h) => new NDArray(h, b));
  if (res.keys.length === 0) return arrays;
  const dict: Record<string, NDArray> = {};
  res.keys.forEach((k, i) => {
    dict[k] = arrays[i]!;
  });
  return dict;
}

/**
 * The arrays in MXNet's binary format (what `nd.save` writes). Waits for pending writes.
 * @example const bytes = nd.serialize({ a, b });
 */
export function serialize(data: NDArrayCollection | NDArray): Uint8Array {
  const { arrays, keys } = splitCollection(data, 'nd.serialize');
  const b = arrays[0]?.backend ?? backend();
  assertCanBlock(b, 'nd.serialize()', 'await nd.serializeAsync()');
  return b.save(arrays.map((a) => a.handle), keys);
}

/**
 * Non-blocking twin of serialize: waits for the arrays without blocking, then writes the bytes.
 * @example const bytes = await nd.serializeAsync([a, b]);
 */
export async function serializeAsync(data: NDArrayCollection | NDArray): Promise<Uint8Array> {
  const { arrays, keys } = splitCollection(data, 'nd.serializeAsync');
  for (const a of arrays) await a.ready();
  const b = arrays[0]?.backend ?? backend();
  return b.save(arrays.map((a) => a.handle), keys);
}

/**
 * Arrays from MXNet's binary format: a list, or a dict when the file has names.
 * @example const { a, b } = nd.deserialize<Record<string, NDArray>>(bytes);
 */
export function deserialize<T extends NDArrayCollection = NDArrayCollection>(
  bytes: Uint8Array | ArrayBuffer | ArrayBufferView): T {
  const b = backend();
  return fromLoaded(b, b.load(toBytes(bytes, 'nd.deserialize'))) as T;
}

/**
 * Writes arrays to a file in MXNet's format (Node). Resolves once the file is written.
 * @example await nd.save('mydata.bin', [a, b]); await nd.save('mydata.bin', { a, b });
 */
export async function save(path: string | URL, data: NDArrayCollection | NDArray): Promise<void> {
  const p = localPath(path, 'nd.save', SAVE_HINT);
  const fs = requireFs('nd.save');
  await fs.promises.writeFile(p, await serializeAsync(data));
}

/**
 * Blocking twin of nd.save (Node).
 * @example nd.saveSync('mydata.bin', [a, b]);
 */
export function saveSync(path: string | URL, data: NDArrayCollection | NDArray): void {
  const p = localPath(path, 'nd.saveSync', SAVE_HINT);
  const fs = requireFs('nd.saveSync');
  fs.writeFileSync(p, serialize(data));
}

async function readSource(src: string | URL | ByteSource): Promise<Uint8Array> {
  if (typeof src === 'string' || src instanceof URL) return readBytes(src, 'nd.load', LOAD_HINT);
  if (typeof (src as Response).arrayBuffer === 'function' && !(src instanceof ArrayBuffer) && !ArrayBuffer.isView(src)) {
    return new Uint8Array(await (src as Response).arrayBuffer());
  }
  return toBytes(src as Uint8Array | ArrayBuffer | ArrayBufferView, 'nd.load');
}



/**
 * Reads arrays saved by nd.save or MXNet: from a Node path, a file:// or http(s):// URL, bytes
 * (Uint8Array/ArrayBuffer) or a fetch Response. A list, or a dict when the file has names.
 * @example const c = await nd.load<NDArray[]>('mydata.bin'); c[0]
 */
export async function load<T extends NDArrayCollection = NDArrayCollection>(
  source: string | URL | ByteSource): Promise<T> {
  return deserialize<T>(await readSource(source));
}

/**
 * Blocking twin of nd.load for Node paths and file:// URLs.
 * @example const c = nd.loadSync<Record<string, NDArray>>('mydata.bin');
 */
export function loadSync<T extends NDArrayCollection = NDArrayCollection>(path: string | URL): T {
  const p = localPath(path, 'nd.loadSync', LOAD_HINT);
  const fs = requireFs('nd.loadSync');
  return deserialize<T>(fs.readFileSync(p));
}
