// The variable-length sequence ops SequenceMask, SequenceLast and SequenceReverse (optional
// sequence_length input, axis 0 or 1), their gradients (_backward_SequenceLast), and batch_take.
//
// Forward expectations come from test/fixtures/sequence.json, written by
// test/fixtures/gen_sequence.py with NumPy (run the script to regenerate it). The rest checks the
// gradients against finite differences and by value (masked steps get zero gradient, SequenceLast
// scatters to the last valid step), errors found while computing (bad lengths), a Symbol loaded
// from MXNet JSON with the sequence_length input, and, with ISOTENSOR_GPU_KERNELS_ON_CPU=1, the GPU
// kernels' logic through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkBackwardOpGrad, checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';
import { callOp, errorOf, expectArray, fromFixture, loadFixtures, values, type FixtureCase, type FixtureErrorCase } from '../helpers/op-fixtures';

const { nd, autograd, sym } = mx;
type Arr = any;

interface ErrorCase extends FixtureErrorCase {
  values?: ((number | string)[] | null)[];
}

const fixtures = loadFixtures<{ cases: FixtureCase[]; errors: ErrorCase[] }>('sequence.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('sequence');
});

describe('sequence ops and batch_take against NumPy (test/fixtures/sequence.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.name} (${c.op})`, () => {
      mx.scope(() => {
        const out = callOp(c.op, c.inputs.map(fromFixture), c.params);
        expect(Array.isArray(out)).toBe(false);
        const e = c.expected[0]!;
        expectArray(out, e.shape, e.dtype, e.data);
      });
    });
  }
});

describe('error messages name the op, the argument and the shapes', () => {
  for (const c of fixtures.errors) {
    it(c.name, () => {
      mx.scope(() => {
        const inputs = c.inputs.map((s, i) => {
          const v = c.values?.[i];
          if (!v) return nd.zeros(s.shape, { dtype: s.dtype });
          return nd.array(v.map((x) => (x === 'nan' ? NaN : Number(x))), { shape: s.shape, dtype: s.dtype });
        });
        const message = errorOf(() => callOp(c.op, inputs, c.params));
        for (const m of c.match) expect(message).toContain(m);
      });
    });
  }

  it('the library keeps working after a bad length', () => {
    mx.scope(() => {
      const x = nd.array([1, 2, 3, 4], { shape: [2, 2] });
      expect(errorOf(() => nd.SequenceLast(x, nd.array([3, 1]), { useSequenceLength: true })))
        .toMatch(/SequenceLast.*sequence_length\[0\] = 3/);
      expect(values(nd.SequenceLast(x, nd.array([2, 1]), { useSequenceLength: true }))).toEqual([3, 2]);
    });
  });

  it('rejects parameters the op does not have', () => {
    mx.scope(() => {
      expect(errorOf(() => nd.SequenceLast(nd.ones([2, 2]), { value: 1 } as any))).toMatch(/SequenceLast.*value/);
      expect(errorOf(() => nd.SequenceReverse(nd.ones([2, 2]), { value: 1 } as any))).toMatch(/SequenceReverse.*value/);
    });
  });
});

