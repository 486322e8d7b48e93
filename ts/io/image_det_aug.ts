// MXNet's DefaultImageDetAugmenter (src/io/image_det_aug_default.cc): an image and its boxes through resize, color, mirror, pad, crop, fit.
// SPDX-License-Identifier: Apache-2.0
//
// The order and the random draws are MXNet 1.9's, from the caller's std::mt19937: resize the shorter edge ->
// (any color probability set) four uniform(-1, 1) draws for hue/saturation/illumination/contrast and four
// coin draws, H/L/S shifts in OpenCV's 8-bit HLS and contrast as convertTo(alpha) -> mirror with
// rand_mirror_prob -> pad with rand_pad_prob to a random scale in [1, max_pad_scale] (below 1.05: none),
// image at a random place, fill_value around -> crop with rand_crop_prob: the samplers in a shuffled order,
// up to max_crop_trials random boxes each until one meets the sampler's IOU/coverage limits for some
// object and keeps at least one object (crop_emit_mode) -> resize to data_shape (force), shrink only when
// too large (shrink), or scale to fit preserving the aspect ratio (fit). Boxes (relative coordinates) follow
// every geometric step (det_label.ts). Resampling is image_kernels.ts's (nearest, bilinear, bicubic; area:
// OpenCV's, shrinking only), as ImageRecordIter's augmenter.
import { IsotensorError, kindOf, show } from '../base/error.js';
import { hostTensor, type HostTensor } from '../gluon/data/host/host_tensor.js';
import * as K from '../gluon/data/vision/image_kernels.js';
import { DetLabel, type CropConstraints, type Rect } from './det_label.js';
import { bgrToHls, hlsToBgr } from './hls.js';
import type { Img } from './image_record_aug.js';
import { camelName, type ParamSpec } from './iter_params.js';
import type { MT19937 } from './mt19937.js';

const f32 = Math.fround;

/** The augmenter's scalar parameters (MXNet's DefaultImageDetAugmentParam), snake_case keys. */
export const DET_AUG_PARAMS: readonly ParamSpec[] = [
  { name: 'resize', kind: 'int', default: -1 },
  { name: 'rand_crop_prob', kind: 'float', default: 0 },
  { name: 'num_crop_sampler', kind: 'int', default: 1 },
  { name: 'crop_emit_mode', kind: 'string', default: 'center', oneOf: ['center', 'overlap'] },
  { name: 'emit_overlap_thresh', kind: 'float', default: 0.3 },
  { name: 'rand_pad_prob', kind: 'float', default: 0 },
  { name: 'max_pad_scale', kind: 'float', default: 1 },
  { name: 'max_random_hue', kind: 'int', default: 0 },
  { name: 'random_hue_prob', kind: 'float', default: 0 },
  { name: 'max_random_saturation', kind: 'int', default: 0 },
  { name: 'random_saturation_prob', kind: 'float', default: 0 },
  { name: 'max_random_illumination', kind: 'int', default: 0 },
  { name: 'random_illumination_prob', kind: 'float', default: 0 },
  { name: 'max_random_contrast', kind: 'float', default: 0 },
  { name: 'random_contrast_prob', kind: 'float', default: 0 },
  { name: 'rand_mirror_prob', kind: 'float', default: 0 },
  { name: 'fill_value', kind: 'int', default: 127 },
  { name: 'inter_method', kind: 'int', default: 1 },
  { name: 'resize_mode', kind: 'string', default: 'force', oneOf: ['force', 'shrink', 'fit'] },
];

/** The per-sampler list parameters (MXNet's Tuple<float> / Tuple<int>) and their defaults. */
export const DET_CROP_LISTS: readonly { readonly name: string; readonly default: readonly number[]; readonly int?: boolean }[] = [
  { name: 'min_crop_scales', default: [0] },
  { name: 'max_crop_scales', default: [1] },
  { name: 'min_crop_aspect_ratios', default: [1] },
  { name: 'max_crop_aspect_ratios', default: [1] },
  { name: 'min_crop_overlaps', default: [0] },
  { name: 'max_crop_overlaps', default: [1] },
  { name: 'min_crop_sample_coverages', default: [0] },
  { name: 'max_crop_sample_coverages', default: [1] },
  { name: 'min_crop_object_coverages', default: [0] },
  { name: 'max_crop_object_coverages', default: [1] },
  { name: 'max_crop_trials', default: [25], int: true },
];

