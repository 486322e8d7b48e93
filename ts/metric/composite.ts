// CompositeEvalMetric (several metrics as one), CustomMetric (a function as a metric) and Loss.
// SPDX-License-Identifier: Apache-2.0
import { expectFunction, IsotensorError, optionsOf } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';
import {
  checkLabelShapes, create, EvalMetric, register, setCreateHooks, type CustomEval, type MetricOptions, type MetricSpec,
  type MetricValue,
} from './base.js';
import { toHost } from './host.js';

/** Options of CompositeEvalMetric. */
export interface CompositeOptions extends MetricOptions {
  /** The child metrics (anything create() accepts). */
  metrics?: MetricSpec[];
}

/**
 * Several metrics updated together; get() gives `[names, values]` of all children.
 * @example const m = new mx.metric.CompositeEvalMetric(); m.add('acc'); m.add(new mx.metric.CrossEntropy());
 */
export class CompositeEvalMetric extends EvalMetric {
  static readonly metricName: string = 'CompositeEvalMetric';
  metrics: EvalMetric[];

  constructor(opts: CompositeOptions | MetricSpec[] = {}) {
    const o: CompositeOptions = Array.isArray(opts) ? { metrics: opts } : optionsOf(opts, 'CompositeEvalMetric');
    super('composite', o);
    this.metrics = (o.metrics ?? []).map((m) => create(m));
  }

  /** Adds a child metric. */
  add(metric: MetricSpec): void {
    this.metrics.push(create(metric));
  }

  /** The child at `index`. */
  getMetric(index: number): EvalMetric {
    const m = this.metrics[index];
    if (m === undefined) throw new IsotensorError(`Metric index ${index} is out of range 0 and ${this.metrics.length}`);
    return m;
  }

  updateDict(labels: Record<string, NDArray> | Map<string, NDArray>, preds: Record<string, NDArray> | Map<string, NDArray>): void {
    const filter = (m: Record<string, NDArray> | Map<string, NDArray>, names: string[] | null) => {
      if (names === null) return m;
      const entries = m instanceof Map ? [...m.entries()] : Object.entries(m);
      return new Map(entries.filter(([k]) => names.includes(k)));
    };
    const l = filter(labels, this.labelNames), p = filter(preds, this.outputNames);
    for (const m of this.metrics) m.updateDict(l, p);
  }

  update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
    for (const m of this.metrics) m.update(labels, preds);
  }

  reset(): void {
    for (const m of this.metrics ?? []) m.reset();
  }

  resetLocal(): void {
    for (const m of this.metrics) m.resetLocal();
  }

  private collect(global: boolean): MetricValue {
    const names: string[] = [], values: number[] = [];
    for (const m of this.metrics) {
      const [n, v] = global ? m.getGlobal() : m.get();
      if (Array.isArray(n)) names.push(...n); else names.push(n);
      if (Array.isArray(v)) values.push(...v); else values.push(v as number);
    }
    return [names, values];
  }

  get(): MetricValue {
    return this.collect(false);
  }

  getGlobal(): MetricValue {
    return this.collect(true);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), metrics: this.metrics.map((m) => m.getConfig()) };
  }
}

/** Options of CustomMetric. */
export interface CustomMetricOptions extends MetricOptions {
  /** Do not require as many predictions as labels (extra outputs are ignored). */
  allowExtraOutputs?: boolean;
}

/**
 * A metric from a function `feval(label, pred)` of one label/prediction pair (NDArrays), returning
 * the batch value (one instance) or `[sum, count]`. The name defaults to the function's.
 * @example new mx.metric.CustomMetric((l, p) => mx.nd.abs(l.sub(p)).mean().asScalar(), { name: 'mad' })
 */
export class CustomMetric extends EvalMetric {
  static readonly metricName: string = 'CustomMetric';
  private readonly feval: CustomEval;
  readonly allowExtraOutputs: boolean;

  constructor(feval: CustomEval, opts: CustomMetricOptions = {}) {
    opts = optionsOf(opts, 'CustomMetric');
    if (typeof feval !== 'function') throw new IsotensorError('CustomMetric: feval must be a function');
    super(opts.name ?? (feval.name ? feval.name : 'custom(<lambda>)'), opts, {}, true);
    this.feval = feval;
    this.allowExtraOutputs = opts.allowExtraOutputs ?? false;
  }

  update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
    let ls = labels instanceof NDArray ? [labels] : [...labels];
    let ps = preds instanceof NDArray ? [preds] : [...preds];
    if (!this.allowExtraOutputs) [ls, ps] = checkLabelShapes(ls, ps);
    const n = Math.min(ls.length, ps.length);
    for (let i = 0; i < n; i++) {
      const r = this.feval(ls[i]!, ps[i]!);
      if (Array.isArray(r)) {
        this.sumMetric += r[0]; this.globalSumMetric += r[0];
        this.numInst += r[1]; this.globalNumInst += r[1];
      } else {
        this.sumMetric += r; this.globalSumMetric += r;
        this.numInst += 1; this.globalNumInst += 1;
      }
    }
  }

  getConfig(): Record<string, unknown> {
    throw new IsotensorError('CustomMetric cannot be serialized');
  }
}

/**
 * A CustomMetric whose function gets the label and prediction as nested JS arrays (the host
 * values, like MXNet's mx.metric.np that hands numpy arrays to its function).
 * @example mx.metric.np((label, pred) => ..., 'my_metric')
 */
export function np(feval: (label: unknown, pred: unknown) => number | [number, number], name?: string,
                   allowExtraOutputs = false): CustomMetric {
  expectFunction(feval, 'metric.np', 'feval');
  const f = (l: NDArray, p: NDArray) => feval(l.toArraySync(), p.toArraySync());
  return new CustomMetric(f, { name: name ?? (feval.name || 'custom(<lambda>)'), allowExtraOutputs });
}

/**
 * Mean of the predictions themselves (for loss outputs such as MakeLoss): sum over all elements
 * divided by their count. Name 'loss'.
 */
export class Loss extends EvalMetric {
  static readonly metricName: string = 'Loss';
  constructor(opts: MetricOptions = {}) {
    super('loss', opts);
  }
  update(_labels: NDArray | readonly NDArray[] | null, preds: NDArray | readonly NDArray[]): void {
    for (const p of preds instanceof NDArray ? [preds] : preds) {
      const d = toHost(p, this.name).v;
      let s = 0;
      for (let i = 0; i < d.length; i++) s += d[i]!;
      this.sumMetric += s; this.globalSumMetric += s;
      this.numInst += p.size; this.globalNumInst += p.size;
    }
  }
}

/** MXNet's Torch metric: Loss named 'torch'. */
export class Torch extends Loss {
  static readonly metricName: string = 'Torch';
  constructor(opts: MetricOptions = {}) { super({ name: 'torch', ...opts }); }
}

/** MXNet's Caffe metric: Loss named 'caffe'. */
export class Caffe extends Loss {
  static readonly metricName: string = 'Caffe';
  constructor(opts: MetricOptions = {}) { super({ name: 'caffe', ...opts }); }
}

register(['compositeevalmetric', 'composite'], (o) => new CompositeEvalMetric(o as CompositeOptions));
register(['loss'], (o) => new Loss(o));
register(['torch'], (o) => new Torch(o));
register(['caffe'], (o) => new Caffe(o));
register(['custommetric'], (o) => new CustomMetric(o.feval as CustomEval, o));
setCreateHooks({
  composite: (ms) => new CompositeEvalMetric({ metrics: ms }),
  custom: (f, o) => new CustomMetric(f, o),
});
