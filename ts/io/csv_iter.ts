// CSVIter: MXNet's C++ CSV iterator (src/io/iter_csv.cc behind its BatchLoader), as mx.io.CSVIter.
// SPDX-License-Identifier: Apache-2.0
//
// Each CSV row is one example reshaped to `data_shape` (and, from `label_csv`, one label of
// `label_shape`; without it every label is 0). Batching is MXNet's BatchLoader: with round_batch
// (default) the last batch is filled from the start of the data and `pad` says how many were
// added, and the reset() after such a batch does not rewind, so the next epoch goes on after the
// examples already used; without round_batch the last batch keeps the previous batch's values in its
// `pad` trailing slots. A (B, 1) label comes out as (B,), as MXNet's MXDataIterGetLabel makes it.
import { IsotensorError } from '../base/error.js';
import { array } from '../ndarray/creation.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { BatchBuildingIter } from './batch_building_iter.js';
import { DataBatch } from './data_batch.js';
import { DataDesc } from './data_desc.js';
import { BATCH_PARAMS, COMMON_PARAMS, iterParams, type IterSource, type ParamSpec } from './iter_params.js';
import { readSources, sourceName } from './iter_source.js';

/** Parameters of CSVIter (MXNet's names; camelCase or snake_case keys). */
export interface CSVIterOptions {
  /** The data CSV: a path, a folder of CSV files (read in name order), its text, or its bytes. */
  dataCsv?: IterSource;
  data_csv?: IterSource;
  /** Shape of one example (a row holds its product of values). */
  dataShape?: number[];
  data_shape?: number[];
  /** The label CSV (default: none, every label 0). */
  labelCsv?: IterSource | null;
  label_csv?: IterSource | null;
  /** Shape of one label (default [1]). */
  labelShape?: number[];
  label_shape?: number[];
  batchSize?: number;
  batch_size?: number;
  /** Fill the last batch from the start (default true). */
  roundBatch?: boolean;
  round_batch?: boolean;
  /** 'float32' (default), 'int32' or 'int64'. */
  dtype?: 'float32' | 'int32' | 'int64';
  dataName?: string;
  data_name?: string;
  labelName?: string;
  label_name?: string;
  prefetchBuffer?: number;
  prefetch_buffer?: number;
  ctx?: 'cpu' | 'gpu';
}

const NAME = 'CSVIter';

const SPECS: readonly ParamSpec[] = [
  { name: 'data_csv', kind: 'source' },
  { name: 'data_shape', kind: 'shape' },
  { name: 'label_csv', kind: 'source', default: null },
  { name: 'label_shape', kind: 'shape', default: [1] },
  ...BATCH_PARAMS,
  { name: 'dtype', kind: 'string', default: 'float32', oneOf: ['float32', 'int32', 'int64'] },
  ...COMMON_PARAMS,
];

type CsvDType = 'float32' | 'int32' | 'int64';

/** A text source given as a string is the CSV itself when it has a comma or a line break, else a path. */
function csvSources(param: string, src: IterSource): Uint8Array[] {
  if (typeof src === 'string' && /[,\n]/.test(src)) return [new TextEncoder().encode(src)];
  return readSources(NAME, param, src, true);
}

/** All rows of the files, each checked to hold `size` values, flattened. */
function parseCsv(param: string, files: Uint8Array[], size: number, dtype: CsvDType, what: string): Float64Array {
  const values: number[] = [];
  const dec = new TextDecoder();
  files.forEach((bytes, f) => {
    const lines = dec.decode(bytes).split(/\r\n|\n|\r/);
    lines.forEach((line, l) => {
      if (line.trim() === '') return;
      const fields = line.split(',');
      // A trailing comma ends the row (dmlc's parser stops at the line end).
      if (fields.length > 1 && fields[fields.length - 1]!.trim() === '') fields.pop();
      const where = `${param}${files.length > 1 ? ` file ${f + 1}` : ''} line ${l + 1}`;
      if (fields.length !== size) {
        throw new IsotensorError(`${NAME}: ${where} has ${fields.length} values but ${what} needs ${size} ` +
                                 '(the data size in CSV does not match the size of the shape)');
      }
      for (const [i, s] of fields.entries()) {
        const t = s.trim();
        const v = t === '' ? NaN : Number(t);
        if (Number.isNaN(v) && !/^[+-]?nan$/i.test(t)) {
          throw new IsotensorError(`${NAME}: ${where} value ${i + 1} '${t}' is not a number`);
        }
        // strtol for the integer types: the integer part.
        values.push(dtype === 'float32' ? v : Math.trunc(v));
      }
    });
  });
  return Float64Array.from(values);
}

/**
 * Iterates over rows of CSV files in batches, as MXNet's mx.io.CSVIter.
 * @example
 * ```ts
 * const it = new mx.io.CSVIter({ data_csv: 'data.csv', data_shape: [3], batch_size: 2 });
 * for (const batch of it) console.log(batch.data[0].toString());
 * ```
 */
