// hybridize(): the traced graph run by the Symbol executor as one autograd node gives the imperative outputs
// and gradients (MLP, LeNet, auxiliary states); executors are cached per signature; export + SymbolBlock.imports.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { fresh, gluonSpec, host, maxDiff } from '../helpers/gluon-spec';

const { nd, gluon, autograd } = mx;
const { nn } = gluon;
type Arr = any;
const dir = gluonSpec('gluon-hybridize', 'ist-gluon-hyb-');

function mlp(): Arr {
  const net = new nn.HybridSequential();
  net.nameScope(() => net.add(new nn.Dense(32, { activation: 'relu' }), new nn.Dense(16, { activation: 'tanh' }),
                              new nn.Dense(10)));
  return net;
}

function lenet(): Arr {
  const net = new nn.HybridSequential();
  net.nameScope(() => net.add(
    new nn.Conv2D(6, 5, { activation: 'relu' }), new nn.MaxPool2D(2, { strides: 2 }),
    new nn.Conv2D(16, 3, { activation: 'relu' }), new nn.AvgPool2D(2, { strides: 2 }),
    new nn.Flatten(), new nn.Dense(32, { activation: 'relu' }), new nn.Dense(10)));
  return net;
}

/** Loss value, parameter gradients and the input gradient of one recorded step. */
function step(net: Arr, x: Arr, y: Arr | null): { out: number[]; loss: number[]; grads: number[][]; dx: number[] } {
  const ce = y === null ? { forward: (o: Arr) => o.square().sum() } : new gluon.loss.SoftmaxCrossEntropyLoss();
  x.attachGrad();
  let out: Arr;
  const loss = autograd.record(() => {
    out = net.forward(x);
    return ce.forward(out, y);
  });
  loss.backward();
  const grads = [...net.collectParams().values()].filter((p: Arr) => p.gradReq !== 'null').map((p: Arr) => host(p.grad()));
  return { out: host(out), loss: host(loss), grads, dx: host(x.grad) };
}

function compare(make: () => Arr, shape: number[], tol: number): void {
  const a = fresh(make);
  a.initialize({ init: new mx.init.Xavier() });
  const x = nd.random.uniform({ shape, low: -1, high: 1 });
  const y = nd.array(Array.from({ length: shape[0]! }, (_, i) => i % 10));
  const imp = step(a, x.copy(), y);
  a.hybridize();
  const hyb = step(a, x.copy(), y);
  expect(maxDiff(hyb.out, imp.out)).toBeLessThan(tol);
  expect(maxDiff(hyb.loss, imp.loss)).toBeLessThan(tol);
  expect(hyb.grads.length).toBe(imp.grads.length);
  hyb.grads.forEach((g, i) => expect(maxDiff(g, imp.grads[i]!)).toBeLessThan(tol));
  expect(maxDiff(hyb.dx, imp.dx)).toBeLessThan(tol);
  expect(imp.grads.some((g) => g.some((v) => v !== 0))).toBe(true);
}

