// Download sizes: what a browser fetches for isotensor's entries (JS bundle + wasm glue + .wasm, gzip -9 and
// brotli) next to onnxruntime-web and @tensorflow/tfjs-backend-wasm (the files their packages load), plus the
// npm tarball. Prints a table and writes bench/results/sizes.{json,md}.
//
//   node bench/sizes.mjs        (after `make`; the peers come from bench/node_modules)
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { packTarball } from '../scripts/pack-tarball.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const peers = join(root, 'bench/node_modules');

// Each row: the files one page load fetches for that configuration (single-thread SIMD unless it says threads).
const ROWS = [
  { name: 'isotensor/infer (browser, SIMD)', files: ['dist/infer.browser.mjs', 'wasm/dist/isotensor-simd.mjs', 'wasm/dist/isotensor-simd.wasm'] },
  { name: 'isotensor (browser, SIMD)', files: ['dist/index.browser.mjs', 'wasm/dist/isotensor-simd.mjs', 'wasm/dist/isotensor-simd.wasm'] },
  { name: 'isotensor (browser, SIMD + threads)', files: ['dist/index.browser.mjs', 'wasm/dist/isotensor-threads.mjs',
    'wasm/dist/isotensor-threads.wasm', 'wasm/dist/isotensor-threads.worker.js'] },
  { name: 'onnxruntime-web (wasm EP)', base: peers, files: ['onnxruntime-web/dist/ort.wasm.min.mjs',
    'onnxruntime-web/dist/ort-wasm-simd-threaded.mjs', 'onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'] },
  { name: '@tensorflow/tfjs-backend-wasm (+ tfjs-core, SIMD)', base: peers, files: ['@tensorflow/tfjs-core/dist/tf-core.min.js',
    '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js', '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'] },
];

const gz = (b) => gzipSync(b, { level: 9 }).length;
const br = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }).length;
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;

const rows = [];
for (const row of ROWS) {
  const paths = row.files.map((f) => join(row.base ?? root, f));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length) {
    rows.push({ name: row.name, missing: missing.map((p) => p.replace(root, '')) });
    continue;
  }
  const per = paths.map((p, i) => {
    const b = readFileSync(p);
    return { file: row.files[i], raw: b.length, gzip: gz(b), brotli: br(b) };
  });
  const sum = (k) => per.reduce((s, f) => s + f[k], 0);
  rows.push({ name: row.name, files: per, raw: sum('raw'), gzip: sum('gzip'), brotli: sum('brotli') });
}

// The npm tarball (what `npm install` downloads) and its unpacked size.
const packDir = join(tmpdir(), `isotensor-sizes-${process.pid}`);
mkdirSync(packDir, { recursive: true });
const pack = packTarball(packDir);
rmSync(packDir, { recursive: true, force: true });

const lines = ['| configuration | raw | gzip -9 | brotli 9 |', '|---|---|---|---|'];
for (const r of rows) {
  lines.push(r.missing ? `| ${r.name} | missing: ${r.missing.join(', ')} | | |` : `| ${r.name} | ${kb(r.raw)} | ${kb(r.gzip)} | ${kb(r.brotli)} |`);
}
lines.push('', `npm tarball: ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked, ${pack.entryCount} files.`);
const md = lines.join('\n');
console.log(md);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/sizes.json'), JSON.stringify({ date: new Date().toISOString(), rows,
  tarball: { packed: pack.size, unpacked: pack.unpackedSize, files: pack.entryCount } }, null, 2) + '\n');
writeFileSync(join(root, 'bench/results/sizes.md'), md + '\n');
