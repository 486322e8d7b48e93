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
import { announceBackend, here } from '../helpers/backend';
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

/**
 * Plain-loop CTC (float64) for larger checks of the threaded and device kernels: loss per sequence
 * and d loss / d data for labels already cut to their lengths; 0 for an impossible alignment or an
 * empty sequence. Beta leaves out the current step's symbol here (the kernels fold it in).
 */
function refCtc(x: number[], [T, N, A]: number[], labels: number[][], lens: number[],
                blank: number): { loss: number[]; grad: number[] } {
  const loss = new Array<number>(N).fill(0), grad = new Array<number>(T * N * A).fill(0);
  const add = (a: number, b: number): number =>
    a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
  for (let n = 0; n < N; ++n) {
    const l = labels[n]!, Tn = lens[n]!;
    const ext = [blank];
    for (const c of l) ext.push(c, blank);
    const S = ext.length;
    const repeats = l.filter((c, j) => j > 0 && c === l[j - 1]).length;
    if (Tn === 0 || l.length + repeats > Tn) continue;
    const lp: number[][] = [];
    for (let t = 0; t < Tn; ++t) {
      const row = x.slice((t * N + n) * A, (t * N + n + 1) * A), m = Math.max(...row);
      const z = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
      lp.push(row.map((v) => v - z));
    }
    const jump = (s: number): boolean => s >= 2 && ext[s] !== blank && ext[s] !== ext[s - 2];
    const alpha = Array.from({ length: Tn }, () => new Array<number>(S).fill(-Infinity));
    const beta = Array.from({ length: Tn }, () => new Array<number>(S).fill(-Infinity));
    alpha[0]![0] = lp[0]![blank]!;
    if (S > 1) alpha[0]![1] = lp[0]![ext[1]!]!;
    for (let t = 1; t < Tn; ++t)
      for (let s = 0; s < S; ++s) {
        let a = alpha[t - 1]![s]!;
        if (s >= 1) a = add(a, alpha[t - 1]![s - 1]!);
        if (jump(s)) a = add(a, alpha[t - 1]![s - 2]!);
        alpha[t]![s] = a + lp[t]![ext[s]!]!;
      }
    for (let s = Math.max(0, S - 2); s < S; ++s) beta[Tn - 1]![s] = 0;
    for (let t = Tn - 2; t >= 0; --t)
      for (let s = 0; s < S; ++s) {
        const from = (r: number): number => beta[t + 1]![r]! + lp[t + 1]![ext[r]!]!;
        let b = from(s);
        if (s + 1 < S) b = add(b, from(s + 1));
        if (s + 2 < S && jump(s + 2)) b = add(b, from(s + 2));
        beta[t]![s] = b;
      }
    const logp = S > 1 ? add(alpha[Tn - 1]![S - 1]!, alpha[Tn - 1]![S - 2]!) : alpha[Tn - 1]![0]!;
    loss[n] = -logp;
    for (let t = 0; t < Tn; ++t)
      for (let k = 0; k < A; ++k) {
        let through = -Infinity;
        for (let s = 0; s < S; ++s) if (ext[s] === k) through = add(through, alpha[t]![s]! + beta[t]![s]!);
        grad[(t * N + n) * A + k] = Math.exp(lp[t]![k]!) - Math.exp(through - logp);
      }
  }
  return { loss, grad };
}

