// The gluon.nn layer library beyond Dense/Conv2D/2-D pools: every layer's output and its input and parameter
// gradients against PyTorch (imperative and hybridized), MXNet's parameter names and shapes, deferred input
// sizes, BatchNorm's moving statistics, Lambda/HybridLambda/Concurrent/HybridConcurrent, and wrong input shapes.
//
// test/fixtures/gluon-layers/layers.json comes from test/fixtures/gluon-layers/gen_gluon_layers.py (PyTorch,
// float64 on inputs rounded to 3 decimals, MXNet's parameters copied into the PyTorch twins).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { expectError } from '../helpers/errors';
import { expectClose, fromFixture, type FixtureArray } from '../helpers/gluon-fixtures';

const { nd, gluon, autograd } = mx;
const { nn } = gluon;
type Arr = any;

interface LayerCase {
  name: string;
  layer: string;
  args: unknown[];
  opts: Record<string, unknown>;
  train: boolean;
  tol: number;
  inputs: FixtureArray[];
  params: Record<string, FixtureArray>;
  noGrad: string[];
  outputs: FixtureArray[];
  heads: FixtureArray[];
  inputGrads: (FixtureArray | null)[];
  paramGrads: Record<string, FixtureArray>;
  auxAfter?: Record<string, FixtureArray>;
}

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/gluon-layers/layers.json', import.meta.url), 'utf8')) as
  { cases: LayerCase[] };
const fresh = <T>(fn: () => T): T => new mx.name.NameManager().run(fn);

beforeAll(async () => {
  await mx.ready();
  announceBackend('gluon-layers');
});

function build(c: LayerCase): Arr {
  const Cls = (nn as Record<string, any>)[c.layer];
  expect(Cls, `gluon.nn.${c.layer}`).toBeTypeOf('function');
  return new Cls(...c.args, c.opts);
}

/** Runs one fixture case: forward under autograd (train or predict mode), backward with the heads, checks. */
function runCase(c: LayerCase, hybridize: boolean): void {
  const net = build(c);
  net.initialize();
  if (hybridize) net.hybridize();
  for (const [k, v] of Object.entries(c.params)) net[k].setData(fromFixture(v));
  const inputs = c.inputs.map(fromFixture);
  inputs.forEach((x, i) => { if (c.inputGrads[i] !== null) x.attachGrad(); });
  const out = autograd.record(() => net.forward(...inputs), { trainMode: c.train });
  const outs = Array.isArray(out) ? out : [out];
  expect(outs.length, 'outputs').toBe(c.outputs.length);
  autograd.backward(outs, c.heads.map(fromFixture));
  const tag = `${c.name}${hybridize ? ' (hybridized)' : ''}`;
  outs.forEach((o: Arr, i: number) => expectClose(o, c.outputs[i]!, c.tol, `${tag}: output ${i}`));
  inputs.forEach((x, i) => {
    const g = c.inputGrads[i];
    if (g !== null && g !== undefined) expectClose(x.grad, g, c.tol, `${tag}: d input ${i}`);
  });
  for (const [k, g] of Object.entries(c.paramGrads)) expectClose(net[k].grad(), g, c.tol, `${tag}: d ${k}`);
  for (const k of c.noGrad) expect(net[k].gradReq, `${tag}: ${k} gradReq`).toBe('null');
  for (const [k, v] of Object.entries(c.auxAfter ?? {})) expectClose(net[k].data(), v, c.tol, `${tag}: ${k} after`);
  // Every parameter of the layer is one the fixture set (same names, shapes as MXNet's).
  const own = [...net.collectParams().keys()].map((n: string) => n.slice(net.prefix.length)).sort();
  expect(own, `${tag}: parameter names`).toEqual(Object.keys(c.params).sort());
}

describe('layers against PyTorch (imperative)', () => {
  for (const c of fixtures.cases) it(c.name, () => runCase(c, false));
});

describe('layers against PyTorch (hybridized)', () => {
  for (const c of fixtures.cases) it(c.name, () => runCase(c, true));
});

