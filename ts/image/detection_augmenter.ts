// MXNet's detection augmenters (mx.image.DetAugmenter and its subclasses): image and box labels changed together.
// SPDX-License-Identifier: Apache-2.0
//
// A port of python/mxnet/image/detection.py's augmenters. A detection label is an (objects, width)
// float32 matrix whose rows are [class, xmin, ymin, xmax, ymax, ...extra] with corners normalised to
// [0, 1]. The label arithmetic is float32 as NumPy does it on MXNet's float32 labels (Math.fround after
// every step); the random draws follow Python's `random` calls in MXNet's order, taken from the active
// batch's generator (ImageDetIter) or, called on their own, one seeded from mx.random.
import { IsotensorError, kindOf, show } from '../base/error.js';
import { ndToHost } from '../gluon/data/describe.js';
import { hostTensor, valueArray, type HostTensor } from '../gluon/data/host/host_tensor.js';
import type { HostRng } from '../gluon/data/host/rng.js';
import * as K from '../gluon/data/vision/image_kernels.js';
import { array } from '../ndarray/creation.js';
import { NDArray } from '../ndarray/ndarray.js';
import { Augmenter, checkProbability } from './augmenter.js';
import { imageRng } from './image_rng.js';
import { imageHW, memo } from './random_crop.js';

/** A detection augmenter as a host function: image and (objects, width) float32 label in, both out. */
export type DetHostAugFn = (x: HostTensor, label: HostTensor, rng: () => HostRng) => [HostTensor, HostTensor];

/** A detection label given to `call`: an (objects, width) NDArray or nested list. */
export type DetLabelLike = NDArray | readonly (readonly number[])[];

const f = Math.fround;

/** Keyword arguments as MXNet's DetAugmenter keeps them for dumps(): NDArrays as nested lists. */
function plainKwargs(kwargs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs)) out[k] = v instanceof NDArray ? v.toArraySync() : v;
  return out;
}

/** @internal A label as an (objects, width) float32 host matrix. */
export function detLabelHost(label: unknown, op: string): HostTensor {
  if (label instanceof NDArray) {
    if (label.ndim !== 2) throw new IsotensorError(`${op}: argument 'label' must be 2-D (objects, width), got shape (${label.shape.join(', ')})`);
    const t = ndToHost(label, false);
    const data = t.data instanceof BigInt64Array || t.data instanceof BigUint64Array
      ? Float32Array.from(t.data as BigInt64Array, Number) : Float32Array.from(t.data as ArrayLike<number>);
    return hostTensor(data, label.shape, 'float32');
  }
  if (Array.isArray(label) && label.every((r) => Array.isArray(r) && r.length === (label[0] as unknown[]).length &&
                                          r.every((v: unknown) => typeof v === 'number'))) {
    const rows = label.length, cols = rows === 0 ? 0 : (label[0] as number[]).length;
    return hostTensor(Float32Array.from((label as number[][]).flat()), [rows, cols], 'float32');
  }
  throw new IsotensorError(`${op}: argument 'label' must be an (objects, width) NDArray or a list of equal-length rows of numbers, got ${kindOf(label)} ${show(label)}`);
}

/** A label's rows and width, checked to be the detection layout [class, xmin, ymin, xmax, ymax, ...]. */
function boxRows(label: HostTensor, op: string): [number, number] {
  const [n, k] = label.shape as [number, number];
  if (label.shape.length !== 2 || k < 5) {
    throw new IsotensorError(`${op}: the label must be (objects, 5+) rows [class, xmin, ymin, xmax, ymax, ...], got shape (${label.shape.join(', ')})`);
  }
  return [n, k];
}

/**
 * Base class of detection augmenters (MXNet's mx.image.DetAugmenter). Subclasses implement
 * `call(src, label)`, returning the new image and label; `dumps()` describes the augmenter as JSON.
 * @example
 * ```ts
 * class DropClass extends mx.image.DetAugmenter {
 *   call(src: mx.NDArray, label: mx.NDArray): [mx.NDArray, mx.NDArray] { return [src, label]; }
 * }
 * ```
 */
export abstract class DetAugmenter {
  protected readonly kwargs: Record<string, unknown>;

  /** `augName`: what dumps() calls it (MXNet: the class name in lower case). */
  constructor(protected readonly augName: string = 'detaugmenter', kwargs: Record<string, unknown> = {}) {
    this.kwargs = plainKwargs(kwargs);
  }

