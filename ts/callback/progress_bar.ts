// ProgressBar: a per-epoch bar with samples/s and the running metric; redrawn in place on a TTY, plain lines in logs.
// SPDX-License-Identifier: Apache-2.0
import type { BatchEndParam } from './batch_end.js';
import { consoleLogger, pyFixed, type Logger } from './logger.js';

/** A writable text stream (process.stderr, or anything with write()). */
export interface TextStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** Options of ProgressBar. */
export interface ProgressBarOptions {
  /** Characters of the bar (default 40). */
  length?: number;
  /** Examples per batch, for samples/sec (default: what fit reports, else the batch's first dimension). */
  batchSize?: number;
  /** Draw on this stream; on a TTY the bar is redrawn in place. Default: stderr when it is a TTY, else the logger. */
  stream?: TextStream | null;
  /** Where plain lines go when not drawing on a TTY (default: the caller's logger, else the console). */
  logger?: Logger;
  /** In plain-log mode, also log every this many batches (default 0: only when the epoch is done). */
  frequent?: number;
}

const now = () => performance.now() / 1000;

function defaultStream(): TextStream | null {
  const p = (globalThis as { process?: { stderr?: TextStream } }).process;
  return p?.stderr?.isTTY ? p.stderr : null;
}

/**
 * Shows training progress: `Epoch[0] [=========>----------] 45% 13/28  52340.12 samples/sec  accuracy=0.912345`.
 * `total` is the number of batches per epoch (0 or null: unknown, the bar then shows the count only).
 * On a terminal the line is redrawn after every batch; in plain logs (files, CI) one line is logged
 * when the epoch is done (and every `frequent` batches if set). MXNet's mx.callback.ProgressBar draws
 * the bar only; this one adds the Speedometer's samples/sec.
 * @example mod.fit(it, { numEpoch: 5, batchEndCallback: new mx.callback.ProgressBar(it.numBatches, { batchSize: 32 }) })
 */
export class ProgressBar {
  readonly total: number | null;
  readonly length: number;
  private readonly opts: ProgressBarOptions;
  private readonly stream: TextStream | null;
  private start = 0;
  private lastCount = -1;
  private open = false;
  private lastLine = '';
  private pendingLog: Logger | null = null;

  constructor(total: number | null = null, opts: ProgressBarOptions | number = {}) {
    const o = typeof opts === 'number' ? { length: opts } : opts;
    this.total = total && total > 0 ? total : null;
    this.length = o.length ?? 40;
    this.opts = o;
    this.stream = o.stream === undefined ? (o.logger ? null : defaultStream()) : o.stream;
  }

  /** Whether the bar is drawn in place (a TTY stream) rather than logged as lines. */
  get live(): boolean {
    return this.stream !== null && this.stream.isTTY === true;
  }

  /** The text of the bar for `done` of `total` batches (exposed for tests and custom displays). */
  render(epoch: number, done: number, total: number | null, speed: number | null, metrics: [string, number][]): string {
    let s = `Epoch[${epoch}] `;
    if (total !== null) {
      const frac = Math.min(1, done / total);
      const filled = Math.round(this.length * frac);
      const head = filled < this.length && filled > 0 ? '>' : '';
      s += `[${'='.repeat(Math.max(0, filled - head.length))}${head}${'-'.repeat(this.length - filled)}] ` +
        `${String(Math.ceil(100 * frac)).padStart(3)}% ${done}/${total}`;
    } else {
      s += `batch ${done}`;
    }
    if (speed !== null) s += `  ${pyFixed(speed, 2)} samples/sec`;
    for (const [n, v] of metrics) s += `  ${n}=${pyFixed(v)}`;
    return s;
  }

  call(param: BatchEndParam): void {
    const count = param.nbatch;
    const loc = param.locals ?? {};
    if (count <= this.lastCount || this.lastCount < 0) {
      this.finish();
      this.start = typeof loc.tic === 'number' ? loc.tic : now();
    }
    this.lastCount = count;
    const done = count + 1;
    const total = this.total ?? (typeof loc.numBatches === 'number' && loc.numBatches > 0 ? loc.numBatches : null);
    const batchSize = this.opts.batchSize ?? (typeof loc.batchSize === 'number' ? loc.batchSize : null);
    const dt = now() - this.start;
    const speed = batchSize !== null && dt > 0 ? (done * batchSize) / dt : null;
    const metrics = param.evalMetric ? param.evalMetric.getNameValue() : [];
    const line = this.render(param.epoch, done, total, speed, metrics);
    const end = total !== null && done >= total;
    if (this.live) {
      // Pad over a longer previous line, then return to column 0.
      this.stream!.write(`\r${line}${' '.repeat(Math.max(0, this.lastLine.length - line.length))}`);
      this.lastLine = line;
      this.open = true;
      if (end) this.finish();
    } else {
      const every = this.opts.frequent ?? 0;
      const log = this.opts.logger ?? param.logger ?? consoleLogger;
      if (end || (every > 0 && done % every === 0)) {
        log.info(line);
        this.pendingLog = null;
      } else {
        this.pendingLog = log;  // logged by finish() if the epoch ends without reaching `total`
      }
      this.lastLine = line;
    }
  }

  /** Ends the epoch's display: a TTY line is closed, a plain-log line not yet written is logged. */
  finish(): void {
    if (this.open && this.stream) this.stream.write('\n');
    if (this.pendingLog !== null && this.lastLine) this.pendingLog.info(this.lastLine);
    this.pendingLog = null;
    this.open = false;
    this.lastLine = '';
  }
}
