// gluon.Trainer and gluon.utils: SGD against its formula, lr/wd multipliers, multi-context data parallelism through
// a KVStore (== one-context training on the whole batch), states, the seed's Gluon loop, memory over 2,000 steps,
// and >= 95 % on the UCI digits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { fresh, gluonSpec, host, maxDiff } from '../helpers/gluon-spec';
import { settledMemory } from '../helpers/settled-memory';

const { nd, gluon, autograd } = mx;
const { nn } = gluon;
type Arr = any;
const dir = gluonSpec('gluon-trainer', 'ist-gluon-trainer-');
const tick = () => new Promise((r) => setImmediate(r));

function dense(w: number[][], b: number[]): Arr {
  const d = new nn.Dense(w.length, { inUnits: w[0]!.length });
  d.initialize();
  d.weight.setData(nd.array(w));
  d.bias!.setData(nd.array(b));
  return d;
}

describe('Trainer updates', () => {
  it('SGD with momentum and wd follows the formula (gradient divided by batchSize)', () => {
    const w0 = [[0.5, -1, 2], [1, 0, -0.5]];
    const d = dense(w0, [0.1, -0.2]);
    const tr = new gluon.Trainer(d.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9, wd: 0.01 });
    expect(tr.learningRate).toBe(0.1);
    const x = nd.array([[1, 2, 3], [-1, 0, 1], [2, 2, 2], [0, 1, 0]]);
    let w = w0.flat();
    let mom = w.map(() => 0);
    for (let s = 0; s < 3; s++) {
      autograd.record(() => d.forward(x).square().sum()).backward();
      const g = host(d.weight.grad());
      tr.step(4);
      mom = mom.map((m, i) => 0.9 * m - 0.1 * (g[i]! / 4 + 0.01 * w[i]!));
      w = w.map((v, i) => v + mom[i]!);
      expect(maxDiff(host(d.weight.data()), w)).toBeLessThan(1e-5);
    }
    tr.setLearningRate(0.05);
    expect(tr.learningRate).toBe(0.05);
    expect(tr.optimizer.learningRate).toBe(0.05);
  });

  it('honours lrMult / wdMult and gradReq null', () => {
    const d = dense([[1, 1]], [1]);
    d.weight.lrMult = 0;
    const b0 = host(d.bias.data());
    const tr = new gluon.Trainer(d.collectParams(), 'sgd', { learningRate: 1 });
    autograd.record(() => d.forward(nd.array([[1, 2]])).sum()).backward();
    tr.step(1);
    expect(host(d.weight.data())).toEqual([1, 1]);
    expect(host(d.bias.data())).toEqual([b0[0]! - 1]);
    const e = dense([[2, 2]], [0]);
    e.weight.wdMult = 0;
    e.bias.gradReq = 'null';
    const t2 = new gluon.Trainer(e.collectParams(), 'sgd', { learningRate: 0.5, wd: 1 });
    autograd.record(() => e.forward(nd.array([[1, 1]])).sum()).backward();
    t2.step(1);
    expect(host(e.weight.data())).toEqual([1.5, 1.5]);   // no decay, only the gradient (1)
    expect(() => new gluon.Trainer(e.collectParams(), mx.optimizer.create('sgd'), { learningRate: 1 })).toThrow(/optimizerParams must be empty/);
  });

  it('saveStates/loadStates continue training identically', () => {
    const make = () => dense([[0.3, -0.2], [0.1, 0.4]], [0, 0]);
    const x = nd.array([[1, 2], [3, -1]]);
    const a = make();
    const ta = new gluon.Trainer(a.collectParams(), 'adam', { learningRate: 0.1 });
    const once = (net: Arr, tr: Arr) => {
      autograd.record(() => net.forward(x).square().sum()).backward();
      tr.step(2);
    };
    once(a, ta);
    once(a, ta);
    const f = join(dir, 'trainer.states');
    ta.saveStates(f);
    const b = make();
    b.weight.setData(a.weight.data());
    b.bias.setData(a.bias.data());
    const tb = new gluon.Trainer(b.collectParams(), 'adam', { learningRate: 0.1 });
    tb.loadStates(f);
    once(a, ta);
    once(b, tb);
    expect(maxDiff(host(b.weight.data()), host(a.weight.data()))).toBeLessThan(1e-6);
  });
});

