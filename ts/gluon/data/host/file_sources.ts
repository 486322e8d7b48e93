// File-backed dataset columns on the host: records of a RecordIO file, image records, image files.
// SPDX-License-Identifier: Apache-2.0
//
// What RecordFileDataset, ImageRecordDataset and ImageFolderDataset read, rebuilt from host data
// only: each thread (a data worker, or the calling thread's host pipeline) opens the record file
// itself, and images decode to uint8 HostTensors with mx.image's decoders. Nothing here loads a
// backend (the worker bundle includes it).
import { IsotensorError } from '../../../base/error.js';
import { nodeFs } from '../../../base/node_builtin.js';
import { decodeLikeOpenCV } from '../../../image/decode.js';
import { unpack } from '../../../recordio/ir_header.js';
import { MXIndexedRecordIO } from '../../../recordio/indexed_record_file.js';
import { hostTensor, type HostTensor } from './host_tensor.js';

/** Where a record file is: a Node path, or its bytes (the .rec in shared memory where there is some). */
export type RecordSourceDesc = string | Uint8Array;

/** A record file's items as a column. */
export interface RecordsDesc {
  /** 'records': raw bytes; 'imageRecords': [image, label] as ImageRecordDataset gives them. */
  k: 'records' | 'imageRecords';
  rec: RecordSourceDesc;
  idx: RecordSourceDesc;
  /** The dataset's class name, for messages. */
  name: string;
  /** imageRecords: 1 RGB (H, W, 3), 0 gray (H, W, 1). */
  flag: 0 | 1;
  /** Records in the index when described (a file changed since then is an error, not other items). */
  length: number;
  /** The .rec file, for messages. */
  where: string;
}

/** ImageFolderDataset's items: [path, label], read and decoded on access. */
export interface ImageFilesDesc {
  k: 'imageFiles';
  items: [string, number][];
  flag: 0 | 1;
}

/** A column's random access. */
export interface HostColumn {
  readonly length: number;
  at(i: number): unknown;
}

// Record files a rebuilt dataset opened are closed when it is collected (the calling thread
// rebuilds its host pipeline every epoch; a worker's lives as long as the worker).
const openFiles = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<MXIndexedRecordIO>((r) => r.close())
  : null;

/** An image file's bytes decoded as mx.image.imdecode does (flag 1: RGB, 0: gray), as a uint8 (H, W, C) HostTensor. */
export function decodeHostImage(bytes: Uint8Array, flag: 0 | 1): HostTensor {
  const img = decodeLikeOpenCV(bytes, flag === 0 ? 'gray' : 'color');
  return hostTensor(img.data, [img.height, img.width, img.channels], 'uint8');
}

/** The items of a record file (raw record bytes, or decoded image records). */
export function recordsColumn(d: RecordsDesc): HostColumn {
  // Opened on first access: a description rebuilt where no item is read opens nothing.
  let reader: MXIndexedRecordIO | null = null;
  const column: HostColumn = {
    length: d.length,
    at(i: number): unknown {
      if (reader === null) {
        reader = new MXIndexedRecordIO(d.idx, d.rec, 'r');
        openFiles?.register(column, reader);
      }
      const key = reader.keys[i];
      if (key === undefined) {
        throw new IsotensorError(`${d.name}: index ${i} is out of range for the ${reader.keys.length} records of ${d.where}`);
      }
      const rec = reader.readIdx(key);
      if (d.k === 'records') return rec;
      const [header, bytes] = unpack(rec);
      let img: HostTensor;
      try {
        img = decodeHostImage(bytes, d.flag);
      } catch (e) {
        throw new IsotensorError(`ImageRecordDataset: record ${i} (key ${key}) holds no image it can decode: ` +
                                 `${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      const label = typeof header.label === 'number'
        ? header.label
        : hostTensor(Float32Array.from(header.label), [header.label.length], 'float32');
      return [img, label];
    },
  };
  return column;
}

/** ImageFolderDataset's [image, label] items, each file read and decoded when asked for. */
export function imageFilesColumn(d: ImageFilesDesc): HostColumn {
  return {
    length: d.items.length,
    at(i: number): unknown {
      const [file, label] = d.items[i]!;
      const fs = nodeFs('ImageFolderDataset', 'it reads image files from a folder');
      let bytes: Uint8Array;
      try {
        const b = fs.readFileSync(file);
        bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        throw new IsotensorError(`ImageFolderDataset: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      return [decodeHostImage(bytes, d.flag), label];
    },
  };
}
