// LeNet for 28x28 digits: the network `make demo` trains (not in MXNet's model zoo, which has no LeNet).
// SPDX-License-Identifier: Apache-2.0
import { Dense, Flatten, HybridSequential } from '../../nn/basic_layers.js';
import { Conv2D, MaxPool2D } from '../../nn/conv_layers.js';
import { loadPretrained } from '../model_store.js';
import { blockOptions, classesOf, type ModelOptions } from './options.js';

/**
 * LeNet (LeCun et al. 1998, with ReLU and max pooling as MXNet's MNIST example has it):
 * Conv(20, 5x5) - MaxPool(2) - Conv(50, 5x5) - MaxPool(2) - Dense(500) - Dense(classes = 10).
 * A HybridSequential, so its parameters are named `hybridsequential<N>_conv0_weight` and so on.
 */
export function lenet(opts: ModelOptions = {}): HybridSequential {
  const classes = classesOf({ classes: opts.classes ?? 10 }, 'lenet');
  const net = new HybridSequential(blockOptions(opts));
  net.nameScope(() => {
    net.add(
      new Conv2D(20, 5, { activation: 'relu' }),
      new MaxPool2D(2, { strides: 2 }),
      new Conv2D(50, 5, { activation: 'relu' }),
      new MaxPool2D(2, { strides: 2 }),
      new Flatten(),
      new Dense(500, { activation: 'relu' }),
      new Dense(classes),
    );
  });
  if (opts.pretrained === true) loadPretrained(net, 'lenet', opts);
  return net;
}
