// mx.metric against NumPy references (test/fixtures/module/gen_metric.py: MXNet 1.9's definitions, with
// the textbook formulas for F1, MCC, Pearson r and perplexity asserted there), plus the EvalMetric
// protocol: local vs global statistics, create() forms, composite/custom metrics and bad input.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { nd, metric } = mx;
type Arr = any;

interface Case {
  metric: string | string[];
  opts: Record<string, unknown>;
  note: string;
  batches: { labels: { shape: number[]; data: number[] }[]; preds: { shape: number[]; data: number[] }[] }[];
  local: [string[], (number | 'NaN')[]];
  global: [string[], (number | 'NaN')[]];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/module/metric.json', import.meta.url), 'utf8')) as { cases: Case[] };

beforeAll(async () => {
  await mx.ready();
  announceBackend('metric');
});

const toNd = (a: { shape: number[]; data: number[] }) => nd.array(new Float32Array(a.data), { shape: a.shape });
const num = (v: number | 'NaN') => (v === 'NaN' ? NaN : v);
const close = (got: number, want: number) => {
  if (Number.isNaN(want)) expect(got).toBeNaN();
  else expect(Math.abs(got - want)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(want)));
};

describe('metric values match the NumPy reference', () => {
  for (const c of fixture.cases) {
    it(`${JSON.stringify(c.metric)} ${JSON.stringify(c.opts)} ${c.note}`, () => {
      const m = metric.create(c.metric as Arr, c.opts);
      for (const b of c.batches) m.update(b.labels.map(toNd), b.preds.map(toNd));
      const local = m.getNameValue(), glob = m.getGlobalNameValue();
      expect(local.map(([n]: Arr) => n)).toEqual(c.local[0]);
      expect(glob.map(([n]: Arr) => n)).toEqual(c.global[0]);
      local.forEach(([, v]: Arr, i: number) => close(v, num(c.local[1][i]!)));
      glob.forEach(([, v]: Arr, i: number) => close(v, num(c.global[1][i]!)));
    });
  }
});

