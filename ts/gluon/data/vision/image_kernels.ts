// Image kernels on HostTensors: what MXNet's image ops (to_tensor, normalize, resize, crop, flips,
// brightness, contrast, cast) compute, written once in plain JS for data workers and the calling thread.
// SPDX-License-Identifier: Apache-2.0
//
// Layouts follow MXNet: images are (H, W, C) or batches (N, H, W, C) until ToTensor makes them
// (C, H, W) / (N, C, H, W) float32. Resizing is OpenCV's cv::resize (image_resize.ts): codes 0 nearest,
// 1 bilinear, 2 bicubic, 3 area, 4 Lanczos, MXNet's 9 picking by the size change.
import {
  floatToBFloat16Bits, bfloat16BitsToFloat, floatToHalfBits, halfBitsToFloat, isBigInt, isFloat,
  type DataArray, type DType,
} from '../../../base/dtype.js';
import { IsotensorError } from '../../../base/error.js';
import { hostTensor, shapeText, valueArray, type HostTensor } from '../host/host_tensor.js';
import type { HostRng } from '../host/rng.js';
import { resizePlane, type ResizeKind } from './image_resize.js';

const f32 = Math.fround;

/** Which dims of an image or image batch hold height, width and channels. */
interface HWC {
  n: number;
  h: number;
  w: number;
  c: number;
  batched: boolean;
}

function hwc(x: HostTensor, op: string): HWC {
  const s = x.shape;
  if (s.length === 3) return { n: 1, h: s[0]!, w: s[1]!, c: s[2]!, batched: false };
  if (s.length === 4) return { n: s[0]!, h: s[1]!, w: s[2]!, c: s[3]!, batched: true };
  throw new IsotensorError(`${op}: expected an image (H, W, C) or a batch (N, H, W, C), got shape ${shapeText(s)}`);
}

function numeric(x: HostTensor, op: string): ArrayLike<number> {
  if (isBigInt(x.dtype)) throw new IsotensorError(`${op}: ${x.dtype} images are not supported`);
  return x.data as ArrayLike<number>;
}

/** Round half to even (OpenCV's cvRound, NumPy's rint). */
export function rint(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Stores a float result the way a C++ cast to `dtype` would (saturating for uint8 like MXNet's image ops). */
function storeValue(dtype: DType, v: number, round: boolean, saturateU8: boolean): number {
  if (isFloat(dtype)) return v;
  if (dtype === 'bool') return v !== 0 ? 1 : 0;
  if (dtype === 'uint8' && saturateU8) v = Math.min(Math.max(v, 0), 255);
  return round ? rint(v) : Math.trunc(v);
}

function fill(dtype: DType, n: number, f: (i: number) => number, round: boolean, saturateU8 = true): DataArray {
  const out = valueArray(dtype, n) as Float32Array;
  for (let i = 0; i < n; i++) out[i] = storeValue(dtype, f(i), round, saturateU8);
  return out;
}

/** (H, W, C) → (C, H, W) float32 / 255 (batches: (N, H, W, C) → (N, C, H, W)). */
export function toTensor(x: HostTensor): HostTensor {
  const { n, h, w, c, batched } = hwc(x, 'ToTensor');
  const src = numeric(x, 'ToTensor');
  const out = new Float32Array(n * h * w * c);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * plane * c;
    for (let p = 0; p < plane; p++) {
      for (let ch = 0; ch < c; ch++) out[base + ch * plane + p] = src[base + p * c + ch]! / 255;
    }
  }
  return hostTensor(out, batched ? [n, c, h, w] : [c, h, w], 'float32');
}

function perChannel(v: number | readonly number[], c: number, what: string): number[] {
  const a = typeof v === 'number' ? [v] : [...v];
  if (a.length === 1) return new Array<number>(c).fill(f32(a[0]!));
  if (a.length !== c) {
    throw new IsotensorError(`Normalize: ${what} has ${a.length} values but the image has ${c} channels`);
  }
  return a.map(f32);
}

/** (x - mean[c]) / std[c] on (C, H, W) or (N, C, H, W) float images, in float32. */
export function normalize(x: HostTensor, mean: number | readonly number[], std: number | readonly number[]): HostTensor {
  const s = x.shape;
  if (s.length !== 3 && s.length !== 4) {
    throw new IsotensorError(`Normalize: expected (C, H, W) or (N, C, H, W) input, got shape ${shapeText(s)}`);
  }
  if (!isFloat(x.dtype)) throw new IsotensorError(`Normalize: expects float input (apply ToTensor first), got ${x.dtype}`);
  const batched = s.length === 4;
  const n = batched ? s[0]! : 1, c = s[batched ? 1 : 0]!, plane = s[batched ? 2 : 1]! * s[batched ? 3 : 2]!;
  const m = perChannel(mean, c, 'mean'), d = perChannel(std, c, 'std');
  const src = x.data as Float32Array;
  const out = valueArray(x.dtype, src.length) as Float32Array;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const off = (b * c + ch) * plane;
      for (let p = 0; p < plane; p++) out[off + p] = f32(f32(src[off + p]! - m[ch]!) / d[ch]!);
    }
  }
  return hostTensor(out, s, x.dtype);
}

