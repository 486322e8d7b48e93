// MXNet 1.9's deformable convolutions: _contrib_DeformableConvolution (v1, bilinear taps displaced by
// the offset input) and _contrib_ModulatedDeformableConvolution (v2, taps also scaled by the mask
// input, zero-padded sampling), with their gradients to data, offset, mask, weight and bias.
//
// Forward expectations come from test/fixtures/deformable_convolution.json, written by
// test/fixtures/gen_deformable_convolution.py with NumPy straight from the definition (no im2col).
// The rest checks that zero offsets give nd.Convolution, the API forms, empty batches, im2col_step,
// errors naming op and argument, a Symbol JSON round trip, finite-difference gradients (float64,
// fractional offsets away from the sampling kinks) and gradient accumulation. With
// ISOTENSOR_GPU_KERNELS_ON_CPU=1 the same specs run the GPU kernels' CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';
import { camelKeys, errorOf, expectClose, fromFixture, itRaisesFixtureErrors, loadFixtures, values, type FixtureCase, type FixtureErrorCase } from '../helpers/op-fixtures';

const { nd, autograd } = mx;
type Arr = any;
const contrib = (nd as any).contrib as Record<string, (...args: unknown[]) => Arr>;
const ndAny = nd as any;
const sym: any = mx.sym;
const V1 = '_contrib_DeformableConvolution';
const V2 = '_contrib_ModulatedDeformableConvolution';
const short = (op: string) => op.replace('_contrib_', '');

const fixtures = loadFixtures<{ cases: FixtureCase[]; errors: FixtureErrorCase[] }>('deformable_convolution.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('deformable-convolution');
});

// Float sums over channels and taps: relative tolerance per dtype (float16 results are rounded from float32).
const tolerance: Record<string, number> = { float16: 1e-2, float32: 1e-5, float64: 1e-10 };

/** Offsets whose samples land at fractional positions (fraction in [0.2, 0.8]): away from bilinear kinks. */
function fractionalOffsets(shape: number[], seed: number, span = 1): Arr {
  const n = shape.reduce((a, b) => a * b, 1);
  const r = pseudoRandom(2 * n, seed);
  const v = Array.from({ length: n }, (_, i) => Math.round(r[2 * i]! * span) + 0.2 + 0.6 * (r[2 * i + 1]! + 1) / 2);
  return nd.array(v, { shape, dtype: 'float64' });
}

describe('deformable convolutions against NumPy (test/fixtures/deformable_convolution.json)', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const y = contrib[short(c.op)]!(...c.inputs.map(fromFixture), camelKeys(c.params));
        const e = c.expected[0]!;
        expectClose(y, e.shape, e.dtype, e.data, c.name, tolerance);
      });
    });
  }
});

