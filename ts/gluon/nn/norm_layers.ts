// gluon.nn normalization layers (MXNet 1.9's gluon/nn/basic_layers.py): BatchNorm, BatchNormReLU, InstanceNorm, LayerNorm, GroupNorm.
// SPDX-License-Identifier: Apache-2.0
//
// Parameter property names are MXNet's attribute names (running_mean, running_var), because the
// property name is the key saveParameters writes and MXNet-written files carry these keys.
// gamma/beta with scale/center false stay in the graph with gradReq 'null', as in MXNet.
import type { DType } from '../../base/dtype.js';
import { IsotensorError, optionsOf } from '../../base/error.js';
import { HybridBlock, type BlockOptions, type F, type Tensor } from '../block.js';
import type { InitSpec, Parameter } from '../parameter.js';

function positiveOrZero(v: number, what: string, layer: string): number {
  if (!Number.isInteger(v) || v < 0) throw new IsotensorError(`${layer}: ${what} must be a non-negative integer, got ${String(v)}`);
  return v;
}

function fmt(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

/** Options of BatchNorm. */
export interface BatchNormOptions extends BlockOptions {
  /** The channel axis (default 1). */
  axis?: number;
  /** Moving statistics: moving = moving * momentum + batch * (1 - momentum) (default 0.9). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
  /** Learn beta (default true). */
  center?: boolean;
  /** Learn gamma (default true); false fixes it to 1. */
  scale?: boolean;
  /** Normalize with the moving statistics in training too. */
  useGlobalStats?: boolean;
  betaInitializer?: InitSpec;
  gammaInitializer?: InitSpec;
  runningMeanInitializer?: InitSpec;
  runningVarianceInitializer?: InitSpec;
  /** Channel count; 0 (default) infers it at the first forward. */
  inChannels?: number;
}

/**
 * Batch normalization over the channel axis: batch statistics in training (updating the moving
 * ones), moving statistics at inference. Parameters gamma, beta, running_mean, running_var.
 * @example const bn = new gluon.nn.BatchNorm(); bn.initialize(); bn.forward(nd.ones([2, 3, 4, 4]))
 */
export class BatchNorm extends HybridBlock {
  readonly kwargs: { axis: number; eps: number; momentum: number; fixGamma: boolean; useGlobalStats: boolean };
  readonly fuseRelu: boolean;
  gamma: Parameter;
  beta: Parameter;
  running_mean: Parameter;
  running_var: Parameter;

  constructor(opts: BatchNormOptions = {}) {
    opts = optionsOf(opts, new.target);
    super(opts);
    const scale = opts.scale ?? true;
    const center = opts.center ?? true;
    const c = positiveOrZero(opts.inChannels ?? 0, 'inChannels', this.className);
    this.fuseRelu = (opts as { fuseRelu?: boolean }).fuseRelu === true;
    this.kwargs = { axis: opts.axis ?? 1, eps: opts.epsilon ?? 1e-5, momentum: opts.momentum ?? 0.9,
                    fixGamma: !scale, useGlobalStats: opts.useGlobalStats ?? false };
    [this.gamma, this.beta, this.running_mean, this.running_var] = this.nameScope(() => [
      this.params.get('gamma', { gradReq: scale ? 'write' : 'null', shape: [c], init: opts.gammaInitializer ?? 'ones',
                                 allowDeferredInit: true, differentiable: scale }),
      this.params.get('beta', { gradReq: center ? 'write' : 'null', shape: [c], init: opts.betaInitializer ?? 'zeros',
                                allowDeferredInit: true, differentiable: center }),
      this.params.get('running_mean', { gradReq: 'null', shape: [c], init: opts.runningMeanInitializer ?? 'zeros',
                                        allowDeferredInit: true, differentiable: false }),
      this.params.get('running_var', { gradReq: 'null', shape: [c], init: opts.runningVarianceInitializer ?? 'ones',
                                       allowDeferredInit: true, differentiable: false }),
    ] as const);
  }

  /** The moving mean (MXNet's running_mean). */
  get runningMean(): Parameter {
    return this.running_mean;
  }

  /** The moving variance (MXNet's running_var). */
  get runningVar(): Parameter {
    return this.running_var;
  }

  /** float16 parameters stay float32 (MXNet keeps BatchNorm's statistics in float32). */
  override cast(dtype: DType | string): void {
    super.cast(dtype === 'float16' ? 'float32' : dtype);
  }

  override hybridForward(F: F, x: Tensor, p: { gamma: Tensor; beta: Tensor; running_mean: Tensor; running_var: Tensor }): Tensor {
    const out = F.BatchNorm(x, p.gamma, p.beta, p.running_mean, p.running_var, { ...this.kwargs, name: 'fwd' });
    return this.fuseRelu ? F.relu(out) : out;
  }

  override toString(): string {
    const k = this.kwargs;
    const c = this.gamma.shape?.[0] ?? 0;
    return `${this.className}(axis=${k.axis}, eps=${k.eps}, momentum=${k.momentum}, fix_gamma=${fmt(k.fixGamma)}, ` +
           `use_global_stats=${fmt(k.useGlobalStats)}, in_channels=${c ? c : 'None'})`;
  }
}

/** BatchNorm followed by ReLU (MXNet's BatchNormReLU; same parameters, prefix `batchnormrelu0_`). */
export class BatchNormReLU extends BatchNorm {
  constructor(opts: BatchNormOptions = {}) {
    opts = optionsOf(opts, 'BatchNormReLU');
    super({ ...opts, fuseRelu: true } as BatchNormOptions);
  }
}

/** Options of InstanceNorm, LayerNorm and GroupNorm. */
export interface NormOptions extends BlockOptions {
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
  /** Learn beta (default true). */
  center?: boolean;
  /** Learn gamma (default: false for InstanceNorm, true otherwise). */
  scale?: boolean;
  betaInitializer?: InitSpec;
  gammaInitializer?: InitSpec;
}

/** Options of InstanceNorm and LayerNorm. */
export interface AxisNormOptions extends NormOptions {
  /** The channel axis (InstanceNorm default 1, LayerNorm default -1). */
  axis?: number;
  /** Size of that axis; 0 (default) infers it at the first forward. */
  inChannels?: number;
}

/** gamma and beta of a norm layer, as MXNet creates them. */
function gammaBeta(b: HybridBlock, n: number, opts: NormOptions, scaleDefault: boolean): [Parameter, Parameter] {
  const scale = opts.scale ?? scaleDefault;
  const center = opts.center ?? true;
  return b.nameScope(() => [
    b.params.get('gamma', { gradReq: scale ? 'write' : 'null', shape: [n], init: opts.gammaInitializer ?? 'ones',
                            allowDeferredInit: true }),
    b.params.get('beta', { gradReq: center ? 'write' : 'null', shape: [n], init: opts.betaInitializer ?? 'zeros',
                           allowDeferredInit: true }),
  ]);
}

/**
 * Instance normalization: each (sample, channel) normalized over the other axes; gamma and beta
 * per channel (scale defaults to false: gamma stays 1).
 * @example new gluon.nn.InstanceNorm({ scale: true })
 */
export class InstanceNorm extends HybridBlock {
  readonly axis: number;
  readonly epsilon: number;
  gamma: Parameter;
  beta: Parameter;

  constructor(opts: AxisNormOptions = {}) {
    opts = optionsOf(opts, 'InstanceNorm');
    super(opts);
    this.axis = opts.axis ?? 1;
    this.epsilon = opts.epsilon ?? 1e-5;
    [this.gamma, this.beta] = gammaBeta(this, positiveOrZero(opts.inChannels ?? 0, 'inChannels', 'InstanceNorm'), opts, false);
  }

  override hybridForward(F: F, x: Tensor, p: { gamma: Tensor; beta: Tensor }): Tensor {
    if (this.axis === 1) return F.InstanceNorm(x, p.gamma, p.beta, { eps: this.epsilon, name: 'fwd' });
    const sw = (t: Tensor): Tensor => F.swapaxes(t, { dim1: 1, dim2: this.axis });
    return sw(F.InstanceNorm(sw(x), p.gamma, p.beta, { eps: this.epsilon, name: 'fwd' }));
  }

  override toString(): string {
    return `${this.className}(eps=${this.epsilon}, axis=${this.axis}, in_channels=${this.gamma.shape?.[0] ?? 0})`;
  }
}

/**
 * Layer normalization over one axis (default the last): (x - mean) / sqrt(var + eps) * gamma + beta.
 * @example new gluon.nn.LayerNorm().forward(x) // normalizes x's last axis
 */
export class LayerNorm extends HybridBlock {
  readonly axis: number;
  readonly epsilon: number;
  gamma: Parameter;
  beta: Parameter;

  constructor(opts: AxisNormOptions = {}) {
    opts = optionsOf(opts, 'LayerNorm');
    super(opts);
    this.axis = opts.axis ?? -1;
    this.epsilon = opts.epsilon ?? 1e-5;
    [this.gamma, this.beta] = gammaBeta(this, positiveOrZero(opts.inChannels ?? 0, 'inChannels', 'LayerNorm'), opts, true);
  }

  override hybridForward(F: F, x: Tensor, p: { gamma: Tensor; beta: Tensor }): Tensor {
    return F.LayerNorm(x, p.gamma, p.beta, { axis: this.axis, eps: this.epsilon });
  }

  override toString(): string {
    return `${this.className}(eps=${this.epsilon}, axis=${this.axis}, in_channels=${this.gamma.shape?.[0] ?? 0})`;
  }
}

/** Options of GroupNorm. */
export interface GroupNormOptions extends NormOptions {
  /** Number of channel groups (default 1). */
  numGroups?: number;
}

/**
 * Group normalization: channels split into numGroups groups, each (sample, group) normalized over
 * its channels and spatial axes. As in MXNet 1.9, gamma and beta have one value per group.
 * @example new gluon.nn.GroupNorm({ numGroups: 2 })
 */
export class GroupNorm extends HybridBlock {
  readonly numGroups: number;
  readonly epsilon: number;
  gamma: Parameter;
  beta: Parameter;

  constructor(opts: GroupNormOptions = {}) {
    opts = optionsOf(opts, 'GroupNorm');
    super(opts);
    this.numGroups = opts.numGroups ?? 1;
    if (!Number.isInteger(this.numGroups) || this.numGroups < 1) {
      throw new IsotensorError(`GroupNorm: numGroups must be a positive integer, got ${String(this.numGroups)}`);
    }
    this.epsilon = opts.epsilon ?? 1e-5;
    [this.gamma, this.beta] = gammaBeta(this, this.numGroups, opts, true);
  }

  override hybridForward(F: F, x: Tensor, p: { gamma: Tensor; beta: Tensor }): Tensor {
    return F.GroupNorm(x, p.gamma, p.beta, { numGroups: this.numGroups, eps: this.epsilon });
  }

  override toString(): string {
    return `${this.className}(eps=${this.epsilon}, num_groups=${this.numGroups})`;
  }
}