/** Converts element values to another dtype (C++ casts: truncation toward zero for integers). */
export function cast(x: HostTensor, dtype: DType): HostTensor {
  if (dtype === x.dtype) return hostTensor(x.data.slice() as DataArray, x.shape, dtype);
  const n = x.data.length;
  const out = valueArray(dtype, n);
  if (isBigInt(dtype)) {
    const src = x.data as ArrayLike<number | bigint>;
    const o = out as BigInt64Array;
    for (let i = 0; i < n; i++) o[i] = typeof src[i] === 'bigint' ? src[i] as bigint : BigInt(Math.trunc(src[i] as number));
    return hostTensor(out, x.shape, dtype);
  }
  const src = x.data as ArrayLike<number | bigint>;
  const o = out as Float32Array;
  for (let i = 0; i < n; i++) {
    const v = Number(src[i]);
    if (dtype === 'float16') o[i] = halfBitsToFloat(floatToHalfBits(v));
    else if (dtype === 'bfloat16') o[i] = bfloat16BitsToFloat(floatToBFloat16Bits(v));
    else o[i] = storeValue(dtype, v, false, false);
  }
  return hostTensor(out, x.shape, dtype);
}

/** Output (height, width) of Resize (MXNet's GetHeightAndWidth). */
export function resizedSize(h: number, w: number, size: number | readonly number[], keepRatio: boolean): [number, number] {
  const s = typeof size === 'number' ? [size] : [...size];
  if (s.length !== 1 && s.length !== 2) throw new IsotensorError(`Resize: size must be one or two numbers (W, H), got ${shapeText(s)}`);
  for (const v of s) {
    if (!Number.isInteger(v) || v <= 0) throw new IsotensorError(`Resize: size must hold positive integers, got ${shapeText(s)}`);
  }
  if (s.length === 2) return [s[1]!, s[0]!];
  const t = s[0]!;
  if (!keepRatio) return [t, t];
  return h > w ? [Math.floor((h * t) / w), t] : [t, Math.floor((w * t) / h)];
}

const INTERP_NAMES = '0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos';

function checkInterp(interp: number, op: string): void {
  if (interp !== 0 && interp !== 1 && interp !== 2 && interp !== 3 && interp !== 4) {
    throw new IsotensorError(`${op}: interpolation ${interp} is not supported (${INTERP_NAMES}; 9 picks one by the size change)`);
  }
}

/**
 * MXNet's GetInterMethod / _get_interp_method for a (oh, ow) -> (nh, nw) resize: 9 is bicubic when both
 * sides grow, area when both shrink, bilinear otherwise; other codes pass through (10, random, needs a
 * generator: see image/interp.ts).
 */
export function interpMethod(interp: number, oh: number, ow: number, nh: number, nw: number): number {
  if (interp !== 9) return interp;
  if (nh > oh && nw > ow) return 2;
  if (nh < oh && nw < ow) return 3;
  return 1;
}

/** Which OpenCV arithmetic a dtype resizes with: uint8 fixed point, float32 or (other types) doubles. */
function resizeKind(dtype: DType): ResizeKind {
  if (dtype === 'uint8') return 'u8';
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' ? 'f32' : 'f64';
}