describe("MXNet's names and shapes", () => {
  it('automatic prefixes: conv/pool counters shared across dimensions, class names otherwise', () => {
    fresh(() => {
      const net = new nn.HybridSequential({ prefix: 'net_' });
      net.nameScope(() => net.add(
        new nn.Conv1D(4, 3, { inChannels: 2 }), new nn.Conv3DTranspose(2, 2, { inChannels: 4 }),
        new nn.MaxPool1D(), new nn.GlobalAvgPool2D(), new nn.BatchNorm(), new nn.LayerNorm(), new nn.InstanceNorm(),
        new nn.GroupNorm(), new nn.LeakyReLU(0.1), new nn.PReLU(), new nn.ELU(), new nn.SELU(), new nn.GELU(),
        new nn.Swish(), new nn.Embedding(5, 2), new nn.BatchNormReLU(), new nn.Conv2DTranspose(3, 3),
      ));
      const prefixes = [...net.children.values()].map((b: Arr) => b.prefix);
      expect(prefixes).toEqual([
        'net_conv0_', 'net_conv1_', 'net_pool0_', 'net_pool1_', 'net_batchnorm0_', 'net_layernorm0_',
        'net_instancenorm0_', 'net_groupnorm0_', 'net_leakyrelu0_', 'net_prelu0_', 'net_elu0_', 'net_selu0_',
        'net_gelu0_', 'net_swish0_', 'net_embedding0_', 'net_batchnormrelu0_', 'net_conv2_',
      ]);
      const shapes = Object.fromEntries([...net.collectParams().entries()].map(([k, p]: [string, Arr]) => [k, p.shape]));
      expect(shapes).toEqual({
        net_conv0_weight: [4, 2, 3], net_conv0_bias: [4],
        net_conv1_weight: [4, 2, 2, 2, 2], net_conv1_bias: [2],
        net_batchnorm0_gamma: [0], net_batchnorm0_beta: [0], net_batchnorm0_running_mean: [0],
        net_batchnorm0_running_var: [0],
        net_layernorm0_gamma: [0], net_layernorm0_beta: [0],
        net_instancenorm0_gamma: [0], net_instancenorm0_beta: [0],
        net_groupnorm0_gamma: [1], net_groupnorm0_beta: [1],
        net_prelu0_alpha: [1],
        net_embedding0_weight: [5, 2],
        net_batchnormrelu0_gamma: [0], net_batchnormrelu0_beta: [0], net_batchnormrelu0_running_mean: [0],
        net_batchnormrelu0_running_var: [0],
        net_conv2_weight: [0, 3, 3, 3], net_conv2_bias: [3],
      });
    });
  });

  it('BatchNorm: grad_req, initial values, deferred channels, float16 cast keeps float32', () => {
    const bn = new nn.BatchNorm({ scale: false, center: false });
    expect([bn.gamma.gradReq, bn.beta.gradReq, bn.running_mean.gradReq, bn.running_var.gradReq])
      .toEqual(['null', 'null', 'null', 'null']);
    const bn2 = new nn.BatchNorm();
    expect(bn2.gamma.gradReq).toBe('write');
    bn2.initialize();
    bn2.forward(nd.ones([2, 5, 3]));
    expect(bn2.running_var.shape).toEqual([5]);
    expect(Array.from(bn2.gamma.data().dataSync())).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(bn2.running_var.data().dataSync())).toEqual([1, 1, 1, 1, 1]);
    expect(bn2.runningMean).toBe(bn2.running_mean);
    bn2.cast('float16');
    expect(bn2.gamma.data().dtype).toBe('float32');
    expect(bn2.toString()).toBe('BatchNorm(axis=1, eps=0.00001, momentum=0.9, fix_gamma=False, use_global_stats=False, ' +
                                'in_channels=5)'.replace('0.00001', String(1e-5)));
  });

  it('BatchNorm in predict mode uses and keeps the moving statistics; training updates them', () => {
    const bn = new nn.BatchNorm({ inChannels: 2, momentum: 0.5 });
    bn.initialize();
    const x = nd.array([[1, 2], [3, 6]]);
    const y = bn.forward(x);  // predict mode: (x - 0) / sqrt(1 + eps)
    const s = 1 / Math.sqrt(1 + 1e-5);
    Array.from(y.dataSync() as Float32Array).forEach((v, i) => expect(v).toBeCloseTo([1, 2, 3, 6][i]! * s, 5));
    expect(Array.from(bn.running_mean.data().dataSync())).toEqual([0, 0]);
    autograd.record(() => bn.forward(x));
    const rm = Array.from(bn.running_mean.data().dataSync() as Float32Array);
    const rv = Array.from(bn.running_var.data().dataSync() as Float32Array);
    expect(rm[0]).toBeCloseTo(1, 5);   // 0 * 0.5 + 2 * 0.5
    expect(rm[1]).toBeCloseTo(2, 5);
    expect(rv[0]).toBeCloseTo(1, 5);   // 1 * 0.5 + var([1, 3]) = 1 * 0.5
    expect(rv[1]).toBeCloseTo(2.5, 5); // 1 * 0.5 + var([2, 6]) = 4 * 0.5
  });

  it('deferred input sizes are read at the first forward (hybridized too)', () => {
    for (const hybrid of [false, true]) {
      const layers: Arr[] = [new nn.Conv1D(3, 2), new nn.Conv3D(2, 1), new nn.Conv2DTranspose(4, 2, { groups: 2 }),
                             new nn.LayerNorm(), new nn.InstanceNorm({ axis: 2 }), new nn.BatchNorm({ axis: -1 })];
      const inputs = [[2, 5, 7], [1, 3, 2, 2, 2], [1, 6, 3, 3], [2, 3, 9], [2, 3, 4], [3, 4, 6]];
      const want = [[3, 5, 2], [2, 3, 1, 1, 1], [6, 2, 2, 2], [9], [4], [6]];
      layers.forEach((l, i) => {
        l.initialize();
        if (hybrid) l.hybridize();
        l.forward(nd.ones(inputs[i]!));
        const p = l.weight ?? l.gamma;
        expect(p.shape, `${l.className}${hybrid ? ' (hybridized)' : ''}`).toEqual(want[i]);
      });
    }
  });

  it('layers print like MXNet', () => {
    expect(new nn.LeakyReLU(0.2).toString()).toBe('LeakyReLU(0.2)');
    expect(new nn.Embedding(10, 4).toString()).toBe('Embedding(10 -> 4, float32)');
    expect(new nn.Conv1D(8, 3, { inChannels: 4 }).toString()).toBe('Conv1D(4 -> 8, kernel_size=(3,), stride=(1,))');
    expect(new nn.GroupNorm({ numGroups: 2 }).toString()).toBe('GroupNorm(eps=0.00001, num_groups=2)'.replace('0.00001', String(1e-5)));
  });
});

