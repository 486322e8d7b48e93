// The dmlc RecordIO framing (dmlc-core recordio.{h,cc}): magic, lrec = cflag << 29 | length, data, zero padding.
// SPDX-License-Identifier: Apache-2.0
//
// A record whose data holds the magic word at a 4-byte-aligned offset is stored in parts split at each such
// word (cflag 1 first, 2 middle, 3 last; 0 for a record in one part), the word itself left out: so a reader
// that lost its place can resynchronise on the magic word. The reader puts the word back between parts.
import { IsotensorError } from '../base/error.js';
import type { ByteSource } from './storage.js';

/** The word that opens every part of a record (little-endian in the file: 0a 23 d7 ce). */
export const MAGIC = 0xced7230a;
/** dmlc's limit: a record's length must fit the 29 bits of lrec. */
export const MAX_RECORD_LENGTH = 2 ** 29 - 1;

const align4 = (n: number): number => (n + 3) & ~3;

function isMagicAt(data: Uint8Array, i: number): boolean {
  return data[i] === 0x0a && data[i + 1] === 0x23 && data[i + 2] === 0xd7 && data[i + 3] === 0xce;
}

/** The bytes dmlc's RecordIOWriter::WriteRecord writes for `data`. `what` names the caller for errors. */
export function encodeRecord(data: Uint8Array, what: string): Uint8Array {
  const len = data.length;
  if (len > MAX_RECORD_LENGTH) {
    throw new IsotensorError(`${what}: a record must be shorter than 2^29 bytes (RecordIO's limit), got ${len} bytes`);
  }
  // Split points: each magic word at an aligned offset (only below len & ~3, as dmlc scans).
  const cuts: number[] = [];
  const lowerAlign = len & ~3;
  for (let i = 0; i < lowerAlign; i += 4) if (isMagicAt(data, i)) cuts.push(i);
  // Every part but the last is a multiple of 4 long (both ends are aligned): only the last is padded.
  const out = new Uint8Array(8 * (cuts.length + 1) + align4(len) - 4 * cuts.length);
  const view = new DataView(out.buffer);
  let at = 0;
  let from = 0;
  const part = (cflag: number, end: number): void => {
    view.setUint32(at, MAGIC, true);
    view.setUint32(at + 4, ((cflag << 29) | (end - from)) >>> 0, true);
    out.set(data.subarray(from, end), at + 8);
    at += 8 + align4(end - from);
  };
  for (const c of cuts) {
    part(at === 0 ? 1 : 2, c);
    from = c + 4;
  }
  part(cuts.length > 0 ? 3 : 0, len);
  return out;
}

/** A record read back: its data and the offset of the record after it. */
export interface ReadRecord {
  data: Uint8Array;
  next: number;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/**
 * The record starting at byte `pos` of `src`, or null when `pos` is the end. A truncated or corrupt record is an
 * IsotensorError naming `what` (the caller), the file and the byte offset.
 */
export function decodeRecord(src: ByteSource, pos: number, what: string): ReadRecord | null {
  if (pos >= src.size) return null;
  const start = pos;
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const bad = (why: string): IsotensorError =>
      new IsotensorError(`${what}: ${src.name} is not a valid RecordIO file: ${why} (record at byte offset ${start}` +
                         `${pos !== start ? `, part at byte offset ${pos}` : ''}; the file has ${src.size} bytes)`);
    if (src.size - pos < 8) throw bad(`truncated: ${src.size - pos} bytes left where an 8-byte part header should be`);
    const head = src.read(pos, 8);
    const dv = new DataView(head.buffer, head.byteOffset, 8);
    const magic = dv.getUint32(0, true);
    if (magic !== MAGIC) throw bad(`found ${hex(magic)} where the magic word ${hex(MAGIC)} should be`);
    const lrec = dv.getUint32(4, true);
    const cflag = lrec >>> 29;
    const len = lrec & MAX_RECORD_LENGTH;
    const first = parts.length === 0;
    if (cflag > 3 || (first ? cflag > 1 : cflag < 2)) {
      throw bad(`part flag ${cflag} ${first ? 'opening a record (0 or 1 expected)' : 'continuing a record (2 or 3 expected)'}`);
    }
    const padded = align4(len);
    if (src.size - pos - 8 < padded) throw bad(`truncated: the part needs ${padded} bytes of data, ${src.size - pos - 8} are left`);
    parts.push(src.read(pos + 8, len));
    total += len;
    pos += 8 + padded;
    if (cflag === 0 || cflag === 3) break;
    total += 4;
  }
  if (parts.length === 1) return { data: parts[0]!, next: pos };
  const data = new Uint8Array(total);
  const dv = new DataView(data.buffer);
  let at = 0;
  parts.forEach((p, i) => {
    if (i > 0) {
      dv.setUint32(at, MAGIC, true);
      at += 4;
    }
    data.set(p, at);
    at += p.length;
  });
  return { data, next: pos };
}
