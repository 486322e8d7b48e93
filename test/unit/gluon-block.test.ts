// gluon.Block / HybridBlock imperatively: MXNet's automatic names and name scopes, children and parameters,
// Dense and Conv2D against PyTorch, deferred initialization, summary, save/load (MXNet's .params names), errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { fresh, gluonSpec, host, maxDiff } from '../helpers/gluon-spec';

const { nd, gluon, autograd } = mx;
const { nn } = gluon;
type Arr = any;
const ref = JSON.parse(readFileSync(new URL('../fixtures/gluon/gluon.json', import.meta.url), 'utf8'));
const fixture = (f: string) => new URL(`../fixtures/gluon/${f}`, import.meta.url).pathname;
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
const dir = gluonSpec('gluon-block', 'ist-gluon-block-');

function mlp(): Arr {
  const net = new nn.HybridSequential();
  net.nameScope(() => net.add(new nn.Dense(4, { activation: 'relu' }), new nn.Dense(3)));
  return net;
}

describe('names', () => {
  it("follow MXNet's automatic prefixes and name scopes", () => {
    fresh(() => {
      const d0 = new nn.Dense(2);
      const d1 = new nn.Dense(2);
      expect([d0.prefix, d1.prefix, d0.name]).toEqual(['dense0_', 'dense1_', 'dense0']);
      expect(d0.weight.name).toBe('dense0_weight');
      const net = mlp();
      expect(net.prefix).toBe('hybridsequential0_');
      expect([...net.collectParams().keys()]).toEqual([
        'hybridsequential0_dense0_weight', 'hybridsequential0_dense0_bias',
        'hybridsequential0_dense1_weight', 'hybridsequential0_dense1_bias']);
      expect((net.at(0) as Arr).act.prefix).toBe('hybridsequential0_dense0_relu_');
      expect(new nn.Activation('tanh').prefix).toBe('tanh0_');
      expect(new nn.Conv2D(3, 3).prefix).toBe('conv0_');
      expect(new nn.MaxPool2D().prefix).toBe('pool0_');
      expect(new nn.Dense(1, { prefix: 'fc_' }).weight.name).toBe('fc_weight');
      // Blocks created outside a name scope are top-level (as in MXNet).
      const seq = new nn.Sequential();
      seq.add(new nn.Dense(1));
      expect([...seq.collectParams().keys()]).toEqual(['dense2_weight', 'dense2_bias']);
    });
  });

  it('registers children and parameters from properties; structural names; regex collectParams', () => {
    class Model extends gluon.HybridBlock {
      encoder: Arr;
      head: Arr;
      scale: Arr;
      constructor() {
        super();
        this.nameScope(() => {
          this.encoder = new nn.Dense(5, { activation: 'relu' });
          this.head = new nn.Dense(2);
          this.scale = this.params.get('scale', { shape: [1], init: 'ones' });
        });
      }
      hybridForward(F: Arr, x: Arr, p: Arr) {
        return F.broadcast_mul(this.head.forward(this.encoder.forward(x)), p.scale);
      }
    }
    const m = fresh(() => new Model());
    expect(m.prefix).toBe('model0_');
    expect([...m.children.keys()]).toEqual(['encoder', 'head']);
    expect([...m.regParams.keys()]).toEqual(['scale']);
    expect([...m.collectParamsWithPrefix().keys()]).toEqual(['scale', 'encoder.weight', 'encoder.bias', 'head.weight', 'head.bias']);
    expect([...m.collectParams('.*weight').keys()]).toEqual(['model0_dense0_weight', 'model0_dense1_weight']);
    expect([...m.collectParams('model0_dense1_.*|model0_scale').keys()]).toEqual(['model0_scale', 'model0_dense1_weight', 'model0_dense1_bias']);
    m.initialize();
    const y = m.forward(nd.ones([3, 4]));
    expect(y.shape).toEqual([3, 2]);
    expect(m.toString()).toBe('Model(\n  (encoder): Dense(4 -> 5, Activation(relu))\n  (head): Dense(5 -> 2, linear)\n)');
  });

  it('shares parameters through params', () => {
    const [a, b] = fresh(() => {
      const a = new nn.Dense(3, { inUnits: 2 });
      return [a, new nn.Dense(3, { inUnits: 2, params: a.params })];
    });
    expect(b.weight).toBe(a.weight);
    a.initialize();
    const x = nd.array([[1, 2]]);
    expect(host(b.forward(x))).toEqual(host(a.forward(x)));
  });
});

