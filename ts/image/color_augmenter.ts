// MXNet's color augmenters: brightness, contrast, saturation and hue jitter, PCA lighting noise, normalization, random gray.
// SPDX-License-Identifier: Apache-2.0
//
// The arithmetic is MXNet's float32 NDArray arithmetic on (H, W, C) images (each product and sum
// rounded to float32; float64 images stay float64). Other dtypes (a uint8 image before CastAug) are
// computed in float32 and cast back as astype does (truncation).
import { IsotensorError, kindOf, show } from '../base/error.js';
import { hostTensor, type HostTensor } from '../gluon/data/host/host_tensor.js';
import type { HostRng } from '../gluon/data/host/rng.js';
import * as K from '../gluon/data/vision/image_kernels.js';
import { NDArray } from '../ndarray/ndarray.js';
import { HostAugmenter, RandomOrderAug, checkProbability, type Augmenter } from './augmenter.js';
import { imageHW } from './random_crop.js';

type Round = (v: number) => number;

/** Values and rounding of the arithmetic on x: float64 for float64 images, else float32. */
function arith(x: HostTensor, op: string): { src: ArrayLike<number>; out: Float32Array | Float64Array; r: Round } {
  imageHW(x, op);
  if (x.dtype === 'int64' || x.dtype === 'uint64') throw new IsotensorError(`${op}: ${x.dtype} images are not supported`);
  const wide = x.dtype === 'float64';
  return { src: x.data as ArrayLike<number>, out: wide ? new Float64Array(x.data.length) : new Float32Array(x.data.length),
           r: wide ? (v) => v : Math.fround };
}

/** The result in x's dtype. */
function result(x: HostTensor, out: Float32Array | Float64Array): HostTensor {
  if (x.dtype === 'float32' || x.dtype === 'float64') return hostTensor(out, x.shape, x.dtype);
  return K.cast(hostTensor(out, x.shape, 'float32'), x.dtype);
}

function channels(x: HostTensor, allowed: readonly number[], op: string): number {
  const c = x.shape[2]!;
  if (!allowed.includes(c)) {
    throw new IsotensorError(`${op}: expected an image with ${allowed.join(' or ')} channels, got shape (${x.shape.join(', ')})`);
  }
  return c;
}

function jitter(v: unknown, op: string, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new IsotensorError(`${op}: argument '${what}' must be a non-negative number, got ${show(v)}`);
  }
  return v;
}

// ITU-R 601 luma weights, as MXNet's nd.array([[[0.299, 0.587, 0.114]]]).
const LUMA = [0.299, 0.587, 0.114];

/**
 * Scales pixel values by 1 + a uniform draw in [-brightness, brightness] (MXNet's BrightnessJitterAug).
 * @example new mx.image.BrightnessJitterAug(0.3)
 */
export class BrightnessJitterAug extends HostAugmenter {
  readonly brightness: number;

  constructor(brightness: number) {
    super('brightnessjitteraug', { brightness });
    this.brightness = jitter(brightness, 'image.BrightnessJitterAug', 'brightness');
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    const { src, out, r } = arith(x, 'image.BrightnessJitterAug');
    const alpha = r(1.0 + rng().uniform(-this.brightness, this.brightness));
    for (let i = 0; i < out.length; i++) out[i] = r(src[i]! * alpha);
    return result(x, out);
  }
}

/**
 * Blends the image with its mean luma by 1 + a uniform draw in [-contrast, contrast] (MXNet's ContrastJitterAug).
 * @example new mx.image.ContrastJitterAug(0.3)
 */
export class ContrastJitterAug extends HostAugmenter {
  readonly contrast: number;

  constructor(contrast: number) {
    super('contrastjitteraug', { contrast });
    this.contrast = jitter(contrast, 'image.ContrastJitterAug', 'contrast');
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    const op = 'image.ContrastJitterAug';
    const { src, out, r } = arith(x, op);
    const c = channels(x, [1, 3], op);
    const alpha = 1.0 + rng().uniform(-this.contrast, this.contrast);
    const coef = LUMA.map(r);
    // gray = src * coef broadcasts a gray image to three channels, as MXNet's broadcast multiply does.
    let sum = 0;
    for (let p = 0; p < src.length / c; p++) {
      for (let k = 0; k < 3; k++) sum += r(src[p * c + (c === 1 ? 0 : k)]! * coef[k]!);
    }
    const size = (src.length / c) * 3;
    const gray = r(r((3.0 * (1.0 - alpha)) / size) * r(sum));
    const a = r(alpha);
    for (let i = 0; i < out.length; i++) out[i] = r(r(src[i]! * a) + gray);
    return result(x, out);
  }
}

