// Adam, AdamW and LAMB: the optimizers over adam_update, _adamw_update and lamb_update_phase1/2.
// SPDX-License-Identifier: Apache-2.0
import { full } from '../ndarray/creation.js';
import { keep, scope } from '../ndarray/lifetime.js';
import { invoke, invoke1 } from '../ndarray/invoke.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { Optimizer, type Index, type OptimizerOptions, type OptimizerState } from './optimizer.js';

const isHalf = (w: NDArray): boolean => w.dtype === 'float16' || w.dtype === 'bfloat16';

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions extends OptimizerOptions {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** MXNet's row-sparse lazy updates (Adam); every array is dense here, so it changes nothing. */
  lazyUpdate?: boolean;
  /** AdamW: divide the moments by 1 - beta^t. Default true. */
  correctBias?: boolean;
}

/**
 * Adam (Kingma & Ba), MXNet's formulation (adam_update): g = clip(rescaleGrad*grad + wd*weight)
 * (L2 decay in the gradient, clipped with it); the moments update; weight -= lr_t * mean /
 * (sqrt(var) + epsilon) with lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t). PyTorch divides the
 * moments instead, which puts epsilon * sqrt(1 - beta2^t) where MXNet has epsilon.
 * Default learning rate 0.001.
 * @example mx.optimizer.create('adam', { learningRate: 1e-3, wd: 1e-4 })
 */
export class Adam extends Optimizer {
  beta1: number;
  beta2: number;
  epsilon: number;
  lazyUpdate: boolean;

  constructor(opts: AdamOptions = {}) {
    super(opts, ['beta1', 'beta2', 'epsilon', 'lazyUpdate'], 0.001);
    const o = this.options;
    this.beta1 = o.beta1 === undefined ? 0.9 : Number(o.beta1);
    this.beta2 = o.beta2 === undefined ? 0.999 : Number(o.beta2);
    this.epsilon = o.epsilon === undefined ? 1e-8 : Number(o.epsilon);
    this.lazyUpdate = o.lazyUpdate === undefined ? true : Boolean(o.lazyUpdate);
  }

  override createState(index: Index, weight: NDArray): OptimizerState {
    void index;
    return [this.zerosLike(weight), this.zerosLike(weight)];
  }

  override update(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.updateCount(index);
    const t = this.indexCount(index);
    const lr = this.getLr(index) * Math.sqrt(1 - Math.pow(this.beta2, t)) / (1 - Math.pow(this.beta1, t));
    const [mean, variance] = state as [NDArray, NDArray];
    this.fused('adam_update', [weight, grad, mean, variance], {
      lr, wd: this.getWd(index), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, ...this.commonAttrs(),
    });
  }
}

/**
 * AdamW (Loshchilov & Hutter, decoupled weight decay) through _adamw_update: g = clip(rescaleGrad*grad);
 * the moments update; weight -= lr * (c_t * mean / (sqrt(var) + epsilon) + wd * weight) with
 * c_t = sqrt(1 - beta2^t) / (1 - beta1^t) when correctBias. The decay is lr * wd * weight, as in
 * PyTorch's AdamW and the paper (MXNet 2's AdamW also scales it by c_t). multiPrecision uses
 * _mp_adamw_update. Default learning rate 0.001.
 * @example mx.optimizer.create('adamw', { learningRate: 1e-3, wd: 0.01 })
 */
export class AdamW extends Optimizer {
  beta1: number;
  beta2: number;
  epsilon: number;
  correctBias: boolean;
  /** One-element float32 rescale_grad arrays by context (the op reads it on the device). */
  private rescaleArrays = new Map<string, { value: number; arr: NDArray }>();

  constructor(opts: AdamOptions = {}) {
    super(opts, ['beta1', 'beta2', 'epsilon', 'correctBias'], 0.001);
    const o = this.options;
    this.beta1 = o.beta1 === undefined ? 0.9 : Number(o.beta1);
    this.beta2 = o.beta2 === undefined ? 0.999 : Number(o.beta2);
    this.epsilon = o.epsilon === undefined ? 1e-8 : Number(o.epsilon);
    this.correctBias = o.correctBias === undefined ? true : Boolean(o.correctBias);
  }

  override createState(index: Index, weight: NDArray): OptimizerState {
    void index;
    return [this.zerosLike(weight), this.zerosLike(weight)];
  }

  /** [[mean, var] (float32), float32 master] for float16/bfloat16 weights with multiPrecision. */
  override createStateMultiPrecision(index: Index, weight: NDArray): OptimizerState {
    if (this.multiPrecision && isHalf(weight)) {
      const master = keep(weight.astype('float32'));
      return [this.createState(index, master), master];
    }
    return this.createState(index, weight);
  }

