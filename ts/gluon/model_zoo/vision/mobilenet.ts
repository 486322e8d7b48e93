// MobileNet v1 and v2 (MXNet 1.9's model_zoo/vision/mobilenet.py): RELU6, LinearBottleneck, MobileNet, MobileNetV2 and their width multipliers.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf } from '../../../base/error.js';
import { HybridBlock, type BlockOptions, type F, type Tensor } from '../../block.js';
import { Activation, Dense, Flatten, HybridSequential } from '../../nn/basic_layers.js';
import { Conv2D } from '../../nn/conv_layers.js';
import { GlobalAvgPool2D } from '../../nn/more_conv.js';
import { BatchNorm } from '../../nn/norm_layers.js';
import { loadPretrained } from '../model_store.js';
import { blockOptions, classesOf, type ModelOptions } from './options.js';

/** min(max(x, 0), 6) (prefix `relu60_`). */
export class RELU6 extends HybridBlock {
  constructor(opts: BlockOptions = {}) {
    super(opts);
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return F.clip(x, { aMin: 0, aMax: 6, name: 'relu6' });
  }
}

/** conv (no bias) - BatchNorm - [ReLU | RELU6] appended to out, as MXNet's _add_conv. */
function addConv(out: HybridSequential, channels = 1, kernel = 1, stride = 1, pad = 0, numGroup = 1, active = true,
                 relu6 = false): void {
  out.add(new Conv2D(channels, kernel, { strides: stride, padding: pad, groups: numGroup, useBias: false }));
  out.add(new BatchNorm({ scale: true }));
  if (active) out.add(relu6 ? new RELU6() : new Activation('relu'));
}

/** Depthwise 3x3 then pointwise 1x1, as MXNet's _add_conv_dw. */
function addConvDw(out: HybridSequential, dwChannels: number, channels: number, stride: number, relu6 = false): void {
  addConv(out, dwChannels, 3, stride, 1, dwChannels, true, relu6);
  addConv(out, channels, 1, 1, 0, 1, true, relu6);
}

// Python's int(x * multiplier): truncation of the same double product.
const scaled = (xs: readonly number[], m: number): number[] => xs.map((x) => Math.trunc(x * m));
const rep = (v: number, n: number): number[] => new Array<number>(n).fill(v);

/**
 * MobileNetV2's inverted residual: expand 1x1 (t times), depthwise 3x3, project 1x1 (linear);
 * identity shortcut when the shape is kept.
 */
export class LinearBottleneck extends HybridBlock {
  readonly useShortcut: boolean;
  out!: HybridSequential;

  constructor(inChannels: number, channels: number, t: number, stride: number, opts: BlockOptions = {}) {
    super(opts);
    this.useShortcut = stride === 1 && inChannels === channels;
    this.nameScope(() => {
      this.out = new HybridSequential();
      addConv(this.out, inChannels * t, 1, 1, 0, 1, true, true);
      addConv(this.out, inChannels * t, 3, stride, 1, inChannels * t, true, true);
      addConv(this.out, channels, 1, 1, 0, 1, false, true);
    });
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    const out = this.out.forward(x);
    return this.useShortcut ? F.elemwise_add(out, x) : out;
  }
}

/** Options of MobileNet and MobileNetV2. */
export interface MobileNetOptions extends ModelOptions {}

/**
 * MobileNet v1 ("MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
 * Applications"): depthwise-separable convolutions; `multiplier` scales every width. Prefix `mobilenet0_`.
 */
export class MobileNet extends HybridBlock {
  features!: HybridSequential;
  output!: Dense;

  constructor(multiplier = 1.0, opts: MobileNetOptions = {}) {
    opts = optionsOf(opts, 'MobileNet');
    super(blockOptions(opts));
    const classes = classesOf(opts, 'MobileNet');
    this.nameScope(() => {
      this.features = new HybridSequential({ prefix: '' });
      this.features.nameScope(() => {
        addConv(this.features, Math.trunc(32 * multiplier), 3, 2, 1);
        const dwChannels = scaled([32, 64, ...rep(128, 2), ...rep(256, 2), ...rep(512, 6), 1024], multiplier);
        const channels = scaled([64, ...rep(128, 2), ...rep(256, 2), ...rep(512, 6), ...rep(1024, 2)], multiplier);
        const strides = [1, 2, 1, 2, 1, 2, ...rep(1, 5), 2, 1];
        dwChannels.forEach((dwc, i) => addConvDw(this.features, dwc, channels[i]!, strides[i]!));
        this.features.add(new GlobalAvgPool2D(), new Flatten());
      });
      this.output = new Dense(classes);
    });
  }

  override hybridForward(_F: F, x: Tensor, _p: unknown): Tensor {
    return this.output.forward(this.features.forward(x));
  }
}

/**
 * MobileNet v2 ("Inverted Residuals and Linear Bottlenecks"): 17 LinearBottlenecks between
 * RELU6 convolutions; the classifier is a 1x1 convolution (`output_pred_`). Prefix `mobilenetv20_`.
 */