  /** JSON `[name, kwargs]` (MXNet's dumps). */
  dumps(): string {
    return JSON.stringify([this.augName, this.kwargs]);
  }

  /** The augmented image (H, W, C) and its (objects, width) float32 label (MXNet's __call__). */
  abstract call(src: NDArray, label: DetLabelLike): [NDArray, NDArray];

  /** @internal This augmenter as a host function, or null when it only runs on NDArrays (a user's). */
  _hostFn(): DetHostAugFn | null {
    return null;
  }
}

function checkSrc(src: unknown, op: string): NDArray {
  if (!(src instanceof NDArray)) throw new IsotensorError(`${op}: argument 'src' must be an NDArray image (H, W, C), got ${kindOf(src)}`);
  if (src.ndim !== 3) throw new IsotensorError(`${op}: argument 'src' must be an image (H, W, C), got shape (${src.shape.join(', ')})`);
  return src;
}

function labelNd(label: HostTensor, ctx: NDArray['context'] | undefined): NDArray {
  return array(label.data as Float32Array, { shape: label.shape, dtype: 'float32', ...(ctx !== undefined ? { ctx } : {}) });
}

/** @internal A library detection augmenter: its work is a host function; `call` wraps it for NDArrays. */
export abstract class HostDetAugmenter extends DetAugmenter {
  protected abstract apply(x: HostTensor, label: HostTensor, rng: () => HostRng): [HostTensor, HostTensor];

  call(src: NDArray, label: DetLabelLike): [NDArray, NDArray] {
    const op = `image.${this.constructor.name.replace(/\$\d+$/, '')}`;
    checkSrc(src, op);
    const [img, lab] = this.apply(ndToHost(src, false), detLabelHost(label, op), memo(imageRng));
    return [array(img.data as never, { shape: img.shape, dtype: img.dtype, ctx: src.context }), labelNd(lab, src.context)];
  }

  override _hostFn(): DetHostAugFn | null {
    if (this.call !== HostDetAugmenter.prototype.call) return null;
    return (x, label, rng) => this.apply(x, label, rng);
  }
}

/**
 * Runs an image augmenter that leaves the boxes where they are (colour, cast, normalise, resize of the
 * whole image) on detection samples (MXNet's DetBorrowAug).
 * @example new mx.image.DetBorrowAug(new mx.image.CastAug())
 */
export class DetBorrowAug extends DetAugmenter {
  readonly augmenter: Augmenter;

  constructor(augmenter: Augmenter) {
    if (!(augmenter instanceof Augmenter)) throw new IsotensorError(`image.DetBorrowAug: argument 'augmenter' must be an mx.image Augmenter, got ${kindOf(augmenter)}`);
    super('detborrowaug', { augmenter: augmenter.dumps() });
    this.augmenter = augmenter;
  }

  /** `["detborrowaug", the augmenter's dumps()]` as JSON (MXNet's list, without the duplicate kwargs). */
  override dumps(): string {
    return JSON.stringify([this.augName, this.augmenter.dumps()]);
  }

  call(src: NDArray, label: DetLabelLike): [NDArray, NDArray] {
    const lab = label instanceof NDArray ? label : labelNd(detLabelHost(label, 'image.DetBorrowAug'), checkSrc(src, 'image.DetBorrowAug').context);
    return [this.augmenter.call(src), lab];
  }

  override _hostFn(): DetHostAugFn | null {
    if (this.call !== DetBorrowAug.prototype.call) return null;
    const fn = this.augmenter._hostFn();
    return fn === null ? null : (x, label, rng) => [fn(x, rng), label];
  }
}

/**
 * Applies one augmenter of `augList` picked at random, or (with probability `skipProb`) none (MXNet's
 * DetRandomSelectAug; an empty list always skips).
 * @example new mx.image.DetRandomSelectAug([new mx.image.DetRandomCropAug(), new mx.image.DetRandomPadAug()], 0.2)
 */
export class DetRandomSelectAug extends DetAugmenter {
  readonly augList: DetAugmenter[];
  readonly skipProb: number;