describe('hybridized == imperative', () => {
  it('MLP: outputs, loss, parameter and input gradients', () => compare(mlp, [8, 20], 1e-5));
  it('LeNet: outputs, loss, parameter and input gradients', () => compare(lenet, [4, 1, 16, 16], 1e-4));

  it('training steps give the same parameters', () => {
    const nets = [fresh(mlp), fresh(mlp)];
    nets[0].initialize({ init: new mx.init.Xavier() });
    nets[1].initialize();
    for (const n of nets) n.forward(nd.ones([1, 20]));  // finishes deferred initialization
    for (const [k, p] of nets[0].collectParams()) nets[1].collectParams().item(k).setData(p.data());
    nets[1].hybridize();
    const x = nd.random.uniform({ shape: [16, 20] });
    const y = nd.array(Array.from({ length: 16 }, (_, i) => (i * 3) % 10));
    const ce = new gluon.loss.SoftmaxCELoss();
    for (const net of nets) {
      const tr = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5, momentum: 0.9 });
      for (let i = 0; i < 5; i++) {
        autograd.record(() => ce.forward(net.forward(x), y)).backward();
        tr.step(16);
      }
    }
    for (const [k, p] of nets[0].collectParams()) {
      expect(maxDiff(host(nets[1].collectParams().item(k).data()), host(p.data()))).toBeLessThan(1e-5);
    }
  });

  it('two recorded forwards before one backward', () => {
    const net = fresh(mlp);
    net.initialize({ init: new mx.init.Xavier() });
    const x1 = nd.random.uniform({ shape: [4, 20] });
    const x2 = nd.random.uniform({ shape: [4, 20] });
    const run = () => {
      autograd.record(() => net.forward(x1).square().sum().add(net.forward(x2).mul(3).sum())).backward();
      return [...net.collectParams().values()].map((p: Arr) => host(p.grad()));
    };
    const imp = run();
    net.hybridize();
    const hyb = run();
    hyb.forEach((g, i) => expect(maxDiff(g, imp[i]!)).toBeLessThan(1e-4));
  });

  it('many recorded forwards before one backward (a block applied at every step of an unrolled loop)', () => {
    const net = fresh(mlp);
    net.initialize({ init: new mx.init.Xavier() });
    const xs = Array.from({ length: 9 }, () => nd.random.uniform({ shape: [4, 20] }));
    const run = () => {
      autograd.record(() => xs.map((x, t) => net.forward(x).mul(t + 1).sum()).reduce((a, b) => a.add(b))).backward();
      return [...net.collectParams().values()].map((p: Arr) => host(p.grad()));
    };
    const imp = run();
    net.hybridize();
    const hyb = run();
    hyb.forEach((g, i) => expect(maxDiff(g, imp[i]!)).toBeLessThan(1e-4));
    run();  // the executors bound for the long recording are reused, not rebound
  });

  it('several inputs and outputs (a loss with optional sample weights, a two-headed block)', () => {
    const pred = nd.random.uniform({ shape: [6, 4] });
    const label = nd.array([0, 1, 2, 3, 0, 1]);
    const sw = nd.array([[1], [0], [2], [1], [1], [0.5]]);
    const ce = new gluon.loss.SoftmaxCELoss();
    const imp = [host(ce.forward(pred, label)), host(ce.forward(pred, label, sw))];
    ce.hybridize();
    expect(maxDiff(host(ce.forward(pred, label)), imp[0]!)).toBeLessThan(1e-6);
    expect(maxDiff(host(ce.forward(pred, label, sw)), imp[1]!)).toBeLessThan(1e-6);
    class TwoHeads extends gluon.HybridBlock {
      a: Arr; b: Arr;
      constructor() {
        super();
        this.nameScope(() => { this.a = new nn.Dense(3); this.b = new nn.Dense(2); });
      }
      hybridForward(F: Arr, x: Arr, y: Arr, _p: Arr) {
        return [this.a.forward(x), F.relu(this.b.forward(y))];
      }
    }
    const run = (blk: Arr) => {
      const [x, y] = [nd.ones([2, 5]), nd.ones([2, 4]).mul(0.5)];
      y.attachGrad();
      let outs: Arr;
      const heads = autograd.record(() => {
        outs = blk.forward(x, y);
        return [outs[0].sum(), outs[1].mul(2).sum()];
      });
      autograd.backward(heads);
      return [...outs.map(host), host(y.grad), ...[...blk.collectParams().values()].map((p: Arr) => host(p.grad()))];
    };
    const t = fresh(() => new TwoHeads());
    t.initialize({ init: new mx.init.Xavier() });
    const r0 = run(t);
    t.hybridize();
    const r1 = run(t);
    expect(r1.length).toBe(r0.length);
    r1.forEach((v, i) => expect(maxDiff(v, r0[i]!)).toBeLessThan(1e-5));
  });

  it('retainGraph backward twice; a stale graph (its executor ran again) raises instead of using wrong values', () => {
    const net = fresh(mlp);
    net.initialize({ init: new mx.init.Xavier() });
    net.hybridize();
    const x = nd.random.uniform({ shape: [4, 20] });
    const w = net.collectParams().item('hybridsequential0_dense2_bias');
    const l = autograd.record(() => net.forward(x).sum());
    l.backward(null, { retainGraph: true });
    const g1 = host(w.grad());
    l.backward(null, { retainGraph: true });
    expect(host(w.grad())).toEqual(g1);
    autograd.record(() => net.forward(x).sum()).backward();
    expect(() => l.backward()).toThrow(/ran again after this recording/);
  });

  it('auxiliary states (BatchNorm moving statistics) update in the cached graph', () => {
    class BN extends gluon.HybridBlock {
      gamma: Arr; beta: Arr; mean: Arr; var: Arr;
      constructor() {
        super();
        this.gamma = this.params.get('gamma', { shape: [3], init: 'ones' });
        this.beta = this.params.get('beta', { shape: [3], init: 'zeros' });
        this.mean = this.params.get('running_mean', { shape: [3], init: 'zeros', gradReq: 'null' });
        this.var = this.params.get('running_var', { shape: [3], init: 'ones', gradReq: 'null' });
      }
      hybridForward(F: Arr, x: Arr, p: Arr) {
        return F.BatchNorm(x, p.gamma, p.beta, p.mean, p.var, { momentum: 0.5, fixGamma: false, name: 'fwd' });
      }
    }
    const x = nd.random.uniform({ shape: [5, 3, 2, 2] });
    const results = [false, true].map((hybrid) => {
      const bn = fresh(() => new BN());
      bn.initialize();
      if (hybrid) bn.hybridize();
      const r = step(bn, x.copy(), null);
      const pred = host(bn.forward(x));
      return { ...r, pred, mean: host(bn.mean.data()), var: host(bn.var.data()) };
    });
    expect(maxDiff(results[1]!.out, results[0]!.out)).toBeLessThan(1e-5);
    expect(maxDiff(results[1]!.mean, results[0]!.mean)).toBeLessThan(1e-6);
    expect(results[0]!.mean.some((v) => v !== 0)).toBe(true);
    expect(maxDiff(results[1]!.var, results[0]!.var)).toBeLessThan(1e-6);
    expect(maxDiff(results[1]!.pred, results[0]!.pred)).toBeLessThan(1e-5);
    results[0]!.grads.forEach((g, i) => expect(maxDiff(results[1]!.grads[i]!, g)).toBeLessThan(1e-5));
  });

  it('dropout: inference is the identity, training drops, in the cached graph too', () => {
    const net = new nn.HybridSequential();
    net.nameScope(() => net.add(new nn.Dense(50, { inUnits: 10 }), new nn.Dropout(0.5)));
    net.initialize({ init: new mx.init.One() });
    const x = nd.ones([2, 10]);
    const imp = host(net.forward(x));
    net.hybridize();
    expect(host(net.forward(x))).toEqual(imp);
    const tr = host(autograd.record(() => net.forward(x)));
    expect(tr.filter((v) => v === 0).length).toBeGreaterThan(20);
    expect(tr.every((v) => v === 0 || v === 20)).toBe(true);
  });
});

