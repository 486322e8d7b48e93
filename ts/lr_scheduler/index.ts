// mx.lr_scheduler: the learning-rate schedules an optimizer's `lrScheduler` option takes.
// SPDX-License-Identifier: Apache-2.0
export {
  CosineScheduler, FactorScheduler, LRScheduler, MultiFactorScheduler, PolyScheduler,
} from './scheduler.js';
export type {
  CosineSchedulerOptions, FactorSchedulerOptions, LRSchedulerOptions, MultiFactorSchedulerOptions,
  PolySchedulerOptions, WarmupMode,
} from './scheduler.js';
