// gluon.data: datasets, samplers, the DataLoader and vision datasets/transforms (MXNet's mxnet.gluon.data).
// SPDX-License-Identifier: Apache-2.0
export { ArrayDataset, Dataset, SimpleDataset } from './dataset.js';
export { RecordFileDataset } from './record_file_dataset.js';
export type { RecordFileSource } from './record_file_dataset.js';
export type { TransformFn } from './dataset.js';
export { BatchSampler, FilterSampler, IntervalSampler, RandomSampler, Sampler, SequentialSampler } from './sampler.js';
export type { LastBatch } from './sampler.js';
export { DataLoader } from './dataloader.js';
export type { DataLoaderOptions } from './dataloader.js';
export { defaultBatchify } from './batchify.js';
export type { HostTensor } from './host/host_tensor.js';
export * as vision from './vision/index.js';