describe('Lambda, HybridLambda, Concurrent, HybridConcurrent', () => {
  it('Lambda wraps a function or an nd function name', () => {
    const x = nd.array([[-1, 2], [3, -4]]);
    expect(Array.from(new nn.Lambda((a: Arr) => a.mul(2)).forward(x).dataSync())).toEqual([-2, 4, 6, -8]);
    expect(Array.from(new nn.Lambda('relu').forward(x).dataSync())).toEqual([0, 2, 3, 0]);
    expect(new nn.Lambda('relu').toString()).toBe('Lambda(relu)');
    expectError(() => new nn.Lambda('noSuchFunction'), 'Lambda', 'noSuchFunction');
  });

  it('HybridLambda runs the same imperatively and hybridized, with extra inputs', () => {
    const x = nd.array([[-1, 2], [3, -4]]);
    const y = nd.array([[1, 1], [2, 2]]);
    for (const hybrid of [false, true]) {
      const f = new nn.HybridLambda((F: Arr, a: Arr, b: Arr) => F.elemwise_mul(F.LeakyReLU(a, { slope: 0.5 }), b));
      const g = new nn.HybridLambda('tanh');
      if (hybrid) {
        f.hybridize();
        g.hybridize();
      }
      expect(Array.from(f.forward(x, y).dataSync())).toEqual([-0.5, 2, 6, -4]);
      const t = Array.from(g.forward(x).dataSync() as Float32Array);
      t.forEach((v, i) => expect(v).toBeCloseTo(Math.tanh([-1, 2, 3, -4][i]!), 6));
    }
    expectError(() => new nn.HybridLambda('noSuchOp'), 'HybridLambda', 'noSuchOp');
  });

  it('HybridConcurrent concatenates branch outputs; hybridized equals imperative, gradients too', () => {
    const make = (): Arr => fresh(() => {
      const c = new nn.HybridConcurrent(1);
      c.nameScope(() => c.add(new nn.Dense(3, { inUnits: 4 }), new nn.Dense(2, { inUnits: 4 }), new nn.HybridLambda('relu')));
      c.initialize({ init: new mx.init.Xavier() });
      return c;
    });
    const a = make();
    const b = make();
    expect([...a.collectParams().keys()]).toEqual(['hybridconcurrent0_dense0_weight', 'hybridconcurrent0_dense0_bias',
                                                  'hybridconcurrent0_dense1_weight', 'hybridconcurrent0_dense1_bias']);
    for (const [k, p] of a.collectParams()) b.collectParams().item(k).setData(p.data());
    b.hybridize();
    const x = nd.array([[1, -2, 3, 0.5], [0, 1, -1, 2]]);
    const run = (net: Arr): Arr[] => {
      const y = autograd.record(() => net.forward(x));
      y.backward(nd.onesLike(y));
      return [y, ...[...net.collectParams().values()].map((p: Arr) => p.grad())];
    };
    const ra = run(a);
    const rb = run(b);
    expect(ra[0].shape).toEqual([2, 9]);
    ra.forEach((v, i) => {
      const u = Array.from(rb[i].dataSync() as Float32Array);
      Array.from(v.dataSync() as Float32Array).forEach((w, j) => expect(u[j]).toBeCloseTo(w, 5));
    });
    const c = new nn.Concurrent({ axis: 0 });
    c.add(new nn.Lambda((t: Arr) => t), new nn.Lambda((t: Arr) => t.mul(-1)));
    expect(c.forward(nd.array([[1, 2]])).toArraySync()).toEqual([[1, 2], [-1, -2]]);
  });
});

