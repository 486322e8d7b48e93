// MXNet's DefaultImageAugmenter (src/io/image_aug_default.cc) on decoded BGR images: resize, pad, crops, color jitter, PCA noise.
// SPDX-License-Identifier: Apache-2.0
//
// The order is MXNet's: resize the shorter edge -> affine (rotate, shear, random scale and aspect ratio:
// OpenCV's warpAffine) -> pad -> random resized crop, or a
// random-size square crop, or the data_shape crop (centre unless rand_crop, the image first enlarged when
// smaller) -> brightness/contrast/saturation in a random order -> H/L/S shifts in OpenCV's HLS (hls.ts) -> PCA noise. Random draws come from the
// caller's std::mt19937 in MXNet's order, so a seeded run matches MXNet's choices. Resizing is OpenCV's
// cv::resize arithmetic (image_kernels.ts / image_resize.ts: every inter_method, uint8 byte for byte).
import { IsotensorError } from '../base/error.js';
import { hostTensor, type HostTensor } from '../gluon/data/host/host_tensor.js';
import * as K from '../gluon/data/vision/image_kernels.js';
import type { ParamSpec } from './iter_params.js';
import { NormalFloat, type MT19937 } from './mt19937.js';
import { bgrToHls, hlsToBgr } from './hls.js';
import { warpAffine } from './warp_affine.js';

const f32 = Math.fround;

/** The augmenter's parameters (MXNet's DefaultImageAugmentParam), snake_case keys. */
export const AUG_PARAMS: readonly ParamSpec[] = [
  { name: 'resize', kind: 'int', default: -1 },
  { name: 'rand_crop', kind: 'bool', default: false },
  { name: 'random_resized_crop', kind: 'bool', default: false },
  { name: 'max_rotate_angle', kind: 'int', default: 0 },
  { name: 'max_aspect_ratio', kind: 'float', default: 0 },
  { name: 'min_aspect_ratio', kind: 'optionalFloat', default: null },
  { name: 'max_shear_ratio', kind: 'float', default: 0 },
  { name: 'max_crop_size', kind: 'int', default: -1 },
  { name: 'min_crop_size', kind: 'int', default: -1 },
  { name: 'max_random_scale', kind: 'float', default: 1 },
  { name: 'min_random_scale', kind: 'float', default: 1 },
  { name: 'max_random_area', kind: 'float', default: 1 },
  { name: 'min_random_area', kind: 'float', default: 1 },
  { name: 'max_img_size', kind: 'float', default: 1e10 },
  { name: 'min_img_size', kind: 'float', default: 0 },
  { name: 'brightness', kind: 'float', default: 0 },
  { name: 'contrast', kind: 'float', default: 0 },
  { name: 'saturation', kind: 'float', default: 0 },
  { name: 'pca_noise', kind: 'float', default: 0 },
  { name: 'random_h', kind: 'int', default: 0 },
  { name: 'random_s', kind: 'int', default: 0 },
  { name: 'random_l', kind: 'int', default: 0 },
  { name: 'rotate', kind: 'int', default: -1 },
  { name: 'rotate_list', kind: 'intList', default: [] },
  { name: 'fill_value', kind: 'int', default: 255 },
  { name: 'inter_method', kind: 'int', default: 1 },
  { name: 'pad', kind: 'int', default: 0, min: 0 },
];

/** An 8-bit image (H, W, C) in OpenCV's channel order (BGR for color). */
export interface Img {
  data: Uint8Array;
  h: number;
  w: number;
  c: number;
}

const host = (im: Img): HostTensor => hostTensor(im.data, [im.h, im.w, im.c], 'uint8');
const fromHost = (t: HostTensor): Img => ({ data: t.data as Uint8Array, h: t.shape[0]!, w: t.shape[1]!, c: t.shape[2]! });

/** saturate_cast<uchar>(cvRound(v)). */
function sat8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : K.rint(v);
}

/** The augmenter for one iterator: parameters checked once, `process` per image. */
export class DefaultImageAugmenter {
  private readonly p: Record<string, any>;
  private readonly minAspect: number;
  private readonly maxAspect: number;
  /** (C, H, W) of the output. */
  private readonly shape: readonly number[];
  /** Whether the affine step (warpAffine) runs. */
  private readonly affine: boolean;

