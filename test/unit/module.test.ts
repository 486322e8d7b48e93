// mx.mod.Module end to end: fit an MLP on the UCI digits to >= 95 % held-out accuracy, predict/score
// consistency (padding removed), checkpoints (symbol + params + optimizer states) round-tripping,
// the step-by-step API against the SGD formula, data parallelism over two contexts, initializers
// (mx.init), callbacks (Speedometer, ProgressBar, checkpoints, metric logging) and bad input.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { nd, io, sym } = mx;
type Arr = any;

// ---- data: 1,797 8x8 digits; every fifth example is held out (360 test, 1,437 train) ----
const rows = gunzipSync(readFileSync(new URL('../fixtures/module/digits.csv.gz', import.meta.url)))
  .toString().trim().split('\n').map((l) => l.split(',').map(Number));
const pick = (test: boolean) => rows.filter((_, i) => (i % 5 === 0) === test);
const features = (rs: number[][]) => rs.map((r) => r.slice(0, 64).map((v) => v / 16));
const labels = (rs: number[][]) => rs.map((r) => r[64]!);
const trainRows = pick(false), testRows = pick(true);

function capture() {
  const lines: string[] = [], warnings: string[] = [];
  return { lines, warnings, info: (m: string) => { lines.push(m); }, warn: (m: string) => { warnings.push(m); } };
}
const silent = { info: () => {}, warn: () => {} };

function mlp(hidden = 64): Arr {
  const data = sym.Variable('data');
  let net = sym.FullyConnected({ data, numHidden: hidden, name: 'fc1' });
  net = sym.Activation({ data: net, actType: 'relu', name: 'relu1' });
  net = sym.FullyConnected({ data: net, numHidden: 10, name: 'fc2' });
  return sym.SoftmaxOutput({ data: net, name: 'softmax' });
}

const host = (a: Arr) => Array.from(a.dataSync() as Float32Array);
const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
function argmaxRows(p: Arr): number[] {
  const v = host(p), c = p.shape[1];
  return Array.from({ length: p.shape[0] }, (_, r) => {
    let best = 0;
    for (let k = 1; k < c; k++) if (v[r * c + k]! > v[r * c + best]!) best = k;
    return best;
  });
}

