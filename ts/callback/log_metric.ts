// Metric-logging callbacks: logTrainMetric (every n batches) and LogValidationMetricsCallback (after scoring).
// SPDX-License-Identifier: Apache-2.0
import type { BatchEndParam } from './batch_end.js';
import { consoleLogger, pyFixed, type Logger } from './logger.js';

/**
 * A batch-end callback logging `Iter[e] Batch[n] Train-name=value` every `period` batches.
 * @example batchEndCallback: mx.callback.logTrainMetric(10)
 */
export function logTrainMetric(period: number, autoReset = false, logger?: Logger): (param: BatchEndParam) => void {
  return (param) => {
    if (param.nbatch % period !== 0 || !param.evalMetric) return;
    const log = logger ?? param.logger ?? consoleLogger;
    for (const [n, v] of param.evalMetric.getNameValue()) log.info(`Iter[${param.epoch}] Batch[${param.nbatch}] Train-${n}=${pyFixed(v)}`);
    if (autoReset) param.evalMetric.resetLocal();
  };
}

/**
 * Logs `Epoch[e] Validation-name=value` for each metric; meant as fit's evalEndCallback.
 * @example mod.fit(train, { evalData: val, evalEndCallback: new mx.callback.LogValidationMetricsCallback(), numEpoch: 3 })
 */
export class LogValidationMetricsCallback {
  private readonly logger: Logger | undefined;
  constructor(logger?: Logger) {
    this.logger = logger;
  }
  call(param: BatchEndParam): void {
    if (!param.evalMetric) return;
    const log = this.logger ?? param.logger ?? consoleLogger;
    for (const [n, v] of param.evalMetric.getNameValue()) log.info(`Epoch[${param.epoch}] Validation-${n}=${pyFixed(v)}`);
  }
}
