// Identity (MXNet's gluon.contrib.nn.Identity): passes its input through; DenseNet's shortcut branch.
// SPDX-License-Identifier: Apache-2.0
import { HybridBlock, type BlockOptions, type F, type Tensor } from '../../block.js';

/** Returns its input (a HybridConcurrent branch that keeps the features, as in DenseNet). */
export class Identity extends HybridBlock {
  constructor(opts: BlockOptions = {}) {
    super(opts);
  }

  override hybridForward(_F: F, x: Tensor, _p: unknown): Tensor {
    return x;
  }
}