describe('layers against PyTorch', () => {
  it('Dense: outputs and gradients (flatten, relu, tanh)', () => {
    for (const c of ref.dense) {
      const units = c.out[0].length ?? c.outShape[1];
      const d = new nn.Dense(c.outShape[c.outShape.length - 1], { activation: c.activation ?? undefined, flatten: c.flatten });
      d.initialize();
      const x = nd.array(flat(c.x), { shape: c.xShape } as Arr).reshape(c.xShape);
      d.forward(x);  // deferred init infers inUnits
      d.weight.setData(nd.array(c.weight));
      d.bias!.setData(nd.array(c.bias));
      x.attachGrad();
      const y = autograd.record(() => d.forward(x));
      y.backward(nd.array(c.head));
      expect(y.shape).toEqual(c.outShape);
      expect(maxDiff(host(y), flat(c.out))).toBeLessThan(1e-5);
      expect(maxDiff(host(x.grad), flat(c.dx))).toBeLessThan(1e-5);
      expect(maxDiff(host(d.weight.grad()), flat(c.dweight))).toBeLessThan(1e-5);
      expect(maxDiff(host(d.bias!.grad()), flat(c.dbias))).toBeLessThan(1e-5);
      void units;
    }
  });

  it('Conv2D: outputs and gradients (stride, padding, groups)', () => {
    for (const c of ref.conv2d) {
      const conv = new nn.Conv2D(c.wShape[0], [c.wShape[2], c.wShape[3]], { strides: c.stride, padding: c.pad, groups: c.groups });
      conv.initialize();
      const x = nd.array(c.x);
      conv.forward(x);
      expect(conv.weight.shape).toEqual(c.wShape);
      conv.weight.setData(nd.array(c.weight));
      conv.bias!.setData(nd.array(c.bias));
      x.attachGrad();
      const y = autograd.record(() => conv.forward(x));
      y.backward(nd.array(c.head));
      expect(y.shape).toEqual(c.outShape);
      expect(maxDiff(host(y), flat(c.out))).toBeLessThan(1e-4);
      expect(maxDiff(host(x.grad), flat(c.dx))).toBeLessThan(1e-4);
      expect(maxDiff(host(conv.weight.grad()), flat(c.dweight))).toBeLessThan(1e-4);
      expect(maxDiff(host(conv.bias!.grad()), flat(c.dbias))).toBeLessThan(1e-4);
    }
  });

  it('pooling, flatten, dropout and activation layers', () => {
    const x = nd.array([[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]]);
    expect(host(new nn.MaxPool2D().forward(x))).toEqual([6, 8, 14, 16]);
    expect(host(new nn.AvgPool2D(2, { strides: 2 }).forward(x))).toEqual([3.5, 5.5, 11.5, 13.5]);
    expect(new nn.MaxPool2D(3, { strides: 2, ceilMode: true }).forward(x).shape).toEqual([1, 1, 2, 2]);
    expect(new nn.Flatten().forward(x).shape).toEqual([1, 16]);
    const drop = new nn.Dropout(0.5);
    expect(host(drop.forward(x))).toEqual(host(x));   // inference: identity
    const dropped = host(autograd.record(() => drop.forward(nd.ones([1000]))));
    expect(dropped.every((v) => v === 0 || v === 2)).toBe(true);
    expect(dropped.filter((v) => v === 0).length).toBeGreaterThan(350);
    expect(host(new nn.Activation('relu').forward(nd.array([-1, 2])))).toEqual([0, 2]);
    expect(() => new nn.Dropout(1)).toThrow(mx.IsotensorError);
  });
});