/**
 * Blends each pixel with its luma by 1 + a uniform draw in [-saturation, saturation] (MXNet's SaturationJitterAug).
 * @example new mx.image.SaturationJitterAug(0.3)
 */
export class SaturationJitterAug extends HostAugmenter {
  readonly saturation: number;

  constructor(saturation: number) {
    super('saturationjitteraug', { saturation });
    this.saturation = jitter(saturation, 'image.SaturationJitterAug', 'saturation');
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    const op = 'image.SaturationJitterAug';
    const { src, out, r } = arith(x, op);
    const c = channels(x, [1, 3], op);
    const alpha = 1.0 + rng().uniform(-this.saturation, this.saturation);
    const coef = LUMA.map(r);
    const a = r(alpha), b = r(1.0 - alpha);
    for (let p = 0; p < src.length / c; p++) {
      let g = 0;
      for (let k = 0; k < 3; k++) g = r(g + r(src[p * c + (c === 1 ? 0 : k)]! * coef[k]!));
      g = r(g * b);
      for (let k = 0; k < c; k++) out[p * c + k] = r(r(src[p * c + k]! * a) + g);
    }
    return result(x, out);
  }
}

/** out[p, j] = Σ_k src[p, k] · m[k][j] over (H, W, 3) pixels (nd.dot(src, m)). */
function dot3(x: HostTensor, m: readonly (readonly number[])[], op: string): HostTensor {
  const { src, out, r } = arith(x, op);
  channels(x, [3], op);
  const mm = m.map((row) => row.map(r));
  for (let p = 0; p < src.length; p += 3) {
    for (let j = 0; j < 3; j++) out[p + j] = r(r(r(src[p]! * mm[0]![j]!) + r(src[p + 1]! * mm[1]![j]!)) + r(src[p + 2]! * mm[2]![j]!));
  }
  return result(x, out);
}

function matmul(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}

const TYIQ = [[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]];
const ITYIQ = [[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]];

/**
 * Rotates the hue by a uniform draw in [-hue, hue] half-turns, in YIQ space (MXNet's HueJitterAug).
 * @example new mx.image.HueJitterAug(0.1)
 */
export class HueJitterAug extends HostAugmenter {
  readonly hue: number;

  constructor(hue: number) {
    super('huejitteraug', { hue });
    this.hue = jitter(hue, 'image.HueJitterAug', 'hue');
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    const alpha = rng().uniform(-this.hue, this.hue);
    const u = Math.cos(alpha * Math.PI), w = Math.sin(alpha * Math.PI);
    const bt = [[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]];
    const t = matmul(matmul(ITYIQ, bt), TYIQ);
    // MXNet multiplies by t's transpose.
    return dot3(x, [0, 1, 2].map((i) => [0, 1, 2].map((j) => t[j]![i]!)), 'image.HueJitterAug');
  }
}

/**
 * Applies brightness, contrast and saturation jitter (those > 0) in a random order (MXNet's ColorJitterAug).
 * @example new mx.image.ColorJitterAug(0.1, 0.1, 0.1)
 */
export class ColorJitterAug extends RandomOrderAug {
  constructor(brightness: number, contrast: number, saturation: number) {
    const ts: Augmenter[] = [];
    if (jitter(brightness, 'image.ColorJitterAug', 'brightness') > 0) ts.push(new BrightnessJitterAug(brightness));
    if (jitter(contrast, 'image.ColorJitterAug', 'contrast') > 0) ts.push(new ContrastJitterAug(contrast));
    if (jitter(saturation, 'image.ColorJitterAug', 'saturation') > 0) ts.push(new SaturationJitterAug(saturation));
    super(ts, 'colorjitteraug');
  }
}

type Matrix = NDArray | readonly number[] | readonly (readonly number[])[];

function numbersOf(v: Matrix, shape: readonly number[], op: string, what: string): number[] {
  const flat = v instanceof NDArray ? Array.from(v.dataSync() as ArrayLike<number>, Number) : (v as unknown[]).flat(1);
  const vShape = v instanceof NDArray ? v.shape : Array.isArray(v[0]) ? [v.length, (v[0] as unknown[]).length] : [v.length];
  if (vShape.length !== shape.length || vShape.some((d, i) => d !== shape[i]) || flat.length !== shape.reduce((a, b) => a * b, 1) ||
      !flat.every((e) => typeof e === 'number' && Number.isFinite(e))) {
    throw new IsotensorError(`${op}: argument '${what}' must be ${shape.length === 1 ? `${shape[0]} numbers` : 'a 3x3 matrix'}, got ${show(v)}`);
  }
  return flat as number[];
}

