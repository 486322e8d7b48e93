// MXNet's mx.image.CreateAugmenter: the standard augmenter list (resize, crop, mirror, cast, color jitter, lighting, gray, normalize).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf, optionsOf, show } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';
import {
  Augmenter, CastAug, CenterCropAug, HorizontalFlipAug, RandomCropAug, RandomSizedCropAug, ResizeAug,
} from './augmenter.js';
import {
  ColorJitterAug, ColorNormalizeAug, HueJitterAug, LightingAug, RandomGrayAug,
} from './color_augmenter.js';
import { checkInterp } from './interp.js';

/** Options of CreateAugmenter (MXNet's keyword arguments; snake_case keys are accepted too). */
export interface CreateAugmenterOptions {
  /** Resize the shorter side to this first when > 0 (default 0). */
  resize?: number;
  /** Random crops instead of the centre crop (default false). */
  randCrop?: boolean;
  /** Random-sized crops (area 0.08-1, aspect 3/4-4/3); needs randCrop (default false). */
  randResize?: boolean;
  /** Mirror left-right with probability 0.5 (default false). */
  randMirror?: boolean;
  /** Mean to subtract per channel: true for ImageNet's [123.68, 116.28, 103.53], or 1 or 3 values. */
  mean?: boolean | NDArray | readonly number[] | null;
  /** Std to divide by per channel: true for ImageNet's [58.395, 57.12, 57.375], or 1 or 3 values. */
  std?: boolean | NDArray | readonly number[] | null;
  /** Brightness, contrast, saturation and hue jitter ranges (default 0: off). */
  brightness?: number;
  contrast?: number;
  saturation?: number;
  hue?: number;
  /** PCA lighting noise level (default 0: off). */
  pcaNoise?: number;
  /** Probability of turning an image gray (default 0). */
  randGray?: number;
  /** Interpolation of every resize: 0 nearest, 1 bilinear, 2 bicubic (default), 9 by the size change, 10 random. */
  interMethod?: number;
}

/** Option names of CreateAugmenter. */
export const AUGMENTER_OPTIONS: readonly (keyof CreateAugmenterOptions)[] = [
  'resize', 'randCrop', 'randResize', 'randMirror', 'mean', 'std', 'brightness', 'contrast', 'saturation', 'hue',
  'pcaNoise', 'randGray', 'interMethod',
];

/** `opts` with snake_case keys (MXNet's spelling) as camelCase; unknown keys are refused. */
export function camelOptions(opts: object, known: readonly string[], op: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) {
    const key = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!known.includes(key)) throw new IsotensorError(`${op}: unknown option '${k}' (options: ${known.join(', ')})`);
    if (key in out) throw new IsotensorError(`${op}: option '${key}' is given twice (as '${k}' too)`);
    out[key] = v;
  }
  return out;
}

function channelsOf(v: unknown, op: string, what: string, imagenet: readonly number[]): NDArray | number[] | null {
  if (v === undefined || v === null || v === false) return null;
  if (v === true) return [...imagenet];
  const n = v instanceof NDArray ? (v.ndim === 1 ? v.shape[0] : -1) : Array.isArray(v) ? v.length : -1;
  if (n !== 1 && n !== 3) {
    throw new IsotensorError(`${op}: option '${what}' must be true, null, or 1 or 3 values (a list or 1-D NDArray), got ${kindOf(v)} ${show(v)}`);
  }
  return v instanceof NDArray ? v : [...(v as number[])];
}

function numberOption(v: unknown, dflt: number, op: string, what: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new IsotensorError(`${op}: option '${what}' must be a number, got ${show(v)}`);
  return v;
}

// MXNet's ImageNet PCA of RGB pixels (AlexNet's lighting noise).
const EIGVAL = [55.46, 4.794, 1.148];
const EIGVEC = [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]];

/**
 * The augmenter list MXNet's ImageIter uses: [ResizeAug], RandomSizedCropAug / RandomCropAug /
 * CenterCropAug to `dataShape` (C, H, W), [HorizontalFlipAug], CastAug, [ColorJitterAug], [HueJitterAug],
 * [LightingAug], [RandomGrayAug], [ColorNormalizeAug].
 * @example const augs = mx.image.CreateAugmenter([3, 224, 224], { resize: 256, randCrop: true, randMirror: true, mean: true, std: true });
 */
export function CreateAugmenter(dataShape: readonly number[], opts: CreateAugmenterOptions = {}): Augmenter[] {
  const op = 'image.CreateAugmenter';
  const o = camelOptions(optionsOf(opts, op), AUGMENTER_OPTIONS, op) as CreateAugmenterOptions;
  if (!Array.isArray(dataShape) || dataShape.length !== 3 || !dataShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new IsotensorError(`${op}: argument 'dataShape' must be (channels, height, width), three positive integers, got ${show(dataShape)}`);
  }
  const interp = checkInterp(o.interMethod ?? 2, op, 'interMethod');
  const resize = numberOption(o.resize, 0, op, 'resize');
  const flag = (k: 'randCrop' | 'randResize' | 'randMirror'): boolean => {
    const v = o[k];
    if (v !== undefined && typeof v !== 'boolean') throw new IsotensorError(`${op}: option '${k}' must be a boolean, got ${show(v)}`);
    return v === true;
  };
  const augs: Augmenter[] = [];
  if (resize > 0) augs.push(new ResizeAug(resize, interp));
  const crop: [number, number] = [dataShape[2]!, dataShape[1]!];
  if (flag('randResize')) {
    if (!flag('randCrop')) throw new IsotensorError(`${op}: option 'randResize' needs 'randCrop' to be true`);
    augs.push(new RandomSizedCropAug(crop, 0.08, [3.0 / 4.0, 4.0 / 3.0], interp));
  } else if (flag('randCrop')) {
    augs.push(new RandomCropAug(crop, interp));
  } else {
    augs.push(new CenterCropAug(crop, interp));
  }
  if (flag('randMirror')) augs.push(new HorizontalFlipAug(0.5));
  augs.push(new CastAug());
  const brightness = numberOption(o.brightness, 0, op, 'brightness');
  const contrast = numberOption(o.contrast, 0, op, 'contrast');
  const saturation = numberOption(o.saturation, 0, op, 'saturation');
  if (brightness || contrast || saturation) augs.push(new ColorJitterAug(brightness, contrast, saturation));
  const hue = numberOption(o.hue, 0, op, 'hue');
  if (hue) augs.push(new HueJitterAug(hue));
  const pcaNoise = numberOption(o.pcaNoise, 0, op, 'pcaNoise');
  if (pcaNoise > 0) augs.push(new LightingAug(pcaNoise, EIGVAL, EIGVEC));
  const randGray = numberOption(o.randGray, 0, op, 'randGray');
  if (randGray > 0) augs.push(new RandomGrayAug(randGray));
  const mean = channelsOf(o.mean, op, 'mean', [123.68, 116.28, 103.53]);
  const std = channelsOf(o.std, op, 'std', [58.395, 57.12, 57.375]);
  if (mean !== null || std !== null) augs.push(new ColorNormalizeAug(mean, std));
  return augs;
}

/** CreateAugmenter under a camelCase name. */
export const createAugmenter = CreateAugmenter;
