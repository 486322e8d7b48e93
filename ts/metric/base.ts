// EvalMetric: the base of mx.metric (running sums, local and global statistics), its registry and create().
// SPDX-License-Identifier: Apache-2.0
import { expectFunction, expectStrings, IsotensorError, optionsOf } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';
import { withHostValues } from './host.js';

/** Options every metric takes. */
export interface MetricOptions {
  /** Name shown in logs (each metric has MXNet's default). */
  name?: string;
  /** Which outputs of a module feed this metric (by output name); all when omitted. */
  outputNames?: string[] | null;
  /** Which labels feed this metric (by label name); all when omitted. */
  labelNames?: string[] | null;
}

/** A metric's value: `[name, value]`, or parallel lists for composite metrics. */
export type MetricValue = [string, number] | [string[], number[]];

/**
 * Checks that labels and predictions pair up (MXNet's check_label_shapes): as many of each, or
 * with `shape`, two arrays of one shape. Single arrays come back wrapped in lists.
 */
export function checkLabelShapes(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[],
                                 shape = false): [NDArray[], NDArray[]] {
  const ls = labels instanceof NDArray ? [labels] : labels;
  const ps = preds instanceof NDArray ? [preds] : preds;
  if (!Array.isArray(ls) || !Array.isArray(ps)) throw new IsotensorError('metric.update: labels and preds must be NDArrays or lists of NDArrays');
  if (shape && labels instanceof NDArray && preds instanceof NDArray) {
    const a = labels.shape, b = preds.shape;
    if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
      throw new IsotensorError(`Shape of labels [${a.join(', ')}] does not match shape of predictions [${b.join(', ')}]`);
    }
  } else if (ls.length !== ps.length) {
    throw new IsotensorError(`Shape of labels ${ls.length} does not match shape of predictions ${ps.length}`);
  }
  return [ls as NDArray[], ps as NDArray[]];
}

/** Throws MXNet's length-mismatch error. */
export function checkLengths(a: number, b: number): void {
  if (a !== b) throw new IsotensorError(`Shape of labels ${a} does not match shape of predictions ${b}`);
}

/**
 * Base class of all metrics (MXNet's mx.metric.EvalMetric): `update(labels, preds)` adds a batch,
 * `get()` gives `[name, value]` (value = sumMetric / numInst, NaN before any update),
 * `reset()` clears everything, `resetLocal()` only the local window (what Speedometer reports);
 * the global statistics (`getGlobal()`) run until `reset()`.
 */
export abstract class EvalMetric {
  name: string;
  outputNames: string[] | null;
  labelNames: string[] | null;
  numInst = 0;
  sumMetric = 0;
  globalNumInst = 0;
  globalSumMetric = 0;
  protected readonly hasGlobalStats: boolean;
  protected readonly kwargs: Record<string, unknown>;

  constructor(name: string, opts: MetricOptions = {}, kwargs: Record<string, unknown> = {}, hasGlobalStats = true) {
    opts = optionsOf(opts, new.target);
    this.name = String(opts.name ?? name);
    this.outputNames = opts.outputNames ?? null;
    this.labelNames = opts.labelNames ?? null;
    this.hasGlobalStats = hasGlobalStats;
    this.kwargs = kwargs;
    this.reset();
  }

  /** Adds a batch: labels and predictions, one NDArray each or lists that pair up. */
  abstract update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void;

  /**
   * update() without blocking reads: the arrays are read asynchronously first (use it in a
   * browser's main thread, where dataSync() cannot wait).
   * @example await metric.updateAsync([label], [pred])
   */
  async updateAsync(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): Promise<void> {
    const all = [...(labels instanceof NDArray ? [labels] : labels ?? []), ...(preds instanceof NDArray ? [preds] : preds ?? [])];
    await withHostValues(all, () => this.update(labels, preds));
  }

  /** Adds a batch given as name → array maps, picking this metric's outputNames/labelNames. */
  updateDict(labels: Record<string, NDArray> | Map<string, NDArray>, preds: Record<string, NDArray> | Map<string, NDArray>): void {
    const pick = (m: Record<string, NDArray> | Map<string, NDArray>, names: string[] | null, what: string): NDArray[] => {
      const get = (k: string) => (m instanceof Map ? m.get(k) : m[k]);
      if (names === null) return m instanceof Map ? [...m.values()] : Object.values(m);
      return names.map((k) => {
        const v = get(k);
        if (v === undefined) throw new IsotensorError(`${this.name}: no ${what} named '${k}'`);
        return v;
      });
    };
    this.update(pick(labels, this.labelNames, 'label'), pick(preds, this.outputNames, 'output'));
  }

  /** Clears local and global statistics. */
  reset(): void {
    this.numInst = 0;
    this.sumMetric = 0;
    this.globalNumInst = 0;
    this.globalSumMetric = 0;
  }

  /** Clears the local statistics only. */
  resetLocal(): void {
    this.numInst = 0;
    this.sumMetric = 0;
  }

