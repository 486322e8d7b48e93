// HostRng: the small seeded generator random transforms draw from, identical on every thread.
// SPDX-License-Identifier: Apache-2.0
//
// A DataLoader draws one seed per epoch from mx.random and gives batch k the generator
// `HostRng.forBatch(seed, k)`, whichever thread builds the batch: so workers and the calling thread
// produce the same random crops and flips, and mx.random.seed makes them repeatable.

/** xoshiro128** seeded through splitmix32. */
export class HostRng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream = 0) {
    let x = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The generator of batch `index` of an epoch seeded with `seed`. */
  static forBatch(seed: number, index: number): HostRng {
    return new HostRng(seed, index);
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform number in [0, 1). */
  random(): number {
    return this.nextU32() / 4294967296;
  }

  /** A uniform number in [low, high) (Python's random.uniform). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** A uniform integer in [low, high], both ends included (Python's random.randint). */
  randint(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low + 1));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

let activeSeed: { seed: number; batch: number } | null = null;
let activeRng: HostRng | null = null;

/** Runs `fn` with the generator of batch `batch` of an epoch seeded `seed` active (created at first use). */
export function withBatchRng<T>(seed: number | null, batch: number, fn: () => T): T {
  const prevSeed = activeSeed, prevRng = activeRng;
  activeSeed = seed === null ? null : { seed, batch };
  activeRng = null;
  try {
    return fn();
  } finally {
    activeSeed = prevSeed;
    activeRng = prevRng;
  }
}

/** The active batch's generator, or null outside a DataLoader batch. */
export function activeBatchRng(): HostRng | null {
  if (activeSeed === null) return null;
  activeRng ??= HostRng.forBatch(activeSeed.seed, activeSeed.batch);
  return activeRng;
}
