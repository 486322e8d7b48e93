// gluon.nn: the layers (each file adds its own line here).
// SPDX-License-Identifier: Apache-2.0
export { Activation, Dense, Dropout, Flatten, HybridSequential, Sequential } from './basic_layers.js';
export type { DenseOptions, DropoutOptions } from './basic_layers.js';
export { AvgPool2D, Conv, Conv2D, MaxPool2D, Pooling } from './conv_layers.js';
export type { ConvOptions, PoolOptions } from './conv_layers.js';
/* ---- helper F: the layer library ---- */
export { ELU, GELU, LeakyReLU, PReLU, SELU, Swish } from './activations.js';
export type { ELUOptions, PReLUOptions, SwishOptions } from './activations.js';
export { BatchNorm, BatchNormReLU, GroupNorm, InstanceNorm, LayerNorm } from './norm_layers.js';
export type { AxisNormOptions, BatchNormOptions, GroupNormOptions, NormOptions } from './norm_layers.js';
export {
  AvgPool1D, AvgPool3D, Conv1D, Conv1DTranspose, Conv2DTranspose, Conv3D, Conv3DTranspose, GlobalAvgPool1D, GlobalAvgPool2D,
  GlobalAvgPool3D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D, MaxPool1D, MaxPool3D, ReflectionPad2D,
} from './more_conv.js';
export type { GlobalPoolOptions } from './more_conv.js';
export { Embedding } from './embedding.js';
export type { EmbeddingOptions } from './embedding.js';
export { Concurrent, HybridConcurrent, HybridLambda, Lambda } from './lambda.js';
export type { ConcurrentOptions } from './lambda.js';
