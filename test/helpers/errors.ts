// Assertions on the library's errors, shared by the specs.
import { expect } from 'vitest';
import * as mx from 'isotensor';

type Part = string | RegExp;

/** Asserts fn throws an IsotensorError (an Error with a real message) whose message contains
 * (string) or matches (RegExp) every part; parts may also come as one array. Returns the message. */
export function expectError(fn: () => unknown, ...given: Array<Part | readonly Part[]>): string {
  const parts = given.flat() as Part[];
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an IsotensorError, nothing was thrown').not.toBeNull();
  expect(err).toBeInstanceOf(mx.IsotensorError);
  expect(err).toBeInstanceOf(Error);
  const msg = String((err as Error).message);
  expect(msg.length).toBeGreaterThan(10);
  for (const p of parts) {
    if (typeof p === 'string') expect(msg).toContain(p);
    else expect(msg).toMatch(p);
  }
  return msg;
}
