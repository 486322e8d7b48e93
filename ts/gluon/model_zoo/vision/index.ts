// gluon.modelZoo.vision: MXNet 1.9's vision networks with MXNet's parameter names, getModel and getModelAsync.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../../../base/error.js';
import type { HybridBlock } from '../../block.js';
import { loadPretrainedAsync } from '../model_store.js';
import { alexnet } from './alexnet.js';
import { densenet121, densenet161, densenet169, densenet201 } from './densenet.js';
import { inception_v3 } from './inception.js';
import { lenet } from './lenet.js';
import {
  mobilenet0_25, mobilenet0_5, mobilenet0_75, mobilenet1_0, mobilenet_v2_0_25, mobilenet_v2_0_5, mobilenet_v2_0_75,
  mobilenet_v2_1_0,
} from './mobilenet.js';
import type { ModelOptions } from './options.js';
import {
  resnet101_v1, resnet101_v2, resnet152_v1, resnet152_v2, resnet18_v1, resnet18_v2, resnet34_v1, resnet34_v2,
  resnet50_v1, resnet50_v2,
} from './resnet.js';
import { squeezenet1_0, squeezenet1_1 } from './squeezenet.js';
import { vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn } from './vgg.js';

export { AlexNet, alexnet } from './alexnet.js';
export { DenseNet, densenet121, densenet161, densenet169, densenet201, densenetSpec, getDensenet } from './densenet.js';
export type { DenseNetOptions } from './densenet.js';
export { Identity } from './identity.js';
export { Inception3, inception_v3 } from './inception.js';
export { lenet } from './lenet.js';
export {
  LinearBottleneck, MobileNet, MobileNetV2, RELU6, getMobilenet, getMobilenetV2, mobilenet0_25, mobilenet0_5,
  mobilenet0_75, mobilenet1_0, mobilenet_v2_0_25, mobilenet_v2_0_5, mobilenet_v2_0_75, mobilenet_v2_1_0,
} from './mobilenet.js';
export type { MobileNetOptions } from './mobilenet.js';
export type { ModelOptions } from './options.js';
export {
  BasicBlockV1, BasicBlockV2, BottleneckV1, BottleneckV2, ResNetV1, ResNetV2, getResnet, resnet101_v1, resnet101_v2,
  resnet152_v1, resnet152_v2, resnet18_v1, resnet18_v2, resnet34_v1, resnet34_v2, resnet50_v1, resnet50_v2, resnetSpec,
} from './resnet.js';
export type { ResNetOptions, ResidualBlockClass } from './resnet.js';
export { SqueezeNet, getSqueezenet, squeezenet1_0, squeezenet1_1 } from './squeezenet.js';
export { VGG, getVgg, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn, vggSpec } from './vgg.js';
export type { VGGOptions } from './vgg.js';
export type { PretrainedOptions } from '../model_store.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ModelFn = (opts?: any) => HybridBlock;

/** getModel's names (MXNet's, which are also the names of MXNet's weight files). */
const models: Readonly<Record<string, ModelFn>> = {
  resnet18_v1, resnet34_v1, resnet50_v1, resnet101_v1, resnet152_v1,
  resnet18_v2, resnet34_v2, resnet50_v2, resnet101_v2, resnet152_v2,
  vgg11, vgg13, vgg16, vgg19, vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn,
  alexnet,
  densenet121, densenet161, densenet169, densenet201,
  'squeezenet1.0': squeezenet1_0, 'squeezenet1.1': squeezenet1_1,
  inceptionv3: inception_v3,
  lenet,
  'mobilenet1.0': mobilenet1_0, 'mobilenet0.75': mobilenet0_75, 'mobilenet0.5': mobilenet0_5, 'mobilenet0.25': mobilenet0_25,
  'mobilenetv2_1.0': mobilenet_v2_1_0, 'mobilenetv2_0.75': mobilenet_v2_0_75, 'mobilenetv2_0.5': mobilenet_v2_0_5,
  'mobilenetv2_0.25': mobilenet_v2_0_25,
};

/** Every name getModel accepts, sorted. */
export const modelNames: readonly string[] = Object.keys(models).sort();

function lookup(name: string): [string, ModelFn] {
  const key = String(name).toLowerCase();
  const fn = Object.prototype.hasOwnProperty.call(models, key) ? models[key] : undefined;
  if (fn === undefined) {
    throw new IsotensorError(`Model ${String(name)} is not supported. Available options are\n\t${modelNames.join('\n\t')}`);
  }
  return [key, fn];
}

/**
 * A network by MXNet's model-zoo name ('resnet18_v1', 'mobilenet0.25', 'squeezenet1.1',
 * 'inceptionv3', ...), with opts such as { classes, pretrained, path, root, ctx } (MXNet's
 * get_model). Weights load from a local file here; use getModelAsync for http(s) URLs.
 * @example
 * ```ts
 * const net = gluon.modelZoo.vision.getModel('resnet18_v1', { classes: 10 });
 * net.initialize(); net.forward(nd.zeros([1, 3, 224, 224])).shape // [1, 10]
 * ```
 */
export function getModel(name: string, opts: ModelOptions & Record<string, unknown> = {}): HybridBlock {
  return lookup(name)[1](opts);
}

/**
 * getModel that loads pretrained weights asynchronously, so `path`/`root` may also be http(s)
 * URLs (fetched; also in browsers).
 * @example const net = await vision.getModelAsync('mobilenet1.0', { pretrained: true, path: 'https://host/mobilenet1.0.params' });
 */
export async function getModelAsync(name: string, opts: ModelOptions & Record<string, unknown> = {}): Promise<HybridBlock> {
  const [key, fn] = lookup(name);
  const net = fn({ ...opts, pretrained: false });
  if (opts.pretrained === true) await loadPretrainedAsync(net, key, opts);
  return net;
}