  constructor(augList: DetAugmenter | readonly DetAugmenter[], skipProb = 0) {
    super('detrandomselectaug', { skip_prob: skipProb });
    const list = Array.isArray(augList) ? [...augList] : [augList];
    if (!list.every((a) => a instanceof DetAugmenter)) {
      throw new IsotensorError(`image.DetRandomSelectAug: argument 'augList' must hold DetAugmenters only, got ${show(augList)}`);
    }
    if (typeof skipProb !== 'number' || Number.isNaN(skipProb)) {
      throw new IsotensorError(`image.DetRandomSelectAug: argument 'skipProb' must be a probability (a number in [0, 1]), got ${show(skipProb)}`);
    }
    this.augList = list;
    this.skipProb = list.length === 0 ? 1 : skipProb;
  }

  /** `["detrandomselectaug", [each augmenter's dumps()]]` as JSON. */
  override dumps(): string {
    return JSON.stringify([this.augName, this.augList.map((a) => a.dumps())]);
  }

  /** MXNet's draws: random() against skipProb, then random.shuffle of the list (in place); null: skip. */
  private pick(rng: HostRng): DetAugmenter | null {
    if (rng.random() < this.skipProb) return null;
    for (let i = this.augList.length - 1; i > 0; i--) {
      const j = rng.randint(0, i);
      [this.augList[i], this.augList[j]] = [this.augList[j]!, this.augList[i]!];
    }
    return this.augList[0]!;
  }

  call(src: NDArray, label: DetLabelLike): [NDArray, NDArray] {
    const aug = this.pick(imageRng());
    if (aug !== null) return aug.call(src, label);
    return [src, label instanceof NDArray ? label : labelNd(detLabelHost(label, 'image.DetRandomSelectAug'), checkSrc(src, 'image.DetRandomSelectAug').context)];
  }

  override _hostFn(): DetHostAugFn | null {
    if (this.call !== DetRandomSelectAug.prototype.call || !this.augList.every((a) => a._hostFn() !== null)) return null;
    return (x, label, rng) => {
      const aug = this.pick(rng());
      return aug === null ? [x, label] : aug._hostFn()!(x, label, rng);
    };
  }
}

/** @internal MXNet's DetHorizontalFlipAug._flip_label: xmin, xmax → 1 - xmax, 1 - xmin (float32). */
export function flipLabel(label: HostTensor, op: string): HostTensor {
  const [n, k] = boxRows(label, op);
  const out = Float32Array.from(label.data as Float32Array);
  for (let i = 0; i < n; i++) {
    const tmp = f(1 - out[i * k + 1]!);
    out[i * k + 1] = f(1 - out[i * k + 3]!);
    out[i * k + 3] = tmp;
  }
  return hostTensor(out, label.shape, 'float32');
}

/**
 * Mirrors the image and its boxes left-right with probability `p` (MXNet's DetHorizontalFlipAug).
 * @example new mx.image.DetHorizontalFlipAug(0.5)
 */
export class DetHorizontalFlipAug extends HostDetAugmenter {
  readonly p: number;

  constructor(p: number) {
    super('dethorizontalflipaug', { p });
    this.p = checkProbability(p, 'image.DetHorizontalFlipAug');
  }

  protected apply(x: HostTensor, label: HostTensor, rng: () => HostRng): [HostTensor, HostTensor] {
    imageHW(x, 'image.DetHorizontalFlipAug');
    if (rng().random() < this.p) return [K.flip(x, 'w'), flipLabel(label, 'image.DetHorizontalFlipAug')];
    return [x, label];
  }
}

/** A (min, max) range, or one number for both (MXNet logs "Using fixed ..." and uses (v, v)). */
function rangeOf(v: unknown, op: string, what: string): [number, number] {
  const r = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new IsotensorError(`${op}: argument '${what}' must be a number or two numbers (min, max), got ${show(v)}`);
  }
  return [r[0] as number, r[1] as number];
}

function numberArg(v: unknown, op: string, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new IsotensorError(`${op}: argument '${what}' must be a number, got ${show(v)}`);
  return v;
}

function attemptsArg(v: unknown, op: string): number {
  if (!Number.isInteger(v) || (v as number) < 0) throw new IsotensorError(`${op}: argument 'maxAttempts' must be an integer >= 0, got ${show(v)}`);
  return v as number;
}

