// End-to-end test of the browser digit demo: Chromium draws digits on the page with the mouse and reads back what LeNet says.
// SPDX-License-Identifier: Apache-2.0
//
//   node test/browser-digits/run.mjs [--model DIR] [--train] [--screenshot] [--expect-wrong]
//
// Serves examples/browser-digits (serve.mjs's start(), in this process) twice: cross-origin
// isolated, where the page must run isotensor's threads flavour, and without the headers, where it
// must run the single-thread flavour. In each, the mouse traces the first held-out MNIST digit of
// every class, row by row, and draws a '1' and a '7' as a person would (a few straight strokes);
// the digit the page highlights must be the one drawn, its ten probabilities must sum to 1, and
// both flavours must show the same probabilities.
// The model is DIR (default out/train-mnist, from `make demo`); when it has none, or with --train,
// a small LeNet is trained first into a temporary folder (a few seconds on the native backend).
// --screenshot saves the isolated page with its last drawing to docs/browser-digits.png (800x600).
// --expect-wrong expects every digit plus one, to check that the checks can fail.
// Prints one line per check and ends with "N passed, N failed"; exits 1 if any failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { loadMnist } from '../../examples/train-mnist/data.mjs';
import { start } from '../../examples/browser-digits/serve.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: join(REPO, 'out/train-mnist') },
    train: { type: 'boolean', default: false },
    screenshot: { type: 'boolean', default: false },
    'expect-wrong': { type: 'boolean', default: false },
  },
});

let passed = 0, failed = 0;
function check(ok, what, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` (${detail})` : ''}`);
  return ok;
}
const seconds = (t) => `${((performance.now() - t) / 1000).toFixed(1)} s`;

/** A model folder to serve: the given one when it holds a model, else a LeNet trained now into a temporary folder. */
function modelDir() {
  const has = (dir) => ['lenet-symbol.json', 'lenet-0000.params'].every((f) => existsSync(join(dir, f)));
  if (!args.train && has(args.model)) return { dir: args.model, cleanup() {} };
  const dir = mkdtempSync(join(tmpdir(), 'browser-digits-'));
  const t = performance.now();
  // 4,000 digits for 3 epochs: about 97 % held-out accuracy in a few seconds (native, hybridized).
  const trainArgs = ['examples/train-mnist/train.mjs', '--hybridize', '--limit', '4000', '--epochs', '3', '--out', dir];
  console.log(`# ${args.train ? '--train' : `no model in ${args.model}`}: node ${trainArgs.join(' ')}`);
  const r = spawnSync(process.execPath, trainArgs, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = r.stdout.trim().split('\n').filter((l) => l.startsWith('held-out')).pop() ?? '';
  if (!check(r.status === 0 && has(dir), 'trains a LeNet for the test', `${seconds(t)}; ${last}`)) {
    console.log(r.stdout);
    finish();
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---- drawings: [{ digit, strokes: [[x, y], ...][] }] in the pad's 280x280 pixels ----

/** Straight strokes through the points, the way a hand draws a '1' and a '7' with a mouse. */
const HAND = [
  { name: "hand-drawn '1'", digit: 1, steps: 8, strokes: [[[150, 42], [142, 140], [136, 238]]] },
  { name: "hand-drawn '7'", digit: 7, steps: 8, strokes: [[[72, 56], [140, 52], [206, 54], [168, 130], [126, 236]]] },
];

/**
 * The first held-out MNIST digit (never trained on) of a class, re-drawn with the mouse: one
 * horizontal stroke along each run of dark pixels of each row, 9 pad pixels per MNIST pixel.
 * Only the dark core of the strokes (> 200 of 255) is traced, because the pen is wider than a row.
 */
function traced(images, labels, digit) {
  const k = labels.indexOf(digit);
  const img = images.subarray(k * 784, (k + 1) * 784);
  const S = 9, O = (280 - 28 * S) / 2, at = (x, y) => [O + (x + 0.5) * S, O + (y + 0.5) * S];
  const dark = (x, y) => img[y * 28 + x] > 200;
  const strokes = [];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (!dark(x, y) || (x > 0 && dark(x - 1, y))) continue;
      let end = x;
      while (end + 1 < 28 && dark(end + 1, y)) end++;
      strokes.push([at(x, y), at(end, y)]);
    }
  }
  // One move per stroke: each is a straight run along a row.
  return { name: `held-out MNIST '${digit}' #${k}, traced`, digit, steps: 1, strokes };
}

/** Mouse strokes on the pad: down at the first point, `steps` moves to each next one, up. */
async function draw(page, { strokes, steps }) {
  const box = await page.locator('#pad').boundingBox();
  for (const points of strokes) {
    await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps });
    await page.mouse.up();
  }
}

