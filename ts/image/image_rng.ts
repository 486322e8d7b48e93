// The generator mx.image's random crops and augmenters draw from: the active batch's, else one seeded from mx.random.
// SPDX-License-Identifier: Apache-2.0
//
// MXNet's augmenters draw from Python's `random`. Here they draw from the HostRng of the batch being
// built (ImageIter and DataLoader activate one per batch, seeded from mx.random once per epoch), so
// mx.random.seed makes whole epochs repeatable; called on their own they seed a generator from mx.random.
import { activeBatchRng, HostRng } from '../gluon/data/host/rng.js';
import { randint } from '../ndarray/random.js';

/** A seed in [0, 2^31 - 1) drawn from mx.random's generator. */
export function drawSeed(): number {
  const r = randint({ low: 0, high: 2147483647, shape: [1], dtype: 'int32' });
  try {
    return r.asScalar();
  } finally {
    r.dispose();
  }
}

/** The active batch's generator, or a fresh one seeded from mx.random. */
export function imageRng(): HostRng {
  return activeBatchRng() ?? new HostRng(drawSeed());
}
