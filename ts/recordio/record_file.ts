// MXRecordIO (MXNet's mx.recordio.MXRecordIO): reads and writes RecordIO files record by record.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf } from '../base/error.js';
import { decodeRecord, encodeRecord } from './framing.js';
import { FileSink, FileSource, MemorySink, MemorySource, type ByteSink, type ByteSource } from './storage.js';

/** A record file: a Node path, or (read mode) its bytes; in write mode null or a byte buffer write to memory. */
export type RecordUri = string | Uint8Array | ArrayBuffer | null;
/** What a record can be given as: bytes, or a string (written as UTF-8, as MXNet's Python 2 examples do). */
export type RecordData = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** A class's name as the user wrote it (a bundler may append $N). */
export function className(o: object): string {
  return o.constructor.name.replace(/\$\d+$/, '');
}

/** `buf` as bytes, or an IsotensorError naming `what` and `arg`. */
export function recordBytes(buf: RecordData, what: string, arg: string): Uint8Array {
  if (buf instanceof Uint8Array) return buf;
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (typeof buf === 'string') return new TextEncoder().encode(buf);
  throw new IsotensorError(`${what}: argument '${arg}' must be a Uint8Array, ArrayBuffer or string, got ${kindOf(buf)}`);
}

/**
 * Reads or writes a RecordIO file (dmlc's format, as MXNet and im2rec write it) one record after another.
 *
 * In Node `uri` is a path; elsewhere read from the file's bytes, and write to memory (`uri` null) and take
 * `bytes()`. Records are bytes (`read` returns a new Uint8Array; `write` also takes strings, as UTF-8).
 *
 * @example
 * ```ts
 * const w = new mx.recordio.MXRecordIO('tmp.rec', 'w');
 * for (let i = 0; i < 5; i++) w.write(`record_${i}`);
 * w.close();
 * const r = new mx.recordio.MXRecordIO('tmp.rec', 'r');
 * new TextDecoder().decode(r.read()!);  // 'record_0'
 * ```
 */
export class MXRecordIO {
  readonly uri: RecordUri;
  readonly flag: 'r' | 'w';
  /** True in write mode. */
  readonly writable: boolean;
  isOpen = false;
  protected source: ByteSource | null = null;
  protected sink: ByteSink | null = null;
  /** Offset of the next record to read, or bytes written so far. */
  protected pos = 0;

  constructor(uri: RecordUri, flag: 'r' | 'w') {
    const cls = className(this);
    if (flag !== 'r' && flag !== 'w') throw new IsotensorError(`${cls}: flag must be 'r' (read) or 'w' (write), got ${typeof flag === 'string' ? `'${flag}'` : kindOf(flag)}`);
    const bytesGiven = uri instanceof Uint8Array || uri instanceof ArrayBuffer;
    if (!(typeof uri === 'string' || bytesGiven || (uri === null && flag === 'w'))) {
      throw new IsotensorError(`${cls}: argument 'uri' must be a path or the file's bytes (Uint8Array, ArrayBuffer)` +
                               `${flag === 'w' ? ', or null to write to memory' : ''}, got ${kindOf(uri)}`);
    }
    if (typeof uri === 'string' && uri.length === 0) throw new IsotensorError(`${cls}: argument 'uri' is an empty path`);
    this.uri = uri;
    this.flag = flag;
    this.writable = flag === 'w';
    this.open();
  }

  /** Where the records are, for messages. */
  protected get location(): string {
    return typeof this.uri === 'string' ? this.uri : this.writable ? 'memory' : 'the given bytes';
  }

  /** Opens the file (the constructor does); opening again starts over (and in write mode, empties it). */
  open(): void {
    if (this.isOpen) this.close();
    const what = `${className(this)}.open`;
    if (this.writable) {
      this.sink = typeof this.uri === 'string' ? new FileSink(this.uri, what) : new MemorySink();
    } else {
      const u = this.uri!;
      this.source = typeof u === 'string' ? new FileSource(u, what) : new MemorySource(u instanceof Uint8Array ? u : new Uint8Array(u));
    }
    this.pos = 0;
    this.isOpen = true;
  }

  /** Closes the file (writes are already on disk; in memory, `bytes()` still works). */
  close(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    if (this.writable) this.sink!.close();
    else this.source!.close();
    this.source = null;
  }

  /** Back to the first record; in write mode the file is emptied (MXNet reopens it). */
  reset(): void {
    this.close();
    this.open();
  }

  /** Appends one record. */
  write(buf: RecordData): void {
    const what = `${className(this)}.write`;
    this.expectOpen(what, true);
    const framed = encodeRecord(recordBytes(buf, what, 'buf'), what);
    this.sink!.write(framed);
    this.pos += framed.length;
  }

  /** The next record, or null after the last. */
  read(): Uint8Array | null {
    const what = `${className(this)}.read`;
    this.expectOpen(what, false);
    const rec = decodeRecord(this.source!, this.pos, what);
    if (rec === null) return null;
    this.pos = rec.next;
    return rec.data;
  }

  /** The byte offset of the next record: where the next write goes, or where the next read starts. */
  tell(): number {
    this.expectOpen(`${className(this)}.tell`);
    return this.pos;
  }

  /** Write mode: the file's bytes so far (the way to get a file written in memory). */
  bytes(): Uint8Array {
    const what = `${className(this)}.bytes`;
    if (!this.writable) throw new IsotensorError(`${what}: the record file is open for reading ('r'); bytes() gives what was written in 'w' mode`);
    if (this.sink === null) throw new IsotensorError(`${what}: nothing was written`);
    return this.sink.bytes();
  }

  /** Moves the reader to byte `pos` (a record's start). */
  protected seekTo(pos: number, what: string): void {
    this.expectOpen(what, false);
    if (!Number.isSafeInteger(pos) || pos < 0 || pos > this.source!.size) {
      throw new IsotensorError(`${what}: offset ${String(pos)} is outside ${this.location} (${this.source!.size} bytes)`);
    }
    this.pos = pos;
  }

  protected expectOpen(what: string, write?: boolean): void {
    if (!this.isOpen) throw new IsotensorError(`${what}: ${this.location} is closed (open() reopens it)`);
    if (write !== undefined && write !== this.writable) {
      throw new IsotensorError(`${what}: ${this.location} is open for ${this.writable ? "writing ('w')" : "reading ('r')"}`);
    }
  }
}