describe('multi-context data parallelism', () => {
  const ctxs = [mx.cpu(0), mx.cpu(1)];
  let x: Arr;
  let y: Arr;
  beforeAll(() => {
    x = nd.random.uniform({ shape: [8, 6], low: -1, high: 1 });
    y = nd.array([0, 1, 2, 0, 1, 2, 0, 1]);
  });

  function net(ctx: Arr): Arr {
    const n = fresh(() => {
      const s = new nn.HybridSequential();
      s.nameScope(() => s.add(new nn.Dense(5, { activation: 'relu', inUnits: 6 }), new nn.Dense(3, { inUnits: 5 })));
      return s;
    });
    n.initialize({ init: new mx.init.Constant(0.1), ctx });
    return n;
  }

  function train(ctx: Arr, opts: Arr, hybrid: boolean): number[][] {
    const n = net(ctx);
    if (hybrid) n.hybridize();
    const ce = new gluon.loss.SoftmaxCELoss();
    const tr = new gluon.Trainer(n.collectParams(), 'sgd', { learningRate: 0.5, momentum: 0.5 }, opts);
    for (let s = 0; s < 3; s++) {
      const xs = gluon.utils.splitAndLoad(x, Array.isArray(ctx) ? ctx : [ctx]);
      const ys = gluon.utils.splitAndLoad(y, Array.isArray(ctx) ? ctx : [ctx]);
      const losses = autograd.record(() => xs.map((xi: Arr, i: number) => ce.forward(n.forward(xi), ys[i])));
      autograd.backward(losses);
      tr.step(8);
    }
    if (Array.isArray(ctx) && ctx.length > 1) {
      for (const p of n.collectParams().values()) {
        expect(host((p as Arr).data(ctx[1]))).toEqual(host((p as Arr).data(ctx[0])));
      }
      expect(tr.kvstore === null).toBe(opts.kvstore === null);
    }
    return [...n.collectParams().values()].map((p: Arr) => host(p.data(Array.isArray(ctx) ? ctx[0] : ctx)));
  }

  it('two contexts train exactly like one context on the whole batch (kvstore device/local, on or off the store, none)', () => {
    const single = train(mx.cpu(0), {}, false);
    for (const opts of [{}, { kvstore: 'local' }, { kvstore: 'device', updateOnKvstore: false },
                        { kvstore: 'local', updateOnKvstore: false }, { kvstore: null }, { kvstore: mx.kv.create('device') }]) {
      const multi = train(ctxs, opts, false);
      multi.forEach((p, i) => expect(maxDiff(p, single[i]!)).toBeLessThan(1e-5));
    }
    const hyb = train(ctxs, {}, true);
    hyb.forEach((p, i) => expect(maxDiff(p, single[i]!)).toBeLessThan(1e-5));
  });

  it('allreduceGrads + clipGlobalNorm + update', () => {
    const n = net(ctxs);
    const tr = new gluon.Trainer(n.collectParams(), 'sgd', { learningRate: 0.1 }, { updateOnKvstore: false });
    const xs = gluon.utils.splitAndLoad(x, ctxs);
    autograd.backward(autograd.record(() => xs.map((xi: Arr) => n.forward(xi).sum())));
    tr.allreduceGrads();
    const params = [...n.collectParams().values()] as Arr[];
    const g0 = params.map((p) => host(p.grad(ctxs[0])));
    const g1 = params.map((p) => host(p.grad(ctxs[1])));
    g0.forEach((g, i) => expect(g).toEqual(g1[i]));
    const norm = Math.sqrt(g0.flat().reduce((s, v) => s + v * v, 0));
    for (const c of ctxs) {
      expect(gluon.utils.clipGlobalNorm(params.map((p) => p.grad(c)), 1)).toBeCloseTo(norm, 3);
    }
    const clipped = params.map((p) => host(p.grad(ctxs[0])));
    expect(Math.sqrt(clipped.flat().reduce((s, v) => s + v * v, 0))).toBeCloseTo(1, 4);
    const before = host(params[0].data(ctxs[0]));
    tr.update(1);
    const after = host(params[0].data(ctxs[0]));
    expect(maxDiff(after, before.map((v, i) => v - 0.1 * clipped[0]![i]!))).toBeLessThan(1e-6);
    const onKv = new gluon.Trainer(n.collectParams(), 'sgd', { learningRate: 0.1 });
    expect(() => onKv.allreduceGrads()).toThrow(/updateOnKvstore: false/);
  });
});

