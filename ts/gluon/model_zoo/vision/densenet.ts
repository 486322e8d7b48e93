// DenseNet 121/161/169/201 (MXNet 1.9's model_zoo/vision/densenet.py): dense blocks, transitions, DenseNet, getDensenet.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf } from '../../../base/error.js';
import { HybridBlock, type F, type Tensor } from '../../block.js';
import { Activation, Dense, Dropout, Flatten, HybridSequential } from '../../nn/basic_layers.js';
import { AvgPool2D, Conv2D, MaxPool2D } from '../../nn/conv_layers.js';
import { HybridConcurrent } from '../../nn/lambda.js';
import { BatchNorm } from '../../nn/norm_layers.js';
import { loadPretrained } from '../model_store.js';
import { Identity } from './identity.js';
import { blockOptions, classesOf, type ModelOptions } from './options.js';

/** BN-ReLU-conv1x1-BN-ReLU-conv3x3 whose output is concatenated to its input. */
function denseLayer(growthRate: number, bnSize: number, dropout: number): HybridConcurrent {
  const newFeatures = new HybridSequential({ prefix: '' });
  newFeatures.add(new BatchNorm(), new Activation('relu'), new Conv2D(bnSize * growthRate, 1, { useBias: false }),
                  new BatchNorm(), new Activation('relu'), new Conv2D(growthRate, 3, { padding: 1, useBias: false }));
  if (dropout) newFeatures.add(new Dropout(dropout));
  const out = new HybridConcurrent(1, { prefix: '' });
  out.add(new Identity(), newFeatures);
  return out;
}

function denseBlock(numLayers: number, bnSize: number, growthRate: number, dropout: number, stage: number): HybridSequential {
  const out = new HybridSequential({ prefix: `stage${stage}_` });
  out.nameScope(() => {
    for (let i = 0; i < numLayers; i++) out.add(denseLayer(growthRate, bnSize, dropout));
  });
  return out;
}

function transition(numOutputFeatures: number): HybridSequential {
  return new HybridSequential({ prefix: '' }).add(
    new BatchNorm(), new Activation('relu'), new Conv2D(numOutputFeatures, 1, { useBias: false }),
    new AvgPool2D(2, { strides: 2 }));
}

/** Options of DenseNet. */
export interface DenseNetOptions extends ModelOptions {
  /** Bottleneck width factor: the 1x1 convolution has bnSize * growthRate channels (default 4). */
  bnSize?: number;
  /** Dropout after each dense layer (default 0: none). */
  dropout?: number;
}

/**
 * DenseNet ("Densely Connected Convolutional Networks"): each layer's output is concatenated to
 * its input; transitions halve channels and resolution. Prefix `densenet0_`.
 */
export class DenseNet extends HybridBlock {
  features!: HybridSequential;
  output!: Dense;

  constructor(numInitFeatures: number, growthRate: number, blockConfig: readonly number[], opts: DenseNetOptions = {}) {
    opts = optionsOf(opts, 'DenseNet');
    super(blockOptions(opts));
    const classes = classesOf(opts, 'DenseNet');
    const bnSize = opts.bnSize ?? 4;
    const dropout = opts.dropout ?? 0;
    this.nameScope(() => {
      this.features = new HybridSequential({ prefix: '' });
      this.features.add(new Conv2D(numInitFeatures, 7, { strides: 2, padding: 3, useBias: false }), new BatchNorm(),
                        new Activation('relu'), new MaxPool2D(3, { strides: 2, padding: 1 }));
      let numFeatures = numInitFeatures;
      blockConfig.forEach((numLayers, i) => {
        this.features.add(denseBlock(numLayers, bnSize, growthRate, dropout, i + 1));
        numFeatures += numLayers * growthRate;
        if (i !== blockConfig.length - 1) {
          this.features.add(transition(Math.floor(numFeatures / 2)));
          numFeatures = Math.floor(numFeatures / 2);
        }
      });
      this.features.add(new BatchNorm(), new Activation('relu'), new AvgPool2D(7), new Flatten());
      this.output = new Dense(classes);
    });
  }

  override hybridForward(_F: F, x: Tensor, _p: unknown): Tensor {
    return this.output.forward(this.features.forward(x));
  }
}

/** Initial features, growth rate and layers per dense block of each depth (MXNet's densenet_spec). */
export const densenetSpec: Readonly<Record<number, readonly [number, number, readonly number[]]>> = {
  121: [64, 32, [6, 12, 24, 16]],
  161: [96, 48, [6, 12, 36, 24]],
  169: [64, 32, [6, 12, 32, 32]],
  201: [64, 32, [6, 12, 48, 32]],
};

/** DenseNet of a depth (121, 161, 169, 201); `pretrained: true` loads `densenet<depth>` weights. */
export function getDensenet(numLayers: number, opts: DenseNetOptions = {}): DenseNet {
  const spec = densenetSpec[numLayers];
  if (spec === undefined) {
    throw new IsotensorError(`getDensenet: invalid number of layers: ${numLayers}. Options are ` +
                             Object.keys(densenetSpec).join(', '));
  }
  const net = new DenseNet(spec[0], spec[1], spec[2], opts);
  if (opts.pretrained === true) loadPretrained(net, `densenet${numLayers}`, opts);
  return net;
}

/** DenseNet-121. */
export const densenet121 = (opts: DenseNetOptions = {}): DenseNet => getDensenet(121, opts);
/** DenseNet-161. */
export const densenet161 = (opts: DenseNetOptions = {}): DenseNet => getDensenet(161, opts);
/** DenseNet-169. */
export const densenet169 = (opts: DenseNetOptions = {}): DenseNet => getDensenet(169, opts);
/** DenseNet-201. */
export const densenet201 = (opts: DenseNetOptions = {}): DenseNet => getDensenet(201, opts);
