// mx.optimizer: the ten optimizers' trajectories (10 steps each, with weight decay, clipping,
// rescaling and float16 multi-precision) against NumPy references of MXNet's update formulas
// (checked against torch.optim where the algorithms agree), every fused update op in one call
// (weight written in place or to a new array, states updated in place), learning-rate and
// weight-decay multipliers, update counts, Updater state serialisation, memory over many steps,
// and bad input raising an IsotensorError that names the op, the argument and the shapes.
//
// test/fixtures/optimizer/optimizer.json is written by test/fixtures/optimizer/gen_optimizer.py.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { nd } = mx;
type Arr = any; // an NDArray; kept loose so the spec does not depend on the .d.ts details

interface Trajectory {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  dtype: string;
  shape: number[];
  weight: number[];
  grads: number[][];
  expected: number[][];
  tol: number;
  reference: string;
}
// Non-finite values are the strings 'Infinity', '-Infinity', 'NaN' (JSON has no infinities).
interface OpInput { name: string; shape: number[]; dtype: string; data: (number | string)[] }
interface OpCase {
  name: string;
  op: string;
  params: Record<string, unknown>;
  inputs: OpInput[];
  output: number[];
  outputDtype: string;
  mutated: Record<string, number[]>;
  tol: number;
}

const fixtures = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/optimizer/optimizer.json', import.meta.url)), 'utf8'),
) as { trajectories: Trajectory[]; ops: OpCase[] };

beforeAll(async () => {
  await mx.ready();
  announceBackend('optimizer');
});

const values = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);

