// Cold start: time from `import` to the first op result, each run in a fresh Node process
// (bench/cold-start-child.mjs), for isotensor (wasm threads, wasm single, native) and the peers' equivalents
// (onnxruntime-web session creation + first run, tfjs-wasm setBackend + first op, onnxruntime-node); then the
// same in Chromium pages (bench/browser/cold-start-page.mjs), each run in a fresh browser context; and workerd
// (bench/workerd/), process spawn -> first answer, next to a worker without the library.
// Prints the medians and ratios (peer / isotensor: > 1 means isotensor starts faster) and writes
// bench/results/cold-start.{json,md}.
//
//   node bench/cold-start.mjs [--runs 7]
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkResult } from './lib/cold_start_case.mjs';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;

const CASES = ['iso-wasm-mt', 'iso-wasm-1t', 'iso-native', 'ort-web', 'tfjs-wasm', 'ort-node'];
const RATIOS = [['ort-web', 'iso-wasm-mt'], ['ort-web', 'iso-wasm-1t'], ['tfjs-wasm', 'iso-wasm-mt'],
  ['tfjs-wasm', 'iso-wasm-1t'], ['ort-node', 'iso-native']];

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = {};

/** `once()`'s results over `runs` timed runs, after one untimed run that warms the OS file cache. */
async function timedRuns(once) {
  const samples = [];
  for (let i = 0; i <= runs; i++) {
    const r = await once();
    if (i > 0) samples.push(r);
  }
  return samples;
}

/** Times case `id`: `once()` resolves to one run's fields (ms); results[id] gets each field's median or an error. */
async function measureCase(id, once) {
  process.stdout.write(`cold start ${id} … `);
  try {
    const samples = await timedRuns(once);
    results[id] = { runs: samples.length };
    for (const k of Object.keys(samples[0])) results[id][k] = median(samples.map((x) => x[k]));
    console.log(`${results[id].firstResultMs.toFixed(0)} ms`);
  } catch (e) {
    results[id] = { error: e.message.trim().split('\n').slice(-3).join(' ') };
    console.log(`skip (${results[id].error})`);
  }
}

