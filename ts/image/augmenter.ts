// MXNet's image augmenters (mx.image.Augmenter): the base class, sequences, and the geometric ones (resize, crops, flip, cast).
// SPDX-License-Identifier: Apache-2.0
//
// An augmenter maps an (H, W, C) image NDArray to a new one (`call`, MXNet's __call__; MXNet's
// arithmetic augmenters change their input in place, these return new arrays). The library's
// augmenters run on host copies (gluon/data/vision/image_kernels.ts: OpenCV's resize arithmetic), so
// ImageIter chains them without a backend round trip per step. Random ones draw from the active
// batch's generator (ImageIter's per-batch HostRng) or, called on their own, from mx.random.
import { normalizeDType, type DType } from '../base/dtype.js';
import { IsotensorError, kindOf, show } from '../base/error.js';
import { ndToHost } from '../gluon/data/describe.js';
import type { HostTensor } from '../gluon/data/host/host_tensor.js';
import type { HostRng } from '../gluon/data/host/rng.js';
import * as K from '../gluon/data/vision/image_kernels.js';
import { array } from '../ndarray/creation.js';
import { NDArray } from '../ndarray/ndarray.js';
import { imageRng } from './image_rng.js';
import { checkInterp, interpMethod } from './interp.js';
import {
  centerCropHost, checkArea, checkRatio, checkSize, imageHW, memo, randomCropHost, randomSizeCropHost,
} from './random_crop.js';

/** An augmenter as a host function: image in, image out, random draws from `rng()`. */
export type HostAugFn = (x: HostTensor, rng: () => HostRng) => HostTensor;

/** Keyword arguments as MXNet's Augmenter keeps them for dumps(): NDArrays as nested lists. */
function plainKwargs(kwargs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs)) out[k] = v instanceof NDArray ? v.toArraySync() : v;
  return out;
}

/**
 * Base class of image augmenters (MXNet's mx.image.Augmenter). Subclasses implement `call(src)`;
 * `dumps()` describes the augmenter as JSON `[name, kwargs]`.
 * @example
 * ```ts
 * class Invert extends mx.image.Augmenter {
 *   constructor() { super('invert'); }
 *   call(src: mx.NDArray) { return src.astype('float32').mul(-1).add(255); }
 * }
 * ```
 */
export abstract class Augmenter {
  /** The keyword arguments, as dumps() writes them. */
  protected readonly kwargs: Record<string, unknown>;

  /** `name`: what dumps() calls it (MXNet: the class name in lower case). */
  constructor(protected readonly augName: string = 'augmenter', kwargs: Record<string, unknown> = {}) {
    this.kwargs = plainKwargs(kwargs);
  }

  /** JSON `[name, kwargs]` (MXNet's dumps). */
  dumps(): string {
    return JSON.stringify([this.augName, this.kwargs]);
  }

  /** The augmented image (MXNet's __call__). */
  abstract call(src: NDArray): NDArray;

  /** @internal This augmenter as a host function, or null when it only runs on NDArrays (a user's). */
  _hostFn(): HostAugFn | null {
    return null;
  }
}

function checkSrc(src: unknown, op: string): NDArray {
  if (!(src instanceof NDArray)) throw new IsotensorError(`${op}: argument 'src' must be an NDArray image (H, W, C), got ${kindOf(src)}`);
  if (src.ndim !== 3) throw new IsotensorError(`${op}: argument 'src' must be an image (H, W, C), got shape (${src.shape.join(', ')})`);
  return src;
}

/** @internal A library augmenter: its work is a host function; `call` wraps it for NDArrays. */
export abstract class HostAugmenter extends Augmenter {
  /** The work on a host image. */
  protected abstract apply(x: HostTensor, rng: () => HostRng): HostTensor;

  call(src: NDArray): NDArray {
    const op = `image.${this.constructor.name.replace(/\$\d+$/, '')}`;
    checkSrc(src, op);
    const out = this.apply(ndToHost(src, false), memo(imageRng));
    return array(out.data as never, { shape: out.shape, dtype: out.dtype, ctx: src.context });
  }

  override _hostFn(): HostAugFn | null {
    // A subclass that overrides call() has work the host function would skip.
    if (this.call !== HostAugmenter.prototype.call) return null;
    return (x, rng) => this.apply(x, rng);
  }
}

