// The executor's fusions: element-wise trees (graph/fuse_elemwise.h) and Convolution -> BatchNorm
// (-> relu) in inference (graph/fuse_conv_bn.h). Which nodes fuse, and that fused runs give the
// bits of the unfused ones (each op's own kernel: imperative nd calls, and the same executor with a
// monitor set, which pushes the unfused runs), forward and backward, on every dtype family, sizes
// around the 1024-element block, shared and escaping intermediates, Winograd and im2col convolutions.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { pseudoRandom } from '../helpers/gradcheck';

const { nd } = mx;
const sym: any = mx.sym;
type Arr = any;
type Sym = any;

const vals = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);
const unit = (v: number): number => (v + 1) / 2; // pseudoRandom's [-1, 1) to [0, 1)
// Element-wise groups form on the CPU for every dtype (their programs run CPU row functions) and on
// a GPU (ISOTENSOR_TEST_CONTEXT=gpu(0)) for float32, as one kernel per group; there other dtypes
// run unfused. Either way they must give the same values.
const onGpuContext = here().startsWith('gpu');
const elemFusionFor = (dtype = 'float32'): boolean => !onGpuContext || dtype === 'float32';
const elemFusion = elemFusionFor();
const elemGroups = (groups: string[][]): string[][] => (elemFusion ? groups : []);
const fusedGroups = (ex: any): string[][] => ex.planJSON().fused as string[][];

function input(n: number, seed: number, dtype = 'float32', scale = 2): Arr {
  const v = pseudoRandom(n, seed).map((x: number) => (x - 0.5) * scale);
  return nd.array(dtype.startsWith('int') ? v.map(Math.round) : v, { shape: [n], dtype });
}

// The same executor's outputs without fusion: a monitor makes forward push every node.
function unfusedForward(ex: any): number[][] {
  ex.setMonitorCallback((_name: string, arr: Arr) => arr.dispose());
  const out = ex.forward().map(vals);
  ex.setMonitorCallback(null);
  return out;
}

beforeAll(async () => {
  await mx.ready();
  announceBackend('executor-fusion');
});

