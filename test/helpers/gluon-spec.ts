// The setup the Gluon specs share: the runtime ready and the backend announced before the first test, a
// scratch folder removed after the last, and the small host-side helpers they compare results with.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from './backend';

export { fresh } from './symbol';

/** An NDArray's values as plain numbers (float32 read back). */
export const host = (a: any): number[] => Array.from(a.dataSync() as Float32Array);

/** The largest |a[i] - b[i]|. */
export const maxDiff = (a: number[], b: number[]): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

/**
 * Registers the spec's beforeAll (mx.ready(), announceBackend(spec)) and afterAll hooks; returns a fresh
 * scratch folder, named after tmpPrefix, that afterAll removes.
 */
export function gluonSpec(spec: string, tmpPrefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), tmpPrefix));
  beforeAll(async () => {
    await mx.ready();
    announceBackend(spec);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