function checkAugList(ts: unknown, op: string): Augmenter[] {
  if (!Array.isArray(ts) || !ts.every((t) => t instanceof Augmenter)) {
    throw new IsotensorError(`${op}: argument 'ts' must be a list of Augmenters, got ${show(ts)}`);
  }
  return ts as Augmenter[];
}

/** Host functions of all of `ts`, or null when one of them has none. */
function hostFns(ts: readonly Augmenter[]): HostAugFn[] | null {
  const fns = ts.map((t) => t._hostFn());
  return fns.every((f) => f !== null) ? fns as HostAugFn[] : null;
}

/**
 * Applies augmenters in order (MXNet's SequentialAug).
 * @example new mx.image.SequentialAug([new mx.image.ResizeAug(32), new mx.image.CastAug()])
 */
export class SequentialAug extends Augmenter {
  readonly ts: Augmenter[];

  constructor(ts: readonly Augmenter[]) {
    super('sequentialaug');
    this.ts = [...checkAugList(ts, 'image.SequentialAug')];
  }

  /** `[name, [each augmenter's dumps()]]` as JSON. */
  override dumps(): string {
    return JSON.stringify([this.augName, this.ts.map((t) => t.dumps())]);
  }

  call(src: NDArray): NDArray {
    return this.ts.reduce((x, t) => t.call(x), src);
  }

  override _hostFn(): HostAugFn | null {
    const fns = hostFns(this.ts);
    return fns === null ? null : (x, rng) => fns.reduce((v, f) => f(v, rng), x);
  }
}

/**
 * Applies augmenters in a random order, reshuffled (in place, as MXNet does) at every call.
 * @example new mx.image.RandomOrderAug([new mx.image.BrightnessJitterAug(0.1), new mx.image.ContrastJitterAug(0.1)])
 */
export class RandomOrderAug extends Augmenter {
  readonly ts: Augmenter[];

  /** `name`: what dumps() calls it (subclasses such as ColorJitterAug pass theirs). */
  constructor(ts: readonly Augmenter[], name = 'randomorderaug') {
    super(name);
    this.ts = [...checkAugList(ts, 'image.RandomOrderAug')];
  }

  override dumps(): string {
    return JSON.stringify([this.augName, this.ts.map((t) => t.dumps())]);
  }

  /** Python's random.shuffle on the list. */
  private shuffle(rng: HostRng): void {
    for (let i = this.ts.length - 1; i > 0; i--) {
      const j = rng.randint(0, i);
      [this.ts[i], this.ts[j]] = [this.ts[j]!, this.ts[i]!];
    }
  }

  call(src: NDArray): NDArray {
    if (this.ts.length > 1) this.shuffle(imageRng());
    return this.ts.reduce((x, t) => t.call(x), src);
  }

  override _hostFn(): HostAugFn | null {
    if (hostFns(this.ts) === null) return null;
    return (x, rng) => {
      if (this.ts.length > 1) this.shuffle(rng());
      return this.ts.reduce((v, t) => t._hostFn()!(v, rng), x);
    };
  }
}

function positiveInt(v: unknown, op: string, what: string): number {
  if (!Number.isInteger(v) || (v as number) <= 0) throw new IsotensorError(`${op}: argument '${what}' must be a positive integer, got ${show(v)}`);
  return v as number;
}

/**
 * Resizes the shorter side to `size`, keeping the aspect ratio (MXNet's ResizeAug, resize_short).
 * @example new mx.image.ResizeAug(256)
 */
export class ResizeAug extends HostAugmenter {
  readonly size: number;
  readonly interp: number;

  constructor(size: number, interp = 2) {
    super('resizeaug', { size, interp });
    this.size = positiveInt(size, 'image.ResizeAug', 'size');
    this.interp = checkInterp(interp, 'image.ResizeAug');
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    const [h, w] = imageHW(x, 'image.ResizeAug');
    const [nh, nw] = h > w ? [Math.floor((this.size * h) / w), this.size] : [this.size, Math.floor((this.size * w) / h)];
    return K.resizeTo(x, nh, nw, interpMethod(this.interp, h, w, nh, nw, rng), 'image.ResizeAug');
  }
}

/**
 * Resizes to `size` (W, H) whatever the aspect ratio (MXNet's ForceResizeAug).
 * @example new mx.image.ForceResizeAug([32, 24])
 */
