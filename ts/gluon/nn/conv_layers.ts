// gluon.nn convolution and pooling (MXNet's gluon/nn/conv_layers.py): the Conv and Pooling bases, Conv2D, MaxPool2D, AvgPool2D.
// SPDX-License-Identifier: Apache-2.0
//
// Conv and Pooling take every dimension's settings, so the 1-D/3-D, transposed and global
// variants are a few lines each (Conv's opName 'Deconvolution' gives the transposed ones).
import { IsotensorError, optionsOf, show } from '../../base/error.js';
import { HybridBlock, type BlockOptions, type F, type Tensor } from '../block.js';
import type { InitSpec, Parameter } from '../parameter.js';
import { Activation } from './basic_layers.js';

type Ints = number | readonly number[];

function tuple(v: Ints, n: number, what: string, layer: string): number[] {
  const t = typeof v === 'number' ? new Array<number>(n).fill(v) : Array.isArray(v) ? [...v] : [];
  if (t.length !== n || t.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new IsotensorError(`${layer}: argument '${what}' must be ${n} non-negative integer(s), got ${show(v)}`);
  }
  return t;
}

/** The spatial dimensions a Conv or Pooling base is built for (the subclasses pass 1, 2 or 3). */
function checkDims(dims: number, layer: string): void {
  if (dims !== 1 && dims !== 2 && dims !== 3) throw new IsotensorError(`${layer}: argument 'dims' must be 1, 2 or 3, got ${show(dims)}`);
}

/** Settings of every convolution layer. */
export interface ConvOptions extends BlockOptions {
  strides?: Ints;
  padding?: Ints;
  dilation?: Ints;
  groups?: number;
  layout?: string;
  /** Input channels; 0 (default) infers them at the first forward. */
  inChannels?: number;
  activation?: 'relu' | 'sigmoid' | 'tanh' | 'softrelu' | 'softsign' | null;
  useBias?: boolean;
  weightInitializer?: InitSpec | null;
  biasInitializer?: InitSpec | null;
  /** Transposed convolution only: extra output size per dim. */
  outputPadding?: Ints;
}

/**
 * N-D convolution (or with opName 'Deconvolution', transposed convolution) over a layout such as
 * NCHW; automatic prefix `conv0_` as in MXNet. Subclasses fix the dimension.
 */
export class Conv extends HybridBlock {
  readonly channels: number;
  readonly opName: 'Convolution' | 'Deconvolution';
  readonly kwargs: Record<string, unknown>;
  weight: Parameter;
  bias: Parameter | null;
  act: Activation | null;

  constructor(channels: number, kernelSize: Ints, dims: number, opts: ConvOptions = {},
              opName: 'Convolution' | 'Deconvolution' = 'Convolution') {
    opts = optionsOf(opts, new.target);
    super({ ...opts, aliasHint: 'conv' } as BlockOptions);
    const layer = this.className;
    if (!Number.isInteger(channels) || channels <= 0) {
      throw new IsotensorError(`${layer}: argument 'channels' must be a positive integer, got ${show(channels)}`);
    }
    checkDims(dims, layer);
    const layout = opts.layout ?? ['NCW', 'NCHW', 'NCDHW'][dims - 1]!;
    if (layout.length !== dims + 2 || layout[0] !== 'N') {
      throw new IsotensorError(`${layer}: layout '${layout}' does not fit a ${dims}-D convolution`);
    }
    const kernel = tuple(kernelSize, dims, 'kernelSize', layer);
    const groups = opts.groups ?? 1;
    const inChannels = opts.inChannels ?? 0;
    this.channels = channels;
    this.opName = opName;
    this.kwargs = {
      kernel, stride: tuple(opts.strides ?? 1, dims, 'strides', layer), dilate: tuple(opts.dilation ?? 1, dims, 'dilation', layer),
      pad: tuple(opts.padding ?? 0, dims, 'padding', layer), numFilter: channels, numGroup: groups,
      noBias: !(opts.useBias ?? true), layout,
    };
    if (opName === 'Deconvolution') this.kwargs['adj'] = tuple(opts.outputPadding ?? 0, dims, 'outputPadding', layer);
    const channelLast = layout.indexOf('C') === layout.length - 1;
    const inPerGroup = inChannels > 0 ? Math.floor(inChannels / groups) : 0;
    const wshape = opName === 'Convolution'
      ? (channelLast ? [channels, ...kernel, inPerGroup] : [channels, inPerGroup, ...kernel])
      : (channelLast ? [inChannels, ...kernel, Math.floor(channels / groups)] : [inChannels, Math.floor(channels / groups), ...kernel]);
    [this.weight, this.bias, this.act] = this.nameScope(() => [
      this.params.get('weight', { shape: wshape, init: opts.weightInitializer ?? null, allowDeferredInit: true }),
      (opts.useBias ?? true)
        ? this.params.get('bias', { shape: [channels], init: opts.biasInitializer ?? 'zeros', allowDeferredInit: true })
        : null,
      opts.activation ? new Activation(opts.activation, { prefix: `${opts.activation}_` }) : null,
    ] as const);
  }

