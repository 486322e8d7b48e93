// Convolution-family NN ops through the public API: FullyConnected, Convolution, Deconvolution,
// Pooling and UpSampling — forward values and gradients against PyTorch, finite differences, and
// bad input.
//
// test/fixtures/nn_conv.json comes from test/fixtures/gen_nn_conv.py (PyTorch, float64 references;
// rerun it to regenerate). Each case is checked forward and, when it carries a head gradient,
// backward through autograd. The rest: finite-difference gradient checks (float64, small shapes)
// for every op, larger convolutions against a plain JS loop (the threaded im2col/GEMM paths), views
// with offsets, empty batches, a chain of ops, and error messages naming op, argument and shapes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { expectClose, fromFixture, type FixtureArray } from '../helpers/gluon-fixtures';
import { checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';

const { nd, autograd } = mx;
type Arr = any; // an NDArray; kept loose so the spec does not depend on the .d.ts details
const ops = nd as unknown as Record<string, (...args: unknown[]) => Arr>;

interface Case {
  name: string;
  op: string;
  dtype: string;
  inputs: FixtureArray[];
  params: Record<string, unknown>;
  expected: FixtureArray[];
  headGrad?: FixtureArray;
  grads?: FixtureArray[];
  tol: number;
}
interface ErrorCase {
  name: string;
  op: string;
  inputs: { shape: number[]; dtype: string }[];
  params: Record<string, unknown>;
  match: string[];
}

const fixtures = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/nn_conv.json', import.meta.url)), 'utf8'),
) as { cases: Case[]; errors: ErrorCase[] };

beforeAll(async () => {
  await mx.ready();
  announceBackend('nn-conv');
});

// ---- helpers ----

const values = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);

function callOp(op: string, inputs: Arr[], params: Record<string, unknown>): Arr {
  const fn = ops[op];
  expect(typeof fn, `nd.${op} should be a function`).toBe('function');
  return fn(...inputs, params);
}

/** Runs the op under autograd and returns the output plus each input's gradient for `head`. */
function forwardBackward(op: string, inputs: Arr[], params: Record<string, unknown>, head: Arr): { out: Arr; grads: Arr[] } {
  for (const x of inputs) x.attachGrad();
  const out = autograd.record(() => callOp(op, inputs, params));
  out.backward(head);
  return { out, grads: inputs.map((x) => x.grad) };
}

type ConvGeom = { stride: number[]; pad: number[]; dilate: number[]; groups: number };

// Every tap of a 2-D convolution (NCHW, groups, stride, pad, dilation) that lands inside the image:
// tap(a, img, w) gets the flat indices of the output position (n, f, oh, ow) in `as`, the image element
// it reads in `is`, and the weight w[f][c][kh][kw] in `ws`. The plain-loop references below are sums
// over these taps.
function forEachTap(as: number[], is: number[], ws: number[], o: ConvGeom, tap: (a: number, img: number, w: number) => void): void {
  const [N, F, OH, OW] = as as [number, number, number, number];
  const [, C, H, W] = is as [number, number, number, number];
  const [, Cg, KH, KW] = ws as [number, number, number, number];
  const Fg = F / o.groups;
  for (let n = 0; n < N; ++n)
    for (let f = 0; f < F; ++f) {
      const g = Math.floor(f / Fg);
      for (let oh = 0; oh < OH; ++oh)
        for (let ow = 0; ow < OW; ++ow) {
          const ai = ((n * F + f) * OH + oh) * OW + ow;
          for (let c = 0; c < Cg; ++c)
            for (let kh = 0; kh < KH; ++kh) {
              const ih = oh * o.stride[0]! - o.pad[0]! + kh * o.dilate[0]!;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; ++kw) {
                const iw = ow * o.stride[1]! - o.pad[1]! + kw * o.dilate[1]!;
                if (iw < 0 || iw >= W) continue;
                tap(ai, ((n * C + g * Cg + c) * H + ih) * W + iw, ((f * Cg + c) * KH + kh) * KW + kw);
              }
            }
        }
    }
}

/** Plain-loop 2-D convolution (NCHW, groups, stride, pad, dilation) in float64 for larger checks. */
function refConv2d(x: number[], xs: number[], w: number[], ws: number[], b: number[] | null,
                   o: ConvGeom): { data: number[]; shape: number[] } {
  const [N, , H, W] = xs as [number, number, number, number];
  const [F, , KH, KW] = ws as [number, number, number, number];
  const OH = Math.floor((H + 2 * o.pad[0]! - (o.dilate[0]! * (KH - 1) + 1)) / o.stride[0]!) + 1;
  const OW = Math.floor((W + 2 * o.pad[1]! - (o.dilate[1]! * (KW - 1) + 1)) / o.stride[1]!) + 1;
  const shape = [N, F, OH, OW];
  const out = Array.from({ length: N * F * OH * OW }, (_, i) => (b ? b[Math.floor(i / (OH * OW)) % F]! : 0));
  forEachTap(shape, xs, ws, o, (ai, xi, wi) => { out[ai] += x[xi]! * w[wi]!; });
  return { data: out, shape };
}

// ---- fixtures: forward and gradients vs PyTorch ----

describe('PyTorch references', () => {
  for (const c of fixtures.cases) {
    it(`${c.op}: ${c.name}`, () => {
      mx.scope(() => {
        const inputs = c.inputs.map(fromFixture);
        if (!c.headGrad) {
          expectClose(callOp(c.op, inputs, c.params), c.expected[0]!, c.tol, 'output');
          return;
        }
        const { out, grads } = forwardBackward(c.op, inputs, c.params, fromFixture(c.headGrad));
        expectClose(out, c.expected[0]!, c.tol, 'output');
        c.grads!.forEach((g, i) => expectClose(grads[i], g, c.tol, `gradient of input ${i}`));
      });
    });
  }
});

