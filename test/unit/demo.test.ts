// The main job (`make demo`) in small: examples/train-mnist/train.mjs trains a hybridized LeNet for one epoch on
// 1,000 UCI digits on this run's backend, writes the training curve and the exported model, and
// examples/predict/predict.mjs loads that model (SymbolBlock.imports) and classifies held-out digits from PNG
// files; plus the demo's PNG decoder against files written by an independent encoder (fixtures/demo/gen_png.py).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
// @ts-expect-error: the examples are plain ES modules without type declarations
import { loadDigits } from '../../examples/train-mnist/data.mjs';
// @ts-expect-error: as above
import { decodePng, encodePng } from '../../examples/predict/png.mjs';
// @ts-expect-error: as above
import { preprocess } from '../../examples/predict/digit-image.mjs';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/demo/', import.meta.url));
let out = '';
let backend = '';

beforeAll(async () => {
  await mx.ready();
  announceBackend('demo');
  backend = mx.runtimeInfo().backend;
  out = mkdtempSync(join(tmpdir(), 'isotensor-demo-'));
});
afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Runs an example script on this run's backend (the child inherits ISOTENSOR_WASM_FLAVOUR). */
async function node(script: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(root, script), '--backend', backend, ...args],
    { cwd: root, maxBuffer: 1 << 24, timeout: 120_000 });
  return stdout;
}

