// Transform descriptions: vision transforms and user functions as data a worker can rebuild and run.
// SPDX-License-Identifier: Apache-2.0
//
// A worker gets no functions from the calling thread, only these descriptions: the library's
// transforms by name and parameters, a user function by its source text (it must not use variables
// from its enclosing scope; when it does, running it fails in the worker and the DataLoader falls
// back to the calling thread).
import type { DType } from '../../../base/dtype.js';
import { IsotensorError } from '../../../base/error.js';
import * as K from '../vision/image_kernels.js';
import { isHostTensor, type HostTensor } from './host_tensor.js';
import type { HostRng } from './rng.js';

/** A transform as data. */
export type TransformDesc =
  | { t: 'compose'; list: TransformDesc[] }
  | { t: 'cast'; dtype: DType }
  | { t: 'toTensor' }
  | { t: 'normalize'; mean: number[]; std: number[] }
  | { t: 'resize'; size: number[]; keepRatio: boolean; interp: number }
  | { t: 'cropResize'; x: number; y: number; w: number; h: number; size: number[] | null; interp: number }
  | { t: 'centerCrop'; size: [number, number]; interp: number }
  | { t: 'randomResizedCrop'; size: [number, number]; scale: [number, number]; ratio: [number, number]; interp: number }
  | { t: 'randomFlip'; axis: 'w' | 'h' }
  | { t: 'randomBrightness'; low: number; high: number }
  | { t: 'randomContrast'; low: number; high: number }
  | { t: 'fn'; src: string };

function image(x: unknown, op: string): HostTensor {
  if (!isHostTensor(x)) throw new IsotensorError(`${op}: expected an image array, got ${typeof x}`);
  return x;
}

/** Runs an image transform (anything but 'fn' and 'compose') on one host image. */
export function applyImageTransform(d: Exclude<TransformDesc, { t: 'fn' } | { t: 'compose' }>, x: unknown,
                                    rng: () => HostRng): HostTensor {
  switch (d.t) {
    case 'cast': return K.cast(image(x, 'Cast'), d.dtype);
    case 'toTensor': return K.toTensor(image(x, 'ToTensor'));
    case 'normalize': return K.normalize(image(x, 'Normalize'), d.mean, d.std);
    case 'resize': return K.resize(image(x, 'Resize'), d.size, d.keepRatio, d.interp);
    case 'cropResize': {
      const c = K.crop(image(x, 'CropResize'), d.x, d.y, d.w, d.h, 'CropResize');
      if (d.size === null) return c;
      return K.resize(c, d.size, false, d.interp);
    }
    case 'centerCrop': return K.centerCrop(image(x, 'CenterCrop'), d.size, d.interp);
    case 'randomResizedCrop':
      return K.randomSizeCrop(image(x, 'RandomResizedCrop'), d.size, d.scale, d.ratio, d.interp, rng());
    case 'randomFlip': {
      const img = image(x, d.axis === 'w' ? 'RandomFlipLeftRight' : 'RandomFlipTopBottom');
      return rng().random() < 0.5 ? K.flip(img, d.axis) : img;
    }
    case 'randomBrightness':
      return K.adjustBrightness(image(x, 'RandomBrightness'), rng().uniform(d.low, d.high));
    case 'randomContrast':
      return K.adjustContrast(image(x, 'RandomContrast'), rng().uniform(d.low, d.high));
    default:
      throw new IsotensorError(`unknown transform '${(d as { t: string }).t}'`);
  }
}

/** A function rebuilt from its source text (arrow, function expression or method shorthand). */
export function compileFunction(src: string): (...args: unknown[]) => unknown {
  let f: unknown;
  try {
    f = new Function(`return (${src});`)();
  } catch {
    // `name(x) { ... }` (a method) is not an expression on its own.
    const obj = new Function(`return ({ ${src} });`)() as Record<string, unknown>;
    f = Object.values(obj)[0];
  }
  if (typeof f !== 'function') throw new IsotensorError('transform source is not a function');
  return f as (...args: unknown[]) => unknown;
}

/** Builds a host function (x, ...rest) → result from a description. */
export function buildTransform(d: TransformDesc, rng: () => HostRng): (...args: unknown[]) => unknown {
  if (d.t === 'fn') return compileFunction(d.src);
  if (d.t === 'compose') {
    const fs = d.list.map((x) => buildTransform(x, rng));
    return (x: unknown) => fs.reduce((v, f) => f(v), x);
  }
  return (x: unknown) => applyImageTransform(d, x, rng);
}
