// Inception v3 (MXNet 1.9's model_zoo/vision/inception.py): the A-E mixed blocks, Inception3, inception_v3.
// SPDX-License-Identifier: Apache-2.0
import { HybridBlock, type F, type Tensor } from '../../block.js';
import { Activation, Dense, Dropout, HybridSequential } from '../../nn/basic_layers.js';
import { AvgPool2D, Conv2D, MaxPool2D } from '../../nn/conv_layers.js';
import { HybridConcurrent } from '../../nn/lambda.js';
import { BatchNorm } from '../../nn/norm_layers.js';
import { loadPretrained } from '../model_store.js';
import { blockOptions, classesOf, type ModelOptions } from './options.js';
import { optionsOf } from '../../../base/error.js';

type K = number | readonly [number, number];
/** [channels, kernel, strides, padding] of one conv of a branch; null leaves Conv2D's default. */
type ConvSetting = readonly [number, K, K | null, K | null];

function basicConv(channels: number, kernelSize: K, strides: K | null = null, padding: K | null = null): HybridSequential {
  return new HybridSequential({ prefix: '' }).add(
    new Conv2D(channels, kernelSize, { useBias: false, ...(strides !== null ? { strides } : {}),
                                       ...(padding !== null ? { padding } : {}) }),
    new BatchNorm({ epsilon: 0.001 }), new Activation('relu'));
}

/** An optional pool ('avg' 3x3 stride 1 pad 1, 'max' 3x3 stride 2) followed by conv-BN-ReLU units. */
function branch(usePool: 'avg' | 'max' | null, ...settings: ConvSetting[]): HybridSequential {
  const out = new HybridSequential({ prefix: '' });
  if (usePool === 'avg') out.add(new AvgPool2D(3, { strides: 1, padding: 1 }));
  else if (usePool === 'max') out.add(new MaxPool2D(3, { strides: 2 }));
  for (const [c, k, s, p] of settings) out.add(basicConv(c, k, s, p));
  return out;
}

/** Concatenated branches under a name prefix (A1_, B_, ...), built inside its name scope. */
function mixed(prefix: string, build: (out: HybridConcurrent) => void): HybridConcurrent {
  const out = new HybridConcurrent(1, { prefix });
  out.nameScope(() => build(out));
  return out;
}

function mixedA(poolFeatures: number, prefix: string): HybridConcurrent {
  return mixed(prefix, (out) => {
    out.add(branch(null, [64, 1, null, null]));
    out.add(branch(null, [48, 1, null, null], [64, 5, null, 2]));
    out.add(branch(null, [64, 1, null, null], [96, 3, null, 1], [96, 3, null, 1]));
    out.add(branch('avg', [poolFeatures, 1, null, null]));
  });
}

function mixedB(prefix: string): HybridConcurrent {
  return mixed(prefix, (out) => {
    out.add(branch(null, [384, 3, 2, null]));
    out.add(branch(null, [64, 1, null, null], [96, 3, null, 1], [96, 3, 2, null]));
    out.add(branch('max'));
  });
}

function mixedC(c7: number, prefix: string): HybridConcurrent {
  return mixed(prefix, (out) => {
    out.add(branch(null, [192, 1, null, null]));
    out.add(branch(null, [c7, 1, null, null], [c7, [1, 7], null, [0, 3]], [192, [7, 1], null, [3, 0]]));
    out.add(branch(null, [c7, 1, null, null], [c7, [7, 1], null, [3, 0]], [c7, [1, 7], null, [0, 3]],
                   [c7, [7, 1], null, [3, 0]], [192, [1, 7], null, [0, 3]]));
    out.add(branch('avg', [192, 1, null, null]));
  });
}

function mixedD(prefix: string): HybridConcurrent {
  return mixed(prefix, (out) => {
    out.add(branch(null, [192, 1, null, null], [320, 3, 2, null]));
    out.add(branch(null, [192, 1, null, null], [192, [1, 7], null, [0, 3]], [192, [7, 1], null, [3, 0]],
                   [192, 3, 2, null]));
    out.add(branch('max'));
  });
}

function mixedE(prefix: string): HybridConcurrent {
  return mixed(prefix, (out) => {
    out.add(branch(null, [320, 1, null, null]));

    const b3x3 = new HybridSequential({ prefix: '' });
    out.add(b3x3);
    b3x3.add(branch(null, [384, 1, null, null]));
    const b3x3Split = new HybridConcurrent(1, { prefix: '' });
    b3x3Split.add(branch(null, [384, [1, 3], null, [0, 1]]));
    b3x3Split.add(branch(null, [384, [3, 1], null, [1, 0]]));
    b3x3.add(b3x3Split);

    const b3x3dbl = new HybridSequential({ prefix: '' });
    out.add(b3x3dbl);
    b3x3dbl.add(branch(null, [448, 1, null, null], [384, 3, null, 1]));
    const b3x3dblSplit = new HybridConcurrent(1, { prefix: '' });
    b3x3dbl.add(b3x3dblSplit);
    b3x3dblSplit.add(branch(null, [384, [1, 3], null, [0, 1]]));
    b3x3dblSplit.add(branch(null, [384, [3, 1], null, [1, 0]]));

    out.add(branch('avg', [192, 1, null, null]));
  });
}

/**
 * Inception v3 ("Rethinking the Inception Architecture for Computer Vision"), for 299x299 inputs.
 * Prefix `inception30_`; the mixed blocks are `A1_` ... `E2_` inside it.
 */
export class Inception3 extends HybridBlock {
  features!: HybridSequential;
  output!: Dense;

  constructor(opts: ModelOptions = {}) {
    opts = optionsOf(opts, 'Inception3');
    super(blockOptions(opts));
    const classes = classesOf(opts, 'Inception3');
    this.nameScope(() => {
      this.features = new HybridSequential({ prefix: '' });
      this.features.add(
        basicConv(32, 3, 2), basicConv(32, 3), basicConv(64, 3, null, 1), new MaxPool2D(3, { strides: 2 }),
        basicConv(80, 1), basicConv(192, 3), new MaxPool2D(3, { strides: 2 }),
        mixedA(32, 'A1_'), mixedA(64, 'A2_'), mixedA(64, 'A3_'), mixedB('B_'),
        mixedC(128, 'C1_'), mixedC(160, 'C2_'), mixedC(160, 'C3_'), mixedC(192, 'C4_'),
        mixedD('D_'), mixedE('E1_'), mixedE('E2_'),
        new AvgPool2D(8), new Dropout(0.5));
      this.output = new Dense(classes);
    });
  }

  override hybridForward(_F: F, x: Tensor, _p: unknown): Tensor {
    return this.output.forward(this.features.forward(x));
  }
}

/** Inception v3; `pretrained: true` loads `inceptionv3` weights. */
export function inception_v3(opts: ModelOptions = {}): Inception3 {
  const net = new Inception3(opts);
  if (opts.pretrained === true) loadPretrained(net, 'inceptionv3', opts);
  return net;
}
