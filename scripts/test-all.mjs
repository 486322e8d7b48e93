// Runs the unit specs once per backend (wasm threads, wasm single, native) and prints one closing line
// "N passed, N failed" summed over the runs; exits 1 if anything failed or nothing ran. When the addon
// has CUDA, a fourth native run swaps in the GPU kernels' CPU twins (ISOTENSOR_GPU_KERNELS_ON_CPU=1,
// op/device_compute.h) so the GPU code paths' logic is checked without a GPU. Then the package and
// runtime suites (SUITES below). Extra arguments go to vitest (e.g. a file filter) and skip the suites.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const runs = [
  { name: 'wasm-threads', env: { ISOTENSOR_BACKEND: 'wasm', ISOTENSOR_WASM_FLAVOUR: 'threads' } },
  { name: 'wasm-single', env: { ISOTENSOR_BACKEND: 'wasm', ISOTENSOR_WASM_FLAVOUR: 'single' } },
  { name: 'native', env: { ISOTENSOR_BACKEND: 'native' } },
];
try {
  const addon = createRequire(import.meta.url)('../bindings/build/isotensor.node');
  if (JSON.parse(addon.runtimeInfo()).cuda) {
    runs.push({ name: 'native-gpu-twins', env: { ISOTENSOR_BACKEND: 'native', ISOTENSOR_GPU_KERNELS_ON_CPU: '1',
                                                 ISOTENSOR_COVERAGE_RUN: 'native-gpu-twins' } });
  }
} catch {
  // no addon: the native run reports that itself
}
const outDir = 'build/test';
mkdirSync(outDir, { recursive: true });
const total = { passed: 0, failed: 0, skipped: 0 };
const lines = [];

for (const run of runs) {
  const json = `${outDir}/${run.name}.json`;
  rmSync(`${outDir}/coverage/${run.name}`, { recursive: true, force: true });
  rmSync(json, { force: true });
  console.log(`\n=== vitest: ${run.name} ===`);
  const r = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json',
    `--outputFile.json=${json}`, ...process.argv.slice(2)], {
    stdio: 'inherit', env: { ...process.env, ...run.env },
  });
  let passed = 0, failed = 0, skipped = 0;
  if (existsSync(json)) {
    const report = JSON.parse(readFileSync(json, 'utf8'));
    passed = report.numPassedTests;
    failed = report.numFailedTests;
    skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    // A spec file that fails to load has no failing test of its own: count it as one failure.
    for (const file of report.testResults ?? []) {
      const hasFailedTest = (file.assertionResults ?? []).some((t) => t.status === 'failed');
      if (file.status === 'failed' && !hasFailedTest) failed += 1;
    }
  }
  if (r.status !== 0 && failed === 0) failed += 1;  // vitest crashed or found no spec files
  total.passed += passed; total.failed += failed; total.skipped += skipped;
  lines.push(`${run.name}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

// Every registered op needs forward tests on each backend and, when differentiable, a gradient
// check (scripts/ops-report.mjs); counted as one more test. Skipped when a file filter was given.
if (process.argv.length <= 2) {
  const r = spawnSync('node', ['scripts/ops-report.mjs', '--check'], { stdio: 'inherit' });
  if (r.status === 0) total.passed += 1; else total.failed += 1;
  lines.push(`operator coverage: ${r.status === 0 ? 'passed' : 'failed'}`);
}

// The package and the other runtimes (each script prints "N passed, N failed" last): the npm tarball installed
// without a compiler, the shared specs in Chromium (page and worker, with and without cross-origin
// isolation), the browser digit demo, and Deno, Bun and workerd. All run the WebAssembly backend by nature.
const SUITES = [
  { name: 'package', script: 'test/dist/run.mjs' },
  { name: 'browser', script: 'test/browser/run.mjs' },
  { name: 'browser-digits', script: 'test/browser-digits/run.mjs' },
  { name: 'runtimes', script: 'test/runtimes/run.mjs' },
];
if (process.argv.length <= 2) {
  for (const suite of SUITES) {
    console.log(`\n=== ${suite.name}: node ${suite.script} ===`);
    const r = spawnSync('node', [suite.script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8',
                                                   timeout: 15 * 60_000 });
    process.stdout.write(r.stdout ?? '');
    const m = /(\d+) passed, (\d+) failed\s*$/.exec(r.stdout ?? '');
    let passed = m ? Number(m[1]) : 0, failed = m ? Number(m[2]) : 0;
    if (r.status !== 0 && failed === 0) failed = 1;  // crashed, timed out or printed no summary
    total.passed += passed; total.failed += failed;
    lines.push(`${suite.name}: ${passed} passed, ${failed} failed`);
  }
}

console.log('\n' + lines.join('\n'));
// The last line stays the plain "N passed, N failed" that CI reads; skips (GPU specs without a GPU,
// each printing why) are counted on the line before.
if (total.skipped) console.log(`${total.skipped} skipped`);
const summary = `${total.passed} passed, ${total.failed} failed`;
writeFileSync(`${outDir}/summary.txt`, summary + '\n');
console.log(summary);
process.exit(total.failed > 0 || total.passed === 0 ? 1 : 0);