describe('API forms and edge cases', () => {
  it('zero offsets (and a mask of ones) give nd.Convolution', () => {
    mx.scope(() => {
      for (const dtype of ['float32', 'float64']) {
        for (const [pad, stride, dilate, group] of [[1, 1, 1, 1], [2, 2, 2, 2], [0, 1, 2, 1]] as const) {
          const x = randomArray([2, 4, 6, 7], 1, 1, 0, dtype);
          const w = randomArray([4, 4 / group, 3, 3], 2, 1, 0, dtype);
          const b = randomArray([4], 3, 1, 0, dtype);
          const opts = { kernel: [3, 3], pad: [pad, pad], stride: [stride, stride], dilate: [dilate, dilate], numFilter: 4, numGroup: group };
          const want = nd.Convolution(x, w, b, opts);
          const [OH, OW] = [want.shape[2], want.shape[3]];
          for (const dg of [1, 2]) {
            const off = nd.zeros([2, 2 * dg * 9, OH, OW], { dtype });
            const mask = nd.ones([2, dg * 9, OH, OW], { dtype });
            const o = { ...opts, numDeformableGroup: dg };
            expectClose(contrib.DeformableConvolution!(x, off, w, b, o), want.shape, dtype, values(want),
                        `v1 ${dtype}`, tolerance);
            expectClose(contrib.ModulatedDeformableConvolution!(x, off, mask, w, b, o), want.shape, dtype, values(want),
                        `v2 ${dtype}`, tolerance);
          }
        }
      }
    });
  });

  it('is reachable as nd.contrib.X and nd._contrib_X with snake_case or camelCase options', () => {
    mx.scope(() => {
      const x = randomArray([1, 2, 4, 4], 4, 1, 0, 'float32');
      const off = randomArray([1, 18, 4, 4], 5, 1, 0, 'float32');
      const w = randomArray([3, 2, 3, 3], 6, 1, 0, 'float32');
      const a = contrib.DeformableConvolution!(x, off, w, { kernel: [3, 3], pad: [1, 1], numFilter: 3, noBias: true });
      const b = ndAny._contrib_DeformableConvolution(x, off, w, { kernel: [3, 3], pad: [1, 1], num_filter: 3, no_bias: true });
      expect(a.shape).toEqual([1, 3, 4, 4]);
      expect(values(a)).toEqual(values(b));
      const m = randomArray([1, 9, 4, 4], 7, 1, 0, 'float32');
      const c = contrib.ModulatedDeformableConvolution!(x, off, m, w, { kernel: [3, 3], pad: [1, 1], numFilter: 3, noBias: true });
      const d = ndAny._contrib_ModulatedDeformableConvolution(x, off, m, w, { kernel: [3, 3], pad: [1, 1], num_filter: 3, no_bias: true });
      expect(values(c)).toEqual(values(d));
    });
  });

  it('the mask scales each tap as given (no sigmoid inside): mask 2 doubles the output, mask 0 gives the bias', () => {
    mx.scope(() => {
      const x = randomArray([1, 2, 5, 5], 8);
      const off = randomArray([1, 18, 5, 5], 9, 0.7);
      const w = randomArray([2, 2, 3, 3], 10);
      const b = nd.array([0.5, -1], { dtype: 'float64' });
      const o = { kernel: [3, 3], pad: [1, 1], numFilter: 2 };
      const one = values(contrib.ModulatedDeformableConvolution!(x, off, nd.ones([1, 9, 5, 5], { dtype: 'float64' }), w, b, o));
      const two = values(contrib.ModulatedDeformableConvolution!(x, off, nd.full([1, 9, 5, 5], 2, { dtype: 'float64' }), w, b, o));
      two.forEach((v, i) => expect(v - (i < 25 ? 0.5 : -1)).toBeCloseTo(2 * (one[i]! - (i < 25 ? 0.5 : -1)), 10));
      const zero = values(contrib.ModulatedDeformableConvolution!(x, off, nd.zeros([1, 9, 5, 5], { dtype: 'float64' }), w, b, o));
      expect(zero).toEqual([...new Array(25).fill(0.5), ...new Array(25).fill(-1)]);
    });
  });

  it('v1 and v2 differ only where samples leave the image (v1 clamps the last row, v2 pads with zeros)', () => {
    mx.scope(() => {
      // One channel, 1x1 kernel: out = sample(data, y + dy, x + dx).
      const x = nd.array([1, 2, 3, 4], { shape: [1, 1, 2, 2], dtype: 'float64' });
      const w = nd.ones([1, 1, 1, 1], { dtype: 'float64' });
      const o = { kernel: [1, 1], numFilter: 1, noBias: true };
      const at = (dy: number, dx: number) => {
        const off = nd.array([dy, dy, dy, dy, dx, dx, dx, dx], { shape: [1, 2, 2, 2], dtype: 'float64' });
        const v1 = values(contrib.DeformableConvolution!(x, off, w, o))[0]!;
        const v2 = values(contrib.ModulatedDeformableConvolution!(x, off, nd.ones([1, 1, 2, 2], { dtype: 'float64' }), w, o))[0]!;
        return [v1, v2];
      };
      expect(at(0.5, 0.5)).toEqual([2.5, 2.5]);   // inside: both bilinear
      expect(at(1.5, 0)).toEqual([3, 1.5]);       // y = 1.5 in [H-1, H): v1 clamps to row 1, v2 fades to 0
      expect(at(-0.5, 0)).toEqual([0, 0.5]);      // y = -0.5: v1 zero below 0, v2 fades from row 0
      expect(at(2, 0)).toEqual([0, 0]);           // y = H: zero for both
      expect(at(-1, 0)).toEqual([0, 0]);          // y = -1: zero for both
    });
  });

  it('an empty batch gives an empty output and zero weight and bias gradients', () => {
    mx.scope(() => {
      for (const mod of [false, true]) {
        const x = nd.zeros([0, 2, 4, 4], { dtype: 'float64' });
        const off = nd.zeros([0, 18, 4, 4], { dtype: 'float64' });
        const mask = nd.zeros([0, 9, 4, 4], { dtype: 'float64' });
        const w = randomArray([3, 2, 3, 3], 11);
        const b = randomArray([3], 12);
        w.attachGrad();
        b.attachGrad();
        const o = { kernel: [3, 3], pad: [1, 1], numFilter: 3 };
        const y = autograd.record(() => mod ? contrib.ModulatedDeformableConvolution!(x, off, mask, w, b, o)
          : contrib.DeformableConvolution!(x, off, w, b, o));
        expect(y.shape).toEqual([0, 3, 4, 4]);
        y.backward();
        expect(values(w.grad)).toEqual(new Array(54).fill(0));
        expect(values(b.grad)).toEqual([0, 0, 0]);
      }
    });
  });

  it('im2col_step does not change the result; a batch not divisible by it is an error', () => {
    mx.scope(() => {
      const x = randomArray([4, 2, 4, 4], 13);
      const off = randomArray([4, 18, 4, 4], 14);
      const mask = randomArray([4, 9, 4, 4], 15);
      const w = randomArray([2, 2, 3, 3], 16);
      const o = { kernel: [3, 3], pad: [1, 1], numFilter: 2, noBias: true };
      const a = values(contrib.ModulatedDeformableConvolution!(x, off, mask, w, { ...o, im2colStep: 2 }));
      const b = values(contrib.ModulatedDeformableConvolution!(x, off, mask, w, o));
      expect(a).toEqual(b);
      expect(errorOf(() => contrib.ModulatedDeformableConvolution!(x, off, mask, w, { ...o, im2colStep: 3 })))
        .toMatch(/ModulatedDeformableConvolution.*im2col_step/);
    });
  });
});

