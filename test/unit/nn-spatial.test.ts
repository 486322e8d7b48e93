// Spatial and sequence NN ops through the public API: GridGenerator, BilinearSampler,
// SpatialTransformer, ROIPooling and CTCLoss — forward values and gradients against PyTorch/NumPy
// references, MXNet's documented examples, finite differences, larger shapes against a JS loop,
// empty batches, and bad input.
//
// test/fixtures/nn_spatial.json comes from test/fixtures/gen_nn_spatial.py (rerun it to
// regenerate): PyTorch's grid_sample/affine_grid (align_corners=True, zero padding) and ctc_loss,
// and MXNet's ROIPooling loop in NumPy.
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
  headGrad: FixtureArray;
  grads: (FixtureArray | null)[];
  tol: number;
}

const fixtures = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/nn_spatial.json', import.meta.url)), 'utf8'),
) as { cases: Case[] };

beforeAll(async () => {
  await mx.ready();
  announceBackend('nn-spatial');
});

// ---- helpers ----

const values = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);
const arr = (data: number[], shape: number[], dtype = 'float32'): Arr => nd.array(data, { shape, dtype });

function callOp(op: string, inputs: Arr[], params: Record<string, unknown>): Arr {
  const fn = ops[op];
  expect(typeof fn, `nd.${op} should be a function`).toBe('function');
  return fn(...inputs, params);
}

function expectValues(x: Arr, want: number[], tol: number, what = 'values'): void {
  const got = values(x);
  expect(got.length, `${what}: length`).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]!), `${what}[${i}]: ${v} vs ${want[i]}`).toBeLessThanOrEqual(tol));
}

/** Expects an IsotensorError whose message contains every fragment; the library keeps working. */
function expectError(fn: () => unknown, fragments: (string | RegExp)[]): void {
  let err: unknown = null;
  try {
    mx.scope(() => {
      const r = fn();
      for (const o of Array.isArray(r) ? r : r ? [r] : []) (o as Arr).dataSync();
    });
  } catch (e) {
    err = e;
  }
  expect(err, `expected an error mentioning ${fragments.join(', ')}`).toBeInstanceOf(mx.IsotensorError);
  const msg = (err as Error).message;
  for (const f of fragments) {
    if (typeof f === 'string') expect(msg).toContain(f);
    else expect(msg).toMatch(f);
  }
  expect(values(nd.elemwise_add(nd.array([1, 2]), nd.array([3, 4])))).toEqual([4, 6]);
}

/** Plain-loop MXNet bilinear sampling (float64) for larger checks of the threaded kernel. */
function refSample(x: number[], xs: number[], g: number[], gs: number[]): number[] {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [, , OH, OW] = gs as [number, number, number, number];
  const out: number[] = [];
  for (let n = 0; n < N; ++n)
    for (let c = 0; c < C; ++c)
      for (let h = 0; h < OH; ++h)
        for (let w = 0; w < OW; ++w) {
          const gx = g[((n * 2) * OH + h) * OW + w]!, gy = g[((n * 2 + 1) * OH + h) * OW + w]!;
          const xr = (gx + 1) * (W - 1) / 2, yr = (gy + 1) * (H - 1) / 2;
          const x0 = Math.floor(xr), y0 = Math.floor(yr);
          const wx = 1 - (xr - x0), wy = 1 - (yr - y0);
          const at = (yy: number, xx: number): number =>
            yy >= 0 && yy < H && xx >= 0 && xx < W ? x[((n * C + c) * H + yy) * W + xx]! : 0;
          out.push(at(y0, x0) * wy * wx + at(y0, x0 + 1) * wy * (1 - wx) + at(y0 + 1, x0) * (1 - wy) * wx +
                   at(y0 + 1, x0 + 1) * (1 - wy) * (1 - wx));
        }
  return out;
}

// ---- fixtures: forward and gradients vs PyTorch / NumPy ----

describe('references (PyTorch, NumPy)', () => {
  for (const c of fixtures.cases) {
    it(`${c.op}: ${c.name}`, () => {
      mx.scope(() => {
        const inputs = c.inputs.map(fromFixture);
        inputs.forEach((x, i) => { if (c.grads[i]) x.attachGrad(); });
        const out = autograd.record(() => callOp(c.op, inputs, c.params));
        expectClose(out, c.expected[0]!, c.tol, 'output');
        out.backward(fromFixture(c.headGrad));
        c.grads.forEach((g, i) => { if (g) expectClose(inputs[i].grad, g, c.tol, `gradient of input ${i}`); });
      });
    });
  }
});

