// gluon.data.vision.transforms: image transforms (Compose, Cast, ToTensor, Normalize, Resize, crops, flips, colour).
// SPDX-License-Identifier: Apache-2.0
//
// Each transform is a gluon Block (MXNet's are Blocks/HybridBlocks): `forward(x)` is MXNet's
// `transform(x)`, it can be passed to Dataset.transform/transformFirst and composed. The work runs on the host (image_kernels.ts), the
// same code data workers run, which is why workers and the calling thread give equal batches; an
// NDArray input is read once and the result is a new NDArray on the input's context. Random
// transforms draw from the DataLoader's per-batch generator, or from mx.random when called directly.
import { normalizeDType, type DType } from '../../../base/dtype.js';
import { IsotensorError, kindOf, optionsOf } from '../../../base/error.js';
import { array } from '../../../ndarray/creation.js';
import { NDArray } from '../../../ndarray/ndarray.js';
import { randint } from '../../../ndarray/random.js';
import { Block } from '../../block.js';
import { describeTransform, ndToHost } from '../describe.js';
import { isHostTensor, type HostTensor } from '../host/host_tensor.js';
import { activeBatchRng, HostRng } from '../host/rng.js';
import { applyImageTransform, buildTransform, type TransformDesc } from '../host/transform_desc.js';

type Image = NDArray | HostTensor;

function rngOutsideLoader(): HostRng {
  const r = randint({ low: 0, high: 2147483647, shape: [1], dtype: 'int32' });
  try {
    return new HostRng(r.asScalar());
  } finally {
    r.dispose();
  }
}

function currentRng(): HostRng {
  return activeBatchRng() ?? rngOutsideLoader();
}

/** Base class of the vision transforms: a Block whose `forward(x)` runs host kernels, and a description data workers rebuild. */
export abstract class Transform extends Block {
  /** @internal This transform as data (what a data worker runs). */
  abstract _describe(): TransformDesc;

  /** Transforms one image (NDArray → NDArray on the same context; HostTensor → HostTensor). */
  forward(x: Image): any {
    const d = this._describe() as Exclude<TransformDesc, { t: 'fn' } | { t: 'compose' }>;
    if (isHostTensor(x)) return applyImageTransform(d, x, currentRng);
    if (!(x instanceof NDArray)) {
      throw new IsotensorError(`${this.constructor.name}: expected an NDArray image, got ${kindOf(x)}`);
    }
    let rng: HostRng | null = null;
    const out = applyImageTransform(d, ndToHost(x, false), () => (rng ??= currentRng()));
    return array(out.data, { shape: out.shape, dtype: out.dtype, ctx: x.context });
  }
}

type Step = ((x: any) => any) | { forward(x: any): any };

/**
 * Applies transforms in order.
 * @example new transforms.Compose([new transforms.Resize(32), new transforms.ToTensor()])
 */
export class Compose extends Transform {
  readonly transforms: readonly Step[];

  constructor(transforms: readonly Step[]) {
    super();
    transforms.forEach((t, i) => {
      if (typeof t !== 'function' && typeof (t as { forward?: unknown })?.forward !== 'function') {
        throw new IsotensorError(`Compose: transform ${i} is neither a function nor has forward()`);
      }
    });
    this.transforms = [...transforms];
    this.transforms.forEach((t, i) => { if (t instanceof Block) this.registerChild(t, String(i)); });
  }

  _describe(): TransformDesc {
    return { t: 'compose', list: this.transforms.map((t) => describeTransform(t)) };
  }

  override forward(x: any): any {
    if (x instanceof NDArray && this.transforms.every((t) => t instanceof Transform)) {
      // Library transforms only: one read and one new array for the whole chain.
      let rng: HostRng | null = null;
      const f = buildTransform(this._describe(), () => (rng ??= currentRng()));
      const out = f(ndToHost(x, false)) as HostTensor;
      return array(out.data, { shape: out.shape, dtype: out.dtype, ctx: x.context });
    }
    return this.transforms.reduce((v, t) => (typeof t === 'function' ? t(v) : t.forward(v)), x);
  }

  /** Number of transforms. */
  get length(): number {
    return this.transforms.length;
  }
}