describe('the cached graph', () => {
  it('binds once per input signature and reuses the executor; deferred init works hybridized', () => {
    const net = fresh(mlp);
    net.initialize();
    net.hybridize();
    const x = nd.ones([4, 20]);
    net.forward(x);
    expect(net.collectParams().item('hybridsequential0_dense0_weight').shape).toEqual([32, 20]);
    const op = (net as Arr)._cachedOp;
    expect(op.executors.length).toBe(1);
    for (let i = 0; i < 5; i++) net.forward(x);
    expect(op.executors.length).toBe(1);
    net.forward(nd.ones([7, 20]));
    expect(op.executors.length).toBe(2);
    autograd.record(() => net.forward(x)).backward();
    expect(op.executors.length).toBe(3);   // training binds a graph with gradients
    for (let i = 0; i < 5; i++) autograd.record(() => net.forward(x)).backward();
    expect(op.executors.length).toBe(3);
    // a parameter array replaced (forceReinit) rebinds instead of using stale memory
    net.initialize({ forceReinit: true, init: new mx.init.Zero() });
    expect(host(net.forward(x)).every((v) => v === 0)).toBe(true);
    net.hybridize(false);
    expect(host(net.forward(x)).every((v) => v === 0)).toBe(true);
  });

  it('memory: 300 hybridized training steps keep the engine memory flat', async () => {
    const net = fresh(mlp);
    net.initialize({ init: new mx.init.Xavier() });
    net.hybridize();
    const ce = new gluon.loss.SoftmaxCELoss();
    const tr = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
    const x = nd.random.uniform({ shape: [8, 20] });
    const y = nd.array([0, 1, 2, 3, 4, 5, 6, 7]);
    const once = () => {
      autograd.record(() => ce.forward(net.forward(x), y)).backward();
      tr.step(8);
    };
    for (let i = 0; i < 10; i++) once();
    mx.waitAll();
    const before = mx.memoryInfo();
    for (let i = 0; i < 300; i++) once();
    mx.waitAll();
    const after = mx.memoryInfo();
    // Each step leaves the user its loss and output arrays (freed when collected), nothing else.
    expect(after.liveArrays - before.liveArrays).toBeLessThanOrEqual(2 * 300);
    // (8 x 10 and 8 floats: 512- and 64-byte pool buckets)
    expect(after.liveBytes - before.liveBytes).toBeLessThanOrEqual(300 * (512 + 64) + 4096);
  });
});

describe('errors when hybridized', () => {
  it('name the graph node, the layer and the shapes', () => {
    const net = fresh(() => {
      const n = new nn.HybridSequential();
      n.nameScope(() => n.add(new nn.Dense(4, { activation: 'relu' }), new nn.Dense(3)));
      return n;
    });
    net.initialize();
    net.hybridize();
    net.forward(nd.ones([2, 5]));
    expect(() => net.forward(nd.ones([2, 7]))).toThrow(
      /^hybridsequential0 \(HybridSequential\): forward failed on input shape\(s\) \(2, 7\): .*node 'hybridsequential0_dense0_fwd'.*\(4,5\)/);
    const conv = fresh(() => {
      const n = new nn.HybridSequential();
      n.nameScope(() => n.add(new nn.Conv2D(4, 3), new nn.Dense(3)));
      return n;
    });
    conv.initialize();
    conv.hybridize();
    expect(() => conv.forward(nd.ones([1, 1, 2, 2]))).toThrow(
      /^hybridsequential0 \(HybridSequential\): deferred initialization failed because shape cannot be inferred from input shape\(s\) \(1, 1, 2, 2\) for parameter\(s\) 'hybridsequential0_conv0_weight'.*kernel/);
    expect(() => net.summary(nd.ones([2, 5]))).toThrow(/is hybridized/);
    const cold = fresh(() => new nn.Dense(2));
    cold.hybridize();
    expect(() => cold.forward(nd.ones([1, 2]))).toThrow(/Parameter 'dense0_weight' has not been initialized/);
  });
});

