// gluon.data.RecordFileDataset: the raw records of a RecordIO file (.rec) through its index (.idx).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf } from '../../base/error.js';
import { MXIndexedRecordIO } from '../../recordio/indexed_record_file.js';
import { NotTransferable, sharedCopy } from './describe.js';
import type { DatasetDesc } from './host/dataset_desc.js';
import type { RecordsDesc } from './host/file_sources.js';
import { Dataset } from './dataset.js';

/** A .rec file: a Node path, or the file's bytes. */
export type RecordFileSource = string | Uint8Array | ArrayBuffer;

/** MXNet's os.path.splitext(filename)[0] + '.idx'. */
function idxPathOf(filename: string): string {
  const slash = Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\'));
  const dot = filename.lastIndexOf('.');
  // Leading dots of the base name (a hidden file) do not start an extension.
  for (let k = slash + 1; k < dot; k++) if (filename[k] !== '.') return `${filename.slice(0, dot)}.idx`;
  return `${filename}.idx`;
}

/**
 * The records of a RecordIO file, in the order of its index: sample i is record `keys[i]`'s bytes
 * (MXNet's gluon.data.RecordFileDataset). The index is the .idx file next to the .rec (same name);
 * given the .rec as bytes, pass the .idx (a path or bytes) as the second argument. DataLoader workers
 * (numWorkers > 0) open the file themselves, or read one shared copy of the bytes.
 * @example const ds = new gluon.data.RecordFileDataset('data/train.rec'); const bytes = ds.at(0);
 */
export class RecordFileDataset extends Dataset {
  /** The .rec file. */
  readonly filename: RecordFileSource;
  /** The .idx file. */
  readonly idxFile: RecordFileSource;
  protected readonly record: MXIndexedRecordIO;
  /** The .rec bytes in shared memory, copied once for all loaders' workers (bytes given only). */
  private sharedRec: Uint8Array | null = null;

  constructor(filename: RecordFileSource, idxFile?: RecordFileSource) {
    super();
    const cls = this.constructor.name.replace(/\$\d+$/, '');
    if (!(typeof filename === 'string' || filename instanceof Uint8Array || filename instanceof ArrayBuffer)) {
      throw new IsotensorError(`${cls}: argument 'filename' must be a .rec path or the file's bytes, got ${kindOf(filename)}`);
    }
    if (idxFile === undefined) {
      if (typeof filename !== 'string') throw new IsotensorError(`${cls}: given the .rec file's bytes, pass the .idx file (a path or bytes) too`);
      idxFile = idxPathOf(filename);
    } else if (!(typeof idxFile === 'string' || idxFile instanceof Uint8Array || idxFile instanceof ArrayBuffer)) {
      throw new IsotensorError(`${cls}: argument 'idxFile' must be a .idx path or the file's bytes, got ${kindOf(idxFile)}`);
    }
    this.filename = filename;
    this.idxFile = idxFile;
    this.record = new MXIndexedRecordIO(idxFile, filename, 'r');
  }

  get length(): number {
    return this.record.keys.length;
  }

  /** Record `keys[i]`'s bytes. */
  at(i: number): any {
    const n = this.length;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new IsotensorError(`${this.constructor.name.replace(/\$\d+$/, '')}.at: index ${String(i)} is out of range for length ${n}`);
    }
    return this.record.readIdx(this.record.keys[i]!);
  }

  /** Data workers open the file themselves (a path) or read one shared copy of the bytes. */
  override _describe(): DatasetDesc {
    this._ownItems(RecordFileDataset.prototype.at);
    return { k: 'array', cols: [this._recordsDesc('records', 1)], length: this.length };
  }

  /** @internal NotTransferable when a subclass reads its items its own way (workers would read ours). */
  protected _ownItems(at: (i: number) => unknown): void {
    if (this.at !== at) {
      throw new NotTransferable(`${this.constructor.name.replace(/\$\d+$/, '')} overrides at() (workers rebuild only the library's datasets)`);
    }
  }

  /** @internal The record file as a column description of `kind` items. */
  protected _recordsDesc(kind: RecordsDesc['k'], flag: 0 | 1): RecordsDesc {
    const bytes = (b: Uint8Array | ArrayBuffer): Uint8Array => (b instanceof Uint8Array ? b : new Uint8Array(b));
    let rec: string | Uint8Array;
    if (typeof this.filename === 'string') {
      rec = this.filename;
    } else {
      this.sharedRec ??= sharedCopy(bytes(this.filename));
      rec = this.sharedRec;
    }
    // The index is small, and decoded as text: a private copy (TextDecoder refuses shared memory).
    const idx = typeof this.idxFile === 'string' ? this.idxFile : bytes(this.idxFile).slice();
    return {
      k: kind, rec, idx, flag, length: this.length, name: this.constructor.name.replace(/\$\d+$/, ''),
      where: typeof this.filename === 'string' ? this.filename : 'the given bytes',
    };
  }
}