/** One Node cold start in a fresh process: { importMs, firstResultMs, sinceProcessStartMs }. */
async function nodeColdStart(which) {
  const r = spawnSync(process.execPath, [`${benchDir}cold-start-child.mjs`, which], {
    encoding: 'utf8', cwd: benchDir, timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(r.stderr || r.error?.message || `exit ${r.status}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

for (const c of CASES) await measureCase(c, () => nodeColdStart(c));

// The same in Chromium: each run a fresh browser context (empty caches), the page served with COOP/COEP for
// the threads flavour and without for the rest. Skipped, with the reason, where Chromium or the peers are absent.
const BROWSER_CASES = [
  { id: 'browser iso-wasm-mt', page: 'isotensor', isolated: true },
  { id: 'browser iso-wasm-1t', page: 'isotensor', isolated: false },
  { id: 'browser ort-web', page: 'ort-web', isolated: false },
  { id: 'browser tfjs-wasm', page: 'tfjs-wasm', isolated: false },
];
RATIOS.push(['browser ort-web', 'browser iso-wasm-mt'], ['browser ort-web', 'browser iso-wasm-1t'],
  ['browser tfjs-wasm', 'browser iso-wasm-mt'], ['browser tfjs-wasm', 'browser iso-wasm-1t']);
CASES.push(...BROWSER_CASES.map((c) => c.id));
await measureBrowser();

// workerd (the Workers runtime, from npm): process spawn -> first HTTP answer, for a worker that initialises
// isotensor/infer and computes on its first request, and for a baseline worker with no library. The peers
// have no Workers build that imports its wasm as a module, so this row has no ratio.
const WORKERD_CASES = [{ id: 'workerd baseline (no library)', config: 'baseline.capnp' },
  { id: 'workerd iso-wasm-1t', config: 'config.capnp' }];
CASES.push(...WORKERD_CASES.map((c) => c.id));
await measureWorkerd();

async function measureWorkerd() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const bin = `${root}node_modules/.bin/workerd`;
  if (!existsSync(bin) || !existsSync(`${root}dist/infer.edge.mjs`)) {
    for (const c of WORKERD_CASES) results[c.id] = { error: 'node_modules/.bin/workerd or dist/infer.edge.mjs missing' };
    return;
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'isotensor-workerd-bench-'));
  try {
    for (const f of readdirSync(`${benchDir}workerd`)) copyFileSync(`${benchDir}workerd/${f}`, join(dir, f));
    copyFileSync(`${benchDir}lib/cold_start_case.mjs`, join(dir, 'cold_start_case.mjs'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules/isotensor'), 'dir');
    for (const c of WORKERD_CASES) {
      await measureCase(c.id, async () => ({ firstResultMs: await workerdFirstAnswer(bin, dir, c.config) }));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spawns workerd on a free port and polls until the first good answer; returns the milliseconds since spawn. */
async function workerdFirstAnswer(bin, dir, config) {
  const port = await new Promise((ok, fail) => {
    const srv = net.createServer().once('error', fail).listen(0, '127.0.0.1', () => {
      const { port: p } = srv.address();
      srv.close(() => ok(p));
    });
  });
  const t0 = performance.now();
  const child = spawn(bin, ['serve', config, '-s', `http=127.0.0.1:${port}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`workerd exited ${child.exitCode}: ${stderr}`);
      if (performance.now() - t0 > 15_000) throw new Error(`workerd did not answer in 15 s: ${stderr}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
        if (!r.ok) throw new Error(`workerd answered ${r.status}: ${await r.text()}`);
        checkResult(`workerd (${config})`, await r.json());
        return performance.now() - t0;
      } catch (e) {
        if (e instanceof TypeError || e.name === 'TimeoutError') {  // not listening yet
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        throw e;
      }
    }
  } finally {
    child.kill('SIGKILL');
  }
}

async function measureBrowser() {
  let chromium, startServers;
  try {
    ({ chromium } = await import('playwright-core'));
    ({ startServers } = await import('../test/browser/server.mjs'));
  } catch (e) {
    for (const c of BROWSER_CASES) results[c.id] = { error: `playwright-core unavailable: ${e.message}` };
    return;
  }
  let browser, servers;
  try {
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium' });
    servers = await startServers();
    for (const c of BROWSER_CASES) {
      const origin = (c.isolated ? servers.isolated : servers.plain).origin;
      await measureCase(c.id, async () => {
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          await page.goto(`${origin}/bench/browser/cold-start.html`);
          await page.waitForFunction(() => globalThis.pageReady === true, null, { timeout: 30_000 });
          const r = await page.evaluate((which) => globalThis.coldStart(which), c.page);
          return { firstResultMs: r.firstResultMs };
        } finally {
          await context.close();
        }
      });
    }
  } catch (e) {
    for (const c of BROWSER_CASES) results[c.id] ??= { error: `Chromium unavailable: ${e.message.split('\n')[0]}` };
  } finally {
    await browser?.close();
    await servers?.close();
  }
}

const fmt = (v) => (v === undefined ? '–' : v.toFixed(0));
const lines = ['| case | import (ms) | import → first result (ms) | process start → first result (ms) |', '|---|---|---|---|'];
for (const c of CASES) {
  const r = results[c];
  lines.push(r.error ? `| ${c} | skip: ${r.error} | | |` : `| ${c} | ${fmt(r.importMs)} | ${fmt(r.firstResultMs)} | ${fmt(r.sinceProcessStartMs)} |`);
  // (browser rows: the page's time from the start of the import; no process start to report)
}
lines.push('', '| ratio (peer / isotensor, import → first result) | value |', '|---|---|');
const ratios = {};
for (const [peer, iso] of RATIOS) {
  const p = results[peer], i = results[iso];
  if (p.error || i.error) continue;
  ratios[`${peer}/${iso}`] = p.firstResultMs / i.firstResultMs;
  lines.push(`| ${peer} / ${iso} | ${(p.firstResultMs / i.firstResultMs).toFixed(2)} |`);
}
const md = lines.join('\n');
console.log('\n' + md);
mkdirSync(`${benchDir}results`, { recursive: true });
const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version };
writeFileSync(`${benchDir}results/cold-start.json`, JSON.stringify({ date: new Date().toISOString(), machine, runs, results, ratios }, null, 2) + '\n');
writeFileSync(`${benchDir}results/cold-start.md`, `Cold start, Node ${process.version}, ${machine.cpus} cores, median of ${runs} fresh processes\n\n${md}\n`);