  override hybridForward(F: F, x: Tensor, p: { weight: Tensor; bias?: Tensor }): Tensor {
    const out = F[this.opName](x, p.weight, p.bias ?? null, { ...this.kwargs, name: 'fwd' });
    return this.act !== null ? this.act.forward(out) : out;
  }

  override toString(): string {
    const k = this.kwargs;
    const w = this.weight.shape ?? [];
    const inC = this.opName === 'Convolution' ? (w[1] ?? 0) * (k['numGroup'] as number) : w[0] ?? 0;
    const fmt = (v: unknown): string => `(${(v as number[]).join(', ')}${(v as number[]).length === 1 ? ',' : ''})`;
    return `${this.className}(${inC ? inC : 'None'} -> ${this.channels}, kernel_size=${fmt(k['kernel'])}, ` +
           `stride=${fmt(k['stride'])}${this.act !== null ? `, ${this.act.toString()}` : ''})`;
  }
}

/**
 * 2-D convolution over NCHW input: weight (channels, inChannels / groups, kh, kw).
 * @example new gluon.nn.Conv2D(20, 5, { activation: 'relu' })
 */
export class Conv2D extends Conv {
  constructor(channels: number, kernelSize: Ints, opts: ConvOptions = {}) {
    super(channels, kernelSize, 2, opts);
  }
}

/** Settings of pooling layers. */
export interface PoolOptions extends BlockOptions {
  /** Default: the pool size. */
  strides?: Ints | null;
  padding?: Ints;
  /** Round output sizes up ('full' convention) instead of down. */
  ceilMode?: boolean;
  layout?: string;
  /** Average pooling: count padded cells in the divisor (default true). */
  countIncludePad?: boolean;
}

/** N-D max/avg pooling (or global pooling); automatic prefix `pool0_` as in MXNet. */
export class Pooling extends HybridBlock {
  readonly kwargs: Record<string, unknown>;

  constructor(poolSize: Ints, dims: number, poolType: 'max' | 'avg' | 'sum' | 'lp', globalPool: boolean,
              opts: PoolOptions = {}) {
    opts = optionsOf(opts, new.target);
    super({ ...opts, aliasHint: 'pool' } as BlockOptions);
    const layer = this.className;
    checkDims(dims, layer);
    const kernel = tuple(poolSize, dims, 'poolSize', layer);
    const layout = opts.layout ?? ['NCW', 'NCHW', 'NCDHW'][dims - 1]!;
    this.kwargs = {
      kernel, stride: tuple(opts.strides ?? kernel, dims, 'strides', layer), pad: tuple(opts.padding ?? 0, dims, 'padding', layer),
      globalPool, poolType, layout, poolingConvention: opts.ceilMode === true ? 'full' : 'valid',
    };
    if (poolType === 'avg' && opts.countIncludePad !== undefined) this.kwargs['countIncludePad'] = opts.countIncludePad;
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return F.Pooling(x, { ...this.kwargs, name: 'fwd' });
  }

  override toString(): string {
    const k = this.kwargs;
    const fmt = (v: unknown): string => `(${(v as number[]).join(', ')}${(v as number[]).length === 1 ? ',' : ''})`;
    return `${this.className}(size=${fmt(k['kernel'])}, stride=${fmt(k['stride'])}, padding=${fmt(k['pad'])}, ` +
           `ceil_mode=${k['poolingConvention'] === 'full' ? 'True' : 'False'}, global_pool=${k['globalPool'] ? 'True' : 'False'}, ` +
           `pool_type=${String(k['poolType'])}, layout=${String(k['layout'])})`;
  }
}

/**
 * 2-D max pooling (default 2x2, stride = size).
 * @example new gluon.nn.MaxPool2D(2, { strides: 2 })
 */
export class MaxPool2D extends Pooling {
  constructor(poolSize: Ints = [2, 2], opts: PoolOptions = {}) {
    super(poolSize, 2, 'max', false, opts);
  }
}

/** 2-D average pooling (counts padding in the divisor unless countIncludePad: false). */
export class AvgPool2D extends Pooling {
  constructor(poolSize: Ints = [2, 2], opts: PoolOptions = {}) {
    opts = optionsOf(opts, 'AvgPool2D');
    super(poolSize, 2, 'avg', false, { countIncludePad: true, ...opts });
  }
}