// ---- finite differences (float64) ----

describe('finite-difference gradients', () => {
  const r = (shape: number[], seed: number, scale = 1, shift = 0): Arr => randomArray(shape, seed, scale, shift);

  it('FullyConnected (flatten, flatten=false, no_bias)', () => {
    checkGrad('FullyConnected', [r([2, 3, 2], 1), r([3, 6], 2), r([3], 3)], { numHidden: 3 });
    checkGrad('FullyConnected', [r([2, 2, 3], 4), r([2, 3], 5), r([2], 6)], { numHidden: 2, flatten: false });
    checkGrad('FullyConnected', [r([3, 4], 7), r([2, 4], 8)], { numHidden: 2, noBias: true });
  });

  it('Convolution 2-D (stride, pad, dilation, groups, 1x1)', () => {
    checkGrad('Convolution', [r([2, 2, 5, 5], 11), r([2, 2, 3, 3], 12), r([2], 13)],
              { kernel: [3, 3], numFilter: 2, stride: [2, 1], pad: [1, 1] });
    checkGrad('Convolution', [r([1, 4, 5, 5], 14), r([2, 2, 2, 2], 15)],
              { kernel: [2, 2], numFilter: 2, numGroup: 2, dilate: [2, 1], noBias: true });
    checkGrad('Convolution', [r([2, 3, 2, 3], 16), r([2, 3, 1, 1], 17), r([2], 18)], { kernel: [1, 1], numFilter: 2 });
  });

  it('Convolution 1-D and 3-D', () => {
    checkGrad('Convolution', [r([2, 2, 7], 21), r([3, 2, 3], 22), r([3], 23)],
              { kernel: [3], numFilter: 3, stride: [2], pad: [1], dilate: [2] });
    checkGrad('Convolution', [r([1, 2, 3, 4, 3], 24), r([2, 2, 2, 2, 2], 25), r([2], 26)],
              { kernel: [2, 2, 2], numFilter: 2, stride: [1, 2, 1], pad: [1, 0, 0] });
  });

  it('Deconvolution 2-D (stride, pad, adj, groups, bias), 1-D, 3-D and target_shape', () => {
    checkGrad('Deconvolution', [r([1, 2, 3, 3], 31), r([2, 2, 3, 3], 32), r([2], 33)],
              { kernel: [3, 3], numFilter: 2, stride: [2, 2], pad: [1, 1], adj: [1, 0], noBias: false });
    checkGrad('Deconvolution', [r([1, 4, 2, 3], 34), r([4, 1, 2, 2], 35)],
              { kernel: [2, 2], numFilter: 2, numGroup: 2, dilate: [2, 1] });
    checkGrad('Deconvolution', [r([2, 2, 4], 36), r([2, 3, 3], 37)], { kernel: [3], numFilter: 3, stride: [2] });
    checkGrad('Deconvolution', [r([1, 1, 2, 2, 3], 38), r([1, 2, 2, 2, 2], 39)],
              { kernel: [2, 2, 2], numFilter: 2, stride: [2, 1, 1], pad: [0, 1, 0] });
    checkGrad('Deconvolution', [r([1, 2, 3, 3], 40), r([2, 1, 4, 4], 41)],
              { kernel: [4, 4], numFilter: 1, stride: [2, 2], targetShape: [7, 6] });
  });

  it('Pooling max, avg, sum, lp, full/same conventions, global, channel-last', () => {
    // Values from pseudoRandom are distinct, so max windows have a unique winner.
    const x = r([2, 2, 5, 5], 51);
    checkGrad('Pooling', [x], { kernel: [3, 3], stride: [2, 2], pad: [1, 1] });
    checkGrad('Pooling', [x], { kernel: [3, 3], stride: [2, 2], pad: [1, 1], poolType: 'avg', countIncludePad: false });
    checkGrad('Pooling', [x], { kernel: [2, 2], stride: [2, 2], poolType: 'avg', poolingConvention: 'full' });
    checkGrad('Pooling', [x], { kernel: [2, 3], stride: [1, 2], poolType: 'sum' });
    checkGrad('Pooling', [r([1, 2, 4, 4], 52, 0.4, 0.6)], { kernel: [2, 2], stride: [1, 1], poolType: 'lp', pValue: 2 });
    checkGrad('Pooling', [r([1, 1, 4, 4], 53, 0.4, 0.6)], { kernel: [3, 3], pad: [1, 1], poolType: 'lp', pValue: 3 });
    checkGrad('Pooling', [x], { globalPool: true, poolType: 'max' });
    checkGrad('Pooling', [r([2, 2, 7], 54)], { kernel: [3], stride: [2], poolingConvention: 'same', poolType: 'avg' });
    checkGrad('Pooling', [r([1, 2, 3, 4, 3], 55)], { kernel: [2, 2, 2], stride: [1, 2, 1] });
    checkGrad('Pooling', [r([1, 4, 4, 3], 56)], { kernel: [2, 2], stride: [2, 1], layout: 'NHWC', poolType: 'avg' });
  });

  // 2x2/2 max pooling's gradient has its own branch-free loop (ops/nn/pooling.cc): ties go to the
  // window's first maximum in row-major order, and a last odd row or column gets 0.
  it('max pooling 2x2/2 sends each gradient to the first maximum of its window, on odd sizes too', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const [N, Cc, H, W] = [2, 3, 5, 7];
      // Few distinct values, so windows hold ties; the relu's zeros tie too.
      const xs = Array.from({ length: N * Cc * H * W }, (_, i) => ((i * 7919) % 5) - 2);
      const x = nd.array(xs, { shape: [N, Cc, H, W], dtype }).relu();
      x.attachGrad();
      const OH = 2, OW = 3;
      const gs = Array.from({ length: N * Cc * OH * OW }, (_, i) => i + 1);
      autograd.record(() => nd.Pooling(x, { kernel: [2, 2], stride: [2, 2], poolType: 'max' })).backward(nd.array(gs, { shape: [N, Cc, OH, OW], dtype }));
      const xv = values(x);
      const want = new Array(xv.length).fill(0);
      for (let p = 0; p < N * Cc; p++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            const at = [0, 1, 2, 3].map((q) => p * H * W + (2 * oh + (q >> 1)) * W + 2 * ow + (q & 1));
            const m = Math.max(...at.map((i) => xv[i]!));
            want[at.find((i) => xv[i] === m)!] += gs[(p * OH + oh) * OW + ow]!;
          }
      expect(values(x.grad), dtype).toEqual(want);
      // gradReq 'add' (the accumulating loop) adds the same gradient again.
      const xa = x.copy();
      xa.attachGrad('add');
      for (let k = 0; k < 2; k++)
        autograd.record(() => nd.Pooling(xa, { kernel: [2, 2], stride: [2, 2], poolType: 'max' })).backward(nd.array(gs, { shape: [N, Cc, OH, OW], dtype }));
      expect(values(xa.grad), `${dtype} add`).toEqual(want.map((v) => 2 * v));
    }
  });

  it('UpSampling nearest (concat, sum) and bilinear', () => {
    checkGrad('UpSampling', [r([1, 2, 2, 3], 61)], { scale: 2, sampleType: 'nearest' });
    checkGrad('UpSampling', [r([1, 2, 2, 2], 62), r([1, 1, 1, 1], 63)], { scale: 2, sampleType: 'nearest' });
    checkGrad('UpSampling', [r([1, 1, 2, 2], 64), r([1, 1, 4, 4], 65)],
              { scale: 2, sampleType: 'nearest', multiInputMode: 'sum' });
    checkGrad('UpSampling', [r([1, 2, 2, 3], 66), r([2, 1, 4, 4], 67)], { scale: 2, sampleType: 'bilinear', numFilter: 2 });
  });
});

