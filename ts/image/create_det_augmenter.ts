// MXNet's mx.image.CreateDetAugmenter and CreateMultiRandCropAugmenter: the standard detection augmenter list.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf, show } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';
import { CastAug, ForceResizeAug, ResizeAug } from './augmenter.js';
import { ColorJitterAug, ColorNormalizeAug, HueJitterAug, LightingAug, RandomGrayAug } from './color_augmenter.js';
import { camelOptions } from './create_augmenter.js';
import {
  DetAugmenter, DetBorrowAug, DetHorizontalFlipAug, DetRandomCropAug, DetRandomPadAug, DetRandomSelectAug,
} from './detection_augmenter.js';
import { checkInterp } from './interp.js';

type Range = number | readonly [number, number];

/** Options of CreateMultiRandCropAugmenter: each a value for all crop augmenters, or a list of one per augmenter. */
export interface MultiRandCropOptions {
  minObjectCovered?: number | readonly number[];
  aspectRatioRange?: Range | readonly Range[];
  areaRange?: Range | readonly Range[];
  minEjectCoverage?: number | readonly number[];
  maxAttempts?: number | readonly number[];
  /** Probability of no crop at all (default 0). */
  skipProb?: number;
}

const MULTI_OPTIONS = ['minObjectCovered', 'aspectRatioRange', 'areaRange', 'minEjectCoverage', 'maxAttempts', 'skipProb'];

/** A per-augmenter list: scalars (and a (min, max) pair, for ranges) stand for one value shared by all. */
function listOf(v: unknown, isRange: boolean): unknown[] {
  if (!Array.isArray(v)) return [v];
  if (isRange) return v.every((x) => typeof x === 'number') ? [v] : v;
  return v;
}

/**
 * One DetRandomCropAug per set of constraints, picked at random per image, inside a DetRandomSelectAug
 * (MXNet's CreateMultiRandCropAugmenter). A list option gives one value per augmenter; the others are
 * repeated to the same length.
 * @example
 * ```ts
 * const aug = mx.image.CreateMultiRandCropAugmenter({ minObjectCovered: [0.1, 0.3, 0.5, 0.7, 0.9],
 *   areaRange: [[0.1, 1], [0.2, 1], [0.2, 1], [0.3, 0.9], [0.5, 1]] });
 * ```
 */
export function CreateMultiRandCropAugmenter(opts: MultiRandCropOptions = {}): DetRandomSelectAug {
  const op = 'image.CreateMultiRandCropAugmenter';
  const o = camelOptions(optionsOf(opts, op), MULTI_OPTIONS, op) as MultiRandCropOptions;
  const params = [
    listOf(o.minObjectCovered ?? 0.1, false), listOf(o.aspectRatioRange ?? [0.75, 1.33], true),
    listOf(o.areaRange ?? [0.05, 1.0], true), listOf(o.minEjectCoverage ?? 0.3, false), listOf(o.maxAttempts ?? 50, false),
  ];
  const num = Math.max(1, ...params.map((p) => p.length));
  const names = MULTI_OPTIONS.slice(0, 5);
  const aligned = params.map((p, k) => {
    if (p.length === num) return p;
    if (p.length !== 1) throw new IsotensorError(`${op}: option '${names[k]}' has ${p.length} values but another has ${num}; give one value or ${num}`);
    return Array.from({ length: num }, () => p[0]);
  });
  const augs: DetAugmenter[] = [];
  for (let i = 0; i < num; i++) {
    augs.push(new DetRandomCropAug({
      minObjectCovered: aligned[0]![i] as number, aspectRatioRange: aligned[1]![i] as Range, areaRange: aligned[2]![i] as Range,
      minEjectCoverage: aligned[3]![i] as number, maxAttempts: aligned[4]![i] as number,
    }));
  }
  return new DetRandomSelectAug(augs, o.skipProb ?? 0);
}

/** Options of CreateDetAugmenter (MXNet's keyword arguments; snake_case keys are accepted too). */
export interface CreateDetAugmenterOptions {
  /** Resize the shorter side to this first when > 0 (default 0). */
  resize?: number;
  /** Probability of a random crop (default 0). */
  randCrop?: number;
  /** Probability of random padding (default 0). */
  randPad?: number;
  /** Probability of turning an image gray (default 0). */
  randGray?: number;
  /** Mirror left-right with probability 0.5 (default false). */
  randMirror?: boolean | number;
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
  /** OpenCV's interpolation code of every resize, as CreateAugmenter's (default 2). */
  interMethod?: number;
  /** The random crops' constraints (see CreateMultiRandCropAugmenter; lists make several crop augmenters). */
  minObjectCovered?: number | readonly number[];
  aspectRatioRange?: Range | readonly Range[];
  /** Crop area range, whose upper end is also the padding's (default [0.05, 3.0]). */
  areaRange?: Range | readonly Range[];
  minEjectCoverage?: number | readonly number[];
  maxAttempts?: number | readonly number[];
  /** Padding fill value (default [127, 127, 127]). */
  padVal?: number | readonly number[];
}

/** Option names of CreateDetAugmenter. */
export const DET_AUGMENTER_OPTIONS: readonly (keyof CreateDetAugmenterOptions)[] = [
  'resize', 'randCrop', 'randPad', 'randGray', 'randMirror', 'mean', 'std', 'brightness', 'contrast', 'saturation', 'hue',
  'pcaNoise', 'interMethod', 'minObjectCovered', 'aspectRatioRange', 'areaRange', 'minEjectCoverage', 'maxAttempts', 'padVal',
];

