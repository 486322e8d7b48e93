// Runs examples/edge-worker in a real workerd: cold start, answers against the fixture, per-request latency.
// SPDX-License-Identifier: Apache-2.0
//
//   node --test test/runtimes/workerd.test.mjs
// ISOTENSOR_PACKAGE_DIR picks the isotensor package the worker bundles (run.mjs passes the packed tarball's
// install); by default this checkout, whose dist/ and wasm/dist/ have the package's layout.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const example = join(repo, 'examples/edge-worker');
const fixtures = join(repo, 'test/fixtures/edge-model');
const workerdBin = join(repo, 'node_modules/.bin/workerd');
const packageDir = resolve(process.env.ISOTENSOR_PACKAGE_DIR ?? repo);
const samples = JSON.parse(readFileSync(join(fixtures, 'samples.json'), 'utf8'));

const READY_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 5_000;
const LATENCY_REQUESTS = 50;

/** The layout config.capnp expects: worker.mjs, model/, node_modules/isotensor (a link to the package). */
function assembleWorkerDir() {
  const dir = mkdtempSync(join(tmpdir(), 'isotensor-edge-'));
  for (const f of ['worker.mjs', 'config.capnp']) copyFileSync(join(example, f), join(dir, f));
  mkdirSync(join(dir, 'model'));
  for (const f of [samples.model.symbol, samples.model.params]) copyFileSync(join(fixtures, f), join(dir, 'model', f));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(packageDir, join(dir, 'node_modules/isotensor'), 'dir');
  return dir;
}

/** A port that was free a moment ago (workerd binds it itself; a lost race shows up as a failed start). */
function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function request(path, init = {}) {
  return fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

let dir, child, base, stderr = '', exited = null, coldStartMs, firstInfo;

before(async () => {
  assert.ok(existsSync(workerdBin), `${workerdBin} is missing: npm install (workerd is a devDependency)`);
  assert.ok(existsSync(join(packageDir, 'dist/infer.edge.mjs')), `${packageDir} has no dist/infer.edge.mjs: build first`);
  dir = assembleWorkerDir();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const spawned = performance.now();
  child = spawn(workerdBin, ['serve', 'config.capnp', '-s', `http=127.0.0.1:${port}`], {
    cwd: dir, stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.on('data', (d) => { if (stderr.length < 20_000) stderr += d; });
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  child.on('error', (e) => { exited = { error: e.message }; });
  // Cold start: from spawning the process to the first good answer; GET / also loads the wasm core and the model.
  for (;;) {
    if (exited !== null) throw new Error(`workerd exited (${JSON.stringify(exited)}) before answering:\n${stderr}`);
    if (performance.now() - spawned > READY_TIMEOUT_MS) throw new Error(`workerd did not answer in ${READY_TIMEOUT_MS} ms:\n${stderr}`);
    let r = null;
    try {
      r = await request('/');
    } catch {
      // not listening yet (or it is going down: the exit check above reports that)
    }
    if (r !== null) {
      if (!r.ok) throw new Error(`GET / answered ${r.status}: ${await r.text()}\n${stderr}`);
      firstInfo = await r.json();
      coldStartMs = performance.now() - spawned;
      break;
    }
    await sleep(5);
  }
});

after(async () => {
  if (child && exited === null) {
    child.kill('SIGTERM');
    const deadline = Date.now() + 2000;
    while (exited === null && Date.now() < deadline) await sleep(20);
    if (exited === null) child.kill('SIGKILL');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});
// Also when the runner is interrupted: never leave a workerd behind.
process.once('exit', () => { if (child && exited === null) child.kill('SIGKILL'); });

test('GET / reports the single-thread WebAssembly backend and the model', () => {
  assert.equal(firstInfo.runtime.backend, 'wasm');
  assert.equal(firstInfo.runtime.wasmFlavour, 'single');
  assert.equal(firstInfo.runtime.simd, 'simd128');
  assert.deepEqual(firstInfo.model.arguments, ['data', 'dense0_weight', 'dense0_bias', 'dense1_weight', 'dense1_bias']);
  assert.ok(coldStartMs > 0 && coldStartMs < READY_TIMEOUT_MS);
});

test('POST /predict classifies the fixture digits as the native backend did', async () => {
  const r = await request('/predict', { method: 'POST', body: JSON.stringify({ pixels: samples.pixels }) });
  assert.equal(r.status, 200);
  const out = await r.json();
  assert.deepEqual(out.classes, samples.classes);
  out.probabilities.flat().forEach((p, i) => {
    const want = samples.probabilities.flat()[i];
    assert.ok(Math.abs(p - want) <= 1e-4, `probability ${i}: ${p} vs ${want}`);
  });
});

test(`per-request latency over ${LATENCY_REQUESTS} single-digit requests`, async () => {
  const times = [], roundTrips = [];
  for (let i = 0; i < LATENCY_REQUESTS; i++) {
    const k = i % samples.pixels.length;
    let t = performance.now();
    const r = await request('/predict', { method: 'POST', body: JSON.stringify({ pixels: samples.pixels[k] }) });
    const out = await r.json();
    times.push(performance.now() - t);
    assert.equal(r.status, 200, JSON.stringify(out));
    assert.deepEqual(out.classes, [samples.classes[k]]);
    // The same HTTP round trip without the model (a 404 route), to tell the network from the inference.
    t = performance.now();
    await (await request('/nowhere')).arrayBuffer();
    roundTrips.push(performance.now() - t);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const result = { coldStartMs: +coldStartMs.toFixed(1), medianMs: +median(times).toFixed(2),
    p90Ms: +sorted[Math.floor(0.9 * (sorted.length - 1))].toFixed(2), roundTripMedianMs: +median(roundTrips).toFixed(2),
    requests: times.length };
  // run.mjs reads this line.
  console.log('ISOTENSOR_WORKERD ' + JSON.stringify(result));
});

test('a malformed request gets a 400 that says what is expected', async () => {
  const r = await request('/predict', { method: 'POST', body: JSON.stringify({ pixels: [1, 2, 3] }) });
  assert.equal(r.status, 400);
  assert.match((await r.json()).error, /64 finite numbers/);
  assert.equal((await request('/nowhere')).status, 404);
});
