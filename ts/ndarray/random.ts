// Random numbers: mx.random.seed and nd.random.{uniform, normal, randint, shuffle} (Philox in the core).
// SPDX-License-Identifier: Apache-2.0
import { backend, checkContext, numGpus } from '../backend/runtime.js';
import { toContext, type Context } from '../base/context.js';
import { normalizeDType, type DType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
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
  if (!Number.isInteger(seedState)) throw new IsotensorError(`mx.random.seed: seed must be an integer, got ${seedState}`);
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
  if (low instanceof NDArray) return sampleFrom('_sample_uniform', [low, high as NDArray], { ...opts, shape });
  const o: UniformOptions = typeof low === 'number'
    ? { ...opts, low, high: high as number | undefined, shape: shape ?? opts.shape } : low;
  return sample('_random_uniform', { low: o.low ?? 0, high: o.high ?? 1 }, o, 'float32');
}

/**
 * Samples from N(loc, scale²). Also positional `(loc, scale, shape)`.
 * @example nd.random.normal({ loc: 0, scale: 1, shape: [2, 3] })
 */
export function normal(loc: number | NDArray | NormalOptions = {}, scale?: number | NDArray,
                       shape?: number | readonly number[], opts: SampleOptions = {}): NDArray {
  if (loc instanceof NDArray) return sampleFrom('_sample_normal', [loc, scale as NDArray], { ...opts, shape });
  const o: NormalOptions = typeof loc === 'number'
    ? { ...opts, loc, scale: scale as number | undefined, shape: shape ?? opts.shape } : loc;
  return sample('_random_normal', { loc: o.loc ?? 0, scale: o.scale ?? 1 }, o, 'float32');
}

/**
 * Integers uniformly from [low, high) (int32 by default). Also positional `(low, high, shape)`.
 * @example nd.random.randint(0, 10, [5]); nd.random.randint({ low: 0, high: 10, shape: [5] })
 */
export function randint(low: number | RandintOptions, high?: number, shape?: number | readonly number[],
                        opts: SampleOptions = {}): NDArray {
  const o: RandintOptions = typeof low === 'number'
    ? { ...opts, low, high: high as number, shape: shape ?? opts.shape } : low;
  if (o.high === undefined) throw new IsotensorError('nd.random.randint: high is required');
  return sample('_random_randint', { low: o.low, high: o.high }, o, 'int32');
}

/**
 * A copy with the rows (axis 0) in random order.
 * @example nd.random.shuffle(nd.arange(10))
 */
export function shuffle(data: NDArray, opts: { out?: NDArray } = {}): NDArray {
  return invoke1('_shuffle', [data], null, opts.out ?? null);
}
