// Gluon, Module and KVStore on the GPU against the same work on the CPU: a hybridized CNN trained on
// gpu(0), data parallelism over [gpu(0), cpu(0)] through every kvstore placement, float16 weights with
// multiPrecision optimizers, a Module fit, saved parameters moving between devices, flat device
// memory over a training loop, and copies between two GPUs where a machine has them. Runs where a
// CUDA GPU is visible; elsewhere each test prints why it skips.
import { describe, expect } from 'vitest';
import * as mx from 'isotensor';
import { fresh, gluonSpec, host, maxDiff } from '../helpers/gluon-spec';
import { onGpu } from '../helpers/gpu';
import { settledMemory } from '../helpers/settled-memory';
import { pseudoRandom } from '../helpers/gradcheck';

const { nd, gluon, autograd, sym } = mx;
const { nn } = gluon;
type Arr = any;
const dir = gluonSpec('gpu-gluon', 'ist-gpu-gluon-');

/** max |a - b| / max(max |b|, 1e-3): one relative measure for a whole parameter. */
function relErr(a: number[], b: number[]): number {
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-3);
  return maxDiff(a, b) / scale;
}

function cnn(): Arr {
  return fresh(() => {
    const s = new nn.HybridSequential();
    s.nameScope(() => s.add(
      // No bias before BatchNorm (as in ResNet): its gradient is zero but for rounding noise, which
      // Adam would scale up to full-size steps that differ between devices.
      new nn.Conv2D(8, 3, { padding: 1, inChannels: 1, useBias: false }), new nn.BatchNorm({ inChannels: 8 }),
      new nn.Activation('relu'), new nn.MaxPool2D(2),
      new nn.Conv2D(16, 3, { padding: 1, inChannels: 8, activation: 'relu' }), new nn.AvgPool2D(2),
      new nn.Flatten(), new nn.Dense(10, { inUnits: 16 * 3 * 3 })));
    return s;
  });
}

/** The same network on each context, every parameter equal to the first one's initial values. */
function twins(make: () => Arr, ctxs: mx.Context[]): Arr[] {
  mx.random.seed(11);
  const nets = ctxs.map((ctx) => {
    const n = make();
    n.initialize({ init: new mx.init.Xavier(), ctx });
    return n;
  });
  const first = [...nets[0].collectParams().values()] as Arr[];
  for (const n of nets.slice(1)) {
    ([...n.collectParams().values()] as Arr[]).forEach((p, i) => p.setData(first[i].data()));
  }
  return nets;
}

const images = (n: number, seed: number, ctx: mx.Context): Arr =>
  nd.array(pseudoRandom(n * 144, seed), { ctx }).reshape([n, 1, 12, 12]);
const labels = (n: number, ctx: mx.Context): Arr => nd.array(Array.from({ length: n }, (_, i) => (i * 7) % 10), { ctx });