/** Largest |got - want| / (1 + |want|). */
function worstError(got: number[], want: number[]): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; ++i) {
    const e = Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

function expectClose(got: Arr, want: number[], tol: number, what: string): void {
  const err = worstError(values(got), want);
  expect(err, `${what}: worst relative error ${err} > ${tol}`).toBeLessThanOrEqual(tol);
}

const OPTIMIZERS = ['sgd', 'nag', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta', 'ftrl', 'signum', 'lamb'];

describe('trajectories against the references', () => {
  for (const t of fixtures.trajectories) {
    it(`${t.name} (${t.optimizer}, ${t.dtype}; ${t.reference})`, () => {
      const opt = mx.optimizer.create(t.optimizer, t.options as never);
      const updater = mx.optimizer.getUpdater(opt);
      const weight = nd.array(t.weight, { shape: t.shape, dtype: t.dtype });
      t.grads.forEach((g, step) => {
        const grad = nd.array(g, { shape: t.shape, dtype: t.dtype });
        updater(0, grad, weight);
        grad.dispose();
        expect(weight.dtype).toBe(t.dtype);
        expectClose(weight, t.expected[step]!, t.tol, `${t.name}, step ${step + 1}`);
      });
      expect(opt.numUpdate).toBe(t.grads.length);
      weight.dispose();
    });
  }

  it('covers every registered optimizer, each with clipping and rescaling', () => {
    const names = new Set(fixtures.trajectories.map((t) => t.optimizer));
    for (const n of OPTIMIZERS) expect(names.has(n), n).toBe(true);
    const clipped = new Set(fixtures.trajectories.filter((t) => t.options.clipGradient).map((t) => t.optimizer));
    for (const n of OPTIMIZERS) expect(clipped.has(n), `${n} with clipGradient`).toBe(true);
  });

  it('update() on a weight gives the same result as the Updater', () => {
    const t = fixtures.trajectories.find((x) => x.name === 'adam wd')!;
    const opt = mx.optimizer.create('adam', t.options as never);
    const weight = nd.array(t.weight, { shape: t.shape });
    const state = opt.createState(0, weight);
    for (const g of t.grads) opt.update(0, weight, nd.array(g, { shape: t.shape }), state);
    expectClose(weight, t.expected[t.expected.length - 1]!, t.tol, 'adam via update()');
  });

  it('float16 weights without multiPrecision lose updates below float16 resolution; with it they do not', () => {
    // Each step moves the weight by about 1e-4, under half of float16's spacing just below 1
    // (2^-11): the plain update rounds back to 1 every time, the float32 master copy accumulates
    // about 10 steps. (Adam-type steps are ~lr whatever the gradient; a gradient of 0.5 keeps
    // their float16 moments clear of underflow.)
    const setups: Record<string, [number, number]> = { // [learningRate, gradient]
      sgd: [1, 1e-4], nag: [1, 1e-4], adamw: [1e-4, 0.5], lamb: [1e-4, 0.5], adagrad: [2e-4, 0.5],
    };
    for (const [name, [lr, grad]] of Object.entries(setups)) {
      const run = (multiPrecision: boolean): number => {
        const up = mx.optimizer.getUpdater(mx.optimizer.create(name, { learningRate: lr, multiPrecision }));
        const w = nd.ones([4], { dtype: 'float16' });
        const g = nd.full([4], grad, { dtype: 'float16' });
        for (let i = 0; i < 10; i++) up(0, g, w);
        return values(w)[0]!;
      };
      expect(run(false), `${name} without multiPrecision`).toBe(1);
      const mp = run(true);
      expect(mp, `${name} with multiPrecision`).toBeLessThan(0.9995);
      expect(mp, `${name} with multiPrecision`).toBeGreaterThan(0.998);
    }
  });

  it('bfloat16 weights keep their dtype under multiPrecision', () => {
    const w = nd.array([1, 2, 3], { dtype: 'bfloat16' });
    const up = mx.optimizer.getUpdater(mx.optimizer.create('sgd', { learningRate: 0.5, momentum: 0.5, multiPrecision: true }));
    up(0, nd.array([1, 1, 1], { dtype: 'bfloat16' }), w);
    up(0, nd.array([1, 1, 1], { dtype: 'bfloat16' }), w);
    expect(w.dtype).toBe('bfloat16');
    // mom = -0.5, then -0.25 - 0.5 = -0.75: weights drop by 1.25.
    expect(values(w)).toEqual([-0.25, 0.75, 1.75]);
  });
});

describe('fused update ops', () => {
  const ctor = (i: OpInput): Arr => nd.array(i.data.map(Number), { shape: i.shape, dtype: i.dtype });
  for (const c of fixtures.ops) {
    const newOutput = c.op.endsWith('lamb_update_phase1');
    it(`${c.name}: ${newOutput ? 'new output' : 'out = weight'}, states in place`, () => {
      const inputs = c.inputs.map(ctor);
      const outs = mx.operator.invoke(c.op, inputs, c.params as never, newOutput ? null : inputs[0]);
      expect(outs.length).toBe(1);
      if (!newOutput) expect(outs[0]).toBe(inputs[0]);
      expect(outs[0].dtype).toBe(c.outputDtype);
      expect(outs[0].shape).toEqual(c.inputs[0]!.shape);
      expectClose(outs[0], c.output, c.tol, `${c.name} output`);
      for (const [k, want] of Object.entries(c.mutated)) {
        expect(inputs[Number(k)].dtype).toBe(c.inputs[Number(k)]!.dtype);
        expectClose(inputs[Number(k)], want, c.tol, `${c.name} ${c.inputs[Number(k)]!.name}`);
      }
    });
    if (!newOutput) {
      it(`${c.name}: without out, a new weight array (the input weight unchanged)`, () => {
        const inputs = c.inputs.map(ctor);
        const [y] = mx.operator.invoke(c.op, inputs, c.params as never);
        expect(y).not.toBe(inputs[0]);
        expectClose(y, c.output, c.tol, `${c.name} output`);
        expect(values(inputs[0])).toEqual(values(ctor(c.inputs[0]!)));
        for (const [k, want] of Object.entries(c.mutated)) {
          expectClose(inputs[Number(k)], want, c.tol, `${c.name} ${c.inputs[Number(k)]!.name}`);
        }
      });
    }
  }

  it('every fused update op has a case, and is not differentiable', () => {
    const covered = new Set(fixtures.ops.map((c) => c.op));
    const fused = ['sgd_update', 'sgd_mom_update', 'mp_sgd_update', 'mp_sgd_mom_update', 'nag_mom_update',
      'mp_nag_mom_update', 'adam_update', '_adamw_update', '_mp_adamw_update', 'rmsprop_update',
      'rmspropalex_update', 'ftrl_update', 'signsgd_update', 'signum_update', 'lamb_update_phase1',
      'lamb_update_phase2', 'mp_lamb_update_phase1', 'mp_lamb_update_phase2', 'adagrad_update',
      '_sparse_adagrad_update', 'adadelta_update'];
    for (const op of fused) {
      expect(covered.has(op), op).toBe(true);
      expect(mx.operator.getOperator(op), op).not.toBeNull();
    }
    // Through the generated nd functions (camelCase aliases) too.
    const w = nd.array([1, 2]);
    nd.sgdUpdate(w, nd.array([1, -1]), { lr: 0.5, out: w });
    expect(values(w)).toEqual([0.5, 2.5]);
    // No gradient flows through an update.
    const x = nd.array([1, 2]);
    x.attachGrad();
    expect(() => {
      mx.autograd.record(() => nd.sgd_update(x, nd.array([1, 1]), { lr: 0.1 }).sum()).backward();
    }).toThrow(mx.IsotensorError);
  });

  it('writes a separate out array, leaving the weight as it was', () => {
    const w = nd.array([1, 1]);
    const o = nd.array([5, 5]);
    nd.sgd_update(w, nd.array([1, 1]), { lr: 0.25, out: o });
    expect(values(o)).toEqual([0.75, 0.75]);
    expect(values(w)).toEqual([1, 1]);
  });

  it('handles empty and 0-d weights', () => {
    const e = nd.zeros([0, 3]);
    const m = nd.zeros([0, 3]);
    expect(nd.sgd_mom_update(e, nd.zeros([0, 3]), m, { lr: 0.1, momentum: 0.9, out: e }).shape).toEqual([0, 3]);
    const s = nd.array(2, { shape: [] });
    const v = nd.zeros([], {});
    const mean = nd.zeros([], {});
    nd.adam_update(s, nd.array(1, { shape: [] }), mean, v, { lr: 0.1, out: s });
    expect(s.shape).toEqual([]);
    // First Adam step without bias correction: mean = 0.1, var = 0.001, step 0.1 * 0.1 / sqrt(0.001).
    expect(values(s)[0]).toBeCloseTo(2 - 0.1 * 0.1 / Math.sqrt(0.001), 5);
  });
});

describe('bad input', () => {
  const expectError = (fn: () => unknown, parts: string[]): void => {
    let msg = '';
    try {
      const r = fn() as Arr;
      (Array.isArray(r) ? r : [r]).forEach((x: Arr) => x?.dataSync?.());
    } catch (e) {
      expect(e).toBeInstanceOf(mx.IsotensorError);
      msg = (e as Error).message;
    }
    expect(msg, 'expected an IsotensorError').not.toBe('');
    for (const p of parts) expect(msg).toContain(p);
  };

  it('names op, argument and both shapes when weight, grad and states disagree', () => {
    expectError(() => nd.sgd_update(nd.zeros([2, 3]), nd.zeros([3, 2]), { lr: 0.1 }),
      ['sgd_update', "'grad'", '(3,2)', '(2,3)']);
    expectError(() => nd.sgd_mom_update(nd.zeros([2, 2]), nd.zeros([2, 2]), nd.zeros([3]), { lr: 0.1 }),
      ['sgd_mom_update', "'mom'", '(3,)', '(2,2)']);
    expectError(() => nd.adam_update(nd.zeros([4]), nd.zeros([4]), nd.zeros([4]), nd.zeros([5]), { lr: 0.1 }),
      ['adam_update', "'var'", '(5,)', '(4,)']);
    expectError(() => nd.mp_sgd_mom_update(nd.zeros([2], { dtype: 'float16' }), nd.zeros([2], { dtype: 'float16' }),
      nd.zeros([2]), nd.zeros([3]), { lr: 0.1 }), ['mp_sgd_mom_update', "'weight32'", '(3,)', '(2,)']);
    expectError(() => nd.lamb_update_phase2(nd.zeros([3]), nd.zeros([3]), nd.zeros([2]), nd.zeros([1]), { lr: 0.1 }),
      ['lamb_update_phase2', "'r1'", 'one element', '(2,)']);
    expectError(() => mx.operator.invoke('_adamw_update', [nd.zeros([3]), nd.zeros([3]), nd.zeros([3]), nd.zeros([3]),
      nd.zeros([3])], { lr: 0.1, eta: 1 }), ['_adamw_update', "'rescale_grad'", 'one element', '(3,)']);
  });

  it('names op, argument and dtypes when they disagree or are not floating point', () => {
    expectError(() => nd.sgd_update(nd.zeros([2]), nd.zeros([2], { dtype: 'float64' }), { lr: 0.1 }),
      ['sgd_update', "'grad'", 'float64', 'float32']);
    expectError(() => nd.sgd_update(nd.zeros([2], { dtype: 'int32' }), nd.zeros([2], { dtype: 'int32' }), { lr: 0.1 }),
      ['sgd_update', "'weight'", 'int32']);
    expectError(() => nd.mp_sgd_update(nd.zeros([2], { dtype: 'float16' }), nd.zeros([2], { dtype: 'float16' }),
      nd.zeros([2], { dtype: 'float16' }), { lr: 0.1 }), ['mp_sgd_update', "'weight32'", 'float16', 'float32']);
  });

  it('names missing and unknown parameters, and wrong input counts', () => {
    expectError(() => mx.operator.invoke('sgd_update', [nd.zeros([2]), nd.zeros([2])], {}), ['sgd_update', "'lr'"]);
    expectError(() => mx.operator.invoke('adam_update', [nd.zeros([2]), nd.zeros([2]), nd.zeros([2]), nd.zeros([2])],
      { lr: 0.1, momentum: 0.9 }), ['adam_update', "'momentum'"]);
    expectError(() => mx.operator.invoke('sgd_mom_update', [nd.zeros([2]), nd.zeros([2])], { lr: 0.1 }), ['sgd_mom_update']);
  });

  it('rejects an out array of the wrong shape', () => {
    expectError(() => nd.sgd_update(nd.zeros([2]), nd.zeros([2]), { lr: 0.1, out: nd.zeros([3]) }),
      ['sgd_update', "'out'", '(2,)', '(3,)']);
  });

  it('an optimizer given mismatched weight and grad raises the op error and leaves the weight alone', () => {
    const w = nd.array([1, 2, 3]);
    const up = mx.optimizer.getUpdater(mx.optimizer.create('sgd', { momentum: 0.9 }));
    expectError(() => up(0, nd.zeros([2]), w), ['sgd_mom_update', "'grad'", '(2,)', '(3,)']);
    expect(values(w)).toEqual([1, 2, 3]);
  });

  it('rejects unknown optimizers and options', () => {
    expect(() => mx.optimizer.create('sgdd')).toThrow(/cannot find optimizer 'sgdd'/);
    expect(() => mx.optimizer.create('sgd', { momentun: 0.9 } as never)).toThrow(/unknown option 'momentun'/);
    expect(() => mx.optimizer.create('adam', { momentum: 0.9 } as never)).toThrow(mx.IsotensorError);
  });
});

describe('Optimizer API', () => {
  it('registers the ten optimizers by name, case-insensitively, with MXNet\'s defaults', () => {
    const lrs: Record<string, number> = {
      sgd: 0.01, nag: 0.01, adam: 0.001, adamw: 0.001, rmsprop: 0.001, adagrad: 0.01, adadelta: 1, ftrl: 0.1,
      signum: 0.01, lamb: 0.001,
    };
    for (const n of OPTIMIZERS) {
      const o = mx.optimizer.create(n.toUpperCase());
      expect(o).toBeInstanceOf(mx.optimizer.Optimizer);
      expect(o.name).toBe(n);
      expect(o.learningRate, n).toBe(lrs[n]);
      expect(o.wd).toBe(0);
      expect(o.rescaleGrad).toBe(1);
    }
    expect(mx.optimizer.create('sgd')).toBeInstanceOf(mx.optimizer.SGD);
    expect(mx.optimizer.create('nag')).toBeInstanceOf(mx.optimizer.NAG);
    expect((mx.optimizer.create('adam') as Arr).beta2).toBe(0.999);
    expect((mx.optimizer.create('lamb') as Arr).epsilon).toBe(1e-6);
  });

  it('takes MXNet\'s snake_case option names too', () => {
    const snake = { learning_rate: 0.3, rescale_grad: 0.5, clip_gradient: 2, multi_precision: true };
    const o = mx.optimizer.create('sgd', snake as never);
    expect([o.learningRate, o.rescaleGrad, o.clipGradient, o.multiPrecision]).toEqual([0.3, 0.5, 2, true]);
  });

  it('registers a custom optimizer', () => {
    class Halve extends mx.optimizer.Optimizer {
      constructor(opts = {}) {
        super(opts);
      }
      update(index: number | string, weight: Arr): void {
        this.updateCount(index);
        weight.set(weight.mul(0.5));
      }
    }
    mx.optimizer.register(Halve as never, 'halve');
    const w = nd.array([4]);
    mx.optimizer.getUpdater(mx.optimizer.create('halve'))(0, nd.array([0]), w);
    expect(values(w)).toEqual([2]);
  });

  it('setLearningRate, and the learningRate property', () => {
    const o = mx.optimizer.create('sgd', { learningRate: 0.1 });
    o.setLearningRate(0.05);
    expect(o.learningRate).toBe(0.05);
    o.learningRate = 0.02;
    expect(o.learningRate).toBe(0.02);
  });

  it('lr_mult and wd_mult by index, by name, from Gluon parameters and from symbol attributes', () => {
    const run = (opts: Record<string, unknown>, setup: (o: Arr) => void = () => {}): number[] => {
      const o = mx.optimizer.create('sgd', { learningRate: 0.1, wd: 0.5, ...opts } as never);
      setup(o);
      const w = nd.array([1, 2]);
      o.update(0, w, nd.array([1, 1]), null);
      return values(w);
    };
    const plain = (lr: number, wd: number): number[] => [1, 2].map((x) => (1 - lr * wd) * x - lr);
    expect(worstError(run({}), plain(0.1, 0.5))).toBeLessThan(1e-6);
    expect(worstError(run({}, (o) => o.setLrMult({ 0: 2 })), plain(0.2, 0.5))).toBeLessThan(1e-6);
    expect(worstError(run({}, (o) => o.setWdMult({ 0: 0 })), plain(0.1, 0))).toBeLessThan(1e-6);
    // With names: parameters not ending in _weight/_gamma get no decay (biases).
    expect(worstError(run({ paramIdx2Name: { 0: 'fc1_bias' } }), plain(0.1, 0))).toBeLessThan(1e-6);
    expect(worstError(run({ paramIdx2Name: { 0: 'fc1_weight' } }), plain(0.1, 0.5))).toBeLessThan(1e-6);
    const byName = run({ paramIdx2Name: { 0: 'fc1_weight' } }, (o) => o.setLrMult({ fc1_weight: 0.5 }));
    expect(worstError(byName, plain(0.05, 0.5))).toBeLessThan(1e-6);
    expect(worstError(run({ paramDict: { 0: { lrMult: 3, wdMult: 0 } } }), plain(0.3, 0))).toBeLessThan(1e-6);
    const sym = {
      listArguments: () => ['data', 'fc_weight'],
      attrDict: () => ({ fc_weight: { __lr_mult__: '2', __wd_mult__: '0' } }),
    };
    expect(worstError(run({ sym, paramIdx2Name: { 0: 'fc_weight' } }), plain(0.2, 0))).toBeLessThan(1e-6);
    const o = mx.optimizer.create('sgd', { wd: 1, paramIdx2Name: { 1: 'a_beta', 2: 'a_gamma' } });
    expect([o.getWd(1), o.getWd(2), o.getLrs([1, 2])]).toEqual([0, 1, [0.01, 0.01]]);
  });

  it('counts updates per index and per device', () => {
    const o = mx.optimizer.create('adam', { beginNumUpdate: 5 });
    o.updateCount(0);
    o.updateCount([0, 1]);
    expect([o.indexCount(0), o.indexCount(1), o.numUpdate]).toEqual([7, 6, 7]);
    o.setCurrentContext(1);
    expect(o.indexCount(0)).toBe(5);
    o.updateCount('w');
    expect(o.indexCount('w')).toBe(6);
    o.setCurrentContext(0);
    expect(o.indexCount(0)).toBe(7);
  });

  it('creates states of the weight\'s shape, dtype and context that survive mx.scope', () => {
    const w = nd.zeros([2, 3], { dtype: 'float64' });
    const expectStates = (name: string, opts: Record<string, unknown>, count: number): void => {
      const o = mx.optimizer.create(name, opts as never);
      let state: Arr = null;
      mx.scope(() => {
        state = o.createState(0, w); // not returned: only keep() saves it from the scope
      });
      const flatStates = ([] as Arr[]).concat(state as never).flat(3).filter((x: Arr) => x !== null);
      expect(flatStates.length, name).toBe(count);
      for (const a of flatStates) {
        expect(a.isDisposed).toBe(false);
        expect(a.shape).toEqual([2, 3]);
        expect(a.dtype).toBe('float64');
        expect(a.context.toString()).toBe(w.context.toString());
        expect(values(a)).toEqual([0, 0, 0, 0, 0, 0]);
      }
    };
    expectStates('sgd', {}, 0);
    expectStates('sgd', { momentum: 0.9 }, 1);
    expectStates('nag', { momentum: 0.9 }, 1);
    expectStates('adam', {}, 2);
    expectStates('adamw', {}, 2);
    expectStates('rmsprop', {}, 1);
    expectStates('rmsprop', { centered: true }, 3);
    expectStates('adagrad', {}, 1);
    expectStates('adadelta', {}, 2);
    expectStates('ftrl', {}, 2);
    expectStates('signum', {}, 1);
    expectStates('signum', { momentum: 0 }, 0);
    expectStates('lamb', {}, 2);
    // Multi-precision: a float32 master copy holding the weight's values.
    const h = nd.array([1.5, -2], { dtype: 'float16' });
    const st = mx.optimizer.create('sgd', { momentum: 0.9, multiPrecision: true }).createStateMultiPrecision(0, h) as Arr[];
    expect(st[1].dtype).toBe('float32');
    expect(values(st[1])).toEqual([1.5, -2]);
    expect(st[0].dtype).toBe('float32');
  });

  it('keeps memory flat over many updates (temporaries of LAMB and the generic master copy are freed)', () => {
    const w = nd.ones([64]);
    const wh = nd.ones([64], { dtype: 'float16' });
    const g = nd.full([64], 0.01);
    const gh = nd.full([64], 0.01, { dtype: 'float16' });
    const ups = [
      [mx.optimizer.getUpdater(mx.optimizer.create('lamb')), w, g],
      [mx.optimizer.getUpdater(mx.optimizer.create('adam', { multiPrecision: true })), wh, gh],
      [mx.optimizer.getUpdater(mx.optimizer.create('adamw', { rescaleGrad: 0.5 })), w.copy(), g],
      [mx.optimizer.getUpdater(mx.optimizer.create('sgd', { momentum: 0.9, multiPrecision: true })), wh.copy(), gh],
    ] as [Arr, Arr, Arr][];
    for (const [up, ww, gg] of ups) up(0, gg, ww);
    mx.waitAll();
    const before = mx.memoryInfo();
    for (let i = 0; i < 300; i++) for (const [up, ww, gg] of ups) up(0, gg, ww);
    mx.waitAll();
    const after = mx.memoryInfo();
    expect(after.liveArrays).toBe(before.liveArrays);
    expect(after.liveBytes).toBe(before.liveBytes);
  });
});

describe('Updater', () => {
  it('updates lists of indices, creating each state once', () => {
    const o = mx.optimizer.create('sgd', { learningRate: 1, momentum: 0.5 });
    const up = new mx.optimizer.Updater(o);
    const a = nd.array([1]);
    const b = nd.array([10]);
    up.call([0, 'b'], [nd.array([1]), nd.array([2])], [a, b]);
    up.call([0, 'b'], [nd.array([1]), nd.array([2])], [a, b]);
    expect([...up.states.keys()]).toEqual([0, 'b']);
    // mom: -1 then -1.5 (a), -2 then -3 (b).
    expect(values(a)).toEqual([-1.5]);
    expect(values(b)).toEqual([5]);
    expect(() => up.call([0, 1], [nd.array([1])], [a, b])).toThrow(mx.IsotensorError);
  });

  it('getStates/setStates round-trips states and (with dumpOptimizer) the optimizer', () => {
    for (const [name, opts] of [
      ['sgd', { learningRate: 0.1, momentum: 0.9, wd: 0.01 }],
      ['adam', { lrScheduler: new mx.lr_scheduler.FactorScheduler({ step: 2, factor: 0.5, baseLr: 0.01 }) }],
      ['rmsprop', { centered: true, clipGradient: 0.5 }],
      ['sgd', { momentum: 0.9, multiPrecision: true }],
    ] as [string, Record<string, unknown>][]) {
      const dtype = opts.multiPrecision ? 'float16' : 'float32';
      const a = mx.optimizer.getUpdater(mx.optimizer.create(name, opts as never));
      const w1 = nd.array([0.5, -1, 2], { dtype });
      const g = (k: number): Arr => nd.array([0.1 * k, -0.2, 0.3 / k], { dtype });
      for (let k = 1; k <= 3; k++) a(0, g(k), w1);
      const bytes = a.getStates(true);
      const w2 = w1.copy();
      const b = mx.optimizer.getUpdater(mx.optimizer.create('ftrl')); // replaced by the dumped optimizer
      b.setStates(bytes);
      expect(b.updater.optimizer.name).toBe(name);
      expect(b.updater.optimizer.numUpdate).toBe(3);
      for (let k = 4; k <= 6; k++) {
        a(0, g(k), w1);
        b(0, g(k), w2);
      }
      expect(values(w2), `${name} ${JSON.stringify(Object.keys(opts))}`).toEqual(values(w1));
      // Without the optimizer: only the states are replaced.
      const c = mx.optimizer.getUpdater(mx.optimizer.create(name, opts as never));
      c.setStates(a.getStates());
      expect(c.updater.optimizer.numUpdate).toBe(0);
      expect([...c.updater.states.keys()]).toEqual([0]);
    }
  });

  it('rejects bytes that are not optimizer states', () => {
    const up = mx.optimizer.getUpdater(mx.optimizer.create('sgd'));
    expect(() => up.setStates(new Uint8Array([1, 2, 3]))).toThrow(/not optimizer states/);
    const good = up.getStates(true);
    expect(() => up.setStates(good.subarray(0, 14))).toThrow(mx.IsotensorError);
  });
});
