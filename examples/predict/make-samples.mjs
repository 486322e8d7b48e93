// Writes the sample PNGs of examples/predict from held-out MNIST digits (none of them is trained on).
// SPDX-License-Identifier: Apache-2.0
//   node examples/predict/make-samples.mjs
//   -> digit-7.png: a 28x28 gray MNIST digit as it is stored;
//      paper-3.png: another digit drawn 4x larger in dark RGB ink on off-white paper (exercises inversion and rescaling).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist } from '../train-mnist/data.mjs';
import { encodePng } from './png.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { test } = loadMnist();
const first = (d) => test.labels.indexOf(d);
const image = (k) => test.images.subarray(k * 784, (k + 1) * 784);

writeFileSync(join(here, 'digit-7.png'), encodePng(28, 28, image(first(7))));

const S = 4, src = image(first(3)), rgb = new Uint8Array(28 * S * 28 * S * 3);
for (let y = 0; y < 28 * S; y++) {
  for (let x = 0; x < 28 * S; x++) {
    const ink = src[Math.floor(y / S) * 28 + Math.floor(x / S)] / 255;
    const paper = [246, 242, 230], pen = [20, 30, 90];  // off-white paper, dark blue ink
    for (let c = 0; c < 3; c++) rgb[(y * 28 * S + x) * 3 + c] = Math.round(paper[c] * (1 - ink) + pen[c] * ink);
  }
}
writeFileSync(join(here, 'paper-3.png'), encodePng(28 * S, 28 * S, rgb, 3));
console.log(`wrote digit-7.png (held-out #${first(7)}) and paper-3.png (held-out #${first(3)})`);
