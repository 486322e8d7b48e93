// Errors thrown in a browser are IsotensorErrors carrying op, argument and shapes, with the very text Node gives.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { errorCases, outcome, type Outcome } from './error-cases.mjs';

// Written by run.mjs from node-reference.mjs before the browsers start.
const res = await fetch('/build/browser-test/node-reference.json');
if (!res.ok) throw new Error(`node-reference.json: HTTP ${res.status} (run the suite through test/browser/run.mjs)`);
const node = (await res.json()) as { runtime: string; cases: Record<string, Outcome> };

beforeAll(async () => {
  await mx.ready();
});

describe(`error messages match Node (${node.runtime} backend)`, () => {
  for (const c of errorCases) {
    it(c.name, async () => {
      const want = node.cases[c.name];
      expect(want, 'Node reference for this case').toBeDefined();
      const got = await outcome(mx, c);
      expect(got.threw, 'threw').toBe(true);
      expect(got.isotensorError, 'is an mx.IsotensorError').toBe(true);
      for (const m of c.mentions) expect(got.message).toContain(m);
      expect(got.message).toBe(want.message);
    });
  }

  it('keeps working after the errors', async () => {
    expect(await mx.nd.dot(mx.nd.ones([2, 3]), mx.nd.ones([3, 2])).toArray()).toEqual([[3, 3], [3, 3]]);
  });
});