/**
 * Resizes images (H, W, C) / (N, H, W, C) to (outH, outW) with OpenCV's cv::resize arithmetic
 * (image_resize.ts; `interp` 0-4). The dtype stays: uint8 and floats as OpenCV computes them, other
 * integer types (which OpenCV does not resize) from the double path, rounded to nearest.
 */
export function resizeTo(x: HostTensor, outH: number, outW: number, interp: number, op = 'Resize'): HostTensor {
  checkInterp(interp, op);
  const { n, h, w, c, batched } = hwc(x, op);
  if (h === 0 || w === 0) throw new IsotensorError(`${op}: cannot resize an empty image of shape ${shapeText(x.shape)}`);
  if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH <= 0 || outW <= 0) {
    throw new IsotensorError(`${op}: cannot resize to ${outW}x${outH} (width x height must be positive integers)`);
  }
  const src = numeric(x, op);
  const kind = resizeKind(x.dtype);
  const plane = h * w * c, outPlane = outH * outW * c;
  const out = valueArray(x.dtype, n * outPlane) as Float32Array;
  for (let b = 0; b < n; b++) {
    const data = (src as Float32Array).subarray(b * plane, (b + 1) * plane);
    const r = resizePlane({ data, h, w, c }, outH, outW, interp, kind);
    const ob = b * outPlane;
    if (kind === 'u8' || isFloat(x.dtype)) {
      for (let i = 0; i < outPlane; i++) out[ob + i] = r[i]!;
    } else {
      for (let i = 0; i < outPlane; i++) out[ob + i] = storeValue(x.dtype, r[i]!, true, true);
    }
  }
  return hostTensor(out, batched ? [n, outH, outW, c] : [outH, outW, c], x.dtype);
}

/** MXNet's image.resize: `size` is one number (square, or the short side with keepRatio) or (W, H). */
export function resize(x: HostTensor, size: number | readonly number[], keepRatio: boolean, interp: number): HostTensor {
  const { h, w } = hwc(x, 'Resize');
  const [oh, ow] = resizedSize(h, w, size, keepRatio);
  return resizeTo(x, oh, ow, interp);
}

/** The region [y0, y0+ch) × [x0, x0+cw) of images (H, W, C) / (N, H, W, C). */
export function crop(x: HostTensor, x0: number, y0: number, cw: number, ch: number, op = 'crop'): HostTensor {
  const { n, h, w, c, batched } = hwc(x, op);
  if (x0 < 0 || y0 < 0 || cw <= 0 || ch <= 0 || x0 + cw > w || y0 + ch > h) {
    throw new IsotensorError(`${op}: region x=${x0} y=${y0} width=${cw} height=${ch} is outside the image of ` +
                             `width ${w} and height ${h} (shape ${shapeText(x.shape)})`);
  }
  const out = valueArray(x.dtype, n * ch * cw * c);
  const rowLen = cw * c;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < ch; y++) {
      const from = ((b * h + y0 + y) * w + x0) * c;
      out.set(x.data.subarray(from, from + rowLen) as never, (b * ch + y) * rowLen);
    }
  }
  return hostTensor(out, batched ? [n, ch, cw, c] : [ch, cw, c], x.dtype);
}

/** MXNet's fixed_crop: a crop, resized to (W, H) `size` when given and different. */
export function fixedCrop(x: HostTensor, x0: number, y0: number, cw: number, ch: number,
                          size: readonly [number, number] | null, interp: number, op: string): HostTensor {
  const out = crop(x, x0, y0, cw, ch, op);
  if (size === null || (cw === size[0] && ch === size[1])) return out;
  return resizeTo(out, size[1], size[0], interpMethod(interp, ch, cw, size[1], size[0]), op);
}

/** MXNet's scale_down: shrinks a (W, H) crop size to fit the image, keeping its aspect ratio. */
export function scaleDown(srcW: number, srcH: number, w: number, h: number): [number, number] {
  if (srcH < h) { w = (w * srcH) / h; h = srcH; }
  if (srcW < w) { h = (h * srcW) / w; w = srcW; }
  return [Math.trunc(w), Math.trunc(h)];
}