// ---- larger shapes, views, empty batches, API forms ----

describe('Convolution at larger sizes', () => {
  const cases = [
    { xs: [2, 16, 20, 18], ws: [24, 16, 3, 3], stride: [1, 1], pad: [1, 1], dilate: [1, 1], groups: 1 },
    { xs: [1, 12, 17, 17], ws: [12, 3, 3, 3], stride: [2, 2], pad: [1, 1], dilate: [1, 1], groups: 4 },
    { xs: [3, 32, 9, 9], ws: [40, 32, 1, 1], stride: [1, 1], pad: [0, 0], dilate: [1, 1], groups: 1 },
    { xs: [1, 8, 15, 15], ws: [8, 8, 3, 3], stride: [1, 1], pad: [2, 2], dilate: [2, 2], groups: 1 },
    // 3x3 stride 1 in float32 runs as Winograd F(2x2, 3x3): odd output sizes (partial edge tiles),
    // pad 0 and 2, channel counts (64 or more, as winograd::applies asks) that are not multiples of 4,
    // small maps batched together (each
    // case has more than the 48 tiles of 2x2 outputs for which winograd::applies picks it, and the
    // first two have fewer than 64 tiles per image: all images in one group).
    { xs: [12, 66, 7, 7], ws: [9, 66, 3, 3], stride: [1, 1], pad: [1, 1], dilate: [1, 1], groups: 1 },
    { xs: [11, 70, 13, 6], ws: [8, 70, 3, 3], stride: [1, 1], pad: [0, 0], dilate: [1, 1], groups: 1 },
    { xs: [4, 65, 9, 12], ws: [16, 65, 3, 3], stride: [1, 1], pad: [2, 2], dilate: [1, 1], groups: 1 },
    // Stride 2 along rows copies every other input value four at a time (im2col.h copyEveryOther):
    // rows of 1 to 40 outputs, odd and even widths, pads 0 to 3, a 7x7 stem-like kernel.
    { xs: [1, 3, 38, 81], ws: [16, 3, 7, 7], stride: [2, 2], pad: [3, 3], dilate: [1, 1], groups: 1 },
    { xs: [2, 5, 12, 23], ws: [6, 5, 3, 3], stride: [2, 2], pad: [0, 0], dilate: [1, 1], groups: 1 },
    { xs: [2, 4, 9, 10], ws: [7, 4, 1, 1], stride: [2, 2], pad: [0, 0], dilate: [1, 1], groups: 1 },
    { xs: [1, 6, 5, 2], ws: [5, 6, 3, 3], stride: [1, 2], pad: [1, 1], dilate: [1, 1], groups: 1 },
    // The column matrix copied from phase planes (conv_phases.h; 1-D and 2-D, strides up to 4):
    // strides 3 and 4 with kernels smaller and larger than the stride (phases no tap reads), a
    // dilated stride-2 kernel, rows wider than a GEMM panel (several runs per panel) and of one
    // output, padding wider than the kernel, groups, stride-1 non-Winograd shapes, and stride 5
    // (im2colBlock).
    { xs: [2, 3, 19, 61], ws: [9, 3, 5, 5], stride: [3, 3], pad: [2, 1], dilate: [1, 1], groups: 1 },
    { xs: [1, 4, 17, 18], ws: [6, 4, 2, 3], stride: [4, 4], pad: [1, 3], dilate: [1, 1], groups: 1 },
    { xs: [1, 5, 21, 20], ws: [7, 5, 3, 3], stride: [2, 2], pad: [2, 2], dilate: [2, 2], groups: 1 },
    { xs: [1, 2, 9, 130], ws: [5, 2, 3, 4], stride: [2, 2], pad: [1, 1], dilate: [1, 1], groups: 1 },
    { xs: [3, 6, 4, 3], ws: [4, 3, 3, 3], stride: [2, 2], pad: [4, 4], dilate: [1, 1], groups: 2 },
    { xs: [1, 16, 7, 7], ws: [12, 16, 3, 3], stride: [1, 1], pad: [1, 1], dilate: [1, 1], groups: 1 },
    { xs: [1, 6, 11, 11], ws: [10, 6, 5, 3], stride: [1, 1], pad: [2, 0], dilate: [1, 2], groups: 1 },
    { xs: [1, 3, 23, 27], ws: [4, 3, 3, 3], stride: [5, 5], pad: [1, 1], dilate: [1, 1], groups: 1 },
    // Depthwise layers (one channel per group), which run directly (core-cpp/ops/nn/depthwise.h).
    { xs: [2, 8, 9, 10], ws: [8, 1, 3, 3], stride: [1, 1], pad: [1, 1], dilate: [1, 1], groups: 8 },
    { xs: [1, 6, 11, 13], ws: [6, 1, 3, 3], stride: [2, 2], pad: [1, 1], dilate: [1, 1], groups: 6 },
    { xs: [1, 5, 12, 9], ws: [5, 1, 5, 3], stride: [2, 1], pad: [2, 0], dilate: [2, 1], groups: 5 },
    { xs: [1, 4, 3, 40], ws: [4, 1, 3, 3], stride: [1, 3], pad: [0, 2], dilate: [1, 1], groups: 4 },
    { xs: [1, 3, 2, 2], ws: [3, 1, 3, 3], stride: [1, 1], pad: [2, 2], dilate: [1, 1], groups: 3 },
    { xs: [1, 3, 9, 8], ws: [3, 1, 5, 5], stride: [1, 1], pad: [2, 2], dilate: [1, 1], groups: 3 },
    { xs: [2, 4, 10, 11], ws: [4, 1, 3, 3], stride: [1, 1], pad: [2, 1], dilate: [2, 1], groups: 4 },
  ];
  for (const c of cases) {
    it(`data ${JSON.stringify(c.xs)} weight ${JSON.stringify(c.ws)} stride ${c.stride} pad ${c.pad} dilate ${c.dilate} groups ${c.groups}`, () => {
      mx.scope(() => {
        const n = (s: number[]): number => s.reduce((a, b) => a * b, 1);
        const xd = pseudoRandom(n(c.xs), 7), wd = pseudoRandom(n(c.ws), 8), bd = pseudoRandom(c.ws[0]!, 9);
        const want = refConv2d(xd, c.xs, wd, c.ws, bd, c);
        for (const dtype of ['float32', 'float64']) {
          const y = nd.Convolution(nd.array(xd, { shape: c.xs, dtype }), nd.array(wd, { shape: c.ws, dtype }),
                                   nd.array(bd, { dtype }),
                                   { kernel: c.ws.slice(2), numFilter: c.ws[0]!, stride: c.stride, pad: c.pad,
                                     dilate: c.dilate, numGroup: c.groups });
          expectClose(y, { shape: want.shape, dtype, data: want.data }, dtype === 'float32' ? 1e-4 : 1e-10, dtype);
        }
      });
    });
  }
});