describe('deferred initialization and errors', () => {
  it('infers in-units / in-channels at the first forward', () => {
    const net = new nn.HybridSequential();
    net.nameScope(() => net.add(new nn.Conv2D(4, 3), new nn.MaxPool2D(), new nn.Flatten(), new nn.Dense(5)));
    net.initialize({ init: new mx.init.Xavier() });
    const conv = net.at(0) as Arr;
    const dense = net.at(3) as Arr;
    expect(conv.weight.shape).toEqual([4, 0, 3, 3]);
    expect(dense.weight.shape).toEqual([5, 0]);
    expect(() => dense.weight.data()).toThrow(gluon.DeferredInitializationError);
    const y = net.forward(nd.ones([2, 3, 10, 10]));
    expect(y.shape).toEqual([2, 5]);
    expect(conv.weight.shape).toEqual([4, 3, 3, 3]);
    expect(dense.weight.shape).toEqual([5, 64]);
    expect(host(dense.bias.data())).toEqual([0, 0, 0, 0, 0]);
  });

  it('reports uninitialized parameters and wrong input shapes with the layer and the shapes', () => {
    const d = fresh(() => new nn.Dense(3, { inUnits: 5 }));
    expect(() => d.forward(nd.ones([2, 5]))).toThrow(/Parameter 'dense0_weight' has not been initialized/);
    d.initialize();
    let msg = '';
    try {
      d.forward(nd.ones([2, 7]));
    } catch (e) {
      expect(e).toBeInstanceOf(mx.IsotensorError);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^dense0 \(Dense\): forward failed on input shape\(s\) \(2, 7\): /);
    expect(msg).toMatch(/FullyConnected/);
    expect(msg).toMatch(/\(3, ?5\)/);   // the weight's shape
    const net = fresh(() => mlp());
    net.initialize();
    net.forward(nd.ones([2, 6]));
    expect(() => net.forward(nd.ones([2, 9]))).toThrow(/^hybridsequential0_dense0 \(Dense\): forward failed on input shape\(s\) \(2, 9\)/);
    const conv = fresh(() => new nn.Conv2D(2, 3));
    conv.initialize();
    expect(() => conv.forward(nd.ones([1, 2, 2, 2]))).toThrow(/conv0 \(Conv2D\): .*\(1, 2, 2, 2\)/);
  });
});

