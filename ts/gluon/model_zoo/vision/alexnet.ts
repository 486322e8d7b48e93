// AlexNet (MXNet 1.9's model_zoo/vision/alexnet.py).
// SPDX-License-Identifier: Apache-2.0
import { HybridBlock, type F, type Tensor } from '../../block.js';
import { Dense, Dropout, Flatten, HybridSequential } from '../../nn/basic_layers.js';
import { Conv2D, MaxPool2D } from '../../nn/conv_layers.js';
import { loadPretrained } from '../model_store.js';
import { blockOptions, classesOf, type ModelOptions } from './options.js';
import { optionsOf } from '../../../base/error.js';

/**
 * AlexNet ("One weird trick for parallelizing convolutional neural networks"): five
 * convolutions, three max pools, two Dense(4096) with dropout, Dense(classes). Prefix `alexnet0_`.
 */
export class AlexNet extends HybridBlock {
  features!: HybridSequential;
  output!: Dense;

  constructor(opts: ModelOptions = {}) {
    opts = optionsOf(opts, 'AlexNet');
    super(blockOptions(opts));
    const classes = classesOf(opts, 'AlexNet');
    this.nameScope(() => {
      this.features = new HybridSequential({ prefix: '' });
      this.features.nameScope(() => {
        const pool = (): MaxPool2D => new MaxPool2D(3, { strides: 2 });
        this.features.add(
          new Conv2D(64, 11, { strides: 4, padding: 2, activation: 'relu' }), pool(),
          new Conv2D(192, 5, { padding: 2, activation: 'relu' }), pool(),
          new Conv2D(384, 3, { padding: 1, activation: 'relu' }),
          new Conv2D(256, 3, { padding: 1, activation: 'relu' }),
          new Conv2D(256, 3, { padding: 1, activation: 'relu' }), pool(),
          new Flatten(),
          new Dense(4096, { activation: 'relu' }), new Dropout(0.5),
          new Dense(4096, { activation: 'relu' }), new Dropout(0.5));
      });
      this.output = new Dense(classes);
    });
  }

  override hybridForward(_F: F, x: Tensor, _p: unknown): Tensor {
    return this.output.forward(this.features.forward(x));
  }
}

/** AlexNet; `pretrained: true` loads `alexnet` weights. */
export function alexnet(opts: ModelOptions = {}): AlexNet {
  const net = new AlexNet(opts);
  if (opts.pretrained === true) loadPretrained(net, 'alexnet', opts);
  return net;
}