  constructor(private readonly iter: string, params: Record<string, unknown>, dataShape: readonly number[]) {
    const p = params as Record<string, any>;
    this.p = p;
    this.shape = dataShape;
    if (p.min_aspect_ratio !== null) {
      this.maxAspect = p.max_aspect_ratio;
      this.minAspect = p.min_aspect_ratio;
    } else {
      this.maxAspect = f32(1 + p.max_aspect_ratio);
      this.minAspect = f32(1 - p.max_aspect_ratio);
    }
    const inter = p.inter_method as number;
    if (![0, 1, 2, 3, 4, 9, 10].includes(inter)) {
      throw new IsotensorError(`${iter}: invalid inter_method ${inter}: valid values are 0, 1, 2, 3, 4, 9, 10`);
    }
    this.affine = p.max_rotate_angle > 0 || p.max_shear_ratio > 0 || p.rotate > 0 || p.rotate_list.length > 0 ||
      p.max_random_scale !== 1 || p.min_random_scale !== 1 ||
      (!p.random_resized_crop && (this.minAspect !== 1 || this.maxAspect !== 1)) ||
      p.max_img_size !== 1e10 || p.min_img_size !== 0;
    if (p.rotate_list.some((v: number) => !Number.isInteger(v))) throw new IsotensorError(`${iter}: rotate_list must hold integers`);
    if (p.random_resized_crop && (p.min_random_scale !== 1 || p.max_random_scale !== 1 || p.min_crop_size !== -1 ||
                                  p.max_crop_size !== -1 || p.rand_crop)) {
      throw new IsotensorError(`${iter}: setting random_resized_crop to true conflicts with min_random_scale, ` +
                               'max_random_scale, min_crop_size, max_crop_size, and rand_crop');
    }
    if (!p.random_resized_crop && (p.max_crop_size !== -1 || p.min_crop_size !== -1)) {
      if (p.min_crop_size <= 0 || p.max_crop_size < p.min_crop_size) {
        throw new IsotensorError(`${iter}: min_crop_size and max_crop_size must both be set, 0 < min_crop_size <= max_crop_size, ` +
                                 `got ${p.min_crop_size} and ${p.max_crop_size}`);
      }
    }
    if (p.resize === 0 || p.resize < -1) throw new IsotensorError(`${iter}: resize must be a positive size or -1 (none), got ${p.resize}`);
    if (p.random_resized_crop && (this.minAspect <= 0 || p.min_random_area > p.max_random_area || this.minAspect > this.maxAspect)) {
      throw new IsotensorError(`${iter}: random_resized_crop needs 0 < min_aspect_ratio <= max_aspect_ratio and ` +
                               `min_random_area <= max_random_area`);
    }
  }

  /** MXNet's GetInterMethod (9: bicubic to enlarge, area (3) to shrink, bilinear otherwise; 10: a draw of 0-4). */
  private interMethod(ow: number, oh: number, nw: number, nh: number, rng: MT19937): number {
    const m = this.p.inter_method as number;
    if (m === 10) return rng.uniformInt(0, 4);
    return K.interpMethod(m, oh, ow, nh, nw);
  }

  private resize(im: Img, nw: number, nh: number, interp: number): Img {
    if (nw <= 0 || nh <= 0) throw new IsotensorError(`${this.iter}: cannot resize a ${im.w}x${im.h} image to ${nw}x${nh}`);
    return fromHost(K.resizeTo(host(im), nh, nw, interp, this.iter));
  }

  private crop(im: Img, x: number, y: number, w: number, h: number): Img {
    return fromHost(K.crop(host(im), x, y, w, h, this.iter));
  }

