// Classification metrics: Accuracy, TopKAccuracy, F1, MCC and PCC, with MXNet 1.9's exact definitions.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf } from '../base/error.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { checkLabelShapes, checkLengths, EvalMetric, register, type MetricOptions } from './base.js';
import { argmaxAxis, toHost, toInt32 } from './host.js';

/** Options of Accuracy. */
export interface AccuracyOptions extends MetricOptions {
  /** Axis of the class scores in the predictions (default 1). */
  axis?: number;
}

/**
 * Fraction of correct predictions: predictions whose shape differs from the label's are reduced
 * by argmax over `axis`; both sides are compared as int32. Name 'accuracy' (alias 'acc').
 * @example const acc = new mx.metric.Accuracy(); acc.update([label], [pred]); acc.get() // ['accuracy', 0.75]
 */
export class Accuracy extends EvalMetric {
  static readonly metricName: string = 'Accuracy';
  readonly axis: number;

  constructor(opts: AccuracyOptions = {}) {
    opts = optionsOf(opts, 'Accuracy');
    super('accuracy', opts, { axis: opts.axis ?? 1 });
    this.axis = opts.axis ?? 1;
  }

  update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
    const [ls, ps] = checkLabelShapes(labels, preds);
    ls.forEach((label, i) => {
      let p = toHost(ps[i]!, this.name);
      const l = toHost(label, this.name);
      const same = p.shape.length === l.shape.length && p.shape.every((d, k) => d === l.shape[k]);
      if (!same) p = argmaxAxis(p, this.axis);
      checkLengths(l.v.length, p.v.length);
      let correct = 0;
      for (let k = 0; k < p.v.length; k++) if (toInt32(p.v[k]!) === toInt32(l.v[k]!)) correct++;
      this.sumMetric += correct;
      this.globalSumMetric += correct;
      this.numInst += p.v.length;
      this.globalNumInst += p.v.length;
    });
  }
}

/** Options of TopKAccuracy. */
export interface TopKAccuracyOptions extends MetricOptions {
  /** How many of the highest-scored classes count as a hit (> 1; default 1 is rejected as in MXNet). */
  topK?: number;
}

/**
 * A hit when the label is among the `topK` highest-scored classes. Name `top_k_accuracy_<k>`.
 * @example new mx.metric.TopKAccuracy({ topK: 5 })
 */
export class TopKAccuracy extends EvalMetric {
  static readonly metricName: string = 'TopKAccuracy';
  readonly topK: number;

  constructor(opts: TopKAccuracyOptions | number = {}) {
    const o = typeof opts === 'number' ? { topK: opts } : optionsOf(opts, 'TopKAccuracy');
    const k = o.topK ?? 1;
    super('top_k_accuracy', o, { topK: k });
    if (!(k > 1)) throw new IsotensorError('TopKAccuracy: please use Accuracy if topK is no more than 1');
    this.topK = k;
    this.name += `_${k}`;
  }

  update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
    const [ls, ps] = checkLabelShapes(labels, preds);
    ls.forEach((label, i) => {
      const p = toHost(ps[i]!, this.name);
      if (p.shape.length > 2) throw new IsotensorError(`${this.name}: predictions should be no more than 2 dims, got [${p.shape.join(', ')}]`);
      const l = toHost(label, this.name);
      // float32 scores, as MXNet compares them.
      const score = Float32Array.from(p.v);
      checkLengths(l.shape[0] ?? 1, p.shape[0] ?? 1);
      const numSamples = p.shape[0] ?? 1;
      if (p.shape.length === 1) {
        // MXNet compares the argpartition of a 1-D prediction with the labels position by position.
        const order = [...score.keys()].sort((a, b) => score[a]! - score[b]! || a - b);
        let hit = 0;
        for (let k = 0; k < Math.min(order.length, l.v.length); k++) if (order[k] === toInt32(l.v[k]!)) hit++;
        this.sumMetric += hit;  // (MXNet adds the 1-D case to the local sum only)
      } else {
        const numClasses = p.shape[1]!;
        const k = Math.min(numClasses, this.topK);
        for (let r = 0; r < numSamples; r++) {
          const t = toInt32(l.v[r]!);
          if (t < 0 || t >= numClasses) continue;
          // The label is a hit when fewer than k classes beat it (ties resolved toward lower index).
          const s = score[r * numClasses + t]!;
          let better = 0;
          for (let c = 0; c < numClasses; c++) {
            const x = score[r * numClasses + c]!;
            if (x > s || (x === s && c < t)) better++;
          }
          if (better < k) { this.sumMetric += 1; this.globalSumMetric += 1; }
        }
      }
      this.numInst += numSamples;
      this.globalNumInst += numSamples;
    });
  }
}

