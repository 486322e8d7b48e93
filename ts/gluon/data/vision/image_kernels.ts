// Image kernels on HostTensors: what MXNet's image ops (to_tensor, normalize, resize, crop, flips,
// brightness, contrast, cast) compute, written once in plain JS for data workers and the calling thread.
// SPDX-License-Identifier: Apache-2.0
//
// Layouts follow MXNet: images are (H, W, C) or batches (N, H, W, C) until ToTensor makes them
// (C, H, W) / (N, C, H, W) float32. Interpolation codes are OpenCV's (0 nearest, 1 bilinear,
// 2 bicubic; MXNet's 9 = auto picks by the size change), with OpenCV's pixel-centre mapping and
// border clamping; the weights are float32 as in OpenCV and sums run in float64, so integer
// images may differ by one step from OpenCV's fixed-point uint8 path.
import {
  floatToBFloat16Bits, bfloat16BitsToFloat, floatToHalfBits, halfBitsToFloat, isBigInt, isFloat,
  type DataArray, type DType,
} from '../../../base/dtype.js';
import { IsotensorError } from '../../../base/error.js';
import { hostTensor, shapeText, valueArray, type HostTensor } from '../host/host_tensor.js';
import type { HostRng } from '../host/rng.js';

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

/** Source taps and weights along one axis (OpenCV's coordinate mapping). */
interface Taps {
  idx: Int32Array;
  wt: Float64Array;
  k: number;
}

function cubicWeights(x: number): [number, number, number, number] {
  const A = -0.75;
  const c0 = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
  const c1 = ((A + 2) * x - (A + 3)) * x * x + 1;
  const c2 = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
  return [c0, c1, c2, 1 - c0 - c1 - c2];
}

function taps(src: number, dst: number, interp: number): Taps {
  const scale = src / dst;
  const k = interp === 0 ? 1 : interp === 1 ? 2 : 4;
  const idx = new Int32Array(dst * k), wt = new Float64Array(dst * k);
  for (let d = 0; d < dst; d++) {
    if (interp === 0) {
      idx[d] = Math.min(Math.floor(d * scale), src - 1);
      wt[d] = 1;
      continue;
    }
    const fx = f32((d + 0.5) * scale - 0.5);
    let sx = Math.floor(fx);
    let a = f32(fx - sx);
    if (interp === 1) {
      if (sx < 0) { a = 0; sx = 0; }
      if (sx >= src - 1) { a = 0; sx = src - 1; }
      idx[2 * d] = sx;
      idx[2 * d + 1] = Math.min(sx + 1, src - 1);
      wt[2 * d] = 1 - a;
      wt[2 * d + 1] = a;
    } else {
      const c = cubicWeights(a);
      for (let j = 0; j < 4; j++) {
        idx[4 * d + j] = Math.min(Math.max(sx - 1 + j, 0), src - 1);
        wt[4 * d + j] = c[j]!;
      }
    }
  }
  return { idx, wt, k };
}

function checkInterp(interp: number, op: string): void {
  if (interp !== 0 && interp !== 1 && interp !== 2) {
    throw new IsotensorError(`${op}: interpolation ${interp} is not supported (0 nearest, 1 bilinear, 2 bicubic; ` +
                             '9 picks one by the size change)');
  }
}

/** MXNet's _get_interp_method: 9 = bicubic to enlarge, area (here: bilinear) to shrink, bilinear otherwise. */
export function interpMethod(interp: number, oh: number, ow: number, nh: number, nw: number): number {
  if (interp === 9) return nh > oh && nw > ow ? 2 : 1;
  return interp;
}

/** Resizes images (H, W, C) / (N, H, W, C) to (outH, outW); the dtype stays (integers rounded, uint8 saturated). */
export function resizeTo(x: HostTensor, outH: number, outW: number, interp: number, op = 'Resize'): HostTensor {
  checkInterp(interp, op);
  const { n, h, w, c, batched } = hwc(x, op);
  if (h === 0 || w === 0) throw new IsotensorError(`${op}: cannot resize an empty image of shape ${shapeText(x.shape)}`);
  const src = numeric(x, op);
  const tx = taps(w, outW, interp), ty = taps(h, outH, interp);
  const out = valueArray(x.dtype, n * outH * outW * c) as Float32Array;
  const float = isFloat(x.dtype);
  for (let b = 0; b < n; b++) {
    const sb = b * h * w * c, ob = b * outH * outW * c;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let j = 0; j < ty.k; j++) {
            const row = sb + ty.idx[oy * ty.k + j]! * w * c;
            let r = 0;
            for (let i = 0; i < tx.k; i++) r += tx.wt[ox * tx.k + i]! * src[row + tx.idx[ox * tx.k + i]! * c + ch]!;
            acc += ty.wt[oy * ty.k + j]! * r;
          }
          out[ob + (oy * outW + ox) * c + ch] = float ? acc : storeValue(x.dtype, acc, true, true);
        }
      }
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