describe('element-wise fusion in the executor', () => {
  for (const n of [1, 7, 1023, 1024, 1025, 5000]) {
    it(`relu(a + b) is one fused group with the bits of add then relu (n = ${n})`, () => {
      const a = sym.Variable('a');
      const b = sym.Variable('b');
      const y = sym.relu({ data: sym.elemwise_add({ lhs: a, rhs: b, name: 'sum' }), name: 'act' });
      const av = input(n, 1);
      const bv = input(n, 2);
      const ex = y.bind(here(), { a: av, b: bv });
      expect(fusedGroups(ex)).toEqual(elemGroups([['sum', 'act']]));
      const got = vals(ex.forward()[0]);
      const s = nd.elemwise_add(av, bv);
      const want = vals(nd.relu(s));
      expect(got).toEqual(want);
      expect(unfusedForward(ex)[0]).toEqual(want);
      ex.dispose();
      for (const x of [av, bv, s]) x.dispose();
    });
  }

  const chains: Array<{ dtype: string; build: (a: Sym, b: Sym, c: Sym) => Sym; ref: (a: Arr, b: Arr, c: Arr) => Arr }> = [
    {
      dtype: 'float32',
      build: (a, b, c) => sym.Activation({ data: a.mul(b).add(c).mul(0.5).rsub(1), actType: 'tanh' }).div(a.abs().add(1)),
      ref: (a, b, c) => nd.Activation(nd._rminus_scalar(a.mul(b).add(c).mul(0.5), { scalar: 1 }), { actType: 'tanh' }).div(a.abs().add(1)),
    },
    {
      dtype: 'float64',
      build: (a, b, c) => sym.sigmoid({ data: a.sub(b) }).mul(sym.exp({ data: c.mul(0.25) })).rdiv(3),
      ref: (a, b, c) => nd._rdiv_scalar(nd.sigmoid(a.sub(b)).mul(nd.exp(c.mul(0.25))), { scalar: 3 }),
    },
    {
      dtype: 'float16',
      build: (a, b, c) => sym.Activation({ data: a.add(b).mul(c), actType: 'relu' }).sub(sym.square({ data: c })),
      ref: (a, b, c) => nd.Activation(a.add(b).mul(c), { actType: 'relu' }).sub(nd.square(c)),
    },
    {
      dtype: 'int32',
      build: (a, b, c) => sym.abs({ data: a.mul(b).sub(c) }).add(7).mul(c),
      ref: (a, b, c) => nd.abs(a.mul(b).sub(c)).add(7).mul(c),
    },
  ];
  for (const { dtype, build, ref } of chains) {
    it(`a chain of unary, binary, scalar and reversed-scalar ops in ${dtype} fuses into one group, bit for bit`, () => {
      const n = 2500;
      const [av, bv, cv] = [1, 2, 3].map((s) => input(n, s + 10, dtype, 6));
      const y = build(sym.Variable('a'), sym.Variable('b'), sym.Variable('c'));
      const ex = y.bind(here(), { a: av, b: bv, c: cv });
      const groups = fusedGroups(ex);
      expect(groups.length).toBe(elemFusionFor(dtype) ? 1 : 0);
      if (elemFusionFor(dtype)) expect(groups[0]!.length).toBe(JSON.parse(y.toJSON()).nodes.filter((x: any) => x.op !== 'null').length);
      const got = vals(ex.forward()[0]);
      const r = ref(av, bv, cv);
      expect(got).toEqual(vals(r));
      expect(unfusedForward(ex)[0]).toEqual(got);
      ex.dispose();
      for (const x of [av, bv, cv, r]) x.dispose();
    });
  }

  it('an intermediate read twice is an input of the group, not fused away', () => {
    const a = sym.Variable('a');
    const x = sym.elemwise_add({ lhs: a, rhs: a.mul(3), name: 'x' });
    const y = sym.elemwise_add({ lhs: sym.relu({ data: x, name: 'r' }), rhs: x.mul(2, { name: 'm' }), name: 'y' });
    const av = input(3000, 4);
    const ex = y.bind(here(), { a: av });
    const groups = fusedGroups(ex);
    const withY = groups.find((g) => g.includes('y'));
    if (elemFusion) {
      expect(withY).toContain('r');
      expect(withY).not.toContain('x');
    } else {
      expect(groups).toEqual([]);
    }
    expect(groups.some((g) => g.includes('x') && g.includes('y'))).toBe(false);
    const xr = nd.elemwise_add(av, av.mul(3));
    const want = vals(nd.elemwise_add(nd.relu(xr), xr.mul(2)));
    expect(vals(ex.forward()[0])).toEqual(want);
    ex.dispose();
    av.dispose();
    xr.dispose();
  });

  it('an input whose last reader is an earlier member stays alive until the group runs', () => {
    // slice0 and slice1 are read only by the first add; the plan once gave slice1's buffer to slice2,
    // written before the fused group (run at the second add) read slice1.
    const d = sym.Variable('d');
    const s = (a: number, b: number): Sym => sym.slice(d, { begin: [0, 0, a, b], end: [1, 1, a + 3, b + 3] });
    const net = sym.broadcast_add(sym.broadcast_add(s(0, 0), s(0, 1), { name: 'first' }), s(1, 1), { name: 'second' });
    const dv = nd.arange(0, 16).reshape([1, 1, 4, 4]);
    const ex = net.bind(here(), { d: dv });
    if (elemFusion) expect(fusedGroups(ex)).toEqual([['first', 'second']]);
    const sl = (a: number, b: number): Arr => nd.slice(dv, { begin: [0, 0, a, b], end: [1, 1, a + 3, b + 3] });
    const want = vals(sl(0, 0).add(sl(0, 1)).add(sl(1, 1)));
    expect(want).toEqual([6, 9, 12, 18, 21, 24, 30, 33, 36]);
    expect(vals(ex.forward()[0])).toEqual(want);
    ex.dispose();
    dv.dispose();
  });

  it('an intermediate that is also a graph output is kept, and both outputs are right', () => {
    const s = sym.elemwise_add({ lhs: sym.Variable('a'), rhs: sym.Variable('b'), name: 's' });
    const g = sym.Group([s, sym.relu({ data: s, name: 'r' }).mul(2)]);
    const av = input(2000, 5);
    const bv = input(2000, 6);
    const ex = g.bind(here(), { a: av, b: bv });
    for (const grp of fusedGroups(ex)) expect(grp).not.toContain('s');
    const [o0, o1] = ex.forward();
    const sv = nd.elemwise_add(av, bv);
    expect(vals(o0)).toEqual(vals(sv));
    expect(vals(o1)).toEqual(vals(nd.relu(sv).mul(2)));
    ex.dispose();
    for (const x of [av, bv, sv]) x.dispose();
  });

  it('broadcasting and differing shapes are not fused and stay right', () => {
    const a = sym.Variable('a');
    const b = sym.Variable('b');
    const y = sym.relu({ data: sym.broadcast_add({ lhs: a, rhs: b, name: 'badd' }), name: 'r' });
    const av = nd.array(pseudoRandom(12, 7).map((v: number) => v - 0.5), { shape: [3, 4] });
    const bv = nd.array(pseudoRandom(4, 8).map((v: number) => v - 0.5), { shape: [1, 4] });
    const ex = y.bind(here(), { a: av, b: bv });
    expect(fusedGroups(ex)).toEqual([]);
    const want = vals(nd.relu(nd.broadcast_add(av, bv)));
    expect(vals(ex.forward()[0])).toEqual(want);
    ex.dispose();
    av.dispose();
    bv.dispose();
  });

  it('training: backward element-wise chains fuse too, and gradients match the unfused executor bit for bit', () => {
    const n = 3000;
    const a = sym.Variable('a');
    const b = sym.Variable('b');
    const c = sym.Variable('c');
    const y = sym.sigmoid({ data: a.mul(b).add(c), name: 'sig' }).mul(sym.tanh({ data: a }));
    const args = { a: input(n, 21), b: input(n, 22), c: input(n, 23) };
    const grads = { a: nd.zeros([n]), b: nd.zeros([n]), c: nd.zeros([n]) };
    const ex = y.bind(here(), args, { argsGrad: grads });
    const plan = ex.planJSON();
    expect((plan.fused as string[][]).length > 0).toBe(elemFusion);
    const byNode = new Map(plan.entries.map((e) => [e.node, e.backward]));
    expect((plan.fused as string[][]).some((g) => g.every((nm) => byNode.get(nm) === true))).toBe(elemFusion);
    const head = input(n, 24);
    ex.forward({ isTrain: true });
    ex.backward(head);
    const fusedOut = vals(ex.outputs[0]);
    const fusedGrads = ['a', 'b', 'c'].map((k) => vals((grads as any)[k]));
    ex.setMonitorCallback((_name: string, arr: Arr) => arr.dispose());
    ex.forward({ isTrain: true });
    ex.backward(head);
    ex.setMonitorCallback(null);
    expect(vals(ex.outputs[0])).toEqual(fusedOut);
    ['a', 'b', 'c'].forEach((k, i) => expect(vals((grads as any)[k])).toEqual(fusedGrads[i]));
    // And against autograd on the imperative ops.
    const [ai, bi, ci] = [args.a.copy(), args.b.copy(), args.c.copy()];
    for (const x of [ai, bi, ci]) x.attachGrad();
    mx.autograd.record(() => {
      const out = nd.sigmoid(ai.mul(bi).add(ci)).mul(nd.tanh(ai));
      out.backward(head);
    });
    expect(vals(ai.grad)).toEqual(fusedGrads[0]);
    expect(vals(bi.grad)).toEqual(fusedGrads[1]);
    expect(vals(ci.grad)).toEqual(fusedGrads[2]);
    ex.dispose();
    for (const x of [...Object.values(args), ...Object.values(grads), head, ai, bi, ci]) x.dispose();
  });

  it('the monitor still sees every node output of a fused group', () => {
    const y = sym.relu({ data: sym.elemwise_add({ lhs: sym.Variable('a'), rhs: sym.Variable('b'), name: 'sum' }), name: 'act' });
    const av = input(100, 31);
    const bv = input(100, 32);
    const ex = y.bind(here(), { a: av, b: bv });
    const seen: string[] = [];
    ex.setMonitorCallback((name: string, arr: Arr) => { seen.push(name); arr.dispose(); });
    ex.forward();
    ex.setMonitorCallback(null);
    expect(seen).toEqual(['sum_output', 'act_output']);
    ex.dispose();
    av.dispose();
    bv.dispose();
  });
});