export class CSVIter extends BatchBuildingIter {
  protected readonly iterName = NAME;
  readonly dataShape: number[];
  readonly labelShape: number[];
  readonly roundBatch: boolean;
  readonly dtype: CsvDType;
  readonly dataName: string;
  readonly labelName: string;
  /** Number of examples (CSV rows). */
  readonly numExamples: number;
  private readonly data: Float64Array;
  private readonly label: Float64Array | null;
  private readonly dataSize: number;
  private readonly labelSize: number;
  // The batch being filled, reused as MXNet's loader does (stale values stay in unfilled slots).
  private readonly dataBuf: Float64Array;
  private readonly labelBuf: Float64Array;
  private readonly indexBuf: number[];
  /** The next example to read. */
  private pos = 0;
  private end = false;
  /** Examples read from the start to fill the last batch (round_batch). */
  private numOverflow = 0;

  constructor(opts: CSVIterOptions) {
    const p = iterParams(NAME, SPECS, opts);
    super(p.batch_size as number);
    this.dataShape = p.data_shape as number[];
    this.labelShape = p.label_shape as number[];
    this.roundBatch = p.round_batch as boolean;
    this.dtype = p.dtype as CsvDType;
    this.dataName = p.data_name as string;
    this.labelName = p.label_name as string;
    this.dataSize = this.dataShape.reduce((a, b) => a * b, 1);
    this.labelSize = this.labelShape.reduce((a, b) => a * b, 1);
    this.data = parseCsv('data_csv', csvSources('data_csv', p.data_csv as IterSource), this.dataSize, this.dtype,
                         `data_shape (${this.dataShape.join(', ')})`);
    this.numExamples = this.data.length / this.dataSize;
    // MXNet's default is the string "NULL".
    if (p.label_csv === null || p.label_csv === 'NULL') {
      this.label = null;
      if (this.labelSize !== 1) {
        // MXNet's dummy label has one value whatever label_shape says.
        throw new IsotensorError(`${NAME}: label_shape (${this.labelShape.join(', ')}) needs a label_csv (without one every label is a single 0)`);
      }
    } else {
      this.label = parseCsv('label_csv', csvSources('label_csv', p.label_csv as IterSource), this.labelSize, this.dtype,
                            `label_shape (${this.labelShape.join(', ')})`);
      const nl = this.label.length / this.labelSize;
      if (nl < this.numExamples) {
        throw new IsotensorError(`${NAME}: label_csv ${sourceName(p.label_csv as IterSource)} has ${nl} rows but data_csv has ${this.numExamples}`);
      }
    }
    if (this.numExamples === 0) throw new IsotensorError(`${NAME}: data_csv ${sourceName(p.data_csv as IterSource)} holds no rows`);
    this.dataBuf = new Float64Array(this.batchSize * this.dataSize);
    this.labelBuf = new Float64Array(this.batchSize * this.labelSize);
    this.indexBuf = new Array<number>(this.batchSize).fill(0);
  }

  private get outDataShape(): number[] {
    return [this.batchSize, ...this.dataShape];
  }

  private get outLabelShape(): number[] {
    const s = [this.batchSize, ...this.labelShape];
    return s.length === 2 && s[1] === 1 ? [this.batchSize] : s;
  }

  get provideData(): DataDesc[] {
    return [new DataDesc(this.dataName, this.outDataShape, this.dtype)];
  }

  get provideLabel(): DataDesc[] {
    return [new DataDesc(this.labelName, this.outLabelShape, this.dtype)];
  }

  /** MXNet's BatchLoader::BeforeFirst: after a wrapped last batch the position is kept. */
  reset(): void {
    if (!this.roundBatch || this.numOverflow === 0) {
      this.pos = 0;
      this.end = false;
    } else {
      this.numOverflow = 0;
    }
    this.current = null;
  }

  /** One example into slot `top` of the batch; false at the end of the data. */
  private readOne(top: number): boolean {
    if (this.end || this.pos >= this.numExamples) {
      this.end = true;
      return false;
    }
    const i = this.pos++;
    this.dataBuf.set(this.data.subarray(i * this.dataSize, (i + 1) * this.dataSize), top * this.dataSize);
    if (this.label !== null) this.labelBuf.set(this.label.subarray(i * this.labelSize, (i + 1) * this.labelSize), top * this.labelSize);
    else this.labelBuf[top] = 0;
    this.indexBuf[top] = i;
    return true;
  }

  iterNext(): boolean {
    this.current = null;
    const bs = this.batchSize;
    if (this.numOverflow !== 0) return false;
    let top = 0;
    while (top < bs && this.readOne(top)) top++;
    if (top === 0) return false;
    let pad = 0;
    if (top < bs) {
      if (this.roundBatch) {
        this.pos = 0;
        this.end = false;
        for (; top < bs; top++, this.numOverflow++) {
          if (!this.readOne(top)) {
            throw new IsotensorError(`${NAME}: the number of examples (${this.numExamples}) must be at least the batch size (${bs}) with round_batch`);
          }
        }
        pad = this.numOverflow;
      } else {
        pad = bs - top;
      }
    }
    const data = array(this.dataBuf, { shape: this.outDataShape, dtype: this.dtype });
    const label = array(this.labelBuf, { shape: this.outLabelShape, dtype: this.dtype });
    this.current = new DataBatch([data], [label], { pad, index: [...this.indexBuf] });
    return true;
  }
}