/** Areas of boxes whose corners sit at columns c..c+3 of rows (NumPy's _calculate_areas, float32). */
function boxArea(d: ArrayLike<number>, at: number): number {
  const h = Math.max(0, f(d[at + 3]! - d[at + 1]!));
  const w = Math.max(0, f(d[at + 2]! - d[at]!));
  return f(h * w);
}

/** Options of DetRandomCropAug (MXNet's keyword arguments). */
export interface DetRandomCropOptions {
  /** Every kept box must keep more than this fraction of its area inside the crop (default 0.1). */
  minObjectCovered?: number;
  /** Crop width / height range (default [0.75, 1.33]); one number fixes it. */
  aspectRatioRange?: number | readonly [number, number];
  /** Crop area range as fractions of the image (default [0.05, 1.0]); one number fixes it. */
  areaRange?: number | readonly [number, number];
  /** Boxes keeping no more than this fraction of their area are dropped (default 0.3). */
  minEjectCoverage?: number;
  /** Proposals tried before giving up and keeping the image (default 50). */
  maxAttempts?: number;
}

/**
 * A random crop that keeps the boxes (MXNet's DetRandomCropAug): proposals of random aspect ratio and
 * area are tried until every box overlapping one keeps more than `minObjectCovered` of its area; boxes
 * are clipped to the crop and those keeping no more than `minEjectCoverage` are dropped. After
 * `maxAttempts` failures the sample is left as it is. Invalid ranges disable it (MXNet warns and skips).
 * @example new mx.image.DetRandomCropAug({ minObjectCovered: 0.5, areaRange: [0.3, 1] })
 */
export class DetRandomCropAug extends HostDetAugmenter {
  readonly minObjectCovered: number;
  readonly minEjectCoverage: number;
  readonly maxAttempts: number;
  readonly aspectRatioRange: [number, number];
  readonly areaRange: [number, number];
  /** False when the ranges are invalid: the augmenter then does nothing. */
  readonly enabled: boolean;

  constructor(opts: DetRandomCropOptions = {}) {
    const op = 'image.DetRandomCropAug';
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new IsotensorError(`${op}: argument 'opts' must be an options object, got ${kindOf(opts)}`);
    const known = ['minObjectCovered', 'aspectRatioRange', 'areaRange', 'minEjectCoverage', 'maxAttempts'];
    for (const k of Object.keys(opts)) if (!known.includes(k)) throw new IsotensorError(`${op}: unknown option '${k}' (options: ${known.join(', ')})`);
    const aspect = rangeOf(opts.aspectRatioRange ?? [0.75, 1.33], op, 'aspectRatioRange');
    const area = rangeOf(opts.areaRange ?? [0.05, 1.0], op, 'areaRange');
    const moc = numberArg(opts.minObjectCovered ?? 0.1, op, 'minObjectCovered');
    const mec = numberArg(opts.minEjectCoverage ?? 0.3, op, 'minEjectCoverage');
    const attempts = attemptsArg(opts.maxAttempts ?? 50, op);
    super('detrandomcropaug', {
      min_object_covered: moc, aspect_ratio_range: aspect, area_range: area, min_eject_coverage: mec, max_attempts: attempts,
    });
    this.minObjectCovered = moc;
    this.minEjectCoverage = mec;
    this.maxAttempts = attempts;
    this.aspectRatioRange = aspect;
    this.areaRange = area;
    if (area[1] <= 0 || area[0] > area[1]) {
      console.warn(`${op}: skipped, invalid areaRange ${show(area)}`);
      this.enabled = false;
    } else if (aspect[0] > aspect[1] || aspect[0] <= 0) {
      console.warn(`${op}: skipped, invalid aspectRatioRange ${show(aspect)}`);
      this.enabled = false;
    } else {
      this.enabled = true;
    }
  }

  protected apply(x: HostTensor, label: HostTensor, rng: () => HostRng): [HostTensor, HostTensor] {
    const op = 'image.DetRandomCropAug';
    const [h, w] = imageHW(x, op);
    boxRows(label, op);
    const crop = this.proposal(label, h, w, rng);
    if (crop === null) return [x, label];
    const [x0, y0, cw, ch, lab] = crop;
    return [K.crop(x, x0, y0, cw, ch, op), lab];
  }

