// SqueezeNet 1.0 and 1.1 (MXNet 1.9's model_zoo/vision/squeezenet.py): fire modules, SqueezeNet, getSqueezenet.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf } from '../../../base/error.js';
import { HybridBlock, type F, type Tensor } from '../../block.js';
import { Activation, Dropout, Flatten, HybridSequential } from '../../nn/basic_layers.js';
import { AvgPool2D, Conv2D, MaxPool2D } from '../../nn/conv_layers.js';
import { HybridConcurrent } from '../../nn/lambda.js';
import { loadPretrained } from '../model_store.js';
import { blockOptions, classesOf, type ModelOptions } from './options.js';

function fireConv(channels: number, kernelSize: number, padding = 0): HybridSequential {
  return new HybridSequential({ prefix: '' }).add(new Conv2D(channels, kernelSize, { padding }), new Activation('relu'));
}

/** Squeeze 1x1, then 1x1 and 3x3 expansions concatenated on channels. */
function fire(squeeze: number, expand1x1: number, expand3x3: number): HybridSequential {
  const out = new HybridSequential({ prefix: '' });
  out.add(fireConv(squeeze, 1));
  const paths = new HybridConcurrent(1, { prefix: '' });
  paths.add(fireConv(expand1x1, 1));
  paths.add(fireConv(expand3x3, 3, 1));
  out.add(paths);
  return out;
}

const pool = (): MaxPool2D => new MaxPool2D(3, { strides: 2, ceilMode: true });

/**
 * SqueezeNet ("AlexNet-level accuracy with 50x fewer parameters"), version '1.0' or '1.1'
 * (2.4x less computation); the classifier is a 1x1 convolution and 13x13 average pooling, so
 * inputs are 224x224. Prefix `squeezenet0_`.
 */
export class SqueezeNet extends HybridBlock {
  features!: HybridSequential;
  output!: HybridSequential;

  constructor(version: '1.0' | '1.1', opts: ModelOptions = {}) {
    opts = optionsOf(opts, 'SqueezeNet');
    super(blockOptions(opts));
    if (version !== '1.0' && version !== '1.1') {
      throw new IsotensorError(`SqueezeNet: unsupported version ${String(version)}: '1.0' or '1.1' expected`);
    }
    const classes = classesOf(opts, 'SqueezeNet');
    this.nameScope(() => {
      this.features = new HybridSequential({ prefix: '' });
      const f = this.features;
      if (version === '1.0') {
        f.add(new Conv2D(96, 7, { strides: 2 }), new Activation('relu'), pool());
        f.add(fire(16, 64, 64), fire(16, 64, 64), fire(32, 128, 128), pool());
        f.add(fire(32, 128, 128), fire(48, 192, 192), fire(48, 192, 192), fire(64, 256, 256), pool());
        f.add(fire(64, 256, 256));
      } else {
        f.add(new Conv2D(64, 3, { strides: 2 }), new Activation('relu'), pool());
        f.add(fire(16, 64, 64), fire(16, 64, 64), pool());
        f.add(fire(32, 128, 128), fire(32, 128, 128), pool());
        f.add(fire(48, 192, 192), fire(48, 192, 192), fire(64, 256, 256), fire(64, 256, 256));
      }
      f.add(new Dropout(0.5));
      this.output = new HybridSequential({ prefix: '' });
      this.output.add(new Conv2D(classes, 1), new Activation('relu'), new AvgPool2D(13), new Flatten());
    });
  }

  override hybridForward(_F: F, x: Tensor, _p: unknown): Tensor {
    return this.output.forward(this.features.forward(x));
  }
}

/** SqueezeNet '1.0' or '1.1'; `pretrained: true` loads `squeezenet<version>` weights. */
export function getSqueezenet(version: '1.0' | '1.1', opts: ModelOptions = {}): SqueezeNet {
  const net = new SqueezeNet(version, opts);
  if (opts.pretrained === true) loadPretrained(net, `squeezenet${version}`, opts);
  return net;
}

/** SqueezeNet 1.0. */
export const squeezenet1_0 = (opts: ModelOptions = {}): SqueezeNet => getSqueezenet('1.0', opts);
/** SqueezeNet 1.1. */
export const squeezenet1_1 = (opts: ModelOptions = {}): SqueezeNet => getSqueezenet('1.1', opts);
