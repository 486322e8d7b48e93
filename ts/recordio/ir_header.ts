// MXNet's image record header (mx.recordio.IRHeader) and unpack: no NDArray, so data workers can read records.
// SPDX-License-Identifier: Apache-2.0
//
// The header is struct 'IfQQ' (24 bytes, little-endian): flag uint32, label float32, id uint64, id2 uint64.
// flag > 0 says `flag` float32 labels follow the header (and the header's own label is 0).
import { IsotensorError, kindOf } from '../base/error.js';

/**
 * A record's header (MXNet's IRHeader): `label` is a number, or several (a Float32Array when unpacked; then
 * `flag` is how many). `id` and `id2` are uint64 in the file: exact up to 2^53 (pack also takes bigints).
 */
export interface IRHeader {
  flag: number;
  label: number | Float32Array | number[];
  id: number;
  id2: number;
}

/** The header's size in bytes (struct.calcsize('IfQQ')). */
export const IR_SIZE = 24;

/** `s` as bytes, or an IsotensorError naming `fn`. */
export function bytesArg(s: unknown, fn: string): Uint8Array {
  if (s instanceof Uint8Array) return s;
  if (s instanceof ArrayBuffer) return new Uint8Array(s);
  throw new IsotensorError(`${fn}: argument 's' must be a Uint8Array or ArrayBuffer (a record), got ${kindOf(s)}`);
}

/**
 * A record's header and the bytes after it (a view into `s`). With flag > 0 the label is a Float32Array of
 * `flag` values. Ids above 2^53 come back as the nearest number.
 * @example const [header, jpeg] = mx.recordio.unpack(rec.read()!);
 */
export function unpack(s: Uint8Array | ArrayBuffer): [IRHeader, Uint8Array] {
  const fn = 'recordio.unpack';
  const b = bytesArg(s, fn);
  if (b.length < IR_SIZE) throw new IsotensorError(`${fn}: a record holds at least the ${IR_SIZE}-byte header, got ${b.length} bytes`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const flag = dv.getUint32(0, true);
  const header: IRHeader = { flag, label: dv.getFloat32(4, true), id: Number(dv.getBigUint64(8, true)), id2: Number(dv.getBigUint64(16, true)) };
  if (flag === 0) return [header, b.subarray(IR_SIZE)];
  if (b.length < IR_SIZE + 4 * flag) {
    throw new IsotensorError(`${fn}: the header says ${flag} labels (${4 * flag} bytes) follow it, but the record has ${b.length - IR_SIZE} bytes after the header`);
  }
  const labels = new Float32Array(flag);
  for (let i = 0; i < flag; i++) labels[i] = dv.getFloat32(IR_SIZE + 4 * i, true);
  header.label = labels;
  return [header, b.subarray(IR_SIZE + 4 * flag)];
}
