// Elementwise ops through the public API, against the NumPy fixtures of
// test/fixtures/gen_elemwise.py (MXNet 1.9 semantics), on whichever backend the suite runs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';

type Value = number | string;
interface ArraySpec { dtype: string; shape: number[]; data: Value[] }
interface Case {
  name: string;
  op: string;
  params: Record<string, number | boolean | string>;
  inputs: ArraySpec[];
  output: ArraySpec;
  rtol: number;
  atol: number;
}

const fixtures: { cases: Case[] } = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/elemwise.json', import.meta.url)), 'utf8'),
);

const FLOAT_DTYPES = new Set(['float16', 'bfloat16', 'float32', 'float64']);

function decode(v: Value): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return v as number;
}

// The TypedArray JS has for a dtype; float16 / bfloat16 / bool data is given as float32 / uint8
// values and converted by nd.array.
function typedData(spec: ArraySpec): ArrayLike<number> | BigInt64Array | BigUint64Array {
  const vals = spec.data.map(decode);
  switch (spec.dtype) {
    case 'float64': return Float64Array.from(vals);
    case 'int8': return Int8Array.from(vals);
    case 'uint8': case 'bool': return Uint8Array.from(vals);
    case 'int16': return Int16Array.from(vals);
    case 'uint16': return Uint16Array.from(vals);
    case 'int32': return Int32Array.from(vals);
    case 'uint32': return Uint32Array.from(vals);
    case 'int64': return BigInt64Array.from(vals.map((x) => BigInt(x)));
    case 'uint64': return BigUint64Array.from(vals.map((x) => BigInt(x)));
    default: return Float32Array.from(vals); // float32, float16, bfloat16
  }
}

function makeArray(spec: ArraySpec) {
  return mx.nd.array(typedData(spec) as any, { shape: spec.shape, dtype: spec.dtype } as any);
}

function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

// dataSync() as plain numbers (BigInt and raw 16-bit float storage decoded).
function values(x: any): number[] {
  const data = x.dataSync();
  const out: number[] = [];
  const raw16 = data instanceof Uint16Array && (x.dtype === 'float16' || x.dtype === 'bfloat16');
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!raw16) out.push(Number(v));
    else if (x.dtype === 'float16') out.push(halfToNumber(v));
    else out.push(new Float32Array(new Uint32Array([v << 16]).buffer)[0]);
  }
  return out;
}

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function callOp(op: string, inputs: any[], params: Case['params']) {
  const fn = (mx.nd as any)[op];
  expect(fn, `nd.${op} exists`).toBeTypeOf('function');
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) opts[camel(k)] = v;
  return Object.keys(opts).length ? fn(...inputs, opts) : fn(...inputs);
}

function expectClose(got: number[], spec: ArraySpec, rtol: number, atol: number, what: string) {
  const want = spec.data.map(decode);
  expect(got.length, `${what}: size`).toBe(want.length);
  const isFloat = FLOAT_DTYPES.has(spec.dtype);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (!isFloat) {
      expect(g, `${what}[${i}]`).toBe(w);
    } else if (Number.isNaN(w)) {
      expect(Number.isNaN(g), `${what}[${i}] is NaN (got ${g})`).toBe(true);
    } else if (!Number.isFinite(w)) {
      expect(g, `${what}[${i}]`).toBe(w);
    } else {
      expect(Math.abs(g - w), `${what}[${i}]: got ${g}, want ${w}`).toBeLessThanOrEqual(
        atol + rtol * Math.abs(w),
      );
    }
  }
}

beforeAll(async () => {
  await mx.ready();
});

describe('elementwise ops match the NumPy fixtures', () => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const inputs = c.inputs.map(makeArray);
    const y = callOp(c.op, inputs, c.params);
    expect(y.dtype).toBe(c.output.dtype);
    expect(y.shape).toEqual(c.output.shape);
    expectClose(values(y), c.output, c.rtol, c.atol, c.name);
  });
});