describe('Stale gradients (MXNet: _fresh_grad, ignore_stale_grad)', () => {
  // Two heads on one input: a step may use one of them.
  function twoHeads(): Arr {
    const a = dense([[1, 2]], [0.5]);
    const b = dense([[-1, 3]], [0.25]);
    return { a, b, params: [a.weight, a.bias, b.weight, b.bias] };
  }
  let x: Arr;
  beforeAll(() => { x = nd.array([[1, 2]]); });

  it('freshGrad: set by a backward over all variables, cleared by step, false off a variable', () => {
    const v = nd.array([1, 2]);
    expect(v.freshGrad).toBe(false);
    v.attachGrad();
    expect(v.freshGrad).toBe(false);
    autograd.record(() => v.mul(3).sum()).backward();
    expect(v.freshGrad).toBe(true);
    v.freshGrad = false;
    expect(v.freshGrad).toBe(false);
    // autograd.grad (explicit variables) returns gradients and leaves the buffers, and the flag, alone.
    const y = autograd.record(() => v.mul(v).sum());
    autograd.grad([y], [v]);
    expect(v.freshGrad).toBe(false);
    const plain = nd.ones([2]);
    expect(plain.freshGrad).toBe(false);
    expect(() => { plain.freshGrad = true; }).toThrow(mx.IsotensorError);
    expect(() => { plain.freshGrad = true; }).toThrow(/set_grad_state.*not a variable.*attachGrad/);
    expect(nd.ones([1]).add(1).asScalar()).toBe(2);  // still works after the error
  });

  it('step without a fresh backward names the parameter and changes nothing', () => {
    const d = dense([[1, 2]], [0.5]);
    const tr = new gluon.Trainer(d.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
    autograd.record(() => d.forward(x).sum()).backward();
    tr.step(1);
    expect(d.weight.data().freshGrad).toBe(false);
    const w1 = host(d.weight.data());
    expect(() => tr.step(1)).toThrow(mx.IsotensorError);
    expect(() => tr.step(1)).toThrow(/Parameter 'dense\d+_bias' on context cpu\(0\) has not been updated by backward since the last step.*ignoreStaleGrad/);
    expect(host(d.weight.data())).toEqual(w1);
    // The next backward makes it fresh again.
    autograd.record(() => d.forward(x).sum()).backward();
    tr.step(1);
    expect(maxDiff(host(d.weight.data()), w1.map((w, i) => w - 0.1 * 0.9 * [1, 2][i]! - 0.1 * [1, 2][i]!))).toBeLessThan(1e-6);
  });

  it('ignoreStaleGrad skips the parameters backward did not reach: weights and momentum stay', () => {
    const { a, b, params } = twoHeads();
    const tr = new gluon.Trainer(params, 'sgd', { learningRate: 0.1, momentum: 0.5 });
    autograd.record(() => nd.add(a.forward(x), b.forward(x)).sum()).backward();
    tr.step(1);
    const b1 = [host(b.weight.data()), host(b.bias.data())];
    const a1 = host(a.weight.data());
    // Only head a this time: b is stale.
    autograd.record(() => a.forward(x).sum()).backward();
    expect(() => tr.step(1)).toThrow(new RegExp(`Parameter '${b.weight.name}'`));
    expect(host(a.weight.data())).toEqual(a1);  // the refused step applied nothing
    tr.step(1, true);
    expect(host(b.weight.data())).toEqual(b1[0]);
    expect(host(b.bias.data())).toEqual(b1[1]);
    // a: the second SGD-momentum step, momentum 0.5 * (-0.1 g) + (-0.1 g), g = x.
    expect(maxDiff(host(a.weight.data()), a1.map((w, i) => w - 0.15 * [1, 2][i]!))).toBeLessThan(1e-6);
    // b's momentum was not advanced by the skipped step: its second update is -0.15 g (-0.175 g otherwise).
    autograd.record(() => nd.add(a.forward(x), b.forward(x)).sum()).backward();
    tr.step(1, { ignoreStaleGrad: true });
    expect(maxDiff(host(b.weight.data()), b1[0]!.map((w, i) => w - 0.15 * [1, 2][i]!))).toBeLessThan(1e-6);
    expect(() => tr.step(1, { ignoreStale: true } as Arr)).toThrow(/Trainer.step: unknown option\(s\) ignoreStale/);
    expect(() => tr.step(1, { ignoreStaleGrad: 1 } as Arr)).toThrow(/'ignoreStaleGrad' must be a boolean/);
  });

  it('hybridized blocks make their parameters fresh too; gradReq null is never stale', () => {
    const net = new nn.HybridSequential();
    net.add(new nn.Dense(3, { inUnits: 2, activation: 'relu' }), new nn.Dense(1, { inUnits: 3 }));
    net.initialize();
    net.hybridize();
    const first = [...net.collectParams().values()][0] as Arr;
    first.gradReq = 'null';
    const tr = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.01 });
    for (let s = 0; s < 3; s++) {
      autograd.record(() => net.forward(x).sum()).backward();
      tr.step(1);
    }
    expect(() => tr.step(1)).toThrow(/has not been updated by backward/);
  });

  it('update() after allreduceGrads() checks and skips the same way', () => {
    const { a, b, params } = twoHeads();
    const tr = new gluon.Trainer(params, 'sgd', { learningRate: 1 }, { updateOnKvstore: false });
    autograd.record(() => a.forward(x).sum()).backward();
    tr.allreduceGrads();
    expect(() => tr.update(1)).toThrow(new RegExp(`^Trainer.update: gradient of Parameter '${b.weight.name}'`));
    const bw = host(b.weight.data());
    tr.update(1, true);
    expect(host(b.weight.data())).toEqual(bw);
    expect(host(a.weight.data())).toEqual([0, 0]);
  });
});

