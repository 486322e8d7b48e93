// MXNet's mx.image transforms on (H, W, C) NDArrays: imresize, resizeShort, fixedCrop, centerCrop,
// colorNormalize, scaleDown. They run the host kernels Gluon's vision transforms run
// (gluon/data/vision/image_kernels.ts: OpenCV's resize arithmetic), so both give the same pixels.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf, show } from '../base/error.js';
import { ndToHost } from '../gluon/data/describe.js';
import type { HostTensor } from '../gluon/data/host/host_tensor.js';
import * as K from '../gluon/data/vision/image_kernels.js';
import { array } from '../ndarray/creation.js';
import { NDArray } from '../ndarray/ndarray.js';
import { imageRng } from './image_rng.js';
import { checkInterp, interpMethod } from './interp.js';
import { memo } from './random_crop.js';

function checkImage(src: NDArray, op: string): void {
  if (!(src instanceof NDArray)) throw new IsotensorError(`image.${op}: argument 'src' must be an NDArray image (H, W, C), got ${kindOf(src)}`);
  if (src.ndim !== 3) throw new IsotensorError(`image.${op}: argument 'src' must be an image (H, W, C), got shape (${src.shape.join(', ')})`);
}

function host(src: NDArray, op: string): HostTensor {
  checkImage(src, op);
  return ndToHost(src, false);
}

function back(x: HostTensor, like: NDArray): NDArray {
  return array(x.data as never, { shape: x.shape, dtype: x.dtype, ctx: like.context });
}

function positive(v: number, what: string, op: string): void {
  if (!Number.isInteger(v) || v <= 0) throw new IsotensorError(`image.${op}: ${what} must be a positive integer, got ${show(v)}`);
}

/** A (W, H) size: two positive integers. */
function size2(v: readonly [number, number], what: string, op: string): void {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((d) => Number.isInteger(d) && d > 0)) {
    throw new IsotensorError(`image.${op}: argument '${what}' must be two positive integers (W, H), got ${show(v)}`);
  }
}

/**
 * src resized to width w and height h (OpenCV's cv::resize). interp: 0 nearest, 1 bilinear (default),
 * 2 bicubic, 3 area, 4 Lanczos, 9 by the size change (bicubic up, area down, else bilinear), 10 random.
 */
export function imresize(src: NDArray, w: number, h: number, interp = 1): NDArray {
  positive(w, 'w', 'imresize');
  positive(h, 'h', 'imresize');
  checkInterp(interp, 'image.imresize');
  const x = host(src, 'imresize');
  const [ih, iw] = src.shape as [number, number];
  return back(K.resizeTo(x, h, w, interpMethod(interp, ih, iw, h, w, memo(imageRng)), 'image.imresize'), src);
}

/** src resized so its shorter side is `size`, keeping the aspect ratio (default bicubic). */
export function resizeShort(src: NDArray, size: number, interp = 2): NDArray {
  positive(size, 'size', 'resizeShort');
  checkInterp(interp, 'image.resizeShort');
  const x = host(src, 'resizeShort');
  const [h, w] = src.shape as [number, number];
  const [nh, nw] = h > w ? [Math.floor((size * h) / w), size] : [size, Math.floor((size * w) / h)];
  return back(K.resizeTo(x, nh, nw, interpMethod(interp, h, w, nh, nw, memo(imageRng)), 'image.resizeShort'), src);
}

/** The region (x0, y0, w, h) of src, resized to `size` (W, H) when given. */
export function fixedCrop(src: NDArray, x0: number, y0: number, w: number, h: number,
                          size: readonly [number, number] | null = null, interp = 2): NDArray {
  checkInterp(interp, 'image.fixedCrop');
  const x = host(src, 'fixedCrop');
  // 10 (random) is drawn only when a resize happens, as MXNet's fixed_crop does.
  const method = size === null || (size[0] === w && size[1] === h) ? interp : interpMethod(interp, h, w, size[1], size[0], memo(imageRng));
  return back(K.fixedCrop(x, x0, y0, w, h, size, method, 'image.fixedCrop'), src);
}

/** MXNet's scale_down: a crop size (W, H) shrunk, aspect kept, to fit an image of srcSize (W, H). */
export function scaleDown(srcSize: readonly [number, number], size: readonly [number, number]): [number, number] {
  size2(srcSize, 'srcSize', 'scaleDown');
  size2(size, 'size', 'scaleDown');
  return K.scaleDown(srcSize[0], srcSize[1], size[0], size[1]);
}

/**
 * The central region of size (W, H), scaled down to fit, then resized to (W, H); returns the image and
 * the region [x0, y0, w, h] taken from src.
 */
export function centerCrop(src: NDArray, size: readonly [number, number], interp = 2): [NDArray, [number, number, number, number]] {
  checkImage(src, 'centerCrop');
  size2(size, 'size', 'centerCrop');
  const [h, w] = src.shape as [number, number];
  const [nw, nh] = K.scaleDown(w, h, size[0], size[1]);
  const x0 = Math.trunc((w - nw) / 2);
  const y0 = Math.trunc((h - nh) / 2);
  return [fixedCrop(src, x0, y0, nw, nh, size, interp), [x0, y0, nw, nh]];
}

/** (src - mean) / std, broadcast over the channels (src as float32 when it is an integer image). */
export function colorNormalize(src: NDArray, mean: NDArray | number | readonly number[], std?: NDArray | number | readonly number[]): NDArray {
  if (!(src instanceof NDArray)) throw new IsotensorError(`image.colorNormalize: argument 'src' must be an NDArray, got ${kindOf(src)}`);
  for (const [name, v] of [['mean', mean], ['std', std]] as const) {
    if (name === 'std' && v === undefined) continue;
    if (!(v instanceof NDArray || typeof v === 'number' || (Array.isArray(v) && v.every((e) => typeof e === 'number')))) {
      throw new IsotensorError(`image.colorNormalize: argument '${name}' must be an NDArray, a number or an array of numbers, got ${kindOf(v)}`);
    }
  }
  const f = src.dtype.startsWith('float') ? src : src.astype('float32');
  const asArray = (v: NDArray | number | readonly number[]): NDArray | number =>
    v instanceof NDArray || typeof v === 'number' ? v : array([...v], { dtype: f.dtype, ctx: f.context });
  const centred = f.sub(asArray(mean));
  return std === undefined ? centred : centred.div(asArray(std));
}