/** Finite-difference check of a hidden backward op's gradient with respect to its ograd (input 0). */
describe('gradients', () => {
  it('_backward_SequenceLast: finite differences with respect to ograd', () => {
    checkBackwardOpGrad('_backward_SequenceLast', [randomArray([3, 2], 31), randomArray([4, 3, 2], 32)], {});
    checkBackwardOpGrad('_backward_SequenceLast', [randomArray([3, 2], 33), randomArray([3, 4, 2], 34), nd.array([4, 1, 2])],
                        { use_sequence_length: 'True', axis: '1' });
  });

  it('finite differences: SequenceMask, SequenceLast, SequenceReverse (axis 0 and 1, with and without lengths)', () => {
    for (const axis of [0, 1]) {
      const shape = axis === 0 ? [4, 3, 2] : [3, 4, 2];
      const x = randomArray(shape, 3 + axis, 2);
      const len = nd.array([2, 4, 1]);
      checkGrad('SequenceMask', [x, len], { useSequenceLength: true, value: -1, axis }, { wrt: [0] });
      checkGrad('SequenceMask', [x], { axis });
      checkGrad('SequenceLast', [x, len], { useSequenceLength: true, axis }, { wrt: [0] });
      checkGrad('SequenceLast', [x], { axis });
      if (axis === 0) {
        checkGrad('SequenceReverse', [x, nd.array([3, 0, 4], { dtype: 'int32' })], { useSequenceLength: true },
                  { wrt: [0] });
        checkGrad('SequenceReverse', [x], {});
      }
    }
    // Rank 2 and rank 4 data.
    checkGrad('SequenceLast', [randomArray([3, 2], 9), nd.array([3, 1])], { useSequenceLength: true }, { wrt: [0] });
    checkGrad('SequenceMask', [randomArray([2, 3, 2, 2], 10), nd.array([1, 0])], { useSequenceLength: true, axis: 1 },
              { wrt: [0] });
  });

  it('gradient values: masked steps get zero, SequenceLast scatters to the last valid step, reverse reverses', () => {
    mx.scope(() => {
      // (T=3, B=2, R=1), lengths [1, 3].
      const data = nd.array([1, 2, 3, 4, 5, 6], { shape: [3, 2, 1], dtype: 'float64' });
      const len = nd.array([1, 3], { dtype: 'int32' });
      const head = nd.array([10, 20, 30, 40, 50, 60], { shape: [3, 2, 1], dtype: 'float64' });
      const x = data.copy();
      x.attachGrad();
      autograd.record(() => nd.SequenceMask(x, len, { useSequenceLength: true, value: 9 })).backward(head);
      expect(values(x.grad)).toEqual([10, 20, 0, 40, 0, 60]);
      autograd.record(() => nd.SequenceLast(x, len, { useSequenceLength: true })).backward(
        nd.array([7, 8], { shape: [2, 1], dtype: 'float64' }));
      expect(values(x.grad)).toEqual([7, 0, 0, 0, 0, 8]);
      autograd.record(() => nd.SequenceReverse(x, len, { useSequenceLength: true })).backward(head);
      expect(values(x.grad)).toEqual([10, 60, 30, 40, 50, 20]);
      // axis 1: (B=2, T=3), lengths [2, 1]; no lengths: the last step.
      const y = nd.array([1, 2, 3, 4, 5, 6], { shape: [2, 3], dtype: 'float64' });
      y.attachGrad();
      autograd.record(() => nd.SequenceLast(y, nd.array([2, 1]), { useSequenceLength: true, axis: 1 }))
        .backward(nd.array([5, 6], { dtype: 'float64' }));
      expect(values(y.grad)).toEqual([0, 5, 0, 6, 0, 0]);
      autograd.record(() => nd.SequenceLast(y, { axis: 1 })).backward(nd.array([5, 6], { dtype: 'float64' }));
      expect(values(y.grad)).toEqual([0, 0, 5, 0, 0, 6]);
    });
  });

  it('gradients accumulate with gradReq add, and second-order gradients flow (the gradients are linear ops)', () => {
    mx.scope(() => {
      const x = nd.array([1, 2, 3, 4], { shape: [2, 2], dtype: 'float64' });
      x.attachGrad('add');
      const len = nd.array([1, 2]);
      for (let i = 0; i < 2; i++)
        autograd.record(() => nd.SequenceLast(x, len, { useSequenceLength: true }).mul(2).sum()).backward();
      expect(values(x.grad)).toEqual([4, 0, 0, 4]);
      // d/dx of sum(grad(SequenceMask(x^2)))) = 2 on unmasked steps.
      const z = nd.array([1, 2, 3, 4], { shape: [2, 2], dtype: 'float64' });
      z.attachGrad();
      autograd.record(() => {
        const w = z.mul(z);
        const [g] = autograd.grad([nd.SequenceMask(w, len, { useSequenceLength: true }).sum()], [z],
                                  { createGraph: true });
        return g!.sum();
      }).backward();
      expect(values(z.grad)).toEqual([2, 2, 0, 2]);
    });
  });

  it('_backward_SequenceLast checks its ograd shape', () => {
    mx.scope(() => {
      const m = errorOf(() => mx.operator.invoke('_backward_SequenceLast', [nd.ones([3]), nd.ones([4, 2])])[0]);
      expect(m).toMatch(/_backward_SequenceLast.*ograd.*\(2,\)/);
    });
  });

  it('batch_take has no gradient, as in MXNet', () => {
    mx.scope(() => {
      const a = nd.array([1, 2, 3, 4], { shape: [2, 2] });
      a.attachGrad();
      const m = errorOf(() => {
        autograd.record(() => nd.batch_take(a, nd.array([0, 1], { dtype: 'int32' }))).backward();
        return a.grad;
      });
      expect(m).toContain('batch_take');
    });
  });
});