  /**
   * Whether the crop [xmin, xmax) × [ymin, ymax) (pixels of a width × height image) keeps more than
   * minObjectCovered of every box it overlaps (MXNet's _check_satisfy_constraints).
   */
  checkSatisfyConstraints(label: DetLabelLike, xmin: number, ymin: number, xmax: number, ymax: number, width: number, height: number): boolean {
    return this.satisfies(detLabelHost(label, 'image.DetRandomCropAug.checkSatisfyConstraints'), xmin, ymin, xmax, ymax, width, height);
  }

  /**
   * The label in the coordinates of the crop `box` [x, y, w, h] of a height × width image, clipped, without
   * the boxes keeping no more than minEjectCoverage; null when none is left (MXNet's _update_labels).
   */
  updateLabels(label: DetLabelLike, box: readonly [number, number, number, number], height: number, width: number): NDArray | null {
    const out = this.cropLabels(detLabelHost(label, 'image.DetRandomCropAug.updateLabels'), box, height, width);
    return out === null ? null : labelNd(out, label instanceof NDArray ? label.context : undefined);
  }

  private satisfies(label: HostTensor, xmin: number, ymin: number, xmax: number, ymax: number, width: number, height: number): boolean {
    if ((xmax - xmin) * (ymax - ymin) < 2) return false;
    const [n, k] = boxRows(label, 'image.DetRandomCropAug');
    const d = label.data as Float32Array;
    const x1 = f(xmin / width), y1 = f(ymin / height), x2 = f(xmax / width), y2 = f(ymax / height);
    let any = false, least = Infinity;
    let valid = 0;
    for (let i = 0; i < n; i++) {
      const at = i * k + 1;
      const objArea = boxArea(d, at);
      if (!(f(f(objArea * width) * height) > 2)) continue;
      valid++;
      const left = Math.max(d[at]!, x1), right = Math.min(d[at + 2]!, x2);
      const top = Math.max(d[at + 1]!, y1), bot = Math.min(d[at + 3]!, y2);
      const inter = left >= right || top >= bot ? 0 : f(Math.max(0, f(bot - top)) * Math.max(0, f(right - left)));
      const coverage = f(inter / objArea);
      if (coverage > 0) {
        any = true;
        least = Math.min(least, coverage);
      }
    }
    return valid > 0 && any && least > this.minObjectCovered;
  }

  private cropLabels(label: HostTensor, box: readonly [number, number, number, number], height: number, width: number): HostTensor | null {
    const [n, k] = boxRows(label, 'image.DetRandomCropAug');
    const d = label.data as Float32Array;
    const xmin = f(box[0] / width), ymin = f(box[1] / height), bw = f(box[2] / width), bh = f(box[3] / height);
    const mec = f(this.minEjectCoverage);
    const rows: number[] = [];
    const out = Float32Array.from(d);
    for (let i = 0; i < n; i++) {
      const at = i * k;
      for (const c of [1, 3]) out[at + c] = Math.min(1, Math.max(0, f(f(d[at + c]! - xmin) / bw)));
      for (const c of [2, 4]) out[at + c] = Math.min(1, Math.max(0, f(f(d[at + c]! - ymin) / bh)));
      const coverage = f(f(f(boxArea(out, at + 1) * bw) * bh) / boxArea(d, at + 1));
      if (out[at + 3]! > out[at + 1]! && out[at + 4]! > out[at + 2]! && coverage > mec) rows.push(i);
    }
    if (rows.length === 0) return null;
    const kept = valueArray('float32', rows.length * k) as Float32Array;
    rows.forEach((r, j) => kept.set(out.subarray(r * k, (r + 1) * k), j * k));
    return hostTensor(kept, [rows.length, k], 'float32');
  }