describe('EvalMetric protocol', () => {
  const pred = () => nd.array([[0.3, 0.7], [0.6, 0.4], [0.1, 0.9], [0.8, 0.2]]);
  it('get() is NaN before any update; reset() clears both windows; resetLocal() only the local one', () => {
    const acc = new metric.Accuracy();
    expect(acc.get()[0]).toBe('accuracy');
    expect(acc.get()[1]).toBeNaN();
    acc.update([nd.array([1, 0, 1, 1])], [pred()]);
    expect(acc.get()).toEqual(['accuracy', 0.75]);
    acc.resetLocal();
    expect(acc.get()[1]).toBeNaN();
    acc.update(nd.array([0, 0, 0, 0]), pred());  // single arrays are wrapped
    expect(acc.get()).toEqual(['accuracy', 0.5]);
    expect(acc.getGlobal()).toEqual(['accuracy', 5 / 8]);
    expect(acc.numInst).toBe(4);
    expect(acc.globalNumInst).toBe(8);
    expect(String(acc)).toBe("EvalMetric: {'accuracy': 0.5}");
    acc.reset();
    expect(acc.getGlobal()[1]).toBeNaN();
  });

  it('updateAsync reads without blocking and gives what update gives', async () => {
    const a = new metric.CompositeEvalMetric(['acc', 'ce', 'f1']), b = new metric.CompositeEvalMetric(['acc', 'ce', 'f1']);
    const l = nd.array([1, 0, 1, 1]), p = pred();
    a.update([l], [p]);
    await b.updateAsync([l], [p]);
    expect(b.get()).toEqual(a.get());
    // the values read ahead are not kept: a later blocking update sees new contents
    p.set(nd.array([[1, 0], [1, 0], [1, 0], [1, 0]]));
    b.update([l], [p]);
    expect(b.getMetric(0).get()).toEqual(['accuracy', 4 / 8]);
  });

  it('updateDict picks outputs and labels by name', () => {
    const acc = new metric.Accuracy({ outputNames: ['b_output'], labelNames: ['lab'] });
    acc.updateDict({ lab: nd.array([1, 1, 1, 1]), other: nd.array([0, 0, 0, 0]) },
                   { a_output: nd.array([[1, 0], [1, 0], [1, 0], [1, 0]]), b_output: pred() });
    expect(acc.get()[1]).toBe(0.5);
    expect(() => new metric.Accuracy({ labelNames: ['nope'] }).updateDict({ lab: nd.zeros([1]) }, { o: nd.zeros([1, 2]) }))
      .toThrow(/no label named 'nope'/);
  });

  it('create() takes names, aliases, JSON, configs, functions, lists and instances', () => {
    expect(metric.create('acc')).toBeInstanceOf(metric.Accuracy);
    expect(metric.create('ACCURACY')).toBeInstanceOf(metric.Accuracy);
    expect(metric.create('ce')).toBeInstanceOf(metric.CrossEntropy);
    const tk = metric.create('["top_k_accuracy", {"top_k": 4}]');
    expect(tk.name).toBe('top_k_accuracy_4');
    const again = metric.create(metric.create('f1', { average: 'micro' }).getConfig() as Arr);
    expect(again).toBeInstanceOf(metric.F1);
    expect((again as Arr).average).toBe('micro');
    const inst = new metric.MSE();
    expect(metric.create(inst)).toBe(inst);
    const comp = metric.create(['acc', 'mae']);
    expect(comp).toBeInstanceOf(metric.CompositeEvalMetric);
    expect(metric.listMetrics()).toEqual(expect.arrayContaining(['acc', 'accuracy', 'ce', 'f1', 'mae', 'mcc', 'mse', 'rmse', 'perplexity', 'pearsonr']));
  });

  it('CompositeEvalMetric reports every child, getMetric by index', () => {
    const m = new metric.CompositeEvalMetric();
    m.add('acc');
    m.add(new metric.CrossEntropy());
    m.update([nd.array([1, 0, 1, 1])], [pred()]);
    const [names, values] = m.get() as [string[], number[]];
    expect(names).toEqual(['accuracy', 'cross-entropy']);
    expect(values[0]).toBe(0.75);
    const ce = -(Math.log(0.7) + Math.log(0.6) + Math.log(0.9) + Math.log(0.2)) / 4;
    expect(Math.abs(values[1]! - ce)).toBeLessThan(1e-6);
    expect(m.getMetric(1)).toBeInstanceOf(metric.CrossEntropy);
    expect(() => m.getMetric(5)).toThrow(/out of range/);
    m.reset();
    expect(m.get()[1]).toEqual([NaN, NaN]);
  });

  it('CustomMetric and metric.np wrap functions; Loss averages the outputs', () => {
    function mad(label: Arr, p: Arr) { return nd.abs(label.sub(p)).mean().asScalar(); }
    const c = metric.create(mad);
    expect(c.name).toBe('mad');
    c.update([nd.array([1, 2, 3])], [nd.array([1, 2, 6])]);
    expect(c.get()).toEqual(['mad', 1]);
    const pairs = metric.np((l: Arr, p: Arr) => [l.length, p.length] as Arr, 'count');
    pairs.update([nd.array([1, 2]), nd.array([3])], [nd.array([0, 0]), nd.array([0])]);
    expect(pairs.get()).toEqual(['count', 1]);
    const loss = new metric.Loss();
    loss.update(null as Arr, [nd.array([1, 2, 3, 6])]);
    expect(loss.get()).toEqual(['loss', 3]);
    expect(() => c.getConfig()).toThrow(/cannot be serialized/);
  });

  it('TopKAccuracy counts a hit when the label is among the k best', () => {
    const m = new metric.TopKAccuracy(2);
    m.update([nd.array([2, 0, 1])], [nd.array([[0.1, 0.5, 0.4], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]])]);
    // row 0: best two {1, 2} -> hit; row 1: {1, 2} -> miss; row 2: {2, 0} (tie 0.3 goes to the lower index) -> miss
    expect(m.get()).toEqual(['top_k_accuracy_2', 1 / 3]);
  });
});

describe('bad input', () => {
  it('mismatched lists, shapes and labels raise IsotensorError', () => {
    const E = mx.IsotensorError;
    expect(() => new metric.Accuracy().update([nd.zeros([2])], [nd.zeros([2, 3]), nd.zeros([2, 3])])).toThrow(E);
    expect(() => new metric.Accuracy().update([nd.zeros([3])], [nd.zeros([2, 3])])).toThrow(/does not match/);
    expect(() => new metric.F1().update([nd.array([0, 1, 2])], [nd.zeros([3, 3])])).toThrow(/only supports binary/);
    expect(() => new metric.CrossEntropy().update([nd.array([0, 5])], [nd.zeros([2, 3])])).toThrow(/out of range/);
    expect(() => new metric.PearsonCorrelation().update([nd.zeros([3])], [nd.zeros([4])])).toThrow(/does not match/);
    expect(() => new metric.TopKAccuracy(1)).toThrow(/Accuracy/);
    expect(() => metric.create('no_such_metric')).toThrow(/not a registered metric/);
    expect(() => new metric.Accuracy().update([[1, 2]] as Arr, [nd.zeros([2])])).toThrow(E);
    expect(() => new metric.MAE().update([nd.zeros([2, 3])], [nd.zeros([2, 4])])).toThrow(/do not broadcast/);
  });
});