  /** One image through the augmenter; `rng` is the calling thread's engine. */
  process(src: Img, rng: MT19937): Img {
    const p = this.p;
    const dh = this.shape[1]!, dw = this.shape[2]!;
    let res = src;
    if (p.resize !== -1) {
      let nh: number, nw: number;
      if (res.h > res.w) {
        nh = Math.trunc((p.resize * res.h) / res.w);
        nw = p.resize;
      } else {
        nh = p.resize;
        nw = Math.trunc((p.resize * res.w) / res.h);
      }
      res = this.resize(res, nw, nh, this.interMethod(res.w, res.h, nw, nh, rng));
    }
    if (this.affine) res = this.warp(res, rng);
    if (p.pad > 0) res = this.padded(res, p.pad, p.fill_value);
    let cropped = false;
    if (p.random_resized_crop) {
      if (p.max_random_area !== 1 || p.min_random_area !== 1 || this.maxAspect !== 1 || this.minAspect !== 1) {
        const area = res.h * res.w;
        for (let i = 0; i < 10; i++) {
          const randArea = rng.uniformFloat(p.min_random_area, p.max_random_area);
          const ratio = rng.uniformFloat(this.minAspect, this.maxAspect);
          const target = f32(area * randArea);
          let ya = Math.round(f32(Math.sqrt(f32(target / ratio))));
          let xa = Math.round(f32(Math.sqrt(f32(target * ratio))));
          if (rng.canonicalFloat() > 0.5) [ya, xa] = [xa, ya];
          if (ya <= res.h && xa <= res.w) {
            const ry = rng.uniformInt(0, res.h - ya);
            const rx = rng.uniformInt(0, res.w - xa);
            const interp = this.interMethod(xa, ya, dw, dh, rng);
            res = this.resize(this.crop(res, rx, ry, xa, ya), dw, dh, interp);
            cropped = true;
            break;
          }
        }
      }
    } else if (p.max_crop_size !== -1 || p.min_crop_size !== -1) {
      if (res.w < p.max_crop_size || res.h < p.max_crop_size) {
        throw new IsotensorError(`${this.iter}: input image size ${res.w}x${res.h} smaller than max_crop_size ${p.max_crop_size}`);
      }
      const size = rng.uniformInt(p.min_crop_size, p.max_crop_size);
      let y = res.h - size, x = res.w - size;
      if (p.rand_crop) {
        y = rng.uniformInt(0, y);
        x = rng.uniformInt(0, x);
      } else {
        y = Math.trunc(y / 2);
        x = Math.trunc(x / 2);
      }
      const interp = this.interMethod(size, size, dw, dh, rng);
      res = this.resize(this.crop(res, x, y, size, size), dw, dh, interp);
      cropped = true;
    }
    if (!cropped) {
      // One method for both enlargements, chosen from the size before them (as MXNet does).
      const interp = this.interMethod(res.w, res.h, dw, dh, rng);
      if (res.h < dh) {
        const nc = Math.trunc(f32(f32(f32(dh) / f32(res.h)) * f32(res.w)));
        res = this.resize(res, nc, dh, interp);
      }
      if (res.w < dw) {
        const nr = Math.trunc(f32(f32(f32(dw) / f32(res.w)) * f32(res.h)));
        res = this.resize(res, dw, nr, interp);
      }
      if (res.h < dh || res.w < dw) {
        throw new IsotensorError(`${this.iter}: input image size ${res.w}x${res.h} smaller than input shape ${dw}x${dh}`);
      }
      let y = res.h - dh, x = res.w - dw;
      if (p.rand_crop) {
        y = rng.uniformInt(0, y);
        x = rng.uniformInt(0, x);
      } else {
        y = Math.trunc(y / 2);
        x = Math.trunc(x / 2);
      }
      if (x !== 0 || y !== 0 || res.w !== dw || res.h !== dh) res = this.crop(res, x, y, dw, dh);
    }
    if (p.brightness > 0 || p.contrast > 0 || p.saturation > 0) res = this.colorJitter(res, rng);
    if (p.random_h !== 0 || p.random_s !== 0 || p.random_l !== 0) res = this.hlsJitter(res, rng);
    if (p.pca_noise > 0) res = this.pcaNoise(res, rng);
    return res;
  }