function numberOption(v: unknown, dflt: number, op: string, what: string): number {
  if (v === undefined) return dflt;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new IsotensorError(`${op}: option '${what}' must be a number, got ${show(v)}`);
  return v;
}

function channelsOf(v: unknown, op: string, what: string, imagenet: readonly number[]): NDArray | number[] | null {
  if (v === undefined || v === null || v === false) return null;
  if (v === true) return [...imagenet];
  const n = v instanceof NDArray ? (v.ndim === 1 ? v.shape[0] : -1) : Array.isArray(v) ? v.length : -1;
  if (n !== 1 && n !== 3) throw new IsotensorError(`${op}: option '${what}' must be true, null, or 1 or 3 values (a list or 1-D NDArray), got ${show(v)}`);
  return v instanceof NDArray ? v : [...(v as number[])];
}

// MXNet's ImageNet PCA of RGB pixels (AlexNet's lighting noise).
const EIGVAL = [55.46, 4.794, 1.148];
const EIGVEC = [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]];

/**
 * The detection augmenter list MXNet's ImageDetIter uses: [resize], [random crops], [mirror], [random
 * padding], a forced resize to `dataShape` (C, H, W), cast to float32, [colour jitter], [hue], [lighting],
 * [gray], [normalise].
 * @example
 * ```ts
 * const augs = mx.image.CreateDetAugmenter([3, 300, 300], { randCrop: 0.5, randPad: 0.5, randMirror: true, mean: true,
 *   minObjectCovered: [0.3, 0.5, 0.9], areaRange: [0.3, 3.0] });
 * ```
 */
export function CreateDetAugmenter(dataShape: readonly number[], opts: CreateDetAugmenterOptions = {}): DetAugmenter[] {
  const op = 'image.CreateDetAugmenter';
  const o = camelOptions(optionsOf(opts, op), DET_AUGMENTER_OPTIONS, op) as CreateDetAugmenterOptions;
  if (!Array.isArray(dataShape) || dataShape.length !== 3 || !dataShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new IsotensorError(`${op}: argument 'dataShape' must be (channels, height, width), three positive integers, got ${show(dataShape)}`);
  }
  const interp = checkInterp(o.interMethod ?? 2, op, 'interMethod');
  const num = (k: keyof CreateDetAugmenterOptions): number => numberOption(o[k], 0, op, k);
  const augs: DetAugmenter[] = [];
  if (num('resize') > 0) augs.push(new DetBorrowAug(new ResizeAug(num('resize'), interp)));
  const areaRange = o.areaRange ?? [0.05, 3.0];
  const aspectRatioRange = o.aspectRatioRange ?? [0.75, 1.33];
  const maxAttempts = o.maxAttempts ?? 50;
  const randCrop = num('randCrop');
  if (randCrop > 0) {
    augs.push(CreateMultiRandCropAugmenter({
      minObjectCovered: o.minObjectCovered ?? 0.1, aspectRatioRange, areaRange, minEjectCoverage: o.minEjectCoverage ?? 0.3,
      maxAttempts, skipProb: 1 - randCrop,
    }));
  }
  if (num('randMirror') > 0) augs.push(new DetHorizontalFlipAug(0.5));
  // Padding as late as possible: less to compute.
  const randPad = num('randPad');
  if (randPad > 0) {
    const single = (v: unknown): boolean => typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
    if (!single(aspectRatioRange) || !single(areaRange) || typeof maxAttempts !== 'number') {
      throw new IsotensorError(`${op}: with 'randPad', 'aspectRatioRange', 'areaRange' and 'maxAttempts' must be single values (the padding's), ` +
                               `got ${show({ aspectRatioRange, areaRange, maxAttempts })}`);
    }
    const maxArea = typeof areaRange === 'number' ? areaRange : (areaRange as readonly number[])[1]!;
    const pad = new DetRandomPadAug({
      aspectRatioRange: aspectRatioRange as Range, areaRange: [1.0, maxArea], maxAttempts, padVal: o.padVal ?? [127, 127, 127],
    });
    augs.push(new DetRandomSelectAug([pad], 1 - randPad));
  }
  augs.push(new DetBorrowAug(new ForceResizeAug([dataShape[2]!, dataShape[1]!], interp)));
  augs.push(new DetBorrowAug(new CastAug()));
  const brightness = num('brightness'), contrast = num('contrast'), saturation = num('saturation');
  if (brightness || contrast || saturation) augs.push(new DetBorrowAug(new ColorJitterAug(brightness, contrast, saturation)));
  if (num('hue')) augs.push(new DetBorrowAug(new HueJitterAug(num('hue'))));
  if (num('pcaNoise') > 0) augs.push(new DetBorrowAug(new LightingAug(num('pcaNoise'), EIGVAL, EIGVEC)));
  if (num('randGray') > 0) augs.push(new DetBorrowAug(new RandomGrayAug(num('randGray'))));
  const mean = channelsOf(o.mean, op, 'mean', [123.68, 116.28, 103.53]);
  const std = channelsOf(o.std, op, 'std', [58.395, 57.12, 57.375]);
  if (mean !== null || std !== null) augs.push(new DetBorrowAug(new ColorNormalizeAug(mean, std)));
  return augs;
}

/** CreateDetAugmenter under a camelCase name. */
export const createDetAugmenter = CreateDetAugmenter;