describe('export and SymbolBlock', () => {
  it("export writes MXNet's symbol JSON and arg: params that SymbolBlock.imports runs", () => {
    const net = fresh(lenet);
    net.initialize({ init: new mx.init.Xavier() });
    net.hybridize();
    const x = nd.random.uniform({ shape: [2, 1, 16, 16] });
    const y = host(net.forward(x));
    const [symFile, paramFile] = net.export(join(dir, 'lenet'), 3);
    expect(symFile).toBe(join(dir, 'lenet-symbol.json'));
    expect(paramFile).toBe(join(dir, 'lenet-0003.params'));
    expect(existsSync(paramFile)).toBe(true);
    const json = JSON.parse(readFileSync(symFile, 'utf8'));
    const names = json.nodes.map((n: Arr) => n.name);
    expect(names[0]).toBe('data');
    expect(names).toContain('hybridsequential0_conv0_fwd');
    expect(names).toContain('hybridsequential0_conv0_relu_fwd');
    expect(names).toContain('hybridsequential0_pool0_fwd');
    expect(names).toContain('hybridsequential0_flatten0_flatten0');
    expect(names).toContain('hybridsequential0_dense1_fwd');
    expect(Object.keys(nd.loadSync(paramFile)).sort()).toEqual(
      [...net.collectParams().keys()].map((k: string) => `arg:${k}`).sort());
    const sb = gluon.SymbolBlock.imports(symFile, ['data'], paramFile);
    expect(maxDiff(host(sb.forward(x)), y)).toBeLessThan(1e-6);
    // and trains: gradients flow through the SymbolBlock's cached graph
    autograd.record(() => sb.forward(x).sum()).backward();
    const g = sb.collectParams().item('hybridsequential0_dense1_bias').grad();
    expect(host(g)).toEqual(new Array(10).fill(2));
    // a SymbolBlock over symbols directly, parameters initialized by shape inference
    const data = mx.sym.Variable('data');
    const out = mx.sym.FullyConnected(data, { numHidden: 3, name: 'fc' });
    const blk = new gluon.SymbolBlock(out, data);
    expect([...blk.collectParams().keys()]).toEqual(['fc_weight', 'fc_bias']);
    blk.initialize({ init: new mx.init.One() });
    expect(host(blk.forward(nd.ones([1, 4])))).toEqual([5, 5, 5]);
    expect(() => gluon.SymbolBlock.imports(symFile, ['nope'])).toThrow(/input 'nope' is not an argument/);
  });

  it('importsAsync takes the graph as a path, JSON text or Symbol and the parameters as a path, bytes or arrays', async () => {
    const net = fresh(lenet);
    net.initialize({ init: new mx.init.Xavier() });
    net.hybridize();
    const x = nd.random.uniform({ shape: [2, 1, 16, 16] });
    const y = host(net.forward(x));
    const [symFile, paramFile] = net.export(join(dir, 'lenet-async'), 0);
    const text = readFileSync(symFile, 'utf8');
    const bytes = new Uint8Array(readFileSync(paramFile));
    const fromFiles = await gluon.SymbolBlock.importsAsync(symFile, 'data', paramFile);
    const fromBytes = await gluon.SymbolBlock.importsAsync(text, ['data'], bytes);
    const fromArrays = await gluon.SymbolBlock.importsAsync(mx.sym.fromJSON(text), 'data', nd.deserialize(bytes));
    const fromUrl = await gluon.SymbolBlock.importsAsync(new URL(`file://${symFile}`), 'data', bytes.buffer);
    for (const sb of [fromFiles, fromBytes, fromArrays, fromUrl]) expect(maxDiff(host(sb.forward(x)), y)).toBeLessThan(1e-6);
    await expect(gluon.SymbolBlock.importsAsync(text, 'data', nd.serialize([nd.ones([1])])))
      .rejects.toThrow(/importsAsync: the parameters hold an unnamed list of arrays/);
    await expect(gluon.SymbolBlock.importsAsync('s3://bucket/x-symbol.json', 'data'))
      .rejects.toThrow(/sym.load: s3:\/\/ URLs are not supported/);
  });
});