export class MobileNetV2 extends HybridBlock {
  features!: HybridSequential;
  output!: HybridSequential;

  constructor(multiplier = 1.0, opts: MobileNetOptions = {}) {
    opts = optionsOf(opts, 'MobileNetV2');
    super(blockOptions(opts));
    const classes = classesOf(opts, 'MobileNetV2');
    this.nameScope(() => {
      this.features = new HybridSequential({ prefix: 'features_' });
      this.features.nameScope(() => {
        addConv(this.features, Math.trunc(32 * multiplier), 3, 2, 1, 1, true, true);
        const inGroup = scaled([32, 16, ...rep(24, 2), ...rep(32, 3), ...rep(64, 4), ...rep(96, 3), ...rep(160, 3)], multiplier);
        const chGroup = scaled([16, ...rep(24, 2), ...rep(32, 3), ...rep(64, 4), ...rep(96, 3), ...rep(160, 3), 320], multiplier);
        const ts = [1, ...rep(6, 16)];
        const strides = [1, 2, 1, 2, 1, 1, 2, ...rep(1, 6), 2, ...rep(1, 3)];
        inGroup.forEach((inC, i) => this.features.add(new LinearBottleneck(inC, chGroup[i]!, ts[i]!, strides[i]!)));
        const lastChannels = multiplier > 1.0 ? Math.trunc(1280 * multiplier) : 1280;
        addConv(this.features, lastChannels, 1, 1, 0, 1, true, true);
        this.features.add(new GlobalAvgPool2D());
      });
      this.output = new HybridSequential({ prefix: 'output_' });
      this.output.nameScope(() => {
        this.output.add(new Conv2D(classes, 1, { useBias: false, prefix: 'pred_' }), new Flatten());
      });
    });
  }

  override hybridForward(_F: F, x: Tensor, _p: unknown): Tensor {
    return this.output.forward(this.features.forward(x));
  }
}

/** MXNet's file-name suffix of a multiplier: 1.0, 0.75, 0.5, 0.25. */
function versionSuffix(multiplier: number): string {
  const s = multiplier.toFixed(2);
  return s === '1.00' || s === '0.50' ? s.slice(0, -1) : s;
}

function checkMultiplier(m: number, what: string): void {
  if (!(typeof m === 'number' && m > 0 && Number.isFinite(m))) {
    throw new IsotensorError(`${what}: multiplier must be a positive number, got ${String(m)}`);
  }
}

/**
 * MobileNet v1 with a width multiplier; `pretrained: true` loads `mobilenet<multiplier>` weights.
 * @example const net = gluon.modelZoo.vision.getMobilenet(0.5, { classes: 10 });
 */
export function getMobilenet(multiplier: number, opts: MobileNetOptions = {}): MobileNet {
  checkMultiplier(multiplier, 'getMobilenet');
  const net = new MobileNet(multiplier, opts);
  if (opts.pretrained === true) loadPretrained(net, `mobilenet${versionSuffix(multiplier)}`, opts);
  return net;
}

/** MobileNet v2 with a width multiplier; `pretrained: true` loads `mobilenetv2_<multiplier>` weights. */
export function getMobilenetV2(multiplier: number, opts: MobileNetOptions = {}): MobileNetV2 {
  checkMultiplier(multiplier, 'getMobilenetV2');
  const net = new MobileNetV2(multiplier, opts);
  if (opts.pretrained === true) loadPretrained(net, `mobilenetv2_${versionSuffix(multiplier)}`, opts);
  return net;
}

/** MobileNet v1, width 1.0. */
export const mobilenet1_0 = (opts: MobileNetOptions = {}): MobileNet => getMobilenet(1.0, opts);
/** MobileNet v1, width 0.75. */
export const mobilenet0_75 = (opts: MobileNetOptions = {}): MobileNet => getMobilenet(0.75, opts);
/** MobileNet v1, width 0.5. */
export const mobilenet0_5 = (opts: MobileNetOptions = {}): MobileNet => getMobilenet(0.5, opts);
/** MobileNet v1, width 0.25. */
export const mobilenet0_25 = (opts: MobileNetOptions = {}): MobileNet => getMobilenet(0.25, opts);
/** MobileNet v2, width 1.0. */
export const mobilenet_v2_1_0 = (opts: MobileNetOptions = {}): MobileNetV2 => getMobilenetV2(1.0, opts);
/** MobileNet v2, width 0.75. */
export const mobilenet_v2_0_75 = (opts: MobileNetOptions = {}): MobileNetV2 => getMobilenetV2(0.75, opts);
/** MobileNet v2, width 0.5. */
export const mobilenet_v2_0_5 = (opts: MobileNetOptions = {}): MobileNetV2 => getMobilenetV2(0.5, opts);
/** MobileNet v2, width 0.25. */
export const mobilenet_v2_0_25 = (opts: MobileNetOptions = {}): MobileNetV2 => getMobilenetV2(0.25, opts);
