// gluon.data.vision: image datasets (MNIST, FashionMNIST) and transforms.
// SPDX-License-Identifier: Apache-2.0
export { FashionMNIST, MNIST } from './mnist.js';
export type { MNISTLoadOptions, MNISTOptions } from './mnist.js';
export * as transforms from './transforms.js';