// dW[f][c][kh][kw] = sum over the taps of a[n, f, oh, ow] * img[the element the tap reads]: Convolution's
// weight gradient (a = the output gradient, img = the input) and Deconvolution's (a = the input, img =
// the output gradient, the weight's two leading axes read the other way round).
function refWeightGrad(a: number[], as: number[], img: number[], is: number[], ws: number[], o: ConvGeom): number[] {
  const dw = new Array<number>(ws.reduce((p, q) => p * q, 1)).fill(0);
  forEachTap(as, is, ws, o, (ai, ii, wi) => { dw[wi] += a[ai]! * img[ii]!; });
  return dw;
}

// out[the element a tap reads] += a[n, f, oh, ow] * w[f][c][kh][kw]: Convolution's data gradient (a = the
// output gradient) and Deconvolution's output (a = the input).
function refTransposed(a: number[], as: number[], w: number[], ws: number[], os: number[], o: ConvGeom): number[] {
  const out = new Array<number>(os.reduce((p, q) => p * q, 1)).fill(0);
  forEachTap(as, os, ws, o, (ai, oi, wi) => { out[oi] += a[ai]! * w[wi]!; });
  return out;
}

// The weight gradient takes images in chunks whose columns sit side by side, summed per chunk into
// partial products on different threads when the gradient is small (conv_weight_grad.h): batches
// that fill several chunks, a last chunk shorter than the rest, groups, 1x1 kernels (the image is its
// own column matrix), 1-D data, a gradient too large for partials (chunks in turn, accumulated), and
// Deconvolution; gradReq 'add' adds a second backward to the first. Convolution's data gradient and
// Deconvolution's output, col2im(W^T A) image by image, are checked at the same sizes.
describe('weight gradients over many images', () => {
  const cases = [
    { op: 'Convolution', xs: [37, 20, 12, 12], ws: [50, 20, 5, 5], stride: [1, 1], pad: [0, 0], dilate: [1, 1], groups: 1 },
    { op: 'Convolution', xs: [70, 1, 14, 14], ws: [6, 1, 5, 5], stride: [1, 1], pad: [2, 2], dilate: [1, 1], groups: 1 },
    { op: 'Convolution', xs: [25, 8, 10, 10], ws: [12, 2, 3, 3], stride: [1, 1], pad: [1, 1], dilate: [1, 1], groups: 4 },
    { op: 'Convolution', xs: [30, 16, 5, 5], ws: [8, 16, 1, 1], stride: [1, 1], pad: [0, 0], dilate: [1, 1], groups: 1 },
    { op: 'Convolution', xs: [120, 3, 1, 20], ws: [4, 3, 1, 3], stride: [1, 2], pad: [0, 1], dilate: [1, 1], groups: 1, oneD: true },
    { op: 'Convolution', xs: [16, 64, 6, 6], ws: [128, 64, 3, 3], stride: [1, 1], pad: [1, 1], dilate: [1, 1], groups: 1 },
    { op: 'Convolution', xs: [45, 6, 9, 9], ws: [10, 3, 3, 3], stride: [2, 2], pad: [1, 1], dilate: [1, 1], groups: 2 },
    { op: 'Deconvolution', xs: [70, 6, 4, 4], ws: [6, 5, 3, 3], stride: [1, 1], pad: [0, 0], dilate: [1, 1], groups: 1 },
    { op: 'Deconvolution', xs: [45, 4, 3, 5], ws: [4, 3, 3, 3], stride: [2, 2], pad: [1, 1], dilate: [1, 1], groups: 2 },
  ];
  for (const c of cases) {
    it(`${c.op} data ${JSON.stringify(c.xs)} weight ${JSON.stringify(c.ws)} stride ${c.stride} groups ${c.groups}${c.oneD ? ' (1-D)' : ''}`, () => {
      mx.scope(() => {
        const n = (s: number[]): number => s.reduce((a, b) => a * b, 1);
        const deconv = c.op === 'Deconvolution';
        const xs = c.oneD ? [c.xs[0]!, c.xs[1]!, c.xs[3]!] : c.xs, ws = c.oneD ? [c.ws[0]!, c.ws[1]!, c.ws[3]!] : c.ws;
        const pick = (v: number[]): number[] => (c.oneD ? [v[1]!] : v);
        const params = { kernel: ws.slice(2), numFilter: deconv ? c.ws[1]! * c.groups : c.ws[0]!, stride: pick(c.stride),
                         pad: pick(c.pad), dilate: pick(c.dilate), numGroup: c.groups, noBias: true };
        const xd = pseudoRandom(n(xs), 21), wd = pseudoRandom(n(ws), 22);
        for (const dtype of ['float32', 'float64']) {
          const x = nd.array(xd, { shape: xs, dtype }), w = nd.array(wd, { shape: ws, dtype });
          w.attachGrad('add');
          if (!deconv) x.attachGrad();
          const y = autograd.record(() => ops[c.op]!(x, w, params));
          const ys = y.shape as number[];
          const og = pseudoRandom(n(ys), 23);
          const ys4 = c.oneD ? [ys[0]!, ys[1]!, 1, ys[2]!] : ys;
          // Deconvolution's gradient reads its output gradient through the weight's windows.
          const want = deconv ? refWeightGrad(xd, c.xs, og, ys4, [c.ws[0]!, c.ws[1]!, c.ws[2]!, c.ws[3]!], c)
                              : refWeightGrad(og, ys4, xd, c.xs, c.ws, c);
          const head = nd.array(og, { shape: ys, dtype });
          y.backward(head, { retainGraph: true });
          const tol = dtype === 'float32' ? 1e-4 : 1e-10;
          expectClose(w.grad, { shape: ws, dtype, data: want }, tol, `${dtype} dW`);
          if (deconv) expectClose(y, { shape: ys, dtype, data: refTransposed(xd, c.xs, wd, c.ws, ys4, c) }, tol, `${dtype} output`);
          else expectClose(x.grad, { shape: xs, dtype, data: refTransposed(og, ys4, wd, c.ws, c.xs, c) }, tol, `${dtype} dx`);
          y.backward(head);
          expectClose(w.grad, { shape: ws, dtype, data: want.map((v) => 2 * v) }, tol, `${dtype} dW added twice`);
        }
      });
    });
  }
});

