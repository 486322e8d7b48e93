// Ordering ops (sort, argsort, topk) against NumPy references in test/fixtures/ordering.json
// (made by test/fixtures/gen_ordering.py), with MXNet 1.x semantics and a total order: NaN is the
// largest value and equal values keep their input order, in both directions.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';

const { nd } = mx;
beforeAll(() => mx.ready());

type Num = number | string;
interface FixtureArray { shape: number[]; dtype: string; data?: Num[]; gen?: string }
interface FixtureCase {
  name: string; op: 'sort' | 'argsort' | 'topk'; params: Record<string, unknown>; inputs: FixtureArray[];
  outputs: (FixtureArray & { data: Num[] })[];
}
interface FixtureError { op: string; params: Record<string, unknown>; inputs: FixtureArray[]; match: string[] }

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/ordering.json', import.meta.url)), 'utf8')) as {
  cases: FixtureCase[]; errors: FixtureError[];
};

function num(v: Num): number {
  if (typeof v === 'number') return v;
  return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v);
}

function values(a: FixtureArray): number[] {
  const n = a.shape.reduce((p, d) => p * d, 1);
  if (a.gen === 'wave') return Array.from({ length: n }, (_, i) => (((i * 7919) % 2001) - 1000) / 64);
  return (a.data ?? []).map(num);
}

function makeInput(a: FixtureArray): mx.NDArray {
  return nd.array(Float64Array.from(values(a)), { shape: a.shape, dtype: a.dtype as mx.DType });
}

/** Flattens toArraySync() output (booleans and bigints become numbers). */
function flat(x: mx.NDArray): number[] {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(typeof v === 'boolean' ? Number(v) : Number(v as number | bigint));
  };
  walk(x.toArraySync());
  return out;
}

/** Exact comparison; 0 equals -0 (the fixture's JSON has no signed zero), NaN equals NaN. */
function expectSame(got: number[], want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    expect(g === w || (Number.isNaN(g) && Number.isNaN(w)), `${what} [${i}]: got ${g}, want ${w}`).toBe(true);
  }
}

/** The MXNet snake_case params of a fixture as the TS options (camelCase). */
function options(params: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) o[k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = v;
  return o;
}

function run(op: string, x: mx.NDArray, params: Record<string, unknown>): mx.NDArray[] {
  const o = options(params);
  if (op === 'sort') return [nd.sort(x, o as mx.nd.SortOptions)];
  if (op === 'argsort') return [nd.argsort(x, o as mx.nd.SortOptions)];
  const r = nd.topk(x, o as mx.nd.TopkOptions);
  return Array.isArray(r) ? r : [r];
}

describe('sort, argsort and topk match NumPy (fixtures)', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    mx.scope(() => {
      const ys = run(c.op, makeInput(c.inputs[0]!), c.params);
      expect(ys.length).toBe(c.outputs.length);
      ys.forEach((y, i) => {
        const want = c.outputs[i]!;
        expect(y.shape, `${c.name} output ${i} shape`).toEqual(want.shape);
        expect(y.dtype, `${c.name} output ${i} dtype`).toBe(want.dtype);
        expectSame(flat(y), want.data.map(num), `${c.name} output ${i}`);
      });
    });
  });
});

describe('ordering through the NDArray methods', () => {
  const x = () => nd.array([[1, 4, 2], [3, 1, 3]]);

  it('sorts along the last axis, an axis, or the flattened array', () => {
    expect(x().sort().toArraySync()).toEqual([[1, 2, 4], [1, 3, 3]]);
    expect(x().sort(0).toArraySync()).toEqual([[1, 1, 2], [3, 4, 3]]);
    expect(x().sort(null).toArraySync()).toEqual([1, 1, 2, 3, 3, 4]);
    expect(x().sort({ isAscend: false }).toArraySync()).toEqual([[4, 2, 1], [3, 3, 1]]);
    expect(nd.sort(x(), { axis: 0, isAscend: false }).toArraySync()).toEqual([[3, 4, 3], [1, 1, 2]]);
  });

  it('argsorts with float32 indices by default and keeps ties in order', () => {
    const i = x().argsort();
    expect(i.dtype).toBe('float32');
    expect(i.toArraySync()).toEqual([[0, 2, 1], [1, 0, 2]]);
    expect(nd.argsort(x(), { isAscend: false }).toArraySync()).toEqual([[1, 2, 0], [0, 2, 1]]);
    const j = x().argsort({ axis: null, dtype: 'int32' });
    expect(j.dtype).toBe('int32');
    expect(Array.from(j.dataSync())).toEqual([0, 4, 2, 3, 5, 1]);
  });

  it('returns topk indices, values, a mask, or both', () => {
    expect(x().topk().toArraySync()).toEqual([[1], [0]]);
    expect(x().topk({ k: 2, retTyp: 'value' }).toArraySync()).toEqual([[4, 2], [3, 3]]);
    expect(x().topk({ k: 2, retTyp: 'mask' }).toArraySync()).toEqual([[0, 1, 1], [1, 0, 1]]);
    const [v, i] = nd.topk(x(), { k: 2, retTyp: 'both', isAscend: true, dtype: 'int64' });
    expect(v!.toArraySync()).toEqual([[1, 2], [1, 3]]);
    expect(i!.dtype).toBe('int64');
    expect(flat(i!)).toEqual([0, 2, 1, 0]);
    expect(x().topk({ k: 0, retTyp: 'value' }).shape).toEqual([2, 3]);
    expect(x().topk({ axis: null, k: 2 }).shape).toEqual([2]);
  });

  it('places NaN like NumPy: last ascending, first descending and in topk', () => {
    const y = nd.array([2, NaN, -1, NaN, 5]);
    expectSame(Array.from(y.sort().dataSync()), [-1, 2, 5, NaN, NaN], 'sort');
    expectSame(Array.from(y.sort({ isAscend: false }).dataSync()), [NaN, NaN, 5, 2, -1], 'sort desc');
    expect(Array.from(y.argsort().dataSync())).toEqual([2, 0, 4, 1, 3]);
    expect(Array.from(y.topk({ k: 3 }).dataSync())).toEqual([1, 3, 4]);
  });
});

