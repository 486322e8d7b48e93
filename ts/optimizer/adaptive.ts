// RMSProp (plain and centered), AdaGrad, AdaDelta and Ftrl: per-coordinate adaptive optimizers over their fused ops.
// SPDX-License-Identifier: Apache-2.0
import type { NDArray } from '../ndarray/ndarray.js';
import { Optimizer, type Index, type OptimizerOptions, type OptimizerState } from './optimizer.js';

/** Options of {@link RMSProp}. */
export interface RMSPropOptions extends OptimizerOptions {
  /** Decay of the running means. Default 0.9. */
  gamma1?: number;
  /** Momentum of the centered variant. Default 0.9. */
  gamma2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** Graves' centered RMSProp (rmspropalex_update) instead of Tieleman & Hinton's. Default false. */
  centered?: boolean;
  /** Clips updated weights to [-clipWeights, clipWeights] (null or 0: no clipping). */
  clipWeights?: number | null;
}

/**
 * RMSProp: g = clip(rescaleGrad*grad + wd*weight); n = (1-gamma1)*g^2 + gamma1*n;
 * weight -= lr * g / sqrt(n + epsilon) (rmsprop_update; PyTorch's RMSprop with alpha = gamma1
 * puts epsilon outside the root). centered: Graves' variant with momentum gamma2
 * (rmspropalex_update). Default learning rate 0.001.
 * @example mx.optimizer.create('rmsprop', { learningRate: 1e-3, centered: true })
 */
export class RMSProp extends Optimizer {
  gamma1: number;
  gamma2: number;
  epsilon: number;
  centered: boolean;
  clipWeights: number | null;

  constructor(opts: RMSPropOptions = {}) {
    super(opts, ['gamma1', 'gamma2', 'epsilon', 'centered', 'clipWeights'], 0.001);
    const o = this.options;
    this.gamma1 = o.gamma1 === undefined ? 0.9 : Number(o.gamma1);
    this.gamma2 = o.gamma2 === undefined ? 0.9 : Number(o.gamma2);
    this.epsilon = o.epsilon === undefined ? 1e-8 : Number(o.epsilon);
    this.centered = Boolean(o.centered);
    this.clipWeights = (o.clipWeights as number | null | undefined) ?? null;
  }

  /** [n], or [n, g, delta] when centered (in the weight's dtype; MXNet made them float32). */
  override createState(index: Index, weight: NDArray): OptimizerState {
    void index;
    return this.centered ? [this.zerosLike(weight), this.zerosLike(weight), this.zerosLike(weight)]
      : [this.zerosLike(weight)];
  }

  override update(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.updateCount(index);
    const attrs: Record<string, number> = {
      lr: this.getLr(index), wd: this.getWd(index), gamma1: this.gamma1, epsilon: this.epsilon, ...this.commonAttrs(),
    };
    if (this.clipWeights) attrs.clip_weights = this.clipWeights;
    const s = state as NDArray[];
    if (this.centered) {
      attrs.gamma2 = this.gamma2;
      this.fused('rmspropalex_update', [weight, grad, s[0]!, s[1]!, s[2]!], attrs);
    } else {
      this.fused('rmsprop_update', [weight, grad, s[0]!], attrs);
    }
  }
}

/** Options of {@link AdaGrad}. */
export interface AdaGradOptions extends OptimizerOptions {
  /** Added to the history inside the square root. Default 1e-7 (MXNet's name; `epsilon` works too). */
  eps?: number;
  epsilon?: number;
}

/**
 * AdaGrad (Duchi et al.), MXNet 1.9's dense update (adagrad_update): g = clip(rescaleGrad*grad);
 * history += g^2; weight -= lr * (g / sqrt(history + eps) + wd*weight). PyTorch adds wd*weight
 * to g before the history and puts eps outside the root. Default learning rate 0.01.
 * @example mx.optimizer.create('adagrad', { learningRate: 0.1 })
 */
export class AdaGrad extends Optimizer {
  floatStableEps: number;

