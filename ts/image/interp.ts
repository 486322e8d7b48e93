// MXNet's _get_interp_method for mx.image's crops and augmenters: interpolation codes, 9 (by the size change) and 10 (random).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, show } from '../base/error.js';
import * as K from '../gluon/data/vision/image_kernels.js';
import type { HostRng } from '../gluon/data/host/rng.js';

/**
 * Interpolation codes mx.image's resizes run: OpenCV's 0 nearest, 1 bilinear, 2 bicubic; 9 picks bicubic
 * to enlarge and bilinear otherwise; 10 picks one of 0, 1, 2 at random. (OpenCV's 3 area and 4 Lanczos
 * are not implemented by the resize kernels, so they are refused.)
 */
export function checkInterp(interp: unknown, op: string, what = 'interp'): number {
  if (interp !== 0 && interp !== 1 && interp !== 2 && interp !== 9 && interp !== 10) {
    throw new IsotensorError(`${op}: argument '${what}' must be 0 (nearest), 1 (bilinear), 2 (bicubic), 9 (by the size change) ` +
                             `or 10 (random), got ${show(interp)}${interp === 3 || interp === 4 ? ' (area and Lanczos resizes are not supported)' : ''}`);
  }
  return interp;
}

/** The method (0, 1 or 2) an (oh, ow) → (nh, nw) resize runs with `interp` (MXNet's _get_interp_method). */
export function interpMethod(interp: number, oh: number, ow: number, nh: number, nw: number, rng: () => HostRng): number {
  if (interp === 10) return rng().randint(0, 2);
  return K.interpMethod(interp, oh, ow, nh, nw);
}
