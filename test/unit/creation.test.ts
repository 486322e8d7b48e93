// Creation ops: nd.zeros/ones/full/arange/eye, the *Like helpers and the registered _zeros,
// _ones, _full, _arange, _linspace, _eye ops against NumPy references (test/fixtures/reduce.json).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';

const { nd } = mx;
beforeAll(() => mx.ready());

type Num = number | string;
interface FixtureCase {
  name: string; op: string; params: Record<string, unknown>;
  output: { shape: number[]; dtype: string; data: Num[] }; rtol: number;
}
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/reduce.json', import.meta.url)), 'utf8')) as {
  cases: FixtureCase[];
};
const CREATION_OPS = new Set(['_zeros', '_ones', '_full', '_arange', '_linspace', '_eye']);

function flat(x: mx.NDArray): number[] {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(typeof v === 'boolean' ? Number(v) : Number(v as number | bigint));
  };
  walk(x.toArraySync());
  return out;
}

describe('creation ops match NumPy (fixtures)', () => {
  const cases = fixture.cases.filter((c) => CREATION_OPS.has(c.op));
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const fn = (nd as unknown as Record<string, (o: unknown) => mx.NDArray>)[c.op]!;
    const y = fn(c.params);
    expect(y.shape).toEqual(c.output.shape);
    expect(y.dtype).toBe(c.output.dtype);
    const got = flat(y);
    const want = c.output.data.map(Number);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      expect(Math.abs(got[i]! - want[i]!), `${c.name} [${i}]`).toBeLessThanOrEqual(c.rtol * Math.abs(want[i]!) + (c.rtol ? 1e-6 : 0));
    }
  });
});

describe('nd creation helpers', () => {
  it('zeros, ones and full take a shape and { ctx, dtype }', () => {
    const z = nd.zeros([2, 3]);
    expect(z.shape).toEqual([2, 3]);
    expect(z.dtype).toBe('float32');
    expect(Array.from(z.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    const o = nd.ones([2, 2], { dtype: 'int32' });
    expect(o.dtype).toBe('int32');
    expect(Array.from(o.dataSync())).toEqual([1, 1, 1, 1]);
    const f = nd.full([3], 7.5, { dtype: 'float64' });
    expect(f.dtype).toBe('float64');
    expect(Array.from(f.dataSync())).toEqual([7.5, 7.5, 7.5]);
    expect(nd.zeros([2], { ctx: mx.cpu() }).context.toString()).toBe('cpu(0)');
  });

  it('makes 0-d and empty arrays', () => {
    const s = nd.ones([]);
    expect(s.shape).toEqual([]);
    expect(s.size).toBe(1);
    expect(s.asScalar()).toBe(1);
    const e = nd.zeros([0, 4]);
    expect(e.shape).toEqual([0, 4]);
    expect(e.dataSync().length).toBe(0);
  });

  it('arange follows NumPy with MXNet repeat', () => {
    expect(Array.from(nd.arange(0, 10).dataSync())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(nd.arange(5).dataSync())).toEqual([0, 1, 2, 3, 4]);
    const odd = nd.arange(1, 10, 2, { dtype: 'int32' });
    expect(odd.dtype).toBe('int32');
    expect(Array.from(odd.dataSync())).toEqual([1, 3, 5, 7, 9]);
    expect(Array.from(nd.arange(0, 3, 1, { repeat: 2 }).dataSync())).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Array.from(nd.arange(3, 0, -1).dataSync())).toEqual([3, 2, 1]);
    const frac = nd.arange(0, 1, 0.25);
    expect(Array.from(frac.dataSync())).toEqual([0, 0.25, 0.5, 0.75]);
  });

  it('eye puts ones on the k-th diagonal', () => {
    expect(nd.eye(3).toArraySync()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(nd.eye(2, { M: 3, k: 1 }).toArraySync()).toEqual([[0, 1, 0], [0, 0, 1]]);
    expect(nd.eye(3, { k: -1, dtype: 'int32' }).toArraySync()).toEqual([[0, 0, 0], [1, 0, 0], [0, 1, 0]]);
  });

  it('zerosLike, onesLike and fullLike copy shape, dtype and context', () => {
    const x = nd.array([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    const z = nd.zerosLike(x);
    expect(z.shape).toEqual([2, 3]);
    expect(z.dtype).toBe('float64');
    expect(Array.from(nd.onesLike(x).dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(nd.fullLike(x, 2.5).dataSync())).toEqual([2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
  });

  it('exposes the registered ops under their MXNet names', () => {
    expect(Array.from(nd.zeros_like(nd.ones([2])).dataSync())).toEqual([0, 0]);
    expect(Array.from(nd.ones_like(nd.zeros([2], { dtype: 'int8' })).dataSync())).toEqual([1, 1]);
    expect(Array.from(nd._linspace({ start: 0, stop: 1, num: 5 }).dataSync())).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
});

describe('creation errors', () => {
  it('rejects negative dimensions, naming the op and the shape argument', () => {
    let err: unknown;
    try {
      nd._zeros({ shape: [2, -1] }).waitToRead();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(mx.IsotensorError);
    expect((err as Error).message).toMatch(/shape/);
  });

  it('rejects a zero step and an inverted range', () => {
    expect(() => nd.arange(0, 5, 0).waitToRead()).toThrow(mx.IsotensorError);
    expect(() => nd.arange(0, 5, 0).waitToRead()).toThrow(/_arange.*'step'/);
    expect(() => nd.arange(5, 0, 1).waitToRead()).toThrow(/_arange.*'stop'/);
  });

  it('rejects unknown dtypes', () => {
    expect(() => nd.zeros([2], { dtype: 'float7' as mx.DType }).waitToRead()).toThrow(mx.IsotensorError);
  });

  it('names a shape or array argument of the wrong type (no TypeError from inside the library)', () => {
    const x = nd.ones([2, 3]);
    const bad = (v: unknown): never => v as never;
    expect(() => nd.zeros(bad(undefined))).toThrow(/nd.zeros: shape must be a number or an array of them, got undefined/);
    expect(() => nd.ones(bad({}))).toThrow(/nd.ones: shape must be .* got object/);
    expect(() => nd.empty(bad('3'))).toThrow(/nd.empty: shape must be .* got string/);
    expect(() => nd.zerosLike(bad(undefined))).toThrow(/nd.zerosLike: x must be an NDArray, got undefined/);
    expect(() => x.reshape(bad(undefined))).toThrow(/reshape: shape must be integers .* got undefined; array shape \(2, 3\)/);
    expect(() => x.reshape(2.5, 3)).toThrow(/reshape: .* got 2.5, 3/);
    expect(() => x.sharesMemoryWith(bad({}))).toThrow(/sharesMemoryWith: other must be an NDArray/);
    for (const f of [() => nd.zeros(bad(null)), () => x.reshape(bad({})), () => nd.onesLike(bad(3))]) {
      expect(f).toThrow(mx.IsotensorError);
    }
    expect(x.reshape([3, 2]).shape).toEqual([3, 2]);
    expect(x.reshape(-1).shape).toEqual([6]);
  });
});
