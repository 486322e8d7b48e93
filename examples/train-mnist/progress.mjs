// A per-epoch progress bar (samples/s, running loss, ETA), redrawn in place on a terminal, one line per epoch otherwise.
// SPDX-License-Identifier: Apache-2.0

const fmtTime = (s) => {
  if (!Number.isFinite(s)) return '--:--';
  s = Math.max(0, Math.round(s));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/**
 * `bar = new EpochProgress({ epochs, total })`; per epoch: `bar.start(epoch)`, `bar.update(samplesDone, loss)`
 * after each batch, `bar.done(extra)` at the end (`extra` is appended, e.g. the accuracies).
 */
export class EpochProgress {
  constructor({ epochs, total, stream = process.stdout, width = 20, minIntervalMs = 100 }) {
    this.epochs = epochs;
    this.total = total;
    this.stream = stream;
    this.width = width;
    this.minIntervalMs = minIntervalMs;
    this.live = Boolean(stream.isTTY);
    this.lastDraw = 0;
    this.lastLen = 0;
  }

  start(epoch) {
    this.epoch = epoch;
    this.t0 = performance.now();
    this.done_ = 0;
    this.loss = NaN;
    this.lastDraw = 0;
  }

  /** The text of the line: `epoch 2/8 [========>-----------]  45% 3600/8000  2750 samples/s  loss 0.2345  ETA 00:02`. */
  line() {
    const frac = this.total > 0 ? Math.min(1, this.done_ / this.total) : 0;
    const filled = Math.round(frac * this.width);
    const bar = '='.repeat(Math.max(0, filled - (filled < this.width && filled > 0 ? 1 : 0))) +
      (filled < this.width && filled > 0 ? '>' : '') + '-'.repeat(this.width - filled);
    const secs = (performance.now() - this.t0) / 1000;
    const rate = secs > 0 ? this.done_ / secs : 0;
    const eta = rate > 0 ? (this.total - this.done_) / rate : Infinity;
    const n = String(this.total).length;
    return `epoch ${String(this.epoch).padStart(String(this.epochs).length)}/${this.epochs} [${bar}] ` +
      `${String(Math.round(frac * 100)).padStart(3)}% ${String(this.done_).padStart(n)}/${this.total} ` +
      `${rate.toFixed(0).padStart(5)} samples/s  loss ${Number.isFinite(this.loss) ? this.loss.toFixed(4) : '  -   '}  ` +
      (this.done_ >= this.total ? `took ${fmtTime(secs)}` : `ETA ${fmtTime(eta)}`);
  }

  update(samplesDone, loss) {
    this.done_ = samplesDone;
    if (loss !== undefined && loss !== null) this.loss = loss;
    if (!this.live) return;
    const t = performance.now();
    if (t - this.lastDraw < this.minIntervalMs && samplesDone < this.total) return;
    this.lastDraw = t;
    this.draw(this.line());
  }

  draw(text) {
    // A line wider than the terminal would wrap and break the in-place redraw: cut it to fit.
    const cols = this.stream.columns;
    if (cols && text.length >= cols) text = text.slice(0, cols - 1);
    this.stream.write(`\r${text}${' '.repeat(Math.max(0, this.lastLen - text.length))}`);
    this.lastLen = text.length;
  }

  /** Ends the epoch's line (closing the live bar, or printing the one line of a log). */
  done(extra = '') {
    this.done_ = this.total;
    const text = this.line() + (extra ? `  ${extra}` : '');
    if (this.live) {
      // The finished line may be longer than the terminal: it is written once, so let it wrap.
      this.stream.write(`\r${' '.repeat(this.lastLen)}\r${text}\n`);
    } else this.stream.write(`${text}\n`);
    this.lastLen = 0;
  }
}
