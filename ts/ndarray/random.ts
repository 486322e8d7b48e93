// Random numbers: mx.random.seed and nd.random.* samplers (MXNet's mx.nd.random; Philox in the core).
// SPDX-License-Identifier: Apache-2.0
import { backend, checkContext, numGpus } from '../backend/runtime.js';
import { toContext, type Context } from '../base/context.js';
import { normalizeDType, type DType } from '../base/dtype.js';
import { IsotensorError, kindOf, optionsOf, show } from '../base/error.js';
import { toShape } from './host.js';
import { invoke, invoke1 } from './invoke.js';
import { NDArray } from './ndarray.js';

/** Common options of the samplers. */
export interface SampleOptions {
  shape?: number | readonly number[];
  ctx?: Context | string;
  dtype?: DType | string;
  out?: NDArray;
}

/** Options of uniform. */
export interface UniformOptions extends SampleOptions {
  low?: number;
  high?: number;
}

/** Options of normal. */
export interface NormalOptions extends SampleOptions {
  loc?: number;
  scale?: number;
}

/** Options of randint (low is inclusive, high exclusive). */
export interface RandintOptions extends SampleOptions {
  low: number;
  high: number;
}

/**
 * Seeds the generators (all devices by default, or one context). One seed gives the same numbers
 * on wasm, native CPU and GPU.
 * @example mx.random.seed(42)
 */
export function seed(seedState: number, ctx: Context | string | 'all' = 'all'): void {
  const b = backend();
  if (!Number.isInteger(seedState)) throw new IsotensorError(`mx.random.seed: seed must be an integer, got ${show(seedState)}`);
  if (ctx === 'all') {
    b.randomSeed(seedState, 1, 0);
    const n = numGpus();
    for (let i = 0; i < n; i++) b.randomSeed(seedState, 2, i);
    return;
  }
  const c = toContext(ctx);
  b.randomSeed(seedState, c.deviceTypeId, c.deviceId);
}

function sample(op: string, params: Record<string, number | undefined>, o: SampleOptions,
                defaultDType: DType): NDArray {
  const ctx = toContext(o.ctx);
  checkContext(ctx, backend());
  const shape = o.shape === undefined ? [1] : toShape(o.shape, op);
  return invoke1(op, [], {
    ...params, shape, ctx, dtype: o.dtype === undefined ? defaultDType : normalizeDType(o.dtype, op),
  }, o.out ?? null);
}

function sampleFrom(op: string, inputs: NDArray[], o: SampleOptions): NDArray {
  return invoke(op, inputs, {
    shape: o.shape === undefined ? undefined : toShape(o.shape, op),
    dtype: o.dtype === undefined ? undefined : normalizeDType(o.dtype, op),
  }, o.out ?? null)[0]!;
}

/**
 * Samples from U[low, high). Also MXNet's positional form `(low, high, shape)`; NDArray low/high
 * draw `shape` samples per element.
 * @example nd.random.uniform({ low: -0.1, high: 0.1, shape: [2, 3] }); nd.random.uniform(0, 1, [4])
 */
export function uniform(low: number | NDArray | UniformOptions = {}, high?: number | NDArray,
                        shape?: number | readonly number[], opts: SampleOptions = {}): NDArray {
  opts = optionsOf(opts, 'nd.random.uniform');
  if (low instanceof NDArray) return sampleFrom('_sample_uniform', [low, high as NDArray], { ...opts, shape });
  const o: UniformOptions = typeof low === 'number'
    ? { ...opts, low, high: high as number | undefined, shape: shape ?? opts.shape } : optionsOf(low, 'nd.random.uniform');
  return sample('_random_uniform', { low: o.low ?? 0, high: o.high ?? 1 }, o, 'float32');
}

/**
 * Samples from N(loc, scale²). Also positional `(loc, scale, shape)`.
 * @example nd.random.normal({ loc: 0, scale: 1, shape: [2, 3] })
 */
export function normal(loc: number | NDArray | NormalOptions = {}, scale?: number | NDArray,
                       shape?: number | readonly number[], opts: SampleOptions = {}): NDArray {
  opts = optionsOf(opts, 'nd.random.normal');
  if (loc instanceof NDArray) return sampleFrom('_sample_normal', [loc, scale as NDArray], { ...opts, shape });
  const o: NormalOptions = typeof loc === 'number'
    ? { ...opts, loc, scale: scale as number | undefined, shape: shape ?? opts.shape } : optionsOf(loc, 'nd.random.normal');
  return sample('_random_normal', { loc: o.loc ?? 0, scale: o.scale ?? 1 }, o, 'float32');
}

/**
 * Integers uniformly from [low, high) (int32 by default). Also positional `(low, high, shape)`.
 * @example nd.random.randint(0, 10, [5]); nd.random.randint({ low: 0, high: 10, shape: [5] })
 */
export function randint(low: number | RandintOptions, high?: number, shape?: number | readonly number[],
                        opts: SampleOptions = {}): NDArray {
  opts = optionsOf(opts, 'nd.random.randint');
  const o = (typeof low === 'number'
    ? { ...opts, low, high: high as number, shape: shape ?? opts.shape } : optionsOf(low, 'nd.random.randint')) as RandintOptions;
  if (o.high === undefined) throw new IsotensorError('nd.random.randint: high is required');
  return sample('_random_randint', { low: o.low, high: o.high }, o, 'int32');
}

/**
 * A copy with the rows (axis 0) in random order.
 * @example nd.random.shuffle(nd.arange(10))
 */
