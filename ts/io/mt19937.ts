// std::mt19937 and the libstdc++ distributions MXNet's C++ iterators draw from (shuffle, uniform int/real, bernoulli, normal).
// SPDX-License-Identifier: Apache-2.0
//
// MXNet seeds `common::RANDOM_ENGINE` (std::mt19937) with fixed magic numbers plus the user's seed,
// so a seeded iterator gives the same order and augmentations on every run. The distributions follow
// the libstdc++ of the GCC 4.8 toolchain MXNet 1.9's CentOS 7 builds use (downscaling
// uniform_int_distribution, one-swap-per-element std::shuffle, generate_canonical).
const f32 = Math.fround;
const TWO32 = 4294967296;

/** The 32-bit Mersenne Twister, bit for bit std::mt19937. */
export class MT19937 {
  private readonly mt = new Uint32Array(624);
  private mti = 624;

  constructor(seed = 5489) {
    this.seed(seed);
  }

  /** std::mt19937::seed (the seed taken modulo 2^32, as the C++ conversion to uint32 does). */
  seed(seed: number): void {
    const mt = this.mt;
    mt[0] = Number(BigInt.asUintN(32, BigInt(Math.trunc(seed))));
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, modulo 2^32, without losing bits in doubles.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = 624;
  }

  /** The next raw 32-bit output. */
  next(): number {
    const mt = this.mt;
    if (this.mti >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.mti = 0;
    }
    let y = mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** std::uniform_int_distribution<>(a, b)(g): libstdc++'s downscaling (rejects the uneven top). */
  uniformInt(a: number, b: number): number {
    const range = b - a;
    if (range < 0) throw new RangeError(`uniformInt: empty range [${a}, ${b}]`);
    if (range >= TWO32 - 1) return a + this.next();
    const erange = range + 1;
    const scaling = Math.floor((TWO32 - 1) / erange);
    const past = erange * scaling;
    let r: number;
    do r = this.next(); while (r >= past);
    return a + Math.floor(r / scaling);
  }

  /** std::generate_canonical<float, 24>: one draw divided by 2^32 in float. */
  canonicalFloat(): number {
    const r = f32(f32(this.next()) / TWO32);
    return r >= 1 ? f32(1 - 2 ** -24) : r;
  }

  /** std::generate_canonical<double, 53>: two draws. */
  canonicalDouble(): number {
    const lo = this.next();
    const sum = lo + this.next() * TWO32;
    const r = sum / (TWO32 * TWO32);
    return r >= 1 ? 1 - 2 ** -53 : r;
  }

  /** std::uniform_real_distribution<float>(a, b)(g). */
  uniformFloat(a: number, b: number): number {
    return f32(f32(this.canonicalFloat() * f32(f32(b) - f32(a))) + f32(a));
  }

  /** std::bernoulli_distribution(p)(g). */
  bernoulli(p: number): boolean {
    return this.canonicalDouble() < p;
  }

  /** std::shuffle(v.begin(), v.end(), g) as libstdc++ 4.8 does it. */
  shuffle<T>(v: T[]): void {
    for (let i = 1; i < v.length; i++) {
      const j = this.uniformInt(0, i);
      const t = v[i]!;
      v[i] = v[j]!;
      v[j] = t;
    }
  }
}

/**
 * A std::normal_distribution<float>(mean, stddev) drawing from `rng`: libstdc++'s Marsaglia polar
 * method, which makes two values per accepted pair and hands out the saved one on the next call (so,
 * as in C++, one distribution object per use site).
 */
export class NormalFloat {
  private saved: number | null = null;

  constructor(private readonly rng: MT19937, private readonly mean: number, private readonly stddev: number) {}

  next(): number {
    let ret: number;
    if (this.saved !== null) {
      ret = this.saved;
      this.saved = null;
    } else {
      let x: number, y: number, r2: number;
      do {
        x = f32(f32(2 * this.rng.canonicalFloat()) - 1);
        y = f32(f32(2 * this.rng.canonicalFloat()) - 1);
        r2 = f32(f32(x * x) + f32(y * y));
      } while (r2 > 1 || r2 === 0);
      const mult = f32(Math.sqrt(f32(f32(-2 * f32(Math.log(r2))) / r2)));
      this.saved = f32(x * mult);
      ret = f32(y * mult);
    }
    return f32(f32(ret * f32(this.stddev)) + f32(this.mean));
  }
}