/** MXNet's center_crop (image.center_crop): the central (W, H) region, resized up when the image is smaller. */
export function centerCrop(x: HostTensor, size: readonly [number, number], interp: number): HostTensor {
  const s = x.shape;
  if (s.length !== 3) throw new IsotensorError(`CenterCrop: expected an image (H, W, C), got shape ${shapeText(s)}`);
  const h = s[0]!, w = s[1]!;
  const [nw, nh] = scaleDown(w, h, size[0], size[1]);
  return fixedCrop(x, Math.trunc((w - nw) / 2), Math.trunc((h - nh) / 2), nw, nh, size, interp, 'CenterCrop');
}

/** MXNet's random_size_crop: a random area and aspect ratio (10 tries, then the centre), resized to `size`. */
export function randomSizeCrop(x: HostTensor, size: readonly [number, number], area: readonly [number, number],
                               ratio: readonly [number, number], interp: number, rng: HostRng): HostTensor {
  const s = x.shape;
  if (s.length !== 3) throw new IsotensorError(`RandomResizedCrop: expected an image (H, W, C), got shape ${shapeText(s)}`);
  const h = s[0]!, w = s[1]!;
  const srcArea = h * w;
  for (let t = 0; t < 10; t++) {
    const target = rng.uniform(area[0], area[1]) * srcArea;
    const newRatio = Math.exp(rng.uniform(Math.log(ratio[0]), Math.log(ratio[1])));
    const nw = rint(Math.sqrt(target * newRatio)), nh = rint(Math.sqrt(target / newRatio));
    if (nw <= w && nh <= h) {
      const x0 = rng.randint(0, w - nw), y0 = rng.randint(0, h - nh);
      return fixedCrop(x, x0, y0, nw, nh, size, interp, 'RandomResizedCrop');
    }
  }
  return centerCrop(x, size, interp);
}

/** Mirrors images along width (`axis` 'w') or height ('h'). */
export function flip(x: HostTensor, axis: 'w' | 'h'): HostTensor {
  const { n, h, w, c } = hwc(x, axis === 'w' ? 'RandomFlipLeftRight' : 'RandomFlipTopBottom');
  const out = valueArray(x.dtype, x.data.length);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const sy = axis === 'h' ? h - 1 - y : y;
      for (let xx = 0; xx < w; xx++) {
        const sx = axis === 'w' ? w - 1 - xx : xx;
        const from = ((b * h + sy) * w + sx) * c;
        out.set(x.data.subarray(from, from + c) as never, ((b * h + y) * w + xx) * c);
      }
    }
  }
  return hostTensor(out, x.shape, x.dtype);
}

/** x · alpha in float32, stored as MXNet's image ops store (uint8 saturated, other types truncated). */
export function adjustBrightness(x: HostTensor, alpha: number): HostTensor {
  const src = numeric(x, 'RandomBrightness');
  const a = f32(alpha);
  return hostTensor(fill(x.dtype, src.length, (i) => f32(src[i]! * a), false), x.shape, x.dtype);
}

/** MXNet's AdjustContrastImpl: blends (H, W, C) images with their mean gray level (float32 sums). */
export function adjustContrast(x: HostTensor, alpha: number): HostTensor {
  const s = x.shape;
  if (s.length !== 3 || (s[2] !== 1 && s[2] !== 3)) {
    throw new IsotensorError(`RandomContrast: expected an image (H, W, 1) or (H, W, 3), got shape ${shapeText(s)}`);
  }
  const src = numeric(x, 'RandomContrast');
  const length = s[0]! * s[1]!;
  const coef = [f32(0.299), f32(0.587), f32(0.114)];
  let sum = 0;
  if (s[2] === 3) {
    for (let l = 0; l < length; l++) for (let c = 0; c < 3; c++) sum = f32(sum + f32(src[l * 3 + c]! * coef[c]!));
  } else {
    for (let l = 0; l < length; l++) sum = f32(sum + src[l]!);
  }
  const a = f32(alpha);
  const grayMean = f32(sum / length);
  const beta = f32(f32(1 - a) * grayMean);
  return hostTensor(fill(x.dtype, src.length, (i) => f32(f32(src[i]! * a) + beta), false), s, x.dtype);
}