/**
 * Takes the crop list parameters out of `opts` (a number or a list of numbers, under the snake_case or
 * camelCase key, as MXNet's tuples accept `0.5` or `(0.5, 0.7)`): the remaining options and the lists.
 */
export function takeCropLists(iter: string, opts: Record<string, unknown>): [Record<string, unknown>, Record<string, number[]>] {
  const rest = { ...opts };
  const lists: Record<string, number[]> = {};
  for (const spec of DET_CROP_LISTS) {
    const keys = [spec.name, camelName(spec.name)].filter((k) => rest[k] !== undefined);
    if (keys.length === 2) throw new IsotensorError(`${iter}: parameter '${spec.name}' given twice ('${keys[0]}' and '${keys[1]}')`);
    if (keys.length === 0) {
      lists[spec.name] = [...spec.default];
      continue;
    }
    const v = rest[keys[0]!];
    delete rest[keys[0]!];
    const list = typeof v === 'number' ? [v] : v;
    const ok = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && (!spec.int || Number.isInteger(x));
    if (!Array.isArray(list) || list.length === 0 || !list.every(ok)) {
      const what = spec.int ? 'an integer or a non-empty list of integers' : 'a number or a non-empty list of numbers';
      throw new IsotensorError(`${iter}: parameter '${keys[0]}' must be ${what}, got ${kindOf(v) === 'object' ? show(v) : `${kindOf(v)} ${show(v)}`}`);
    }
    lists[spec.name] = (list as number[]).map((x) => (spec.int ? x : f32(x)));
  }
  return [rest, lists];
}

/** One crop sampler's limits (MXNet's parameters at one sampler index). */
interface Sampler extends CropConstraints {
  minScale: number;
  maxScale: number;
  minAspect: number;
  maxAspect: number;
  trials: number;
}

const host = (im: Img): HostTensor => hostTensor(im.data, [im.h, im.w, im.c], 'uint8');

/** saturate_cast<uchar> of a float (OpenCV rounds half to even). */
function sat8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : K.rint(v);
}

/** The detection augmenter of one iterator: parameters checked once, `process` per image and label. */
export class DefaultImageDetAugmenter {
  private readonly p: Record<string, any>;
  private readonly samplers: Sampler[] = [];
  private readonly colorOn: boolean;