// ---- MXNet's documented examples ----

describe("MXNet's examples", () => {
  const doc = [1, 4, 3, 6, 1, 8, 8, 9, 0, 4, 1, 5, 1, 0, 1, 3];

  it('BilinearSampler with an affine grid zooms out, and with a warp grid shifts left', () => {
    mx.scope(() => {
      const data = arr(doc, [1, 1, 4, 4]);
      const grid = nd.GridGenerator(arr([2, 0, 0, 0, 2, 0], [1, 6]), { transformType: 'affine', targetShape: [4, 4] });
      expect(grid.shape).toEqual([1, 2, 4, 4]);
      expectValues(nd.BilinearSampler(data, grid), [0, 0, 0, 0, 0, 3.5, 6.5, 0, 0, 1.25, 2.5, 0, 0, 0, 0, 0], 1e-5);
      const flow = arr([...new Array(16).fill(1), ...new Array(16).fill(0)], [1, 2, 4, 4]);
      const shifted = nd.BilinearSampler(data, nd.GridGenerator(flow, { transformType: 'warp' }), { cudnnOff: true });
      expectValues(shifted, [4, 3, 6, 0, 8, 8, 9, 0, 4, 1, 5, 0, 0, 1, 3, 0], 1e-5);
    });
  });

  it('ROIPooling pools a 5x5 region into 2x2 at spatial_scale 1 and 0.7', () => {
    mx.scope(() => {
      const x = nd.arange(0, 48).reshape([1, 1, 8, 6]);
      const rois = arr([0, 0, 0, 4, 4], [1, 5]);
      const y = nd.ROIPooling(x, rois, { pooledSize: [2, 2], spatialScale: 1.0 });
      expect(y.shape).toEqual([1, 1, 2, 2]);
      expect(values(y)).toEqual([14, 16, 26, 28]);
      expect(values(nd._npx_roi_pooling(x, rois, { pooledSize: [2, 2], spatialScale: 0.7 }))).toEqual([7, 9, 19, 21]);
    });
  });

  it('CTCLoss, ctc_loss, _contrib_CTCLoss and _contrib_ctc_loss are one op', () => {
    mx.scope(() => {
      const data = randomArray([4, 2, 3], 5, 1, 0, 'float32');
      const label = arr([1, 2, 2, 0], [2, 2]);
      const a = values(nd.CTCLoss(data, label));
      expect(a.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
      for (const f of [nd.ctc_loss, nd.ctcLoss, nd._contrib_CTCLoss, nd._contrib_ctc_loss]) expect(values(f(data, label))).toEqual(a);
      expect(mx.operator.getOperator('ctc_loss')?.name).toBe('CTCLoss');
    });
  });
});

// ---- consistency between the ops ----

describe('SpatialTransformer is BilinearSampler over an affine GridGenerator', () => {
  it('agrees forward and backward (float64)', () => {
    mx.scope(() => {
      const data = randomArray([2, 3, 6, 5], 21);
      const loc = nd.array([0.8, 0.15, 0.1, -0.2, 1.1, 0.05, 1.2, -0.1, -0.05, 0.1, 0.7, 0.2], { shape: [2, 6], dtype: 'float64' });
      const head = randomArray([2, 3, 4, 7], 22);
      const run = (composed: boolean): number[][] => {
        const d = data.copy(), l = loc.copy();
        d.attachGrad();
        l.attachGrad();
        const y = autograd.record(() => composed
          ? nd.BilinearSampler(d, nd.GridGenerator(l, { transformType: 'affine', targetShape: [4, 7] }))
          : nd.SpatialTransformer(d, l, { targetShape: [4, 7], transformType: 'affine', samplerType: 'bilinear' }));
        y.backward(head);
        return [values(y), values(d.grad), values(l.grad)];
      };
      const [a, b] = [run(false), run(true)];
      a.forEach((v, i) => v.forEach((x, j) => expect(Math.abs(x - b[i]![j]!)).toBeLessThanOrEqual(1e-12)));
    });
  });
});

// ---- finite differences (float64) ----

describe('finite-difference gradients', () => {
  it('GridGenerator affine and warp', () => {
    checkGrad('GridGenerator', [randomArray([2, 6], 31)], { transformType: 'affine', targetShape: [3, 4] });
    checkGrad('GridGenerator', [randomArray([2, 2, 3, 4], 32, 2)], { transformType: 'warp' });
  });

  it('BilinearSampler with respect to data and grid (points inside, on the border band and outside)', () => {
    // pseudoRandom grids avoid integer pixel positions (the sampler's kinks).
    checkGrad('BilinearSampler', [randomArray([2, 2, 4, 5], 41), randomArray([2, 2, 3, 3], 42, 1.2)]);
    checkGrad('BilinearSampler', [randomArray([1, 3, 3, 3], 43), randomArray([1, 2, 4, 2], 44, 0.9)]);
  });

  it('SpatialTransformer with respect to data and loc', () => {
    const loc = nd.array([0.9, 0.1, 0.05, -0.1, 1.05, -0.02, 0.73, -0.21, 0.11, 0.27, 0.83, 0.13], { shape: [2, 6], dtype: 'float64' });
    checkGrad('SpatialTransformer', [randomArray([2, 2, 5, 4], 51), loc],
              { targetShape: [3, 4], transformType: 'affine', samplerType: 'bilinear' });
  });

  it('ROIPooling with respect to data (zero for the ROIs)', () => {
    // Batch indices truncate (1.5 is image 1), so x.5 keeps finite differences off that step.
    const rois = nd.array([0.5, 0.2, 0.3, 4.1, 3.2, 1.5, 1.3, 0.8, 2.9, 4.4, 0.5, 2, 2, 1, 1], { shape: [3, 5], dtype: 'float64' });
    checkGrad('ROIPooling', [randomArray([2, 2, 5, 6], 61), rois], { pooledSize: [2, 3], spatialScale: 1 });
    checkGrad('ROIPooling', [randomArray([1, 1, 6, 6], 62), nd.array([0.5, 1.3, 1.7, 10.2, 9.1], { shape: [1, 5], dtype: 'float64' })],
              { pooledSize: [3, 2], spatialScale: 0.5 });
  });

  it('CTCLoss with respect to data (padding, lengths, blank last)', () => {
    const label = nd.array([1, 2, 2, 0, 3, 0], { shape: [2, 3], dtype: 'float64' });
    checkGrad('CTCLoss', [randomArray([6, 2, 4], 71, 2), label], {}, { wrt: [0] });
    checkGrad('CTCLoss', [randomArray([5, 2, 4], 72, 2), nd.array([0, 1, 1, 2, -1, -1], { shape: [2, 3], dtype: 'float64' })],
              { blankLabel: 'last' }, { wrt: [0] });
    checkGrad('CTCLoss', [randomArray([6, 2, 3], 73, 2), nd.array([1, 2, 1, 1, 1, 1], { shape: [2, 3], dtype: 'float64' }),
                          nd.array([6, 4], { dtype: 'int32' }), nd.array([3, 1], { dtype: 'int32' })],
              { useDataLengths: true, useLabelLengths: true }, { wrt: [0] });
  });
});

// ---- larger shapes, dtypes, empty batches ----

describe('larger shapes and dtypes', () => {
  it('BilinearSampler on (3,4,33,41) with a (3,2,29,37) grid matches a plain loop', () => {
    mx.scope(() => {
      const xs = [3, 4, 33, 41], gs = [3, 2, 29, 37];
      const x = pseudoRandom(xs.reduce((a, b) => a * b), 3), g = pseudoRandom(gs.reduce((a, b) => a * b), 4).map((v) => v * 1.1);
      const want = refSample(x, xs, g, gs);
      expectValues(nd.BilinearSampler(nd.array(x, { shape: xs, dtype: 'float64' }), nd.array(g, { shape: gs, dtype: 'float64' })),
                   want, 1e-12, 'float64');
      const y32 = nd.BilinearSampler(nd.array(x, { shape: xs }), nd.array(g, { shape: gs }));
      expect(y32.shape).toEqual([3, 4, 29, 37]);
      expectValues(y32, want, 1e-5, 'float32');
    });
  });

  it('keeps float16 and bfloat16 storage (computing in float32)', () => {
    mx.scope(() => {
      const data = randomArray([1, 2, 4, 4], 81, 1, 0, 'float32');
      const grid = randomArray([1, 2, 3, 3], 82, 0.9, 0, 'float32');
      const ref = values(nd.BilinearSampler(data, grid));
      for (const dtype of ['float16', 'bfloat16']) {
        const y = nd.BilinearSampler(data.astype(dtype), grid.astype(dtype));
        expect(y.dtype).toBe(dtype);
        expectValues(y, ref, dtype === 'float16' ? 1e-2 : 4e-2, dtype);
      }
      const x = nd.arange(0, 48).reshape([1, 1, 8, 6]);
      const r = nd.ROIPooling(x.astype('float16'), arr([0, 0, 0, 4, 4], [1, 5], 'float16'), { pooledSize: [2, 2], spatialScale: 1 });
      expect(r.dtype).toBe('float16');
      expect(values(r)).toEqual([14, 16, 26, 28]);
      const ctcData = randomArray([5, 2, 4], 83, 1, 0, 'float32');
      const label = arr([1, 2, 3, 0], [2, 2]);
      const l16 = nd.CTCLoss(ctcData.astype('float16'), label);
      expect(l16.dtype).toBe('float16');
      expectValues(l16, values(nd.CTCLoss(ctcData, label)), 2e-2, 'CTCLoss float16');
      const st = nd.SpatialTransformer(data.astype('float16'), arr([1, 0, 0, 0, 1, 0], [1, 6], 'float16'),
                                       { targetShape: [4, 4], transformType: 'affine', samplerType: 'bilinear' });
      expectValues(st, values(data), 1e-2, 'identity SpatialTransformer');
    });
  });

  it('handles empty batches', () => {
    mx.scope(() => {
      expect(nd.BilinearSampler(nd.zeros([0, 2, 3, 3]), nd.zeros([0, 2, 2, 5])).shape).toEqual([0, 2, 2, 5]);
      expect(nd.GridGenerator(nd.zeros([0, 6]), { transformType: 'affine', targetShape: [2, 3] }).shape).toEqual([0, 2, 2, 3]);
      expect(nd.SpatialTransformer(nd.zeros([0, 1, 3, 3]), nd.zeros([0, 6]),
                                   { targetShape: [2, 2], transformType: 'affine', samplerType: 'bilinear' }).shape)
        .toEqual([0, 1, 2, 2]);
      expect(nd.ROIPooling(nd.ones([1, 3, 4, 4]), nd.zeros([0, 5]), { pooledSize: [2, 2], spatialScale: 1 }).shape)
        .toEqual([0, 3, 2, 2]);
      expect(nd.CTCLoss(nd.zeros([4, 0, 3]), nd.zeros([0, 2])).shape).toEqual([0]);
      // An empty sequence with an empty label is certain: loss 0.
      expect(values(nd.CTCLoss(nd.zeros([3, 1, 2]), nd.zeros([1, 2]), nd.array([0]), { useDataLengths: true }))).toEqual([0]);
    });
  });

  it('ROIPooling gives 0 for ROIs naming a missing image, and its gradient skips them', () => {
    mx.scope(() => {
      const x = randomArray([1, 1, 4, 4], 91);
      x.attachGrad();
      const rois = nd.array([3, 0, 0, 3, 3, 0, 0, 0, 1, 1], { shape: [2, 5], dtype: 'float64' });
      const y = autograd.record(() => nd.ROIPooling(x, rois, { pooledSize: [1, 1], spatialScale: 1 }));
      const v = values(y);
      expect(v[0]).toBe(0);
      const xv = values(x);
      expect(v[1]).toBe(Math.max(xv[0]!, xv[1]!, xv[4]!, xv[5]!));
      y.backward(nd.ones([2, 1, 1, 1], { dtype: 'float64' }));
      expect(values(x.grad).reduce((a, b) => a + b)).toBe(1);
    });
  });

  it('CTCLoss: impossible alignments give 0; gradients past data_lengths are 0', () => {
    mx.scope(() => {
      const data = randomArray([3, 1, 3], 92, 1, 0, 'float32');
      expect(values(nd.CTCLoss(data, arr([1, 1, 2], [1, 3])))).toEqual([0]);
      const x = randomArray([5, 2, 3], 93, 1, 0, 'float32');
      x.attachGrad();
      const loss = autograd.record(() => nd.CTCLoss(x, arr([1, 2, 2, 0], [2, 2]), nd.array([5, 3]), { useDataLengths: true }));
      loss.backward();
      const g = values(x.grad);
      for (let t = 3; t < 5; ++t) for (let k = 0; k < 3; ++k) expect(g[(t * 2 + 1) * 3 + k]).toBe(0);
      // Each time step's gradient sums to 0 over the alphabet (softmax minus a distribution).
      for (let t = 0; t < 3; ++t) expect(Math.abs(g[(t * 2 + 1) * 3]! + g[(t * 2 + 1) * 3 + 1]! + g[(t * 2 + 1) * 3 + 2]!)).toBeLessThan(1e-6);
    });
  });
});

// ---- bad input ----

describe('bad input names the op, the argument and the shapes', () => {
  const f32 = (shape: number[]): Arr => nd.ones(shape);

  it('GridGenerator', () => {
    expectError(() => nd.GridGenerator(f32([2, 5]), { transformType: 'affine', targetShape: [3, 3] }),
                ['GridGenerator', "argument 'data'", '(2,5)']);
    expectError(() => nd.GridGenerator(f32([2, 6]), { transformType: 'affine' }), ['GridGenerator', "argument 'target_shape'", '(0,0)']);
    expectError(() => nd.GridGenerator(f32([2, 3, 4, 4]), { transformType: 'warp' }), ['GridGenerator', "argument 'data'", '(2,3,4,4)']);
    expectError(() => nd.GridGenerator(f32([2, 6]), { transformType: 'projective' as never, targetShape: [2, 2] }),
                ['GridGenerator', "argument 'transform_type'", 'projective']);
    expectError(() => nd.GridGenerator(nd.ones([2, 6], { dtype: 'int32' }), { transformType: 'affine', targetShape: [2, 2] }),
                ['GridGenerator', "argument 'data'", 'int32']);
  });

  it('BilinearSampler', () => {
    expectError(() => nd.BilinearSampler(f32([2, 3, 4]), f32([2, 2, 3, 3])), ['BilinearSampler', "argument 'data'", '(2,3,4)']);
    expectError(() => nd.BilinearSampler(f32([2, 3, 4, 4]), f32([2, 3, 3, 3])), ['BilinearSampler', "argument 'grid'", '(2,3,3,3)']);
    expectError(() => nd.BilinearSampler(f32([2, 3, 4, 4]), f32([3, 2, 3, 3])),
                ['BilinearSampler', "argument 'grid'", '(3,2,3,3)', '(2,3,4,4)']);
    expectError(() => nd.BilinearSampler(f32([1, 1, 2, 2]), nd.ones([1, 2, 2, 2], { dtype: 'float64' })),
                ['BilinearSampler', "argument 'grid'", 'float64']);
  });

  it('SpatialTransformer', () => {
    const p = { targetShape: [3, 3], transformType: 'affine', samplerType: 'bilinear' } as const;
    expectError(() => nd.SpatialTransformer(f32([2, 1, 4, 4]), f32([2, 5]), p), ['SpatialTransformer', "argument 'loc'", '(2,5)']);
    expectError(() => nd.SpatialTransformer(f32([2, 1, 4, 4]), f32([3, 6]), p),
                ['SpatialTransformer', "argument 'loc'", '(3,6)', '(2,1,4,4)']);
    expectError(() => nd.SpatialTransformer(f32([2, 1, 4, 4]), f32([2, 6]), { ...p, targetShape: [0, 3] }),
                ['SpatialTransformer', "argument 'target_shape'", '(0,3)']);
    expectError(() => nd.SpatialTransformer(f32([2, 1, 4, 4]), f32([2, 6]), { ...p, samplerType: 'nearest' as never }),
                ['SpatialTransformer', "argument 'sampler_type'"]);
  });

  it('ROIPooling', () => {
    const p = { pooledSize: [2, 2], spatialScale: 1 };
    expectError(() => nd.ROIPooling(f32([1, 2, 4, 4]), f32([3, 4]), p), ['ROIPooling', "argument 'rois'", '(3,4)']);
    expectError(() => nd.ROIPooling(f32([2, 4, 4]), f32([3, 5]), p), ['ROIPooling', "argument 'data'", '(2,4,4)']);
    expectError(() => nd.ROIPooling(f32([1, 2, 4, 4]), f32([3, 5]), { ...p, pooledSize: [0, 2] }),
                ['ROIPooling', "argument 'pooled_size'", '(0,2)']);
    expectError(() => nd.ROIPooling(f32([1, 2, 4, 4]), f32([3, 5]), { ...p, spatialScale: 2 }), ['ROIPooling', "argument 'spatial_scale'"]);
    expectError(() => nd.ROIPooling(f32([1, 2, 4, 4]), nd.ones([3, 5], { dtype: 'float64' }), p),
                ['ROIPooling', "argument 'rois'", 'float64']);
  });

  it('CTCLoss', () => {
    expectError(() => nd.CTCLoss(f32([4, 6]), f32([2, 2])), ['CTCLoss', "argument 'data'", '(4,6)']);
    expectError(() => nd.CTCLoss(f32([4, 2, 3]), f32([3, 2])), ['CTCLoss', "argument 'label'", '(3,2)', '(4,2,3)']);
    expectError(() => nd.CTCLoss(f32([2, 2, 3]), f32([2, 3])), ['CTCLoss', "argument 'label'", '(2,3)', '(2,2,3)']);
    expectError(() => nd.CTCLoss(f32([4, 2, 3]), f32([2, 2]), { useDataLengths: true }),
                ['CTCLoss', "argument 'inputs'", 'data_lengths']);
    expectError(() => nd.CTCLoss(f32([4, 2, 3]), f32([2, 2]), f32([3]), { useDataLengths: true }),
                ['CTCLoss', "argument 'data_lengths'", '(3,)', '(4,2,3)']);
    expectError(() => nd.CTCLoss(f32([4, 2, 3]), arr([1, 3, 2, 0], [2, 2])), ['CTCLoss', "argument 'label'", 'label[0, 1] = 3']);
    expectError(() => nd.CTCLoss(f32([4, 1, 3]), arr([1, 2], [1, 2]), { blankLabel: 'last' }),
                ['CTCLoss', "argument 'label'", "blank_label='last'"]);
    expectError(() => nd.CTCLoss(f32([4, 1, 3]), arr([1, 0], [1, 2]), nd.array([2]), { useLabelLengths: true }),
                ['CTCLoss', "argument 'label'", 'label[0, 1] = 0']);
    expectError(() => nd.CTCLoss(f32([4, 1, 3]), arr([1, 2], [1, 2]), nd.array([5]), { useDataLengths: true }),
                ['CTCLoss', "argument 'data_lengths'", '(4,1,3)']);
    expectError(() => nd.CTCLoss(f32([4, 1, 3]), arr([1, 2], [1, 2]), { blankLabel: 'middle' as never }),
                ['CTCLoss', "argument 'blank_label'"]);
  });

  it('the hidden _backward_ ops check their inputs too', () => {
    const inv = (op: string, inputs: Arr[], params: Record<string, unknown> = {}): Arr[] =>
      mx.operator.invoke(op, inputs, params as never);
    expectError(() => inv('_backward_BilinearSampler', [f32([1, 1, 3, 3]), f32([1, 1, 4, 4]), f32([1, 2, 2, 2])]),
                ['_backward_BilinearSampler', "argument 'ograd'", '(1,1,3,3)']);
    expectError(() => inv('_backward_GridGenerator', [f32([1, 2, 3, 3])], { transform_type: 'affine', target_shape: '(2, 2)' }),
                ['_backward_GridGenerator', "argument 'ograd'", '(1,2,3,3)']);
    expectError(() => inv('_backward_ROIPooling', [f32([1, 1, 2, 2]), f32([1, 1, 4, 4]), f32([1, 5]), f32([1, 1, 2, 2])],
                          { pooled_size: '(2, 2)', spatial_scale: 1 }),
                ['_backward_ROIPooling', "argument 'argmax'", 'float32']);
    expectError(() => inv('_backward_ROIPooling', [f32([2, 1, 2, 2]), f32([1, 1, 4, 4]), f32([1, 5]),
                                                   nd.zeros([1, 1, 2, 2], { dtype: 'int64' })],
                          { pooled_size: '(2, 2)', spatial_scale: 1 }),
                ['_backward_ROIPooling', "argument 'ograd'", '(2,1,2,2)']);
    expectError(() => inv('_backward_ctc_loss', [f32([3]), f32([4, 2, 3])]), ['_backward_ctc_loss', "argument 'ograd'", '(3,)', '(4,2,3)']);
  });
});
