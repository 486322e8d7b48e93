// Control flow: nd.contrib / sym.contrib foreach, while_loop and cond, the _foreach/_while_loop/_cond
// nodes (their bodies as subgraphs, MXNet's JSON with "subgraphs", inference through the bodies, bound
// graphs that run them unrolled) and gradients through them.
//
// Expected values come from test/fixtures/control_flow.json, written by
// test/fixtures/gen_control_flow.py with NumPy; gradients are checked against finite differences.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { errorOf, expectClose, fromFixture, loadFixtures, values } from '../helpers/op-fixtures';

const { nd, sym, autograd, gluon } = mx;
type Arr = any;
interface A { shape: number[]; dtype: string; data: number[] }

const fx = loadFixtures<any>('control_flow.json');
const arr = (a: A, dtype = 'float64'): Arr => nd.array(a.data, { shape: a.shape, dtype });
const close = (x: Arr, a: A, what: string, tol = 1e-9): void =>
  expectClose(x, a.shape, x.dtype, a.data, what, { float64: tol, float32: 1e-5 });

beforeAll(async () => {
  await mx.ready();
  announceBackend('control-flow');
});

describe('nd.contrib (imperative loops over recorded ops)', () => {
  it('foreach: MXNet\'s docstring example and an RNN cell against NumPy', () => {
    mx.scope(() => {
      const d = fx.doc;
      const [outs, states] = nd.contrib.foreach((x: Arr, s: Arr) => [x.add(s[0]), [s[0].mul(2)]], arr(d.data), [arr(d.state)]);
      close(outs, d.outputs, 'outputs');
      close((states as Arr[])[0], d.final, 'state');
      const r = fx.rnn;
      const [W, U, b] = [arr(r.W), arr(r.U), arr(r.b)];
      const [o, s] = nd.contrib.foreach((x: Arr, st: Arr) => {
        const y = nd.FullyConnected(x, W, b, { numHidden: 5 }).add(nd.FullyConnected(st[0], U, { numHidden: 5, noBias: true })).tanh();
        return [y, [y]];
      }, arr(r.x), [arr(r.h0)]);
      close(o, r.outputs, 'rnn outputs');
      close((s as Arr[])[0], r.state, 'rnn state');
    });
  });

  it('foreach: nested lists of data and states keep their structure', () => {
    mx.scope(() => {
      const a = nd.arange(0, 6, 1, { dtype: 'float64' }).reshape(3, 2);
      const [outs, states] = nd.contrib.foreach((xs: Arr, s: Arr) => [[xs[0].add(xs[1]), xs[0]], [s[0].add(xs[1])]],
                                                [a, a.mul(10)], [nd.zeros([2], { dtype: 'float64' })]);
      expect(values((outs as Arr[])[0])).toEqual([0, 11, 22, 33, 44, 55]);
      expect(values((outs as Arr[])[1])).toEqual([0, 1, 2, 3, 4, 5]);
      expect(values((states as Arr[])[0])).toEqual([60, 90]);
    });
  });

  it('while_loop: MXNet\'s docstring example (rows past the last step are zero)', () => {
    mx.scope(() => {
      const w = fx.while;
      const [outs, vars] = nd.contrib.while_loop((i: Arr) => i.lesserEqual(5), (i: Arr, s: Arr) => [[i.add(s)], [i.add(1), s.add(i)]],
                                                 [arr(w.i), arr(w.s)], { maxIterations: w.max_iterations });
      close((outs as Arr[])[0], w.outputs, 'outputs');
      close((vars as Arr[])[0], w.final_i, 'i');
      close((vars as Arr[])[1], w.final_s, 's');
      // max_iterations stops the loop first.
      const [o2, v2] = nd.contrib.while_loop((i: Arr) => i.lesserEqual(5), (i: Arr, s: Arr) => [[i.add(s)], [i.add(1), s.add(i)]],
                                             [arr(w.i), arr(w.s)], { maxIterations: 2 });
      expect((o2 as Arr[])[0].shape).toEqual([2, 1]);
      expect(values((v2 as Arr[])[0])).toEqual([2]);
    });
  });

  it('cond runs only the branch pred selects', () => {
    mx.scope(() => {
      const c = fx.cond;
      const [a, b] = [arr(c.a), arr(c.b)];
      let ran = '';
      const out = nd.contrib.cond(a.sum().lesser(b.sum()), () => { ran = 'then'; return a.add(b); },
                                  () => { ran = 'else'; return a.mul(b); });
      expect(ran).toBe(c.taken);
      close(out, c.output, 'output');
      expect(errorOf(() => nd.contrib.cond(a, () => a, () => b))).toMatch(/pred must have exactly one element.*\(2, 3\)/);
    });
  });

  it('gradients flow through the recorded loop (autograd)', () => {
    mx.scope(() => {
      const p = fx.power;
      const x = arr(p.x);
      const c = arr(p.c);
      x.attachGrad();
      const y = autograd.record(() => {
        const [, vars] = nd.contrib.while_loop((k: Arr) => k.lesser(p.n), (k: Arr, acc: Arr) => [null, [k.add(1), acc.mul(x).add(c)]],
                                               [nd.zeros([1], { dtype: 'float64' }), nd.onesLike(x)], { maxIterations: 10 });
        return (vars as Arr[])[1];
      });
      close(y, p.y, 'y');
      y.backward();
      // d/dx of ((x + c/x... ) unrolled: y3 = x^3 + c x^2 + c x + c -> 3x^2 + 2cx + c
      const xs = values(x); const cs = values(c);
      const want = xs.map((v, i) => 3 * v * v + 2 * cs[i]! * v + cs[i]!);
      const got = values(x.grad);
      got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(1e-9));
    });
  });
});