// float32 pooling's rows run SIMD kernels (pool_rows.h) at the CPU's width; float64 runs the scalar loops.
// Max takes no rounding, so both give the same bits, NaN and infinities included, at every row width
// (whole vectors and remainders); sum rounds in the same order, so float32 is float64's sum of the same
// float32 values to within float32 rounding.
describe('float32 pooling rows against the float64 path', () => {
  const widths = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 40];
  for (const stride of [1, 2, 3]) {
    it(`max and sum, 3x3 stride ${stride}, pad 1, widths 1 to 40, NaN and infinities`, () => {
      mx.scope(() => {
        for (const w of widths) {
          const n = 2 * 3 * 6 * w;
          const v = pseudoRandom(n, 300 + w).map((t: number, i: number) =>
            i % 37 === 5 ? NaN : i % 41 === 7 ? -Infinity : i % 43 === 11 ? Infinity : t);
          const x32 = nd.array(v, { shape: [2, 3, 6, w], dtype: 'float32' });
          const x64 = x32.astype('float64');
          const p = { kernel: [3, 3], stride: [stride, stride], pad: [1, 1] };
          const m32 = values(nd.Pooling(x32, { ...p, poolType: 'max' }));
          const m64 = values(nd.Pooling(x64, { ...p, poolType: 'max' }));
          expect(m32.map((t) => (Number.isNaN(t) ? 'NaN' : t)), `max width ${w}`).toEqual(
            m64.map((t) => (Number.isNaN(t) ? 'NaN' : t)));
          const finite = nd.array(pseudoRandom(n, 400 + w), { shape: [2, 3, 6, w], dtype: 'float32' });
          const s32 = values(nd.Pooling(finite, { ...p, poolType: 'sum' }));
          const s64 = values(nd.Pooling(finite.astype('float64'), { ...p, poolType: 'sum' }));
          s32.forEach((t, i) => expect(Math.abs(t - s64[i]!), `sum width ${w} [${i}]`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(s64[i]!))));
        }
      });
    });
  }
});

