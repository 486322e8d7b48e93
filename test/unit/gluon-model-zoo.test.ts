// gluon.modelZoo.vision: every model's parameter names and shapes equal MXNet 1.9's (a table generated from MXNet's own
// definitions), output shapes and `classes`, hybridized == imperative, pretrained weights from a local file (and an http URL).
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { fresh, gluonSpec, host, maxDiff } from '../helpers/gluon-spec';
import { expectError } from '../helpers/errors';
import { pseudoRandom } from '../helpers/gradcheck';

const { nd, gluon } = mx;
const { vision } = gluon.modelZoo;
type Arr = any;
interface Entry { prefix: string; input: number[]; output: number[]; params: [string, number[]][] }
// Written by test/fixtures/model_zoo/gen_model_zoo_names.py, which runs MXNet's model-zoo files.
const table: Record<string, Entry> = JSON.parse(
  readFileSync(new URL('../fixtures/model_zoo/model_zoo_names.json', import.meta.url), 'utf8'));
const dir = gluonSpec('gluon-model-zoo', 'ist-model-zoo-');
const namesShapes = (net: Arr): [string, number[]][] =>
  [...net.collectParams().values()].map((p: Arr) => [p.name, [...p.shape]]);
const input = (shape: number[], seed = 3): Arr =>
  nd.array(pseudoRandom(shape.reduce((a, b) => a * b, 1), seed), { shape });

/** Frees a network's arrays (JS has no destructors; the big models would pile up otherwise). */
function release(net: Arr): void {
  net.hybridize(false);
  for (const p of net.collectParams().values()) {
    if (!p.isInitialized) continue;
    for (const a of p.listData()) a.dispose();
    if (p.gradReq !== 'null') for (const g of p.listGrad()) g.dispose();
  }
}

describe("every model has MXNet's parameter names and shapes", () => {
  it('the table covers getModel and nothing else (plus lenet, which MXNet\'s zoo does not have)', () => {
    expect([...vision.modelNames].sort()).toEqual([...Object.keys(table), 'lenet'].sort());
    expect(Object.keys(table)).toHaveLength(34);
  });

  it('lenet: Conv(20)-Pool-Conv(50)-Pool-Dense(500)-Dense(classes) on 28x28 digits', () => {
    const net = fresh(() => vision.getModel('lenet'));
    net.initialize();
    const x = nd.zeros([2, 1, 28, 28]);
    expect(net.forward(x).shape).toEqual([2, 10]);
    expect(namesShapes(net)).toEqual([
      ['hybridsequential0_conv0_weight', [20, 1, 5, 5]], ['hybridsequential0_conv0_bias', [20]],
      ['hybridsequential0_conv1_weight', [50, 20, 5, 5]], ['hybridsequential0_conv1_bias', [50]],
      ['hybridsequential0_dense0_weight', [500, 800]], ['hybridsequential0_dense0_bias', [500]],
      ['hybridsequential0_dense1_weight', [10, 500]], ['hybridsequential0_dense1_bias', [10]],
    ]);
    const three = fresh(() => vision.lenet({ classes: 3 }));
    three.initialize();
    expect(three.forward(x).shape).toEqual([2, 3]);
    x.dispose();
  });

  // Shape inference through the traced graph gives every deferred dim without allocating the
  // weights (VGG alone has 140M parameters); the forward tests below do the same through real runs.
  it.each(Object.keys(table))('%s (symbolic shape inference)', (name) => {
    const want = table[name]!;
    const net = fresh(() => vision.getModel(name));
    expect(net.prefix).toBe(want.prefix);
    const x = nd.zeros(want.input);
    net.inferShape(x);
    expect(namesShapes(net)).toEqual(want.params);
    const out = net.getGraph([x]).symbol.inferShape({ data: want.input });
    expect(out.outShapes).toEqual([want.output]);
    // classes: the classifier's width
    const small = fresh(() => vision.getModel(name, { classes: 7 }));
    expect(small.getGraph([x]).symbol.inferShape({ data: want.input }).outShapes).toEqual([[1, 7]]);
    x.dispose();
  });

  // One forward per family at the full input size (299 for Inception): deferred initialization
  // from real data gives the same table, and the output is (1, classes).
  it.each(['resnet18_v1', 'resnet18_v2', 'resnet50_v1', 'resnet50_v2', 'mobilenet0.25', 'mobilenetv2_0.25', 'squeezenet1.0',
           'squeezenet1.1', 'densenet121', 'inceptionv3', 'alexnet'])('%s (initialize + forward, then hybridized)', (name) => {
    const want = table[name]!;
    const net = fresh(() => vision.getModel(name));
    net.initialize({ init: new mx.init.Xavier() });
    const x = input(want.input);
    const y = net.forward(x);
    expect(y.shape).toEqual(want.output);
    const imperative = host(y);
    expect(imperative.every(Number.isFinite)).toBe(true);
    expect(namesShapes(net)).toEqual(want.params);
    // the whole network as one graph (HybridConcurrent branches, DenseNet's Identity, RELU6 ...)
    net.hybridize();
    const scale = imperative.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxDiff(host(net.forward(x)), imperative)).toBeLessThanOrEqual(1e-5 * Math.max(1, scale));
    y.dispose();
    x.dispose();
    release(net);
  });

  it('VGG runs forward on small images too (the structure is checked above at 224x224)', () => {
    const net = fresh(() => vision.vgg11_bn({ classes: 10 }));
    net.initialize({ init: new mx.init.Xavier() });
    const x = input([1, 3, 32, 32]);
    const y = net.forward(x);
    expect(y.shape).toEqual([1, 10]);
    expect((net.features.at(-4) as Arr).weight.shape).toEqual([4096, 512]);  // the first Dense after 5 pools of 32x32
    expect(net.output.weight.shape).toEqual([10, 4096]);
    release(net);
  });
});