/**
 * Casts to a dtype (default float32).
 * @example new transforms.Cast('float16')
 */
export class Cast extends Transform {
  readonly dtype: DType;

  constructor(dtype: DType | string = 'float32') {
    super();
    this.dtype = normalizeDType(dtype, 'Cast');
  }

  _describe(): TransformDesc {
    return { t: 'cast', dtype: this.dtype };
  }
}

/**
 * (H, W, C) images of any type → (C, H, W) float32 in [0, 1] (divided by 255); batches (N, H, W, C) too.
 * @example new transforms.ToTensor().forward(img) // 3x32x32 float32
 */
export class ToTensor extends Transform {
  _describe(): TransformDesc {
    return { t: 'toTensor' };
  }
}

function numbers(v: number | readonly number[], what: string): number[] {
  const a = typeof v === 'number' ? [v] : [...v];
  if (a.length === 0 || a.some((x) => typeof x !== 'number' || Number.isNaN(x))) {
    throw new IsotensorError(`Normalize: ${what} must be a number or a list of numbers, got ${String(v)}`);
  }
  return a;
}

/**
 * (x - mean) / std per channel on (C, H, W) or (N, C, H, W) float tensors.
 * @example new transforms.Normalize(0.1307, 0.3081); new transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
 */
export class Normalize extends Transform {
  readonly mean: number[];
  readonly std: number[];

  constructor(mean: number | readonly number[] = 0, std: number | readonly number[] = 1) {
    super();
    this.mean = numbers(mean, 'mean');
    this.std = numbers(std, 'std');
  }

  _describe(): TransformDesc {
    return { t: 'normalize', mean: this.mean, std: this.std };
  }
}

function checkInterpolation(v: number, op: string): number {
  if (!(Number.isInteger(v) && v >= 0 && v <= 4) && v !== 9) {
    throw new IsotensorError(`${op}: interpolation ${v} is not supported (0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos, 9 auto)`);
  }
  return v;
}

function sizeWH(size: number | readonly number[], op: string): [number, number] {
  const s = typeof size === 'number' ? [size, size] : [...size];
  if (s.length !== 2 || s.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new IsotensorError(`${op}: size must be a positive integer or (width, height), got ${String(size)}`);
  }
  return [s[0]!, s[1]!];
}

/**
 * Resizes (H, W, C) images or (N, H, W, C) batches: `size` is (W, H), or one number (a square, or
 * the short side when `keepRatio`). Interpolation: 0 nearest, 1 bilinear (default), 2 bicubic, 3 area, 4 Lanczos.
 * @example new transforms.Resize(224, { keepRatio: true })
 */
export class Resize extends Transform {
  readonly size: number[];
  readonly keepRatio: boolean;
  readonly interpolation: number;

  constructor(size: number | readonly number[], keepRatio: boolean | { keepRatio?: boolean; interpolation?: number } = false,
              interp = 1) {
    super();
    const o = typeof keepRatio === 'object' ? keepRatio : { keepRatio, interpolation: interp };
    this.size = typeof size === 'number' ? [size] : [...size];
    this.keepRatio = o.keepRatio ?? false;
    this.interpolation = o.interpolation ?? 1;
    if (!(Number.isInteger(this.interpolation) && this.interpolation >= 0 && this.interpolation <= 4)) {
      throw new IsotensorError(`Resize: interpolation ${this.interpolation} is not supported (0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos)`);
    }
    if (this.size.length < 1 || this.size.length > 2 || this.size.some((v) => !Number.isInteger(v) || v <= 0)) {
      throw new IsotensorError(`Resize: size must be a positive integer or (width, height), got ${String(size)}`);
    }
  }

  _describe(): TransformDesc {
    return { t: 'resize', size: this.size, keepRatio: this.keepRatio, interp: this.interpolation };
  }
}

/**
 * Crops the region (x, y, width, height), then resizes it to `size` (W, H) when given.
 * @example new transforms.CropResize(0, 0, 100, 100, [50, 50])
 */
export class CropResize extends Transform {
  constructor(readonly x: number, readonly y: number, readonly width: number, readonly height: number,
              readonly size: number | readonly number[] | null = null, readonly interpolation = 1) {
    super();
    checkInterpolation(interpolation, 'CropResize');
  }

