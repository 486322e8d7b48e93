// Reductions (sum, mean, prod, max, min, nansum, nanprod, norm, argmax, argmin, argmax_channel)
// and broadcasts (broadcast_to, broadcast_axis, broadcast_like) against NumPy references in
// test/fixtures/reduce.json (made by test/fixtures/gen_reduce.py), with MXNet 1.x semantics.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';

const { nd } = mx;
beforeAll(() => mx.ready());

type Num = number | string;
interface FixtureArray { shape: number[]; dtype: string; data?: Num[]; gen?: string }
interface FixtureCase {
  name: string; op: string; params: Record<string, unknown>; inputs: FixtureArray[];
  output: FixtureArray & { data: Num[] }; rtol: number;
}
interface FixtureError { op: string; attrs: Record<string, string>; inputs: FixtureArray[]; match: string[] }

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/reduce.json', import.meta.url)), 'utf8')) as {
  cases: FixtureCase[]; errors: FixtureError[];
};

const REDUCE_OPS = new Set(['sum', 'mean', 'prod', 'max', 'min', 'nansum', 'nanprod', 'norm', 'argmax', 'argmin',
  'argmax_channel', 'broadcast_to', 'broadcast_axis', 'broadcast_axes', 'broadcast_like']);
// dtypes every backend exposes in TS.
const TS_DTYPES = new Set(['float32', 'float64', 'float16', 'uint8', 'int8', 'int32', 'int64', 'bool']);

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

function expectClose(got: number[], want: number[], rtol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!, g = got[i]!;
    if (Number.isNaN(w)) expect(Number.isNaN(g), `${what} [${i}] is NaN`).toBe(true);
    else if (!Number.isFinite(w) || rtol === 0) expect(g, `${what} [${i}]`).toBe(w);
    else expect(Math.abs(g - w), `${what} [${i}]: ${g} vs ${w}`).toBeLessThanOrEqual(rtol * Math.abs(w) + 1e-6);
  }
}

function callOp(op: string, inputs: mx.NDArray[], params: Record<string, unknown>): mx.NDArray {
  const fn = (nd as unknown as Record<string, (...a: unknown[]) => mx.NDArray>)[op];
  if (!fn) throw new Error(`nd.${op} is missing`);
  return Object.keys(params).length ? fn(...inputs, params) : fn(...inputs);
}

const usable = fixture.cases.filter((c) => REDUCE_OPS.has(c.op) &&
  [...c.inputs, c.output].every((a) => TS_DTYPES.has(a.dtype)) &&
  // nd.norm's options have no outDtype; that case runs below through the op's MXNet name.
  !(c.op === 'norm' && 'out_dtype' in c.params));

describe('reductions and broadcasts match NumPy (fixtures)', () => {
  it.each(usable.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    mx.scope(() => {
      const y = callOp(c.op, c.inputs.map(makeInput), c.params);
      expect(y.shape).toEqual(c.output.shape);
      expect(y.dtype).toBe(c.output.dtype);
      expectClose(flat(y), c.output.data.map(num), c.rtol, c.name);
    });
  });
});