describe('NDArray math methods use the same ops', () => {
  const { nd } = mx;

  it('add/sub/mul/div broadcast and take scalars', () => {
    const a = nd.array([[1, 2, 3], [4, 5, 6]]);
    const b = nd.array([10, 20, 30]);
    expect(Array.from(a.add(b).dataSync())).toEqual([11, 22, 33, 14, 25, 36]);
    expect(Array.from(a.sub(b).dataSync())).toEqual([-9, -18, -27, -6, -15, -24]);
    expect(Array.from(a.mul(2).dataSync())).toEqual([2, 4, 6, 8, 10, 12]);
    expect(Array.from(a.div(b).dataSync())).toEqual(
      Array.from(Float32Array.from([0.1, 0.1, 0.1, 0.4, 0.25, 0.2])),
    );
    expect(Array.from(nd.broadcast_add(a, b).dataSync())).toEqual([11, 22, 33, 14, 25, 36]);
    expect(Array.from(nd._plus_scalar(a, { scalar: 2 }).dataSync())).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('comparisons return 1/0 in the input dtype', () => {
    const a = nd.array([1, 2, 3], { dtype: 'int32' });
    const y = a.greater(2);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual([0, 0, 1]);
    const z = nd.broadcast_equal(nd.array([[1], [2]]), nd.array([1, 2, 3]));
    expect(z.shape).toEqual([2, 3]);
    expect(Array.from(z.dataSync())).toEqual([1, 0, 0, 0, 1, 0]);
  });

  it('unary methods and clip', () => {
    const x = nd.array([-1, 0, 2]);
    expect(Array.from(x.relu().dataSync())).toEqual([0, 0, 2]);
    expect(Array.from(x.abs().dataSync())).toEqual([1, 0, 2]);
    expect(Array.from(x.neg().dataSync())).toEqual([1, -0, -2]);
    expect(Array.from(x.square().dataSync())).toEqual([1, 0, 4]);
    expect(Array.from(nd.clip(x, { aMin: 0, aMax: 1 }).dataSync())).toEqual([0, 0, 1]);
  });

  it('where, Cast and astype', () => {
    const c = nd.array([1, 0, 1]);
    const y = nd.where(c, nd.array([1, 2, 3]), nd.array([-1, -2, -3]));
    expect(Array.from(y.dataSync())).toEqual([1, -2, 3]);
    const f = nd.array([300, -1, 11.1]);
    expect(Array.from(nd.Cast(f, { dtype: 'uint8' }).dataSync())).toEqual([44, 255, 11]);
    expect(nd.cast(f, { dtype: 'int32' }).dtype).toBe('int32');
    expect(f.astype('int32').dtype).toBe('int32');
  });

  it('works on 0-d and empty arrays', () => {
    const s = nd.array(new Float32Array([2]), { shape: [] } as any);
    const y = nd.broadcast_mul(s, nd.array([[1, 2], [3, 4]]));
    expect(y.shape).toEqual([2, 2]);
    expect(Array.from(y.dataSync())).toEqual([2, 4, 6, 8]);
    const e = nd.zeros([0, 3]);
    const z = nd.broadcast_add(e, nd.array([1, 2, 3]));
    expect(z.shape).toEqual([0, 3]);
    expect(z.dataSync().length).toBe(0);
  });
});

describe('bad inputs raise IsotensorError naming the op, argument and shapes', () => {
  const { nd } = mx;

  it('broadcast shapes that do not match', () => {
    const a = nd.zeros([2, 3]);
    const b = nd.zeros([4]);
    expect(() => nd.broadcast_add(a, b).dataSync()).toThrow(mx.IsotensorError);
    expect(() => nd.broadcast_add(a, b).dataSync()).toThrow(/broadcast_add.*\(2,3\).*\(4,\)/);
  });

  it('elemwise_* needs equal shapes', () => {
    expect(() => nd.elemwise_add(nd.zeros([2, 3]), nd.zeros([3, 2])).dataSync()).toThrow(
      /elemwise_add.*'rhs'.*\(2,3\).*\(3,2\)/,
    );
  });

  it('operands must share a dtype', () => {
    const a = nd.zeros([2], { dtype: 'float32' });
    const b = nd.zeros([2], { dtype: 'int32' });
    expect(() => nd.elemwise_mul(a, b).dataSync()).toThrow(mx.IsotensorError);
    expect(() => nd.broadcast_sub(a, b).dataSync()).toThrow(/dtypes float32 and int32 differ/);
  });

  it('where with a condition of the wrong shape', () => {
    const x = nd.zeros([2, 3]);
    expect(() => nd.where(nd.zeros([3]), x, x).dataSync()).toThrow(/where.*'condition'/);
  });

  it('params are checked', () => {
    const x = nd.zeros([2]);
    expect(() => nd.Cast(x, { dtype: 'float128' } as any).dataSync()).toThrow(mx.IsotensorError);
    expect(() => (nd as any).clip(x, { aMin: 0 }).dataSync()).toThrow(/clip.*a_max/);
  });
});