  constructor(private readonly iter: string, params: Record<string, unknown>, lists: Record<string, number[]>,
              private readonly dataShape: readonly number[]) {
    const p = params as Record<string, any>;
    this.p = p;
    const inter = p.inter_method as number;
    if (!((inter >= 0 && inter <= 4) || inter === 9 || inter === 10)) {
      throw new IsotensorError(`${iter}: invalid inter_method ${inter}: valid values are 0, 1, 2, 3, 4, 9, 10`);
    }
    if (p.resize === 0 || p.resize < -1) throw new IsotensorError(`${iter}: resize must be a positive size or -1 (none), got ${p.resize}`);
    if (!(p.emit_overlap_thresh >= 0)) throw new IsotensorError(`${iter}: emit_overlap_thresh must be >= 0, got ${p.emit_overlap_thresh}`);
    const n = p.num_crop_sampler as number;
    // MXNet's ValidateCropParameters: one value per sampler, or one value for all of them.
    const at = (name: string): number[] => {
      const l = lists[name]!;
      if (n === 1 && l.length !== 1) {
        throw new IsotensorError(`${iter}: ${name} must hold 1 value with num_crop_sampler 1, got ${l.length}`);
      }
      if (n > 1 && l.length !== 1 && l.length !== n) {
        throw new IsotensorError(`${iter}: ${name} holds ${l.length} values: the number of parameters and crop samplers ` +
                                 `(num_crop_sampler ${n}) mismatch`);
      }
      return l.length === 1 ? new Array<number>(Math.max(n, 1)).fill(l[0]!) : l;
    };
    const v = Object.fromEntries(DET_CROP_LISTS.map((s) => [s.name, at(s.name)]));
    for (let i = 0; i < n; i++) {
      const get = (k: string): number => v[k]![i]!;
      const need = (ok: boolean, what: string): void => {
        if (!ok) throw new IsotensorError(`${iter}: crop sampler ${i}: ${what}`);
      };
      need(get('min_crop_scales') >= 0, `min_crop_scales must be >= 0, got ${get('min_crop_scales')}`);
      need(get('max_crop_scales') <= 1, `max_crop_scales must be <= 1, got ${get('max_crop_scales')}`);
      need(get('max_crop_scales') > get('min_crop_scales'), `max_crop_scales (${get('max_crop_scales')}) must be > min_crop_scales (${get('min_crop_scales')})`);
      need(get('min_crop_aspect_ratios') >= 0, `min_crop_aspect_ratios must be >= 0, got ${get('min_crop_aspect_ratios')}`);
      for (const k of ['aspect_ratios', 'overlaps', 'sample_coverages', 'object_coverages']) {
        need(get(`max_crop_${k}`) >= get(`min_crop_${k}`), `max_crop_${k} (${get(`max_crop_${k}`)}) must be >= min_crop_${k} (${get(`min_crop_${k}`)})`);
      }
      this.samplers.push({
        minScale: get('min_crop_scales'), maxScale: get('max_crop_scales'),
        minAspect: get('min_crop_aspect_ratios'), maxAspect: get('max_crop_aspect_ratios'),
        minOverlap: get('min_crop_overlaps'), maxOverlap: get('max_crop_overlaps'),
        minSampleCoverage: get('min_crop_sample_coverages'), maxSampleCoverage: get('max_crop_sample_coverages'),
        minObjectCoverage: get('min_crop_object_coverages'), maxObjectCoverage: get('max_crop_object_coverages'),
        trials: get('max_crop_trials'), emitMode: p.crop_emit_mode, emitOverlapThresh: f32(p.emit_overlap_thresh),
      });
    }
    this.colorOn = p.random_hue_prob > 0 || p.random_saturation_prob > 0 || p.random_illumination_prob > 0 || p.random_contrast_prob > 0;
  }

  /** MXNet's GetInterMethod (9: bicubic to enlarge, area to shrink, bilinear otherwise; 10: a draw of 0-4). */
  private interMethod(ow: number, oh: number, nw: number, nh: number, rng: MT19937): number {
    const m = this.p.inter_method as number;
    if (m === 10) return rng.uniformInt(0, 4);
    return K.interpMethod(m, oh, ow, nh, nw);
  }

  /** cv::resize to (nw, nh) with the method inter_method picks for this size change (drawn first, as MXNet does). */
  private resize(im: Img, nw: number, nh: number, rng: MT19937): Img {
    if (im.w <= 0 || im.h <= 0 || nw <= 0 || nh <= 0) {
      throw new IsotensorError(`${this.iter}: cannot resize a ${im.w}x${im.h} image to ${nw}x${nh}`);
    }
    const interp = this.interMethod(im.w, im.h, nw, nh, rng);
    // OpenCV copies an image resized to its own size.
    if (nw === im.w && nh === im.h) return im;
    const t = K.resizeTo(host(im), nh, nw, interp, this.iter);
    return { data: t.data as Uint8Array, h: nh, w: nw, c: im.c };
  }