export function shuffle(data: NDArray, opts: { out?: NDArray } = {}): NDArray {
  return invoke1('_shuffle', [data], null, optionsOf(opts, 'nd.random.shuffle').out ?? null);
}

/**
 * Samples from N(loc, scale²) with the shape given as leading arguments (MXNet's randn).
 * @example nd.random.randn(2, 3); nd.random.randn(2, 3, { loc: 1, scale: 0.5 })
 */
export function randn(...args: Array<number | NormalOptions>): NDArray {
  const last = args[args.length - 1];
  const o: NormalOptions = typeof last === 'object' ? optionsOf(last, 'nd.random.randn') : {};
  const dims = args.filter((a): a is number => typeof a === 'number');
  return normal({ ...o, shape: dims.length > 0 ? dims : o.shape });
}

// Samplers with scalar parameters (`_random_<op>`) or one array per parameter (`_sample_<op>`,
// `shape` draws per element), as MXNet's mx.nd.random functions dispatch.
function twoParam(name: string, keys: [string, string?], a: number | NDArray, b: number | NDArray | undefined,
                  shape: number | readonly number[] | undefined, opts: SampleOptions,
                  defaultDType: DType = 'float32'): NDArray {
  if (a instanceof NDArray) {
    const inputs = [a];
    if (keys[1] !== undefined) {
      if (!(b instanceof NDArray)) {
        throw new IsotensorError(`nd.random.${name}: ${keys[0]} is an NDArray, so ${keys[1]} must be one too`);
      }
      inputs.push(b);
    }
    return sampleFrom(`_sample_${name}`, inputs, { ...opts, shape: shape ?? opts.shape });
  }
  const params: Record<string, number | undefined> = { [keys[0]]: a };
  if (keys[1] !== undefined) {
    if (b instanceof NDArray) throw new IsotensorError(`nd.random.${name}: ${keys[0]} is a number, so ${keys[1]} must be one too`);
    params[keys[1]] = b;
  }
  return sample(`_random_${name}`, params, { ...opts, shape: shape ?? opts.shape }, defaultDType);
}

/**
 * Exponential samples with mean `scale` (an NDArray scale draws `shape` per element).
 * @example nd.random.exponential(2, [3])
 */
export function exponential(scale: number | NDArray = 1, shape?: number | readonly number[],
                            opts: SampleOptions = {}): NDArray {
  // MXNet's op takes the rate: lam = 1 / scale.
  if (!(scale instanceof NDArray)) {
    if (typeof scale !== 'number') throw new IsotensorError(`nd.random.exponential: argument 'scale' must be a number or an NDArray, got ${kindOf(scale)}`);
    return twoParam('exponential', ['lam'], 1 / scale, undefined, shape, opts);
  }
  const lam = invoke1('_rdiv_scalar', [scale], { scalar: 1 });
  try {
    return twoParam('exponential', ['lam'], lam, undefined, shape, opts);
  } finally {
    lam.dispose();  // the engine keeps the storage until the sampler has read it
  }
}

/** Gamma samples with shape `alpha` and scale `beta`. @example nd.random.gamma(2, 1, [4]) */
export function gamma(alpha: number | NDArray = 1, beta: number | NDArray = 1, shape?: number | readonly number[],
                      opts: SampleOptions = {}): NDArray {
  return twoParam('gamma', ['alpha', 'beta'], alpha, beta, shape, opts);
}

/** Poisson samples with rate `lam` (float32 counts, as MXNet). @example nd.random.poisson(3, [5]) */
export function poisson(lam: number | NDArray = 1, shape?: number | readonly number[], opts: SampleOptions = {}): NDArray {
  return twoParam('poisson', ['lam'], lam, undefined, shape, opts);
}

/**
 * Negative binomial samples: failures before `k` successes with success probability `p`.
 * @example nd.random.negativeBinomial(5, 0.5, [4])
 */
export function negativeBinomial(k: number | NDArray = 1, p: number | NDArray = 1,
                                 shape?: number | readonly number[], opts: SampleOptions = {}): NDArray {
  return twoParam('negative_binomial', ['k', 'p'], k, p, shape, opts);
}

/**
 * Generalized negative binomial samples with mean `mu` and dispersion `alpha`.
 * @example nd.random.generalizedNegativeBinomial(2, 0.3, [4])
 */
export function generalizedNegativeBinomial(mu: number | NDArray = 1, alpha: number | NDArray = 1,
                                            shape?: number | readonly number[], opts: SampleOptions = {}): NDArray {
  return twoParam('generalized_negative_binomial', ['mu', 'alpha'], mu, alpha, shape, opts);
}

/**
 * Category indices drawn from each row of probabilities `data` (last axis); `shape` draws per row.
 * With getProb, also the log-probability of each draw (differentiable w.r.t. data).
 * @example nd.random.multinomial(nd.array([0.2, 0.8]), { shape: [3] })
 */
export function multinomial(data: NDArray, opts: { shape?: number | readonly number[]; getProb?: boolean;
                                                   dtype?: DType | string; out?: NDArray | NDArray[] } = {}): NDArray | NDArray[] {
  opts = optionsOf(opts, 'nd.random.multinomial');
  const r = invoke('_sample_multinomial', [data], {
    shape: opts.shape === undefined ? undefined : toShape(opts.shape, 'multinomial'),
    get_prob: opts.getProb ?? false,
    dtype: opts.dtype === undefined ? undefined : normalizeDType(opts.dtype, 'multinomial'),
  }, opts.out ?? null);
  return opts.getProb === true ? r : r[0]!;
}

export { generalizedNegativeBinomial as generalized_negative_binomial, negativeBinomial as negative_binomial };
