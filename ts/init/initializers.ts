// The initializers: Zero, One, Constant, Uniform, Normal, Xavier, MSRAPrelu, Bilinear, LSTMBias (MXNet's mx.init).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf } from '../base/error.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { normal, uniform } from '../ndarray/random.js';
import { bilinearWeights, Initializer, register, type InitDesc } from './initializer.js';

const sampleOpts = (arr: NDArray) => ({ shape: arr.shape, ctx: arr.context, dtype: arr.dtype, out: arr });

/** Fills with 0 (alias 'zeros'). */
export class Zero extends Initializer {
  static readonly initName: string = 'zero';
  constructor() { super({}); }
  initWeight(_d: InitDesc, arr: NDArray): void { arr.set(0); }
}

/** Fills with 1 (alias 'ones'). */
export class One extends Initializer {
  static readonly initName: string = 'one';
  constructor() { super({}); }
  initWeight(_d: InitDesc, arr: NDArray): void { arr.set(1); }
}

/**
 * Fills with a value: a number, or an array/NDArray broadcast like `arr[:] = value`.
 * @example new mx.init.Constant(0.5)
 */
export class Constant extends Initializer {
  static readonly initName: string = 'constant';
  readonly value: number | NDArray | number[];
  constructor(value: number | NDArray | number[] | { value: number | NDArray | number[] }) {
    const v = typeof value === 'object' && value !== null && !Array.isArray(value) && 'value' in value ? value.value : value;
    super({ value: v });
    this.value = v as number | NDArray | number[];
  }
  initWeight(_d: InitDesc, arr: NDArray): void {
    arr.set(this.value as number);
  }
}

/**
 * Uniform on [-scale, scale] (default scale 0.07).
 * @example new mx.init.Uniform(0.1)
 */
export class Uniform extends Initializer {
  static readonly initName: string = 'uniform';
  readonly scale: number;
  constructor(scale: number | { scale?: number } = 0.07) {
    const s = typeof scale === 'number' ? scale : optionsOf(scale, 'Uniform').scale ?? 0.07;
    super({ scale: s });
    this.scale = s;
  }
  initWeight(_d: InitDesc, arr: NDArray): void {
    uniform({ low: -this.scale, high: this.scale, ...sampleOpts(arr) });
  }
}

/**
 * Normal with mean 0 and standard deviation sigma (default 0.01).
 * @example new mx.init.Normal(0.02)
 */
export class Normal extends Initializer {
  static readonly initName: string = 'normal';
  readonly sigma: number;
  constructor(sigma: number | { sigma?: number } = 0.01) {
    const s = typeof sigma === 'number' ? sigma : optionsOf(sigma, 'Normal').sigma ?? 0.01;
    super({ sigma: s });
    this.sigma = s;
  }
  initWeight(_d: InitDesc, arr: NDArray): void {
    normal({ loc: 0, scale: this.sigma, ...sampleOpts(arr) });
  }
}

/** Options of Xavier. */
export interface XavierOptions {
  /** 'uniform' (default) or 'gaussian'. */
  rndType?: 'uniform' | 'gaussian';
  /** Fan used for the scale: 'avg' (default), 'in' or 'out'. */
  factorType?: 'avg' | 'in' | 'out';
  /** Scale numerator (default 3). */
  magnitude?: number;
}

/**
 * Xavier/Glorot: scale = sqrt(magnitude / fan), fan_in = shape[1]·prod(shape[2:]),
 * fan_out = shape[0]·prod(shape[2:]); uniform on [-scale, scale] or normal(0, scale).
 * @example new mx.init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 })
 */
export class Xavier extends Initializer {
  static readonly initName: string = 'xavier';
  readonly rndType: 'uniform' | 'gaussian';
  readonly factorType: 'avg' | 'in' | 'out';
  readonly magnitude: number;

  constructor(opts: XavierOptions | XavierOptions['rndType'] = {}, factorType?: XavierOptions['factorType'], magnitude?: number) {
    const o: XavierOptions = typeof opts === 'string' ? { rndType: opts, factorType, magnitude } : optionsOf(opts, 'Xavier');
    const rnd = o.rndType ?? 'uniform', ft = o.factorType ?? 'avg', mag = o.magnitude ?? 3;
    super({ rnd_type: rnd, factor_type: ft, magnitude: mag });
    this.rndType = rnd;
    this.factorType = ft;
    this.magnitude = Number(mag);
  }