  /**
   * One image (OpenCV's channel order) and its raw detection label through the augmenter; `rng` is the
   * calling thread's engine. Returns the image and the label with the boxes moved and dropped as the image was changed.
   */
  process(src: Img, raw: ArrayLike<number>, id: number, rng: MT19937): { img: Img; label: number[] } {
    const p = this.p;
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
      res = this.resize(res, nw, nh, rng);
    }
    const label = new DetLabel(raw, this.iter, id);
    if (this.colorOn) res = this.color(res, id, rng);
    if (p.rand_mirror_prob > 0 && rng.uniformFloat(0, 1) < f32(p.rand_mirror_prob)) {
      label.mirror();
      res = flip(res);
    }
    if (p.rand_pad_prob > 0 && f32(p.max_pad_scale) > 1 && rng.uniformFloat(0, 1) < f32(p.rand_pad_prob)) {
      const box = padBox(f32(p.max_pad_scale), rng);
      if (box !== null) {
        label.pad(box);
        res = this.padded(res, box);
      }
    }
    if (p.rand_crop_prob > 0 && this.samplers.length > 0 && rng.uniformFloat(0, 1) < f32(p.rand_crop_prob)) {
      res = this.randomCrop(res, label, id, rng);
    }
    const dh = this.dataShape[1]!, dw = this.dataShape[2]!;
    if (p.resize_mode === 'force') {
      res = this.resize(res, dw, dh, rng);
    } else if (p.resize_mode === 'shrink') {
      if (res.h > dh || res.w > dw) {
        const ratio = Math.min(f32(dh / res.h), f32(dw / res.w));
        res = this.resize(res, Math.trunc(f32(ratio * res.w)), Math.trunc(f32(ratio * res.h)), rng);
      }
    } else {
      const ratio = Math.min(f32(dh / res.h), f32(dw / res.w));
      res = this.resize(res, Math.trunc(f32(ratio * res.w)), Math.trunc(f32(ratio * res.h)), rng);
    }
    return { img: res, label: label.toArray() };
  }

  /** The color step: hue/saturation/illumination shifts in OpenCV's HLS, then contrast (convertTo with alpha 1 + c). */
  private color(res: Img, id: number, rng: MT19937): Img {
    const p = this.p;
    let h = Math.trunc(f32(rng.uniformFloat(-1, 1) * p.max_random_hue));
    let s = Math.trunc(f32(rng.uniformFloat(-1, 1) * p.max_random_saturation));
    let l = Math.trunc(f32(rng.uniformFloat(-1, 1) * p.max_random_illumination));
    let c = f32(rng.uniformFloat(-1, 1) * f32(p.max_random_contrast));
    h = rng.uniformFloat(0, 1) < f32(p.random_hue_prob) ? h : 0;
    s = rng.uniformFloat(0, 1) < f32(p.random_saturation_prob) ? s : 0;
    l = rng.uniformFloat(0, 1) < f32(p.random_illumination_prob) ? l : 0;
    c = rng.uniformFloat(0, 1) < f32(p.random_contrast_prob) ? c : 0;
    let d = res.data;
    if (h !== 0 || s !== 0 || l !== 0) {
      if (res.c !== 3) {
        throw new IsotensorError(`${this.iter}: random hue/saturation/illumination need 3-channel images, image ${id} has ${res.c}`);
      }
      d = d.slice();
      bgrToHls(d);
      const delta = [h, l, s], limit = [180, 255, 255];
      for (let j = 0; j < d.length; j++) d[j] = Math.max(0, Math.min(limit[j % 3]!, d[j]! + delta[j % 3]!));
      hlsToBgr(d);
    }
    if (Math.abs(c) > 1e-3) {
      const alpha = f32(c + 1);
      const out = new Uint8Array(d.length);
      for (let j = 0; j < d.length; j++) out[j] = sat8(f32(d[j]! * alpha));
      d = out;
    }
    return d === res.data ? res : { ...res, data: d };
  }

  /** cv::copyMakeBorder around the image so that it sits at `box` (relative) of the padded one. */
  private padded(im: Img, box: Rect): Img {
    const left = Math.trunc(f32(-box.x * im.w)), top = Math.trunc(f32(-box.y * im.h));
    const right = Math.trunc(f32(f32(f32(box.width + box.x) - 1) * im.w));
    const bot = Math.trunc(f32(f32(f32(box.height + box.y) - 1) * im.h));
    const h = im.h + top + bot, w = im.w + left + right, c = im.c;
    // cv::Scalar(fill, fill, fill) saturated to uchar; a 4th channel gets 0.
    const v = Math.min(Math.max(this.p.fill_value, 0), 255);
    const out = new Uint8Array(h * w * c);
    for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) out[i * c + k] = k < 3 ? v : 0;
    for (let y = 0; y < im.h; y++) out.set(im.data.subarray(y * im.w * c, (y + 1) * im.w * c), ((y + top) * w + left) * c);
    return { data: out, h, w, c };
  }

  /** The crop step: samplers in a shuffled order, the first box one of them accepts is cut out. */
  private randomCrop(res: Img, label: DetLabel, id: number, rng: MT19937): Img {
    const order = this.samplers.map((_, i) => i);
    rng.shuffle(order);
    for (const idx of order) {
      const s = this.samplers[idx]!;
      for (let t = 0; t < s.trials; t++) {
        const box = cropBox(s, rng, f32(res.w / res.h));
        if (!label.tryCrop(box, s)) continue;
        const left = Math.trunc(f32(box.x * res.w)), top = Math.trunc(f32(box.y * res.h));
        const width = Math.trunc(f32(box.width * res.w)), height = Math.trunc(f32(box.height * res.h));
        if (width <= 0 || height <= 0 || left < 0 || top < 0 || left + width > res.w || top + height > res.h) {
          throw new IsotensorError(`${this.iter}: the random crop of image ${id} (${res.w}x${res.h}) is the region ` +
                                   `${width}x${height} at (${left}, ${top}), which is empty or outside it; raise min_crop_scales`);
        }
        return crop(res, left, top, width, height);
      }
    }
    return res;
  }
}

