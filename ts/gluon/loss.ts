// gluon.loss (MXNet's gluon/loss.py): the Loss base and the losses, one HybridBlock each (forward(pred, label, sampleWeight?)).
// SPDX-License-Identifier: Apache-2.0
//
// Each loss returns one value per sample: the mean over every axis but batchAxis. Losses are
// appended to this file; helpers for them sit right below the base.
import { IsotensorError, kindOf, optionsOf } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';
import { HybridBlock, type BlockOptions, type F, type Tensor } from './block.js';
import { isTensor } from './rnn/sequence.js';

/** Options every loss takes. */
export interface LossOptions extends BlockOptions {
  /** A number the loss is multiplied by. */
  weight?: number | null;
  /** The axis of samples (default 0). */
  batchAxis?: number;
}

/** Base of all losses: a HybridBlock with a scalar `weight` and a `batchAxis`. */
export class Loss extends HybridBlock {
  readonly weight: number | null;
  readonly batchAxis: number;

  constructor(opts: LossOptions = {}) {
    opts = optionsOf(opts, new.target);
    super(opts);
    if (opts.weight !== undefined && opts.weight !== null && typeof opts.weight !== 'number') {
      throw new IsotensorError(`${this.className}: weight must be a number`);
    }
    this.weight = opts.weight ?? null;
    this.batchAxis = opts.batchAxis ?? 0;
  }

  /** The loss times sampleWeight and weight, averaged over every axis but batchAxis: one value per sample. */
  protected perSample(F: F, loss: Tensor, sampleWeight: Tensor | null | undefined, weight = this.weight): Tensor {
    return F.mean(applyWeighting(F, loss, weight, sampleWeight), { axis: this.batchAxis, exclude: true });
  }

  override toString(): string {
    return `${this.className}(batch_axis=${this.batchAxis}, w=${this.weight === null ? 'None' : this.weight})`;
  }
}

/** applyWeighting and reshapeLike take F as forward() hands it over: an op namespace (nd or sym). */
function expectOps(f: unknown, fn: string): void {
  if (f === null || (typeof f !== 'object' && typeof f !== 'function') || typeof (f as F).broadcast_mul !== 'function') {
    throw new IsotensorError(`${fn}: argument 'F' must be an op namespace (nd or sym), got ${kindOf(f)}`);
  }
}

/** A loss or label: one NDArray or Symbol. */
function expectTensor(v: unknown, fn: string, name: string): void {
  if (!isTensor(v)) throw new IsotensorError(`${fn}: argument '${name}' must be an NDArray or Symbol, got ${kindOf(v)}`);
}

/** loss * sampleWeight (broadcast) * weight, as MXNet's _apply_weighting. */
export function applyWeighting(F: F, loss: Tensor, weight: number | null, sampleWeight?: Tensor | null): Tensor {
  expectOps(F, 'applyWeighting');
  expectTensor(loss, 'applyWeighting', 'loss');
  if (sampleWeight !== undefined && sampleWeight !== null) expectTensor(sampleWeight, 'applyWeighting', 'sampleWeight');
  if (weight !== null && weight !== undefined && typeof weight !== 'number') {
    throw new IsotensorError(`applyWeighting: argument 'weight' must be a number or null, got ${kindOf(weight)}`);
  }
  let out = loss;
  if (sampleWeight !== undefined && sampleWeight !== null) out = F.broadcast_mul(out, sampleWeight);
  if (typeof weight === 'number') out = out.mul(weight);
  return out;
}

/** x reshaped like y (y's shape directly for NDArrays, reshape_like in graphs). */
export function reshapeLike(F: F, x: Tensor, y: Tensor): Tensor {
  expectOps(F, 'reshapeLike');
  expectTensor(x, 'reshapeLike', 'x');
  expectTensor(y, 'reshapeLike', 'y');
  return x instanceof NDArray ? x.reshape(y.shape) : F.reshape_like(x, y);
}

/** Options of SoftmaxCrossEntropyLoss. */
export interface SoftmaxCrossEntropyLossOptions extends LossOptions {
  /** The class axis (default -1). */
  axis?: number;
  /** Labels are class indices (default); false: a distribution like pred. */
  sparseLabel?: boolean;
  /** pred already holds log-probabilities. */
  fromLogits?: boolean;
}