describe('error messages name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors);

  it('bad parameters', () => {
    mx.scope(() => {
      const x = nd.zeros([1, 2, 5, 5]);
      const off = nd.zeros([1, 18, 3, 3]);
      const w = nd.zeros([2, 2, 3, 3]);
      expect(errorOf(() => contrib.DeformableConvolution!(x, off, w, { kernel: [3, 3], numFilter: 3, numGroup: 2, noBias: true })))
        .toMatch(/DeformableConvolution.*num_group/);
      expect(errorOf(() => contrib.DeformableConvolution!(x, off, w, { kernel: [3, 3], numFilter: 2, stride: [0, 1], noBias: true })))
        .toMatch(/DeformableConvolution.*stride/);
      expect(errorOf(() => contrib.DeformableConvolution!(x, off, w, { kernel: [3, 3], numFilter: 2, layout: 'NCW', noBias: true })))
        .toMatch(/DeformableConvolution.*layout/);
      expect(errorOf(() => contrib.DeformableConvolution!(x, off, w, { kernel: [3, 3], numFilter: 2 })))
        .toMatch(/DeformableConvolution.*bias/);
      expect(errorOf(() => contrib.ModulatedDeformableConvolution!(x, off, w, { kernel: [3, 3], numFilter: 2, noBias: true })))
        .toMatch(/ModulatedDeformableConvolution/);
    });
  });

  it('the library keeps working after an error', () => {
    mx.scope(() => {
      const x = nd.ones([1, 1, 3, 3]);
      const w = nd.ones([1, 1, 1, 1]);
      expect(errorOf(() => contrib.DeformableConvolution!(x, nd.zeros([1, 3, 3, 3]), w, { kernel: [1, 1], numFilter: 1, noBias: true })))
        .toContain('offset');
      expect(values(contrib.DeformableConvolution!(x, nd.zeros([1, 2, 3, 3]), w, { kernel: [1, 1], numFilter: 1, noBias: true })))
        .toEqual(new Array(9).fill(1));
    });
  });
});

