// The im2col and col2im operators (MXNet 1.7+): sliding blocks of 1-, 2- and 3-D images, and their
// gradients (each is the other's; _backward_im2col writes col2im into data's shape).
//
// Forward expectations come from test/fixtures/im2col_op.json, written by
// test/fixtures/gen_im2col_op.py with NumPy (its 2-D cases also checked against PyTorch's
// unfold / fold). The rest checks the gradients against finite differences, the adjoint identity
// <im2col(x), c> = <x, col2im(c)>, accumulation into existing gradients, a Symbol round trip,
// error messages and, with ISOTENSOR_GPU_KERNELS_ON_CPU=1, the GPU kernels' logic via their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkBackwardOpGrad, checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';
import { callOp, errorOf, itRaisesFixtureErrors, expectArray, fromFixture, loadFixtures, values } from '../helpers/op-fixtures';

const { nd, autograd, sym } = mx;
type Arr = any;

const fixtures = loadFixtures('im2col_op.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('im2col-op');
});

describe('im2col and col2im against NumPy (test/fixtures/im2col_op.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.name}`, () => {
      mx.scope(() => {
        const out = callOp(c.op, c.inputs.map(fromFixture), c.params);
        const e = c.expected[0]!;
        expectArray(out, e.shape, e.dtype, e.data);
      });
    });
  }
});

describe('error messages name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors);

  it('rejects integer data', () => {
    mx.scope(() => {
      expect(errorOf(() => nd.im2col(nd.zeros([1, 1, 3, 3], { dtype: 'int32' }), { kernel: [2, 2] })))
        .toMatch(/im2col.*data.*int32/);
      expect(errorOf(() => nd.col2im(nd.zeros([1, 4, 4], { dtype: 'uint8' }), { kernel: [2, 2], outputSize: [3, 3] })))
        .toMatch(/col2im.*data.*uint8/);
    });
  });

  it('_backward_im2col checks its ograd shape', () => {
    mx.scope(() => {
      const m = errorOf(() => mx.operator.invoke('_backward_im2col', [nd.ones([1, 4, 5]), nd.ones([1, 1, 3, 3])],
                                                 { kernel: '(2, 2)' })[0]);
      expect(m).toMatch(/_backward_im2col.*ograd.*\(1,4,4\)/);
    });
  });
});

const windowCases: [number[], Record<string, unknown>][] = [
  [[2, 2, 6], { kernel: [3], stride: [2], pad: [1] }],
  [[1, 2, 5, 4], { kernel: [2, 3], dilate: [2, 1], pad: [1, 1] }],
  [[2, 1, 4, 5], { kernel: [3, 3], stride: [2, 2], pad: [1, 2] }],
  [[1, 1, 3, 4, 3], { kernel: [2, 2, 2], stride: [1, 2, 1], pad: [0, 1, 1] }],
];

/** Finite-difference check of a hidden backward op's gradient with respect to its ograd (input 0). */
describe('gradients', () => {
  it('_backward_im2col: finite differences with respect to ograd', () => {
    checkBackwardOpGrad('_backward_im2col', [randomArray([1, 8, 8], 35), randomArray([1, 2, 3, 3], 36)],
                        { kernel: '(2, 2)', pad: '(1, 0)' });
    checkBackwardOpGrad('_backward_im2col', [randomArray([2, 6, 2], 37), randomArray([2, 2, 5], 38)],
                        { kernel: '(3,)', stride: '(2,)' });
  });

  it('finite differences: im2col and col2im (1-, 2- and 3-D, strides, dilation, padding)', () => {
    windowCases.forEach(([shape, p], k) => {
      const x = randomArray(shape, 20 + k);
      checkGrad('im2col', [x], p);
      const col = nd.im2col(x, p);
      checkGrad('col2im', [randomArray(col.shape, 40 + k)], { ...p, outputSize: shape.slice(2) });
    });
  });

  it('adjoint identity: <im2col(x), c> = <x, col2im(c)>', () => {
    mx.scope(() => {
      windowCases.forEach(([shape, p], k) => {
        const x = randomArray(shape, 60 + k);
        const col = nd.im2col(x, p);
        const c = randomArray(col.shape, 80 + k);
        const lhs = values(col.mul(c).sum())[0]!;
        const rhs = values(x.mul(nd.col2im(c, { ...p, outputSize: shape.slice(2) })).sum())[0]!;
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * (1 + Math.abs(lhs)));
      });
    });
  });

  it('gradients accumulate (gradReq add) and second-order gradients flow', () => {
    mx.scope(() => {
      const p = { kernel: [2, 2], pad: [1, 0] };
      const x = randomArray([1, 2, 3, 3], 7);
      x.attachGrad('add');
      for (let i = 0; i < 2; i++) autograd.record(() => nd.im2col(x, p).sum()).backward();
      // Each image element's gradient counts the blocks that read it, twice.
      const once = nd.col2im(nd.onesLike(nd.im2col(x, p)), { ...p, outputSize: [3, 3] });
      expect(values(x.grad)).toEqual(values(once.mul(2)));
      // d/dz sum(grad(im2col(z^2))) = 2 * (blocks reading each element).
      const z = randomArray([1, 2, 3, 3], 8);
      z.attachGrad();
      autograd.record(() => {
        const [g] = autograd.grad([nd.im2col(z.mul(z), p).sum()], [z], { createGraph: true });
        return g!.sum();
      }).backward();
      expect(values(z.grad)).toEqual(values(once.mul(2)));
      // col2im's gradient with accumulation.
      const c = randomArray([1, 8, 8], 9);
      c.attachGrad('add');
      const head = randomArray([1, 2, 3, 3], 10);
      for (let i = 0; i < 2; i++) autograd.record(() => nd.col2im(c, { ...p, outputSize: [3, 3] })).backward(head);
      expect(values(c.grad)).toEqual(values(nd.im2col(head, p).mul(2)));
    });
  });
});