describe('sym.contrib (one node with its bodies as subgraphs)', () => {
  function rnnSymbol(): Arr {
    const step = (x: Arr, st: Arr): [Arr, Arr] => {
      const y = sym.FullyConnected(x, sym.var('W'), sym.var('b'), { numHidden: 5, name: 'i2h' })
        .add(sym.FullyConnected(st[0], sym.var('U'), { numHidden: 5, noBias: true, name: 'h2h' })).tanh();
      return [y, [y]];
    };
    const [outs, states] = sym.contrib.foreach(step, sym.var('x'), [sym.var('h0')], 'rnn');
    return sym.Group([outs as Arr, (states as Arr[])[0]]);
  }

  it('foreach: arguments, shape inference through the body, and the bound graph against NumPy', () => {
    mx.scope(() => {
      const r = fx.rnn;
      const s = rnnSymbol();
      expect(s.listArguments()).toEqual(['x', 'h0', 'W', 'b', 'U']);
      // W, b and U come out of the body's FullyConnected rules.
      const inf = s.inferShape({ x: r.x.shape, h0: r.h0.shape });
      expect(inf.argShapes).toEqual([r.x.shape, r.h0.shape, r.W.shape, r.b.shape, r.U.shape]);
      expect(inf.outShapes).toEqual([r.outputs.shape, r.state.shape]);
      expect(s.inferType({ x: 'float64' }).outTypes).toEqual(['float64', 'float64']);
      for (const dtype of ['float64', 'float32']) {
        const ex = s.bind(here(), { x: arr(r.x, dtype), h0: arr(r.h0, dtype), W: arr(r.W, dtype), b: arr(r.b, dtype), U: arr(r.U, dtype) });
        const [o, st] = ex.forward();
        close(o, r.outputs, `${dtype} outputs`);
        close(st, r.state, `${dtype} state`);
        ex.dispose();
      }
    });
  });

  it('foreach: the same values as nd.contrib.foreach for MXNet\'s docstring example', () => {
    mx.scope(() => {
      const d = fx.doc;
      const [outs, states] = sym.contrib.foreach((x: Arr, s: Arr) => [x.add(s[0]), [s[0].mul(2)]], sym.var('data'), [sym.var('state')]);
      const g = sym.Group([outs as Arr, (states as Arr[])[0]]);
      expect(g.listArguments()).toEqual(['data', 'state']);
      const ex = g.bind(here(), { data: arr(d.data), state: arr(d.state) });
      const [o, s] = ex.forward();
      close(o, d.outputs, 'outputs');
      close(s, d.final, 'state');
      ex.dispose();
    });
  });

  it('foreach: gradients of the bound graph match finite differences', () => {
    mx.scope(() => {
      const r = fx.rnn;
      const s = sym.sum(rnnSymbol().at(0).mul(sym.var('w')));
      const names = ['x', 'h0', 'W', 'b', 'U'];
      const base: Record<string, Arr> = { x: arr(r.x), h0: arr(r.h0), W: arr(r.W), b: arr(r.b), U: arr(r.U) };
      const w = nd.array(Array.from({ length: 40 }, (_, i) => Math.sin(i + 1)), { shape: [4, 2, 5], dtype: 'float64' });
      const grads: Record<string, Arr> = {};
      for (const n of names) grads[n] = nd.zerosLike(base[n]);
      const ex = s.bind(here(), { ...base, w }, { argsGrad: grads, gradReq: { ...Object.fromEntries(names.map((n) => [n, 'write'])), w: 'null' } } as any);
      ex.forward({ isTrain: true });
      ex.backward();
      const f = (args: Record<string, Arr>): number => {
        const e = s.bind(here(), { ...args, w });
        const v = values(e.forward()[0])[0]!;
        e.dispose();
        return v;
      };
      const eps = 1e-6;
      for (const n of names) {
        const g = values(ex.gradDict[n]);
        const x0 = values(base[n]);
        for (const k of [0, Math.floor(x0.length / 2), x0.length - 1]) {
          const at = (delta: number): number => {
            const p = x0.slice();
            p[k] = p[k]! + delta;
            return f({ ...base, [n]: nd.array(p, { shape: base[n].shape, dtype: 'float64' }) });
          };
          const num = (at(eps) - at(-eps)) / (2 * eps);
          expect(Math.abs(num - g[k]!)).toBeLessThan(1e-6 + 1e-5 * Math.abs(num));
        }
      }
      ex.dispose();
    });
  });

  it('foreach: JSON keeps the body under "subgraphs" and loads back (MXNet\'s layout)', () => {
    mx.scope(() => {
      const s = rnnSymbol();
      const json = JSON.parse(s.toJSON());
      const node = json.nodes.find((n: Arr) => n.op === '_foreach');
      expect(node.attrs).toMatchObject({ num_args: '6', num_outputs: '2', num_out_data: '1', in_data_locs: '[0]', in_state_locs: '[3]', remain_locs: '[1, 2, 4]' });
      expect(node.subgraphs).toHaveLength(1);
      const body = node.subgraphs[0];
      expect(body.attrs).toBeUndefined();
      // The body's inputs: the step and state variables MXNet names "<name>-<output index>", then the weights.
      expect(body.arg_nodes.map((i: number) => body.nodes[i].name)).toEqual(['x-0', 'W', 'b', 'h0-0', 'U']);
      // Every body node was made in the body's AttrScope ("rnn0", "rnn1", ... : one name per foreach built).
      expect(body.nodes.every((n: Arr) => /^rnn\d+$/.test(n.attrs?.__subgraph_name__ ?? ''))).toBe(true);
      const again = sym.loadJSON(s.toJSON());
      expect(again.toJSON()).toBe(s.toJSON());
      const r = fx.rnn;
      const ex = again.bind(here(), { x: arr(r.x), h0: arr(r.h0), W: arr(r.W), b: arr(r.b), U: arr(r.U) });
      close(ex.forward()[0], r.outputs, 'outputs after JSON');
      ex.dispose();
    });
  });

  it('loads a _foreach node written in MXNet 1.9\'s JSON layout', () => {
    // The layout python/mxnet/symbol/contrib.py foreach and nnvm's SaveJSON give (body variables named
    // "<name>-<index>", locations as lists, no version stamp inside the body).
    const json = {
      nodes: [
        { op: 'null', name: 'data', inputs: [] },
        { op: 'null', name: 'state', inputs: [] },
        {
          op: '_foreach', name: '_foreach0',
          attrs: { in_data_locs: '[0]', in_state_locs: '[1]', num_args: '3', num_out_data: '1', num_outputs: '2', remain_locs: '[]' },
          inputs: [[0, 0, 0], [1, 0, 0]],
          subgraphs: [{
            nodes: [
              { op: 'null', name: 'data-0', attrs: { __subgraph_name__: 'foreach0' }, inputs: [] },
              { op: 'null', name: 'state-0', attrs: { __subgraph_name__: 'foreach0' }, inputs: [] },
              { op: 'elemwise_add', name: '_plus0', attrs: { __subgraph_name__: 'foreach0' }, inputs: [[0, 0, 0], [1, 0, 0]] },
              { op: '_mul_scalar', name: '_mulscalar0', attrs: { __subgraph_name__: 'foreach0', scalar: '2.0' }, inputs: [[1, 0, 0]] },
            ],
            arg_nodes: [0, 1], node_row_ptr: [0, 1, 2, 3, 4], heads: [[2, 0, 0], [3, 0, 0]],
          }],
        },
      ],
      arg_nodes: [0, 1], node_row_ptr: [0, 1, 2, 4], heads: [[2, 0, 0], [2, 1, 0]],
      attrs: { mxnet_version: ['int', 10901] },
    };
    mx.scope(() => {
      const s = sym.loadJSON(JSON.stringify(json));
      expect(s.listArguments()).toEqual(['data', 'state']);
      expect(s.listOutputs()).toEqual(['_foreach0_output0', '_foreach0_output1']);
      const d = fx.doc;
      const ex = s.bind(here(), { data: arr(d.data), state: arr(d.state) });
      const [o, st] = ex.forward();
      close(o, d.outputs, 'outputs');
      close(st, d.final, 'state');
      ex.dispose();
    });
  });

  it('while_loop: the docstring example, and gradients through a data-dependent trip count', () => {
    mx.scope(() => {
      const w = fx.while;
      const [outs, vars] = sym.contrib.while_loop((i: Arr) => i.lesserEqual(5), (i: Arr, s: Arr) => [[i.add(s)], [i.add(1), s.add(i)]],
                                                  [sym.var('i'), sym.var('s')], { maxIterations: w.max_iterations });
      const g = sym.Group([(outs as Arr[])[0], ...(vars as Arr[])]);
      expect(g.listArguments()).toEqual(['i', 's']);
      expect(g.inferShape({ i: [1], s: [1] }).outShapes).toEqual([[10, 1], [1], [1]]);
      const again = sym.loadJSON(g.toJSON());
      expect(again.toJSON()).toBe(g.toJSON());
      const ex = again.bind(here(), { i: arr(w.i), s: arr(w.s) });
      const [o, i, s] = ex.forward();
      close(o, w.outputs, 'outputs');
      close(i, w.final_i, 'i');
      close(s, w.final_s, 's');
      ex.dispose();

      const p = fx.power;
      const [, pv] = sym.contrib.while_loop((k: Arr) => k.lesser(sym.var('n')),
                                            (k: Arr, acc: Arr) => [null, [k.add(1), acc.mul(sym.var('x')).add(sym.var('c'))]],
                                            [sym.var('k'), sym.var('acc')], { maxIterations: 6 });
      const y = (pv as Arr[])[1];
      const xg = nd.zeros(p.x.shape, { dtype: 'float64' });
      const args = { k: nd.zeros([1], { dtype: 'float64' }), acc: nd.ones(p.x.shape, { dtype: 'float64' }), x: arr(p.x), c: arr(p.c),
                     n: nd.array([p.n], { dtype: 'float64' }) };
      expect(y.listArguments().sort()).toEqual(['acc', 'c', 'k', 'n', 'x']);
      const e2 = y.bind(here(), args, { argsGrad: { x: xg }, gradReq: { k: 'null', acc: 'null', x: 'write', c: 'null', n: 'null' } } as any);
      close(e2.forward({ isTrain: true })[0], p.y, 'y');
      e2.backward(nd.onesLike(e2.outputs[0]));
      const xs = values(args.x); const cs = values(args.c);
      values(xg).forEach((g, i) => expect(Math.abs(g - (3 * xs[i]! ** 2 + 2 * cs[i]! * xs[i]! + cs[i]!))).toBeLessThan(1e-9));
      e2.dispose();
    });
  });

  it('cond: the branch pred selects, with gradients to that branch only', () => {
    mx.scope(() => {
      const c = fx.cond;
      const a = sym.var('a');
      const b = sym.var('b');
      const out = sym.contrib.cond(a.sum().lesser(b.sum()), () => a.add(b), () => a.mul(b)) as Arr;
      expect(out.listArguments()).toEqual(['a', 'b']);
      const again = sym.loadJSON(out.toJSON());
      const ga = nd.zeros(c.a.shape, { dtype: 'float64' });
      const gb = nd.zeros(c.b.shape, { dtype: 'float64' });
      const ex = again.bind(here(), { a: arr(c.a), b: arr(c.b) }, { argsGrad: { a: ga, b: gb } } as any);
      close(ex.forward({ isTrain: true })[0], c.output, 'output');
      ex.backward(nd.onesLike(ex.outputs[0]));
      const [av, bv] = [values(arr(c.a)), values(arr(c.b))];
      const wantA = c.taken === 'then' ? av.map(() => 1) : bv;
      expect(values(ga)).toEqual(wantA);
      ex.dispose();
      // The other branch when the inputs swap.
      const e2 = again.bind(here(), { a: arr(c.b), b: arr(c.a) });
      close(e2.forward()[0], c.swapped, 'swapped');
      e2.dispose();
    });
  });

  it('a body reading values computed outside gets them as inputs (MXNet\'s cut), and foreach nests', () => {
    mx.scope(() => {
      const scale = sym.var('w').mul(2);
      const [outs, states] = sym.contrib.foreach((x: Arr, s: Arr) => {
        const y = x.mul(scale).add(s[0]);
        return [y, [y]];
      }, sym.var('data'), [sym.var('state')]);
      const g = sym.Group([outs as Arr, (states as Arr[])[0]]);
      expect(g.listArguments()).toEqual(['data', 'state', 'w']);
      const node = JSON.parse(g.toJSON()).nodes.find((n: Arr) => n.op === '_foreach');
      // The body reads the outside product through a variable named after it.
      expect(node.subgraphs[0].nodes.filter((n: Arr) => n.op === 'null').map((n: Arr) => n.name))
        .toEqual(['data-0', scale.listOutputs()[0], 'state-0']);
      const data = nd.array([1, 2, 3, 4, 5, 6], { shape: [3, 2], dtype: 'float64' });
      const ex = g.bind(here(), { data, state: nd.zeros([2], { dtype: 'float64' }), w: nd.array([0.5, 3], { dtype: 'float64' }) });
      const [o, st] = ex.forward();
      // y_t = x_t * 2w + y_{t-1}: cumulative sums of x * (1, 6).
      expect(values(o)).toEqual([1, 12, 4, 36, 9, 72]);
      expect(values(st)).toEqual([9, 72]);
      ex.dispose();

      // An inner foreach over each step's rows: row sums accumulated per outer step.
      const [nested] = sym.contrib.foreach((x: Arr, s: Arr) => {
        const [, inner] = sym.contrib.foreach((r: Arr, acc: Arr) => [r, [acc[0].add(r)]], x, [s[0]]);
        return [(inner as Arr[])[0], inner];
      }, sym.var('cube'), [sym.var('acc')]);
      const n = nested as Arr;
      expect(n.inferShape({ cube: [2, 3, 4], acc: [4] }).outShapes).toEqual([[2, 4]]);
      const again = sym.loadJSON(n.toJSON());
      expect(again.toJSON()).toBe(n.toJSON());
      const cube = nd.arange(0, 24, 1, { dtype: 'float64' }).reshape(2, 3, 4);
      const e2 = again.bind(here(), { cube, acc: nd.zeros([4], { dtype: 'float64' }) });
      // After step 0: rows 0..2 summed; after step 1: plus rows 3..5.
      expect(values(e2.forward()[0])).toEqual([12, 15, 18, 21, 12 + 48, 15 + 51, 18 + 54, 21 + 57]);
      e2.dispose();
    });
  });

  it('errors name the op and the argument', () => {
    mx.scope(() => {
      expect(errorOf(() => mx.operator.invoke('_foreach', [nd.ones([2])], { num_args: '2', num_outputs: '1', num_out_data: '1',
        in_state_locs: '[]', in_data_locs: '[0]', remain_locs: '[]' } as never))).toMatch(/_foreach.*Symbol graph/);
      const a = sym.var('a');
      const bad = sym.contrib.cond(a, () => a.add(1), () => a.mul(2)) as Arr;
      expect(errorOf(() => bad.bind(here(), { a: nd.ones([2, 2]) }))).toMatch(/_cond.*exactly one element.*\(2, ?2\)/);
      const [o] = sym.contrib.foreach((xs: Arr, s: Arr) => [xs[0].add(xs[1]), s], [sym.var('p'), sym.var('q')], []);
      expect(errorOf(() => (o as Arr).inferShape({ p: [3, 2], q: [4, 2] }))).toMatch(/_foreach.*same length along axis 0/);
      expect(errorOf(() => sym.contrib.while_loop((i: Arr) => i, (i: Arr) => [null, [i]], [a], {}))).toMatch(/max_iterations/);
      // The library keeps working.
      expect(values(nd.ones([2]).add(1))).toEqual([2, 2]);
    });
  });
});