  /** MXNet's _random_crop_proposal: [x, y, w, h, new label], or null. */
  private proposal(label: HostTensor, height: number, width: number, rng: () => HostRng):
      [number, number, number, number, HostTensor] | null {
    if (!this.enabled || height <= 0 || width <= 0) return null;
    const minArea = this.areaRange[0] * height * width;
    const maxArea = this.areaRange[1] * height * width;
    for (let t = 0; t < this.maxAttempts; t++) {
      const ratio = rng().uniform(this.aspectRatioRange[0], this.aspectRatioRange[1]);
      if (ratio <= 0) continue;
      let h = K.rint(Math.sqrt(minArea / ratio));
      let maxH = K.rint(Math.sqrt(maxArea / ratio));
      // The largest max_h with round(max_h * ratio) <= width.
      if (K.rint(maxH * ratio) > width) maxH = Math.trunc((width + 0.4999999) / ratio);
      if (maxH > height) maxH = height;
      if (h > maxH) h = maxH;
      if (h < maxH) h = rng().randint(h, maxH);
      let w = K.rint(h * ratio);
      if (w > width) throw new IsotensorError(`image.DetRandomCropAug: proposal width ${w} exceeds the image width ${width} (ratio ${ratio})`);
      // MXNet's fix for rounding.
      let area = w * h;
      if (area < minArea) {
        h += 1;
        w = K.rint(h * ratio);
        area = w * h;
      }
      if (area > maxArea) {
        h -= 1;
        w = K.rint(h * ratio);
        area = w * h;
      }
      if (!(minArea <= area && area <= maxArea && w >= 0 && w <= width && h >= 0 && h <= height)) continue;
      const y = rng().randint(0, Math.max(0, height - h));
      const x = rng().randint(0, Math.max(0, width - w));
      if (this.satisfies(label, x, y, x + w, y + h, width, height)) {
        const lab = this.cropLabels(label, [x, y, w, h], height, width);
        if (lab !== null) return [x, y, w, h, lab];
      }
    }
    return null;
  }
}

/** Options of DetRandomPadAug (MXNet's keyword arguments). */
export interface DetRandomPadOptions {
  /** Padded width / height range (default [0.75, 1.33]); one number fixes it. */
  aspectRatioRange?: number | readonly [number, number];
  /** Padded area range as multiples of the image (default [1.0, 3.0]); one number fixes it. */
  areaRange?: number | readonly [number, number];
  /** Proposals tried before giving up and keeping the image (default 50). */
  maxAttempts?: number;
  /** The fill value: one for every channel or one per channel (default [128, 128, 128]). */
  padVal?: number | readonly number[];
}

/** @internal MXNet's DetRandomPadAug._update_labels: boxes placed at (x, y) in a (w, h) canvas (float32). */
export function padLabels(label: HostTensor, box: readonly [number, number, number, number], height: number, width: number, op: string): HostTensor {
  const [n, k] = boxRows(label, op);
  const out = Float32Array.from(label.data as Float32Array);
  for (let i = 0; i < n; i++) {
    for (const c of [1, 3]) out[i * k + c] = f(f(f(out[i * k + c]! * width) + box[0]) / box[2]);
    for (const c of [2, 4]) out[i * k + c] = f(f(f(out[i * k + c]! * height) + box[1]) / box[3]);
  }
  return hostTensor(out, label.shape, 'float32');
}

/** @internal OpenCV's copyMakeBorder with a constant border (saturating the values to the image's dtype). */
export function padImage(x: HostTensor, top: number, bottom: number, left: number, right: number, values: readonly number[], op: string): HostTensor {
  const [h, w] = imageHW(x, op);
  const c = x.shape[2]!;
  if (values.length !== 1 && values.length < c) throw new IsotensorError(`${op}: padVal has ${values.length} values but the image has ${c} channels`);
  const nh = h + top + bottom, nw = w + left + right;
  const fill = K.cast(hostTensor(Float64Array.from({ length: c }, (_, ch) => values[values.length === 1 ? 0 : ch]!), [1, 1, c], 'float64'), x.dtype).data;
  const out = valueArray(x.dtype, nh * nw * c);
  for (let p = 0; p < nh * nw; p++) out.set(fill as never, p * c);
  const row = w * c;
  for (let y = 0; y < h; y++) out.set(x.data.subarray(y * row, (y + 1) * row) as never, ((y + top) * nw + left) * c);
  return hostTensor(out, [nh, nw, c], x.dtype);
}

/**
 * A random zoom-out (MXNet's DetRandomPadAug): the image placed at a random spot of a larger canvas of
 * random aspect ratio and area (`areaRange` times the image's) filled with `padVal`, boxes moved with it.
 * Proposals adding under 2 pixels a side are retried; after `maxAttempts` the sample is left as it is.
 * @example new mx.image.DetRandomPadAug({ areaRange: [1, 4], padVal: [127, 127, 127] })
 */