describe('gradients and pooling at larger sizes', () => {
  it('Convolution: d data equals Deconvolution of the head gradient; d weight matches a JS loop', () => {
    mx.scope(() => {
      const xs = [2, 16, 11, 9], ws = [24, 8, 3, 3];
      const p = { kernel: [3, 3], numFilter: 24, numGroup: 2, stride: [2, 2], pad: [1, 1], noBias: true };
      const x = randomArray(xs, 101, 1, 0, 'float32');
      const w = randomArray(ws, 102, 1, 0, 'float32');
      x.attachGrad();
      w.attachGrad();
      const y = autograd.record(() => nd.Convolution(x, w, p));
      const g = randomArray(y.shape, 103, 1, 0, 'float32');
      y.backward(g);
      // The data gradient of a strided convolution is the transposed convolution (target_shape
      // restores the input size the stride rounded away).
      const dx = nd.Deconvolution(g, w, { kernel: [3, 3], numFilter: 16, numGroup: 2, stride: [2, 2], pad: [1, 1],
                                          adj: [0, 0], targetShape: [11, 9] });
      expectClose(x.grad, { shape: xs, dtype: 'float32', data: values(dx) }, 1e-5, 'd data');
      const [N, C, H, W] = xs as [number, number, number, number];
      const [OH, OW] = [y.shape[2], y.shape[3]];
      const xd = values(x), gd = values(g), Cg = 8, Fg = 12;
      const want: number[] = [];
      for (let f = 0; f < 24; ++f)
        for (let c = 0; c < Cg; ++c)
          for (let kh = 0; kh < 3; ++kh)
            for (let kw = 0; kw < 3; ++kw) {
              let acc = 0;
              const ci = Math.floor(f / Fg) * Cg + c;
              for (let n = 0; n < N; ++n)
                for (let oh = 0; oh < OH; ++oh)
                  for (let ow = 0; ow < OW; ++ow) {
                    const ih = oh * 2 - 1 + kh, iw = ow * 2 - 1 + kw;
                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    acc += gd[((n * 24 + f) * OH + oh) * OW + ow]! * xd[((n * C + ci) * H + ih) * W + iw]!;
                  }
              want.push(acc);
            }
      expectClose(w.grad, { shape: ws, dtype: 'float32', data: want }, 1e-4, 'd weight');
    });
  });

  it('global and long-row pooling (max, avg, sum) against a JS loop', () => {
    mx.scope(() => {
      const shape = [2, 3, 5, 45];
      const xd = pseudoRandom(2 * 3 * 5 * 45, 111);
      const x = nd.array(xd, { shape, dtype: 'float64' });
      const plane = 5 * 45;
      const planes = [...Array(6).keys()].map((i) => xd.slice(i * plane, (i + 1) * plane));
      const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);
      const want = {
        max: planes.map((p) => Math.max(...p)),
        avg: planes.map((p) => sum(p) / plane),
        sum: planes.map(sum),
      };
      for (const poolType of ['max', 'avg', 'sum'] as const) {
        const y = nd.Pooling(x, { globalPool: true, poolType });
        expectClose(y, { shape: [2, 3, 1, 1], dtype: 'float64', data: want[poolType] }, 1e-12, poolType);
      }
      // A 1 x 40 window sliding along rows of 45.
      const y = nd.Pooling(x, { kernel: [1, 40], stride: [1, 5], poolType: 'max' });
      expect(y.shape).toEqual([2, 3, 5, 2]);
      const got = values(y);
      for (let r = 0; r < 30; ++r)
        for (let o = 0; o < 2; ++o)
          expect(got[r * 2 + o]).toBe(Math.max(...xd.slice(r * 45 + o * 5, r * 45 + o * 5 + 40)));
    });
  });

  // Max pooling takes the max over a window's rows first, then along the row between runs of
  // `lowest` standing for the padding (stride 2: from the row's even and odd values; pooling.cc).
  // ResNet's 3x3/2 pad 1 on odd and even widths, kernel widths 2 to 5, pads 0 to 2, strides 1 to 3,
  // the 'full' convention's clipped last window and a kernel wider than the row, both dtypes.
  const maxCases = [
    { k: 3, p: 1, s: 2, w: 45 }, { k: 3, p: 1, s: 2, w: 44 }, { k: 2, p: 0, s: 2, w: 17 }, { k: 5, p: 2, s: 2, w: 30 },
    { k: 4, p: 1, s: 2, w: 9 }, { k: 3, p: 1, s: 1, w: 13 }, { k: 2, p: 0, s: 1, w: 8 }, { k: 5, p: 2, s: 3, w: 23 },
    { k: 3, p: 0, s: 2, w: 10, full: true }, { k: 4, p: 1, s: 3, w: 12, full: true }, { k: 7, p: 3, s: 1, w: 4 },
    // Window heights 1 to 5 (the rows are taken two per pass: odd counts leave one over).
    { k: 3, p: 1, s: 2, w: 21, kh: 1 }, { k: 2, p: 1, s: 1, w: 11, kh: 2 }, { k: 3, p: 1, s: 2, w: 19, kh: 4 },
    { k: 3, p: 1, s: 2, w: 16, kh: 5 },
  ];
  for (const c of maxCases) {
    const kh = c.kh ?? 3, ph = kh >> 1;
    it(`max pooling ${kh}x${c.k} stride ${c.s} pad ${c.p}${c.full ? ' (full)' : ''} on rows of ${c.w} against a JS loop`, () => {
      mx.scope(() => {
        const [H, W] = [7, c.w];
        const xd = pseudoRandom(2 * H * W, 112 + c.w).map((v: number) => v - 0.5);
        const round = c.full ? Math.ceil : Math.floor;
        const OH = Math.floor((H + 2 * ph - kh) / 2) + 1, OW = round((W + 2 * c.p - c.k) / c.s) + 1;
        const want: number[] = [];
        for (let n = 0; n < 2; ++n)
          for (let oh = 0; oh < OH; ++oh)
            for (let ow = 0; ow < OW; ++ow) {
              let m = -Infinity;
              for (let i = oh * 2 - ph; i < oh * 2 - ph + kh; ++i)
                for (let j = ow * c.s - c.p; j < ow * c.s - c.p + c.k; ++j)
                  if (i >= 0 && i < H && j >= 0 && j < W) m = Math.max(m, xd[(n * H + i) * W + j]!);
              want.push(m);
            }
        for (const dtype of ['float32', 'float64']) {
          const y = nd.Pooling(nd.array(xd, { shape: [2, 1, H, W], dtype }), {
            kernel: [kh, c.k], stride: [2, c.s], pad: [ph, c.p], poolType: 'max', poolingConvention: c.full ? 'full' : 'valid',
          });
          expect(y.shape).toEqual([2, 1, OH, OW]);
          expectClose(y, { shape: [2, 1, OH, OW], dtype, data: want }, dtype === 'float32' ? 1e-7 : 0, dtype);
        }
      });
    });
  }
});