describe('save and load', () => {
  it('saveParameters writes structural names; loadParameters restores them', () => {
    const a = fresh(() => mlp());
    a.initialize({ init: new mx.init.Xavier() });
    const x = nd.random.uniform({ shape: [2, 5] });
    const ya = host(a.forward(x));
    const f = join(dir, 'mlp.params');
    a.saveParameters(f);
    expect(Object.keys(nd.loadSync(f))).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    const b = mlp();
    b.loadParameters(f);
    expect(maxDiff(host(b.forward(x)), ya)).toBe(0);
    // collectParams().save writes full names; loadParameters takes those too (same prefixes needed)
    a.collectParams().save(join(dir, 'full.params'));
    const c = fresh(() => mlp());
    c.loadParameters(join(dir, 'full.params'));
    expect(maxDiff(host(c.forward(x)), ya)).toBe(0);
  });

  it("loads .params files in MXNet's namings (structural, full, export arg:, legacy stripped)", () => {
    for (const file of ['mlp-structural.params', 'mlp-fullnames.params', 'mlp-export-0000.params', 'mlp-legacy.params']) {
      const net = fresh(() => mlp());
      net.loadParameters(fixture(file));
      const y = net.forward(nd.array(ref.mlp.x));
      expect(maxDiff(host(y), flat(ref.mlp.out))).toBeLessThan(1e-6);
    }
  });

  it('missing, extra and mismatched names give clear errors; allowMissing / ignoreExtra', () => {
    const small = fresh(() => {
      const n = new nn.HybridSequential();
      n.nameScope(() => n.add(new nn.Dense(4, { activation: 'relu' })));
      return n;
    });
    expect(() => small.loadParameters(fixture('mlp-structural.params')))
      .toThrow(/Parameter '1\.weight' loaded from file .*mlp-structural\.params' is not present in the block/);
    small.loadParameters(fixture('mlp-structural.params'), { ignoreExtra: true });
    expect((small.at(0) as Arr).weight.shape).toEqual([4, 5]);
    const big = fresh(() => {
      const n = mlp();
      n.nameScope(() => n.add(new nn.Dense(2)));
      return n;
    });
    expect(() => big.loadParameters(fixture('mlp-structural.params')))
      .toThrow(/Parameter '2\.weight' is missing in file .*mlp-structural\.params/);
    big.loadParameters(fixture('mlp-structural.params'), { allowMissing: true });
    expect((big.at(2) as Arr).weight.isInitialized).toBe(false);
    expect(() => fresh(() => mlp()).loadParameters(fixture('mlp-fullnames.params'), { restorePrefix: 'x' }))
      .not.toThrow();
    const other = fresh(() => {
      const n = new nn.HybridSequential({ prefix: 'other_' });
      n.nameScope(() => n.add(new nn.Dense(4, { activation: 'relu' }), new nn.Dense(3)));
      return n;
    });
    expect(() => other.loadParameters(fixture('mlp-fullnames.params'))).toThrow(/Parameter 'other_dense0_weight' is missing/);
    const wrong = fresh(() => {
      const n = new nn.HybridSequential();
      n.nameScope(() => n.add(new nn.Dense(4, { inUnits: 6 }), new nn.Dense(3)));
      return n;
    });
    expect(() => wrong.loadParameters(fixture('mlp-structural.params')))
      .toThrow("Failed loading Parameter 'hybridsequential0_dense0_weight' from saved params: shape incompatible expected (4, 6) vs saved (4, 5)");
  });
});

describe('Block utilities', () => {
  it("summary prints MXNet's table", () => {
    const net = fresh(() => mlp());
    net.initialize();
    const logs: string[] = [];
    const orig = console.log;
    console.log = (s: string) => { logs.push(s); };
    let text: string;
    try {
      text = net.summary(nd.ones([2, 5]));
    } finally {
      console.log = orig;
    }
    expect(logs[0]).toBe(text!);
    const lines = text!.split('\n');
    expect(lines[1]).toBe('        Layer (type)                                Output Shape         Param #');
    expect(lines.slice(3, 8)).toEqual([
      '               Input                                      (2, 5)               0',
      '        Activation-1                                      (2, 4)               0',
      '             Dense-2                                      (2, 4)              24',
      '             Dense-3                                      (2, 3)              15',
      '  HybridSequential-4                                      (2, 3)               0',
    ]);
    expect(lines).toContain('   Total params: 39');
    expect(lines).toContain('   Trainable params: 39');
    expect(lines).toContain('Unique parameters in model: 39');
  });

  it('Sequential of Blocks, at/length, apply, hooks, cast', () => {
    const net = new nn.Sequential();
    net.nameScope(() => net.add(new nn.Dense(3, { inUnits: 2 }), new nn.Dense(2)));
    net.initialize();
    expect(net.length).toBe(2);
    expect(net.at(-1)).toBe(net.at(1));
    const seen: string[] = [];
    net.apply((b: Arr) => seen.push(b.className));
    expect(seen).toEqual(['Dense', 'Dense', 'Sequential']);
    const shapes: number[][] = [];
    const id = net.at(0).registerForwardHook((_b: Arr, _i: Arr, out: Arr) => shapes.push(out.shape));
    net.forward(nd.ones([4, 2]));
    net.at(0).removeHook(id);
    net.forward(nd.ones([4, 2]));
    expect(shapes).toEqual([[4, 3]]);
    // MXNet's HookHandle: detach() (twice is harmless), or `using`; pre-hooks see the inputs.
    const pre: number[][] = [];
    const h = net.at(1).registerForwardPreHook((_b: Arr, i: Arr) => pre.push(i[0].shape));
    const post = net.registerForwardHook((_b: Arr, _i: Arr, out: Arr) => shapes.push(out.shape));
    expect(h).toBeInstanceOf(gluon.HookHandle);
    net.forward(nd.ones([5, 2]));
    h.detach();
    h.detach();
    post[Symbol.dispose]();
    net.forward(nd.ones([5, 2]));
    expect(pre).toEqual([[5, 3]]);
    expect(shapes).toEqual([[4, 3], [5, 2]]);
    net.cast('float64');
    expect((net.at(0) as Arr).weight.data().dtype).toBe('float64');
    expect(net.forward(nd.ones([1, 2], { dtype: 'float64' })).dtype).toBe('float64');
  });
});
