// The `mx.mod` namespace: the Module API (MXNet's mx.mod).
// SPDX-License-Identifier: Apache-2.0
export { BaseModule } from './base_module.js';
export type { DataIterLike, FitOptions, InitOptimizerOptions, InitParamsOptions, PredictOptions, ScoreOptions } from './base_module.js';
export { ExecutorGroup, splitInputSlice } from './executor_group.js';
export { Module } from './module.js';
export type { BindOptions, ModuleOptions } from './module.js';