describe('PNG decoding (examples/predict/png.mjs)', () => {
  const cases: Record<string, { width: number; height: number; gray: number[] }> =
    JSON.parse(readFileSync(join(fixtures, 'png.json'), 'utf8'));
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: every filter type, luminance as the reference computes it`, () => {
      const img = decodePng(readFileSync(join(fixtures, 'png', name)));
      expect([img.width, img.height]).toEqual([c.width, c.height]);
      expect(Array.from(img.gray)).toEqual(c.gray);
    });
  }
  it('round-trips its own encoding (gray and RGB) and rejects what it cannot read', () => {
    const gray = Uint8Array.from({ length: 5 * 3 }, (_, i) => (i * 37) % 256);
    expect(Array.from(decodePng(encodePng(5, 3, gray)).gray)).toEqual(Array.from(gray));
    const rgb = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30][i]!);
    expect(Array.from(decodePng(encodePng(2, 2, rgb, 3)).gray)).toEqual([76, 150, 29, 18]);
    expect(() => decodePng(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(/not a PNG/);
  });
  it('frames a large dark-on-light digit as MNIST does (inverted, fitted into the central 20x20 box)', () => {
    const big = new Uint8Array(100 * 60).fill(250);
    for (let y = 10; y < 90; y++) for (let x = 20; x < 40; x++) big[y * 60 + x] = 0;  // a tall dark bar
    const x = preprocess(encodePng(60, 100, big));
    expect(x.length).toBe(784);
    const rows = [...Array(28).keys()].filter((r) => x.slice(r * 28, r * 28 + 28).some((v: number) => v > 0.5));
    const cols = [...Array(28).keys()].filter((c) => [...Array(28).keys()].some((r) => x[r * 28 + c] > 0.5));
    expect([rows[0], rows[rows.length - 1]]).toEqual([4, 23]);  // 80 px tall -> 20 rows, centred
    expect([cols[0], cols[cols.length - 1]]).toEqual([11, 15]);  // 20 px wide -> 5 columns, centred
  });
});

describe('the demo on the UCI digits (1 epoch, 1,000 digits, hybridized)', () => {
  it('trains to > 80 % held-out accuracy, writes the curve and the model, and predict reads them', async () => {
    const t0 = performance.now();
    const log = await node('examples/train-mnist/train.mjs',
      ['--data', 'digits', '--limit', '1000', '--epochs', '1', '--batch-size', '16', '--optimizer', 'adam', '--hybridize', '--out', out]);
    const trainSeconds = (performance.now() - t0) / 1000;
    // Not a terminal: one progress line per epoch, with the rate, the loss and both accuracies.
    expect(log).toMatch(/epoch 1\/1 \[={20}\] 100% 1000\/1000 +\d+ samples\/s +loss \d+\.\d{4} +took \d\d:\d\d +\| train \d+\.\d\d% +validation \d+\.\d\d%\n/);
    expect(log).toMatch(/held-out accuracy \d+\.\d\d % on 359 digits/);

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    console.log(`demo (${backend}): held-out accuracy ${(100 * summary.heldOutAccuracy).toFixed(2)} %, ` +
      `training ${summary.trainSeconds.toFixed(1)} s, whole script ${trainSeconds.toFixed(1)} s`);
    expect(summary.heldOutAccuracy).toBeGreaterThan(0.8);
    expect(summary.history).toHaveLength(1);
    expect(summary.history[0].loss).toBeLessThan(Math.log(10));  // below chance level

    const svg = readFileSync(join(out, 'training-curve.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml[^]*<svg [^]*<\/svg>\s*$/);
    for (const text of ['training loss', 'accuracy (%)', 'validation accuracy', 'epoch']) expect(svg).toContain(text);
    expect(svg.match(/<circle /g)!.length).toBeGreaterThanOrEqual(3);  // one point per series

    // The exported model: MXNet's symbol JSON (LeNet's ops) and a .params file of LeNet's size.
    const graph = JSON.parse(readFileSync(join(out, 'lenet-symbol.json'), 'utf8'));
    const ops = graph.nodes.map((n: { op: string }) => n.op).filter((o: string) => o !== 'null');
    for (const op of ['Convolution', 'Pooling', 'FullyConnected']) expect(ops).toContain(op);
    expect(ops.filter((o: string) => o === 'Convolution')).toHaveLength(2);
    // 20*25+20 + 50*500+50 + 800*500+500 + 500*10+10 = 431,080 float32 weights.
    expect(statSync(join(out, 'lenet-0000.params')).size).toBeGreaterThan(431_080 * 4);

    // predict.mjs on PNG files of 20 held-out digits (two of each class, never trained on), drawn at 28x28 as the
    // training script draws them: the exported model must score there as the training run did (> 80 %).
    const { test } = loadDigits();
    const picks: number[] = [];
    for (let d = 0; d < 10; d++) {
      const first = test.labels.indexOf(d);
      picks.push(first, test.labels.indexOf(d, first + 1));
    }
    const files = picks.map((k) => {
      const f = join(out, `digit-${k}.png`);
      writeFileSync(f, encodePng(28, 28, test.images.subarray(k * 784, (k + 1) * 784)));
      return f;
    });
    const res = JSON.parse(await node('examples/predict/predict.mjs', ['--json', '--model', join(out, 'lenet'), ...files]));
    expect(res.map((r: { file: string }) => r.file)).toEqual(files);
    const right = res.filter((r: { digit: number }, i: number) => r.digit === test.labels[picks[i]!]).length;
    console.log(`demo (${backend}): predict.mjs classified ${right} of ${picks.length} held-out PNG digits correctly`);
    expect(right).toBeGreaterThanOrEqual(15);
    // The same model loaded here and run on the raw pixels (no PNG on the way) gives the same classes.
    const net = mx.gluon.SymbolBlock.imports(join(out, 'lenet-symbol.json'), ['data'], join(out, 'lenet-0000.params'));
    const x = mx.nd.array(Float32Array.from(picks.flatMap((k) => Array.from(test.images.subarray(k * 784, (k + 1) * 784), (v: number) => v / 255))),
      { shape: [picks.length, 1, 28, 28] });
    const direct = Array.from(mx.nd.argmax(net.forward(x) as mx.NDArray, { axis: 1 }).dataSync() as Float32Array);
    expect(res.map((r: { digit: number }) => r.digit)).toEqual(direct);
    for (const r of res) {
      expect(r.probabilities).toHaveLength(10);
      expect(r.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);
      expect(r.probability).toBe(Math.max(...r.probabilities));
    }
  }, 120_000);

  it('refuses an unknown data set and a missing model with a clear message', async () => {
    await expect(node('examples/train-mnist/train.mjs', ['--data', 'cifar', '--out', out])).rejects.toThrow(/--data: unknown data set 'cifar'/);
    await expect(node('examples/predict/predict.mjs', ['--model', join(out, 'nothing'), join(fixtures, 'png', 'colour0.png')]))
      .rejects.toThrow(/nothing-symbol\.json/);
  });
  it('the sample PNGs of examples/predict decode to 28x28 inputs', () => {
    for (const f of ['digit-7.png', 'paper-3.png']) {
      const p = join(root, 'examples/predict', f);
      expect(existsSync(p)).toBe(true);
      expect(preprocess(readFileSync(p)).length).toBe(784);
    }
  });
});
