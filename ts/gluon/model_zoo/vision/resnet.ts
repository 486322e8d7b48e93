// ResNet v1 and v2 (MXNet 1.9's model_zoo/vision/resnet.py): residual blocks, ResNetV1/V2, getResnet and resnet18_v1 ... resnet152_v2.
// SPDX-License-Identifier: Apache-2.0
//
// Names follow MXNet's because the structure does: the residual blocks open no name scope of
// their own (prefix ''), so their layers are counted in the stage's scope (resnetv10_stage1_conv0_),
// and every layer is created in the same order as in MXNet's constructors.
import { IsotensorError, optionsOf } from '../../../base/error.js';
import { HybridBlock, type BlockOptions, type F, type Tensor } from '../../block.js';
import { Activation, Dense, Flatten, HybridSequential } from '../../nn/basic_layers.js';
import { Conv2D, MaxPool2D } from '../../nn/conv_layers.js';
import { GlobalAvgPool2D } from '../../nn/more_conv.js';
import { BatchNorm } from '../../nn/norm_layers.js';
import { loadPretrained } from '../model_store.js';
import { blockOptions, classesOf, type ModelOptions } from './options.js';

function conv3x3(channels: number, stride: number, inChannels: number): Conv2D {
  return new Conv2D(channels, 3, { strides: stride, padding: 1, useBias: false, inChannels });
}

/** The 1x1 strided convolution that brings the shortcut to the block's output shape. */
function projection(channels: number, stride: number, inChannels: number): Conv2D {
  return new Conv2D(channels, 1, { strides: stride, useBias: false, inChannels });
}

/** A v1 block's forward: relu(body(x) + shortcut(x)), the sum taken in the block's own operand order. */
function v1Forward(F: F, block: { body: HybridSequential; downsample: HybridSequential | null }, x: Tensor,
                   residualFirst: boolean): Tensor {
  const out = block.body.forward(x);
  const residual = block.downsample !== null ? block.downsample.forward(x) : x;
  return F.Activation(residualFirst ? F.elemwise_add(residual, out) : F.elemwise_add(out, residual), { actType: 'relu' });
}

/**
 * A v2 block's forward: each (bn, conv) pair applied as conv(relu(bn(x))), the shortcut taken after the first
 * BN-ReLU, and the identity sum at the end.
 */
function v2Forward(F: F, layers: [BatchNorm, Conv2D][], downsample: Conv2D | null, x: Tensor): Tensor {
  let residual = x;
  layers.forEach(([bn, conv], i) => {
    x = F.Activation(bn.forward(x), { actType: 'relu' });
    if (i === 0 && downsample !== null) residual = downsample.forward(x);
    x = conv.forward(x);
  });
  return F.elemwise_add(x, residual);
}

/** A residual block class: (channels, stride, downsample, inChannels, opts). */
export type ResidualBlockClass = new (channels: number, stride: number, downsample: boolean, inChannels: number,
                                      opts?: BlockOptions) => HybridBlock;

/** Two 3x3 convolutions with BatchNorm, ReLU after the sum (ResNet-18/34 v1). */
export class BasicBlockV1 extends HybridBlock {
  body: HybridSequential;
  downsample: HybridSequential | null;

  constructor(channels: number, stride: number, downsample = false, inChannels = 0, opts: BlockOptions = {}) {
    super(opts);
    this.body = new HybridSequential({ prefix: '' });
    this.body.add(conv3x3(channels, stride, inChannels), new BatchNorm(), new Activation('relu'),
                  conv3x3(channels, 1, channels), new BatchNorm());
    this.downsample = downsample
      ? new HybridSequential({ prefix: '' }).add(projection(channels, stride, inChannels), new BatchNorm())
      : null;
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return v1Forward(F, this, x, true);
  }
}

/** 1x1 - 3x3 - 1x1 bottleneck with BatchNorm, ReLU after the sum (ResNet-50/101/152 v1). */
export class BottleneckV1 extends HybridBlock {
  body: HybridSequential;
  downsample: HybridSequential | null;

  constructor(channels: number, stride: number, downsample = false, inChannels = 0, opts: BlockOptions = {}) {
    super(opts);
    const mid = Math.floor(channels / 4);
    this.body = new HybridSequential({ prefix: '' });
    // The 1x1 convolutions keep their bias, as in MXNet's definition (its pretrained files have them).
    this.body.add(new Conv2D(mid, 1, { strides: stride }), new BatchNorm(), new Activation('relu'),
                  conv3x3(mid, 1, mid), new BatchNorm(), new Activation('relu'),
                  new Conv2D(channels, 1, { strides: 1 }), new BatchNorm());
    this.downsample = downsample
      ? new HybridSequential({ prefix: '' }).add(projection(channels, stride, inChannels), new BatchNorm())
      : null;
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return v1Forward(F, this, x, false);
  }
}

/** Pre-activation basic block: BN-ReLU-conv twice, identity sum (ResNet-18/34 v2). */
export class BasicBlockV2 extends HybridBlock {
  bn1: BatchNorm;
  conv1: Conv2D;
  bn2: BatchNorm;
  conv2: Conv2D;
  downsample: Conv2D | null;

