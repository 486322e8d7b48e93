// `npm pack` of this repository into a folder: the tarball users install, as the package tests (test/dist,
// test/runtimes) and the size report (bench/sizes.mjs) see it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

/**
 * Packs the package into `dir`. Returns npm's report — { filename, size, unpackedSize, entryCount, files } —
 * plus `tarball`, the file's path; throws with npm's output when packing fails.
 */
export function packTarball(dir) {
  const r = spawnSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`npm pack failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  const report = JSON.parse(r.stdout)[0];
  return { ...report, tarball: join(dir, report.filename) };
}