describe('API forms and edge cases', () => {
  it('works on a view with an offset (slice of the batch)', () => {
    mx.scope(() => {
      const x = randomArray([4, 2, 5, 5], 71, 1, 0, 'float32');
      const w = randomArray([3, 2, 3, 3], 72, 1, 0, 'float32');
      const p = { kernel: [3, 3], numFilter: 3, pad: [1, 1], noBias: true };
      const whole = values(nd.Convolution(x, w, p));
      const part = nd.Convolution(x.slice(1, 3), w, p);
      expect(part.shape).toEqual([2, 3, 5, 5]);
      const per = 3 * 25;
      const got = values(part);
      whole.slice(per, 3 * per).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
      const pooled = values(nd.Pooling(x.slice(2, 3), { kernel: [2, 2], stride: [2, 2] }));
      const pooledAll = values(nd.Pooling(x, { kernel: [2, 2], stride: [2, 2] }));
      expect(pooled).toEqual(pooledAll.slice(2 * 2 * 4, 3 * 2 * 4));
    });
  });

  it('handles an empty batch', () => {
    mx.scope(() => {
      const x = nd.zeros([0, 2, 4, 4]);
      const w = nd.ones([3, 2, 3, 3]);
      const b = nd.ones([3]);
      expect(nd.Convolution(x, w, b, { kernel: [3, 3], numFilter: 3 }).shape).toEqual([0, 3, 2, 2]);
      expect(nd.Deconvolution(x, nd.ones([2, 3, 3, 3]), { kernel: [3, 3], numFilter: 3 }).shape).toEqual([0, 3, 6, 6]);
      expect(nd.Pooling(x, { kernel: [2, 2] }).shape).toEqual([0, 2, 3, 3]);
      expect(nd.UpSampling(x, { scale: 2, sampleType: 'nearest' }).shape).toEqual([0, 2, 8, 8]);
      expect(nd.FullyConnected(nd.zeros([0, 5]), nd.ones([2, 5]), nd.ones([2]), { numHidden: 2 }).shape).toEqual([0, 2]);
      // Weight gradients of an empty batch are zeros.
      w.attachGrad();
      const y = autograd.record(() => nd.Convolution(x, w, b, { kernel: [3, 3], numFilter: 3 }));
      y.backward();
      expect(values(w.grad).every((v) => v === 0)).toBe(true);
    });
  });

  it('keeps float16/bfloat16 storage and accumulates in float32', () => {
    mx.scope(() => {
      for (const dtype of ['float16', 'bfloat16']) {
        const x = nd.ones([1, 2, 4, 4], { dtype });
        const w = nd.ones([3, 2, 3, 3], { dtype });
        const y = nd.Convolution(x, w, { kernel: [3, 3], numFilter: 3, noBias: true, pad: [1, 1] });
        expect(y.dtype).toBe(dtype);
        expect(values(y).slice(0, 4)).toEqual([8, 12, 12, 8]);
        const p = nd.Pooling(x, { kernel: [2, 2], poolType: 'avg' });
        expect(p.dtype).toBe(dtype);
        expect(values(p).every((v) => v === 1)).toBe(true);
        x.attachGrad();
        autograd.record(() => nd.Pooling(x, { kernel: [2, 2], poolType: 'sum' })).backward();
        expect(x.grad!.dtype).toBe(dtype);
        expect(values(x.grad).slice(0, 4)).toEqual([1, 2, 2, 1]);
      }
    });
  });

  it('writes into a given output array', () => {
    mx.scope(() => {
      const x = nd.ones([2, 3]);
      const out = nd.zeros([2, 4]);
      const r = nd.FullyConnected(x, nd.ones([4, 3]), nd.ones([4]), { numHidden: 4, out });
      expect(r).toBe(out);
      expect(values(out)).toEqual(new Array(8).fill(4));
    });
  });

  it('accumulates gradients with gradReq add', () => {
    mx.scope(() => {
      const x = randomArray([1, 1, 4, 4], 81, 1, 0, 'float32');
      const w = nd.ones([1, 1, 2, 2]);
      w.attachGrad({ gradReq: 'add' });
      for (let i = 0; i < 2; ++i) {
        autograd.record(() => nd.Convolution(x, w, { kernel: [2, 2], numFilter: 1, noBias: true })).backward();
      }
      const xd = values(x);
      const tap = (dy: number, dx: number): number => {
        let s = 0;
        for (let i = 0; i < 3; ++i) for (let j = 0; j < 3; ++j) s += xd[(i + dy) * 4 + j + dx]!;
        return s;
      };
      const g = values(w.grad);
      [tap(0, 0), tap(0, 1), tap(1, 0), tap(1, 1)].forEach((t, i) => expect(g[i]).toBeCloseTo(2 * t, 4));
    });
  });

  it('differentiates a chain Convolution -> Pooling -> FullyConnected', () => {
    mx.scope(() => {
      const x = randomArray([2, 2, 6, 6], 91);
      const w1 = randomArray([3, 2, 3, 3], 92);
      const b1 = randomArray([3], 93);
      const w2 = randomArray([4, 27], 94);
      const net = (xx: Arr, ww: Arr): Arr => {
        const c = nd.Convolution(xx, ww, b1, { kernel: [3, 3], numFilter: 3, pad: [1, 1] });
        const p = nd.Pooling(c, { kernel: [2, 2], stride: [2, 2], poolType: 'avg' });
        return nd.FullyConnected(p, w2, { numHidden: 4, noBias: true }).sum();
      };
      w1.attachGrad();
      autograd.record(() => net(x, w1)).backward();
      const g = values(w1.grad);
      const base = values(w1);
      const eps = 1e-6;
      for (const e of [0, 7, 20, 53]) {
        const at = (d: number): number => mx.scope(() => {
          const p = base.slice();
          p[e] = p[e]! + d;
          return values(net(x, nd.array(p, { shape: [3, 2, 3, 3], dtype: 'float64' })))[0]!;
        });
        expect(g[e]).toBeCloseTo((at(eps) - at(-eps)) / (2 * eps), 5);
      }
    });
  });

  it('UpSampling bilinear with bilinear-interpolation weights reproduces constant images', () => {
    mx.scope(() => {
      // MXNet's Bilinear initializer: w[i] = (1 - |x / f - c|) (1 - |y / f - c|).
      const scale = 2, k = 4, f = Math.ceil(k / 2), c = (2 * f - 1 - (f % 2)) / (2 * f);
      const wd: number[] = [];
      for (let i = 0; i < k * k; ++i) {
        const xx = i % k, yy = Math.floor(i / k) % k;
        wd.push((1 - Math.abs(xx / f - c)) * (1 - Math.abs(yy / f - c)));
      }
      const x = nd.full([1, 1, 4, 4], 3);
      const y = nd.UpSampling(x, nd.array(wd, { shape: [1, 1, k, k] }),
                              { scale, sampleType: 'bilinear', numFilter: 1 });
      expect(y.shape).toEqual([1, 1, 8, 8]);
      // Interior pixels (away from the zero padding) interpolate a constant exactly.
      const v = values(y);
      for (let i = 1; i < 7; ++i) for (let j = 1; j < 7; ++j) expect(v[i * 8 + j]).toBeCloseTo(3, 5);
    });
  });
});

// ---- bad input ----

describe('bad input', () => {
  for (const e of fixtures.errors) {
    it(`${e.op}: ${e.name}`, () => {
      mx.scope(() => {
        const inputs = e.inputs.map((s) => nd.zeros(s.shape, { dtype: s.dtype }));
        let err: unknown = null;
        try {
          callOp(e.op, inputs, e.params);
        } catch (x) {
          err = x;
        }
        expect(err, 'should throw').toBeInstanceOf(mx.IsotensorError);
        const msg = (err as Error).message;
        for (const m of e.match) expect(msg).toContain(m);
      });
    });
  }

  it('keeps working after errors', () => {
    mx.scope(() => {
      expect(() => nd.Convolution(nd.ones([1, 1, 2, 2]), nd.ones([1, 1, 3, 3]), nd.ones([1]),
                                  { kernel: [3, 3], numFilter: 1 })).toThrow(mx.IsotensorError);
      const y = nd.Convolution(nd.ones([1, 1, 3, 3]), nd.ones([1, 1, 3, 3]), nd.ones([1]), { kernel: [3, 3], numFilter: 1 });
      expect(values(y)).toEqual([10]);
    });
  });
});