  initWeight(desc: InitDesc, arr: NDArray): void {
    const shape = arr.shape;
    if (shape.length < 2) {
      throw new IsotensorError(`Xavier initializer cannot be applied to vector ${desc.name}. It requires at least 2D.`);
    }
    const hw = shape.slice(2).reduce((a, d) => a * d, 1);
    const fanIn = shape[1]! * hw, fanOut = shape[0]! * hw;
    let factor: number;
    if (this.factorType === 'avg') factor = (fanIn + fanOut) / 2;
    else if (this.factorType === 'in') factor = fanIn;
    else if (this.factorType === 'out') factor = fanOut;
    else throw new IsotensorError(`Xavier: incorrect factor type '${String(this.factorType)}'`);
    const scale = Math.sqrt(this.magnitude / factor);
    if (this.rndType === 'uniform') uniform({ low: -scale, high: scale, ...sampleOpts(arr) });
    else if (this.rndType === 'gaussian') normal({ loc: 0, scale, ...sampleOpts(arr) });
    else throw new IsotensorError(`Xavier: unknown random type '${String(this.rndType)}'`);
  }
}

/** Options of MSRAPrelu. */
export interface MSRAPreluOptions {
  factorType?: 'avg' | 'in' | 'out';
  /** The PReLU slope (default 0.25): magnitude = 2 / (1 + slope²). */
  slope?: number;
}

/**
 * He/MSRA initialization for PReLU nets: gaussian Xavier with magnitude 2 / (1 + slope²).
 * @example new mx.init.MSRAPrelu({ factorType: 'in', slope: 0 })
 */
export class MSRAPrelu extends Xavier {
  static readonly initName: string = 'msraprelu';
  constructor(opts: MSRAPreluOptions | MSRAPreluOptions['factorType'] = {}, slope?: number) {
    const o: MSRAPreluOptions = typeof opts === 'string' ? { factorType: opts, slope } : optionsOf(opts, 'MSRAPrelu');
    const s = o.slope ?? 0.25, ft = o.factorType ?? 'avg';
    super({ rndType: 'gaussian', factorType: ft, magnitude: 2 / (1 + s * s) });
    for (const k of Object.keys(this.kwargs)) delete this.kwargs[k];
    Object.assign(this.kwargs, { factor_type: ft, slope: s });
  }
}

/** The bilinear upsampling kernel (for Deconvolution weights). */
export class Bilinear extends Initializer {
  static readonly initName: string = 'bilinear';
  constructor() { super({}); }
  initWeight(_d: InitDesc, arr: NDArray): void { arr.set(bilinearWeights(arr.shape)); }
}

/**
 * LSTM bias: zeros except the forget gate's quarter (the second of the four gates), set to forgetBias.
 * @example new mx.init.LSTMBias(1.0)
 */
export class LSTMBias extends Initializer {
  static readonly initName: string = 'lstmbias';
  readonly forgetBias: number;
  constructor(forgetBias: number | { forgetBias?: number } = 1) {
    const f = typeof forgetBias === 'number' ? forgetBias : optionsOf(forgetBias, 'LSTMBias').forgetBias ?? 1;
    super({ forget_bias: f });
    this.forgetBias = f;
  }
  initWeight(_d: InitDesc, arr: NDArray): void {
    const n = arr.size;
    const h = Math.trunc(arr.shape[0]! / 4);
    const per = n / arr.shape[0]!;
    const v = new Float32Array(n);
    v.fill(this.forgetBias, h * per, 2 * h * per);
    arr.set(v);
  }
}

register(['zero', 'zeros'], () => new Zero());
register(['one', 'ones'], () => new One());
register(['constant'], (o) => new Constant(o.value as number));
register(['uniform'], (o) => new Uniform(o as { scale?: number }));
register(['normal'], (o) => new Normal(o as { sigma?: number }));
register(['xavier'], (o) => new Xavier(o as XavierOptions));
register(['msraprelu'], (o) => new MSRAPrelu(o as MSRAPreluOptions));
register(['bilinear'], () => new Bilinear());
register(['lstmbias'], (o) => new LSTMBias(o as { forgetBias?: number }));