export class ForceResizeAug extends HostAugmenter {
  readonly size: [number, number];
  readonly interp: number;

  constructor(size: readonly [number, number], interp = 2) {
    super('forceresizeaug', { size, interp });
    this.size = checkSize(size, 'image.ForceResizeAug');
    this.interp = checkInterp(interp, 'image.ForceResizeAug');
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    const [h, w] = imageHW(x, 'image.ForceResizeAug');
    const [nw, nh] = this.size;
    return K.resizeTo(x, nh, nw, interpMethod(this.interp, h, w, nh, nw, rng), 'image.ForceResizeAug');
  }
}

/**
 * A crop of `size` (W, H) at a random place (MXNet's RandomCropAug, random_crop).
 * @example new mx.image.RandomCropAug([224, 224])
 */
export class RandomCropAug extends HostAugmenter {
  readonly size: [number, number];
  readonly interp: number;

  constructor(size: readonly [number, number], interp = 2) {
    super('randomcropaug', { size, interp });
    this.size = checkSize(size, 'image.RandomCropAug');
    this.interp = checkInterp(interp, 'image.RandomCropAug');
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    return randomCropHost(x, this.size, this.interp, rng, 'image.RandomCropAug')[0];
  }
}

/**
 * A crop of random area and aspect ratio resized to `size` (W, H) (MXNet's RandomSizedCropAug,
 * random_size_crop). `area`: the minimum fraction of the image (maximum 1), or (min, max).
 * @example new mx.image.RandomSizedCropAug([224, 224], 0.08, [3 / 4, 4 / 3])
 */
export class RandomSizedCropAug extends HostAugmenter {
  readonly size: [number, number];
  readonly area: [number, number];
  readonly ratio: [number, number];
  readonly interp: number;

  constructor(size: readonly [number, number], area: number | readonly [number, number], ratio: readonly [number, number], interp = 2) {
    super('randomsizedcropaug', { size, area, ratio, interp });
    const op = 'image.RandomSizedCropAug';
    this.size = checkSize(size, op);
    this.area = checkArea(area, op);
    this.ratio = checkRatio(ratio, op);
    this.interp = checkInterp(interp, op);
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    return randomSizeCropHost(x, this.size, this.area, this.ratio, this.interp, rng, 'image.RandomSizedCropAug')[0];
  }
}

/**
 * The central region of `size` (W, H), scaled up when the image is smaller (MXNet's CenterCropAug, center_crop).
 * @example new mx.image.CenterCropAug([224, 224])
 */
export class CenterCropAug extends HostAugmenter {
  readonly size: [number, number];
  readonly interp: number;

  constructor(size: readonly [number, number], interp = 2) {
    super('centercropaug', { size, interp });
    this.size = checkSize(size, 'image.CenterCropAug');
    this.interp = checkInterp(interp, 'image.CenterCropAug');
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    return centerCropHost(x, this.size, this.interp, rng, 'image.CenterCropAug')[0];
  }
}

/** A probability argument: a number (MXNet compares random() < p, so values outside [0, 1] act as 0 or 1). */
export function checkProbability(p: unknown, op: string): number {
  if (typeof p !== 'number' || Number.isNaN(p)) throw new IsotensorError(`${op}: argument 'p' must be a probability (a number in [0, 1]), got ${show(p)}`);
  return p;
}

/**
 * Mirrors the image left-right with probability `p` (MXNet's HorizontalFlipAug).
 * @example new mx.image.HorizontalFlipAug(0.5)
 */
export class HorizontalFlipAug extends HostAugmenter {
  readonly p: number;

  constructor(p: number) {
    super('horizontalflipaug', { p });
    this.p = checkProbability(p, 'image.HorizontalFlipAug');
  }

  protected apply(x: HostTensor, rng: () => HostRng): HostTensor {
    imageHW(x, 'image.HorizontalFlipAug');
    return rng().random() < this.p ? K.flip(x, 'w') : x;
  }
}

/**
 * Casts the image to a dtype (default float32; MXNet's CastAug).
 * @example new mx.image.CastAug()
 */
export class CastAug extends HostAugmenter {
  readonly typ: DType;

  constructor(typ: DType | string = 'float32') {
    super('castaug', { type: typ });
    this.typ = normalizeDType(typ, 'image.CastAug');
  }

  protected apply(x: HostTensor): HostTensor {
    return K.cast(x, this.typ);
  }
}
