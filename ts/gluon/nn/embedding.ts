// gluon.nn.Embedding (MXNet's gluon/nn/basic_layers.py): maps integer indices to rows of a learnt (inputDim, outputDim) table.
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import { IsotensorError, optionsOf } from '../../base/error.js';
import { HybridBlock, type BlockOptions, type F, type Tensor } from '../block.js';
import type { InitSpec, Parameter } from '../parameter.js';

/** Options of Embedding. */
export interface EmbeddingOptions extends BlockOptions {
  dtype?: DType | string;
  weightInitializer?: InitSpec | null;
  /** Accepted for MXNet parity; the gradient is always dense here. */
  sparseGrad?: boolean;
}

/**
 * Turns indices (any shape, float or int) into vectors: out[..., :] = weight[index, :], so the
 * output shape is input shape + (outputDim,).
 * @example
 * ```ts
 * const emb = new gluon.nn.Embedding(10, 4); emb.initialize();
 * emb.forward(nd.array([[1, 2], [3, 9]])).shape // [2, 2, 4]
 * ```
 */
export class Embedding extends HybridBlock {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly dtype: string;
  readonly sparseGrad: boolean;
  weight: Parameter;

  constructor(inputDim: number, outputDim: number, opts: EmbeddingOptions = {}) {
    opts = optionsOf(opts, 'Embedding');
    super(opts);
    for (const [k, v] of [['inputDim', inputDim], ['outputDim', outputDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new IsotensorError(`Embedding: ${k} must be a positive integer, got ${String(v)}`);
    }
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.dtype = opts.dtype ?? 'float32';
    this.sparseGrad = opts.sparseGrad ?? false;
    this.weight = this.nameScope(() => this.params.get('weight', {
      shape: [inputDim, outputDim], init: opts.weightInitializer ?? null, dtype: this.dtype, allowDeferredInit: true,
    }));
  }

  override hybridForward(F: F, x: Tensor, p: { weight: Tensor }): Tensor {
    return F.Embedding(x, p.weight, { inputDim: this.inputDim, outputDim: this.outputDim, dtype: this.dtype,
                                      sparseGrad: this.sparseGrad, name: 'fwd' });
  }

  override toString(): string {
    return `${this.className}(${this.inputDim} -> ${this.outputDim}, ${this.dtype})`;
  }
}
