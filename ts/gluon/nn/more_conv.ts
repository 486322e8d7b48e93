// gluon.nn convolutions and pools beyond 2-D (MXNet's gluon/nn/conv_layers.py): Conv1D/3D, transposed, 1-D/3-D and global pools, ReflectionPad2D.
// SPDX-License-Identifier: Apache-2.0
//
// Thin subclasses of conv_layers.ts's Conv and Pooling, which hold the settings of any dimension.
// Transposed convolutions share the `conv` prefix counter and pools the `pool` one, as in MXNet.
import { IsotensorError, optionsOf, show } from '../../base/error.js';
import { HybridBlock, type BlockOptions, type F, type Tensor } from '../block.js';
import { Conv, Pooling, type ConvOptions, type PoolOptions } from './conv_layers.js';

type Ints = number | readonly number[];

function checkLayout(layer: string, layout: string | undefined, allowed: readonly string[]): void {
  if (layout !== undefined && !allowed.includes(layout)) {
    throw new IsotensorError(`${layer}: only ${allowed.map((l) => `'${l}'`).join(' and ')} layout(s) supported, got '${layout}'`);
  }
}

/**
 * 1-D convolution over NCW input: weight (channels, inChannels / groups, k).
 * @example new gluon.nn.Conv1D(16, 3, { strides: 2, padding: 1 })
 */
export class Conv1D extends Conv {
  constructor(channels: number, kernelSize: Ints, opts: ConvOptions = {}) {
    opts = optionsOf(opts, 'Conv1D');
    checkLayout('Conv1D', opts.layout, ['NCW']);
    super(channels, kernelSize, 1, opts);
  }
}

/**
 * 3-D convolution over NCDHW input: weight (channels, inChannels / groups, kd, kh, kw).
 * @example new gluon.nn.Conv3D(8, [3, 3, 3], { padding: 1 })
 */
export class Conv3D extends Conv {
  constructor(channels: number, kernelSize: Ints, opts: ConvOptions = {}) {
    opts = optionsOf(opts, 'Conv3D');
    checkLayout('Conv3D', opts.layout, ['NCDHW', 'NDHWC']);
    super(channels, kernelSize, 3, opts);
  }
}

/**
 * 1-D transposed convolution (NCW): weight (inChannels, channels / groups, k); output size
 * strides * (in - 1) + dilation * (k - 1) + 1 - 2 * padding + outputPadding.
 * @example new gluon.nn.Conv1DTranspose(8, 3, { strides: 2, padding: 1, outputPadding: 1 })
 */
export class Conv1DTranspose extends Conv {
  constructor(channels: number, kernelSize: Ints, opts: ConvOptions = {}) {
    opts = optionsOf(opts, 'Conv1DTranspose');
    checkLayout('Conv1DTranspose', opts.layout, ['NCW']);
    super(channels, kernelSize, 1, opts, 'Deconvolution');
  }
}

/**
 * 2-D transposed convolution (NCHW): weight (inChannels, channels / groups, kh, kw).
 * @example new gluon.nn.Conv2DTranspose(16, 4, { strides: 2, padding: 1 })
 */
export class Conv2DTranspose extends Conv {
  constructor(channels: number, kernelSize: Ints, opts: ConvOptions = {}) {
    opts = optionsOf(opts, 'Conv2DTranspose');
    checkLayout('Conv2DTranspose', opts.layout, ['NCHW', 'NHWC']);
    super(channels, kernelSize, 2, opts, 'Deconvolution');
  }
}

/** 3-D transposed convolution (NCDHW): weight (inChannels, channels / groups, kd, kh, kw). */
export class Conv3DTranspose extends Conv {
  constructor(channels: number, kernelSize: Ints, opts: ConvOptions = {}) {
    opts = optionsOf(opts, 'Conv3DTranspose');
    checkLayout('Conv3DTranspose', opts.layout, ['NCDHW', 'NDHWC']);
    super(channels, kernelSize, 3, opts, 'Deconvolution');
  }
}

/** `new MaxPool1D(3, opts)` or `new MaxPool1D(opts)` (poolSize left at its default). */
function sizeAndOpts(v: Ints | PoolOptions | undefined, opts: PoolOptions, dflt: Ints): [Ints, PoolOptions] {
  if (v === undefined || v === null) return [dflt, opts];
  if (typeof v === 'number' || Array.isArray(v)) return [v as Ints, opts];
  return [dflt, v as PoolOptions];
}

const L1 = ['NCW', 'NWC'];
const L3 = ['NCDHW', 'NDHWC'];

/** 1-D max pooling (default size 2, stride = size). @example new gluon.nn.MaxPool1D(3, { strides: 2 }) */
export class MaxPool1D extends Pooling {
  constructor(poolSize?: Ints | PoolOptions, opts: PoolOptions = {}) {
    opts = optionsOf(opts, 'MaxPool1D');
    const [size, o] = sizeAndOpts(poolSize, opts, 2);
    checkLayout('MaxPool1D', o.layout, L1);
    super(size, 1, 'max', false, o);
  }
}