describe('constructors and options', () => {
  it("MXNet's functions and getters build the same networks", () => {
    const names = (f: () => Arr) => namesShapes(fresh(f)).map(([n]) => n);
    expect(names(() => vision.getResnet(2, 34))).toEqual(names(() => vision.resnet34_v2()));
    expect(names(() => vision.getVgg(13, { batchNorm: true }))).toEqual(names(() => vision.vgg13_bn()));
    expect(names(() => vision.getMobilenet(0.75))).toEqual(names(() => vision.getModel('MobileNet0.75')));
    expect(names(() => vision.getMobilenetV2(0.5))).toEqual(names(() => vision.mobilenet_v2_0_5()));
    expect(names(() => vision.getSqueezenet('1.1'))).toEqual(names(() => vision.squeezenet1_1()));
    expect(names(() => vision.getDensenet(169))).toEqual(names(() => vision.densenet169()));
    expect(names(() => vision.inception_v3())).toEqual(table.inceptionv3!.params.map(([n]) => n));
    // gluon.model_zoo is the same namespace (MXNet's spelling)
    expect(gluon.model_zoo.vision.getModel).toBe(vision.getModel);
  });

  it('a second model gets the next global prefix; prefix and thumbnail options', () => {
    fresh(() => {
      expect([vision.resnet18_v1().prefix, vision.resnet34_v1().prefix, vision.resnet18_v2().prefix])
        .toEqual(['resnetv10_', 'resnetv11_', 'resnetv20_']);
      const net = vision.resnet18_v1({ prefix: 'mine_', thumbnail: true, classes: 10 });
      expect(net.collectParams().keys().next().value).toBe('mine_conv0_weight');
      net.initialize();
      const y = net.forward(input([2, 3, 32, 32]));
      expect(y.shape).toEqual([2, 10]);
      expect(net.params.prefix).toBe('mine_');
      release(net);
    });
  });

  it('bad arguments raise clear errors', () => {
    const list = expectError(() => vision.getModel('resnet19_v1'), 'Model resnet19_v1 is not supported', 'resnet18_v1',
                             'mobilenetv2_0.25');
    expect(list.split('\n\t')).toHaveLength(vision.modelNames.length + 1);
    expectError(() => vision.getResnet(3, 18), 'invalid resnet version: 3');
    expectError(() => vision.getResnet(1, 20), 'invalid number of layers: 20', '18, 34, 50, 101, 152');
    expectError(() => vision.getVgg(12), 'getVgg', 'invalid number of layers: 12');
    expectError(() => vision.getDensenet(100), 'getDensenet', '121, 161, 169, 201');
    expectError(() => vision.getSqueezenet('2.0' as Arr), "unsupported version 2.0: '1.0' or '1.1' expected");
    expectError(() => vision.alexnet({ classes: 0 }), 'AlexNet: classes must be a positive integer, got 0');
    expectError(() => vision.getMobilenet(-1), 'getMobilenet: multiplier must be a positive number');
  });
});

