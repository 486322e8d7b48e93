// The `mx.io` namespace: data iterators (NDArrayIter, ResizeIter), DataBatch and DataDesc.
// SPDX-License-Identifier: Apache-2.0
export { DataBatch } from './data_batch.js';
export type { DataBatchOptions } from './data_batch.js';
export { DataDesc } from './data_desc.js';
export type { DataDescLike, DataShape } from './data_desc.js';
export { DataIter } from './data_iter.js';
export { NDArrayIter } from './ndarray_iter.js';
export type { IterArray, IterInput, LastBatchHandle, NDArrayIterOptions } from './ndarray_iter.js';
export { ResizeIter } from './resize_iter.js';
export { CSVIter } from './csv_iter.js';
export type { CSVIterOptions } from './csv_iter.js';
export { MNISTIter } from './mnist_iter.js';
export type { MNISTIterOptions } from './mnist_iter.js';
export { ImageRecordInt8Iter, ImageRecordIter, ImageRecordUInt8Iter } from './image_record_iter.js';
export type { ImageRecordDType, ImageRecordIterOptions } from './image_record_iter.js';
export { ImageDetRecordIter } from './image_det_record_iter.js';
export type { ImageDetRecordIterOptions } from './image_det_record_iter.js';