  /** MXNet's affine step: shear, rotation, random scale and aspect ratio in one warpAffine (inter_method's sampling). */
  private warp(res: Img, rng: MT19937): Img {
    const p = this.p;
    const maxShear = f32(p.max_shear_ratio);
    const s = f32(f32(f32(rng.canonicalFloat() * maxShear) * 2) - maxShear);
    let angle = rng.uniformInt(-p.max_rotate_angle, p.max_rotate_angle);
    if (p.rotate > 0) angle = p.rotate;
    if (p.rotate_list.length > 0) angle = p.rotate_list[rng.uniformInt(0, p.rotate_list.length - 1)];
    const a = f32(Math.cos((angle / 180) * Math.PI)), b = f32(Math.sin((angle / 180) * Math.PI));
    let scale = 1, ratio = 1;
    if (!p.random_resized_crop) {
      const lo = f32(p.min_random_scale), hi = f32(p.max_random_scale);
      scale = f32(f32(rng.canonicalFloat() * f32(hi - lo)) + lo);
      ratio = f32(f32(rng.canonicalFloat() * f32(this.maxAspect - this.minAspect)) + this.minAspect);
    }
    const hs = f32(f32(2 * scale) / f32(1 + ratio)), ws = f32(ratio * hs);
    const minImg = f32(p.min_img_size), maxImg = f32(p.max_img_size);
    const newW = Math.max(minImg, Math.min(maxImg, f32(scale * res.w)));
    const newH = Math.max(minImg, Math.min(maxImg, f32(scale * res.h)));
    const m00 = f32(f32(hs * a) - f32(f32(s * b) * ws)), m10 = f32(-b * ws);
    const m01 = f32(f32(hs * b) + f32(f32(s * a) * ws)), m11 = f32(a * ws);
    const cw = f32(f32(m00 * res.w) + f32(m01 * res.h)), chh = f32(f32(m10 * res.w) + f32(m11 * res.h));
    const m02 = f32(f32(newW - cw) / 2), m12 = f32(f32(newH - chh) / 2);
    const dw = Math.trunc(newW), dh = Math.trunc(newH);
    const interp = this.interMethod(res.w, res.h, dw, dh, rng);
    if (dw <= 0 || dh <= 0) throw new IsotensorError(`${this.iter}: the affine augmentation made an empty ${dw}x${dh} image`);
    const data = warpAffine(res.data, res.h, res.w, res.c, [m00, m01, m02, m10, m11, m12], dw, dh, p.fill_value, interp);
    return { data, h: dh, w: dw, c: res.c };
  }