/** Confusion counts of a binary classifier, local and global (MXNet's _BinaryClassificationMetrics). */
export class BinaryClassificationStats {
  truePositives = 0; falseNegatives = 0; falsePositives = 0; trueNegatives = 0;
  globalTruePositives = 0; globalFalseNegatives = 0; globalFalsePositives = 0; globalTrueNegatives = 0;

  /** Adds a batch: pred (n, 2) class scores (argmax over axis 1), label (n,) in {0, 1}. */
  updateBinaryStats(label: NDArray, pred: NDArray, who: string): void {
    const p = toHost(pred, who);
    const l = toHost(label, who);
    if (p.shape.length !== 2) throw new IsotensorError(`${who}: predictions must be (batch, classes), got [${p.shape.join(', ')}]`);
    const predLabel = argmaxAxis(p, 1).v;
    checkLengths(l.shape[0] ?? 1, p.shape[0]!);
    const lab = Array.from(l.v, toInt32);
    if (new Set(lab).size > 2) throw new IsotensorError(`${who} currently only supports binary classification.`);
    let tp = 0, fp = 0, fn = 0, tn = 0;
    for (let k = 0; k < lab.length; k++) {
      const pt = predLabel[k] === 1, lt = lab[k] === 1;
      if (pt && lt) tp++; else if (pt) fp++; else if (lt) fn++; else tn++;
    }
    this.truePositives += tp; this.globalTruePositives += tp;
    this.falsePositives += fp; this.globalFalsePositives += fp;
    this.falseNegatives += fn; this.globalFalseNegatives += fn;
    this.trueNegatives += tn; this.globalTrueNegatives += tn;
  }

  get precision(): number { return prf(this.truePositives, this.falsePositives); }
  get globalPrecision(): number { return prf(this.globalTruePositives, this.globalFalsePositives); }
  get recall(): number { return prf(this.truePositives, this.falseNegatives); }
  get globalRecall(): number { return prf(this.globalTruePositives, this.globalFalseNegatives); }
  get fscore(): number { return f1(this.precision, this.recall); }
  get globalFscore(): number { return f1(this.globalPrecision, this.globalRecall); }
  get totalExamples(): number { return this.falseNegatives + this.falsePositives + this.trueNegatives + this.truePositives; }
  get globalTotalExamples(): number {
    return this.globalFalseNegatives + this.globalFalsePositives + this.globalTrueNegatives + this.globalTruePositives;
  }

  /** Matthews correlation of the local (or global) counts; zero factors are left out of the denominator. */
  matthewscc(useGlobal = false): number {
    const [tp, fp, fn, tn] = useGlobal
      ? [this.globalTruePositives, this.globalFalsePositives, this.globalFalseNegatives, this.globalTrueNegatives]
      : [this.truePositives, this.falsePositives, this.falseNegatives, this.trueNegatives];
    if (tp + fp + fn + tn === 0) return 0;
    let denom = 1;
    for (const t of [tp + fp, tp + fn, tn + fp, tn + fn]) if (t !== 0) denom *= t;
    return (tp * tn - fp * fn) / Math.sqrt(denom);
  }

  localResetStats(): void {
    this.falsePositives = 0; this.falseNegatives = 0; this.truePositives = 0; this.trueNegatives = 0;
  }

  resetStats(): void {
    this.localResetStats();
    this.globalFalsePositives = 0; this.globalFalseNegatives = 0; this.globalTruePositives = 0; this.globalTrueNegatives = 0;
  }
}

const prf = (tp: number, other: number) => (tp + other > 0 ? tp / (tp + other) : 0);
const f1 = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/** Options of F1 and MCC. */
export interface BinaryMetricOptions extends MetricOptions {
  /** 'macro' (default): the mean of per-batch scores; 'micro': one score over all counted examples. */
  average?: 'macro' | 'micro';
}

/** F1 and MCC: a score over running binary counts, averaged per batch ('macro') or over all ('micro'). */
abstract class BinaryScoreMetric extends EvalMetric {
  readonly average: 'macro' | 'micro';
  readonly metrics: BinaryClassificationStats = new BinaryClassificationStats();

  constructor(name: string, opts: BinaryMetricOptions) {
    opts = optionsOf(opts, name);
    super(name, opts, { average: opts.average ?? 'macro' });
    this.average = opts.average ?? 'macro';
  }

  /** The score from the counts since the last local reset, or (global) since the last reset. */
  protected abstract score(m: BinaryClassificationStats, global: boolean): number;

