// The `mx.callback` namespace: training callbacks for Module.fit (MXNet's mx.callback).
// SPDX-License-Identifier: Apache-2.0
export { runCallbacks } from './batch_end.js';
export type { BatchEndCallback, BatchEndParam, EpochEndCallback } from './batch_end.js';
export { doCheckpoint, moduleCheckpoint } from './checkpoint.js';
export type { CheckpointModule } from './checkpoint.js';
export { LogValidationMetricsCallback, logTrainMetric } from './log_metric.js';
export { consoleLogger, silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export { ProgressBar } from './progress_bar.js';
export type { ProgressBarOptions, TextStream } from './progress_bar.js';
export { Speedometer } from './speedometer.js';
export type { SpeedometerOptions } from './speedometer.js';