describe('reductions through the NDArray methods', () => {
  const x = () => nd.array([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);  // (2,3,2)

  it('sums everything into shape (1,) like MXNet 1.x', () => {
    const s = x().sum();
    expect(s.shape).toEqual([1]);
    expect(s.asScalar()).toBe(78);
  });

  it('takes axis, keepdims and exclude', () => {
    const a = x().sum({ axis: 1, keepdims: true });
    expect(a.shape).toEqual([2, 1, 2]);
    expect(Array.from(a.dataSync())).toEqual([9, 12, 27, 30]);
    const b = nd.sum(x(), { axis: [0, 2] });
    expect(b.shape).toEqual([3]);
    expect(Array.from(b.dataSync())).toEqual([18, 26, 34]);
    const c = x().sum({ axis: 1, exclude: true });  // reduce over axes 0 and 2
    expect(Array.from(c.dataSync())).toEqual([18, 26, 34]);
    expect(Array.from(x().sum({ axis: -1 }).dataSync())).toEqual([3, 7, 11, 15, 19, 23]);
  });

  it('computes mean, prod, max, min', () => {
    expect(Array.from(x().mean({ axis: 0 }).dataSync())).toEqual([4, 5, 6, 7, 8, 9]);
    expect(x().max().asScalar()).toBe(12);
    expect(Array.from(x().min({ axis: 2 }).dataSync())).toEqual([1, 3, 5, 7, 9, 11]);
    expect(nd.array([[1, 2], [3, 4]]).prod({ axis: 1 }).dataSync()).toEqual(new Float32Array([2, 12]));
  });

  it('truncates the mean of integers and keeps the dtype', () => {
    const m = nd.array([[1, 2], [4, 4]], { dtype: 'int32' }).mean({ axis: 1 });
    expect(m.dtype).toBe('int32');
    expect(Array.from(m.dataSync())).toEqual([1, 4]);
  });

  it('returns argmax/argmin indices in the input dtype, first occurrence first', () => {
    const a = nd.array([[0, 5, 5], [3, 1, 3]]);
    const i0 = a.argmax({ axis: 0 });
    expect(i0.dtype).toBe('float32');
    expect(Array.from(i0.dataSync())).toEqual([1, 0, 0]);
    expect(Array.from(a.argmax({ axis: 1 }).dataSync())).toEqual([1, 0]);
    expect(Array.from(a.argmin({ axis: 1 }).dataSync())).toEqual([0, 1]);
    const flatIdx = a.argmax();
    expect(flatIdx.shape).toEqual([1]);
    expect(flatIdx.asScalar()).toBe(1);
    expect(a.argmax({ axis: 1, keepdims: true }).shape).toEqual([2, 1]);
  });

  it('computes L1 and L2 norms', () => {
    const a = nd.array([[3, -4], [6, 8]]);
    expect(a.norm().asScalar()).toBeCloseTo(Math.sqrt(125), 5);
    expect(Array.from(a.norm({ ord: 1, axis: 1 }).dataSync())).toEqual([7, 14]);
    expect(Array.from(a.norm({ axis: 0, keepdims: true }).dataSync()).map((v) => Math.round(v * 1e4) / 1e4))
      .toEqual([6.7082, 8.9443]);
  });

  it('handles 0-d, empty and NaN inputs', () => {
    const scalar = nd.array(5);
    expect(scalar.shape).toEqual([]);
    expect(scalar.sum().shape).toEqual([1]);
    const empty = nd.zeros([0, 3]);
    expect(Array.from(empty.sum({ axis: 0 }).dataSync())).toEqual([0, 0, 0]);
    expect(Array.from(empty.prod({ axis: 0 }).dataSync())).toEqual([1, 1, 1]);
    expect(empty.sum({ axis: 1 }).shape).toEqual([0]);
    const withNaN = nd.array([[1, NaN], [2, 3]]);
    expect(Number.isNaN(withNaN.max({ axis: 1 }).dataSync()[0]!)).toBe(true);
    expect(Array.from(nd.nansum(withNaN, { axis: 1 }).dataSync())).toEqual([1, 5]);
  });

  it('broadcasts back what a keepdims reduction removed', () => {
    const a = nd.array([[1, 2, 3], [4, 5, 6]]);
    const s = a.sum({ axis: 1, keepdims: true });
    const b = nd.broadcast_like(s, a);
    expect(b.shape).toEqual([2, 3]);
    expect(Array.from(b.dataSync())).toEqual([6, 6, 6, 15, 15, 15]);
    expect(Array.from(nd.broadcast_to(nd.array([[1, 2, 3]]), { shape: [2, 0] }).dataSync())).toEqual([1, 2, 3, 1, 2, 3]);
    expect(nd.broadcast_axis(nd.array([[1], [2]]), { axis: 1, size: 3 }).shape).toEqual([2, 3]);
  });

  it('gives the same bits on every run of a large reduction (threads do not change results)', () => {
    const n = 1 << 20;
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1000);
    const a = nd.array(data, { shape: [n] });
    const b = nd.array(data, { shape: [16, n / 16] });
    const first = a.sum().dataSync()[0];
    for (let t = 0; t < 3; t++) expect(a.sum().dataSync()[0]).toBe(first);
    const rows = Array.from(b.sum({ axis: 1 }).dataSync());
    for (let t = 0; t < 3; t++) expect(Array.from(b.sum({ axis: 1 }).dataSync())).toEqual(rows);
    let exact = 0;
    for (const v of data) exact += v;
    expect(Math.abs(first! - exact)).toBeLessThanOrEqual(Math.abs(exact) * 1e-6 + 1e-3);
  });
});

describe('reduction errors name the op, the argument and the shape', () => {
  const cases = fixture.errors.filter((e) => REDUCE_OPS.has(e.op) && e.op !== 'norm');
  it.each(cases.map((e) => [`${e.op} ${JSON.stringify(e.attrs)}`, e] as const))('%s', (_n, e) => {
    const inputs = e.inputs.map((a) => nd.zeros(a.shape, { dtype: a.dtype as mx.DType }));
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(e.attrs)) params[k] = v.startsWith('(') ? JSON.parse(`[${v.slice(1, -1).replace(/,\s*$/, '')}]`) : Number(v);
    let err: unknown;
    try {
      callOp(e.op, inputs, params).waitToRead();
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(mx.IsotensorError);
    for (const m of e.match) expect((err as Error).message).toContain(m);
  });

  it('rejects an out-of-range axis', () => {
    expect(() => nd.ones([2, 3]).sum({ axis: 2 }).waitToRead()).toThrow(mx.IsotensorError);
    expect(() => nd.ones([2, 3]).sum({ axis: 2 }).waitToRead()).toThrow(/sum.*'axis'.*\(2,3\)/);
    expect(() => nd.ones([2, 3]).argmax({ axis: -3 }).waitToRead()).toThrow(/argmax.*'axis'/);
  });

  it('rejects duplicate axes and norms other than 1 and 2', () => {
    expect(() => nd.ones([2, 3]).sum({ axis: [1, -1] }).waitToRead()).toThrow(/duplicate/);
    expect(() => nd.ones([2, 3]).norm({ ord: 3 as 1 }).waitToRead()).toThrow(/norm.*'ord'/);
  });

  it('rejects max/min of an empty set', () => {
    expect(() => nd.zeros([0, 3]).max({ axis: 0 }).waitToRead()).toThrow(/max.*'data'.*\(0,3\)/);
  });
});