describe('Gluon: F.contrib.foreach in hybridForward', () => {
  it('gives the same outputs and gradients imperatively and hybridized', () => {
    const r = fx.rnn;
    class Cell extends gluon.HybridBlock {
      W: Arr; U: Arr; b: Arr;
      constructor() {
        super();
        this.W = this.params.get('W', { shape: r.W.shape, dtype: 'float64' });
        this.U = this.params.get('U', { shape: r.U.shape, dtype: 'float64' });
        this.b = this.params.get('b', { shape: r.b.shape, dtype: 'float64' });
      }
      hybridForward(F: Arr, x: Arr, h0: Arr, p: Arr) {
        const [outs] = F.contrib.foreach((xt: Arr, st: Arr) => {
          const y = F.FullyConnected(xt, p.W, p.b, { numHidden: 5 }).add(F.FullyConnected(st[0], p.U, { numHidden: 5, noBias: true })).tanh();
          return [y, [y]];
        }, x, [h0]);
        return outs;
      }
    }
    const results = [false, true].map((hybrid) => mx.scope(() => {
      const cell = new Cell();
      cell.initialize();
      cell.W.setData(arr(r.W));
      cell.U.setData(arr(r.U));
      cell.b.setData(arr(r.b));
      if (hybrid) cell.hybridize();
      const out = autograd.record(() => cell.forward(arr(r.x), arr(r.h0)));
      out.backward();
      return { out: values(out), gW: values(cell.W.grad()) };
    }));
    expect(results[0]!.out.length).toBe(40);
    results[1]!.out.forEach((v, i) => expect(Math.abs(v - results[0]!.out[i]!)).toBeLessThan(1e-12));
    results[1]!.gW.forEach((v, i) => expect(Math.abs(v - results[0]!.gW[i]!)).toBeLessThan(1e-12));
    const want = fx.rnn.outputs.data as number[];
    results[0]!.out.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-9));
  });
});