/**
 * Softmax cross-entropy: -log softmax(pred)[label] (sparse labels) or -sum(label * log softmax(pred)).
 * @example
 * ```ts
 * const ce = new gluon.loss.SoftmaxCrossEntropyLoss();
 * ce.forward(nd.array([[1, 2, 3]]), nd.array([2])) // [0.4076...]
 * ```
 */
export class SoftmaxCrossEntropyLoss extends Loss {
  readonly axis: number;
  readonly sparseLabel: boolean;
  readonly fromLogits: boolean;

  constructor(opts: SoftmaxCrossEntropyLossOptions = {}) {
    opts = optionsOf(opts, 'SoftmaxCrossEntropyLoss');
    super(opts);
    this.axis = opts.axis ?? -1;
    this.sparseLabel = opts.sparseLabel ?? true;
    this.fromLogits = opts.fromLogits ?? false;
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight: Tensor | undefined, _p: unknown): Tensor {
    const logp = this.fromLogits ? pred : F.log_softmax(pred, { axis: this.axis });
    const loss = this.sparseLabel
      ? F.pick(logp, label, { axis: this.axis, keepdims: true }).neg()
      : F.sum(logp.mul(reshapeLike(F, label, logp)), { axis: this.axis, keepdims: true }).neg();
    return this.perSample(F, loss, sampleWeight);
  }
}

/** Alias of SoftmaxCrossEntropyLoss (MXNet's SoftmaxCELoss). */
export const SoftmaxCELoss = SoftmaxCrossEntropyLoss;

/* ---- helper F: the other losses ---- */

/** max(0, margin - pred * label): the hinge of HingeLoss and SquaredHingeLoss. */
function hinge(F: F, pred: Tensor, label: Tensor, margin: number): Tensor {
  return F.relu(F._rminus_scalar(pred.mul(reshapeLike(F, label, pred)), { scalar: margin }));
}

/** log(1 + exp(-|x|)) + max(x, 0) - x * z: the stable sigmoid cross-entropy of logits x and targets z. */
function sigmoidCE(F: F, x: Tensor, z: Tensor): Tensor {
  return F.relu(x).sub(x.mul(z)).add(F.Activation(F.abs(x).neg(), { actType: 'softrelu' }));
}

/**
 * Squared error: weight / 2 * (label - pred)^2, averaged per sample (weight defaults to 1).
 * @example new gluon.loss.L2Loss().forward(nd.array([[1, 2]]), nd.array([[0, 0]])) // [1.25]
 */
export class L2Loss extends Loss {
  constructor(opts: LossOptions = {}) {
    opts = optionsOf(opts, 'L2Loss');
    super({ weight: 1, ...opts });
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight: Tensor | undefined, _p: unknown): Tensor {
    const loss = F.square(reshapeLike(F, label, pred).sub(pred));
    return this.perSample(F, loss, sampleWeight, (this.weight ?? 1) / 2);
  }
}

/** Absolute error |label - pred|, averaged per sample. */
export class L1Loss extends Loss {
  constructor(opts: LossOptions = {}) {
    super(opts);
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight: Tensor | undefined, _p: unknown): Tensor {
    const loss = F.abs(reshapeLike(F, label, pred).sub(pred));
    return this.perSample(F, loss, sampleWeight);
  }
}

/** Options of SigmoidBinaryCrossEntropyLoss. */
export interface SigmoidBCEOptions extends LossOptions {
  /** pred already holds probabilities (default false: logits, with the numerically stable formula). */
  fromSigmoid?: boolean;
}

/**
 * Binary cross-entropy of sigmoid(pred) against labels in [0, 1]; forward(pred, label,
 * sampleWeight?, posWeight?), posWeight (broadcast to label) scaling the positive term.
 * @example new gluon.loss.SigmoidBinaryCrossEntropyLoss().forward(nd.array([[0]]), nd.array([[1]])) // [0.6931]
 */
export class SigmoidBinaryCrossEntropyLoss extends Loss {
  readonly fromSigmoid: boolean;