// Convolution + BatchNorm fuse on every device, bit for bit: on a GPU the convolution's own compute
// then one in-place epilogue pass, and with ISOTENSOR_GPU_KERNELS_ON_CPU their CPU twins.
describe('every fusable op in a float32 group (the device program: GPU kernel, CPU twin)', () => {
  // op_list.h's names per list; each op runs after a scalar multiply, so the pair is one group
  // whose fused result must have the unfused ops' bits (ISOTENSOR_GPU_KERNELS_ON_CPU=1 runs the
  // device program's switch on the CPU; on a GPU its kernel).
  const header = readFileSync(fileURLToPath(new URL('../../core-cpp/ops/elemwise/op_list.h', import.meta.url)), 'utf8');
  const namesOf = (list: string): string[] => {
    const body = header.split(`#define ${list}(X)`)[1]!.split('#define')[0]!;
    return [...body.matchAll(/X\((\w+),/g)].map((m) => m[1]!);
  };
  const kinds: Array<[string, string[]]> = [
    ['unary', namesOf('IST_ELEMWISE_UNARY_OPS')],
    ['binary', [...namesOf('IST_ELEMWISE_BINARY_OPS'), ...namesOf('IST_BROADCAST_BINARY_OPS')]],
    ['scalar', namesOf('IST_SCALAR_OPS')],
    ['activation', ['relu', 'sigmoid', 'tanh', 'softrelu', 'softsign']],
  ];
  for (const [kind, names] of kinds) {
    it(`${kind} ops (${names.length})`, () => {
      expect(names.length).toBeGreaterThan(4);
      const n = 300;
      const av = input(n, 31, 'float32', 6);
      const bv = input(n, 32, 'float32', 6);
      for (const name of names) {
        const a = sym.Variable('a');
        const b = sym.Variable('b');
        const pre = sym._mul_scalar({ data: a, scalar: 1.5, name: 'pre' });
        const y = kind === 'unary' ? sym[name]({ data: pre, name: 'op' })
          : kind === 'binary' ? sym[name]({ lhs: pre, rhs: b, name: 'op' })
            : kind === 'scalar' ? sym[name]({ data: pre, scalar: 0.7, name: 'op' })
              : sym.Activation({ data: pre, actType: name, name: 'op' });
        const ex = y.bind(here(), kind === 'binary' ? { a: av, b: bv } : { a: av });
        expect(fusedGroups(ex), name).toEqual(elemGroups([['pre', 'op']]));
        const got = vals(ex.forward()[0]);
        expect(unfusedForward(ex)[0], name).toEqual(got);
        ex.dispose();
      }
      av.dispose();
      bv.dispose();
    });
  }
});

describe('convolution + batch norm (+ residual add) (+ relu) fusion in inference', () => {
  const convCases = [
    { name: 'Winograd 3x3', xs: [4, 64, 14, 14], f: 12, kernel: [3, 3], stride: [1, 1], pad: [1, 1], dtype: 'float32', offset: 0 },
    { name: 'im2col 3x3 stride 2', xs: [2, 6, 11, 9], f: 10, kernel: [3, 3], stride: [2, 2], pad: [1, 1], dtype: 'float32' },
    { name: 'pointwise 1x1', xs: [3, 16, 5, 7], f: 8, kernel: [1, 1], stride: [1, 1], pad: [0, 0], dtype: 'float32' },
    { name: 'float64 3x3', xs: [2, 5, 9, 9], f: 7, kernel: [3, 3], stride: [1, 1], pad: [1, 1], dtype: 'float64' },
    // Large enough for the threads to split the GEMM and for more than one block of rows (136
    // filters), and a stem-like 7x7/2 with images on separate threads (phase planes, conv_phases.h).
    // (Values centred on 0, offset 0: over 144, 147 or 576 products the others' offset would leave no
    // output for the relu to clip.)
    { name: 'im2col 3x3 stride 2, 136 filters', xs: [1, 16, 24, 24], f: 136, kernel: [3, 3], stride: [2, 2], pad: [1, 1], dtype: 'float32', offset: 0 },
    { name: 'im2col 7x7 stride 2', xs: [4, 3, 40, 38], f: 16, kernel: [7, 7], stride: [2, 2], pad: [3, 3], dtype: 'float32', offset: 0 },
  ];
  const params = (c: typeof convCases[number]) => {
    const C = c.xs[1]!;
    const r = (n: number, seed: number, lo: number, hi: number) =>
      nd.array(pseudoRandom(n, seed).map((v: number) => lo + (hi - lo) * unit(v)), { shape: [n], dtype: c.dtype });
    return {
      data: nd.array(pseudoRandom(c.xs.reduce((a, b) => a * b, 1), 41).map((v: number) => v - (c.offset ?? 0.5)), { shape: c.xs, dtype: c.dtype }),
      weight: nd.array(pseudoRandom(c.f * C * c.kernel[0]! * c.kernel[1]!, 42).map((v: number) => (v - (c.offset ?? 0.5)) * 0.4),
                       { shape: [c.f, C, ...c.kernel], dtype: c.dtype }),
      gamma: r(c.f, 43, 0.5, 1.5), beta: r(c.f, 44, -0.5, 0.5), mean: r(c.f, 45, -0.2, 0.2), var: r(c.f, 46, 0.5, 2),
    };
  };
  const convOpts = (c: typeof convCases[number]) => ({ kernel: c.kernel, stride: c.stride, pad: c.pad, numFilter: c.f, noBias: true });

  // `${name}_conv` (no bias, 'same' padding) then `${name}_bn`, the blocks of the graph-level cases.
  const convBN = (d: Sym, name: string, filters: number, k: number, stride: number): Sym =>
    sym.BatchNorm({ data: sym.Convolution({ data: d, name: `${name}_conv`, kernel: [k, k], stride: [stride, stride],
                                            pad: [k >> 1, k >> 1], numFilter: filters, noBias: true }),
                   name: `${name}_bn`, fixGamma: false });
  // Every argument and aux array of a bound graph from one seed: variances in [0.5, 1.5), weights
  // scaled by 0.4, the rest centred on 0.
  const fillParams = (ex: any, seed: number): void => {
    for (const [k, arr] of Object.entries({ ...ex.argDict, ...ex.auxDict }) as Array<[string, Arr]>) {
      const v = pseudoRandom(arr.size, seed++).map((t: number) => (k.endsWith('var') ? 0.5 + unit(t) : k.endsWith('weight') ? (t - 0.5) * 0.4 : t - 0.5));
      arr.set(nd.array(v, { shape: arr.shape }));
    }
  };

  for (const c of convCases) {
    it(`${c.name} ${c.dtype}: conv, bn, relu run as one, bit for bit`, () => {
      const net = sym.Activation({
        data: sym.BatchNorm({ data: sym.Convolution({ data: sym.Variable('data'), name: 'conv', ...convOpts(c) }),
                              name: 'bn', fixGamma: false, eps: 1e-5 }),
        name: 'act', actType: 'relu' });
      const p = params(c);
      const ex = net.bind(here(), { data: p.data, conv_weight: p.weight, bn_gamma: p.gamma, bn_beta: p.beta },
                          { auxStates: { bn_moving_mean: p.mean, bn_moving_var: p.var } });
      expect(fusedGroups(ex)).toEqual([['conv', 'bn', 'act']]);
      const got = vals(ex.forward()[0]);
      expect(unfusedForward(ex)[0]!).toEqual(got);
      const want = nd.Activation(nd.BatchNorm(nd.Convolution(p.data, p.weight, convOpts(c)), p.gamma, p.beta, p.mean, p.var,
                                              { fixGamma: false, eps: 1e-5, useGlobalStats: true }), { actType: 'relu' });
      expect(got).toEqual(vals(want));
      expect(got.some((v) => v === 0) && got.some((v) => v > 0) && got.every(Number.isFinite)).toBe(true);
      ex.dispose();
      for (const a of [...Object.values(p), want]) a.dispose();
    });
  }

  for (const c of convCases) {
    it(`${c.name} ${c.dtype}: conv, bn, residual add, relu run as one, bit for bit`, () => {
      const p = params(c);
      const y0 = nd.Convolution(p.data, p.weight, convOpts(c));
      const res = nd.array(pseudoRandom(y0.size, 47).map((v: number) => v - 0.5), { shape: y0.shape, dtype: c.dtype });
      const net = sym.relu({
        data: sym.elemwise_add({
          lhs: sym.BatchNorm({ data: sym.Convolution({ data: sym.Variable('data'), name: 'conv', ...convOpts(c) }),
                               name: 'bn', fixGamma: false, eps: 1e-5 }),
          rhs: sym.Variable('res'), name: 'add' }),
        name: 'act' });
      const ex = net.bind(here(), { data: p.data, conv_weight: p.weight, bn_gamma: p.gamma, bn_beta: p.beta, res },
                          { auxStates: { bn_moving_mean: p.mean, bn_moving_var: p.var } });
      expect(fusedGroups(ex)).toEqual([['conv', 'bn', 'add', 'act']]);
      const got = vals(ex.forward()[0]);
      expect(unfusedForward(ex)[0]!).toEqual(got);
      const bn = nd.BatchNorm(y0, p.gamma, p.beta, p.mean, p.var, { fixGamma: false, eps: 1e-5, useGlobalStats: true });
      const sum = nd.elemwise_add(bn, res);
      const want = nd.relu(sum);
      expect(got).toEqual(vals(want));
      expect(got.some((v) => v === 0) && got.some((v) => v > 0) && got.every(Number.isFinite)).toBe(true);
      ex.dispose();
      for (const a of [...Object.values(p), y0, res, bn, sum, want]) a.dispose();
    });
  }

  it('a residual add without a relu, and one whose residual other nodes read too', () => {
    const x = sym.Variable('data');
    const cb = (d: Sym, n: string) => convBN(d, n, 8, 3, 1);
    const r = sym.relu({ data: cb(x, 'a'), name: 'r' });
    const plain = sym.elemwise_add({ lhs: r, rhs: cb(r, 'b'), name: 'plain' });  // no relu; residual as lhs
    const net = sym.Group([plain, r.mul(2)]);
    const ex = net.simpleBind(here(), { data: [2, 8, 9, 9] }, { gradReq: 'null' });
    fillParams(ex, 70);
    const groups = fusedGroups(ex);
    expect(groups).toContainEqual(['a_conv', 'a_bn', 'r']);
    expect(groups).toContainEqual(['b_conv', 'b_bn', 'plain']);
    const got = ex.forward().map(vals);
    expect(got.every((o: number[]) => o.every(Number.isFinite)) && got[0]!.some((v: number) => v < 0) && got[1]!.some((v: number) => v > 0)).toBe(true);
    expect(unfusedForward(ex)).toEqual(got);
    ex.dispose();
  });

  it('a projection shortcut: the add of two batch norms joins one of their groups; both orders of the add', () => {
    for (const projFirst of [false, true]) {
      const x = sym.Variable('data');
      const cb = (d: Sym, n: string, k: number, stride: number) => convBN(d, n, 12, k, stride);
      const main = cb(sym.relu({ data: cb(x, 'a', 3, 2), name: 'a_relu' }), 'b', 3, 1);
      const proj = cb(x, 'd', 1, 2);
      const sum = projFirst ? sym.elemwise_add({ lhs: proj, rhs: main, name: 'add' }) : sym.elemwise_add({ lhs: main, rhs: proj, name: 'add' });
      const net = sym.relu({ data: sum, name: 'out' });
      const ex = net.simpleBind(here(), { data: [2, 8, 16, 16] }, { gradReq: 'null' });
      fillParams(ex, 90);
      const groups = fusedGroups(ex);
      const withAdd = groups.filter((g) => g.includes('add'));
      expect(withAdd.length).toBe(1);
      expect(withAdd[0]!.slice(2)).toEqual(['add', 'out']);
      expect(groups.filter((g) => g.length === 2 && g[0]!.endsWith('_conv')).length).toBe(1);
      const got = vals(ex.forward()[0]);
      expect(got.some((v) => v === 0) && got.some((v) => v > 0)).toBe(true);
      expect(unfusedForward(ex)[0]!).toEqual(got);
      ex.dispose();
    }
  });

  it('a ResNet block: conv+bn(+relu) fused twice, the residual add and relu in the second group', () => {
    const c = convCases[0]!;
    const x = sym.Variable('data');
    const cb = (d: Sym, n: string) => convBN(d, n, 8, 3, 1);
    const a = sym.relu({ data: cb(x, 'a'), name: 'a_relu' });
    const y = sym.relu({ data: sym.elemwise_add({ lhs: cb(a, 'b'), rhs: x, name: 'add' }), name: 'out' });
    const shapes = { data: [2, 8, 14, 14] };
    const ex = y.simpleBind(here(), shapes, { gradReq: 'null' });
    const p = params(c);
    fillParams(ex, 60);
    expect(fusedGroups(ex)).toEqual([['a_conv', 'a_bn', 'a_relu'], ['b_conv', 'b_bn', 'add', 'out']]);
    const got = vals(ex.forward()[0]);
    expect(got.every(Number.isFinite) && got.some((v) => v > 0)).toBe(true);
    expect(unfusedForward(ex)[0]!).toEqual(got);
    ex.dispose();
    for (const v of Object.values(p)) v.dispose();
  });

  it('training forward (batch statistics) runs the unfused nodes: outputs and moving statistics as without fusion', () => {
    const c = convCases[1]!;
    const build = () => sym.Activation({
      data: sym.BatchNorm({ data: sym.Convolution({ data: sym.Variable('data'), name: 'conv', ...convOpts(c) }), name: 'bn', fixGamma: false }),
      name: 'act', actType: 'relu' });
    const run = (monitor: boolean) => {
      const p = params(c);
      const ex = build().bind(here(), { data: p.data, conv_weight: p.weight, bn_gamma: p.gamma, bn_beta: p.beta },
                              { auxStates: { bn_moving_mean: p.mean, bn_moving_var: p.var } });
      if (monitor) ex.setMonitorCallback((_n: string, arr: Arr) => arr.dispose());
      const out = vals(ex.forward({ isTrain: true })[0]);
      const stats = [vals(p.mean), vals(p.var)];
      const infer = vals(ex.forward()[0]);
      ex.dispose();
      for (const a of Object.values(p)) a.dispose();
      return { out, stats, infer };
    };
    const fused = run(false);
    const plain = run(true);
    expect(fused.out).toEqual(plain.out);
    expect(fused.stats).toEqual(plain.stats);
    expect(fused.infer).toEqual(plain.infer);
  });

  // A convolution with a bias (ONNX's Conv with B), and ONNX's Add (broadcast_add of one shape) as the
  // residual add, on each path that applies the epilogue: GEMM, Winograd and depthwise.
  const biasCases = [
    { name: 'Winograd 3x3', xs: [2, 64, 14, 14], f: 12, k: 3, stride: 1, groups: 1 },
    { name: 'im2col 3x3 stride 2', xs: [2, 6, 11, 9], f: 10, k: 3, stride: 2, groups: 1 },
    { name: 'grouped 1x1', xs: [1, 12, 6, 7], f: 9, k: 1, stride: 1, groups: 3 },
    { name: 'depthwise 3x3', xs: [2, 12, 13, 11], f: 12, k: 3, stride: 1, groups: 12 },
    { name: 'depthwise 3x3 stride 2', xs: [2, 12, 13, 11], f: 12, k: 3, stride: 2, groups: 12 },
  ];
  for (const c of biasCases) {
    it(`${c.name} with a bias, broadcast_add as the residual add: conv, bn, add, relu run as one, bit for bit`, () => {
      const C = c.xs[1]!;
      const opts = { kernel: [c.k, c.k], stride: [c.stride, c.stride], pad: [c.k >> 1, c.k >> 1], numFilter: c.f, numGroup: c.groups };
      const r = (n: number, seed: number, lo: number, hi: number, shape = [n]) =>
        nd.array(pseudoRandom(n, seed).map((v: number) => lo + (hi - lo) * unit(v)), { shape });
      const data = r(c.xs.reduce((a, b) => a * b, 1), 51, -0.5, 0.5, c.xs);
      const weight = r(c.f * (C / c.groups) * c.k * c.k, 52, -0.2, 0.2, [c.f, C / c.groups, c.k, c.k]);
      const bias = r(c.f, 53, -0.5, 0.5);
      const [gamma, beta, mean, v] = [r(c.f, 54, 0.5, 1.5), r(c.f, 55, -0.5, 0.5), r(c.f, 56, -0.2, 0.2), r(c.f, 57, 0.5, 2)];
      const y0 = nd.Convolution(data, weight, bias, opts);
      const res = r(y0.size, 58, -0.5, 0.5, y0.shape);
      const net = sym.relu({
        data: sym.broadcast_add({
          lhs: sym.Variable('res'),
          rhs: sym.BatchNorm({ data: sym.Convolution({ data: sym.Variable('data'), name: 'conv', ...opts }),
                               name: 'bn', fixGamma: false, eps: 1e-5 }), name: 'add' }),
        name: 'act' });
      const ex = net.bind(here(), { data, conv_weight: weight, conv_bias: bias, bn_gamma: gamma, bn_beta: beta, res },
                          { auxStates: { bn_moving_mean: mean, bn_moving_var: v } });
      expect(fusedGroups(ex)).toEqual([['conv', 'bn', 'add', 'act']]);
      const got = vals(ex.forward()[0]);
      expect(unfusedForward(ex)[0]!).toEqual(got);
      const bn = nd.BatchNorm(y0, gamma, beta, mean, v, { fixGamma: false, eps: 1e-5, useGlobalStats: true });
      const sum = nd.broadcast_add(res, bn);
      const want = nd.relu(sum);
      expect(got).toEqual(vals(want));
      expect(got.some((x) => x === 0) && got.some((x) => x > 0) && got.every(Number.isFinite)).toBe(true);
      ex.dispose();
      for (const a of [data, weight, bias, gamma, beta, mean, v, y0, res, bn, sum, want]) a.dispose();
    });
  }

  // Without a BatchNorm (SqueezeNet, Inception v1, AlexNet): a convolution straight into its relu, or
  // into a residual add then a relu, runs as one on the CPU; on a GPU, and with the GPU kernels' CPU
  // twins, it runs unfused.
  const convEpilogue = !onGpuContext && process.env.ISOTENSOR_GPU_KERNELS_ON_CPU !== '1';
  for (const c of biasCases) {
    it(`${c.name} with a bias and no batch norm: conv, relu and conv, add, relu run as one, bit for bit`, () => {
      const C = c.xs[1]!;
      const opts = { kernel: [c.k, c.k], stride: [c.stride, c.stride], pad: [c.k >> 1, c.k >> 1], numFilter: c.f, numGroup: c.groups };
      const r = (n: number, seed: number, shape = [n]) =>
        nd.array(pseudoRandom(n, seed).map((v: number) => unit(v) - 0.5), { shape });
      const data = r(c.xs.reduce((a, b) => a * b, 1), 61, c.xs);
      const weight = r(c.f * (C / c.groups) * c.k * c.k, 62, [c.f, C / c.groups, c.k, c.k]);
      const bias = r(c.f, 63);
      const y0 = nd.Convolution(data, weight, bias, opts);
      const res = r(y0.size, 64, y0.shape);
      const conv = () => sym.Convolution({ data: sym.Variable('data'), name: 'conv', ...opts });
      for (const withAdd of [false, true]) {
        const net = withAdd
          ? sym.relu({ data: sym.broadcast_add({ lhs: conv(), rhs: sym.Variable('res'), name: 'add' }), name: 'act' })
          : sym.relu({ data: conv(), name: 'act' });
        const args: Record<string, Arr> = { data, conv_weight: weight, conv_bias: bias };
        if (withAdd) args.res = res;
        const ex = net.bind(here(), args);
        const groups = fusedGroups(ex);
        if (convEpilogue) expect(groups).toEqual([withAdd ? ['conv', 'add', 'act'] : ['conv', 'act']]);
        else expect(groups.some((g) => g.includes('conv'))).toBe(false);
        const got = vals(ex.forward()[0]);
        expect(unfusedForward(ex)[0]!).toEqual(got);
        const sum = withAdd ? nd.broadcast_add(y0, res) : undefined;
        const want = nd.relu(sum ?? y0);
        expect(got).toEqual(vals(want));
        expect(got.some((x) => x === 0) && got.some((x) => x > 0) && got.every(Number.isFinite)).toBe(true);
        ex.dispose();
        want.dispose();
        sum?.dispose();
      }
      for (const a of [data, weight, bias, y0, res]) a.dispose();
    });
  }

  // ShuffleNet's channel shuffle after a grouped convolution's group: Reshape (N, G, F/G, H, W), transpose
  // (0, 2, 1, 3, 4), Reshape back. On the CPU it joins the group (the convolution writes the shuffled
  // channels); elsewhere, or when it is not that shuffle, it runs as its own nodes. Either way bit for bit.
  const shuffleCases = [
    { name: 'grouped 1x1 with batch norm', xs: [2, 12, 5, 7], f: 16, k: 1, groups: 4, bn: true, split: 4, axes: [0, 2, 1, 3, 4] },
    { name: 'grouped 3x3 (im2col) with a bias, no batch norm', xs: [1, 6, 9, 8], f: 9, k: 3, groups: 3, bn: false, split: 3, axes: [0, 2, 1, 3, 4] },
    { name: 'grouped 1x1 on a 1x1 map', xs: [3, 8, 1, 1], f: 8, k: 1, groups: 2, bn: true, split: 2, axes: [0, 2, 1, 3, 4] },
    { name: 'a split other than the groups', xs: [1, 12, 4, 4], f: 12, k: 1, groups: 4, bn: true, split: 3, axes: [0, 2, 1, 3, 4] },
    { name: 'another transpose', xs: [1, 12, 4, 4], f: 12, k: 1, groups: 4, bn: true, split: 4, axes: [0, 1, 2, 4, 3] },
  ];
  for (const c of shuffleCases) {
    it(`channel shuffle after a ${c.name}: same values, fused only where it is that shuffle on the CPU`, () => {
      const [N, C, H, W] = c.xs as [number, number, number, number];
      const opts = { kernel: [c.k, c.k], pad: [c.k >> 1, c.k >> 1], numFilter: c.f, numGroup: c.groups, noBias: c.bn };
      const r = (n: number, seed: number, lo: number, hi: number, shape = [n]) =>
        nd.array(pseudoRandom(n, seed).map((v: number) => lo + (hi - lo) * unit(v)), { shape });
      const conv = sym.Convolution({ data: sym.Variable('data'), name: 'conv', ...opts });
      const body = c.bn ? sym.BatchNorm({ data: conv, name: 'bn', fixGamma: false }) : conv;
      const act = sym.relu({ data: body, name: 'act' });
      const split = sym.Reshape({ data: act, shape: [N, c.split, c.f / c.split, H, W], name: 'split' });
      const tr = sym.transpose({ data: split, axes: c.axes, name: 'tr' });
      const net = sym.Reshape({ data: tr, shape: [N, c.f, H, W], name: 'merge' });
      const args: Record<string, Arr> = {
        data: r(N * C * H * W, 71, -0.5, 0.5, c.xs),
        conv_weight: r(c.f * (C / c.groups) * c.k * c.k, 72, -0.3, 0.3, [c.f, C / c.groups, c.k, c.k]),
      };
      const aux: Record<string, Arr> = {};
      if (c.bn) {
        [args.bn_gamma, args.bn_beta] = [r(c.f, 73, 0.5, 1.5), r(c.f, 74, -0.5, 0.5)];
        [aux.bn_moving_mean, aux.bn_moving_var] = [r(c.f, 75, -0.2, 0.2), r(c.f, 76, 0.5, 2)];
      } else {
        args.conv_bias = r(c.f, 77, -0.3, 0.3);
      }
      const ex = net.bind(here(), args, { auxStates: aux });
      const fusesShuffle = convEpilogue && c.split === c.groups && c.axes[3] === 3;
      const group = c.bn ? ['conv', 'bn', 'act'] : ['conv', 'act'];
      if (fusesShuffle) expect(fusedGroups(ex)).toEqual([[...group, 'split', 'tr', 'merge']]);
      else expect(fusedGroups(ex).some((g) => g.includes('tr'))).toBe(false);
      const got = vals(ex.forward()[0]);
      expect(unfusedForward(ex)[0]!).toEqual(got);
      // The same network node by node.
      let y = nd.Convolution(args.data, args.conv_weight, ...(c.bn ? [] : [args.conv_bias]), opts);
      if (c.bn) y = nd.BatchNorm(y, args.bn_gamma, args.bn_beta, aux.bn_moving_mean, aux.bn_moving_var, { fixGamma: false, useGlobalStats: true });
      const want = nd.relu(y).reshape([N, c.split, c.f / c.split, H, W]).transpose(c.axes).reshape([N, c.f, H, W]);
      expect(got).toEqual(vals(want));
      expect(got.some((x) => x === 0) && got.some((x) => x > 0) && got.every(Number.isFinite)).toBe(true);
      ex.dispose();
    });
  }

  it('a batch norm whose output has two readers fuses only what is safe; a biased convolution joins its batch norm', () => {
    const c = convCases[2]!;
    const x = sym.Variable('data');
    const biased = sym.BatchNorm({ data: sym.Convolution({ data: x, name: 'cb', kernel: [1, 1], numFilter: 8 }), name: 'bnb' });
    const bn = sym.BatchNorm({ data: sym.Convolution({ data: x, name: 'cn', kernel: [1, 1], numFilter: 8, noBias: true }), name: 'bnn' });
    const y = sym.Group([biased, sym.relu({ data: bn, name: 'r' }), bn.mul(2)]);
    const ex = y.simpleBind(here(), { data: c.xs }, { gradReq: 'null' });
    let seed = 80;
    for (const arr of Object.values({ ...ex.argDict, ...ex.auxDict }) as Arr[]) {
      arr.set(nd.array(pseudoRandom(arr.size, seed++).map((t: number) => 0.5 + unit(t)), { shape: arr.shape }));
    }
    const groups = fusedGroups(ex);
    expect(groups).toContainEqual(['cn', 'bnn']);
    expect(groups).toContainEqual(['cb', 'bnb']);
    expect(groups.some((g) => g.includes('r'))).toBe(false);
    const got = ex.forward().map(vals);
    expect(got.every((o: number[]) => o.every(Number.isFinite))).toBe(true);
    expect(unfusedForward(ex)).toEqual(got);
    ex.dispose();
  });
});

describe('fusion in a hybridized model-zoo network', () => {
  it('resnet18_v1 inference: every convolution carries its BatchNorm, every residual add and its relu join one; same output', () => {
    const net: any = mx.gluon.model_zoo.vision.getModel('resnet18_v1', { classes: 10 });
    net.initialize({ init: new mx.init.Xavier() });
    const x = nd.array(pseudoRandom(2 * 3 * 32 * 32, 91), { shape: [2, 3, 32, 32] });
    const imperative = vals(net.forward(x));
    net.hybridize();
    const hybrid = vals(net.forward(x));
    const exec = net.cachedOp().executors[0];
    const plan = exec.planJSON();
    const convs = plan.entries.filter((e: any) => e.op === 'Convolution').length;
    const groups = plan.fused as string[][];
    const opOf = new Map(plan.entries.map((e: any) => [e.node, e.op]));
    const withConv = groups.filter((g) => opOf.get(g[0]) === 'Convolution');
    expect(convs).toBe(20);
    expect(withConv.length).toBe(convs);
    expect(withConv.every((g) => opOf.get(g[1]) === 'BatchNorm')).toBe(true);
    // Each residual add and its relu join a convolution's group: no element-wise group is left.
    expect(withConv.filter((g) => g.length === 4 && opOf.get(g[2]) === 'elemwise_add').length).toBe(8);
    expect(groups.length).toBe(convs);
    const scale = imperative.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let worst = 0;
    hybrid.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - imperative[i]!)); });
    expect(worst).toBeLessThanOrEqual(1e-5 * Math.max(1, scale));
    net.hybridize(false);
    x.dispose();
  });
});