describe('larger shapes and every length (the kernels\' index arithmetic)', () => {
  it('SequenceMask / SequenceLast / SequenceReverse agree with a loop reference', () => {
    mx.scope(() => {
      const [T, B, R] = [7, 5, 6];
      const xs = pseudoRandom(T * B * R, 11).map((v) => Math.round(v * 100));
      const lens = [0, 7, 3, 1, 6];
      for (const axis of [0, 1]) {
        const shape = axis === 0 ? [T, B, R] : [B, T, R];
        const at = (t: number, b: number, r: number) => (axis === 0 ? (t * B + b) * R + r : (b * T + t) * R + r);
        const x = nd.array(xs, { shape, dtype: 'float32' });
        const len = nd.array(lens, { dtype: 'int64' });
        const mask: number[] = new Array(xs.length);
        const rev: number[] = new Array(xs.length);
        const last: number[] = [];
        for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let r = 0; r < R; r++) {
          mask[at(t, b, r)] = t < lens[b]! ? xs[at(t, b, r)]! : 0.5;
          rev[at(t, b, r)] = t < lens[b]! ? xs[at(lens[b]! - 1 - t, b, r)]! : xs[at(t, b, r)]!;
        }
        for (let b = 0; b < B; b++) for (let r = 0; r < R; r++) last.push(xs[at(Math.max(lens[b]!, 1) - 1, b, r)]!);
        expectArray(nd.SequenceMask(x, len, { useSequenceLength: true, value: 0.5, axis }), shape, 'float32', mask);
        const l1 = nd.array(lens.map((v) => Math.max(v, 1)), { dtype: 'int64' });
        expectArray(nd.SequenceLast(x, l1, { useSequenceLength: true, axis }), [B, R], 'float32', last);
        if (axis === 0) expectArray(nd.SequenceReverse(x, len, { useSequenceLength: true }), shape, 'float32', rev);
      }
    });
  });

  it('bfloat16 data keeps its dtype', () => {
    mx.scope(() => {
      const x = nd.array([1, 2, 3, 4, 5, 6], { shape: [3, 2], dtype: 'bfloat16' });
      expectArray(nd.SequenceMask(x, nd.array([1, 2]), { useSequenceLength: true, value: -1 }), [3, 2], 'bfloat16',
                  [1, 2, -1, 4, -1, -1]);
      expectArray(nd.SequenceReverse(x, nd.array([3, 2]), { useSequenceLength: true }), [3, 2], 'bfloat16',
                  [5, 4, 3, 2, 1, 6]);
      expectArray(nd.SequenceLast(x), [2], 'bfloat16', [5, 6]);
    });
  });
});