  update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
    const [ls, ps] = checkLabelShapes(labels, preds);
    ls.forEach((l, i) => this.metrics.updateBinaryStats(l, ps[i]!, this.name));
    const m = this.metrics;
    if (this.average === 'macro') {
      this.sumMetric += this.score(m, false);
      this.globalSumMetric += this.score(m, true);
      this.numInst += 1;
      this.globalNumInst += 1;
      m.resetStats();
    } else {
      this.sumMetric = this.score(m, false) * m.totalExamples;
      this.globalSumMetric = this.score(m, true) * m.globalTotalExamples;
      this.numInst = m.totalExamples;
      this.globalNumInst = m.globalTotalExamples;
    }
  }

  reset(): void {
    super.reset();
    this.metrics?.resetStats();
  }

  resetLocal(): void {
    super.resetLocal();
    this.metrics.localResetStats();
  }
}

/**
 * F1 score of a binary classifier (class 1 positive); predictions are (batch, 2) scores.
 * @example new mx.metric.F1({ average: 'micro' })
 */
export class F1 extends BinaryScoreMetric {
  static readonly metricName: string = 'F1';

  constructor(opts: BinaryMetricOptions = {}) {
    super('f1', opts);
  }

  protected score(m: BinaryClassificationStats, global: boolean): number {
    return global ? m.globalFscore : m.fscore;
  }
}

/**
 * Matthews correlation coefficient of a binary classifier; predictions are (batch, 2) scores.
 * @example new mx.metric.MCC({ average: 'micro' })
 */
export class MCC extends BinaryScoreMetric {
  static readonly metricName: string = 'MCC';

  constructor(opts: BinaryMetricOptions = {}) {
    super('mcc', opts);
  }

  protected score(m: BinaryClassificationStats, global: boolean): number {
    return m.matthewscc(global);
  }
}

/**
 * Multi-class Matthews correlation (MXNet's PCC) from a running confusion matrix; predictions are
 * class scores (argmax over axis 1) or class ids shaped like the labels.
 */
export class PCC extends EvalMetric {
  static readonly metricName: string = 'PCC';
  private k = 2;
  private lcm: number[][] = [];
  private gcm: number[][] = [];

  constructor(opts: MetricOptions = {}) {
    super('pcc', opts, {});
    this.reset();  // again: the fields above are set after the base constructor's reset()
  }

  private grow(inc: number): void {
    const pad = (m: number[][]) => {
      for (const row of m) row.push(...new Array<number>(inc).fill(0));
      for (let i = 0; i < inc; i++) m.push(new Array<number>(this.k + inc).fill(0));
    };
    pad(this.lcm);
    pad(this.gcm);
    this.k += inc;
  }

  private static mcc(c: number[][]): number {
    const k = c.length;
    let n = 0;
    const x = new Array<number>(k).fill(0), y = new Array<number>(k).fill(0);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) { n += c[i]![j]!; x[i]! += c[i]![j]!; y[j]! += c[i]![j]!; }
    let cxx = 0, cyy = 0, cxy = 0;
    for (let i = 0; i < k; i++) { cxx += x[i]! * (n - x[i]!); cyy += y[i]! * (n - y[i]!); cxy += c[i]![i]! * n - x[i]! * y[i]!; }
    if (cxx === 0 || cyy === 0) return NaN;
    return cxy / Math.sqrt(cxx * cyy);
  }

  update(labels: NDArray | readonly NDArray[], preds: NDArray | readonly NDArray[]): void {
    const [ls, ps] = checkLabelShapes(labels, preds);
    ls.forEach((label, i) => {
      const l = toHost(label, this.name);
      let p = toHost(ps[i]!, this.name);
      const same = p.shape.length === l.shape.length && p.shape.every((d, k) => d === l.shape[k]);
      if (!same) p = argmaxAxis(p, 1);
      const pl = Array.from(p.v, toInt32), ll = Array.from(l.v, toInt32);
      const n = Math.max(...pl, ...ll);
      if (n >= this.k) this.grow(n + 1 - this.k);
      for (let j = 0; j < Math.min(pl.length, ll.length); j++) {
        this.lcm[pl[j]!]![ll[j]!]! += 1;
        this.gcm[pl[j]!]![ll[j]!]! += 1;
      }
    });
    this.numInst += 1;
    this.globalNumInst += 1;
    this.sumMetric = PCC.mcc(this.lcm) * this.numInst;
    this.globalSumMetric = PCC.mcc(this.gcm) * this.globalNumInst;
  }

  reset(): void {
    super.reset();
    this.gcm = zerosMatrix(this.k ?? 2);
    this.lcm = zerosMatrix(this.k ?? 2);
  }

  resetLocal(): void {
    super.resetLocal();
    this.lcm = zerosMatrix(this.k);
  }
}

const zerosMatrix = (k: number) => Array.from({ length: k }, () => new Array<number>(k).fill(0));

register(['accuracy', 'acc'], (o) => new Accuracy(o));
register(['topkaccuracy', 'top_k_accuracy', 'top_k_acc'], (o) => new TopKAccuracy(o));
register(['f1'], (o) => new F1(o));
register(['mcc'], (o) => new MCC(o));
register(['pcc'], (o) => new PCC(o));