  /** cv::copyMakeBorder with a constant fill on every side. */
  private padded(im: Img, pad: number, fill: number): Img {
    const h = im.h + 2 * pad, w = im.w + 2 * pad, c = im.c;
    // cv::Scalar(fill, fill, fill) saturated to uchar (a 4th channel would get 0).
    const out = new Uint8Array(h * w * c);
    const v = Math.min(Math.max(fill, 0), 255);
    for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) out[i * c + k] = k < 3 ? v : 0;
    for (let y = 0; y < im.h; y++) out.set(im.data.subarray(y * im.w * c, (y + 1) * im.w * c), ((y + pad) * w + pad) * c);
    return { data: out, h, w, c };
  }

  /** cvtColor(CV_RGB2GRAY) as MXNet calls it on a BGR image (so the R weight lands on B): fixed point, rounded. */
  private static gray(im: Img): Uint8Array {
    const n = im.h * im.w, out = new Uint8Array(n), d = im.data;
    if (im.c === 1) return d.slice();
    for (let i = 0; i < n; i++) out[i] = (d[i * im.c]! * 4899 + d[i * im.c + 1]! * 9617 + d[i * im.c + 2]! * 1868 + 8192) >> 14;
    return out;
  }

  private colorJitter(im: Img, rng: MT19937): Img {
    const p = this.p;
    if (im.c !== 3) throw new IsotensorError(`${this.iter}: brightness/contrast/saturation need 3-channel images, got ${im.c}`);
    const alphaB = f32(1 + rng.uniformFloat(-p.brightness, p.brightness));
    const alphaC = f32(1 + rng.uniformFloat(-p.contrast, p.contrast));
    const alphaS = f32(1 + rng.uniformFloat(-p.saturation, p.saturation));
    const order = [0, 1, 2];
    rng.shuffle(order);
    let d = im.data.slice();
    const n = im.h * im.w;
    for (const i of order) {
      if (i === 0) {
        for (let j = 0; j < d.length; j++) d[j] = sat8(f32(d[j]! * alphaB));
      } else if (i === 1) {
        const g = DefaultImageAugmenter.gray({ ...im, data: d });
        let sum = 0;
        for (let j = 0; j < n; j++) sum += g[j]!;
        const beta = f32(f32(1 - alphaC) * f32(sum / n));
        for (let j = 0; j < d.length; j++) d[j] = sat8(f32(f32(d[j]! * alphaC) + beta));
      } else {
        const g = DefaultImageAugmenter.gray({ ...im, data: d });
        const out = new Uint8Array(d.length);
        const beta = f32(1 - alphaS);
        for (let j = 0; j < n; j++) {
          for (let k = 0; k < 3; k++) out[3 * j + k] = sat8(f32(f32(d[3 * j + k]! * alphaS) + f32(g[j]! * beta)));
        }
        d = out;
      }
    }
    return { ...im, data: d };
  }

  /** Random shifts of H, L and S in OpenCV's 8-bit HLS (each draw the mean of 1 + 4 uniforms, as MXNet approximates a Gaussian). */
  private hlsJitter(im: Img, rng: MT19937): Img {
    const p = this.p;
    if (im.c !== 3) throw new IsotensorError(`${this.iter}: random_h/random_s/random_l need 3-channel images, got ${im.c}`);
    const draw = (): number => f32(f32(rng.canonicalFloat() + f32(4 * rng.canonicalFloat())) / 5);
    const rh = draw(), rs = draw(), rl = draw();
    const shift = (r: number, m: number): number => Math.trunc(f32(f32(f32(r * m) * 2) - m));
    const h = shift(rh, p.random_h), s = shift(rs, p.random_s), l = shift(rl, p.random_l);
    const delta = [h, l, s], limit = [180, 255, 255];
    const d = im.data.slice();
    bgrToHls(d);
    for (let j = 0; j < d.length; j++) d[j] = Math.max(0, Math.min(limit[j % 3]!, d[j]! + delta[j % 3]!));
    hlsToBgr(d);
    return { ...im, data: d };
  }

  private pcaNoise(im: Img, rng: MT19937): Img {
    if (im.c !== 3) throw new IsotensorError(`${this.iter}: pca_noise needs 3-channel images, got ${im.c}`);
    const normal = new NormalFloat(rng, 0, this.p.pca_noise);
    const ar = normal.next(), ag = normal.next(), ab = normal.next();
    const ev = EIGVEC;
    const pr = f32(f32(f32(ev[0]![0]! * ar) + f32(ev[0]![1]! * ag)) + f32(ev[0]![2]! * ab));
    const pg = f32(f32(f32(ev[1]![0]! * ar) + f32(ev[1]![1]! * ag)) + f32(ev[1]![2]! * ab));
    const pb = f32(f32(f32(ev[2]![0]! * ar) + f32(ev[2]![1]! * ag)) + f32(ev[2]![2]! * ab));
    const pca = [pb, pg, pr];
    const d = im.data.slice();
    for (let j = 0; j < d.length; j++) {
      // int += float: the sum in float, truncated toward zero, then clamped.
      const v = Math.trunc(f32(d[j]! + pca[j % 3]!));
      d[j] = Math.max(0, Math.min(255, v));
    }
    return { ...im, data: d };
  }
}

/** MXNet's eigval * eigvec for PCA noise (ImageNet's RGB statistics). */
const fmul = (a: number, b: number): number => f32(f32(a) * f32(b));
const EIGVEC: readonly (readonly number[])[] = [
  [fmul(55.46, -0.5675), fmul(4.794, 0.7192), fmul(1.148, 0.4009)],
  [fmul(55.46, -0.5808), fmul(4.794, -0.0045), fmul(1.148, -0.8140)],
  [fmul(55.46, -0.5836), fmul(4.794, -0.6948), fmul(1.148, 0.4203)],
];
