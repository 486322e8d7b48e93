// gluon.data.vision: image datasets (MNIST, FashionMNIST, ImageFolderDataset) and transforms.
// SPDX-License-Identifier: Apache-2.0
export { FashionMNIST, MNIST } from './mnist.js';
export type { MNISTLoadOptions, MNISTOptions } from './mnist.js';
export { ImageFolderDataset } from './image_folder.js';
export type { ImageFolderOptions } from './image_folder.js';
export { ImageRecordDataset } from './image_record_dataset.js';
export type { ImageRecordDatasetOptions } from './image_record_dataset.js';
export * as transforms from './transforms.js';