  constructor(channels: number, stride: number, downsample = false, inChannels = 0, opts: BlockOptions = {}) {
    super(opts);
    this.bn1 = new BatchNorm();
    this.conv1 = conv3x3(channels, stride, inChannels);
    this.bn2 = new BatchNorm();
    this.conv2 = conv3x3(channels, 1, channels);
    this.downsample = downsample ? projection(channels, stride, inChannels) : null;
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return v2Forward(F, [[this.bn1, this.conv1], [this.bn2, this.conv2]], this.downsample, x);
  }
}

/** Pre-activation bottleneck (ResNet-50/101/152 v2). */
export class BottleneckV2 extends HybridBlock {
  bn1: BatchNorm;
  conv1: Conv2D;
  bn2: BatchNorm;
  conv2: Conv2D;
  bn3: BatchNorm;
  conv3: Conv2D;
  downsample: Conv2D | null;

  constructor(channels: number, stride: number, downsample = false, inChannels = 0, opts: BlockOptions = {}) {
    super(opts);
    const mid = Math.floor(channels / 4);
    this.bn1 = new BatchNorm();
    this.conv1 = new Conv2D(mid, 1, { strides: 1, useBias: false });
    this.bn2 = new BatchNorm();
    this.conv2 = conv3x3(mid, stride, mid);
    this.bn3 = new BatchNorm();
    this.conv3 = new Conv2D(channels, 1, { strides: 1, useBias: false });
    this.downsample = downsample ? projection(channels, stride, inChannels) : null;
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return v2Forward(F, [[this.bn1, this.conv1], [this.bn2, this.conv2], [this.bn3, this.conv3]], this.downsample, x);
  }
}

/** Options of ResNetV1/ResNetV2 and the resnet functions. */
export interface ResNetOptions extends ModelOptions {
  /** A 3x3 stride-1 first convolution without pooling, for small (CIFAR-size) images. */
  thumbnail?: boolean;
}

function makeStage(block: ResidualBlockClass, layers: number, channels: number, stride: number, stage: number,
                   inChannels: number): HybridSequential {
  const layer = new HybridSequential({ prefix: `stage${stage}_` });
  layer.nameScope(() => {
    layer.add(new block(channels, stride, channels !== inChannels, inChannels, { prefix: '' }));
    for (let i = 0; i < layers - 1; i++) layer.add(new block(channels, 1, false, channels, { prefix: '' }));
  });
  return layer;
}

function checkSpec(layers: readonly number[], channels: readonly number[], what: string): void {
  if (layers.length !== channels.length - 1) {
    throw new IsotensorError(`${what}: channels must have one entry more than layers, got layers ` +
                             `${JSON.stringify(layers)} and channels ${JSON.stringify(channels)}`);
  }
}

/**
 * ResNet v1 ("Deep Residual Learning for Image Recognition"): conv7x7-BN-ReLU-maxpool, four
 * stages of residual blocks, global average pooling, Dense(classes). Prefix `resnetv10_`.
 */
export class ResNetV1 extends HybridBlock {
  features!: HybridSequential;
  output!: Dense;

  constructor(block: ResidualBlockClass, layers: readonly number[], channels: readonly number[], opts: ResNetOptions = {}) {
    opts = optionsOf(opts, 'ResNetV1');
    super(blockOptions(opts));
    checkSpec(layers, channels, 'ResNetV1');
    const classes = classesOf(opts, 'ResNetV1');
    this.nameScope(() => {
      this.features = new HybridSequential({ prefix: '' });
      if (opts.thumbnail === true) {
        this.features.add(conv3x3(channels[0]!, 1, 0));
      } else {
        this.features.add(new Conv2D(channels[0]!, 7, { strides: 2, padding: 3, useBias: false }), new BatchNorm(),
                          new Activation('relu'), new MaxPool2D(3, { strides: 2, padding: 1 }));
      }
      layers.forEach((n, i) => {
        this.features.add(makeStage(block, n, channels[i + 1]!, i === 0 ? 1 : 2, i + 1, channels[i]!));
      });
      this.features.add(new GlobalAvgPool2D());
      this.output = new Dense(classes, { inUnits: channels[channels.length - 1]! });
    });
  }

  override hybridForward(_F: F, x: Tensor, _p: unknown): Tensor {
    return this.output.forward(this.features.forward(x));
  }
}

/**
 * ResNet v2 ("Identity Mappings in Deep Residual Networks"): pre-activation blocks, a fixed
 * input BatchNorm (no scale/shift), BN-ReLU before pooling. Prefix `resnetv20_`.
 */
export class ResNetV2 extends HybridBlock {
  features!: HybridSequential;
  output!: Dense;

