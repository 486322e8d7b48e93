// The NumPy fixture files of the operator specs (test/fixtures/<name>.json, written by gen_<name>.py):
// their case types, arrays made from them, and the calls and checks the specs share.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import * as mx from 'isotensor';

const { nd } = mx;
type Arr = any;
const ops = nd as unknown as Record<string, (...args: unknown[]) => Arr>;

/** JSON has no NaN or infinity: generators that need them write them as strings (V = FixtureValue). */
export type FixtureValue = number | 'nan' | 'inf' | '-inf';
export interface FixtureArray<V extends FixtureValue = number> { shape: number[]; dtype: string; data: V[] }
/** One forward case: the op (MXNet name), its inputs, params in the TS spelling, the expected outputs. */
export interface FixtureCase<V extends FixtureValue = number> {
  name: string;
  op: string;
  inputs: FixtureArray<V>[];
  params: Record<string, unknown>;
  expected: FixtureArray<V>[];
}
/** A call that must fail: inputs of these shapes and params, and substrings of the message. */
export interface FixtureErrorCase {
  name: string;
  op: string;
  inputs: { shape: number[]; dtype: string }[];
  params: Record<string, unknown>;
  match: string[];
}

/** test/fixtures/<file>, parsed (by default its forward `cases` and `errors`). */
export function loadFixtures<T = { cases: FixtureCase[]; errors: FixtureErrorCase[] }>(file: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url)), 'utf8')) as T;
}

export const decode = (v: FixtureValue): number =>
  v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v;

export const fromFixture = (a: FixtureArray<FixtureValue>): Arr => nd.array(a.data.map(decode), { shape: a.shape, dtype: a.dtype });

/** An array's values as numbers (int64 ones too). */
export const values = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number | bigint>, Number);

/** nd.<op>(...inputs, params), params left out when empty. */
export function callOp(op: string, inputs: Arr[], params: Record<string, unknown>): Arr {
  const fn = ops[op];
  expect(typeof fn, `nd.${op} should be a function`).toBe('function');
  return Object.keys(params).length ? fn(...inputs, params) : fn(...inputs);
}

/** Shape, dtype and exact values. */
export function expectArray(x: Arr, shape: number[], dtype: string, data: number[]): void {
  expect(x.shape).toEqual(shape);
  expect(x.dtype).toBe(dtype);
  expect(values(x)).toEqual(data);
}

/** Fixture params (MXNet's snake_case names) as the TS API's camelCase options. */
export const camelKeys = (p: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), v]));

const closeTolerance: Record<string, number> = { float16: 4e-3, float32: 2e-6, float64: 1e-12 };

/**
 * Shape, dtype and values within the dtype's relative tolerance (NaN where NaN is wanted; any other NaN fails);
 * `tolerances` replaces the default table where an op's sums need looser bounds.
 */
export function expectClose(x: Arr, shape: number[], dtype: string, want: number[], what = '',
                            tolerances: Record<string, number> = closeTolerance): void {
  expect(x.shape, what).toEqual(shape);
  expect(x.dtype, what).toBe(dtype);
  const got = values(x);
  expect(got.length, what).toBe(want.length);
  const tol = tolerances[dtype] ?? 1e-6;
  got.forEach((v, i) => {
    if (Number.isNaN(want[i]!) && Number.isNaN(v)) return;
    if (!(Math.abs(v - want[i]!) <= tol * (1 + Math.abs(want[i]!))))
      expect.fail(`${what} element ${i}: got ${v}, want ${want[i]}`);
  });
}

/**
 * MXNet 1.9 symbol JSON of one op node fed by variables named `inputs`, its first output the head;
 * `numOutputs` counts the node's outputs, hidden ones included (node_row_ptr).
 */
export function singleOpJSON(op: string, attrs: Record<string, string>, inputs: string[], numOutputs = 1): string {
  return JSON.stringify({
    nodes: [
      ...inputs.map((name) => ({ op: 'null', name, inputs: [] })),
      { op, name: 'op0', attrs, inputs: inputs.map((_, i) => [i, 0, 0]) },
    ],
    arg_nodes: inputs.map((_, i) => i),
    node_row_ptr: [...inputs.map((_, i) => i), inputs.length, inputs.length + numOutputs],
    heads: [[inputs.length, 0, 0]],
    attrs: { mxnet_version: ['int', 10901] },
  });
}

/** Runs fn (reading its results, where kernel-time errors surface) and returns the IsotensorError's message. */
export function errorOf(fn: () => Arr): string {
  try {
    const r = fn();
    (Array.isArray(r) ? r : [r]).forEach((a: Arr) => a.dataSync());
  } catch (e) {
    expect(e).toBeInstanceOf(mx.IsotensorError);
    return (e as Error).message;
  }
  expect.fail('the call should have thrown');
}

/** One spec per fixture error case: the call raises an IsotensorError whose message holds every `match`. */
export function itRaisesFixtureErrors(errors: readonly FixtureErrorCase[], name = (c: FixtureErrorCase) => c.name): void {
  for (const c of errors) {
    it(name(c), () => {
      mx.scope(() => {
        const inputs = c.inputs.map((s) => nd.zeros(s.shape, { dtype: s.dtype as never }));
        const message = errorOf(() => callOp(c.op, inputs, c.params));
        for (const m of c.match) expect(message).toContain(m);
      });
    });
  }
}
