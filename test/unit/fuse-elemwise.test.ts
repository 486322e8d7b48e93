// Element-wise fusion in the executor (graph/fuse_elemwise.h): which nodes fuse, and that fused
// runs give the bits of the unfused ones (each op's own kernel: imperative nd calls, and the same
// executor with a monitor set, which pushes the unfused runs), forward and backward, on every
// dtype family, sizes around the 1024-element block, shared and escaping intermediates.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { pseudoRandom } from '../helpers/gradcheck';

const { nd } = mx;
const sym: any = mx.sym;
type Arr = any;
type Sym = any;

const vals = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);
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
  announceBackend('fuse-elemwise');
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
      expect(fusedGroups(ex)).toEqual([['sum', 'act']]);
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
      expect(groups.length).toBe(1);
      expect(groups[0]!.length).toBe(JSON.parse(y.toJSON()).nodes.filter((x: any) => x.op !== 'null').length);
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
    const withY = groups.find((g) => g.includes('y'))!;
    expect(withY).toContain('r');
    expect(withY).not.toContain('x');
    expect(groups.some((g) => g.includes('x') && g.includes('y'))).toBe(false);
    const xr = nd.elemwise_add(av, av.mul(3));
    const want = vals(nd.elemwise_add(nd.relu(xr), xr.mul(2)));
    expect(vals(ex.forward()[0])).toEqual(want);
    ex.dispose();
    av.dispose();
    xr.dispose();
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
    expect((plan.fused as string[][]).length).toBeGreaterThan(0);
    const byNode = new Map(plan.entries.map((e) => [e.node, e.backward]));
    expect((plan.fused as string[][]).some((g) => g.every((nm) => byNode.get(nm) === true))).toBe(true);
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