  constructor(opts: SigmoidBCEOptions = {}) {
    opts = optionsOf(opts, 'SigmoidBinaryCrossEntropyLoss');
    super(opts);
    this.fromSigmoid = opts.fromSigmoid ?? false;
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight: Tensor | undefined, posWeight: Tensor | undefined,
                         _p: unknown): Tensor {
    const z = reshapeLike(F, label, pred);
    const hasPos = posWeight !== undefined && posWeight !== null;
    let loss: Tensor;
    if (!this.fromSigmoid) {
      if (!hasPos) {
        loss = sigmoidCE(F, pred, z);
      } else {
        // x - x z + (1 + z (posWeight - 1)) (log(1 + exp(-|x|)) + max(-x, 0))
        const logWeight = F.broadcast_mul(posWeight.sub(1), z).add(1);
        const soft = F.Activation(F.abs(pred).neg(), { actType: 'softrelu' }).add(F.relu(pred.neg()));
        loss = pred.sub(pred.mul(z)).add(logWeight.mul(soft));
      }
    } else {
      const eps = 1e-12;
      const pos = F.log(pred.add(eps)).mul(z);
      const neg = F.log(pred.neg().add(1 + eps)).mul(z.neg().add(1));
      loss = (hasPos ? F.broadcast_mul(pos, posWeight) : pos).add(neg).neg();
    }
    return this.perSample(F, loss, sampleWeight);
  }
}

/** Alias of SigmoidBinaryCrossEntropyLoss (MXNet's SigmoidBCELoss). */
export const SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss;

/** Options of KLDivLoss. */
export interface KLDivLossOptions extends LossOptions {
  /** pred holds log-probabilities (default true); false applies log_softmax first. */
  fromLogits?: boolean;
  /** The class axis for log_softmax (default -1). */
  axis?: number;
}

/** Kullback-Leibler divergence sum(label * (log(label) - pred)) per sample, pred being log-probabilities. */
export class KLDivLoss extends Loss {
  readonly fromLogits: boolean;
  readonly axis: number;

  constructor(opts: KLDivLossOptions = {}) {
    opts = optionsOf(opts, 'KLDivLoss');
    super(opts);
    this.fromLogits = opts.fromLogits ?? true;
    this.axis = opts.axis ?? -1;
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight: Tensor | undefined, _p: unknown): Tensor {
    const logp = this.fromLogits ? pred : F.log_softmax(pred, { axis: this.axis });
    const loss = label.mul(F.log(label.add(1e-12)).sub(logp));
    return F.sum(applyWeighting(F, loss, this.weight, sampleWeight), { axis: this.batchAxis, exclude: true });
  }
}

/** Options of HuberLoss. */
export interface HuberLossOptions extends LossOptions {
  /** Threshold between the quadratic and the linear part (default 1). */
  rho?: number;
}

/** Smoothed L1: 0.5 / rho * d^2 for |d| <= rho, |d| - 0.5 rho beyond (d = label - pred), averaged per sample. */
export class HuberLoss extends Loss {
  readonly rho: number;

  constructor(opts: HuberLossOptions = {}) {
    opts = optionsOf(opts, 'HuberLoss');
    super(opts);
    this.rho = opts.rho ?? 1;
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight: Tensor | undefined, _p: unknown): Tensor {
    const d = F.abs(reshapeLike(F, label, pred).sub(pred));
    const loss = F.where(F._greater_scalar(d, { scalar: this.rho }), d.sub(0.5 * this.rho),
                         F.square(d).mul(0.5 / this.rho));
    return this.perSample(F, loss, sampleWeight);
  }
}

/** Options of HingeLoss and SquaredHingeLoss. */
export interface HingeLossOptions extends LossOptions {
  /** Default 1. */
  margin?: number;
}

/** Hinge loss max(0, margin - pred * label) for labels -1/1, averaged per sample. */
export class HingeLoss extends Loss {
  readonly margin: number;

  constructor(opts: HingeLossOptions = {}) {
    opts = optionsOf(opts, 'HingeLoss');
    super(opts);
    this.margin = opts.margin ?? 1;
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight: Tensor | undefined, _p: unknown): Tensor {
    return this.perSample(F, hinge(F, pred, label, this.margin), sampleWeight);
  }
}

/** Squared hinge loss max(0, margin - pred * label)^2 for labels -1/1, averaged per sample. */
export class SquaredHingeLoss extends Loss {
  readonly margin: number;

