// MXNet's mx.image.random_crop and random_size_crop: crops at random places (and of random size and shape).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf, show } from '../base/error.js';
import { ndToHost } from '../gluon/data/describe.js';
import type { HostTensor } from '../gluon/data/host/host_tensor.js';
import type { HostRng } from '../gluon/data/host/rng.js';
import * as K from '../gluon/data/vision/image_kernels.js';
import { array } from '../ndarray/creation.js';
import { NDArray } from '../ndarray/ndarray.js';
import { imageRng } from './image_rng.js';
import { checkInterp, interpMethod } from './interp.js';

/** A crop's place in the source image: [x0, y0, width, height]. */
export type CropRect = [number, number, number, number];

/** A (W, H) size: two positive integers. */
export function checkSize(v: unknown, op: string, what = 'size'): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((d) => Number.isInteger(d) && d > 0)) {
    throw new IsotensorError(`${op}: argument '${what}' must be two positive integers (width, height), got ${show(v)}`);
  }
  return [v[0] as number, v[1] as number];
}

/** An (H, W, C) host image's height and width. */
export function imageHW(x: HostTensor, op: string): [number, number] {
  if (x.shape.length !== 3) throw new IsotensorError(`${op}: expected an image (H, W, C), got shape (${x.shape.join(', ')})`);
  return [x.shape[0]!, x.shape[1]!];
}

/** MXNet's fixed_crop with a random `interp` (10) resolved from `rng`. */
function fixedCrop(x: HostTensor, rect: CropRect, size: [number, number], interp: number, rng: () => HostRng, op: string): HostTensor {
  const [x0, y0, w, h] = rect;
  const method = w === size[0] && h === size[1] ? 1 : interpMethod(interp, h, w, size[1], size[0], rng);
  return K.fixedCrop(x, x0, y0, w, h, size, method, op);
}

/** random_crop on a host image: the region and the (resized) crop. */
export function randomCropHost(x: HostTensor, size: [number, number], interp: number, rng: () => HostRng,
                               op = 'image.randomCrop'): [HostTensor, CropRect] {
  const [h, w] = imageHW(x, op);
  const [nw, nh] = K.scaleDown(w, h, size[0], size[1]);
  const x0 = rng().randint(0, w - nw);
  const y0 = rng().randint(0, h - nh);
  const rect: CropRect = [x0, y0, nw, nh];
  return [fixedCrop(x, rect, size, interp, rng, op), rect];
}

/** center_crop on a host image. */
export function centerCropHost(x: HostTensor, size: [number, number], interp: number, rng: () => HostRng,
                               op = 'image.centerCrop'): [HostTensor, CropRect] {
  const [h, w] = imageHW(x, op);
  const [nw, nh] = K.scaleDown(w, h, size[0], size[1]);
  const rect: CropRect = [Math.trunc((w - nw) / 2), Math.trunc((h - nh) / 2), nw, nh];
  return [fixedCrop(x, rect, size, interp, rng, op), rect];
}

/** An area range: (min, max) fractions of the image, or one number min (max 1). */
export function checkArea(area: unknown, op: string): [number, number] {
  const a = typeof area === 'number' ? [area, 1.0] : area;
  if (!Array.isArray(a) || a.length !== 2 || !a.every((v) => typeof v === 'number') || !(a[0] > 0 && a[0] <= a[1])) {
    throw new IsotensorError(`${op}: argument 'area' must be a number in (0, 1] or (min, max) with 0 < min <= max, got ${show(area)}`);
  }
  return [a[0] as number, a[1] as number];
}

/** An aspect ratio range (min, max) with 0 < min <= max. */
export function checkRatio(ratio: unknown, op: string): [number, number] {
  if (!Array.isArray(ratio) || ratio.length !== 2 || !ratio.every((v) => typeof v === 'number') || !(ratio[0] > 0 && ratio[0] <= ratio[1])) {
    throw new IsotensorError(`${op}: argument 'ratio' must be (min, max) aspect ratios with 0 < min <= max, got ${show(ratio)}`);
  }
  return [ratio[0] as number, ratio[1] as number];
}

/** random_size_crop on a host image: 10 tries of a random area and log-uniform aspect ratio, else the centre. */
export function randomSizeCropHost(x: HostTensor, size: [number, number], area: [number, number], ratio: [number, number],
                                   interp: number, rng: () => HostRng, op = 'image.randomSizeCrop'): [HostTensor, CropRect] {
  const [h, w] = imageHW(x, op);
  const srcArea = h * w;
  for (let t = 0; t < 10; t++) {
    const target = rng().uniform(area[0], area[1]) * srcArea;
    const newRatio = Math.exp(rng().uniform(Math.log(ratio[0]), Math.log(ratio[1])));
    // Python's round(): half to even.
    const nw = K.rint(Math.sqrt(target * newRatio)), nh = K.rint(Math.sqrt(target / newRatio));
    if (nw <= w && nh <= h) {
      const x0 = rng().randint(0, w - nw), y0 = rng().randint(0, h - nh);
      const rect: CropRect = [x0, y0, nw, nh];
      return [fixedCrop(x, rect, size, interp, rng, op), rect];
    }
  }
  return centerCropHost(x, size, interp, rng, op);
}

function hostImage(src: NDArray, op: string): HostTensor {
  if (!(src instanceof NDArray)) throw new IsotensorError(`${op}: argument 'src' must be an NDArray image (H, W, C), got ${kindOf(src)}`);
  if (src.ndim !== 3) throw new IsotensorError(`${op}: argument 'src' must be an image (H, W, C), got shape (${src.shape.join(', ')})`);
  return ndToHost(src, false);
}

function back(x: HostTensor, like: NDArray): NDArray {
  return array(x.data as never, { shape: x.shape, dtype: x.dtype, ctx: like.context });
}

/**
 * A crop of `size` (W, H) at a random place (scaled down to fit, then resized to `size`, when the image
 * is smaller); returns the crop and its region [x0, y0, w, h] in src. Draws from mx.random's generator.
 * @example const [crop, [x, y, w, h]] = mx.image.randomCrop(img, [224, 224]);
 */
export function randomCrop(src: NDArray, size: readonly [number, number], interp = 2): [NDArray, CropRect] {
  const op = 'image.randomCrop';
  const x = hostImage(src, op);
  const [out, rect] = randomCropHost(x, checkSize(size, op), checkInterp(interp, op), memo(imageRng), op);
  return [back(out, src), rect];
}

/**
 * A crop of random area (`area`: a fraction of the image, or (min, max)) and aspect ratio (`ratio`,
 * log-uniform), resized to `size` (W, H); after 10 misses, the centre crop. Returns the crop and its region.
 * @example const [crop] = mx.image.randomSizeCrop(img, [224, 224], 0.08, [3 / 4, 4 / 3]);
 */
export function randomSizeCrop(src: NDArray, size: readonly [number, number], area: number | readonly [number, number],
                               ratio: readonly [number, number], interp = 2): [NDArray, CropRect] {
  const op = 'image.randomSizeCrop';
  const x = hostImage(src, op);
  const [out, rect] = randomSizeCropHost(x, checkSize(size, op), checkArea(area, op), checkRatio(ratio, op),
                                         checkInterp(interp, op), memo(imageRng), op);
  return [back(out, src), rect];
}

/** `f`, called at most once (one generator for the whole call). */
export function memo<T>(f: () => T): () => T {
  let v: T | undefined;
  let done = false;
  return () => {
    if (!done) { v = f(); done = true; }
    return v as T;
  };
}
