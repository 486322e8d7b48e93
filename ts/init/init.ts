// The `mx.init` namespace: parameter initializers (MXNet's mx.init / mx.initializer).
// SPDX-License-Identifier: Apache-2.0
export { create, InitDesc, Initializer, register } from './initializer.js';
export type { InitializerLike } from './initializer.js';
export { Bilinear, Constant, LSTMBias, MSRAPrelu, Normal, One, Uniform, Xavier, Zero } from './initializers.js';
export type { MSRAPreluOptions, XavierOptions } from './initializers.js';
export { Load, Mixed } from './composite.js';
export { Orthogonal } from './orthogonal.js';
