// Speedometer: logs samples/s and the running metric every `frequent` batches (MXNet's mx.callback.Speedometer).
// SPDX-License-Identifier: Apache-2.0
import type { BatchEndParam } from './batch_end.js';
import { consoleLogger, pyFixed, type Logger } from './logger.js';

const now = () => performance.now() / 1000;

/** Options of Speedometer. */
export interface SpeedometerOptions {
  /** Reset the metric's local window after each report (default true), so each line covers its batches only. */
  autoReset?: boolean;
  /** Where lines go (default: the module's logger, else the console). */
  logger?: Logger;
}

/**
 * Logs `Epoch[e] Batch [a-b]\tSpeed: N samples/sec\tname=value` every `frequent` batches, as MXNet.
 * @example mod.fit(it, { numEpoch: 2, batchEndCallback: new mx.callback.Speedometer(32, 10) })
 */
export class Speedometer {
  readonly batchSize: number;
  readonly frequent: number;
  readonly autoReset: boolean;
  private readonly logger: Logger | undefined;
  private init = false;
  private tic = 0;
  private lastCount = 0;

  constructor(batchSize: number, frequent = 50, opts: SpeedometerOptions | boolean = {}) {
    const o = typeof opts === 'boolean' ? { autoReset: opts } : opts;
    this.batchSize = batchSize;
    this.frequent = frequent;
    this.autoReset = o.autoReset ?? true;
    this.logger = o.logger;
  }

  call(param: BatchEndParam): void {
    const count = param.nbatch;
    if (this.lastCount > count) this.init = false;
    this.lastCount = count;
    if (!this.init) {
      this.init = true;
      this.tic = now();
      return;
    }
    if (count % this.frequent !== 0) return;
    const dt = now() - this.tic;
    const speed = dt > 0 ? (this.frequent * this.batchSize) / dt : Infinity;
    const log = this.logger ?? param.logger ?? consoleLogger;
    if (param.evalMetric) {
      const nv = param.evalMetric.getNameValue().map(([n, v]) => `\t${n}=${pyFixed(v)}`).join('');
      if (this.autoReset) {
        param.evalMetric.resetLocal();
        log.info(`Epoch[${param.epoch}] Batch [${count - this.frequent}-${count}]\tSpeed: ${pyFixed(speed, 2)} samples/sec${nv}`);
      } else {
        log.info(`Epoch[${param.epoch}] Batch [0-${count}]\tSpeed: ${pyFixed(speed, 2)} samples/sec${nv}`);
      }
    } else {
      log.info(`Iter[${param.epoch}] Batch [${count}]\tSpeed: ${pyFixed(speed, 2)} samples/sec`);
    }
    this.tic = now();
  }
}