/** MXNet's GeneratePadBox: the original image's place in the padded one, or null (scale below 1.05: no padding). */
function padBox(maxScale: number, rng: MT19937): Rect | null {
  const scale = rng.uniformFloat(1, maxScale);
  if (scale < f32(1.05)) return null;
  const hi = f32(scale - 1);
  const x0 = rng.uniformFloat(0, hi), y0 = rng.uniformFloat(0, hi);
  return { x: -x0, y: -y0, width: scale, height: scale };
}

/** MXNet's GenerateCropBox: a random box (relative) of the sampler's scale and aspect ratio range. */
function cropBox(s: Sampler, rng: MT19937, imgAspect: number): Rect {
  const scale = f32(rng.uniformFloat(s.minScale, s.maxScale) + f32(1e-12));
  const sq = f32(scale * scale);
  const minRatio = Math.max(f32(s.minAspect / imgAspect), sq);
  const maxRatio = Math.min(f32(s.maxAspect / imgAspect), f32(1 / sq));
  const ratio = f32(Math.sqrt(rng.uniformFloat(minRatio, maxRatio)));
  const width = Math.min(1, f32(scale * ratio)), height = Math.min(1, f32(scale / ratio));
  const x = rng.uniformFloat(0, f32(1 - width)), y = rng.uniformFloat(0, f32(1 - height));
  return { x, y, width, height };
}

/** cv::flip(img, 1): left-right. */
function flip(im: Img): Img {
  const { h, w, c } = im;
  const out = new Uint8Array(im.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * c, o = (y * w + (w - 1 - x)) * c;
      for (let k = 0; k < c; k++) out[o + k] = im.data[s + k]!;
    }
  }
  return { ...im, data: out };
}

/** The region (x, y, w, h) of an image. */
function crop(im: Img, x: number, y: number, w: number, h: number): Img {
  const c = im.c;
  const out = new Uint8Array(w * h * c);
  for (let r = 0; r < h; r++) out.set(im.data.subarray(((y + r) * im.w + x) * c, ((y + r) * im.w + x + w) * c), r * w * c);
  return { data: out, h, w, c };
}