  constructor(opts: HingeLossOptions = {}) {
    opts = optionsOf(opts, 'SquaredHingeLoss');
    super(opts);
    this.margin = opts.margin ?? 1;
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight: Tensor | undefined, _p: unknown): Tensor {
    return this.perSample(F, F.square(hinge(F, pred, label, this.margin)), sampleWeight);
  }
}

/** Options of LogisticLoss. */
export interface LogisticLossOptions extends LossOptions {
  /** 'signed' (labels -1/1, default) or 'binary' (labels 0/1). */
  labelFormat?: 'signed' | 'binary';
}

/** Logistic loss log(1 + exp(-pred * label)) (signed labels), averaged per sample. */
export class LogisticLoss extends Loss {
  readonly labelFormat: 'signed' | 'binary';

  constructor(opts: LogisticLossOptions = {}) {
    opts = optionsOf(opts, 'LogisticLoss');
    super(opts);
    this.labelFormat = opts.labelFormat ?? 'signed';
    if (this.labelFormat !== 'signed' && this.labelFormat !== 'binary') {
      throw new IsotensorError(`LogisticLoss: labelFormat can only be 'signed' or 'binary', got '${String(this.labelFormat)}'`);
    }
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight: Tensor | undefined, _p: unknown): Tensor {
    let z = reshapeLike(F, label, pred);
    if (this.labelFormat === 'signed') z = z.add(1).div(2);
    return this.perSample(F, sigmoidCE(F, pred, z), sampleWeight);
  }
}

/** Options of TripletLoss. */
export interface TripletLossOptions extends LossOptions {
  /** Default 1. */
  margin?: number;
}

/**
 * Triplet loss max(0, |pos - pred|^2 - |neg - pred|^2 + margin) per sample; forward(pred, positive, negative).
 */
export class TripletLoss extends Loss {
  readonly margin: number;

  constructor(opts: TripletLossOptions = {}) {
    opts = optionsOf(opts, 'TripletLoss');
    super(opts);
    this.margin = opts.margin ?? 1;
  }

  override hybridForward(F: F, pred: Tensor, positive: Tensor, negative: Tensor, _p: unknown): Tensor {
    const pos = reshapeLike(F, positive, pred);
    const neg = reshapeLike(F, negative, pred);
    const d = F.sum(F.square(pos.sub(pred)).sub(F.square(neg.sub(pred))), { axis: this.batchAxis, exclude: true });
    return applyWeighting(F, F.relu(d.add(this.margin)), this.weight, null);
  }
}

/** Options of PoissonNLLLoss. */
export interface PoissonNLLLossOptions extends LossOptions {
  /** pred holds log-rates (default true): exp(pred) - target * pred; else pred - target * log(pred + epsilon). */
  fromLogits?: boolean;
  /** Add Stirling's approximation of log(target!) where target > 1. */
  computeFull?: boolean;
  /** Default 1e-8. */
  epsilon?: number;
}

/** Poisson negative log-likelihood, averaged over every element (shape (1,), as MXNet 1.9). */
export class PoissonNLLLoss extends Loss {
  readonly fromLogits: boolean;
  readonly computeFull: boolean;
  readonly epsilon: number;

  constructor(opts: PoissonNLLLossOptions = {}) {
    opts = optionsOf(opts, 'PoissonNLLLoss');
    super(opts);
    this.fromLogits = opts.fromLogits ?? true;
    this.computeFull = opts.computeFull ?? false;
    this.epsilon = opts.epsilon ?? 1e-8;
  }

  override hybridForward(F: F, pred: Tensor, target: Tensor, sampleWeight: Tensor | undefined, _p: unknown): Tensor {
    const t = reshapeLike(F, target, pred);
    let loss = this.fromLogits ? F.exp(pred).sub(t.mul(pred)) : pred.sub(t.mul(F.log(pred.add(this.epsilon))));
    if (this.computeFull) {
      // target * log(target) - target + 0.5 * log(2 * pi * target), where target > 1
      const stirling = t.mul(F.log(t)).sub(t).add(F.log(t.mul(2 * Math.PI)).mul(0.5));
      loss = loss.add(stirling.mul(F._greater_scalar(t, { scalar: 1 })));
    }
    return F.reshape(F.mean(applyWeighting(F, loss, this.weight, sampleWeight)), { shape: [1] });
  }
}