/** Plain-loop gradients of refSample (float64): d data (scattered in output order) and d grid. */
function refSampleGrads(x: number[], xs: number[], g: number[], gs: number[], head: number[]): [number[], number[]] {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [, , OH, OW] = gs as [number, number, number, number];
  const OS = OH * OW;
  const gd = new Array<number>(x.length).fill(0), gg = new Array<number>(g.length).fill(0);
  for (let n = 0; n < N; ++n)
    for (let o = 0; o < OS; ++o) {
      const gx = g[n * 2 * OS + o]!, gy = g[(n * 2 + 1) * OS + o]!;
      const xr = (gx + 1) * (W - 1) / 2, yr = (gy + 1) * (H - 1) / 2;
      const x0 = Math.floor(xr), y0 = Math.floor(yr);
      const wx = 1 - (xr - x0), wy = 1 - (yr - y0);
      const inside = (yy: number, xx: number): boolean => yy >= 0 && yy < H && xx >= 0 && xx < W;
      let dx = 0, dy = 0;
      for (let c = 0; c < C; ++c) {
        const plane = (n * C + c) * H * W;
        const hg = head[(n * C + c) * OS + o]!;
        const v = (yy: number, xx: number): number => (inside(yy, xx) ? x[plane + yy * W + xx]! : 0);
        const add = (yy: number, xx: number, w: number): void => { if (inside(yy, xx)) gd[plane + yy * W + xx] += hg * w; };
        add(y0, x0, wy * wx);
        add(y0, x0 + 1, wy * (1 - wx));
        add(y0 + 1, x0, (1 - wy) * wx);
        add(y0 + 1, x0 + 1, (1 - wy) * (1 - wx));
        const cross = v(y0, x0) - v(y0, x0 + 1) - v(y0 + 1, x0) + v(y0 + 1, x0 + 1);
        dy -= hg * (v(y0, x0 + 1) - v(y0 + 1, x0 + 1) + cross * wx);
        dx -= hg * (v(y0 + 1, x0) - v(y0 + 1, x0 + 1) + cross * wy);
      }
      gg[n * 2 * OS + o] = dx * (W - 1) / 2;
      gg[(n * 2 + 1) * OS + o] = dy * (H - 1) / 2;
    }
  return [gd, gg];
}

/** A grid whose points crowd a few pixels (many samples per pixel), with points far outside, on
 * the border band and exactly on pixel centres mixed in. */