  private rescaleArray(weight: NDArray): NDArray {
    const key = weight.context.toString();
    const c = this.rescaleArrays.get(key);
    if (c !== undefined && c.value === this.rescaleGrad) return c.arr;
    c?.arr.dispose();
    const arr = keep(full([1], this.rescaleGrad, { ctx: weight.context, dtype: 'float32' }));
    this.rescaleArrays.set(key, { value: this.rescaleGrad, arr });
    return arr;
  }

  override update(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.step(index, weight, grad, state, false);
  }

  override updateMultiPrecision(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.step(index, weight, grad, state, this.multiPrecision && isHalf(weight) && Array.isArray(state));
  }

  private step(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState, mp: boolean): void {
    this.updateCount(index);
    const t = this.indexCount(index);
    const c = this.correctBias ? Math.sqrt(1 - Math.pow(this.beta2, t)) / (1 - Math.pow(this.beta1, t)) : 1;
    const attrs: Record<string, number> = {
      lr: c, eta: this.getLr(index), wd: this.getWd(index), beta1: this.beta1, beta2: this.beta2,
      epsilon: this.epsilon,
    };
    if (this.clipGradient) attrs.clip_gradient = this.clipGradient;
    const rescale = this.rescaleArray(weight);
    if (mp) {
      const [[mean, variance], master] = state as [[NDArray, NDArray], NDArray];
      this.fused('_mp_adamw_update', [weight, grad, mean, variance, master, rescale], attrs);
    } else {
      const [mean, variance] = state as [NDArray, NDArray];
      this.fused('_adamw_update', [weight, grad, mean, variance, rescale], attrs);
    }
  }
}

/** Options of {@link LAMB}. */
export interface LAMBOptions extends OptimizerOptions {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-6. */
  epsilon?: number;
  /** Lower limit of the weight norm in the trust ratio (null: none). */
  lowerBound?: number | null;
  /** Upper limit of the weight norm in the trust ratio (null: none). */
  upperBound?: number | null;
  /** Default true. */
  biasCorrection?: boolean;
}

/**
 * LAMB (You et al. 2019): phase 1 turns the gradient into the bias-corrected Adam direction plus
 * wd*weight (lamb_update_phase1); phase 2 scales the step by the trust ratio ||weight|| / ||direction||
 * (lamb_update_phase2). multiPrecision runs both on a float32 master copy. Default learning rate 0.001.
 * @example mx.optimizer.create('lamb', { learningRate: 1e-3, wd: 0.01 })
 */
export class LAMB extends Optimizer {
  beta1: number;
  beta2: number;
  epsilon: number;
  lowerBound: number | null;
  upperBound: number | null;
  biasCorrection: boolean;

  constructor(opts: LAMBOptions = {}) {
    super(opts, ['beta1', 'beta2', 'epsilon', 'lowerBound', 'upperBound', 'biasCorrection'], 0.001);
    const o = this.options;
    this.beta1 = o.beta1 === undefined ? 0.9 : Number(o.beta1);
    this.beta2 = o.beta2 === undefined ? 0.999 : Number(o.beta2);
    this.epsilon = o.epsilon === undefined ? 1e-6 : Number(o.epsilon);
    this.lowerBound = (o.lowerBound as number | null | undefined) ?? null;
    this.upperBound = (o.upperBound as number | null | undefined) ?? null;
    this.biasCorrection = o.biasCorrection === undefined ? true : Boolean(o.biasCorrection);
  }

  override createState(index: Index, weight: NDArray): OptimizerState {
    void index;
    return [this.zerosLike(weight), this.zerosLike(weight)];
  }

  override update(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.step(index, weight, grad, state, false);
  }

  override updateMultiPrecision(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.step(index, weight, grad, state, this.multiPrecision && isHalf(weight) && Array.isArray(state));
  }

  private step(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState, mp: boolean): void {
    this.updateCount(index);
    const p1: Record<string, number | boolean> = {
      beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, bias_correction: this.biasCorrection,
      t: this.indexCount(index), wd: this.getWd(index), ...this.commonAttrs(),
    };
    const p2: Record<string, number> = { lr: this.getLr(index) };
    if (this.lowerBound) p2.lower_bound = this.lowerBound;
    if (this.upperBound) p2.upper_bound = this.upperBound;
    scope(() => {
      if (mp) {
        // createStateMultiPrecision's layout: [master, [mean, var]].
        const [master, [mean, variance]] = state as [NDArray, [NDArray, NDArray]];
        const g = invoke1('mp_lamb_update_phase1', [weight, grad, mean, variance, master], p1);
        invoke('mp_lamb_update_phase2', [weight, g, master.norm(), g.norm(), master], p2, weight);
      } else {
        const [mean, variance] = state as [NDArray, NDArray];
        const g = invoke1('lamb_update_phase1', [weight, grad, mean, variance], p1);
        invoke('lamb_update_phase2', [weight, g, weight.norm(), g.norm()], p2, weight);
      }
    });
  }
}

Optimizer.register(Adam, 'adam');
Optimizer.register(AdamW, 'adamw');
Optimizer.register(LAMB, 'lamb');
