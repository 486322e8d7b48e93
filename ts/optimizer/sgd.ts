// SGD (momentum, multi-precision), NAG and Signum: the optimizers over the SGD family of fused ops.
// SPDX-License-Identifier: Apache-2.0
import { keep } from '../ndarray/lifetime.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { Optimizer, type Index, type OptimizerOptions, type OptimizerState } from './optimizer.js';

const isHalf = (w: NDArray): boolean => w.dtype === 'float16' || w.dtype === 'bfloat16';

/** Options of {@link SGD} and {@link NAG}. */
export interface SGDOptions extends OptimizerOptions {
  /** Default 0 (no momentum state). */
  momentum?: number;
  /** MXNet's row-sparse lazy updates; every array is dense here, so it changes nothing. */
  lazyUpdate?: boolean;
}

/**
 * SGD with momentum and weight decay, MXNet's formulation (sgd_mom_update):
 * mom = momentum*mom - lr*(clip(rescaleGrad*grad) + wd*weight); weight += mom.
 * The momentum holds -lr times PyTorch's buffer, so the two agree while lr is constant.
 * With multiPrecision, float16/bfloat16 weights are updated through a float32 master copy
 * (mp_sgd_update / mp_sgd_mom_update).
 * @example const opt = mx.optimizer.create('sgd', { learningRate: 0.1, momentum: 0.9, wd: 1e-4 });
 */
export class SGD extends Optimizer {
  momentum: number;
  lazyUpdate: boolean;
  /** The Nesterov variant's op (NAG overrides). */
  protected momOp = 'sgd_mom_update';
  protected mpMomOp = 'mp_sgd_mom_update';

  constructor(opts: SGDOptions = {}) {
    super(opts, ['momentum', 'lazyUpdate']);
    const o = this.options;
    this.momentum = o.momentum === undefined ? 0 : Number(o.momentum);
    this.lazyUpdate = o.lazyUpdate === undefined ? true : Boolean(o.lazyUpdate);
  }

  override createState(index: Index, weight: NDArray): OptimizerState {
    void index;
    return this.momentum !== 0 ? this.zerosLike(weight) : null;
  }

  /** [momentum or null, float32 master] for float16/bfloat16 weights with multiPrecision (MXNet's order). */
  override createStateMultiPrecision(index: Index, weight: NDArray): OptimizerState {
    if (this.multiPrecision && isHalf(weight)) {
      const master = keep(weight.astype('float32'));
      return [this.createState(index, master), master];
    }
    return this.createState(index, weight);
  }

  override update(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.step(index, weight, grad, state, false);
  }

  override updateMultiPrecision(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.step(index, weight, grad, state, this.multiPrecision && isHalf(weight) && Array.isArray(state));
  }

  protected step(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState, mp: boolean): void {
    this.updateCount(index);
    const attrs: Record<string, number> = { lr: this.getLr(index), wd: this.getWd(index), ...this.commonAttrs() };
    if (this.momentum > 0) attrs.momentum = this.momentum;
    if (!mp) {
      if (state !== null) this.fused(this.momOp, [weight, grad, state as NDArray], attrs);
      else this.fused('sgd_update', [weight, grad], attrs);
      return;
    }
    const [mom, master] = state as [NDArray | null, NDArray];
    if (mom !== null) this.fused(this.mpMomOp, [weight, grad, mom, master], attrs);
    else this.fused('mp_sgd_update', [weight, grad, master], attrs);
  }
}

/**
 * Nesterov accelerated SGD (nag_mom_update): with g = clip(rescaleGrad*grad) + wd*weight,
 * mom = momentum*mom - lr*g and weight += momentum*mom - lr*g, i.e. PyTorch's
 * SGD(nesterov=True) while lr is constant. Without momentum it is plain SGD.
 * @example mx.optimizer.create('nag', { learningRate: 0.1, momentum: 0.9 })
 */
export class NAG extends SGD {
  constructor(opts: SGDOptions = {}) {
    super(opts);
    this.momOp = 'nag_mom_update';
    this.mpMomOp = 'mp_nag_mom_update';
  }
}

/** Options of {@link Signum}. */
export interface SignumOptions extends OptimizerOptions {
  /** Default 0.9 (0: signSGD, no state). */
  momentum?: number;
  /** Decoupled weight decay: weight *= 1 - lr*wdLh each step. Default 0. */
  wdLh?: number;
}

/**
 * Signum (Bernstein et al. 2018): mom = momentum*mom - (1-momentum)*(clip(rescaleGrad*grad) + wd*weight);
 * weight = (1 - lr*wdLh)*weight + lr*sign(mom). momentum 0 gives signSGD. Default learning rate 0.01.
 * @example mx.optimizer.create('signum', { learningRate: 0.01, momentum: 0.9 })
 */
export class Signum extends Optimizer {
  momentum: number;
  wdLh: number;

  constructor(opts: SignumOptions = {}) {
    super(opts, ['momentum', 'wdLh'], 0.01);
    const o = this.options;
    this.momentum = o.momentum === undefined ? 0.9 : Number(o.momentum);
    this.wdLh = o.wdLh === undefined ? 0 : Number(o.wdLh);
  }

  override createState(index: Index, weight: NDArray): OptimizerState {
    void index;
    return this.momentum !== 0 ? this.zerosLike(weight) : null;
  }

  override update(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    this.updateCount(index);
    const attrs: Record<string, number> = { lr: this.getLr(index), wd: this.getWd(index), ...this.commonAttrs() };
    if (this.momentum > 0) attrs.momentum = this.momentum;
    if (state !== null) {
      if (this.wdLh) attrs.wd_lh = this.wdLh;
      this.fused('signum_update', [weight, grad, state as NDArray], attrs);
    } else {
      this.fused('signsgd_update', [weight, grad], attrs);
    }
  }
}

Optimizer.register(SGD, 'sgd');
Optimizer.register(NAG, 'nag');
Optimizer.register(Signum, 'signum');