describe('ordering of large inputs (parallel rows, partial sorts)', () => {
  // Deterministic values with many ties: stability is visible in every row.
  const gen = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 101) - 50);
  const stableOrder = (row: ArrayLike<number>, ascend: boolean): number[] =>
    Array.from({ length: row.length }, (_, i) => i).sort((a, b) => (ascend ? row[a]! - row[b]! : row[b]! - row[a]!));

  it('argsorts 64 rows of 3000 like a stable sort', () => {
    const rows = 64, n = 3000;
    const data = gen(rows * n);
    mx.scope(() => {
      const a = nd.array(data, { shape: [rows, n] });
      const got = a.argsort({ dtype: 'int32' }).dataSync() as Int32Array;
      const desc = a.argsort({ isAscend: false, dtype: 'int32' }).dataSync() as Int32Array;
      for (let r = 0; r < rows; r++) {
        const row = data.subarray(r * n, (r + 1) * n);
        expect(Array.from(got.subarray(r * n, (r + 1) * n)), `row ${r}`).toEqual(stableOrder(row, true));
        expect(Array.from(desc.subarray(r * n, (r + 1) * n)), `row ${r} desc`).toEqual(stableOrder(row, false));
      }
    });
  });

  it('takes the top 5 along axis 0 and of the flattened array', () => {
    const rows = 2000, cols = 16;
    const data = gen(rows * cols);
    mx.scope(() => {
      const a = nd.array(data, { shape: [rows, cols] });
      const [v, i] = a.topk({ axis: 0, k: 5, retTyp: 'both', dtype: 'int32' });
      expect(v!.shape).toEqual([5, cols]);
      const vs = v!.dataSync(), is = i!.dataSync();
      for (let c = 0; c < cols; c++) {
        const col = Array.from({ length: rows }, (_, r) => data[r * cols + c]!);
        const want = stableOrder(col, false).slice(0, 5);
        expect(Array.from({ length: 5 }, (_, j) => is[j * cols + c]), `col ${c}`).toEqual(want);
        expect(Array.from({ length: 5 }, (_, j) => vs[j * cols + c]), `col ${c} values`).toEqual(want.map((r) => col[r]));
      }
      const f = a.topk({ axis: null, k: 5, isAscend: true, dtype: 'int64' });
      expect(flat(f)).toEqual(stableOrder(data, true).slice(0, 5));
      const s = a.sort(null).dataSync();
      expect(Array.from(s)).toEqual(Array.from(data).sort((p, q) => p - q));
    });
  });
});