  constructor(block: ResidualBlockClass, layers: readonly number[], channels: readonly number[], opts: ResNetOptions = {}) {
    opts = optionsOf(opts, 'ResNetV2');
    super(blockOptions(opts));
    checkSpec(layers, channels, 'ResNetV2');
    const classes = classesOf(opts, 'ResNetV2');
    this.nameScope(() => {
      this.features = new HybridSequential({ prefix: '' });
      this.features.add(new BatchNorm({ scale: false, center: false }));
      if (opts.thumbnail === true) {
        this.features.add(conv3x3(channels[0]!, 1, 0));
      } else {
        this.features.add(new Conv2D(channels[0]!, 7, { strides: 2, padding: 3, useBias: false }), new BatchNorm(),
                          new Activation('relu'), new MaxPool2D(3, { strides: 2, padding: 1 }));
      }
      let inChannels = channels[0]!;
      layers.forEach((n, i) => {
        this.features.add(makeStage(block, n, channels[i + 1]!, i === 0 ? 1 : 2, i + 1, inChannels));
        inChannels = channels[i + 1]!;
      });
      this.features.add(new BatchNorm(), new Activation('relu'), new GlobalAvgPool2D(), new Flatten());
      this.output = new Dense(classes, { inUnits: inChannels });
    });
  }

  override hybridForward(_F: F, x: Tensor, _p: unknown): Tensor {
    return this.output.forward(this.features.forward(x));
  }
}

/** Block type, blocks per stage and channels (input + each stage) of each depth, as MXNet's resnet_spec. */
export const resnetSpec: Readonly<Record<number, readonly ['basic_block' | 'bottle_neck', readonly number[], readonly number[]]>> = {
  18: ['basic_block', [2, 2, 2, 2], [64, 64, 128, 256, 512]],
  34: ['basic_block', [3, 4, 6, 3], [64, 64, 128, 256, 512]],
  50: ['bottle_neck', [3, 4, 6, 3], [64, 256, 512, 1024, 2048]],
  101: ['bottle_neck', [3, 4, 23, 3], [64, 256, 512, 1024, 2048]],
  152: ['bottle_neck', [3, 8, 36, 3], [64, 256, 512, 1024, 2048]],
};

const netVersions = [ResNetV1, ResNetV2] as const;
const blockVersions = [
  { basic_block: BasicBlockV1, bottle_neck: BottleneckV1 },
  { basic_block: BasicBlockV2, bottle_neck: BottleneckV2 },
] as const;

/**
 * ResNet of a version (1, 2) and depth (18, 34, 50, 101, 152); `pretrained: true` loads
 * `resnet<depth>_v<version>` weights from opts.path / opts.root.
 * @example const net = gluon.modelZoo.vision.getResnet(1, 18, { classes: 10 });
 */
export function getResnet(version: number, numLayers: number, opts: ResNetOptions = {}): ResNetV1 | ResNetV2 {
  const spec = resnetSpec[numLayers];
  if (spec === undefined) {
    throw new IsotensorError(`getResnet: invalid number of layers: ${numLayers}. Options are ${Object.keys(resnetSpec).join(', ')}`);
  }
  if (version !== 1 && version !== 2) throw new IsotensorError(`getResnet: invalid resnet version: ${version}. Options are 1 and 2.`);
  const [blockType, layers, channels] = spec;
  const net = new netVersions[version - 1]!(blockVersions[version - 1]![blockType], layers, channels, opts);
  if (opts.pretrained === true) loadPretrained(net, `resnet${numLayers}_v${version}`, opts);
  return net;
}

/** ResNet-18 v1. @example const net = vision.resnet18_v1(); net.initialize(); net.forward(x) // (N, 1000) */
export const resnet18_v1 = (opts: ResNetOptions = {}): ResNetV1 => getResnet(1, 18, opts) as ResNetV1;
/** ResNet-34 v1. */
export const resnet34_v1 = (opts: ResNetOptions = {}): ResNetV1 => getResnet(1, 34, opts) as ResNetV1;
/** ResNet-50 v1. */
export const resnet50_v1 = (opts: ResNetOptions = {}): ResNetV1 => getResnet(1, 50, opts) as ResNetV1;
/** ResNet-101 v1. */
export const resnet101_v1 = (opts: ResNetOptions = {}): ResNetV1 => getResnet(1, 101, opts) as ResNetV1;
/** ResNet-152 v1. */
export const resnet152_v1 = (opts: ResNetOptions = {}): ResNetV1 => getResnet(1, 152, opts) as ResNetV1;
/** ResNet-18 v2. */
export const resnet18_v2 = (opts: ResNetOptions = {}): ResNetV2 => getResnet(2, 18, opts) as ResNetV2;
/** ResNet-34 v2. */
export const resnet34_v2 = (opts: ResNetOptions = {}): ResNetV2 => getResnet(2, 34, opts) as ResNetV2;
/** ResNet-50 v2. */
export const resnet50_v2 = (opts: ResNetOptions = {}): ResNetV2 => getResnet(2, 50, opts) as ResNetV2;
/** ResNet-101 v2. */
export const resnet101_v2 = (opts: ResNetOptions = {}): ResNetV2 => getResnet(2, 101, opts) as ResNetV2;
/** ResNet-152 v2. */
export const resnet152_v2 = (opts: ResNetOptions = {}): ResNetV2 => getResnet(2, 152, opts) as ResNetV2;
