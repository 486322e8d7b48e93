// MXIndexedRecordIO (MXNet's mx.recordio.MXIndexedRecordIO): a record file plus its .idx of "key\toffset" lines.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf, show } from '../base/error.js';
import { nodeFs } from '../base/node_builtin.js';
import { className, MXRecordIO, type RecordData, type RecordUri } from './record_file.js';
import { FileSink, MemorySink, type ByteSink } from './storage.js';

/** Python's int() on a key (surrounding blanks and a sign allowed), refusing what is not an exact integer. */
export function parseIntKey(k: string): number {
  const t = k.trim();
  const v = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v)) {
    throw new IsotensorError(`MXIndexedRecordIO: key '${k}' is not an integer${Number.isFinite(v) ? ' below 2^53' : ''} (pass keyType to read other keys)`);
  }
  return v;
}

/**
 * A record file with an index, for random access by key: `writeIdx(key, record)` appends the record and a
 * "key\toffset" line to the .idx file (MXNet's and im2rec's layout); `readIdx(key)` reads one back.
 *
 * `idxPath` and `uri` are Node paths; elsewhere give the .idx and .rec files' bytes to read, or null to write
 * to memory and take `idxBytes()` and `bytes()`.
 *
 * @example
 * ```ts
 * const w = new mx.recordio.MXIndexedRecordIO('tmp.idx', 'tmp.rec', 'w');
 * for (let i = 0; i < 5; i++) w.writeIdx(i, `record_${i}`);
 * w.close();
 * const r = new mx.recordio.MXIndexedRecordIO('tmp.idx', 'tmp.rec', 'r');
 * new TextDecoder().decode(r.readIdx(3));  // 'record_3'
 * ```
 */
export class MXIndexedRecordIO extends MXRecordIO {
  readonly idxPath: RecordUri;
  /** Turns a key of the .idx file into a number (default: Python's int()). */
  readonly keyType: (k: string) => number;
  private keyList: number[] = [];
  private offsets = new Map<number, number>();
  private idxSink: ByteSink | null = null;
  // False while the base constructor's open() runs, before this class's fields are set.
  private indexReady = false;

  constructor(idxPath: RecordUri, uri: RecordUri, flag: 'r' | 'w', keyType: (k: string) => number = parseIntKey) {
    super(uri, flag);
    const cls = className(this);
    if (!(typeof idxPath === 'string' || idxPath instanceof Uint8Array || idxPath instanceof ArrayBuffer || (idxPath === null && flag === 'w'))) {
      this.close();
      throw new IsotensorError(`${cls}: argument 'idxPath' must be a path or the .idx file's bytes (Uint8Array, ArrayBuffer)` +
                               `${flag === 'w' ? ', or null to write to memory' : ''}, got ${kindOf(idxPath)}`);
    }
    if (typeof keyType !== 'function') {
      this.close();
      throw new IsotensorError(`${cls}: argument 'keyType' must be a function from a key's text to a number, got ${kindOf(keyType)}`);
    }
    this.idxPath = idxPath;
    this.keyType = keyType;
    this.indexReady = true;
    try {
      this.openIndex();
    } catch (e) {
      super.close();
      throw e;
    }
  }

  /** The keys in file order. */
  get keys(): number[] {
    return this.keyList;
  }

  /** Key -> byte offset of its record. */
  get idx(): Map<number, number> {
    return this.offsets;
  }

  override open(): void {
    super.open();
    if (this.indexReady) this.openIndex();
  }

  override close(): void {
    if (!this.isOpen) return;
    super.close();
    this.idxSink?.close();
  }

  private get idxLocation(): string {
    return typeof this.idxPath === 'string' ? this.idxPath : this.writable ? 'memory' : 'the given index bytes';
  }

  private openIndex(): void {
    this.keyList = [];
    this.offsets = new Map();
    const what = `${className(this)}.open`;
    if (this.writable) {
      this.idxSink = typeof this.idxPath === 'string' ? new FileSink(this.idxPath, what) : new MemorySink();
      return;
    }
    let bytes: Uint8Array;
    if (typeof this.idxPath === 'string') {
      const fs = nodeFs(`${what} of a path`, 'elsewhere pass the .idx file\'s bytes');
      try {
        bytes = fs.readFileSync(this.idxPath);
      } catch (e) {
        throw new IsotensorError(`${what}: cannot read the index ${this.idxPath}: ${(e as Error).message}`, { cause: e });
      }
    } else {
      bytes = this.idxPath instanceof Uint8Array ? this.idxPath : new Uint8Array(this.idxPath!);
    }
    new TextDecoder().decode(bytes).split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line === '') return;  // a final newline, or blank lines
      const bad = (why: string): IsotensorError => new IsotensorError(`${what}: line ${i + 1} of ${this.idxLocation} (${show(line.slice(0, 60))}) ${why}`);
      const fields = line.split('\t');
      if (fields.length < 2) throw bad('is not "key<TAB>offset"');
      let key: number;
      try {
        key = this.keyType(fields[0]!);
      } catch (e) {
        throw bad(`has a bad key: ${(e as Error).message}`);
      }
      if (typeof key !== 'number' || Number.isNaN(key)) throw bad(`has a key that keyType turned into ${show(key)}, not a number`);
      const off = /^\+?\d+$/.test(fields[1]!.trim()) ? Number(fields[1]!.trim()) : NaN;
      if (!Number.isSafeInteger(off)) throw bad('has an offset that is not a non-negative integer');
      this.offsets.set(key, off);
      this.keyList.push(key);
    });
  }

  /** Moves the reader to the record of key `idx`. */
  seek(idx: number): void {
    const what = `${className(this)}.seek`;
    this.expectOpen(what, false);
    const pos = this.offsets.get(idx);
    if (pos === undefined) throw new IsotensorError(`${what}: no record with key ${show(idx)} in ${this.idxLocation} (${this.keyList.length} keys)`);
    this.seekTo(pos, what);
  }

  /** The record of key `idx`. */
  readIdx(idx: number): Uint8Array {
    this.seek(idx);
    const rec = this.read();
    if (rec === null) throw new IsotensorError(`${className(this)}.readIdx: key ${show(idx)} points at the end of ${this.location}`);
    return rec;
  }

  /** Appends a record under key `idx` (and its line to the .idx file). */
  writeIdx(idx: number, buf: RecordData): void {
    const what = `${className(this)}.writeIdx`;
    this.expectOpen(what, true);
    const integral = this.keyType === parseIntKey;
    if (typeof idx !== 'number' || !(integral ? Number.isSafeInteger(idx) : Number.isFinite(idx))) {
      throw new IsotensorError(`${what}: argument 'idx' must be ${integral ? 'an integer below 2^53' : 'a finite number'}, got ${show(idx)}`);
    }
    const pos = this.tell();
    this.write(buf);
    this.idxSink!.write(new TextEncoder().encode(`${String(idx)}\t${pos}\n`));
    this.offsets.set(idx, pos);
    this.keyList.push(idx);
  }

  /** Write mode: the .idx file's bytes so far. */
  idxBytes(): Uint8Array {
    const what = `${className(this)}.idxBytes`;
    if (!this.writable) throw new IsotensorError(`${what}: the index is open for reading ('r'); idxBytes() gives what was written in 'w' mode`);
    return this.idxSink!.bytes();
  }
}