/** 3-D max pooling (default 2x2x2, stride = size). */
export class MaxPool3D extends Pooling {
  constructor(poolSize?: Ints | PoolOptions, opts: PoolOptions = {}) {
    opts = optionsOf(opts, 'MaxPool3D');
    const [size, o] = sizeAndOpts(poolSize, opts, [2, 2, 2]);
    checkLayout('MaxPool3D', o.layout, L3);
    super(size, 3, 'max', false, o);
  }
}

/** 1-D average pooling (counts padding in the divisor unless countIncludePad: false). */
export class AvgPool1D extends Pooling {
  constructor(poolSize?: Ints | PoolOptions, opts: PoolOptions = {}) {
    opts = optionsOf(opts, 'AvgPool1D');
    const [size, o] = sizeAndOpts(poolSize, opts, 2);
    checkLayout('AvgPool1D', o.layout, L1);
    super(size, 1, 'avg', false, { countIncludePad: true, ...o });
  }
}

/** 3-D average pooling (counts padding in the divisor unless countIncludePad: false). */
export class AvgPool3D extends Pooling {
  constructor(poolSize?: Ints | PoolOptions, opts: PoolOptions = {}) {
    opts = optionsOf(opts, 'AvgPool3D');
    const [size, o] = sizeAndOpts(poolSize, opts, [2, 2, 2]);
    checkLayout('AvgPool3D', o.layout, L3);
    super(size, 3, 'avg', false, { countIncludePad: true, ...o });
  }
}

/** Options of the global pools (only the layout). */
export interface GlobalPoolOptions extends BlockOptions {
  layout?: string;
}

// MXNet's global pools: kernel of ones, ceil mode, global_pool; the op reduces every spatial axis.
function globalOpts(opts: GlobalPoolOptions): PoolOptions {
  return { ...opts, ceilMode: true, padding: 0 };
}

/** Max over the spatial axis of NCW input: (N, C, 1). */
export class GlobalMaxPool1D extends Pooling {
  constructor(opts: GlobalPoolOptions = {}) {
    opts = optionsOf(opts, 'GlobalMaxPool1D');
    checkLayout('GlobalMaxPool1D', opts.layout, L1);
    super([1], 1, 'max', true, globalOpts(opts));
  }
}

/** Max over the spatial axes of NCHW input: (N, C, 1, 1). */
export class GlobalMaxPool2D extends Pooling {
  constructor(opts: GlobalPoolOptions = {}) {
    opts = optionsOf(opts, 'GlobalMaxPool2D');
    checkLayout('GlobalMaxPool2D', opts.layout, ['NCHW', 'NHWC']);
    super([1, 1], 2, 'max', true, globalOpts(opts));
  }
}

/** Max over the spatial axes of NCDHW input: (N, C, 1, 1, 1). */
export class GlobalMaxPool3D extends Pooling {
  constructor(opts: GlobalPoolOptions = {}) {
    opts = optionsOf(opts, 'GlobalMaxPool3D');
    checkLayout('GlobalMaxPool3D', opts.layout, L3);
    super([1, 1, 1], 3, 'max', true, globalOpts(opts));
  }
}

/** Mean over the spatial axis of NCW input: (N, C, 1). */
export class GlobalAvgPool1D extends Pooling {
  constructor(opts: GlobalPoolOptions = {}) {
    opts = optionsOf(opts, 'GlobalAvgPool1D');
    checkLayout('GlobalAvgPool1D', opts.layout, L1);
    super([1], 1, 'avg', true, globalOpts(opts));
  }
}

/** Mean over the spatial axes of NCHW input: (N, C, 1, 1). */
export class GlobalAvgPool2D extends Pooling {
  constructor(opts: GlobalPoolOptions = {}) {
    opts = optionsOf(opts, 'GlobalAvgPool2D');
    checkLayout('GlobalAvgPool2D', opts.layout, ['NCHW', 'NHWC']);
    super([1, 1], 2, 'avg', true, globalOpts(opts));
  }
}

/** Mean over the spatial axes of NCDHW input: (N, C, 1, 1, 1). */
export class GlobalAvgPool3D extends Pooling {
  constructor(opts: GlobalPoolOptions = {}) {
    opts = optionsOf(opts, 'GlobalAvgPool3D');
    checkLayout('GlobalAvgPool3D', opts.layout, L3);
    super([1, 1, 1], 3, 'avg', true, globalOpts(opts));
  }
}

/**
 * Pads the two spatial axes of NCHW input by reflection (MXNet's ReflectionPad2D).
 * @example new gluon.nn.ReflectionPad2D(1).forward(nd.ones([1, 1, 3, 3])).shape // [1, 1, 5, 5]
 */
export class ReflectionPad2D extends HybridBlock {
  readonly padding: number[];

  constructor(padding: number | readonly number[] = 0, opts: BlockOptions = {}) {
    super(opts);
    const p = typeof padding === 'number' ? [0, 0, 0, 0, padding, padding, padding, padding] : Array.isArray(padding) ? [...padding] : [];
    if (p.length !== 8 || p.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new IsotensorError(`ReflectionPad2D: argument 'padding' must be a non-negative integer or 8 of them, got ${show(padding)}`);
    }
    this.padding = p;
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return F.pad(x, { mode: 'reflect', padWidth: this.padding });
  }
}