describe('hybridize', () => {
  it('resnet18_v1 hybridized gives the imperative output', () => {
    const net = fresh(() => vision.resnet18_v1({ classes: 10 }));
    net.initialize({ init: new mx.init.Xavier({ magnitude: 2 }) });
    const x = input([1, 3, 224, 224], 5);
    const imperative = host(net.forward(x));
    net.hybridize();
    const hybrid = net.forward(x);
    expect(hybrid.shape).toEqual([1, 10]);
    const scale = imperative.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale).toBeGreaterThan(1e-3);
    expect(maxDiff(host(hybrid), imperative)).toBeLessThan(1e-4 * Math.max(1, scale));
    release(net);
  });

  it('mobilenetv2 (RELU6 clip, shortcuts, 1x1-conv classifier) hybridized gives the imperative output', () => {
    const net = fresh(() => vision.mobilenet_v2_0_25({ classes: 5 }));
    // He init (fan in) keeps the signal through the depthwise convolutions
    net.initialize({ init: new mx.init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 }) });
    const x = input([1, 3, 96, 96], 6);
    const imperative = host(net.forward(x));
    net.hybridize();
    const scale = imperative.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale).toBeGreaterThan(1e-2);
    expect(maxDiff(host(net.forward(x)), imperative)).toBeLessThan(1e-4 * Math.max(1, scale));
    release(net);
  });
});

describe('training', () => {
  function gradsEverywhere(net: Arr, skip: RegExp | null = null): void {
    for (const p of net.collectParams().values()) {
      if (p.gradReq === 'null' || (skip !== null && skip.test(p.name))) continue;
      expect(host(p.grad()).reduce((m, v) => Math.max(m, Math.abs(v)), 0), p.name).toBeGreaterThan(0);
    }
  }
  const heInit = () => new mx.init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 });
  const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();

  it('hybridized resnet18_v1 (thumbnail) learns one batch; gradients reach every parameter', () => {
    const net = fresh(() => vision.resnet18_v1({ classes: 4, thumbnail: true }));
    net.initialize({ init: heInit() });
    net.hybridize();
    const x = input([4, 3, 32, 32], 11);
    const y = nd.array([0, 1, 2, 3]);
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.02 });
    const losses: number[] = [];
    for (let step = 0; step < 4; step++) {
      const loss = mx.autograd.record(() => lossFn.forward(net.forward(x), y).mean());
      loss.backward();
      losses.push(host(loss)[0]!);
      if (step === 0) gradsEverywhere(net);
      trainer.step(1);
    }
    expect(losses[3]!).toBeLessThan(losses[0]! * 0.2);
    release(net);
  });

  it('mobilenetv2: gradients reach every parameter through RELU6 and the shortcuts, imperative == hybridized', () => {
    const grads: number[][] = [];
    for (const hybrid of [false, true]) {
      const net = fresh(() => vision.mobilenet_v2_0_25({ classes: 4 }));
      mx.random.seed(5);
      net.initialize({ init: heInit() });
      if (hybrid) net.hybridize();
      const x = input([2, 3, 32, 32], 12);
      mx.autograd.record(() => lossFn.forward(net.forward(x), nd.array([1, 3])).mean()).backward();
      // Betas are left out: in training mode the last BatchNorm of bottlenecks 13-15 gets exactly zero
      // (their outputs reach the loss only through 1x1 convolutions into training-mode BatchNorms,
      // whose input gradients sum to zero per channel).
      gradsEverywhere(net, /_beta$/);
      for (const n of ['features_conv0_weight', 'features_linearbottleneck3_conv1_weight', 'output_pred_weight']) {
        grads.push(host(net.collectParams().item(`mobilenetv20_${n}`).grad()));
      }
      release(net);
    }
    for (let i = 0; i < 3; i++) {
      const scale = grads[i]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(scale).toBeGreaterThan(0);
      expect(maxDiff(grads[i + 3]!, grads[i]!)).toBeLessThan(1e-4 * scale);
    }
  });
});