describe('dtypes and sizes', () => {
  it('float16 and bfloat16 keep their dtype and sum in float32', () => {
    mx.scope(() => {
      for (const dtype of ['float16', 'bfloat16']) {
        const x = nd.array([1, 2, 3, 4, 5, 6, 7, 8, 9], { shape: [1, 1, 3, 3], dtype });
        const col = nd.im2col(x, { kernel: [2, 2] });
        expectArray(col, [1, 4, 4], dtype, [1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9]);
        expectArray(nd.col2im(col, { kernel: [2, 2], outputSize: [3, 3] }), [1, 1, 3, 3], dtype,
                    [1, 4, 3, 8, 20, 12, 7, 16, 9]);
      }
    });
  });

  it('a larger batch agrees with per-image calls (the batched kernels\' image offsets)', () => {
    mx.scope(() => {
      const [N, C, H, W] = [5, 3, 9, 8];
      const p = { kernel: [3, 2], stride: [2, 1], dilate: [1, 2], pad: [1, 1] };
      const x = nd.array(pseudoRandom(N * C * H * W, 5).map((v) => Math.round(v * 50)), { shape: [N, C, H, W] });
      const col = nd.im2col(x, p);
      const img = nd.col2im(col, { ...p, outputSize: [H, W] });
      for (let n = 0; n < N; n++) {
        const xn = x.slice(n, n + 1);
        expect(values(col.slice(n, n + 1))).toEqual(values(nd.im2col(xn, p)));
        expect(values(img.slice(n, n + 1)))
          .toEqual(values(nd.col2im(nd.im2col(xn, p), { ...p, outputSize: [H, W] })));
      }
    });
  });
});

describe('Symbol', () => {
  it('im2col -> col2im: JSON round trip, bind, forward and backward', () => {
    mx.scope(() => {
      const x = sym.Variable('x');
      const y = sym.col2im({ data: sym.im2col({ data: x, kernel: [2, 2], pad: [1, 1], name: 'cols' }),
                             kernel: [2, 2], pad: [1, 1], outputSize: [3, 3], name: 'img' } as any);
      const again = sym.loadJSON(y.toJSON());
      expect(again.toJSON()).toBe(y.toJSON());
      expect(again.listArguments()).toEqual(['x']);
      expect(again.inferShape({ x: [2, 3, 3, 3] }).outShapes).toEqual([[2, 3, 3, 3]]);
      const data = randomArray([2, 3, 3, 3], 3, 1, 0, 'float32');
      const ex = again.bind(here(), { x: data }, { argsGrad: { x: nd.zeros([2, 3, 3, 3]) } } as any);
      const out = ex.forward({ isTrain: true })[0];
      // Every element of a 3x3 image is read by 4 of the 2x2 blocks of the 1-padded image.
      expect(values(out)).toEqual(values(data.mul(4)));
      ex.backward(nd.onesLike(out));
      expect(values(ex.gradDict.x)).toEqual(new Array(54).fill(4));
      ex.dispose();
    });
  });
});