describe('Symbol: MXNet JSON with the sequence_length input', () => {
  const json = (op: string, attrs: Record<string, string>) => JSON.stringify({
    nodes: [
      { op: 'null', name: 'data', inputs: [] },
      { op: 'null', name: 'len', inputs: [] },
      { op, name: 'seq0', attrs, inputs: [[0, 0, 0], [1, 0, 0]] },
    ],
    arg_nodes: [0, 1],
    node_row_ptr: [0, 1, 2, 3],
    heads: [[2, 0, 0]],
    attrs: { mxnet_version: ['int', 10901] },
  });

  it('loads, round-trips, binds, runs forward and backward', () => {
    mx.scope(() => {
      // data[t, b, r] = 1 + 4t + 2b + r (T=3, B=2, R=2), lengths [2, 3].
      const cases: [string, Record<string, string>, number[], number[], number[]][] = [
        ['SequenceMask', { use_sequence_length: 'True', value: '-1' }, [3, 2, 2],
         [1, 2, 3, 4, 5, 6, 7, 8, -1, -1, 11, 12], [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1]],
        ['SequenceLast', { use_sequence_length: 'True' }, [2, 2], [5, 6, 11, 12], [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1]],
        ['SequenceReverse', { use_sequence_length: 'True' }, [3, 2, 2],
         [5, 6, 11, 12, 1, 2, 7, 8, 9, 10, 3, 4], new Array(12).fill(1)],
      ];
      const data = nd.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], { shape: [3, 2, 2] });
      const len = nd.array([2, 3]);
      for (const [op, attrs, shape, want, wantGrad] of cases) {
        const s = sym.loadJSON(json(op, attrs));
        expect(s.listArguments()).toEqual(['data', 'len']);
        const again = sym.loadJSON(s.toJSON());
        expect(again.toJSON()).toBe(s.toJSON());
        const ex = again.bind(here(), { data, len }, { argsGrad: { data: nd.zeros([3, 2, 2]) },
                                                          gradReq: { data: 'write', len: 'null' } } as any);
        const out = ex.forward({ isTrain: true })[0];
        expectArray(out, shape, 'float32', want);
        ex.backward(nd.onesLike(out));
        expect(values(ex.gradDict.data)).toEqual(wantGrad);
        ex.dispose();
      }
    });
  });

  it('infers the sequence_length shape from data (axis 0 and 1)', () => {
    const s0 = sym.loadJSON(json('SequenceLast', { use_sequence_length: 'True' }));
    expect(s0.inferShape({ data: [5, 4, 3] }).argShapes).toEqual([[5, 4, 3], [4]]);
    expect(s0.inferShape({ data: [5, 4, 3] }).outShapes).toEqual([[4, 3]]);
    const s1 = sym.loadJSON(json('SequenceMask', { use_sequence_length: 'True', axis: '1' }));
    expect(s1.inferShape({ data: [5, 4, 3] }).argShapes).toEqual([[5, 4, 3], [5]]);
  });

  it('sym.SequenceMask / SequenceLast / SequenceReverse take sequence_length by name', () => {
    mx.scope(() => {
      const x = sym.Variable('x');
      const l = sym.Variable('l');
      for (const op of ['SequenceMask', 'SequenceLast', 'SequenceReverse']) {
        const s = (sym as any)[op]({ data: x, sequence_length: l, useSequenceLength: true, name: 'seq' });
        expect(s.listArguments()).toEqual(['x', 'l']);
        const ex = sym.loadJSON(s.toJSON()).bind(here(), { x: nd.array([1, 2, 3, 4, 5, 6], { shape: [3, 2] }),
                                                             l: nd.array([1, 3]) });
        const want = { SequenceMask: [1, 2, 0, 4, 0, 6], SequenceLast: [1, 6], SequenceReverse: [1, 6, 3, 4, 5, 2] };
        expect(values(ex.forward()[0])).toEqual(want[op as keyof typeof want]);
        ex.dispose();
      }
      // Without the input, MXNet lists data only, and so does the op's auto-named variable.
      expect(sym.SequenceMask({ data: x, useSequenceLength: true, name: 'm' } as any).listArguments())
        .toEqual(['x', 'm_sequence_length']);
    });
  });

  it('without use_sequence_length the op takes data only', () => {
    const s = sym.SequenceLast({ data: sym.Variable('x'), axis: 1 } as any);
    expect(s.listArguments()).toEqual(['x']);
    expect(s.inferShape({ x: [2, 6, 3] }).outShapes).toEqual([[2, 3]]);
  });
});
