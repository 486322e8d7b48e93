// Runs the browser suite in Chromium (playwright-core): subset.mjs's specs in an isolated (COOP/COEP) page, an isolated
// module Worker, a plain page and a plain Worker. Prints each configuration's results and failures; the last line is
// `N passed, N failed`; exits 1 on any failure or when nothing ran.
//
//   node test/browser/run.mjs [--config=<name part>] [<spec name part> ...]
//   ISOTENSOR_CHROMIUM=<path> (default /usr/bin/chromium)   ISOTENSOR_BROWSER_LOG=all (forward every console line)
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { buildBrowserSuite, outDir } from './build.mjs';
import { STARTED_MARK } from './harness/protocol.mjs';
import { startServers } from './server.mjs';
import { allSpecs, configurations, specsFor } from './subset.mjs';

const LIMIT_MS = {
  total: 170_000,        // the whole run, build to browser close
  nodeReference: 60_000, // node-reference.mjs
  launch: 30_000,
  page: 20_000,          // goto + harness ready
  spec: 90_000,          // one spec file in one configuration
  close: 10_000,
};
const executablePath = process.env.ISOTENSOR_CHROMIUM || '/usr/bin/chromium';
const logAll = process.env.ISOTENSOR_BROWSER_LOG === 'all';
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const args = process.argv.slice(2);
const configFilter = args.find((a) => a.startsWith('--config='))?.slice('--config='.length);
const specFilters = args.filter((a) => !a.startsWith('--'));

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_ok, fail) => {
    timer = setTimeout(() => fail(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Output stops once the watchdog gave up, so its verdict stays the last line.
let gaveUp = false;
const say = (...parts) => {
  if (!gaveUp) console.log(...parts);
};
const indent = (text, pad) => String(text).split('\n').map((l) => pad + l).join('\n');

// Sums over the configurations run so far.
const totals = { passed: 0, failed: 0 };

// ---- resources closed on every exit path ----
let browser = null;
let servers = null;
async function cleanUp() {
  await withTimeout(browser?.close() ?? Promise.resolve(), LIMIT_MS.close, 'closing the browser').catch((e) => say(e.message));
  browser = null;
  await withTimeout(servers?.close() ?? Promise.resolve(), LIMIT_MS.close, 'closing the servers').catch((e) => say(e.message));
  servers = null;
}
const watchdog = setTimeout(async () => {
  console.log(`browser suite: not finished within ${LIMIT_MS.total / 1000} s; giving up`);
  gaveUp = true;
  const { passed, failed } = totals;  // the configurations already printed
  await cleanUp();
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, LIMIT_MS.total);

// ---- running spec files ----
function forwardConsole(page, label, onStarted) {
  // The page's console event also carries its workers' messages.
  page.on('console', (msg) => {
    const text = msg.text();
    if (text.startsWith(STARTED_MARK)) return void onStarted(text.slice(STARTED_MARK.length));
    const where = msg.worker() ? 'worker' : 'page';
    if (logAll || msg.type() === 'error') say(`  [${label} ${where} console.${msg.type()}] ${text}`);
  });
  page.on('pageerror', (err) => say(`  [${label} pageerror] ${err.stack || err.message}`));
  page.on('crash', () => say(`  [${label}] the page crashed`));
}

// Page mode: a fresh page load per spec file (a fresh realm, as vitest runs each file in a fresh module graph).
// Worker mode: one page, a fresh module Worker per spec file. A page that failed or hung is replaced.
class SpecRunner {
  constructor(context, origin, config) {
    Object.assign(this, { context, origin, config, page: null, running: null });
  }

  async load() {
    if (this.page === null) {
      this.page = await this.context.newPage();
      forwardConsole(this.page, this.config.name, (name) => { this.running = name; });
    }
    await this.page.goto(`${this.origin}/test/browser/harness/page.html`, { timeout: LIMIT_MS.page });
    await this.page.waitForFunction(() => typeof window.__istRun === 'function', null, { timeout: LIMIT_MS.page });
  }

  async run(entry) {
    this.running = null;
    try {
      if (this.page === null || this.config.mode === 'page') await this.load();
      const run = this.page.evaluate(([mode, e, ms]) => window.__istRun(mode, e, ms), [this.config.mode, entry, LIMIT_MS.spec - 5_000]);
      return await withTimeout(run, LIMIT_MS.spec, entry.name);
    } catch (e) {
      await this.close();
      const where = this.running === null ? 'before its first test' : `in test '${this.running}'`;
      return { spec: entry.name, env: null, results: [{ name: `${entry.name} (running it)`, state: 'fail', error: `${e.message.split('\n')[0]} (${where})`, ms: 0 }] };
    }
  }

  async close() {
    const page = this.page;
    this.page = null;
    if (page) await withTimeout(page.close(), LIMIT_MS.close, 'closing the page').catch(() => {});
  }
}

// The configuration itself: every spec saw the isolation, realm and wasm flavour it was meant to.
function configurationCheck(config, reports) {
  const wrong = [];
  for (const r of reports) {
    if (r.env === null) continue;  // already a failure of its own
    const e = r.env;
    if (e.readyError) wrong.push(`${r.spec}: mx.ready() failed: ${e.readyError}`);
    if (e.crossOriginIsolated !== config.isolated) wrong.push(`${r.spec}: crossOriginIsolated is ${e.crossOriginIsolated}`);
    if (e.where !== config.mode) wrong.push(`${r.spec}: ran in a ${e.where}`);
    if (e.wasmFlavour !== config.flavour) {
      const why = Object.values(e.reasons).join('; ');
      wrong.push(`${r.spec}: wasm flavour is ${e.wasmFlavour} (backend ${e.backend})${why ? `; reason: ${why}` : ''}`);
    }
  }
  const name = `(configuration) ${config.isolated ? 'isolated' : 'not isolated'} ${config.mode}, wasm ${config.flavour} picked automatically`;
  return wrong.length ? { name, state: 'fail', error: wrong.join('\n'), ms: 0 } : { name, state: 'pass', ms: 0 };
}

async function runConfiguration(config, manifest) {
  const t0 = Date.now();
  const origin = (config.isolated ? servers.isolated : servers.plain).origin;
  const wanted = specsFor(config).filter((s) => specFilters.length === 0 || specFilters.some((f) => s.includes(f)));
  const entries = manifest.specs.filter((e) => wanted.includes(e.name));
  const context = await browser.newContext();
  const runner = new SpecRunner(context, origin, config);
  const reports = [];
  try {
    for (const entry of entries) reports.push(await runner.run(entry));
  } finally {
    await runner.close();
    await withTimeout(context.close(), LIMIT_MS.close, 'closing the context').catch(() => {});
  }
  const results = reports.flatMap((r) => r.results.map((t) => ({ ...t, spec: r.spec })));
  if (reports.length > 0) results.push({ ...configurationCheck(config, reports), spec: 'run.mjs' });
  const count = (s) => results.filter((t) => t.state === s).length;
  const env = reports.find((r) => r.env)?.env;
  const runtime = env ? `wasm ${env.wasmFlavour}, ${env.threads} engine thread(s)` : 'no runtime report';
  const skipped = count('skip') ? `, ${count('skip')} skipped` : '';
  say(`${config.name}: ${count('pass')} passed, ${count('fail')} failed${skipped} in ${entries.length} spec files ` +
            `(${runtime}; ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  for (const t of results.filter((r) => r.state === 'fail')) {
    const name = t.name.startsWith(t.spec) || t.spec === 'run.mjs' ? t.name : `${t.spec} > ${t.name}`;
    say(`  FAIL ${name}\n${indent(t.error, '       ')}`);
  }
  return { passed: count('pass'), failed: count('fail') };
}

async function main() {
  const t0 = Date.now();
  const manifest = await buildBrowserSuite(allSpecs);
  const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'test/browser/node-reference.mjs')],
    { cwd: repoRoot, timeout: LIMIT_MS.nodeReference, maxBuffer: 1 << 24 });
  writeFileSync(join(outDir, 'node-reference.json'), stdout);
  servers = await startServers();
  browser = await chromium.launch({ executablePath, timeout: LIMIT_MS.launch });
  say(`browser suite: Chromium ${browser.version()}, isotensor ${manifest.isotensor}, ` +
      `Node reference on ${JSON.parse(stdout).runtime}; ${manifest.specs.length} spec files built`);
  for (const config of configurations) {
    if (configFilter && !config.name.replace(/ /g, '-').includes(configFilter.replace(/ /g, '-'))) continue;
    const r = await runConfiguration(config, manifest);
    totals.passed += r.passed;
    totals.failed += r.failed;
  }
  say(`browser suite: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

try {
  await main();
} catch (e) {
  say(`browser suite: ${e.stack || e.message}`);
  totals.failed += 1;
} finally {
  await cleanUp();
  clearTimeout(watchdog);
}
say(`${totals.passed} passed, ${totals.failed} failed`);
process.exitCode = totals.failed > 0 || totals.passed === 0 ? 1 : 0;
