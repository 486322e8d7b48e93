// `mx.recordio` (MXNet's recordio.py): RecordIO files (.rec, with .idx for random access) and image records.
// SPDX-License-Identifier: Apache-2.0
export { MXRecordIO } from './record_file.js';
export type { RecordData, RecordUri } from './record_file.js';
export { MXIndexedRecordIO } from './indexed_record_file.js';
export { IR_SIZE, pack, packImg, unpack, unpackImg } from './image_record.js';
export type { IRHeader, IRHeaderLike } from './image_record.js';