/** What the page shows once it has classified the current drawing. */
async function shown(page) {
  await page.waitForFunction(() => {
    const pad = document.getElementById('pad').dataset;
    return (pad.drawing === 'no' && document.getElementById('result').dataset.version === pad.version) ||
      document.body.dataset.state === 'error';
  }, null, { timeout: 20_000 });
  return page.evaluate(() => ({
    state: document.body.dataset.state,
    status: document.getElementById('status').textContent,
    answer: document.getElementById('answer').textContent,
    top: [...document.querySelectorAll('#bars .row.top')].map((r) => Number(r.dataset.digit)),
    probs: [...document.querySelectorAll('#bars .row')].map((r) => (r.dataset.p === '' ? null : Number(r.dataset.p))),
  }));
}

/** Checks one page (isolated or not); returns each drawing's probabilities as shown, by drawing name. */
async function runMode(browser, { isolation, model, drawings, screenshot }) {
  const seen = new Map();
  const mode = isolation ? 'isolated' : 'not isolated';
  const server = await start({ model, port: 0, isolation });
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  try {
    const t = performance.now();
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 30_000 });
    const ready = await page.evaluate(() => ({
      state: document.body.dataset.state,
      status: document.getElementById('status').textContent,
      flavour: document.getElementById('runtime').dataset.flavour,
      footer: document.getElementById('runtime').textContent,
    }));
    if (!check(ready.state === 'ready', `${mode}: page loads isotensor and the model`, `${seconds(t)}; ${ready.status}`)) return seen;
    const want = isolation ? 'threads' : 'single';
    check(ready.flavour === want, `${mode}: runs the ${want} flavour`, ready.footer);

    let clears = 0, cleared = 0;
    for (const d of drawings) {
      await page.click('#clear');
      const empty = await shown(page);
      clears++;
      if (empty.answer === '?' && empty.top.length === 0 && empty.probs.every((p) => p === null)) cleared++;
      const t0 = performance.now();
      await draw(page, d);
      const r = await shown(page);
      if (r.state !== 'ready') {
        check(false, `${mode}: classifies the ${d.name}`, r.status);
        continue;
      }
      seen.set(d.name, r.probs);
      const expected = args['expect-wrong'] ? (d.digit + 1) % 10 : d.digit;
      const sum = r.probs.reduce((a, p) => a + (p ?? NaN), 0);
      const best = r.probs.indexOf(Math.max(...r.probs));
      check(r.answer === String(expected) && r.top.length === 1 && r.top[0] === expected && best === expected,
        `${mode}: ${d.name} is read as ${expected}`,
        `shows ${r.answer} at ${(100 * r.probs[best]).toFixed(1)} %; ${d.strokes.length} stroke${d.strokes.length > 1 ? 's' : ''} in ${seconds(t0)}`);
      check(Math.abs(sum - 1) < 1e-3 && r.probs.every((p) => p >= 0 && p <= 1), `${mode}: probabilities sum to 1`, `sum ${sum.toFixed(6)}`);
    }
    check(cleared === clears, `${mode}: Clear empties the result`, `${cleared} of ${clears} times`);
    if (screenshot) {
      await page.waitForTimeout(300); // the bars' width transition
      await page.screenshot({ path: join(REPO, 'docs/browser-digits.png') });
      console.log(`# wrote docs/browser-digits.png (${mode})`);
    }
    check(problems.length === 0, `${mode}: no page errors or console errors`, problems.join('; '));
  } finally {
    await page.close();
    await server.close();
  }
  return seen;
}

function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

const t0 = performance.now();
const model = modelDir();
const { test } = loadMnist();
const drawings = [...Array.from({ length: 10 }, (_, d) => traced(test.images, test.labels, d)), ...HAND];
const browser = await chromium.launch({ executablePath: CHROMIUM });
try {
  const shortDir = relative(REPO, model.dir).startsWith('..') ? model.dir : relative(REPO, model.dir);
  console.log(`# Chromium ${browser.version()}, model ${shortDir}`);
  const threads = await runMode(browser, { isolation: true, model: model.dir, drawings, screenshot: args.screenshot });
  const single = await runMode(browser, { isolation: false, model: model.dir, drawings });
  // The two wasm builds run the same kernels; only the scheduling differs.
  const gap = Math.max(...drawings.map((d) => Math.max(...(threads.get(d.name) ?? [NaN]).map((p, i) => Math.abs(p - (single.get(d.name)?.[i] ?? NaN))))));
  check(gap < 1e-4, 'threads and single flavours show the same probabilities', `largest difference ${gap.toExponential(1)}`);
} catch (e) {
  check(false, 'runs without an exception', e.stack ?? String(e));
} finally {
  await browser.close();
  model.cleanup();
}
console.log(`# ${seconds(t0)} in all`);
finish();