describe('Gluon training on gpu(0) follows cpu(0)', () => {
  onGpu('a hybridized CNN (Conv, BatchNorm, pooling, Dense) trained 5 steps with Adam', (g) => {
    const ctxs = [mx.cpu(0), g];
    const nets = twins(cnn, ctxs);
    const ce = new gluon.loss.SoftmaxCELoss();
    const losses: number[][] = [[], []];
    nets.forEach((net, k) => {
      net.hybridize();
      const tr = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.01 });
      for (let s = 0; s < 5; s++) {
        const x = images(16, 100 + s, ctxs[k]!), y = labels(16, ctxs[k]!);
        const loss = autograd.record(() => ce.forward(net.forward(x), y));
        loss.backward();
        tr.step(16);
        losses[k]!.push(host(loss.mean())[0]!);
      }
    });
    expect(relErr(losses[1]!, losses[0]!), `losses gpu ${losses[1]} cpu ${losses[0]}`).toBeLessThan(1e-3);
    const [pc, pg] = nets.map((n) => [...n.collectParams().values()] as Arr[]);
    pc!.forEach((p, i) => {
      expect(String(pg![i].data().context)).toBe(String(g));
      expect(relErr(host(pg![i].data()), host(p.data())), p.name).toBeLessThan(2e-3);
    });
    // BatchNorm's running statistics moved the same way.
    const stats = (n: Arr) => [...n.collectParams('.*running.*').values()].map((p: Arr) => host(p.data()));
    stats(nets[1]).forEach((s, i) => expect(relErr(s, stats(nets[0])[i]!)).toBeLessThan(1e-3));
  });

  onGpu('data parallelism over [gpu(0), cpu(0)] equals one cpu(0) on the whole batch, for every kvstore placement', (g) => {
    const mlp = () => fresh(() => {
      const s = new nn.HybridSequential();
      s.nameScope(() => s.add(new nn.Dense(12, { activation: 'relu', inUnits: 6 }), new nn.Dense(3, { inUnits: 12 })));
      return s;
    });
    const x = nd.array(pseudoRandom(8 * 6, 5)).reshape([8, 6]);
    const y = nd.array([0, 1, 2, 0, 1, 2, 0, 1]);
    const train = (ctx: mx.Context[], opts: Record<string, unknown>, hybrid: boolean): number[][] => {
      const [net] = twins(mlp, [mx.cpu(0)]);
      net.collectParams().resetCtx(ctx);
      if (hybrid) net.hybridize();
      const ce = new gluon.loss.SoftmaxCELoss();
      const tr = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5, momentum: 0.5 }, opts);
      for (let s = 0; s < 3; s++) {
        const xs = gluon.utils.splitAndLoad(x, ctx), ys = gluon.utils.splitAndLoad(y, ctx);
        autograd.backward(autograd.record(() => xs.map((xi: Arr, i: number) => ce.forward(net.forward(xi), ys[i]))));
        tr.step(8);
      }
      const params = [...net.collectParams().values()] as Arr[];
      if (ctx.length > 1) {
        for (const p of params) expect(maxDiff(host(p.data(ctx[1])), host(p.data(ctx[0])))).toBeLessThan(1e-6);
      }
      return params.map((p) => host(p.data(ctx[0])));
    };
    const single = train([mx.cpu(0)], {}, false);
    const opts = [{}, { kvstore: 'local' }, { kvstore: 'device' }, { kvstore: 'device', updateOnKvstore: false },
      { kvstore: 'local', updateOnKvstore: false }, { kvstore: null }];
    for (const o of opts) {
      for (const hybrid of [false, true]) {
        const multi = train([g, mx.cpu(0)], o, hybrid);
        multi.forEach((p, i) => expect(maxDiff(p, single[i]!), `${JSON.stringify(o)} hybrid=${hybrid}`).toBeLessThan(1e-5));
      }
    }
  });

  onGpu("a 'device' KVStore sums a key pushed from gpu(0) and cpu(0) on one of them and pulls to both", (g) => {
    const kv = mx.kv.create('device');
    kv.init('w', nd.zeros([1000], g));
    const seen: string[] = [];
    kv.setUpdater((_k: string, input: Arr, stored: Arr) => {
      seen.push(`${input.context} ${stored.context}`);
      stored.iadd(input);
    });
    kv.push('w', [nd.full([1000], 2, g), nd.full([1000], 3, mx.cpu(0))]);
    expect(seen).toHaveLength(1);
    expect([`${g} ${g}`, 'cpu(0) cpu(0)']).toContain(seen[0]);
    const outs = [nd.zeros([1000], g), nd.zeros([1000], mx.cpu(0))];
    kv.pull('w', { out: outs });
    for (const o of outs) expect(new Set(host(o))).toEqual(new Set([5]));
  });
});

describe('float16 on gpu(0)', () => {
  onGpu('multiPrecision SGD and Adam on float16 weights match cpu(0) and keep updates below float16 resolution', (g) => {
    for (const [name, lr, grad] of [['sgd', 1, 1e-4], ['adam', 1e-4, 0.5]] as const) {
      const run = (ctx: mx.Context, multiPrecision: boolean): number[] => {
        const up = mx.optimizer.getUpdater(mx.optimizer.create(name, { learningRate: lr, multiPrecision }));
        const w = nd.ones([64], { dtype: 'float16', ctx });
        const gr = nd.full([64], grad, { dtype: 'float16', ctx });
        for (let i = 0; i < 10; i++) up(0, gr, w);
        expect(w.dtype).toBe('float16');
        return host(w);
      };
      expect(run(g, false)[0], `${name} without multiPrecision`).toBe(1);
      const gpu = run(g, true), cpu = run(mx.cpu(0), true);
      expect(gpu[0], name).toBeLessThan(0.9995);
      expect(maxDiff(gpu, cpu), name).toBe(0);
    }
  });

  onGpu('a float16 CNN cast with net.cast trains on gpu(0) with a multiPrecision Trainer and lowers its loss', (g) => {
    const [net] = twins(cnn, [g]);
    net.cast('float16');
    net.hybridize();
    const ce = new gluon.loss.SoftmaxCELoss();
    const tr = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.05, momentum: 0.9, multiPrecision: true });
    const x = images(32, 7, g).astype('float16'), y = labels(32, g).astype('float16');
    const losses: number[] = [];
    for (let s = 0; s < 20; s++) {
      const loss = autograd.record(() => ce.forward(net.forward(x), y));
      loss.backward();
      tr.step(32);
      losses.push(host(loss.astype('float32').mean())[0]!);
    }
    // BatchNorm keeps float32 parameters under cast('float16'), as in MXNet; the rest are float16.
    for (const p of net.collectParams().values() as Iterable<Arr>) {
      expect(p.data().dtype, p.name).toBe(/batchnorm/.test(p.name) ? 'float32' : 'float16');
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[19]!).toBeLessThan(0.5 * losses[0]!);
  });
});

