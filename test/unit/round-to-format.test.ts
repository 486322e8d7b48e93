// round_to_format: values rounded to a narrow format's grid (float8, float4, int4, int2), checked
// against ml_dtypes (test/fixtures/gen_round_to_format.py) in float32 and float64, through NDArray
// and Symbol, with bad input.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const { nd, sym } = mx;
interface Case { format: string; saturate: boolean; round_mode?: string; x: (number | string)[]; y: (number | string)[] }
const cases = (JSON.parse(readFileSync(new URL('../fixtures/round_to_format.json', import.meta.url), 'utf8')) as { cases: Case[] }).cases;
const num = (v: number | string): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));
const label = (c: Case): string => `${c.format} saturate=${c.saturate}${c.round_mode ? ` ${c.round_mode}` : ''}`;
// The fixture names formats as strings; the generated option types list them.
const params = (c: Case) => ({ format: c.format, saturate: c.saturate, roundMode: c.round_mode ?? 'up' }) as never;

function expectSame(got: ArrayLike<number>, want: number[], what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w)) expect(Number.isNaN(g), `${what}[${i}]: ${g}, expected NaN`).toBe(true);
    else expect(g, `${what}[${i}]`).toBe(w);
  }
}

/** An array's values as plain numbers (int64 included). */
const nums = (x: any): number[] => Array.from(x.dataSync() as ArrayLike<number | bigint>, Number);

beforeAll(async () => {
  await mx.ready();
});

describe('round_to_format against ml_dtypes', () => {
  for (const c of cases) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${label(c)} ${dtype}`, () => {
        const x = nd.array(c.x.map(num), { dtype });
        const y = nd.round_to_format(x, params(c));
        expect(y.dtype).toBe(dtype);
        expectSame(nums(y), c.y.map(num), label(c));
      });
    }
  }

  it('float16 and bfloat16 inputs round their own values (then store them back)', () => {
    const c = cases.find((k) => k.format === 'float8e5m2' && k.saturate)!;
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const x = nd.array(c.x.map(num), { dtype });
      const viaF64 = nd.round_to_format(x.astype('float64'), { format: 'float8e5m2' }).astype(dtype);
      const y = nd.round_to_format(x, { format: 'float8e5m2' });
      expect(y.dtype).toBe(dtype);
      expectSame(nums(y), nums(viaF64), dtype);
    }
  });

  it('runs in a Symbol graph', () => {
    const c = cases.find((k) => k.format === 'int4')!;
    const data = sym.var('data');
    const out = sym.round_to_format(data, { format: 'int4' });
    const x = nd.array(c.x.map(num));
    const ex = out.bind(mx.cpu(), { data: x });
    const [y] = ex.forward();
    expectSame(nums(y!), c.y.map(num), 'int4 symbol');
  });
});

describe('round_to_format bad input', () => {
  it('names the op and the argument', () => {
    expectError(() => nd.round_to_format(nd.array([1, 2], { dtype: 'int32' }), { format: 'int4' }).waitToRead(),
                'round_to_format', 'data');
    expectError(() => nd.round_to_format(nd.array([1, 2]), { format: 'float7' } as never).waitToRead(), 'round_to_format', 'format');
    expectError(() => nd.round_to_format(nd.array([1, 2]), { format: 'int4', roundMode: 'sideways' } as never).waitToRead(),
                'round_to_format', 'round_mode');
    // The library keeps working after the errors.
    expect(Array.from(nd.round_to_format(nd.array([1.2, -9]), { format: 'int4' }).dataSync())).toEqual([1, 7]);
  });
});