describe('bad input', () => {
  it('wrong input shapes name the layer and the shapes', () => {
    const conv = new nn.Conv1D(4, 3, { inChannels: 3 });
    conv.initialize();
    expectError(() => conv.forward(nd.ones([2, 5, 9])), 'Conv1D', conv.name, '(2, 5, 9)');
    const conv3 = new nn.Conv3D(2, 2);
    conv3.initialize();
    expectError(() => conv3.forward(nd.ones([2, 3, 4, 4])), 'Conv3D', '(2, 3, 4, 4)');
    const bn = new nn.BatchNorm({ inChannels: 3 });
    bn.initialize();
    expectError(() => bn.forward(nd.ones([2, 4, 5])), 'BatchNorm', bn.name, '(2, 4, 5)');
    const ln = new nn.LayerNorm({ inChannels: 5 });
    ln.initialize();
    expectError(() => ln.forward(nd.ones([3, 4, 6])), 'LayerNorm', '(3, 4, 6)');
    const gn = new nn.GroupNorm({ numGroups: 3 });
    gn.initialize();
    expectError(() => gn.forward(nd.ones([2, 4, 5])), 'GroupNorm', '(2, 4, 5)');
    const pr = new nn.PReLU({ inChannels: 3 });
    pr.initialize();
    expectError(() => pr.forward(nd.ones([2, 4, 5])), 'PReLU', '(2, 4, 5)');
    const pool = new nn.MaxPool3D();
    pool.initialize();
    expectError(() => pool.forward(nd.ones([2, 3, 4, 4])), 'MaxPool3D', '(2, 3, 4, 4)');
    const tconv = new nn.Conv2DTranspose(2, 3, { inChannels: 4 });
    tconv.initialize();
    expectError(() => tconv.forward(nd.ones([1, 3, 5, 5])), 'Conv2DTranspose', '(1, 3, 5, 5)');
    const hyb = new nn.InstanceNorm({ inChannels: 2 });
    hyb.initialize();
    hyb.hybridize();
    expectError(() => hyb.forward(nd.ones([2, 3, 4])), 'InstanceNorm', '(2, 3, 4)');
  });

  it('bad constructor arguments', () => {
    expectError(() => new nn.Conv1D(4, [3, 3]), 'Conv1D', 'kernelSize');
    expectError(() => new nn.Conv1D(4, 3, { layout: 'NWC' }), 'Conv1D', 'NWC');
    expectError(() => new nn.LeakyReLU(-1), 'LeakyReLU', 'alpha');
    expectError(() => new nn.Embedding(0, 3), 'Embedding', 'inputDim');
    expectError(() => new nn.GroupNorm({ numGroups: 0 }), 'GroupNorm', 'numGroups');
    expectError(() => new nn.PReLU({ inChannels: 0 }), 'PReLU', 'inChannels');
    expectError(() => new nn.ReflectionPad2D([1, 2]), 'ReflectionPad2D', 'padding');
  });
});
