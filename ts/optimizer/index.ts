// mx.optimizer: the Optimizer base class and registry, the ten optimizers, and Updater/getUpdater.
// SPDX-License-Identifier: Apache-2.0
export { create, Optimizer, register } from './optimizer.js';
export type {
  Index, OptimizerOptions, OptimizerState, ParamMults, Schedule, SymbolAttrs,
} from './optimizer.js';
export { NAG, SGD, Signum } from './sgd.js';
export type { SGDOptions, SignumOptions } from './sgd.js';
export { Adam, AdamW, LAMB } from './adam.js';
export type { AdamOptions, LAMBOptions } from './adam.js';
export { AdaDelta, AdaGrad, Ftrl, RMSProp } from './adaptive.js';
export type { AdaDeltaOptions, AdaGradOptions, FtrlOptions, RMSPropOptions } from './adaptive.js';
export { getUpdater, Updater } from './updater.js';
export type { UpdaterFunction } from './updater.js';
