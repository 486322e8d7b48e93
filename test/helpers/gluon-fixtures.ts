// Fixture arrays of the Gluon layer/rnn/loss specs: loading them and comparing results within a relative tolerance.
import { expect } from 'vitest';
import * as mx from 'isotensor';

export interface FixtureArray { shape: number[]; dtype: string; data: number[] }
type Arr = any;

/** An NDArray holding a fixture array. */
export const fromFixture = (a: FixtureArray): Arr => mx.nd.array(a.data, { shape: a.shape, dtype: a.dtype as 'float32' });

/** Asserts shape, dtype and every value within |got - want| / (1 + |want|) <= tol. */
export function expectClose(x: Arr, want: FixtureArray, tol: number, what: string): void {
  expect(x, `${what}: missing`).toBeTruthy();
  expect(x.shape, `${what}: shape`).toEqual(want.shape);
  expect(x.dtype, `${what}: dtype`).toBe(want.dtype);
  const got = Array.from(x.dataSync() as ArrayLike<number>, Number);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < got.length; ++i) {
    const err = Math.abs(got[i]! - want.data[i]!) / (1 + Math.abs(want.data[i]!));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${what}: worst error at ${at} (got ${got[at]}, want ${want.data[at]})`).toBeLessThanOrEqual(tol);
}
