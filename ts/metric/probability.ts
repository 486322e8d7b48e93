// Metrics over predicted probabilities: CrossEntropy, NegativeLogLikelihood and Perplexity.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf } from '../base/error.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { checkLabelShapes, EvalMetric, register, type MetricOptions, type MetricValue } from './base.js';
import { toHost } from './host.js';

/** Options of CrossEntropy and NegativeLogLikelihood. */
export interface CrossEntropyOptions extends MetricOptions {
  /** Added to the probability before the log (default 1e-12). */
  eps?: number;
}

/** Sum of -log(p[label] + eps) over rows of (batch, classes) probabilities, counted per example. */
function nllUpdate(m: EvalMetric, eps: number, labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
  const [ls, ps] = checkLabelShapes(labels, preds);
  ls.forEach((label, i) => {
    const l = toHost(label, m.name), p = toHost(ps[i]!, m.name);
    const n = l.v.length;
    if (p.shape.length !== 2 || p.shape[0] !== n) {
      throw new IsotensorError(`${m.name}: predictions must be (${n}, classes) for ${n} labels, got [${p.shape.join(', ')}]`);
    }
    const c = p.shape[1]!;
    let s = 0;
    for (let r = 0; r < n; r++) {
      let k = Math.trunc(l.v[r]!);
      if (k < 0) k += c;  // numpy fancy indexing counts negative ids from the end
      if (!(k >= 0 && k < c)) throw new IsotensorError(`${m.name}: label ${l.v[r]} is out of range for ${c} classes`);
      s += -Math.log(p.v[r * c + k]! + eps);
    }
    m.sumMetric += s;
    m.globalSumMetric += s;
    m.numInst += n;
    m.globalNumInst += n;
  });
}

/**
 * Cross entropy of (batch, classes) probabilities against integer labels, averaged per example.
 * Name 'cross-entropy' (alias 'ce').
 */
export class CrossEntropy extends EvalMetric {
  static readonly metricName: string = 'CrossEntropy';
  readonly eps: number;
  constructor(opts: CrossEntropyOptions = {}) {
    opts = optionsOf(opts, 'CrossEntropy');
    super('cross-entropy', opts, { eps: opts.eps ?? 1e-12 });
    this.eps = opts.eps ?? 1e-12;
  }
  update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
    nllUpdate(this, this.eps, labels, preds);
  }
}

/** Negative log likelihood (the same sum as CrossEntropy). Name 'nll-loss' (alias 'nll_loss'). */
export class NegativeLogLikelihood extends EvalMetric {
  static readonly metricName: string = 'NegativeLogLikelihood';
  readonly eps: number;
  constructor(opts: CrossEntropyOptions = {}) {
    opts = optionsOf(opts, 'NegativeLogLikelihood');
    super('nll-loss', opts, { eps: opts.eps ?? 1e-12 });
    this.eps = opts.eps ?? 1e-12;
  }
  update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
    nllUpdate(this, this.eps, labels, preds);
  }
}

/** Options of Perplexity. */
export interface PerplexityOptions extends MetricOptions {
  /** Label value whose predictions are left out (null: none). */
  ignoreLabel?: number | null;
  /** Axis of the class probabilities (default -1). */
  axis?: number;
}

/**
 * exp(mean -log p[label]) over all predictions (MXNet's Perplexity; probabilities floored at 1e-10),
 * skipping `ignoreLabel`.
 * @example new mx.metric.Perplexity({ ignoreLabel: null })
 */
export class Perplexity extends EvalMetric {
  static readonly metricName: string = 'Perplexity';
  readonly ignoreLabel: number | null;
  readonly axis: number;

  constructor(opts: PerplexityOptions | number | null = {}) {
    const o: PerplexityOptions = opts === null || typeof opts === 'number' ? { ignoreLabel: opts } : opts;
    super('perplexity', o, { ignoreLabel: o.ignoreLabel ?? null });
    this.ignoreLabel = o.ignoreLabel ?? null;
    this.axis = o.axis ?? -1;
  }

  update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
    const ls = Array.isArray(labels) ? labels : [labels as NDArray];
    const ps = Array.isArray(preds) ? preds : [preds as NDArray];
    if (ls.length !== ps.length) throw new IsotensorError(`${this.name}: ${ls.length} labels for ${ps.length} predictions`);
    let loss = 0, num = 0;
    ls.forEach((label, i) => {
      const l = toHost(label, this.name), p = toHost(ps[i]!, this.name);
      const nd = p.shape.length;
      const ax = this.axis < 0 ? this.axis + nd : this.axis;
      const c = p.shape[ax]!;
      const inner = p.shape.slice(ax + 1).reduce((a, d) => a * d, 1);
      const rows = p.v.length / c;
      if (l.v.length !== rows) {
        throw new IsotensorError(`shape mismatch: [${l.shape.join(', ')}] vs. [${p.shape.join(', ')}]`);
      }
      for (let r = 0; r < rows; r++) {
        const o = Math.floor(r / inner), in_ = r % inner;
        // pick(): the index is clipped into range, as MXNet's default mode.
        const k = Math.min(Math.max(Math.trunc(l.v[r]!), 0), c - 1);
        let v = p.v[(o * c + k) * inner + in_]!;
        if (this.ignoreLabel !== null && l.v[r] === this.ignoreLabel) {
          num -= 1;
          v = 1;
        }
        loss -= Math.log(Math.max(1e-10, v));
      }
      num += rows;
    });
    this.sumMetric += loss;
    this.globalSumMetric += loss;
    this.numInst += num;
    this.globalNumInst += num;
  }

  get(): MetricValue {
    return [this.name, this.numInst === 0 ? NaN : Math.exp(this.sumMetric / this.numInst)];
  }

  getGlobal(): MetricValue {
    return [this.name, this.globalNumInst === 0 ? NaN : Math.exp(this.globalSumMetric / this.globalNumInst)];
  }
}

register(['crossentropy', 'ce'], (o) => new CrossEntropy(o));
register(['negativeloglikelihood', 'nll_loss'], (o) => new NegativeLogLikelihood(o));
register(['perplexity'], (o) => new Perplexity(o));