  /** `[name, value]` of the local statistics. */
  get(): MetricValue {
    return [this.name, this.numInst === 0 ? NaN : this.sumMetric / this.numInst];
  }

  /** `[name, value]` since the last reset(). */
  getGlobal(): MetricValue {
    if (!this.hasGlobalStats) return this.get();
    return [this.name, this.globalNumInst === 0 ? NaN : this.globalSumMetric / this.globalNumInst];
  }

  /** `[[name, value], ...]` of get(). */
  getNameValue(): [string, number][] {
    return zipValue(this.get());
  }

  /** `[[name, value], ...]` of getGlobal(). */
  getGlobalNameValue(): [string, number][] {
    return this.hasGlobalStats ? zipValue(this.getGlobal()) : this.getNameValue();
  }

  /** What create() needs to make this metric again. */
  getConfig(): Record<string, unknown> {
    return { ...this.kwargs, metric: (this.constructor as { metricName?: string }).metricName ?? this.constructor.name, name: this.name, outputNames: this.outputNames, labelNames: this.labelNames };
  }

  /** MXNet's str(): `EvalMetric: {'accuracy': 0.5}`. */
  toString(): string {
    return `EvalMetric: {${this.getNameValue().map(([n, v]) => `'${n}': ${v}`).join(', ')}}`;
  }
}

function zipValue([name, value]: MetricValue): [string, number][] {
  const ns = Array.isArray(name) ? name : [name];
  const vs = Array.isArray(value) ? value : [value];
  return ns.map((n, i) => [n, vs[i]!]);
}

// ---- registry: create('acc'), create('top_k_accuracy', { topK: 5 }), create(['acc', 'ce']) ----

type Factory = (opts: Record<string, unknown>) => EvalMetric;
const registry = new Map<string, Factory>();
const hooks: { composite?: (ms: EvalMetric[]) => EvalMetric; custom?: (f: CustomEval, opts: Record<string, unknown>) => EvalMetric } = {};

/** A function metric: returns the batch's metric (counted as one instance) or `[sum, count]`. */
export type CustomEval = (label: NDArray, pred: NDArray) => number | [number, number];

/** What create() accepts. */
export type MetricSpec = string | EvalMetric | CustomEval | MetricSpec[] | ({ metric: string } & Record<string, unknown>);

/** Registers a metric class under its lower-cased class name and aliases (MXNet's @register/@alias). */
export function register(names: string[], factory: Factory): void {
  expectStrings(names, 'metric.register', 'names');
  expectFunction(factory, 'metric.register', 'factory');
  for (const n of names) registry.set(n.toLowerCase(), factory);
}

/** @internal Lets the composite and custom metrics plug into create() without import cycles. */
export function setCreateHooks(h: typeof hooks): void {
  Object.assign(hooks, h);
}

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Registered metric names (lower case). */
export function listMetrics(): string[] {
  return [...registry.keys()].sort();
}

/**
 * Makes a metric from a name (case-insensitive; MXNet's aliases such as 'acc', 'ce', 'top_k_accuracy'),
 * a JSON string (`'["top_k_accuracy", {"top_k": 5}]'`), a config from getConfig(), a function
 * (a CustomMetric), a list (a CompositeEvalMetric) or a metric (returned as is).
 * @example mx.metric.create('acc'); mx.metric.create('top_k_accuracy', { topK: 5 }); mx.metric.create(['acc', 'ce'])
 */
export function create(metric: MetricSpec, options: Record<string, unknown> | null = {}): EvalMetric {
  // A bare value (MXNet's create('top_k_accuracy', 3) passes it on to the constructor) is refused by name:
  // which option it would be depends on the metric, so it goes as { topK: 3 }.
  const opts = optionsOf(options, 'metric.create');
  if (metric instanceof EvalMetric) return metric;
  if (typeof metric === 'function') {
    if (hooks.custom === undefined) throw new IsotensorError('metric.create: CustomMetric is not loaded');
    return hooks.custom(metric, opts);
  }
  if (Array.isArray(metric)) {
    if (hooks.composite === undefined) throw new IsotensorError('metric.create: CompositeEvalMetric is not loaded');
    return hooks.composite(metric.map((m) => create(m, opts)));
  }
  if (metric !== null && typeof metric === 'object') {
    const { metric: name, ...rest } = metric as { metric: string } & Record<string, unknown>;
    return create(name, { ...rest, ...opts });
  }
  if (typeof metric !== 'string') throw new IsotensorError(`metric.create: expected a name, a metric, a function or a list, got ${typeof metric}`);
  const s = metric.trim();
  if (s.startsWith('[')) {
    const [name, kw] = JSON.parse(s) as [string, Record<string, unknown>];
    return create(name, { ...kw, ...opts });
  }
  if (s.startsWith('{')) return create(JSON.parse(s) as { metric: string }, opts);
  const f = registry.get(s.toLowerCase());
  if (f === undefined) {
    throw new IsotensorError(`metric.create: '${metric}' is not a registered metric (known: ${listMetrics().join(', ')})`);
  }
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) o[camel(k)] = v;
  return f(o);
}