describe('gradients', () => {
  it('DeformableConvolution: finite differences on data, offset, weight, bias', () => {
    const x = randomArray([1, 2, 4, 4], 21);
    checkGrad(V1, [x, fractionalOffsets([1, 18, 4, 4], 22), randomArray([2, 2, 3, 3], 23), randomArray([2], 24)],
              { kernel: [3, 3], pad: [1, 1], num_filter: 2 });
    // Groups, deformable groups, stride, dilate, no bias; offsets reaching past the borders.
    checkGrad(V1, [randomArray([1, 4, 6, 5], 25), fractionalOffsets([1, 36, 2, 2], 26, 2), randomArray([2, 2, 3, 3], 27)],
              { kernel: [3, 3], pad: [1, 1], stride: [2, 2], dilate: [2, 2], num_filter: 2, num_group: 2,
                num_deformable_group: 2, no_bias: true });
  });

  it('ModulatedDeformableConvolution: finite differences on data, offset, mask, weight, bias', () => {
    checkGrad(V2, [randomArray([1, 2, 4, 4], 31), fractionalOffsets([1, 18, 4, 4], 32), randomArray([1, 9, 4, 4], 33),
                   randomArray([2, 2, 3, 3], 34), randomArray([2], 35)],
              { kernel: [3, 3], pad: [1, 1], num_filter: 2 });
    checkGrad(V2, [randomArray([2, 4, 5, 5], 36), fractionalOffsets([2, 24, 2, 3], 37, 2), randomArray([2, 12, 2, 3], 38),
                   randomArray([4, 2, 2, 3], 39)],
              { kernel: [2, 3], stride: [2, 1], dilate: [2, 1], num_filter: 4, num_group: 2, num_deformable_group: 2,
                no_bias: true, im2col_step: 1 });
  });

  it('float16 and float32 gradients follow the float64 ones (16-bit data computes in float32)', () => {
    mx.scope(() => {
      for (const [op, withMask] of [[V1, false], [V2, true]] as const) {
        const base = [randomArray([2, 2, 5, 5], 71), fractionalOffsets([2, 18, 5, 5], 72),
                      ...(withMask ? [randomArray([2, 9, 5, 5], 73)] : []), randomArray([3, 2, 3, 3], 74), randomArray([3], 75)];
        const o = { kernel: [3, 3], pad: [1, 1], num_filter: 3 };
        const grads = (dtype: string) => {
          const vs = base.map((a) => a.astype(dtype));
          vs.forEach((v) => v.attachGrad());
          autograd.record(() => ndAny[op](...vs, o).sum()).backward();
          return vs.map((v) => { expect(v.grad.dtype).toBe(dtype); return values(v.grad); });
        };
        const ref = grads('float64');
        for (const [dtype, tol] of [['float32', 1e-4], ['float16', 3e-2]] as const) {
          grads(dtype).forEach((g, k) => g.forEach((v, i) => {
            const want = ref[k]![i]!;
            if (!(Math.abs(v - want) <= tol * (1 + Math.abs(want)))) expect.fail(`${op} ${dtype} grad ${k}[${i}]: ${v} vs ${want}`);
          }));
        }
      }
    });
  });

  it('gradients accumulate with gradReq add', () => {
    mx.scope(() => {
      const x = randomArray([1, 2, 4, 4], 41);
      const off = fractionalOffsets([1, 18, 4, 4], 42);
      const mask = randomArray([1, 9, 4, 4], 43);
      const w = randomArray([2, 2, 3, 3], 44);
      const o = { kernel: [3, 3], pad: [1, 1], numFilter: 2, noBias: true };
      const grads = (mode: 'write' | 'add', times: number) => {
        const vs = [x, off, mask, w].map((a) => a.copy());
        vs.forEach((v) => v.attachGrad(mode));
        for (let i = 0; i < times; i++)
          autograd.record(() => contrib.ModulatedDeformableConvolution!(vs[0], vs[1], vs[2], vs[3], o).sum()).backward();
        return vs.map((v) => values(v.grad));
      };
      const once = grads('write', 1);
      const twice = grads('add', 2);
      once.forEach((g, k) => g.forEach((v, i) => expect(twice[k]![i]!).toBeCloseTo(2 * v, 10)));
    });
  });
});