function crowdedGrid(gs: number[], seed: number): number[] {
  return pseudoRandom(gs.reduce((a, b) => a * b), seed).map((v, i) =>
    i % 7 === 3 ? v * 3.5 : i % 11 === 5 ? [-1, 1, 0, 0.5][i % 4]! : i % 13 === 1 ? Math.sign(v) * (1 + Math.abs(v) * 0.2)
      : v * 0.35 + 0.1);
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

  it('BilinearSampler gradients match a plain loop: crowded, outside and border points, 1-pixel sides', () => {
    for (const [xs, gs, seed] of [[[2, 3, 5, 6], [2, 2, 13, 11], 101], [[3, 2, 1, 7], [3, 2, 4, 5], 103],
                                  [[1, 1, 4, 1], [1, 2, 6, 3], 105], [[1, 2, 9, 8], [1, 2, 3, 2], 107]] as const) {
      mx.scope(() => {
        const x = pseudoRandom(xs.reduce((a, b) => a * b), seed), g = crowdedGrid([...gs], seed + 1);
        const ys = [xs[0], xs[1], gs[2], gs[3]], head = pseudoRandom(ys.reduce((a, b) => a * b), seed + 2);
        const [wantData, wantGrid] = refSampleGrads(x, [...xs], g, [...gs], head);
        const data = nd.array(x, { shape: [...xs], dtype: 'float64' }), grid = nd.array(g, { shape: [...gs], dtype: 'float64' });
        data.attachGrad();
        grid.attachGrad();
        const y = autograd.record(() => nd.BilinearSampler(data, grid));
        expectValues(y, refSample(x, [...xs], g, [...gs]), 1e-12, `output ${xs}`);
        y.backward(nd.array(head, { shape: ys, dtype: 'float64' }));
        expectValues(data.grad, wantData, 1e-12, `data gradient ${xs}`);
        expectValues(grid.grad, wantGrid, 1e-12, `grid gradient ${xs}`);
      });
    }
  });

  it('BilinearSampler gradient of one input alone equals that part of both', () => {
    mx.scope(() => {
      const data = randomArray([2, 3, 6, 5], 111), grid = nd.array(crowdedGrid([2, 2, 7, 9], 112), { shape: [2, 2, 7, 9], dtype: 'float64' });
      const head = randomArray([2, 3, 7, 9], 113);
      const grads = (wrt: number[]): number[][] => {
        const v = [data.copy(), grid.copy()];
        for (const i of wrt) v[i].attachGrad();
        autograd.record(() => nd.BilinearSampler(v[0], v[1])).backward(head);
        return wrt.map((i) => values(v[i].grad));
      };
      const [gd, gg] = grads([0, 1]);
      expect(grads([0])[0]).toEqual(gd);
      expect(grads([1])[0]).toEqual(gg);
    });
  });

  // The executor adds gradients with a separate elemwise_add, so this checks the sums end to end
  // (the kernels themselves only ever see write or null requests from the public API).
  it("grad_req 'add' accumulates the gradients of all three ops (executor)", () => {
    const sym: any = mx.sym;
    const cases: Array<[string, any, Record<string, Arr>]> = [
      ['BilinearSampler', sym.BilinearSampler({ data: sym.Variable('data'), grid: sym.Variable('grid') }),
        { data: randomArray([2, 2, 5, 4], 121), grid: nd.array(crowdedGrid([2, 2, 6, 7], 122), { shape: [2, 2, 6, 7], dtype: 'float64' }) }],
      ['GridGenerator affine', sym.GridGenerator({ data: sym.Variable('data'), transformType: 'affine', targetShape: [20, 30] }),
        { data: randomArray([3, 6], 123) }],
      ['GridGenerator warp', sym.GridGenerator({ data: sym.Variable('data'), transformType: 'warp' }),
        { data: randomArray([2, 2, 3, 5], 124, 2) }],
      ['SpatialTransformer', sym.SpatialTransformer({ data: sym.Variable('data'), loc: sym.Variable('loc'), targetShape: [5, 6],
                                                      transformType: 'affine', samplerType: 'bilinear' }),
        { data: randomArray([2, 3, 4, 5], 125), loc: nd.array([0.9, 0.2, 0.1, -0.3, 1.4, 0.05, 0.5, 0, 0.3, 0.1, 0.6, -0.2],
                                                                { shape: [2, 6], dtype: 'float64' }) }],
    ];
    for (const [name, net, args] of cases) {
      mx.scope(() => {
        const run = (req: string): number[][] => {
          const grads: Record<string, Arr> = {};
          for (const [k, v] of Object.entries(args)) grads[k] = nd.array(pseudoRandom(v.size, 7), { shape: v.shape, dtype: 'float64' });
          const ex = net.bind(here(), args, { argsGrad: grads, gradReq: req });
          const y = ex.forward({ isTrain: true })[0];
          ex.backward(nd.array(pseudoRandom(y.size, 9), { shape: y.shape, dtype: 'float64' }));
          const r = Object.keys(args).map((k) => values(ex.gradDict[k]));
          ex.dispose();
          return r;
        };
        const written = run('write'), added = run('add');
        written.forEach((w, i) => {
          const init = pseudoRandom(w.length, 7);
          expectValues(nd.array(added[i]!), w.map((v, j) => v + init[j]!), 1e-5, `${name} input ${i}`);
        });
      });
    }
  });

  it('_backward_GridGenerator sums an affine target of 40 x 50 pixels', () => {
    mx.scope(() => {
      const [H, W] = [40, 50], head = pseudoRandom(2 * 2 * H * W, 131);
      const want: number[] = [];
      for (let r = 0; r < 4; ++r) {
        let ax = 0, ay = 0, a1 = 0;
        for (let h = 0; h < H; ++h)
          for (let w = 0; w < W; ++w) {
            const v = head[(r * H + h) * W + w]!;
            ax += v * (-1 + w * (2 / (W - 1)));
            ay += v * (-1 + h * (2 / (H - 1)));
            a1 += v;
          }
        want.push(ax, ay, a1);
      }
      for (const dtype of ['float64', 'float32']) {
        const loc = randomArray([2, 6], 132, 1, 0, dtype);
        loc.attachGrad();
        autograd.record(() => nd.GridGenerator(loc, { transformType: 'affine', targetShape: [H, W] }))
          .backward(nd.array(head, { shape: [2, 2, H, W], dtype }));
        expectValues(loc.grad, want, dtype === 'float64' ? 1e-10 : 2e-3, dtype);
      }
    });
  });

  it('float16 and bfloat16 gradients of BilinearSampler and SpatialTransformer follow float32', () => {
    mx.scope(() => {
      const data = randomArray([2, 2, 5, 4], 141, 1, 0, 'float32');
      const grid = nd.array(crowdedGrid([2, 2, 6, 3], 142), { shape: [2, 2, 6, 3], dtype: 'float32' });
      const loc = nd.array([0.9, 0.2, 0.1, -0.3, 1.2, 0.05, 0.5, 0, 0.25, 0.125, 0.75, -0.25], { shape: [2, 6], dtype: 'float32' });
      const head = randomArray([2, 2, 6, 3], 143, 1, 0, 'float32');
      const grads = (dtype: string, st: boolean): number[][] => {
        const v = [data.astype(dtype), (st ? loc : grid).astype(dtype)];
        v.forEach((a) => a.attachGrad());
        const y = autograd.record(() => (st
          ? nd.SpatialTransformer(v[0], v[1], { targetShape: [6, 3], transformType: 'affine', samplerType: 'bilinear' })
          : nd.BilinearSampler(v[0], v[1])));
        y.backward(head.astype(dtype));
        expect(v[0].grad.dtype).toBe(dtype);
        return v.map((a) => values(a.grad));
      };
      for (const st of [false, true]) {
        const ref = grads('float32', st);
        for (const dtype of ['float16', 'bfloat16']) {
          const got = grads(dtype, st);
          // Inputs and outputs round to 16 bits (about 8 and 64 times float16's and bfloat16's epsilon here).
          got.forEach((g, i) => {
            const tol = (dtype === 'float16' ? 4e-3 : 3e-2) * Math.max(...ref[i]!.map(Math.abs));
            expectValues(nd.array(g), ref[i]!, tol, `${dtype} ${st ? 'SpatialTransformer' : 'BilinearSampler'} input ${i}`);
          });
        }
      }
    });
  });

  it('an empty target grid gives zero data gradients', () => {
    mx.scope(() => {
      const [gd, gg] = mx.operator.invoke('_backward_BilinearSampler',
                                          [nd.zeros([1, 2, 0, 4]), nd.ones([1, 2, 3, 3]), nd.zeros([1, 2, 0, 4])], {} as never);
      expect(gd.shape).toEqual([1, 2, 3, 3]);
      expect(values(gd)).toEqual(new Array(18).fill(0));
      expect(gg.shape).toEqual([1, 2, 0, 4]);
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

  it('CTCLoss on (40,6,7) with lengths, repeats, padding and impossible rows matches a plain loop', () => {
    mx.scope(() => {
      const T = 40, N = 6, A = 7, L = 8;
      const x = pseudoRandom(T * N * A, 94).map((v) => v * 2);
      const head = pseudoRandom(N, 95).map((v) => v + 1.5);
      // blank 'first', labels ending at the first 0 (later values ignored); blank 'last' with
      // label_lengths (values past a length are never read, so 99 is no error there).
      const cases = [
        { blank: 0, params: { useDataLengths: true }, dataLens: [40, 23, 2, 0, 31, 17],
          label: [[1, 2, 2, 3, 6, 6, 6, 1], [4, 4, 4, 0, 5, 5, 0, 0], [3, 3, 0, 1, 1, 1, 1, 1],
                  [0, 2, 2, 2, 2, 2, 2, 2], [6, 5, 4, 3, 2, 1, 2, 3], [0, 0, 0, 0, 0, 0, 0, 0]] },
        { blank: 6, params: { blankLabel: 'last', useDataLengths: true, useLabelLengths: true },
          dataLens: [40, 9, 5, 13, 1, 36], labelLens: [8, 4, 3, 0, 1, 5],
          label: [[0, 1, 1, 2, 5, 5, 5, 0], [3, 3, 3, 3, 99, 99, 99, 99], [2, 2, 2, 0, 0, 0, 0, 0],
                  [99, 99, 99, 99, 99, 99, 99, 99], [4, 99, 99, 99, 99, 99, 99, 99], [5, 4, 5, 4, 5, 1, 1, 1]] },
      ];
      for (const c of cases) {
        const cut = c.label.map((row, n) => {
          const len = c.labelLens ? c.labelLens[n]! : (row.indexOf(0) < 0 ? L : row.indexOf(0));
          return row.slice(0, len);
        });
        const want = refCtc(x, [T, N, A], cut, c.dataLens, c.blank);
        const inputs = [nd.array(x, { shape: [T, N, A], dtype: 'float64' }), arr(c.label.flat(), [N, L], 'int32'),
                        nd.array(c.dataLens, { dtype: 'int64' }), ...(c.labelLens ? [nd.array(c.labelLens)] : [])];
        inputs[0].attachGrad({ gradReq: 'add' });
        for (let pass = 1; pass <= 2; ++pass) {  // gradReq 'add': the second pass doubles the gradient
          const loss = autograd.record(() => callOp('CTCLoss', inputs, c.params));
          expectValues(loss, want.loss, 1e-9, `loss, blank ${c.blank}`);
          loss.backward(nd.array(head, { dtype: 'float64' }));
          const g = want.grad.map((v, i) => pass * v * head[Math.floor(i / A) % N]!);
          expectValues(inputs[0].grad, g, 1e-9, `gradient, blank ${c.blank}, pass ${pass}`);
        }
      }
    });
  });

  it('CTCLoss gradients in float16 and bfloat16 follow float32', () => {
    mx.scope(() => {
      const label = arr([1, 2, 2, 0, 3, 1, 3, 3], [2, 4]);
      const grad = (dtype: string): number[] => {
        const x = randomArray([7, 2, 5], 96, 1.5, 0, 'float32').astype(dtype);
        x.attachGrad();
        const loss = autograd.record(() => nd.CTCLoss(x, label));
        expect(loss.dtype).toBe(dtype);
        loss.backward();
        expect(x.grad.dtype).toBe(dtype);
        return values(x.grad);
      };
      const ref = grad('float32');
      expect(ref.some((v) => Math.abs(v) > 0.1)).toBe(true);
      expectValues(nd.array(grad('float16')), ref, 3e-3, 'float16 gradient');
      expectValues(nd.array(grad('bfloat16')), ref, 2e-2, 'bfloat16 gradient');
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

// ---- ROIPooling on larger inputs, hand-made argmax, 16-bit floats ----

/** C's round (half away from zero). */
const roundC = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));

/**
 * MXNet's ROIPooling loop in float64 (the arithmetic of float64 inputs): outputs and argmax (flat
 * data index of the first maximum, -1 for none) of data (N, C, H, W) and rois (R, 5).
 */
function refRoiPool(x: number[], [N, C, H, W]: number[], rois: number[], [PH, PW]: number[], scale: number):
  { y: number[]; arg: number[] } {
  const R = rois.length / 5, y: number[] = [], arg: number[] = [];
  for (let r = 0; r < R; ++r) {
    const row = rois.slice(r * 5, r * 5 + 5);
    const ok = row.every((v, k) => Math.abs(v * (k ? scale : 1)) < 9e15);
    const [x1, y1, x2, y2] = row.slice(1).map((v) => roundC(v * scale)) as [number, number, number, number];
    const bi = Math.trunc(row[0]!), batch = ok && bi >= 0 && bi < N ? bi : -1;
    const binH = Math.max(y2 - y1 + 1, 1) / PH, binW = Math.max(x2 - x1 + 1, 1) / PW;
    const clip = (v: number, size: number): number => Math.min(Math.max(v, 0), size);
    for (let c = 0; c < C; ++c)
      for (let ph = 0; ph < PH; ++ph)
        for (let pw = 0; pw < PW; ++pw) {
          const hs = clip(Math.floor(ph * binH) + y1, H), he = clip(Math.ceil((ph + 1) * binH) + y1, H);
          const ws = clip(Math.floor(pw * binW) + x1, W), we = clip(Math.ceil((pw + 1) * binW) + x1, W);
          let best = 0, where = -1;
          if (batch >= 0 && he > hs && we > ws) {
            best = -3.4028234663852886e38;
            for (let h = hs; h < he; ++h)
              for (let w = ws; w < we; ++w) {
                const i = ((batch * C + c) * H + h) * W + w;
                if (x[i]! > best) [best, where] = [x[i]!, i];
              }
          }
          y.push(best);
          arg.push(where);
        }
  }
  return { y, arg };
}

/** The CPU's gradient: each output gradient added at its argmax if that lies in the output's channel. */
function refRoiGrad(og: number[], arg: number[], [N, C, H, W]: number[], P: number): number[] {
  const gx = new Array<number>(N * C * H * W).fill(0);
  arg.forEach((at, o) => {
    if (at >= 0 && at < gx.length && Math.floor(at / (H * W)) % C === Math.floor(o / P) % C) gx[at] += og[o]!;
  });
  return gx;
}

describe('ROIPooling on larger inputs, hand-made argmax and 16-bit floats', () => {
  const shape = [3, 4, 9, 11];
  // Overlapping ROIs, corners off the image and at .5 (rounding away from zero), ROIs smaller than
  // the grid (bins share pixels, so several outputs pick one element), missing images (3, -1.5),
  // image 0 from -0.5, a non-finite and a huge coordinate.
  const rois = [
    0, 0, 0, 10, 8, 1, 2.5, 1.5, 9.5, 7.5, 2, -3, -2, 5, 4, 1, 6, 5, 6, 5,
    0, 3, 2, 4, 3, 2, 1, 1, 30, 30, 3, 0, 0, 4, 4, -1.5, 0, 0, 4, 4,
    -0.5, 7, 1, 8.5, 8, 1, NaN, 0, 4, 4, 2, 0, 0, 1e17, 4, 1, 0, 0, 10, 8,
  ];
  const R = rois.length / 5;

  for (const [pooled, scale] of [[[3, 4], 1], [[4, 3], 0.5], [[5, 5], 0.75]] as [number[], number][]) {
    it(`pooled ${pooled} at scale ${scale}: outputs and data gradient match MXNet's loop (float64)`, () => {
      mx.scope(() => {
        const size = shape.reduce((a, b) => a * b, 1);
        const xv = pseudoRandom(size, 301), P = pooled[0]! * pooled[1]!;
        const og = pseudoRandom(R * shape[1]! * P, 302);
        const want = refRoiPool(xv, shape, rois, pooled, scale);
        const x = nd.array(xv, { shape, dtype: 'float64' });
        x.attachGrad();
        const params = { pooledSize: pooled, spatialScale: scale };
        const y: Arr = autograd.record(() => nd.ROIPooling(x, nd.array(rois, { shape: [R, 5], dtype: 'float64' }), params));
        y.backward(nd.array(og, { shape: y.shape, dtype: 'float64' }));
        expect(values(y)).toEqual(want.y);
        const wantGx = refRoiGrad(og, want.arg, shape, P);
        expect(wantGx.filter((v) => v !== 0).length).toBeGreaterThan(50);
        expectValues(x.grad, wantGx, 1e-12, 'data gradient');
      });
    });
  }

  it('_backward_ROIPooling with no ROIs writes zeros over what its output held', () => {
    mx.scope(() => {
      const out = randomArray([1, 2, 4, 4], 305);
      mx.operator.invoke('_backward_ROIPooling', [nd.zeros([0, 2, 2, 2], { dtype: 'float64' }), nd.zeros([1, 2, 4, 4], { dtype: 'float64' }),
                                                  nd.zeros([0, 5], { dtype: 'float64' }), nd.zeros([0, 2, 2, 2], { dtype: 'int64' })],
                         { pooled_size: '(2, 2)', spatial_scale: 1 }, out);
      expect(values(out)).toEqual(new Array(32).fill(0));
    });
  });

  it('_backward_ROIPooling adds at a hand-made argmax anywhere in the output channel, in order', () => {
    mx.scope(() => {
      // data (2, 3, 4, 5); rois of image 0 and 1; (2, 2) bins. Entries point inside their bin,
      // outside it, into the other image, into another channel (skipped), past the data (skipped)
      // or nowhere (-1); several land on one element.
      const ds = [2, 3, 4, 5], P = 4, Ch = 3, HW = 20, total = 120;
      const roi = [0, 0, 0, 1, 1, 1, 2, 1, 4, 3];
      const plane = (n: number, c: number): number => (n * Ch + c) * HW;
      const arg: number[] = [];
      for (let r = 0; r < 2; ++r)
        for (let c = 0; c < Ch; ++c)
          for (let i = 0; i < P; ++i) {
            const k = (r * Ch + c) * P + i;
            arg.push([plane(r, c) + i, plane(1 - r, c) + 19, plane(0, c) + 7, plane(r, (c + 1) % Ch), -1, total + k,
                      plane(r, c) + 6][k % 7]!);
          }
      const og = pseudoRandom(2 * Ch * P, 306).map((v) => v + 2);
      const want = refRoiGrad(og, arg, ds, P);
      expect(want.filter((v) => v !== 0).length).toBeGreaterThan(8);
      for (const dtype of ['float64', 'float32']) {
        const g = randomArray(ds, 307, 1, 0, dtype);  // written over, not added to
        mx.operator.invoke('_backward_ROIPooling', [
          nd.array(og, { shape: [2, Ch, 2, 2], dtype }), nd.zeros(ds, { dtype }), nd.array(roi, { shape: [2, 5], dtype }),
          nd.array(arg, { shape: [2, Ch, 2, 2], dtype: 'int64' })], { pooled_size: '(2, 2)', spatial_scale: 1 }, g);
        expectValues(g, want, dtype === 'float64' ? 1e-12 : 1e-5, `${dtype} gradient`);
      }
    });
  });

  it('float16 and bfloat16 follow float32, forward and backward', () => {
    mx.scope(() => {
      const r = rois.map((v) => (Number.isFinite(v) && Math.abs(v) < 100 ? v : 0));
      const run = (dtype: string): number[][] => {
        const x = randomArray(shape, 308, 1, 0, 'float32').astype(dtype);
        x.attachGrad();
        const y: Arr = autograd.record(() => nd.ROIPooling(x, nd.array(r, { shape: [R, 5], dtype }), { pooledSize: [3, 3], spatialScale: 1 }));
        y.backward(randomArray(y.shape, 309, 1, 0, 'float32').astype(dtype));
        expect([y.dtype, x.grad.dtype]).toEqual([dtype, dtype]);
        return [values(y), values(x.grad)];
      };
      const ref = run('float32');
      expect(ref[1]!.filter((v) => v !== 0).length).toBeGreaterThan(50);
      for (const [dtype, tol] of [['float16', 1e-2], ['bfloat16', 6e-2]] as const) {
        run(dtype).forEach((got, k) => expectValues(nd.array(got), ref[k]!, tol, `${dtype} output ${k}`));
      }
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
