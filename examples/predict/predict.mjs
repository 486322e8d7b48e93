// Serves the trained LeNet: loads lenet-symbol.json + lenet-0000.params with SymbolBlock.imports and classifies PNG digits.
// SPDX-License-Identifier: Apache-2.0
//
//   node examples/predict/predict.mjs [--model out/train-mnist/lenet] [--backend native|wasm] [--ctx cpu] [--json] IMAGE.png...
//
// Any 8-bit PNG (gray, RGB, RGBA, palette): a light background is inverted (MNIST digits are light
// on black); an image other than 28x28 is cropped to the digit, scaled to fit 20x20 and centred in
// 28x28, as MNIST's digits were made.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import * as mx from '../../dist/index.mjs';
import { preprocess } from './digit-image.mjs';

const { values: args, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string', default: 'out/train-mnist/lenet' },
    epoch: { type: 'string', default: '0' },
    backend: { type: 'string' },
    ctx: { type: 'string', default: 'cpu' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help || files.length === 0) {
  console.log('usage: node examples/predict/predict.mjs [--model PREFIX] [--epoch 0] [--backend native|wasm] [--ctx cpu] [--json] IMAGE.png...');
  process.exit(args.help ? 0 : 2);
}

if (args.backend) await mx.setBackend(args.backend);
await mx.ready();
const ctx = new mx.Context(args.ctx);
if (ctx.deviceType === 'gpu' && ctx.deviceId >= mx.numGpus()) {
  console.error(`--ctx ${ctx}: this machine has ${mx.numGpus()} GPU(s) usable by the ${mx.runtimeInfo().backend} backend; use --ctx cpu`);
  process.exit(2);
}
const symbolFile = `${args.model}-symbol.json`, paramFile = `${args.model}-${String(Number(args.epoch)).padStart(4, '0')}.params`;
for (const f of [symbolFile, paramFile]) {
  if (!existsSync(f)) {
    console.error(`no model file ${f}: train one first (make demo, or node examples/train-mnist/train.mjs --out DIR, then --model DIR/lenet)`);
    process.exit(2);
  }
}
const net = mx.gluon.SymbolBlock.imports(symbolFile, ['data'], paramFile, ctx);

const inputs = files.map((f) => {
  try {
    return preprocess(readFileSync(f));
  } catch (e) {
    console.error(`${f}: ${e.message}`);
    process.exit(2);
  }
});
const x = mx.nd.array(Float32Array.from(inputs.flatMap((a) => Array.from(a))), { shape: [files.length, 1, 28, 28], ctx });
const probs = mx.nd.softmax(net.forward(x)).toArraySync();
const results = files.map((f, i) => {
  const p = probs[i];
  const digit = p.indexOf(Math.max(...p));
  return { file: f, digit, probability: p[digit], probabilities: p };
});
if (args.json) {
  console.log(JSON.stringify(results));
} else {
  for (const r of results) {
    const top = r.probabilities.map((p, d) => [d, p]).sort((a, b) => b[1] - a[1]).slice(0, 3);
    console.log(`${basename(r.file)}: ${r.digit}  (${top.map(([d, p]) => `${d}: ${(100 * p).toFixed(1)} %`).join(', ')})`);
  }
}
