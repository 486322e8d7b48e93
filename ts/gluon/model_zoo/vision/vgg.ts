// VGG 11/13/16/19 with and without BatchNorm (MXNet 1.9's model_zoo/vision/vgg.py).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf } from '../../../base/error.js';
import { Xavier } from '../../../init/initializers.js';
import { HybridBlock, type F, type Tensor } from '../../block.js';
import { Activation, Dense, Dropout, HybridSequential } from '../../nn/basic_layers.js';
import { Conv2D, MaxPool2D } from '../../nn/conv_layers.js';
import { BatchNorm } from '../../nn/norm_layers.js';
import { loadPretrained } from '../model_store.js';
import { blockOptions, classesOf, type ModelOptions } from './options.js';

/** Options of VGG and the vgg functions. */
export interface VGGOptions extends ModelOptions {
  /** BatchNorm after every convolution (the `_bn` models). */
  batchNorm?: boolean;
}

/**
 * VGG ("Very Deep Convolutional Networks for Large-Scale Image Recognition"): blocks of 3x3
 * convolutions and max pooling, two Dense(4096) with dropout, Dense(classes). Prefix `vgg0_`.
 * Initializers as MXNet's: Xavier(gaussian, out, 2) for convolutions, normal for the Dense layers.
 */
export class VGG extends HybridBlock {
  features!: HybridSequential;
  output!: Dense;

  constructor(layers: readonly number[], filters: readonly number[], opts: VGGOptions = {}) {
    opts = optionsOf(opts, 'VGG');
    super(blockOptions(opts));
    if (layers.length !== filters.length) {
      throw new IsotensorError(`VGG: layers and filters must have the same length, got ${JSON.stringify(layers)} and ` +
                               JSON.stringify(filters));
    }
    const classes = classesOf(opts, 'VGG');
    this.nameScope(() => {
      this.features = makeFeatures(layers, filters, opts.batchNorm === true);
      this.features.add(new Dense(4096, { activation: 'relu', weightInitializer: 'normal', biasInitializer: 'zeros' }),
                        new Dropout(0.5),
                        new Dense(4096, { activation: 'relu', weightInitializer: 'normal', biasInitializer: 'zeros' }),
                        new Dropout(0.5));
      this.output = new Dense(classes, { weightInitializer: 'normal', biasInitializer: 'zeros' });
    });
  }

  override hybridForward(_F: F, x: Tensor, _p: unknown): Tensor {
    return this.output.forward(this.features.forward(x));
  }
}

function makeFeatures(layers: readonly number[], filters: readonly number[], batchNorm: boolean): HybridSequential {
  const featurizer = new HybridSequential({ prefix: '' });
  layers.forEach((num, i) => {
    for (let j = 0; j < num; j++) {
      featurizer.add(new Conv2D(filters[i]!, 3, {
        padding: 1, weightInitializer: new Xavier({ rndType: 'gaussian', factorType: 'out', magnitude: 2 }),
        biasInitializer: 'zeros',
      }));
      if (batchNorm) featurizer.add(new BatchNorm());
      featurizer.add(new Activation('relu'));
    }
    featurizer.add(new MaxPool2D([2, 2], { strides: 2 }));
  });
  return featurizer;
}

/** Convolutions per block and filters per block of each depth (MXNet's vgg_spec). */
export const vggSpec: Readonly<Record<number, readonly [readonly number[], readonly number[]]>> = {
  11: [[1, 1, 2, 2, 2], [64, 128, 256, 512, 512]],
  13: [[2, 2, 2, 2, 2], [64, 128, 256, 512, 512]],
  16: [[2, 2, 3, 3, 3], [64, 128, 256, 512, 512]],
  19: [[2, 2, 4, 4, 4], [64, 128, 256, 512, 512]],
};

/**
 * VGG of a depth (11, 13, 16, 19); `batchNorm: true` for the `_bn` variants; `pretrained: true`
 * loads `vgg<depth>[_bn]` weights.
 * @example const net = gluon.modelZoo.vision.getVgg(16, { batchNorm: true });
 */
export function getVgg(numLayers: number, opts: VGGOptions = {}): VGG {
  const spec = vggSpec[numLayers];
  if (spec === undefined) {
    throw new IsotensorError(`getVgg: invalid number of layers: ${numLayers}. Options are ${Object.keys(vggSpec).join(', ')}`);
  }
  const net = new VGG(spec[0], spec[1], opts);
  if (opts.pretrained === true) loadPretrained(net, `vgg${numLayers}${opts.batchNorm === true ? '_bn' : ''}`, opts);
  return net;
}

/** VGG-11. */
export const vgg11 = (opts: VGGOptions = {}): VGG => getVgg(11, opts);
/** VGG-13. */
export const vgg13 = (opts: VGGOptions = {}): VGG => getVgg(13, opts);
/** VGG-16. */
export const vgg16 = (opts: VGGOptions = {}): VGG => getVgg(16, opts);
/** VGG-19. */
export const vgg19 = (opts: VGGOptions = {}): VGG => getVgg(19, opts);
/** VGG-11 with BatchNorm. */
export const vgg11_bn = (opts: VGGOptions = {}): VGG => getVgg(11, { ...opts, batchNorm: true });
/** VGG-13 with BatchNorm. */
export const vgg13_bn = (opts: VGGOptions = {}): VGG => getVgg(13, { ...opts, batchNorm: true });
/** VGG-16 with BatchNorm. */
export const vgg16_bn = (opts: VGGOptions = {}): VGG => getVgg(16, { ...opts, batchNorm: true });
/** VGG-19 with BatchNorm. */
export const vgg19_bn = (opts: VGGOptions = {}): VGG => getVgg(19, { ...opts, batchNorm: true });
