// gluon.nn activation layers beyond Activation (MXNet's gluon/nn/activations.py): LeakyReLU, PReLU, ELU, SELU, GELU, Swish.
// SPDX-License-Identifier: Apache-2.0
//
// All but Swish are one LeakyReLU op call with MXNet's act_type; GELU is the erf form.
import { IsotensorError, optionsOf } from '../../base/error.js';
import { Constant } from '../../init/initializers.js';
import { HybridBlock, type BlockOptions, type F, type Tensor } from '../block.js';
import type { InitSpec, Parameter } from '../parameter.js';

/** `new ELU(0.7)` and `new ELU({ alpha: 0.7 })` both read like MXNet's ELU(alpha=0.7). */
function numberOrOpts<O extends BlockOptions>(v: number | O | undefined, key: string, dflt: number,
                                             layer: string): [number, O] {
  const opts = (typeof v === 'object' && v !== null ? v : {}) as O;
  const n = typeof v === 'number' ? v : ((opts as Record<string, unknown>)[key] as number | undefined) ?? dflt;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new IsotensorError(`${layer}: ${key} must be a finite number, got ${String(n)}`);
  }
  return [n, opts];
}

/**
 * Leaky ReLU: x for x > 0, alpha * x otherwise.
 * @example new gluon.nn.LeakyReLU(0.1).forward(nd.array([-1, 2])) // [-0.1, 2]
 */
export class LeakyReLU extends HybridBlock {
  readonly alpha: number;

  constructor(alpha: number, opts: BlockOptions = {}) {
    super(opts);
    if (typeof alpha !== 'number' || !(alpha >= 0)) {
      throw new IsotensorError(`LeakyReLU: slope coefficient alpha must be a number >= 0, got ${String(alpha)}`);
    }
    this.alpha = alpha;
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return F.LeakyReLU(x, { actType: 'leaky', slope: this.alpha, name: 'fwd' });
  }

  override toString(): string {
    return `${this.className}(${this.alpha})`;
  }
}

/** Options of PReLU. */
export interface PReLUOptions extends BlockOptions {
  /** Initializer of alpha (default Constant(0.25)). */
  alphaInitializer?: InitSpec;
  /** Number of slopes: 1 (default, shared) or the channel count (one per channel, axis 1). */
  inChannels?: number;
}

/**
 * Parametric ReLU: x for x > 0, alpha * x otherwise, with a learnt alpha of shape (inChannels,).
 * @example const p = new gluon.nn.PReLU({ inChannels: 3 }); p.initialize();
 */
export class PReLU extends HybridBlock {
  alpha: Parameter;

  constructor(opts: PReLUOptions = {}) {
    opts = optionsOf(opts, 'PReLU');
    super(opts);
    const n = opts.inChannels ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new IsotensorError(`PReLU: inChannels must be a positive integer, got ${n}`);
    this.alpha = this.nameScope(() => this.params.get('alpha', { shape: [n], init: opts.alphaInitializer ?? new Constant(0.25) }));
  }

  override hybridForward(F: F, x: Tensor, p: { alpha: Tensor }): Tensor {
    return F.LeakyReLU(x, p.alpha, { actType: 'prelu', name: 'fwd' });
  }
}

/** Options of ELU. */
export interface ELUOptions extends BlockOptions {
  /** Scale of the negative part (default 1). */
  alpha?: number;
}

/**
 * Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) otherwise.
 * @example new gluon.nn.ELU(0.5)
 */
export class ELU extends HybridBlock {
  readonly alpha: number;

  constructor(alpha?: number | ELUOptions, opts: ELUOptions = {}) {
    opts = optionsOf(opts, 'ELU');
    const [a, o] = numberOrOpts(alpha ?? opts, 'alpha', 1.0, 'ELU');
    super(typeof alpha === 'number' ? opts : o);
    this.alpha = a;
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return F.LeakyReLU(x, { actType: 'elu', slope: this.alpha });
  }
}

/** Scaled ELU: lambda * (x > 0 ? x : alpha * (exp(x) - 1)) with the self-normalizing constants. */
export class SELU extends HybridBlock {
  constructor(opts: BlockOptions = {}) {
    super(opts);
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return F.LeakyReLU(x, { actType: 'selu', name: 'fwd' });
  }
}

/** Gaussian error linear unit: 0.5 x (1 + erf(x / sqrt(2))). */
export class GELU extends HybridBlock {
  constructor(opts: BlockOptions = {}) {
    super(opts);
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return F.LeakyReLU(x, { actType: 'gelu', name: 'fwd' });
  }
}

/** Options of Swish. */
export interface SwishOptions extends BlockOptions {
  /** Scale inside the sigmoid (default 1). */
  beta?: number;
}

/**
 * Swish: x * sigmoid(beta * x).
 * @example new gluon.nn.Swish(1.5)
 */
export class Swish extends HybridBlock {
  readonly beta: number;

  constructor(beta?: number | SwishOptions, opts: SwishOptions = {}) {
    opts = optionsOf(opts, 'Swish');
    const [b, o] = numberOrOpts(beta ?? opts, 'beta', 1.0, 'Swish');
    super(typeof beta === 'number' ? opts : o);
    this.beta = b;
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return F.elemwise_mul(x, F.Activation(x.mul(this.beta), { actType: 'sigmoid', name: 'fwd' }));
  }
}
