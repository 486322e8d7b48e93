// mx.gluon: Parameter, blocks, layers (nn), losses, Trainer, utils (each namespace owner adds its own line).
// SPDX-License-Identifier: Apache-2.0
export { Constant, DeferredInitializationError, Parameter } from './parameter.js';
export type { InitSpec, ParameterInitOptions, ParameterOptions } from './parameter.js';
export { ParameterDict } from './parameter.js';
export type { LoadOptions } from './parameter.js';
export { Block, HookHandle, HybridBlock } from './block.js';
export type { BlockOptions, F, InitializeOptions, Tensor } from './block.js';
export type { CachedOpOptions } from './cached_op.js';
export { SymbolBlock } from './symbol_block.js';
export { Trainer } from './trainer.js';
export type { TrainerOptions } from './trainer.js';
export * as nn from './nn/index.js';
export * as loss from './loss.js';
export * as rnn from './rnn/index.js';
export * as utils from './utils.js';
export * as data from './data/index.js';
export * as modelZoo from './model_zoo/index.js';
export * as model_zoo from './model_zoo/index.js';
