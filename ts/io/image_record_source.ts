// Which records of a .rec file an ImageRecordIter reads, in which chunks and order: dmlc's record splitters.
// SPDX-License-Identifier: Apache-2.0
//
// With an index file (dmlc's IndexedRecordIOSplitter) the records are the index's offsets in file order,
// parts are ceil(n / num_parts) records each, `shuffle` permutes the part at every rewind with
// std::mt19937(111 + seed), and each chunk holds exactly what the batch being filled still needs.
// Without one (dmlc's RecordIOSplitter) parts are byte ranges of ceil(size / num_parts) (4-byte aligned)
// holding the records that start in them, read in 64 MB chunks; `shuffle` then shuffles each chunk
// (MXNet's "legacy shuffle", done by the parser).
import { IsotensorError } from '../base/error.js';
import { localPath } from '../base/read_source.js';
import { MXIndexedRecordIO } from '../recordio/indexed_record_file.js';
import { MXRecordIO } from '../recordio/record_file.js';
import type { IterSource } from './iter_params.js';
import { readSource, sourceExists } from './iter_source.js';
import { MT19937 } from './mt19937.js';

/** dmlc's chunk size without an index (MXNet hints 64 MB). */
const CHUNK_BYTES = 64 << 20;
const RAND_MAGIC = 111;

function recUri(iter: string, src: IterSource): string | Uint8Array {
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  return localPath(src, iter, 'pass the file\'s bytes as path_imgrec instead');
}

/** The index file's offsets, sorted (dmlc reads "key offset" pairs and keeps only the offsets). */
function indexOffsets(iter: string, src: IterSource): number[] {
  const text = new TextDecoder().decode(readSource(iter, 'path_imgidx', src));
  const offsets: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '') return;
    const f = t.split(/\s+/);
    const off = Number(f[1]);
    if (f.length < 2 || !Number.isSafeInteger(off) || off < 0 || !/^\d+$/.test(f[0]!)) {
      throw new IsotensorError(`${iter}: path_imgidx line ${i + 1} '${t}' is not "index<TAB>offset"`);
    }
    offsets.push(off);
  });
  if (offsets.length === 0) throw new IsotensorError(`${iter}: path_imgidx holds no records`);
  return offsets.sort((a, b) => a - b);
}

/** The records of one part of a .rec file, handed out in chunks. */
export class RecordSource {
  /** Whether chunks are shuffled by the parser (no index file, shuffle on). */
  readonly legacyShuffle: boolean;
  /** Number of records in this part. */
  readonly length: number;
  private readonly reader: MXIndexedRecordIO;
  private readonly indexed: boolean;
  private readonly shuffle: boolean;
  /** Record numbers of this part (positions in the file's record order). */
  private readonly part: number[];
  /** Indexed: the (permuted) order and the next position; plain: the chunks and the next chunk. */
  private order: number[] = [];
  private cursor = 0;
  private nOverflow = 0;
  private readonly chunks: number[][] = [];
  private readonly rng: MT19937 | null;

  constructor(private readonly iter: string, rec: IterSource, idx: IterSource | null, numParts: number, partIndex: number,
              shuffle: boolean, seed: number, private readonly batchSize: number) {
    const uri = recUri(iter, rec);
    if (typeof uri === 'string' && !sourceExists(uri)) throw new IsotensorError(`${iter}: path_imgrec '${uri}' does not exist`);
    let offsets: number[];
    let total: number;
    if (idx !== null) {
      offsets = indexOffsets(iter, idx);
      total = -1;
    } else {
      // One pass over the file for the records' offsets (what dmlc finds by scanning for the magic word).
      let r: MXRecordIO | null = null;
      offsets = [];
      try {
        r = new MXRecordIO(uri, 'r');
        for (;;) {
          const at = r.tell();
          if (r.read() === null) break;
          offsets.push(at);
        }
        total = r.tell();
      } catch (e) {
        throw new IsotensorError(`${iter}: path_imgrec: ${(e as Error).message}`, { cause: e });
      } finally {
        r?.close();
      }
    }
    const keys = offsets.map((o, i) => `${i}\t${o}\n`).join('');
    try {
      this.reader = new MXIndexedRecordIO(new TextEncoder().encode(keys), uri, 'r');
    } catch (e) {
      throw new IsotensorError(`${iter}: path_imgrec: ${(e as Error).message}`, { cause: e });
    }
    this.indexed = idx !== null;
    this.shuffle = shuffle;
    this.legacyShuffle = shuffle && !this.indexed;
    const n = offsets.length;
    if (this.indexed) {
      const step = Math.ceil(n / numParts);
      const begin = Math.min(partIndex * step, n), end = Math.min((partIndex + 1) * step, n);
      this.part = Array.from({ length: end - begin }, (_, i) => begin + i);
    } else {
      let step = Math.ceil(total / numParts);
      step = Math.ceil(step / 4) * 4;
      const begin = Math.min(step * partIndex, total), end = Math.min(step * (partIndex + 1), total);
      this.part = [];
      offsets.forEach((o, i) => { if (o >= begin && o < end) this.part.push(i); });
      // 64 MB chunks of whole records.
      let cur: number[] = [];
      let start = 0;
      for (const i of this.part) {
        const recEnd = i + 1 < n ? offsets[i + 1]! : total;
        if (cur.length > 0 && recEnd - start > CHUNK_BYTES) {
          this.chunks.push(cur);
          cur = [];
        }
        if (cur.length === 0) start = offsets[i]!;
        cur.push(i);
      }
      if (cur.length > 0) this.chunks.push(cur);
    }
    this.length = this.part.length;
    this.rng = shuffle ? new MT19937(RAND_MAGIC + seed) : null;
    this.beforeFirst();
  }

  /** Back to the start of the part (indexed + shuffle: a new permutation). */
  beforeFirst(): void {
    if (this.indexed) {
      this.order = [...this.part];
      if (this.shuffle) this.rng!.shuffle(this.order);
    }
    this.cursor = 0;
  }

  /** The next chunk's record numbers, or null at the end; `legacyShuffle` chunks come shuffled with the parser's engine. */
  nextChunk(): number[] | null {
    if (this.indexed) {
      const n = this.nOverflow === 0 ? this.batchSize : this.nOverflow;
      const got = this.order.slice(this.cursor, this.cursor + n);
      if (got.length === 0) return null;
      this.cursor += got.length;
      this.nOverflow = n - got.length;
      return got;
    }
    if (this.cursor >= this.chunks.length) return null;
    return [...this.chunks[this.cursor++]!];
  }

  /** Shuffles a chunk with the parser's engine (legacy shuffle). */
  shuffleChunk<T>(items: T[]): void {
    this.rng!.shuffle(items);
  }

  /** The bytes of record `i` (a record number from a chunk). */
  read(i: number): Uint8Array {
    return this.reader.readIdx(i);
  }

  close(): void {
    this.reader.close();
  }

  get name(): string {
    return this.iter;
  }
}