describe('pretrained weights', () => {
  /** A trained-looking source: initialized, one forward, saved; returns its output for x. */
  function source(name: string, x: Arr, save: (net: Arr) => void): number[] {
    const net = fresh(() => vision.getModel(name, { classes: 10 }));
    net.initialize({ init: new mx.init.Xavier({ magnitude: 2 }) });
    const y = host(net.forward(x));
    save(net);
    release(net);
    return y;
  }

  it('load from path, from root (plain and MXNet-hashed file names), in both naming styles', () => {
    const x = input([1, 3, 64, 64], 7);
    const structural = join(dir, 'mobilenet0.25.params');
    const want = source('mobilenet0.25', x, (n) => n.saveParameters(structural));
    const check = (net: Arr): void => {
      expect(maxDiff(host(net.forward(x)), want)).toBeLessThan(1e-6);
      release(net);
    };
    check(fresh(() => vision.mobilenet0_25({ classes: 10, pretrained: true, path: structural })));
    check(fresh(() => vision.getModel('mobilenet0.25', { classes: 10, pretrained: true, root: dir })));
    check(fresh(() => vision.getMobilenet(0.25, { classes: 10, pretrained: true, path: new URL(`file://${structural}`) })));
    // MXNet's model store names files <name>-<sha1 prefix>.params; full parameter names load too,
    // with or without the network's prefix (MXNet's older save_params stripped it).
    const hashed = join(dir, 'hashed');
    mkdirSync(hashed);
    fresh(() => {
      const net = vision.mobilenet0_25({ classes: 10, pretrained: true, path: structural });
      net.collectParams().save(join(hashed, 'mobilenet0.25-0123abcd.params'), net.prefix);
      release(net);
    });
    check(fresh(() => vision.mobilenet0_25({ classes: 10, pretrained: true, root: hashed })));
    const full = join(dir, 'full.params');
    fresh(() => {
      const net = vision.mobilenet0_25({ classes: 10, pretrained: true, path: structural });
      net.collectParams().save(full);
      release(net);
    });
    check(fresh(() => vision.mobilenet0_25({ classes: 10, pretrained: true, path: full })));
  });

  it('resnet18_v1 round trip: saveParameters, then pretrained into a fresh network (hybridized)', () => {
    const x = input([1, 3, 64, 64], 8);
    const file = join(dir, 'resnet18_v1.params');
    const want = source('resnet18_v1', x, (n) => n.saveParameters(file));
    const net = fresh(() => vision.resnet18_v1({ classes: 10, pretrained: true, root: dir }));
    net.hybridize();
    expect(maxDiff(host(net.forward(x)), want)).toBeLessThan(1e-5);
    release(net);
  });

  it('getModelAsync loads from a file and from an http URL', async () => {
    const x = input([1, 3, 224, 224], 9);
    const file = join(dir, 'squeezenet1.1.params');
    const want = source('squeezenet1.1', x, (n) => n.saveParameters(file));
    const a = await new mx.name.NameManager().run(() => vision.getModelAsync('squeezenet1.1', { classes: 10, pretrained: true, path: file }));
    expect(maxDiff(host(a.forward(x)), want)).toBeLessThan(1e-6);
    release(a);
    // A loopback server stands in for a weights host (nothing leaves the machine).
    const bytes = readFileSync(file);
    const server = createServer((req, res) => {
      if (req.url === '/w/squeezenet1.1.params') res.end(bytes);
      else { res.statusCode = 404; res.end(); }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/w`;
      const b = await vision.getModelAsync('squeezenet1.1', { classes: 10, pretrained: true, root: base });
      expect(maxDiff(host(b.forward(x)), want)).toBeLessThan(1e-6);
      release(b);
      await expect(vision.getModelAsync('squeezenet1.1', { classes: 10, pretrained: true, path: `${base}/nothing.params` }))
        .rejects.toThrow(/squeezenet1\.1: cannot read pretrained weights .*404/);
    } finally {
      server.close();
    }
  });

  it('clear errors: no location, a URL without async, missing files, mismatched weights', () => {
    expectError(() => vision.resnet18_v1({ pretrained: true }), 'resnet18_v1: pretrained: true needs the weights\' location',
                'path', 'root', 'downloads nothing');
    expectError(() => vision.getModel('alexnet', { pretrained: true, path: 'https://example.com/alexnet.params' }),
                'alexnet: weights at https://example.com/alexnet.params need a download', 'getModelAsync');
    expectError(() => vision.densenet121({ pretrained: true, root: join(dir, 'hashed') }),
                'densenet121: no densenet121.params or densenet121-<8 hex digits>.params', 'mobilenet0.25-0123abcd.params');
    expectError(() => vision.vgg11({ pretrained: true, root: join(dir, 'absent') }), 'vgg11: cannot read the weights directory');
    expectError(() => vision.alexnet({ pretrained: true, path: join(dir, 'absent.params') }),
                'alexnet: cannot read pretrained weights', 'absent.params');
    // resnet18_v1.params above has 10 classes
    expectError(() => fresh(() => vision.resnet18_v1({ pretrained: true, root: dir })),
                "Failed loading Parameter 'resnetv10_dense0_weight'", 'shape incompatible');
    // mobilenet weights are not resnet weights
    expectError(() => fresh(() => vision.resnet18_v1({ classes: 10, pretrained: true, path: join(dir, 'mobilenet0.25.params') })),
                'resnetv10_', 'missing');
  });
});