let tmp = '';
beforeAll(async () => {
  await mx.ready();
  announceBackend('module');
  tmp = mkdtempSync(join(tmpdir(), 'isotensor-module-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Module.fit on the digits', () => {
  const log = capture();
  let mod: Arr;
  const val = () => new io.NDArrayIter(features(testRows), labels(testRows), { batchSize: 40 });  // 9 full batches

  beforeAll(async () => {
    mx.random.seed(42);
    const train = new io.NDArrayIter(features(trainRows), labels(trainRows), { batchSize: 32, shuffle: true });
    mod = new mx.mod.Module(mlp(), { context: mx.cpu(), logger: log });
    await mod.fit(train, {
      evalData: val(), optimizer: 'sgd', optimizerParams: { learningRate: 0.1, momentum: 0.9 }, numEpoch: 10,
      initializer: new mx.init.Xavier(), batchEndCallback: new mx.callback.Speedometer(32, 20),
    });
  });

  it('reaches >= 95 % held-out accuracy and logs like MXNet', () => {
    const valLines = log.lines.filter((l) => l.startsWith('Epoch[9] Validation-accuracy='));
    expect(valLines).toHaveLength(1);
    expect(Number(valLines[0]!.split('=')[1])).toBeGreaterThanOrEqual(0.95);
    for (let e = 0; e < 10; e++) {
      expect(log.lines).toContainEqual(expect.stringMatching(new RegExp(`^Epoch\\[${e}\\] Train-accuracy=\\d\\.\\d{6}$`)));
      expect(log.lines).toContainEqual(expect.stringMatching(new RegExp(`^Epoch\\[${e}\\] Time cost=\\d+\\.\\d{3}$`)));
      // the progress bar: one line per epoch in plain logs, with samples/sec and the running metric
      expect(log.lines).toContainEqual(expect.stringMatching(
        new RegExp(`^Epoch\\[${e}\\] \\[=+\\] 100% 45/45  \\d+\\.\\d\\d samples/sec  accuracy=\\d\\.\\d{6}$`)));
    }
    // Speedometer every 20 batches: 45 batches per epoch -> [0-20], [20-40]
    expect(log.lines).toContainEqual(expect.stringMatching(/^Epoch\[3\] Batch \[0-20\]\tSpeed: \d+\.\d\d samples\/sec\taccuracy=\d\.\d{6}$/));
    expect(log.lines).toContainEqual(expect.stringMatching(/^Epoch\[3\] Batch \[20-40\]\tSpeed: /));
    expect(log.warnings).toEqual([]);
  });

  it('predict drops the padding and agrees with score', async () => {
    const probs = mod.predict(val());
    expect(probs.shape).toEqual([360, 10]);
    const truth = labels(testRows);
    const acc = argmaxRows(probs).filter((p, i) => p === truth[i]).length / 360;
    expect(acc).toBeGreaterThanOrEqual(0.95);
    const [[name, scored]] = await mod.score(val(), 'acc');
    expect(name).toBe('accuracy');
    expect(scored).toBe(acc);
    // batches of 32 pad the last one with 24 examples from the start: predict removes them
    const padded = new io.NDArrayIter(features(testRows), labels(testRows), { batchSize: 32 });
    const p2 = mod.predict(padded);
    expect(p2.shape).toEqual([360, 10]);
    expect(maxDiff(host(p2), host(probs))).toBeLessThan(1e-5);
    const sizes = [...mod.iterPredict(padded)].map(([outs]: Arr) => outs[0].shape[0]);
    expect(sizes).toEqual([...Array(11).fill(32), 8]);
    const both = await mod.score(val(), ['acc', 'ce']);
    expect(both.map(([n]: Arr) => n)).toEqual(['accuracy', 'cross-entropy']);
    expect(both[1][1]).toBeGreaterThan(0);
    expect(both[1][1]).toBeLessThan(0.5);
    const lists = mod.predict(val(), { mergeBatches: false });
    expect(lists).toHaveLength(9);
    expect(mod.predict(val(), { alwaysOutputList: true })).toHaveLength(1);
  });

  it('predicts an NDArray of another batch size (the executors are re-shaped)', () => {
    const x = nd.array(features(testRows.slice(0, 7)));
    const p = mod.predict(x);
    expect(p.shape).toEqual([7, 10]);
    expect(mod.outputShapes).toEqual([['softmax_output', [7, 10]]]);
    expect(mod.labelShapes.map(String)).toEqual(['DataDesc[softmax_label,(7,),float32,NCHW]']);
    const full = mod.predict(val());
    expect(mod.outputShapes).toEqual([['softmax_output', [40, 10]]]);
    expect(maxDiff(host(p), host(full).slice(0, 70))).toBeLessThan(1e-5);
  });

  it('checkpoints round-trip: symbol JSON, arg:/aux: params and optimizer states', async () => {
    const prefix = join(tmp, 'mlp');
    await mod.saveCheckpoint(prefix, 10, true);
    for (const f of ['mlp-symbol.json', 'mlp-0010.params', 'mlp-0010.states']) expect(existsSync(join(tmp, f))).toBe(true);
    expect(log.lines).toContain(`Saved checkpoint to "${prefix}-0010.params"`);
    expect(readFileSync(`${prefix}-symbol.json`, 'utf8')).toBe(mod.symbol.toJSON());
    const saved = await nd.load(`${prefix}-0010.params`) as Arr;
    expect(Object.keys(saved).sort()).toEqual(['arg:fc1_bias', 'arg:fc1_weight', 'arg:fc2_bias', 'arg:fc2_weight']);
    const [argParams] = mod.getParams();
    for (const [k, v] of Object.entries(argParams)) expect(host(saved[`arg:${k}`])).toEqual(host(v));

    const loaded = await mx.mod.Module.load(prefix, 10, false, { logger: silent, context: mod.context });
    expect(loaded.paramsInitialized).toBe(true);
    const v = val();
    loaded.bind(v.provideData, v.provideLabel, { forTraining: false });
    expect(host(loaded.predict(v))).toEqual(host(mod.predict(val())));
    const { argParams: a2 } = await mx.model.loadCheckpoint(prefix, 10);
    expect(Object.keys(a2).sort()).toEqual(['fc1_bias', 'fc1_weight', 'fc2_bias', 'fc2_weight']);

    // resume training with the saved momentum
    const resumed = await mx.mod.Module.load(prefix, 10, true, { logger: silent });
    const train = new io.NDArrayIter(features(trainRows), labels(trainRows), { batchSize: 32, shuffle: true });
    await resumed.fit(train, { optimizer: 'sgd', optimizerParams: { learningRate: 0.1, momentum: 0.9 }, numEpoch: 11, beginEpoch: 10, progress: false });
    const [[, acc]] = await resumed.score(val(), 'acc');
    expect(acc).toBeGreaterThanOrEqual(0.95);
  });
});

describe('step by step', () => {
  const x8 = () => nd.array(features(trainRows.slice(0, 8)));
  const y8 = () => nd.array(labels(trainRows.slice(0, 8)));

  it('bind / initParams / forward / backward / update follow the SGD formula (rescaleGrad = 1 / batch)', () => {
    const net = mlp(16);
    const mod = new mx.mod.Module(net, { logger: silent });
    mod.bind([['data', [8, 64]]], [['softmax_label', [8]]]);
    expect(mod.binded).toBe(true);
    expect(mod.dataShapes.map(String)).toEqual(['DataDesc[data,(8, 64),float32,NCHW]']);
    expect(mod.labelShapes.map((d: Arr) => d.name)).toEqual(['softmax_label']);
    mx.random.seed(5);
    mod.initParams({ initializer: new mx.init.Xavier() });
    mod.initOptimizer({ optimizer: 'sgd', optimizerParams: { learningRate: 0.5 } });
    expect(mod.optimizer.rescaleGrad).toBe(1 / 8);
    const [arg] = mod.getParams();
    const before: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(arg)) before[k] = host(v);

    // reference gradients from a plain executor on the same parameters
    const ex = net.simpleBind(mx.cpu(), { data: [8, 64], softmax_label: [8] });
    ex.copyParamsFrom(arg);
    ex.forward({ isTrain: true, data: x8(), softmax_label: y8() });
    ex.backward();

    const batch = new io.DataBatch([x8()], [y8()]);
    mod.forward(batch, { isTrain: true });
    expect(mod.getOutputs()[0].shape).toEqual([8, 10]);
    expect(maxDiff(host(mod.getOutputs()[0]), host(ex.outputs[0]))).toBeLessThan(1e-6);
    const m = new mx.metric.Accuracy();
    mod.updateMetric(m, batch.label);
    expect(m.numInst).toBe(8);
    mod.backward();
    mod.update();
    const [after] = mod.getParams();
    for (const k of Object.keys(before)) {
      const g = host(ex.gradDict[k]);
      const want = before[k]!.map((w, i) => w - 0.5 * (g[i]! / 8));
      expect(maxDiff(host(after[k]), want)).toBeLessThan(1e-6);
    }
  });

  it('two contexts split the batch and sum the gradients: same step as one context', () => {
    const net = mlp(16);
    const one = new mx.mod.Module(net, { logger: silent });
    const two = new mx.mod.Module(net, { context: [mx.cpu(0), mx.cpu(1)], logger: silent });
    for (const m of [one, two]) m.bind([['data', [8, 64]]], [['softmax_label', [8]]]);
    mx.random.seed(9);
    one.initParams({ initializer: new mx.init.Xavier() });
    const [a0, x0] = one.getParams();
    two.initParams({ argParams: a0, auxParams: x0 });
    for (const m of [one, two]) m.initOptimizer({ optimizer: 'sgd', optimizerParams: { learningRate: 0.3, momentum: 0.9 } });
    for (let step = 0; step < 3; step++) {
      const batch = new io.DataBatch([nd.array(features(trainRows.slice(8 * step, 8 * step + 8)))], [nd.array(labels(trainRows.slice(8 * step, 8 * step + 8)))]);
      for (const m of [one, two]) { m.forward(batch, { isTrain: true }); m.backward(); m.update(); }
      expect(two.getOutputs()[0].shape).toEqual([8, 10]);
      expect(maxDiff(host(two.getOutputs()[0]), host(one.getOutputs()[0]))).toBeLessThan(1e-5);
    }
    const [p1] = one.getParams(), [p2] = two.getParams();
    for (const k of Object.keys(p1)) expect(maxDiff(host(p2[k]), host(p1[k]))).toBeLessThan(1e-5);
    expect(mx.mod.splitInputSlice(10, [1, 1, 1])).toEqual([{ start: 0, stop: 3 }, { start: 3, stop: 6 }, { start: 6, stop: 10 }]);
    expect(mx.mod.splitInputSlice(8, [1, 3])).toEqual([{ start: 0, stop: 2 }, { start: 2, stop: 8 }]);
  });

  it('forward(batch, isTrain) takes a boolean, as MXNet\'s positional is_train; bad options are refused', () => {
    const drop = new mx.mod.Module(mx.sym.Dropout(mx.sym.var('data'), { p: 0.5 }), { labelNames: [], logger: silent });
    drop.bind([['data', [4, 256]]]);
    drop.initParams();
    const batch = new io.DataBatch([nd.ones([4, 256])]);
    const zeros = (): number => host(drop.getOutputs()[0]).filter((v) => v === 0).length;
    drop.forward(batch, false);
    expect(zeros()).toBe(0);
    drop.forward(batch, { isTrain: false });
    expect(zeros()).toBe(0);
    for (const train of [true, { isTrain: true }, undefined]) {  // bound for training: training by default
      drop.forward(batch, train);
      expect(zeros()).toBeGreaterThan(400);
      expect(zeros()).toBeLessThan(624);
    }
    expect(() => drop.forward(batch, 1 as Arr)).toThrow(/Module.forward: options must be an object, got number/);
    expect(() => drop.forward(batch, { isTrain: 'no' as Arr })).toThrow(/'isTrain' must be a boolean, got string/);
  });

  it('setParams / getParams copy parameters between modules; inputsNeedGrad gives data gradients', () => {
    const net = mlp(16);
    const a = new mx.mod.Module(net, { logger: silent }), b = new mx.mod.Module(net, { logger: silent });
    a.bind([['data', [8, 64]]], [['softmax_label', [8]]]);
    b.bind([['data', [8, 64]]], [['softmax_label', [8]]], { inputsNeedGrad: true });
    a.initParams({ initializer: new mx.init.Normal(0.1) });
    const [arg, aux] = a.getParams();
    b.initParams({ initializer: new mx.init.Zero() });
    b.setParams(arg, aux);
    const batch = new io.DataBatch([x8()], [y8()]);
    a.forward(batch, { isTrain: false });
    b.forward(batch, { isTrain: true });
    expect(host(b.getOutputs()[0])).toEqual(host(a.getOutputs()[0]));
    b.backward();
    const [g] = b.getInputGrads();
    expect(g.shape).toEqual([8, 64]);
    expect(host(g).some((v) => v !== 0)).toBe(true);
    expect(() => a.getInputGrads()).toThrow(mx.IsotensorError);
  });

  it('fixed parameters stay, states feed an input, monitors reach every executor', () => {
    const mod = new mx.mod.Module(mlp(16), { fixedParamNames: ['fc1_weight'], logger: silent });
    mod.bind([['data', [8, 64]]], [['softmax_label', [8]]]);
    mod.initParams({ initializer: new mx.init.Xavier() });
    mod.initOptimizer({ optimizer: 'sgd', optimizerParams: { learningRate: 1 } });
    const snap = () => Object.fromEntries(Object.entries(mod.getParams()[0]).map(([k, v]) => [k, host(v)]));
    const before = snap();
    mod.forward(new io.DataBatch([x8()], [y8()]));
    mod.backward();
    mod.update();
    const after = snap();
    expect(after.fc1_weight).toEqual(before.fc1_weight);
    expect(maxDiff(after.fc2_weight!, before.fc2_weight!)).toBeGreaterThan(0);

    const data = sym.Variable('data'), h = sym.Variable('h');
    const net = sym.FullyConnected({ data, numHidden: 2, noBias: true, name: 'fc' }).add(h);
    const sm = new mx.mod.Module(net, { stateNames: ['h'], labelNames: null, logger: silent });
    sm.bind([['data', [3, 2]]], null, { forTraining: false });
    sm.initParams({ initializer: new mx.init.One() });
    sm.setStates(null, 10);
    sm.forward(new io.DataBatch([nd.array([[1, 2], [3, 4], [5, 6]])]));
    expect(host(sm.getOutputs()[0])).toEqual([13, 13, 17, 17, 21, 21]);
    sm.setStates([nd.array([[0, 1], [0, 1], [0, 1]])]);
    sm.forward(new io.DataBatch([nd.array([[1, 2], [3, 4], [5, 6]])]));
    expect(host(sm.getOutputs()[0])).toEqual([3, 4, 7, 8, 11, 12]);
    expect(sm.getStates()[0]).toHaveLength(1);
    let installed = 0;
    sm.installMonitor({ install: () => { installed++; } });
    expect(installed).toBe(1);
  });

  it('a regression network with its own label name trains with the MSE metric', async () => {
    const data = sym.Variable('data');
    const fc = sym.FullyConnected({ data, numHidden: 1, name: 'fc' });
    const net = sym.LinearRegressionOutput({ data: fc, name: 'lro' });
    const xs = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
    const ys = xs.map(([p, q]) => 2 * p! - q! + 0.5);
    const it = new io.NDArrayIter(xs, ys, { batchSize: 16, labelName: 'lro_label' });
    const log = capture();
    const mod = new mx.mod.Module(net, { labelNames: ['lro_label'], logger: log });
    await mod.fit(it, { evalMetric: 'mse', optimizer: 'sgd', optimizerParams: { learningRate: 0.5 }, numEpoch: 40, progress: false });
    const [[name, mse]] = await mod.score(it, 'mse');
    expect(name).toBe('mse');
    expect(mse).toBeLessThan(1e-3);
    expect(log.lines).toContainEqual(expect.stringMatching(/^Epoch\[39\] Train-mse=0\.0\d{5}$/));
    const [arg] = mod.getParams();
    expect(maxDiff(host(arg.fc_weight), [2, -1])).toBeLessThan(0.05);
  });
});

describe('mx.init', () => {
  const stats = (a: Arr) => {
    const v = host(a);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
    return { max: Math.max(...v.map(Math.abs)), sd, mean };
  };

  it('Xavier, MSRAPrelu, Uniform, Normal draw with the right scale', () => {
    const w = nd.zeros([200, 100]);
    new mx.init.Xavier().call(new mx.init.InitDesc('x_weight'), w);
    const bound = Math.sqrt(3 / 150);
    let s = stats(w);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(Math.abs(s.sd - bound / Math.sqrt(3)) / (bound / Math.sqrt(3))).toBeLessThan(0.05);
    new mx.init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 }).call(new mx.init.InitDesc('x_weight'), w);
    expect(Math.abs(stats(w).sd - Math.sqrt(2 / 100)) / Math.sqrt(2 / 100)).toBeLessThan(0.05);
    const conv = nd.zeros([16, 8, 3, 3]);
    new mx.init.MSRAPrelu({ factorType: 'in', slope: 0 }).call(new mx.init.InitDesc('c_weight'), conv);
    expect(Math.abs(stats(conv).sd - Math.sqrt(2 / 72)) / Math.sqrt(2 / 72)).toBeLessThan(0.1);
    new mx.init.Uniform(0.2).call(new mx.init.InitDesc('u_weight'), w);
    s = stats(w);
    expect(s.max).toBeLessThanOrEqual(0.2);
    expect(s.max).toBeGreaterThan(0.19);
    new mx.init.Normal(0.5).call(new mx.init.InitDesc('n_weight'), w);
    expect(Math.abs(stats(w).sd - 0.5)).toBeLessThan(0.02);
  });

  it('names pick the rule: bias/beta/moving_mean 0, gamma/moving_var 1; __init__ attributes win', () => {
    const init = new mx.init.Uniform(0.1);
    const vals = (name: string, attrs: Record<string, string> | null = null) => {
      const a = nd.full([3], 7);
      init.call(new mx.init.InitDesc(name, attrs), a);
      return host(a);
    };
    expect(vals('fc_bias')).toEqual([0, 0, 0]);
    expect(vals('bn_beta')).toEqual([0, 0, 0]);
    expect(vals('bn_gamma')).toEqual([1, 1, 1]);
    expect(vals('bn_moving_mean')).toEqual([0, 0, 0]);
    expect(vals('bn_moving_var')).toEqual([1, 1, 1]);
    expect(vals('fc_bias', { __init__: new mx.init.Constant(0.25).dumps() })).toEqual([0.25, 0.25, 0.25]);
    expect(() => vals('mystery')).toThrow(/Unknown initialization pattern for mystery/);
    expect(() => new mx.init.Xavier().call(new mx.init.InitDesc('v_weight'), nd.zeros([4]))).toThrow(/at least 2D/);
  });

  it('dumps/create use MXNet JSON; Mixed, Load, Bilinear, LSTMBias', () => {
    expect(new mx.init.Xavier().dumps()).toBe('["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]');
    expect(new mx.init.Uniform(0.07).dumps()).toBe('["uniform", {"scale": 0.07}]');
    expect(new mx.init.MSRAPrelu().dumps()).toBe('["msraprelu", {"factor_type": "avg", "slope": 0.25}]');
    expect(new mx.init.Zero().dumps()).toBe('["zero", {}]');
    const x = mx.init.create('["xavier", {"rnd_type": "gaussian", "magnitude": 2}]') as Arr;
    expect([x.rndType, x.magnitude, x.factorType]).toEqual(['gaussian', 2, 'avg']);
    expect(mx.init.create('ones')).toBeInstanceOf(mx.init.One);
    expect(() => mx.init.create('nope')).toThrow(/not a registered initializer/);
    // The chosen initializer still applies the name rules (a bias stays 0, as in MXNet).
    const mixed = new mx.init.Mixed(['special', '.*'], [new mx.init.Constant(3), new mx.init.One()]);
    const a = nd.zeros([2]), b = nd.zeros([2]), c = nd.full([2], 9);
    mixed.call(new mx.init.InitDesc('special_weight'), a);
    mixed.call(new mx.init.InitDesc('fc_weight'), b);
    mixed.call(new mx.init.InitDesc('special_bias'), c);
    expect([host(a), host(b), host(c)]).toEqual([[3, 3], [1, 1], [0, 0]]);
    expect(() => new mx.init.Mixed(['x'], [new mx.init.One()]).call('y_weight', a)).toThrow(/did not match any pattern/);
    const load = new mx.init.Load({ 'arg:w': nd.array([5, 6]) }, new mx.init.Zero());
    load.call('w', a);
    load.call(new mx.init.InitDesc('other_weight'), b);
    expect([host(a), host(b)]).toEqual([[5, 6], [0, 0]]);
    expect(() => new mx.init.Load({ w: nd.zeros([3]) }).call('w', a)).toThrow(/Shape mismatch/);
    const bil = nd.zeros([1, 1, 4, 4]);
    new mx.init.Bilinear().call(new mx.init.InitDesc('up_weight'), bil);
    // f = 2, c = 0.75: rows/cols weigh 0.25 0.75 0.75 0.25
    const k = [0.25, 0.75, 0.75, 0.25];
    expect(maxDiff(host(bil), k.flatMap((r) => k.map((c) => r * c)))).toBeLessThan(1e-7);
    const lb = nd.zeros([8]);
    new mx.init.LSTMBias(1.5).call(new mx.init.InitDesc('lstm_i2h_bias'), lb);
    // the forget gate (second quarter) gets the bias; 'bias' names route to the bias rule unless asked
    expect(host(lb)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    new mx.init.LSTMBias(1.5).call(new mx.init.InitDesc('lstm_i2h_bias', { __init__: new mx.init.LSTMBias(1.5).dumps() }), lb);
    expect(host(lb)).toEqual([0, 0, 1.5, 1.5, 0, 0, 0, 0]);
  });

  it('Module.initParams: sorted order under one seed, given params, allowMissing, variable init and BatchNorm aux states', () => {
    const draw = () => {
      mx.random.seed(11);
      const m = new mx.mod.Module(mlp(8), { logger: silent });
      m.bind([['data', [4, 64]]], [['softmax_label', [4]]]);
      m.initParams();
      return Object.fromEntries(Object.entries(m.getParams()[0]).map(([k, v]) => [k, host(v)]));
    };
    const p1 = draw(), p2 = draw();
    expect(p1).toEqual(p2);
    expect(Math.max(...p1.fc1_weight!.map(Math.abs))).toBeLessThanOrEqual(0.01);  // default Uniform(0.01)

    const log = capture();
    const m = new mx.mod.Module(mlp(8), { logger: log });
    m.bind([['data', [4, 64]]], [['softmax_label', [4]]]);
    const given = { fc1_weight: nd.full([8, 64], 0.5), fc1_bias: nd.full([8], 2) };
    expect(() => m.initParams({ argParams: given })).toThrow(/fc2_bias is not presented/);
    m.initParams({ argParams: given, allowMissing: true, initializer: new mx.init.One() });
    const [got] = m.getParams();
    expect(host(got.fc1_bias)).toEqual(Array(8).fill(2));
    expect(host(got.fc2_weight).every((v) => v === 1)).toBe(true);
    expect(host(got.fc2_bias).every((v) => v === 0)).toBe(true);
    m.initParams();
    expect(log.warnings).toEqual(['Parameters already initialized and forceInit=false. initParams call ignored.']);
    expect(() => m.initParams({ argParams: { ...given, fc1_weight: nd.zeros([3]) }, allowMissing: true, forceInit: true }))
      .toThrow(/'fc1_weight' has shape \[3\]/);

    // a Variable's init attribute, and BatchNorm's moving statistics
    const data = sym.Variable('data');
    const w = sym.Variable('fc_weight', { init: new mx.init.Constant(0.5) });
    let net = sym.FullyConnected({ data, weight: w, numHidden: 4, name: 'fc' });
    net = sym.BatchNorm({ data: net, name: 'bn' });
    const bm = new mx.mod.Module(net, { labelNames: null, logger: silent });
    bm.bind([['data', [2, 3]]], null, { forTraining: false });
    bm.initParams({ initializer: new mx.init.Uniform(0.1) });
    const [ba, bx] = bm.getParams();
    expect(host(ba.fc_weight).every((v) => v === 0.5)).toBe(true);
    expect(host(ba.bn_gamma)).toEqual([1, 1, 1, 1]);
    expect(host(ba.bn_beta)).toEqual([0, 0, 0, 0]);
    expect(host(bx.bn_moving_mean)).toEqual([0, 0, 0, 0]);
    expect(host(bx.bn_moving_var)).toEqual([1, 1, 1, 1]);
  });
});

describe('callbacks', () => {
  const param = (epoch: number, nbatch: number, metric: Arr = null, locals: Arr = {}) =>
    ({ epoch, nbatch, evalMetric: metric, locals, logger: undefined });

  it('Speedometer: lines every `frequent` batches, local metric window reset (autoReset)', () => {
    const log = capture();
    const acc = new mx.metric.Accuracy();
    const sp = new mx.callback.Speedometer(10, 2, { logger: log });
    const feed = () => acc.update([nd.array([1, 0])], [nd.array([[0, 1], [0, 1]])]);
    for (let i = 0; i < 5; i++) { feed(); sp.call(param(1, i, acc)); }
    expect(log.lines).toHaveLength(2);
    expect(log.lines[0]).toMatch(/^Epoch\[1\] Batch \[0-2\]\tSpeed: (\d+\.\d\d|inf) samples\/sec\taccuracy=0\.500000$/);
    expect(log.lines[1]).toMatch(/^Epoch\[1\] Batch \[2-4\]\tSpeed: /);
    expect(acc.numInst).toBe(0);  // reset after the report
    const log2 = capture();
    const sp2 = new mx.callback.Speedometer(10, 2, { autoReset: false, logger: log2 });
    for (let i = 0; i < 3; i++) sp2.call(param(0, i));
    expect(log2.lines).toEqual([expect.stringMatching(/^Iter\[0\] Batch \[2\]\tSpeed: /)]);
  });

  it('ProgressBar redraws in place on a TTY and ends the line; logs lines elsewhere', () => {
    let out = '';
    const tty = { isTTY: true, write: (s: string) => { out += s; } };
    const bar = new mx.callback.ProgressBar(4, { stream: tty, length: 8, batchSize: 5 });
    for (let i = 0; i < 4; i++) bar.call(param(2, i));
    const frames = out.split('\r').filter(Boolean);
    expect(frames).toHaveLength(4);
    expect(frames[0]).toMatch(/^Epoch\[2\] \[=>------\]  25% 1\/4  \d+\.\d\d samples\/sec\s*$/);
    expect(frames[3]).toMatch(/^Epoch\[2\] \[========\] 100% 4\/4  \d+\.\d\d samples\/sec\s*\n$/);
    const log = capture();
    const plain = new mx.callback.ProgressBar(null, { logger: log, frequent: 2 });
    for (let i = 0; i < 5; i++) plain.call(param(0, i, null, { numBatches: 5 }));
    const bar40 = (n: number) => `[${'='.repeat(n - 1)}>${'-'.repeat(40 - n)}]`;
    expect(log.lines).toEqual([`Epoch[0] ${bar40(16)}  40% 2/5`, `Epoch[0] ${bar40(32)}  80% 4/5`,
      `Epoch[0] [${'='.repeat(40)}] 100% 5/5`]);
    const unknown = new mx.callback.ProgressBar(null, { logger: log });
    unknown.call(param(1, 0));
    unknown.call(param(1, 1));
    unknown.finish();
    expect(log.lines.at(-1)).toBe('Epoch[1] batch 2');
  });

  it('checkpoint callbacks in fit, validation and train metric logging', async () => {
    const it = new io.NDArrayIter(features(trainRows.slice(0, 64)), labels(trainRows.slice(0, 64)), { batchSize: 16 });
    const log = capture();
    const mod = new mx.mod.Module(mlp(8), { logger: log });
    const p1 = join(tmp, 'cb'), p2 = join(tmp, 'cbmod');
    await mod.fit(it, {
      numEpoch: 2, evalData: it, progress: false,
      epochEndCallback: [mx.callback.doCheckpoint(p1), mx.callback.moduleCheckpoint(mod, p2, 2, true)],
      evalEndCallback: new mx.callback.LogValidationMetricsCallback(),
      batchEndCallback: mx.callback.logTrainMetric(3),
    });
    for (const f of ['cb-symbol.json', 'cb-0001.params', 'cb-0002.params', 'cbmod-0002.params', 'cbmod-0002.states']) {
      expect(existsSync(join(tmp, f))).toBe(true);
    }
    expect(existsSync(join(tmp, 'cbmod-0001.params'))).toBe(false);
    const { argParams } = await mx.model.loadCheckpoint(p1, 2);
    const [now] = mod.getParams();
    for (const k of Object.keys(now)) expect(host(argParams[k])).toEqual(host(now[k]));
    // LogValidationMetricsCallback and fit both report validation
    expect(log.lines.filter((l) => /^Epoch\[1\] Validation-accuracy=/.test(l))).toHaveLength(2);
    expect(log.lines).toContainEqual(expect.stringMatching(/^Iter\[0\] Batch\[3\] Train-accuracy=\d\.\d{6}$/));
  });
});

describe('bad input', () => {
  it('raises IsotensorError for misuse, warns where MXNet warns', async () => {
    const E = mx.IsotensorError;
    expect(() => new mx.mod.Module(mlp(), { dataNames: ['x'] })).toThrow(/input with name 'x' is not found/);
    expect(() => new mx.mod.Module({} as Arr)).toThrow(E);
    const log = capture();
    const m = new mx.mod.Module(mlp(), { labelNames: ['lbl'], logger: log });
    expect(log.warnings[0]).toMatch(/input with name 'lbl' is not found/);
    const mod = new mx.mod.Module(mlp(), { logger: log });
    expect(() => mod.forward(new io.DataBatch([nd.zeros([2, 64])]))).toThrow(/bind\(\)/);
    expect(() => mod.initParams()).toThrow(/bind\(\)/);
    expect(() => mod.bind([['x', [2, 64]]])).toThrow(/don't match names/);
    mod.bind([['data', [2, 64]]], [['softmax_label', [2]]]);
    mod.bind([['data', [2, 64]]]);
    expect(log.warnings).toContain('Already bound, ignoring bind()');
    mod.initParams();
    expect(() => mod.update()).toThrow(/initOptimizer/);
    expect(() => mod.initOptimizer({ kvstore: 'dist_sync' })).toThrow(/not supported/);
    expect(() => mod.initOptimizer({ optimizer: 'no_such_optimizer' })).toThrow(E);
    expect(() => mod.predict(42 as Arr)).toThrow(/NDArray or a DataIter/);
    expect(() => mod.forward(new io.DataBatch([nd.zeros([2, 63])]))).toThrow(E);
    await expect(mod.fit(new io.NDArrayIter(nd.zeros([4, 64]), nd.zeros([4])), {} as Arr)).rejects.toThrow(/numEpoch/);
    await expect(mx.mod.Module.load(join(tmp, 'missing'), 1)).rejects.toThrow();
    void m;
  });
});
