// gluon.data.RecordFileDataset: the raw records of a RecordIO file (.rec) through its index (.idx).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf } from '../../base/error.js';
import { MXIndexedRecordIO } from '../../recordio/indexed_record_file.js';
import { NotTransferable } from './describe.js';
import type { DatasetDesc } from './host/dataset_desc.js';
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
 * given the .rec as bytes, pass the .idx (a path or bytes) as the second argument.
 * @example const ds = new gluon.data.RecordFileDataset('data/train.rec'); const bytes = ds.at(0);
 */
export class RecordFileDataset extends Dataset {
  /** The .rec file. */
  readonly filename: RecordFileSource;
  /** The .idx file. */
  readonly idxFile: RecordFileSource;
  protected readonly record: MXIndexedRecordIO;

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

  override _describe(): DatasetDesc {
    throw new NotTransferable(`${this.constructor.name.replace(/\$\d+$/, '')} reads its record file on the calling thread ` +
                              '(data workers do not open record files)');
  }
}
