// Vitest setup file: records which operators each test ran (and which got gradient checks) and
// writes build/test/coverage/<backend>/<spec>.json for scripts/ops-report.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import * as mx from 'isotensor';
import { backendName } from './backend';

type Counts = Record<string, Record<string, number>>;
interface Coverage { forward: Record<string, { tests: number; dtypes: string[] }>; grad: Record<string, number> }

const forward = new Map<string, { tests: number; dtypes: Set<string> }>();
let before: Counts | null = null;
let specPath = '';

function counts(): Counts | null {
  try {
    return mx.operator.callCounts();
  } catch {
    return null;  // mx.ready() not called yet in this spec
  }
}

beforeEach(() => {
  before = counts();
});

afterEach(() => {
  specPath ||= expect.getState().testPath ?? '';
  const after = counts();
  if (after === null) return;
  for (const [op, byType] of Object.entries(after)) {
    const prev = before?.[op] ?? {};
    const ran = Object.entries(byType).filter(([t, n]) => n > (prev[t] ?? 0)).map(([t]) => t);
    if (ran.length === 0) continue;
    const e = forward.get(op) ?? { tests: 0, dtypes: new Set<string>() };
    e.tests++;
    ran.forEach((t) => e.dtypes.add(t));
    forward.set(op, e);
  }
});

afterAll(() => {
  if (forward.size === 0 || !specPath) return;
  let dir: string;
  try {
    dir = `build/test/coverage/${process.env.ISOTENSOR_COVERAGE_RUN || backendName()}`;
  } catch {
    return;
  }
  const grad = (globalThis as { __istGradChecks?: Record<string, number> }).__istGradChecks ?? {};
  const out: Coverage = { forward: {}, grad };
  for (const [op, e] of forward) out.forward[op] = { tests: e.tests, dtypes: [...e.dtypes].sort() };
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/${basename(specPath).replace(/\.test\.ts$/, '')}.json`, JSON.stringify(out));
});