describe('ordering errors name the op, the argument and the shape', () => {
  it.each(fixture.errors.map((e) => [`${e.op} ${JSON.stringify(e.params)} on ${e.inputs[0]!.dtype}(${e.inputs[0]!.shape})`, e] as const))(
    '%s', (_n, e) => {
      let err: unknown;
      try {
        mx.scope(() => {
          const x = nd.zeros(e.inputs[0]!.shape, { dtype: e.inputs[0]!.dtype as mx.DType });
          run(e.op, x, e.params).forEach((y) => y.waitToRead());
        });
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(mx.IsotensorError);
      for (const m of e.match) expect((err as Error).message).toContain(m);
    });
});

describe('orders equal a stable sort in every dtype (NaN, ties, odd lengths, strided rows)', () => {
  const dtypes: mx.DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int8', 'uint8', 'int16', 'uint16', 'int32',
    'uint32', 'int64', 'uint64'];
  const isFloat = (d: string) => d.startsWith('float') || d === 'bfloat16';
  // Eleven distinct values, so every row has ties; floats get a NaN every 7th element and a -0.
  const gen = (n: number, d: string) => Array.from({ length: n }, (_, i) => {
    if (isFloat(d) && i % 7 === 3) return NaN;
    if (isFloat(d) && i % 13 === 6) return -0;
    return ((i * 37) % 11) - (d.startsWith('u') ? 0 : 5) + (isFloat(d) ? 0.25 : 0);
  });
  // The order of the kernels: NaN above every number, ties (NaNs too) in input order both ways.
  const stableOrder = (row: number[], ascend: boolean): number[] =>
    row.map((_, i) => i).sort((a, b) => {
      const va = row[a]!, vb = row[b]!, na = Number.isNaN(va), nb = Number.isNaN(vb);
      if (na || nb) return na === nb ? 0 : (na === ascend ? 1 : -1);
      return va === vb ? 0 : (va < vb) === ascend ? -1 : 1;
    });
  // [shape, axis]: odd row lengths (padded inside the GPU kernels), rows strided along axis 0,
  // the flattened array, one-element rows.
  const layouts: Array<[number[], number | null]> = [[[3, 37], -1], [[37, 3], 0], [[5, 7], null], [[33], 0], [[4, 1], 1]];

  it.each(dtypes.map((d) => [d]))('%s', (dtype) => {
    for (const [shape, axis] of layouts) {
      mx.scope(() => {
        const x = nd.array(gen(shape.reduce((p, q) => p * q, 1), dtype), { shape, dtype });
        const xs = flat(x);  // the values as stored in the dtype
        const ax = axis === null ? -1 : axis < 0 ? axis + shape.length : axis;
        const n = axis === null ? xs.length : shape[ax]!;
        const inner = axis === null ? 1 : shape.slice(ax + 1).reduce((p, q) => p * q, 1);
        const rows = xs.length / n, k = Math.min(5, n);
        const where = `${dtype} ${JSON.stringify(shape)} axis ${axis}`;
        for (const isAscend of [true, false]) {
          const sorted = flat(nd.sort(x, { axis, isAscend }));
          const order = flat(nd.argsort(x, { axis, isAscend, dtype: 'int32' }));
          const [tv, ti] = nd.topk(x, { axis, k, isAscend, retTyp: 'both', dtype: 'int64' }) as mx.NDArray[];
          const topV = flat(tv!), topI = flat(ti!);
          const mask = nd.topk(x, { axis, k, isAscend, retTyp: 'mask' });
          expect(mask.dtype).toBe(dtype);
          const maskV = flat(mask);
          const wantMask = new Array<number>(xs.length).fill(0);
          for (let r = 0; r < rows; r++) {
            const o = Math.floor(r / inner), i = r % inner;
            const at = (j: number, len: number) => (o * len + j) * inner + i;
            const row = Array.from({ length: n }, (_, j) => xs[at(j, n)]!);
            const want = stableOrder(row, isAscend);
            const what = `${where} ascend ${isAscend} row ${r}`;
            expect(want.map((_, j) => order[at(j, n)]), `argsort ${what}`).toEqual(want);
            expectSame(want.map((_, j) => sorted[at(j, n)]!), want.map((j) => row[j]!), `sort ${what}`);
            expect(want.slice(0, k).map((_, j) => topI[at(j, k)]), `topk indices ${what}`).toEqual(want.slice(0, k));
            expectSame(want.slice(0, k).map((_, j) => topV[at(j, k)]!), want.slice(0, k).map((j) => row[j]!), `topk values ${what}`);
            want.slice(0, k).forEach((j) => { wantMask[at(j, n)] = 1; });
          }
          expect(maskV, `topk mask ${where} ascend ${isAscend}`).toEqual(wantMask);
        }
      });
    }
  });
});

describe('gradients of sort and topk accumulate with gradReq add', () => {
  it('adds the scattered head gradient on every backward', () => {
    const data = [[3, 1, 2, 1, 5], [0, 4, 4, -1, 2]];
    const head = [[1, 2, 3, 4, 5], [10, 20, 30, 40, 50]];
    mx.scope(() => {
      const x = nd.array(data);
      x.attachGrad({ gradReq: 'add' });
      for (let i = 0; i < 2; i++) mx.autograd.record(() => nd.sort(x)).backward(nd.array(head));
      // Rows sorted stably: [1(1), 1(3), 2(2), 3(0), 5(4)] and [-1(3), 0(0), 2(4), 4(1), 4(2)].
      expect(x.grad!.toArraySync()).toEqual([[8, 2, 6, 4, 10], [40, 80, 100, 20, 60]]);
      // Top 1 along axis 0 (inner > 1): row 0 in columns 0, 3 and 4, row 1 in columns 1 and 2.
      mx.autograd.record(() => nd.topk(x, { axis: 0, k: 1, retTyp: 'value' })).backward(nd.array([[7, 7, 7, 7, 7]]));
      expect(x.grad!.toArraySync()).toEqual([[15, 2, 6, 11, 17], [40, 87, 107, 20, 60]]);
    });
  });
});
