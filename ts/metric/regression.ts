// Regression metrics: MAE, MSE, RMSE (per-batch means, averaged over batches) and PearsonCorrelation.
// SPDX-License-Identifier: Apache-2.0
import type { NDArray } from '../ndarray/ndarray.js';
import { checkLabelShapes, EvalMetric, register, type MetricOptions, type MetricValue } from './base.js';
import { broadcastMap, mean, toHost, type HostArray } from './host.js';
import { optionsOf } from '../base/error.js';

/** 1-D arrays become (n, 1) columns before the difference, as in MXNet. */
function column(a: HostArray): HostArray {
  return a.shape.length === 1 ? { v: a.v, shape: [a.shape[0]!, 1] } : a;
}

abstract class BatchMeanMetric extends EvalMetric {
  protected abstract reduce(label: HostArray, pred: HostArray): number;

  update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
    const [ls, ps] = checkLabelShapes(labels, preds);
    ls.forEach((label, i) => {
      const m = this.reduce(column(toHost(label, this.name)), column(toHost(ps[i]!, this.name)));
      this.sumMetric += m;
      this.globalSumMetric += m;
      this.numInst += 1;
      this.globalNumInst += 1;
    });
  }
}

/**
 * Mean absolute error: mean |label - pred| per batch (numpy broadcasting), averaged over batches.
 * @example const mae = new mx.metric.MAE(); mae.update([label], [pred]);
 */
export class MAE extends BatchMeanMetric {
  static readonly metricName: string = 'MAE';
  constructor(opts: MetricOptions = {}) { super('mae', opts); }
  protected reduce(l: HostArray, p: HostArray): number {
    return mean(broadcastMap(l, p, (a, b) => Math.abs(a - b), this.name).v);
  }
}

/** Mean squared error per batch, averaged over batches. */
export class MSE extends BatchMeanMetric {
  static readonly metricName: string = 'MSE';
  constructor(opts: MetricOptions = {}) { super('mse', opts); }
  protected reduce(l: HostArray, p: HostArray): number {
    return mean(broadcastMap(l, p, (a, b) => (a - b) * (a - b), this.name).v);
  }
}

/** Root of the per-batch mean squared error, averaged over batches. */
export class RMSE extends BatchMeanMetric {
  static readonly metricName: string = 'RMSE';
  constructor(opts: MetricOptions = {}) { super('rmse', opts); }
  protected reduce(l: HostArray, p: HostArray): number {
    return Math.sqrt(mean(broadcastMap(l, p, (a, b) => (a - b) * (a - b), this.name).v));
  }
}

/** Options of PearsonCorrelation. */
export interface PearsonOptions extends MetricOptions {
  /** 'macro' (default): mean of per-batch correlations; 'micro': one running correlation over all values. */
  average?: 'macro' | 'micro';
}

function corrcoef(x: Float64Array, y: Float64Array): number {
  const mx = mean(x), my = mean(y);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]! - mx, b = y[i]! - my;
    sxy += a * b; sxx += a * a; syy += b * b;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Pearson correlation between predictions and labels (flattened). Name 'pearsonr'.
 * @example new mx.metric.PearsonCorrelation({ average: 'micro' })
 */
export class PearsonCorrelation extends EvalMetric {
  static readonly metricName: string = 'PearsonCorrelation';
  readonly average: 'macro' | 'micro';
  // Running sums of the 'micro' mode (MXNet's Welford-style update, kept step for step).
  private ssep = 0; private meanp = 0; private ssel = 0; private meanl = 0;
  private predNums = 0; private labelNums = 0; private conv = 0;

  constructor(opts: PearsonOptions = {}) {
    opts = optionsOf(opts, 'PearsonCorrelation');
    super('pearsonr', opts, { average: opts.average ?? 'macro' });
    this.average = opts.average ?? 'macro';
  }

  reset(): void {
    super.reset();
    this.ssep = 0; this.meanp = 0; this.ssel = 0; this.meanl = 0;
    this.predNums = 0; this.labelNums = 0; this.conv = 0;
  }

  private static updateVariance(v: Float64Array, count: number, m: number, m2: number): [number, number, number] {
    count += v.length;
    let s = 0;
    for (let i = 0; i < v.length; i++) s += (v[i]! - m) / count;
    const mNew = m + s;
    for (let i = 0; i < v.length; i++) m2 += (v[i]! - m) * (v[i]! - mNew);
    return [count, mNew, m2];
  }

  update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
    const [ls, ps] = checkLabelShapes(labels, preds);
    ls.forEach((label, i) => {
      checkLabelShapes(label, ps[i]!, true);
      const l = toHost(label, this.name).v, p = toHost(ps[i]!, this.name).v;
      if (this.average === 'macro') {
        const r = corrcoef(p, l);
        this.sumMetric += r;
        this.globalSumMetric += r;
      } else {
        [this.labelNums, this.meanl, this.ssel] = PearsonCorrelation.updateVariance(l, this.labelNums, this.meanl, this.ssel);
        for (let k = 0; k < l.length; k++) this.conv += (l[k]! - this.meanl) * (p[k]! - this.meanp);
        [this.predNums, this.meanp, this.ssep] = PearsonCorrelation.updateVariance(p, this.predNums, this.meanp, this.ssep);
      }
      this.numInst += 1;
      this.globalNumInst += 1;
    });
  }

  private microValue(): number {
    const n = this.labelNums;
    return this.conv / ((n - 1) * Math.sqrt(this.ssep / (n - 1)) * Math.sqrt(this.ssel / (n - 1)));
  }

  get(): MetricValue {
    if (this.numInst === 0) return [this.name, NaN];
    if (this.average === 'macro') return [this.name, this.sumMetric / this.numInst];
    return [this.name, this.microValue()];
  }

  /** 'micro': the running sums cover everything since reset() (MXNet reports 0 here, an oversight). */
  getGlobal(): MetricValue {
    if (this.average === 'macro') return super.getGlobal();
    return [this.name, this.globalNumInst === 0 ? NaN : this.microValue()];
  }
}

register(['mae'], (o) => new MAE(o));
register(['mse'], (o) => new MSE(o));
register(['rmse'], (o) => new RMSE(o));
register(['pearsoncorrelation', 'pearsonr'], (o) => new PearsonCorrelation(o));