/** A normal draw (Box-Muller). */
function gaussian(rng: HostRng): number {
  const u1 = 1 - rng.random(), u2 = rng.random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Adds AlexNet-style PCA lighting noise: per image, α ~ N(0, alphastd) for each of the 3 components,
 * rgb = eigvec · (α · eigval) added to every pixel (MXNet's LightingAug).
 * @example new mx.image.LightingAug(0.1, [55.46, 4.794, 1.148], [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])
 */
export class LightingAug extends HostAugmenter {
  readonly alphastd: number;
  readonly eigval: number[];
  readonly eigvec: number[][];

  constructor(alphastd: number, eigval: Matrix, eigvec: Matrix) {
    super('lightingaug', { alphastd, eigval, eigvec });
    const op = 'image.LightingAug';
    this.alphastd = jitter(alphastd, op, 'alphastd');
    this.eigval = numbersOf(eigval, [3], op, 'eigval');
    const v = numbersOf(eigvec, [3, 3], op, 'eigvec');
    this.eigvec = [v.slice(0, 3), v.slice(3, 6), v.slice(6, 9)];
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    const op = 'image.LightingAug';
    const { src, out, r } = arith(x, op);
    channels(x, [3], op);
    const g = rng();
    const alpha = [0, 1, 2].map(() => gaussian(g) * this.alphastd);
    const rgb = this.eigvec.map((row) => r(row.reduce((s, e, j) => s + e * alpha[j]! * this.eigval[j]!, 0)));
    for (let i = 0; i < out.length; i++) out[i] = r(src[i]! + rgb[i % 3]!);
    return result(x, out);
  }
}

type Stat = NDArray | number | readonly number[] | null;

function statOf(v: Stat, op: string, what: string): number[] | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return [v];
  const a = v instanceof NDArray ? Array.from(v.dataSync() as ArrayLike<number>, Number) : Array.isArray(v) ? [...v] : null;
  if (a === null || a.length === 0 || !a.every((e) => typeof e === 'number' && !Number.isNaN(e))) {
    throw new IsotensorError(`${op}: argument '${what}' must be an NDArray, a number or a list of numbers (one per channel), or null; got ${kindOf(v)} ${show(v)}`);
  }
  return a;
}

/**
 * (src - mean) / std per channel (MXNet's ColorNormalizeAug, color_normalize); either may be null.
 * @example new mx.image.ColorNormalizeAug([123.68, 116.28, 103.53], [58.395, 57.12, 57.375])
 */
export class ColorNormalizeAug extends HostAugmenter {
  readonly mean: number[] | null;
  readonly std: number[] | null;

  constructor(mean: Stat, std: Stat) {
    super('colornormalizeaug', { mean, std });
    this.mean = statOf(mean, 'image.ColorNormalizeAug', 'mean');
    this.std = statOf(std, 'image.ColorNormalizeAug', 'std');
  }

  protected apply(x: HostTensor): HostTensor {
    const op = 'image.ColorNormalizeAug';
    const { src, out, r } = arith(x, op);
    const c = x.shape[2]!;
    for (const [what, v] of [['mean', this.mean], ['std', this.std]] as const) {
      if (v !== null && v.length !== 1 && v.length !== c) {
        throw new IsotensorError(`${op}: ${what} has ${v.length} values but the image has ${c} channels (shape (${x.shape.join(', ')}))`);
      }
    }
    const pick = (v: number[] | null, dflt: number): number[] =>
      Array.from({ length: c }, (_, k) => r(v === null ? dflt : v[v.length === 1 ? 0 : k]!));
    const m = pick(this.mean, 0), s = pick(this.std, 1);
    const hasMean = this.mean !== null, hasStd = this.std !== null;
    for (let i = 0; i < out.length; i++) {
      let v = src[i]!;
      if (hasMean) v = r(v - m[i % c]!);
      if (hasStd) v = r(v / s[i % c]!);
      out[i] = r(v);
    }
    return result(x, out);
  }
}

// MXNet's gray matrix: every output channel gets 0.21 R + 0.72 G + 0.07 B.
const GRAY = [[0.21, 0.21, 0.21], [0.72, 0.72, 0.72], [0.07, 0.07, 0.07]];

/**
 * Turns the image gray (keeping three channels) with probability `p` (MXNet's RandomGrayAug).
 * @example new mx.image.RandomGrayAug(0.1)
 */
export class RandomGrayAug extends HostAugmenter {
  readonly p: number;

  constructor(p: number) {
    super('randomgrayaug', { p });
    this.p = checkProbability(p, 'image.RandomGrayAug');
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    imageHW(x, 'image.RandomGrayAug');
    return rng().random() < this.p ? dot3(x, GRAY, 'image.RandomGrayAug') : x;
  }
}
