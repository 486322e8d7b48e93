// Helpers of the gradient specs (grad-elemwise, grad-reduce): the elemwise_extra.json fixtures,
// value generators away from kinks, second-order gradient checks and error assertions.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import * as mx from 'isotensor';
import { pseudoRandom, randomArray, opsRunDuring, recordGradCheck } from './gradcheck';

const { nd, autograd } = mx;
type Arr = any;

type Value = number | string;
export interface ArraySpec { dtype: string; shape: number[]; data: Value[] }
export interface ExtraCase {
  name: string;
  op: string;
  params: Record<string, unknown>;
  inputs: ArraySpec[];
  outputs: ArraySpec[];
  rtol: number;
  atol: number;
}

/** The cases of test/fixtures/elemwise_extra.json (made by gen_elemwise_extra.py) for `ops`. */
export function extraCases(ops: ReadonlySet<string>): ExtraCase[] {
  const all = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/elemwise_extra.json', import.meta.url)),
    'utf8')) as { cases: ExtraCase[] };
  return all.cases.filter((c) => ops.has(c.op));
}

function decode(v: Value): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return v as number;
}

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function makeArray(spec: ArraySpec): Arr {
  const vals = spec.data.map(decode);
  let data: ArrayLike<number> | BigInt64Array | BigUint64Array;
  switch (spec.dtype) {
    case 'float64': data = Float64Array.from(vals); break;
    case 'int8': data = Int8Array.from(vals); break;
    case 'uint8': case 'bool': data = Uint8Array.from(vals); break;
    case 'int16': data = Int16Array.from(vals); break;
    case 'uint16': data = Uint16Array.from(vals); break;
    case 'int32': data = Int32Array.from(vals); break;
    case 'uint32': data = Uint32Array.from(vals); break;
    case 'int64': data = BigInt64Array.from(vals.map((x) => BigInt(x))); break;
    case 'uint64': data = BigUint64Array.from(vals.map((x) => BigInt(x))); break;
    default: data = Float32Array.from(vals);  // float32; float16 / bfloat16 convert from it
  }
  return nd.array(data as any, { shape: spec.shape, dtype: spec.dtype } as any);
}

function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** dataSync() as plain numbers (BigInt and raw 16-bit float storage decoded). */
export function values(x: Arr): number[] {
  const data = x.dataSync();
  const raw16 = data instanceof Uint16Array && (x.dtype === 'float16' || x.dtype === 'bfloat16');
  return Array.from(data as ArrayLike<number | bigint>, (v) => {
    if (!raw16) return Number(v);
    if (x.dtype === 'float16') return halfToNumber(Number(v));
    return new Float32Array(new Uint32Array([Number(v) << 16]).buffer)[0]!;
  });
}

/** Runs a fixture case through nd.<op> and compares dtype, shape and values of every output. */
export function runExtraCase(c: ExtraCase): void {
  const fn = (nd as any)[c.op];
  expect(fn, `nd.${c.op} exists`).toBeTypeOf('function');
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.params)) opts[camel(k)] = v;
  const r = Object.keys(opts).length ? fn(...c.inputs.map(makeArray), opts) : fn(...c.inputs.map(makeArray));
  const outs: Arr[] = Array.isArray(r) ? r : [r];
  expect(outs.length).toBe(c.outputs.length);
  c.outputs.forEach((spec, k) => {
    const what = `${c.name} output ${k}`;
    expect(outs[k].dtype, `${what} dtype`).toBe(spec.dtype);
    expect(outs[k].shape, `${what} shape`).toEqual(spec.shape);
    const got = values(outs[k]);
    const want = spec.data.map(decode);
    expect(got.length, `${what} size`).toBe(want.length);
    const isFloat = ['float16', 'bfloat16', 'float32', 'float64'].includes(spec.dtype);
    want.forEach((w, i) => {
      const g = got[i]!;
      if (!isFloat || !Number.isFinite(w)) {
        if (Number.isNaN(w)) expect(Number.isNaN(g), `${what}[${i}] is NaN (got ${g})`).toBe(true);
        else expect(g, `${what}[${i}]`).toBe(w);
      } else {
        expect(Math.abs(g - w), `${what}[${i}]: got ${g}, want ${w}`).toBeLessThanOrEqual(c.atol + c.rtol * Math.abs(w));
      }
    });
  });
}

/** float64 values uniform in [lo, hi). */
export function uniform(shape: number[], lo: number, hi: number, seed = 1): Arr {
  return randomArray(shape, seed, (hi - lo) / 2, (hi + lo) / 2);
}

/** float64 values with |v| in [lo, hi) and either sign: away from a kink at 0. */
export function awayFromZero(shape: number[], lo: number, hi: number, seed = 1): Arr {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = pseudoRandom(n, seed).map((u) => Math.sign(u || 1) * (lo + Math.abs(u) * (hi - lo)));
  return nd.array(v, { shape, dtype: 'float64' });
}

/** float64 array of the given values and shape. */
export function f64(data: number[], shape: number[] = [data.length]): Arr {
  return nd.array(data, { shape, dtype: 'float64' });
}

/**
 * Second-order check: with g(x) = d<f(x), w1>/dx built with createGraph, the gradient of
 * <g(x), w2> from backward against central differences of <g(x), w2> (g from first-order
 * autograd). f maps one float64 array to one array.
 */
export function checkSecondOrder(name: string, f: (x: Arr) => Arr, x0: Arr,
                                 opts: { eps?: number; rtol?: number; atol?: number } = {}): void {
  const eps = opts.eps ?? 1e-5;
  const rtol = opts.rtol ?? 1e-4;
  const atol = opts.atol ?? 1e-6;
  mx.scope(() => {
    const shapeOut = mx.scope(() => f(x0.copy()).shape as number[]);
    const w1 = randomArray(shapeOut, 201);
    const w2 = randomArray(x0.shape, 202);
    const x = x0.copy();
    x.attachGrad();
    const [g, ran] = opsRunDuring(() =>
      autograd.record(() => autograd.grad(f(x), [x], { headGrads: [w1], createGraph: true })[0]));
    g.backward(w2);
    const analytic = values(x.grad);
    const w2v = values(w2);
    const base = values(x0);
    const objective = (p: number[]): number => mx.scope(() => {
      const xv = nd.array(p, { shape: x0.shape, dtype: 'float64' });
      xv.attachGrad();
      const y = autograd.record(() => f(xv));
      y.backward(w1);
      const gv = values(xv.grad);
      return gv.reduce((s, v, i) => s + v * w2v[i]!, 0);
    });
    for (let e = 0; e < base.length; e++) {
      const p = base.slice();
      p[e] = base[e]! + eps;
      const up = objective(p);
      p[e] = base[e]! - eps;
      const numeric = (up - objective(p)) / (2 * eps);
      const a = analytic[e]!;
      if (Math.abs(a - numeric) > atol + rtol * Math.max(Math.abs(a), Math.abs(numeric))) {
        expect.fail(`${name}: second-order [${e}] autograd ${a} vs finite difference ${numeric}`);
      }
    }
    ran.forEach(recordGradCheck);
  });
}

export { expectError } from './errors';