describe('Module and saved parameters on gpu(0)', () => {
  onGpu('Module.fit on gpu(0) gives the parameters Module.fit on cpu(0) gives', async (g) => {
    const data = sym.Variable('data');
    let net = sym.FullyConnected({ data, numHidden: 16, name: 'fc1' });
    net = sym.Activation({ data: net, actType: 'relu', name: 'relu1' });
    net = sym.FullyConnected({ data: net, numHidden: 4, name: 'fc2' });
    net = sym.SoftmaxOutput({ data: net, name: 'softmax' });
    const x = nd.array(pseudoRandom(64 * 10, 3)).reshape([64, 10]);
    const y = nd.array(Array.from({ length: 64 }, (_, i) => i % 4));
    const fit = async (ctx: mx.Context): Promise<Record<string, number[]>> => {
      const mod = new mx.mod.Module(net, { context: ctx, logger: { info() {}, warn() {} } });
      mx.random.seed(21);
      await mod.fit(new mx.io.NDArrayIter(x, y, { batchSize: 16 }), {
        optimizer: 'sgd', optimizerParams: { learningRate: 0.1, momentum: 0.9 }, numEpoch: 3, progress: false,
        initializer: new mx.init.Xavier(),
      });
      const [arg] = mod.getParams();
      return Object.fromEntries(Object.entries(arg).map(([k, v]) => [k, host(v)]));
    };
    const [onCpu, onGpuParams] = [await fit(mx.cpu(0)), await fit(g)];
    for (const k of Object.keys(onCpu)) expect(relErr(onGpuParams[k]!, onCpu[k]!), k).toBeLessThan(1e-4);
  });

  onGpu('parameters saved from gpu(0) load on cpu(0) and back, bit for bit', (g) => {
    const [a] = twins(cnn, [g]);
    a.forward(images(2, 1, g));
    const file = `${dir}/cnn.params`;
    a.saveParameters(file);
    const b = cnn();
    b.loadParameters(file, { ctx: mx.cpu(0) });
    const c = cnn();
    c.loadParameters(file, { ctx: g });
    const pa = [...a.collectParams().values()] as Arr[];
    [b, c].forEach((n) => ([...n.collectParams().values()] as Arr[]).forEach((p, i) => {
      expect(host(p.data())).toEqual(host(pa[i].data()));
    }));
    expect(String(([...c.collectParams().values()] as Arr[])[0].data().context)).toBe(String(g));
  });
});

describe('device memory', () => {
  onGpu('300 hybridized training steps keep mx.memoryInfo(gpu(0)) flat without dispose calls', async (g) => {
    const [net] = twins(cnn, [g]);
    net.hybridize();
    const ce = new gluon.loss.SoftmaxCELoss();
    const tr = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.01 });
    const x = images(16, 9, g), y = labels(16, g);
    const step = () => {
      const loss = autograd.record(() => ce.forward(net.forward(x), y));
      loss.backward();
      tr.step(16);
    };
    const settle = async () => (await settledMemory(g)).liveBytes;
    for (let s = 0; s < 50; s++) step();
    const before = await settle();
    for (let s = 0; s < 300; s++) {
      step();
      if (s % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    const after = await settle();
    expect(after - before, `gpu(0) live bytes ${before} -> ${after}`).toBeLessThan(64 * 1024);
  }, { timeout: 60_000 });
});

describe('two GPUs', () => {
  onGpu('copies between gpu(0) and gpu(1) and a device KVStore over both', (_g, all) => {
    const [g0, g1] = all as [mx.Context, mx.Context];
    const a = nd.array(pseudoRandom(4096, 2), { ctx: g0 });
    const b = a.copyto(g1);
    expect(String(b.context)).toBe(String(g1));
    expect(host(b)).toEqual(host(a));
    const kv = mx.kv.create('device');
    kv.init(0, nd.zeros([4096], g0));
    kv.push(0, [a, b]);
    const outs = [nd.zeros([4096], g0), nd.zeros([4096], g1)];
    kv.pull(0, { out: outs });
    const want = host(a).map((v) => 2 * v);
    for (const o of outs) expect(maxDiff(host(o), want)).toBeLessThan(1e-6);
  }, { minGpus: 2 });
});