describe('gluon.utils', () => {
  it('splitData / splitAndLoad / clipGlobalNorm', () => {
    const a = nd.arange(0, 12).reshape([6, 2]);
    expect(gluon.utils.splitData(a, 3).map((s: Arr) => host(s))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
    expect(() => gluon.utils.splitData(a, 4)).toThrow(/cannot be evenly split into 4 slices/);
    expect(gluon.utils.splitData(a, 4, 0, false).map((s: Arr) => s.shape[0])).toEqual([2, 2, 1, 1]);
    expect(gluon.utils.splitData(a, 2, 1).map((s: Arr) => host(s))).toEqual([[0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9, 11]]);
    const parts = gluon.utils.splitAndLoad(a, [mx.cpu(0), mx.cpu(1)]);
    expect(parts.map((p: Arr) => String(p.context))).toEqual(['cpu(0)', 'cpu(1)']);
    expect(host(parts[1])).toEqual([6, 7, 8, 9, 10, 11]);
    const g = [nd.array([3, 0]), nd.array([[4]])];
    expect(gluon.utils.clipGlobalNorm(g, 10)).toBeCloseTo(5, 5);
    expect(host(g[0])).toEqual([3, 0]);
    expect(gluon.utils.clipGlobalNorm(g, 1)).toBeCloseTo(5, 5);
    expect(maxDiff(host(g[0]), [0.6, 0])).toBeLessThan(1e-6);
    expect(() => gluon.utils.clipGlobalNorm([nd.array([NaN])], 1)).toThrow(/nan or inf/);
  });
});

describe('training loops', () => {
  it("runs the seed's Gluon loop (Dense(10) + SoftmaxCELoss + ArrayDataset/DataLoader + Trainer('sgd')) and lowers the loss", async () => {
    mx.random.seed(11);
    const net = new nn.Dense(10);
    const ce = new gluon.loss.SoftmaxCELoss();
    net.initialize();
    // learnable labels: the argmax of a fixed random projection
    const data = nd.random.uniform({ shape: [1024, 100] });
    const proj = nd.random.normal({ shape: [100, 10] });
    const label = nd.argmax(nd.dot(data, proj), 1).astype('int32');
    const trainData = new gluon.data.DataLoader(new gluon.data.ArrayDataset(data, label), { batchSize: 128, shuffle: true, numWorkers: 2 });
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
    const epochLoss: number[] = [];
    for (let epoch = 0; epoch < 5; epoch++) {
      let prev: Arr = null;
      let total = 0;
      for await (const [x, yb] of trainData as Arr) {
        const loss = autograd.record(() => ce.forward(net.forward(x), yb));
        const prevLoss = prev;
        prev = loss;
        loss.backward();
        trainer.step(x.shape[0]);
        if (prevLoss !== null) total += prevLoss.mean().asScalar();
      }
      epochLoss.push(total);
    }
    expect(epochLoss[4]!).toBeLessThan(epochLoss[0]! * 0.8);
  }, 120_000);

  it('2,000 Dense training steps keep mx.memoryInfo() flat with no dispose calls', async () => {
    const net = fresh(() => {
      const s = new nn.HybridSequential();
      s.nameScope(() => s.add(new nn.Dense(32, { activation: 'relu' }), new nn.Dense(10)));
      return s;
    });
    net.initialize({ init: new mx.init.Xavier() });
    const ce = new gluon.loss.SoftmaxCELoss();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
    const x = nd.random.uniform({ shape: [16, 20] });
    const y = nd.array(Array.from({ length: 16 }, (_, i) => i % 10));
    const train = (steps: number) => {
      for (let i = 0; i < steps; i++) {
        const loss = autograd.record(() => ce.forward(net.forward(x), y));
        loss.backward();
        trainer.step(16);
      }
    };
    train(20);
    const base = await settledMemory();
    // Without a collection in between, each step leaves only the user's loss and output arrays.
    const beforeWindow = mx.memoryInfo().liveArrays;
    train(100);
    expect(mx.memoryInfo().liveArrays - beforeWindow).toBeLessThanOrEqual(2 * 100);
    for (let k = 0; k < 19; k++) {
      train(100);
      await tick();
    }
    const after = await settledMemory();
    expect(after.liveArrays).toBeLessThanOrEqual(base.liveArrays);
    expect(after.liveBytes).toBeLessThanOrEqual(base.liveBytes);
  }, 120_000);

  it('reaches >= 95 % held-out accuracy on the UCI digits in a few epochs', async () => {
    const rows = gunzipSync(readFileSync(new URL('../fixtures/module/digits.csv.gz', import.meta.url)))
      .toString().trim().split('\n').map((l) => l.split(',').map(Number));
    const split = (test: boolean) => rows.filter((_, i) => (i % 5 === 0) === test);
    const toNd = (rs: number[][]) => [nd.array(rs.map((r) => r.slice(0, 64).map((v) => v / 16))),
                                      nd.array(rs.map((r) => r[64]!))];
    const [xTrain, yTrain] = toNd(split(false));
    const [xTest, yTest] = toNd(split(true));
    mx.random.seed(3);
    const net = new nn.HybridSequential();
    net.nameScope(() => net.add(new nn.Dense(64, { activation: 'relu' }), new nn.Dense(10)));
    net.initialize({ init: new mx.init.Xavier() });
    net.hybridize();
    const ce = new gluon.loss.SoftmaxCELoss();
    const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.01 });
    const loader = new gluon.data.DataLoader(new gluon.data.ArrayDataset(xTrain, yTrain), { batchSize: 32, shuffle: true });
    const accuracy = () => {
      const pred = host(nd.argmax(net.forward(xTest), 1));
      const truth = host(yTest);
      return pred.filter((p, i) => p === truth[i]).length / truth.length;
    };
    let acc = 0;
    let epochs = 0;
    for (; epochs < 8 && acc < 0.95; epochs++) {
      for await (const [xb, yb] of loader as Arr) {
        autograd.record(() => ce.forward(net.forward(xb), yb)).backward();
        trainer.step(xb.shape[0]);
      }
      acc = accuracy();
    }
    console.log(`gluon-trainer: UCI digits held-out accuracy ${(acc * 100).toFixed(1)} % after ${epochs} epoch(s)`);
    expect(acc).toBeGreaterThanOrEqual(0.95);
  }, 120_000);
});