describe('Symbol: MXNet JSON round trip', () => {
  const json = (op: string, inputs: string[], attrs: Record<string, string>) => JSON.stringify({
    nodes: [...inputs.map((name) => ({ op: 'null', name, inputs: [] })),
            { op, name: 'dcn0', attrs, inputs: inputs.map((_, i) => [i, 0, 0]) }],
    arg_nodes: inputs.map((_, i) => i),
    node_row_ptr: Array.from({ length: inputs.length + 2 }, (_, i) => i),
    heads: [[inputs.length, 0, 0]],
    attrs: { mxnet_version: ['int', 10901] },
  });

  for (const [op, names] of [[V1, ['data', 'offset', 'weight', 'bias']], [V2, ['data', 'offset', 'mask', 'weight', 'bias']]] as const) {
    it(`${op}: loads, round-trips, binds, runs forward and backward like nd`, () => {
      mx.scope(() => {
        const attrs = { kernel: '(3, 3)', pad: '(1, 1)', num_filter: '2', num_deformable_group: '1' };
        const s = sym.loadJSON(json(op, [...names], attrs));
        expect(s.listArguments()).toEqual(names);
        const again = sym.loadJSON(s.toJSON());
        expect(again.toJSON()).toBe(s.toJSON());
        const shapes: Record<string, number[]> = { data: [1, 2, 4, 4], offset: [1, 18, 4, 4], mask: [1, 9, 4, 4],
                                                   weight: [2, 2, 3, 3], bias: [2] };
        const args: Record<string, Arr> = {};
        const grads: Record<string, Arr> = {};
        names.forEach((n, i) => {
          args[n] = n === 'offset' ? fractionalOffsets(shapes[n]!, 50 + i) : randomArray(shapes[n]!, 50 + i);
          grads[n] = nd.zeros(shapes[n]!, { dtype: 'float64' });
        });
        const ex = again.bind(here(), args, { argsGrad: grads } as any);
        const out = ex.forward({ isTrain: true })[0];
        const head = randomArray(out.shape, 60);
        ex.backward(head);
        const vars = names.map((n) => args[n].copy());
        vars.forEach((v) => v.attachGrad());
        const ref = autograd.record(() => ndAny[op](...vars, { kernel: [3, 3], pad: [1, 1], num_filter: 2 }));
        expect(values(out)).toEqual(values(ref));
        ref.backward(head);
        names.forEach((n, i) => {
          const a = values(ex.gradDict[n]);
          const b = values(vars[i].grad);
          a.forEach((v, j) => expect(v).toBeCloseTo(b[j]!, 10));
        });
        ex.dispose();
      });
    });
  }
});