  _describe(): TransformDesc {
    const size = this.size === null ? null : typeof this.size === 'number' ? [this.size] : [...this.size];
    return { t: 'cropResize', x: this.x, y: this.y, w: this.width, h: this.height, size, interp: this.interpolation };
  }
}

/**
 * The central region of size (W, H) (one number: a square); smaller images are scaled up first.
 * @example new transforms.CenterCrop(224)
 */
export class CenterCrop extends Transform {
  readonly size: [number, number];
  readonly interpolation: number;

  constructor(size: number | readonly number[], interp = 1) {
    super();
    this.size = sizeWH(size, 'CenterCrop');
    this.interpolation = checkInterpolation(interp, 'CenterCrop');
  }

  _describe(): TransformDesc {
    return { t: 'centerCrop', size: this.size, interp: this.interpolation };
  }
}

/** Options of RandomResizedCrop. */
export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image (default [0.08, 1]). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
  interpolation?: number;
}

/**
 * A crop of random area and aspect ratio, resized to `size` (MXNet's random_size_crop).
 * @example new transforms.RandomResizedCrop(224)
 */
export class RandomResizedCrop extends Transform {
  readonly size: [number, number];
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly interpolation: number;

  constructor(size: number | readonly number[], opts: RandomResizedCropOptions = {}) {
    opts = optionsOf(opts, 'RandomResizedCrop');
    super();
    this.size = sizeWH(size, 'RandomResizedCrop');
    this.scale = [...(opts.scale ?? [0.08, 1.0])] as [number, number];
    this.ratio = [...(opts.ratio ?? [3 / 4, 4 / 3])] as [number, number];
    this.interpolation = checkInterpolation(opts.interpolation ?? 1, 'RandomResizedCrop');
    if (!(this.scale[0] > 0 && this.scale[0] <= this.scale[1])) {
      throw new IsotensorError(`RandomResizedCrop: scale must be (min, max) with 0 < min <= max, got (${this.scale.join(', ')})`);
    }
    if (!(this.ratio[0] > 0 && this.ratio[0] <= this.ratio[1])) {
      throw new IsotensorError(`RandomResizedCrop: ratio must be (min, max) with 0 < min <= max, got (${this.ratio.join(', ')})`);
    }
  }

  _describe(): TransformDesc {
    return { t: 'randomResizedCrop', size: this.size, scale: this.scale, ratio: this.ratio, interp: this.interpolation };
  }
}

/** Mirrors images left-right with probability 0.5. */
export class RandomFlipLeftRight extends Transform {
  _describe(): TransformDesc {
    return { t: 'randomFlip', axis: 'w' };
  }
}

/** Mirrors images top-bottom with probability 0.5. */
export class RandomFlipTopBottom extends Transform {
  _describe(): TransformDesc {
    return { t: 'randomFlip', axis: 'h' };
  }
}

function factor(v: number, op: string): [number, number] {
  if (typeof v !== 'number' || !(v >= 0)) throw new IsotensorError(`${op}: the factor must be a non-negative number, got ${v}`);
  return [Math.max(0, 1 - v), 1 + v];
}

/**
 * Scales pixel values by a random factor in [max(0, 1 - brightness), 1 + brightness].
 * @example new transforms.RandomBrightness(0.2)
 */
export class RandomBrightness extends Transform {
  private readonly range: [number, number];

  constructor(readonly brightness: number) {
    super();
    this.range = factor(brightness, 'RandomBrightness');
  }

  _describe(): TransformDesc {
    return { t: 'randomBrightness', low: this.range[0], high: this.range[1] };
  }
}

/**
 * Blends (H, W, C) images with their mean gray level by a random factor in [max(0, 1 - contrast), 1 + contrast].
 * @example new transforms.RandomContrast(0.2)
 */
export class RandomContrast extends Transform {
  private readonly range: [number, number];

  constructor(readonly contrast: number) {
    super();
    this.range = factor(contrast, 'RandomContrast');
  }

  _describe(): TransformDesc {
    return { t: 'randomContrast', low: this.range[0], high: this.range[1] };
  }
}