export class DetRandomPadAug extends HostDetAugmenter {
  readonly aspectRatioRange: [number, number];
  readonly areaRange: [number, number];
  readonly maxAttempts: number;
  readonly padVal: number[];
  /** False when the ranges are invalid: the augmenter then does nothing. */
  readonly enabled: boolean;

  constructor(opts: DetRandomPadOptions = {}) {
    const op = 'image.DetRandomPadAug';
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new IsotensorError(`${op}: argument 'opts' must be an options object, got ${kindOf(opts)}`);
    const known = ['aspectRatioRange', 'areaRange', 'maxAttempts', 'padVal'];
    for (const k of Object.keys(opts)) if (!known.includes(k)) throw new IsotensorError(`${op}: unknown option '${k}' (options: ${known.join(', ')})`);
    const aspect = rangeOf(opts.aspectRatioRange ?? [0.75, 1.33], op, 'aspectRatioRange');
    const area = rangeOf(opts.areaRange ?? [1.0, 3.0], op, 'areaRange');
    const attempts = attemptsArg(opts.maxAttempts ?? 50, op);
    const pv = opts.padVal ?? [128, 128, 128];
    const padVal = typeof pv === 'number' ? [pv] : pv;
    if (!Array.isArray(padVal) || padVal.length === 0 || !padVal.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new IsotensorError(`${op}: argument 'padVal' must be a number or a list of numbers (one per channel), got ${show(pv)}`);
    }
    super('detrandompadaug', { aspect_ratio_range: aspect, area_range: area, max_attempts: attempts, pad_val: pv });
    this.aspectRatioRange = aspect;
    this.areaRange = area;
    this.maxAttempts = attempts;
    this.padVal = [...padVal];
    if (area[1] <= 1.0 || area[0] > area[1]) {
      console.warn(`${op}: skipped, invalid areaRange ${show(area)}`);
      this.enabled = false;
    } else if (aspect[0] <= 0 || aspect[0] > aspect[1]) {
      console.warn(`${op}: skipped, invalid aspectRatioRange ${show(aspect)}`);
      this.enabled = false;
    } else {
      this.enabled = true;
    }
  }

  protected apply(x: HostTensor, label: HostTensor, rng: () => HostRng): [HostTensor, HostTensor] {
    const op = 'image.DetRandomPadAug';
    const [height, width] = imageHW(x, op);
    boxRows(label, op);
    const pad = this.proposal(label, height, width, rng);
    if (pad === null) return [x, label];
    const [px, py, pw, ph, lab] = pad;
    return [padImage(x, py, ph - py - height, px, pw - px - width, this.padVal, op), lab];
  }

  /** The label of the image placed at (x, y) of a canvas `box` [x, y, w, h] (MXNet's _update_labels). */
  updateLabels(label: DetLabelLike, box: readonly [number, number, number, number], height: number, width: number): NDArray {
    const op = 'image.DetRandomPadAug.updateLabels';
    return labelNd(padLabels(detLabelHost(label, op), box, height, width, op), label instanceof NDArray ? label.context : undefined);
  }

  /** MXNet's _random_pad_proposal: [x, y, w, h, new label], or null. */
  private proposal(label: HostTensor, height: number, width: number, rng: () => HostRng):
      [number, number, number, number, HostTensor] | null {
    if (!this.enabled || height <= 0 || width <= 0) return null;
    const minArea = this.areaRange[0] * height * width;
    const maxArea = this.areaRange[1] * height * width;
    for (let t = 0; t < this.maxAttempts; t++) {
      const ratio = rng().uniform(this.aspectRatioRange[0], this.aspectRatioRange[1]);
      if (ratio <= 0) continue;
      let h = K.rint(Math.sqrt(minArea / ratio));
      const maxH = K.rint(Math.sqrt(maxArea / ratio));
      if (K.rint(h * ratio) < width) h = Math.trunc((width + 0.499999) / ratio);
      if (h < height) h = height;
      if (h > maxH) h = maxH;
      if (h < maxH) h = rng().randint(h, maxH);
      const w = K.rint(h * ratio);
      // Marginal padding is not worth it.
      if (h - height < 2 || w - width < 2) continue;
      const y = rng().randint(0, Math.max(0, h - height));
      const x = rng().randint(0, Math.max(0, w - width));
      return [x, y, w, h, padLabels(label, [x, y, w, h], height, width, 'image.DetRandomPadAug')];
    }
    return null;
  }
}
