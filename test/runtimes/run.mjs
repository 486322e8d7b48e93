// Packs isotensor, installs the tarball in a temp folder and runs the smoke tests in Node, Deno, Bun and workerd.
// SPDX-License-Identifier: Apache-2.0
//
//   node test/runtimes/run.mjs [--keep]        (after the build: dist/ and wasm/dist/ must exist)
//
// The install is what users get (`exports` resolution, the install script with ISOTENSOR_SKIP_NATIVE=1, so
// every runtime runs WebAssembly). Prints each runtime's tests and its cold start (import → first op result;
// for workerd, process spawn → first answer), then, as its last line, `N passed, N failed`; exits 1 on failure.
// --keep leaves the temp folder (its path is printed) for poking at by hand.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packTarball } from '../../scripts/pack-tarball.mjs';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = (name) => join(repo, 'node_modules/.bin', name);
const keep = process.argv.includes('--keep');
const RUNNER_TIMEOUT_MS = 60_000;
const started = performance.now();
// The runs must not inherit a developer's ISOTENSOR_BACKEND/ISOTENSOR_WASM_FLAVOUR: each runtime's default is tested.
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ISOTENSOR_')));

/** Runs a command to completion with a time limit; kills its whole process group on timeout. */
function run(cmd, args, { cwd, env = {}, timeoutMs = RUNNER_TIMEOUT_MS } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env: { ...baseEnv, NO_COLOR: '1', ...env }, detached: true,
                                     stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutMs);
    child.on('error', (e) => { out += `\n${e.message}`; });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? 'timeout' : code, out, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** Passed/failed counts from a runner's summary (node TAP, deno, bun); null when it printed none. */
function counts(out) {
  const clean = out.replace(/\x1b\[[0-9;]*m/g, '');
  let m = /^# pass (\d+)\s*\n# fail (\d+)/m.exec(clean);                  // node --test-reporter=tap
  if (m) return { passed: +m[1], failed: +m[2] };
  m = /\b(\d+) passed \| (\d+) failed/.exec(clean);                       // deno test
  if (m) return { passed: +m[1], failed: +m[2] };
  const p = /^\s*(\d+) pass$/m.exec(clean), f = /^\s*(\d+) fail$/m.exec(clean);  // bun test
  if (p && f) return { passed: +p[1], failed: +f[1] };
  return null;
}

function marker(out, name) {
  const m = new RegExp(`${name} (\\{.*\\})`).exec(out);
  return m ? JSON.parse(m[1]) : null;
}

// ---- pack and install once ----
const dir = mkdtempSync(join(tmpdir(), 'isotensor-runtimes-'));
const cleanup = () => { if (!keep) rmSync(dir, { recursive: true, force: true }); };
process.once('SIGINT', () => { cleanup(); process.exit(130); });
let tarball;
try {
  tarball = packTarball(dir).filename;
} catch (e) {
  console.error(e.message);
  console.log('0 passed, 1 failed');
  cleanup();
  process.exit(1);
}
writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'isotensor-runtime-smoke', private: true, type: 'module' }));
const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball)],
  { cwd: dir, encoding: 'utf8', timeout: 90_000, env: { ...baseEnv, ISOTENSOR_SKIP_NATIVE: '1' } });
if (install.status !== 0) {
  console.error(`npm install of the tarball failed:\n${install.stderr}`);
  console.log('0 passed, 1 failed');
  cleanup();
  process.exit(1);
}
const installSeconds = (performance.now() - started) / 1000;
// The tests at the same relative places as in the repository: test/runtimes/ and test/fixtures/edge-model/.
mkdirSync(join(dir, 'test/runtimes'), { recursive: true });
mkdirSync(join(dir, 'test/fixtures/edge-model'), { recursive: true });
for (const f of ['smoke.test.mjs', 'require.test.cjs']) copyFileSync(join(repo, 'test/runtimes', f), join(dir, 'test/runtimes', f));
for (const f of ['samples.json', 'digits-mlp-symbol.json', 'digits-mlp-0000.params']) {
  copyFileSync(join(repo, 'test/fixtures/edge-model', f), join(dir, 'test/fixtures/edge-model', f));
}
console.log(`packed ${tarball} and installed it in ${dir} (${installSeconds.toFixed(1)} s)`);

// ---- the runtimes, one after another (the machine may have few cores) ----
const smoke = 'test/runtimes/smoke.test.mjs';
const runtimes = [
  { name: 'node', cmd: process.execPath, args: ['--test', '--test-reporter=tap', smoke], cwd: dir },
  { name: 'node (CommonJS)', cmd: process.execPath, args: ['--test', '--test-reporter=tap', 'test/runtimes/require.test.cjs'], cwd: dir },
  // --no-check: the file is JavaScript, and Deno's type check would want @types/node in the install.
  // Reading the wasm core and the fixtures is the only permission the package needs.
  { name: 'deno', cmd: bin('deno'), args: ['test', '--no-check', `--allow-read=${dir}`, smoke], cwd: dir },
  { name: 'bun', cmd: bin('bun'), args: ['test', `./${smoke}`], cwd: dir },
  { name: 'workerd', cmd: process.execPath, args: ['--test', '--test-reporter=tap', 'test/runtimes/workerd.test.mjs'], cwd: repo,
    env: { ISOTENSOR_PACKAGE_DIR: join(dir, 'node_modules/isotensor') } },
];

let passed = 0, failed = 0;
for (const r of runtimes) {
  const res = await run(r.cmd, r.args, { cwd: r.cwd, env: r.env });
  let c = counts(res.out);
  // A runner that crashed, timed out or failed without a summary counts as one failure.
  if (c === null || (res.code !== 0 && c.failed === 0)) c = { passed: c?.passed ?? 0, failed: (c?.failed ?? 0) + 1 };
  passed += c.passed;
  failed += c.failed;
  const smokeInfo = marker(res.out, 'ISOTENSOR_SMOKE'), edge = marker(res.out, 'ISOTENSOR_WORKERD');
  const detail = smokeInfo ? `${smokeInfo.backend}/${smokeInfo.flavour}, import → first op ${smokeInfo.importToFirstOpMs} ms ` +
                             `(process start → first op ${smokeInfo.processStartToFirstOpMs} ms)`
    : edge ? `spawn → first answer ${edge.coldStartMs} ms, /predict median ${edge.medianMs} ms (p90 ${edge.p90Ms} ms, ` +
             `${edge.requests} requests; bare HTTP round trip ${edge.roundTripMedianMs} ms)`
    : '';
  console.log(`${c.failed === 0 ? 'ok  ' : 'FAIL'} ${r.name.padEnd(16)} ${c.passed} passed, ${c.failed} failed ` +
              `in ${res.seconds.toFixed(1)} s${detail ? `; ${detail}` : ''}`);
  if (c.failed > 0) {
    console.log(`---- ${r.name} (exit ${res.code}): ${[r.cmd, ...r.args].join(' ')}\n${res.out.trimEnd()}\n----`);
  }
}
if (keep) console.log(`kept ${dir}`);
cleanup();
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