  constructor(opts: AdaGradOptions = {}) {
    super(opts, ['eps', 'epsilon']);
    const o = this.options;
    this.floatStableEps = Number(o.eps ?? o.epsilon ?? 1e-7);
  }

  override createState(index: Index, weight: NDArray): OptimizerState {
    void index;
    return this.zerosLike(weight);
  }

  override update(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.updateCount(index);
    this.fused('adagrad_update', [weight, grad, state as NDArray], {
      lr: this.getLr(index), wd: this.getWd(index), epsilon: this.floatStableEps, ...this.commonAttrs(),
    });
  }
}

/** Options of {@link AdaDelta}. */
export interface AdaDeltaOptions extends OptimizerOptions {
  /** Decay of both running means. Default 0.9. */
  rho?: number;
  /** Default 1e-5. */
  epsilon?: number;
}

/**
 * AdaDelta (Zeiler 2012) as MXNet 2 and PyTorch define it (adadelta_update): g = clip(rescaleGrad*grad)
 * + wd*weight; acc_g = rho*acc_g + (1-rho)*g^2; d = sqrt(acc_delta + eps) / sqrt(acc_g + eps) * g;
 * acc_delta = rho*acc_delta + (1-rho)*d^2; weight -= lr*d. Default learning rate 1 (MXNet 1.9
 * ignored the learning rate and subtracted wd*weight unscaled; with lr = 1 and wd = 0 the two agree).
 * @example mx.optimizer.create('adadelta', { rho: 0.95 })
 */
export class AdaDelta extends Optimizer {
  rho: number;
  epsilon: number;

  constructor(opts: AdaDeltaOptions = {}) {
    super(opts, ['rho', 'epsilon'], 1.0);
    const o = this.options;
    this.rho = o.rho === undefined ? 0.9 : Number(o.rho);
    this.epsilon = o.epsilon === undefined ? 1e-5 : Number(o.epsilon);
  }

  override createState(index: Index, weight: NDArray): OptimizerState {
    void index;
    return [this.zerosLike(weight), this.zerosLike(weight)];
  }

  override update(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.updateCount(index);
    const [accG, accDelta] = state as [NDArray, NDArray];
    this.fused('adadelta_update', [weight, grad, accG, accDelta], {
      lr: this.getLr(index), wd: this.getWd(index), rho: this.rho, epsilon: this.epsilon, ...this.commonAttrs(),
    });
  }
}

/** Options of {@link Ftrl}. */
export interface FtrlOptions extends OptimizerOptions {
  /** L1 strength. Default 0.01. */
  lamda1?: number;
  /** Per-coordinate learning-rate offset. Default 1. */
  beta?: number;
}

/**
 * FTRL-proximal (McMahan et al. 2013) through ftrl_update: z and n accumulate; the weight is the
 * closed-form proximal solution, 0 where |z| <= lamda1. Default learning rate 0.1.
 * @example mx.optimizer.create('ftrl', { learningRate: 0.1, lamda1: 0.01 })
 */
export class Ftrl extends Optimizer {
  lamda1: number;
  beta: number;

  constructor(opts: FtrlOptions = {}) {
    super(opts, ['lamda1', 'beta'], 0.1);
    const o = this.options;
    this.lamda1 = o.lamda1 === undefined ? 0.01 : Number(o.lamda1);
    this.beta = o.beta === undefined ? 1 : Number(o.beta);
  }

  /** [z, n]. */
  override createState(index: Index, weight: NDArray): OptimizerState {
    void index;
    return [this.zerosLike(weight), this.zerosLike(weight)];
  }

  override update(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.updateCount(index);
    const [z, n] = state as [NDArray, NDArray];
    this.fused('ftrl_update', [weight, grad, z, n], {
      lr: this.getLr(index), wd: this.getWd(index), lamda1: this.lamda1, beta: this.beta, ...this.commonAttrs(),
    });
  }
}

Optimizer.register(RMSProp, 'rmsprop');
Optimizer.register(AdaGrad, 'adagrad');
Optimizer.register(AdaDelta, 'adadelta');
Optimizer.register(Ftrl, 'ftrl');