/** Options of CosineEmbeddingLoss. */
export interface CosineEmbeddingLossOptions extends LossOptions {
  /** Default 0. */
  margin?: number;
}

/**
 * 1 - cos(input1, input2) for label 1, max(0, cos - margin) for label -1; forward(input1, input2,
 * label, sampleWeight?), one value per row of shape (batch, 1) as MXNet 1.9 returns.
 */
export class CosineEmbeddingLoss extends Loss {
  readonly margin: number;

  constructor(opts: CosineEmbeddingLossOptions = {}) {
    opts = optionsOf(opts, 'CosineEmbeddingLoss');
    super(opts);
    this.margin = opts.margin ?? 0;
  }

  override hybridForward(F: F, input1: Tensor, input2: Tensor, label: Tensor, sampleWeight: Tensor | undefined,
                         _p: unknown): Tensor {
    const x = reshapeLike(F, input1, input2);
    const y = F.reshape(label, { shape: [-1, 1] });
    const col = (v: Tensor): Tensor => F.reshape(v, { shape: [-1, 1] });
    const norms = col(F.norm(x, { axis: -1 })).mul(col(F.norm(input2, { axis: -1 })));
    const cos = col(F.sum(x.mul(input2), { axis: -1 })).div(F._maximum_scalar(norms, { scalar: 1e-12 }));
    const a = F._rminus_scalar(cos, { scalar: 1 }).mul(F._equal_scalar(y, { scalar: 1 }));
    const b = F.relu(F._equal_scalar(y, { scalar: -1 }).mul(cos.sub(this.margin)));
    return applyWeighting(F, a.add(b), this.weight, sampleWeight);
  }
}

/** Options of CTCLoss. */
export interface CTCLossOptions extends BlockOptions {
  /** Layout of pred: 'NTC' (default) or 'TNC'. */
  layout?: 'NTC' | 'TNC';
  /** Layout of label: 'NT' (default) or 'TN'. */
  labelLayout?: 'NT' | 'TN';
  weight?: number | null;
}

/**
 * Connectionist Temporal Classification loss; forward(pred, label, predLengths?, labelLengths?,
 * sampleWeight?). pred holds unnormalized scores whose last class (alphabetSize - 1) is the blank;
 * labels are 0-based and padded with -1 unless labelLengths is given. Output (batch,).
 */
export class CTCLoss extends Loss {
  readonly layout: 'NTC' | 'TNC';
  readonly labelLayout: 'NT' | 'TN';

  constructor(opts: CTCLossOptions = {}) {
    opts = optionsOf(opts, 'CTCLoss');
    const layout = opts.layout ?? 'NTC';
    const labelLayout = opts.labelLayout ?? 'NT';
    if (layout !== 'NTC' && layout !== 'TNC') {
      throw new IsotensorError(`CTCLoss: only 'NTC' and 'TNC' layouts for pred are supported, got '${String(layout)}'`);
    }
    if (labelLayout !== 'NT' && labelLayout !== 'TN') {
      throw new IsotensorError(`CTCLoss: only 'NT' and 'TN' layouts for label are supported, got '${String(labelLayout)}'`);
    }
    super({ ...opts, batchAxis: labelLayout.indexOf('N') });
    this.layout = layout;
    this.labelLayout = labelLayout;
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, predLengths: Tensor | undefined,
                         labelLengths: Tensor | undefined, sampleWeight: Tensor | undefined, _p: unknown): Tensor {
    const data = this.layout === 'NTC' ? F.swapaxes(pred, { dim1: 0, dim2: 1 }) : pred;
    const lab = this.batchAxis === 1 ? F.swapaxes(label, { dim1: 0, dim2: 1 }) : label;
    const usePred = predLengths !== undefined && predLengths !== null;
    const useLabel = labelLengths !== undefined && labelLengths !== null;
    const extra = [...(usePred ? [predLengths] : []), ...(useLabel ? [labelLengths] : [])];
    const loss = F.CTCLoss(data, lab, ...extra, { useDataLengths: usePred, useLabelLengths: useLabel, blankLabel: 'last' });
    return applyWeighting(F, loss, this.weight, sampleWeight);
  }
}
