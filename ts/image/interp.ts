// MXNet's _get_interp_method for mx.image's crops and augmenters: interpolation codes, 9 (by the size change) and 10 (random).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, show } from '../base/error.js';
import * as K from '../gluon/data/vision/image_kernels.js';
import type { HostRng } from '../gluon/data/host/rng.js';

/**
 * Interpolation codes mx.image's resizes run: OpenCV's 0 nearest, 1 bilinear, 2 bicubic, 3 area,
 * 4 Lanczos; 9 picks bicubic to enlarge, area to shrink and bilinear otherwise; 10 picks one of 0-4 at random.
 */
export function checkInterp(interp: unknown, op: string, what = 'interp'): number {
  if (!(Number.isInteger(interp) && (((interp as number) >= 0 && (interp as number) <= 4) || interp === 9 || interp === 10))) {
    throw new IsotensorError(`${op}: argument '${what}' must be 0 (nearest), 1 (bilinear), 2 (bicubic), 3 (area), ` +
                             `4 (Lanczos), 9 (by the size change) or 10 (random), got ${show(interp)}`);
  }
  return interp as number;
}

/** The method (0-4) an (oh, ow) → (nh, nw) resize runs with `interp` (MXNet's _get_interp_method: 10 is random.randint(0, 4)). */
export function interpMethod(interp: number, oh: number, ow: number, nh: number, nw: number, rng: () => HostRng): number {
  if (interp === 10) return rng().randint(0, 4);
  return K.interpMethod(interp, oh, ow, nh, nw);
}
