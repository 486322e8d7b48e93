// Symbol shape and dtype inference through the public API: the seed's example, MLP/CNN/BatchNorm
// graphs (forward and backward propagation), partial inference, positional shapes, declared
// Variable shapes, dtype inference, and errors naming the node, op, argument and both shapes.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { expectError } from '../helpers/errors';

const { nd } = mx;
const sym: any = mx.sym; // Symbol graphs are built loosely typed here, as in the seeds
type Sym = any;

const zip = (names: string[], vals: unknown[]): Record<string, unknown> =>
  Object.fromEntries(names.map((n, i) => [n, vals[i]]));


function lenet(): Sym {
  let net = sym.Variable('data');
  net = sym.Convolution({ data: net, name: 'conv1', kernel: [5, 5], numFilter: 20 });
  net = sym.Activation({ data: net, name: 'tanh1', actType: 'tanh' });
  net = sym.Pooling({ data: net, name: 'pool1', poolType: 'max', kernel: [2, 2], stride: [2, 2] });
  net = sym.Convolution({ data: net, name: 'conv2', kernel: [5, 5], numFilter: 50 });
  net = sym.Activation({ data: net, name: 'tanh2', actType: 'tanh' });
  net = sym.Pooling({ data: net, name: 'pool2', poolType: 'max', kernel: [2, 2], stride: [2, 2] });
  net = sym.Flatten({ data: net, name: 'flatten' });
  net = sym.FullyConnected({ data: net, name: 'fc1', numHidden: 500 });
  net = sym.Activation({ data: net, name: 'tanh3', actType: 'tanh' });
  net = sym.FullyConnected({ data: net, name: 'fc2', numHidden: 10 });
  return sym.SoftmaxOutput({ data: net, name: 'softmax' });
}

beforeAll(async () => {
  await mx.ready();
  announceBackend('infer-shape');
});

describe('seed: Argument Shape Inference', () => {
  it('infers the FullyConnected parameters and output from the data shape', () => {
    let net = sym.Variable('data');
    net = sym.FullyConnected({ data: net, name: 'fc1', numHidden: 10 });
    const { argShapes, outShapes, auxShapes } = net.inferShape({ data: [100, 100] });
    // >>> dict(zip(net.list_arguments(), arg_shape))
    // {'data': (100, 100), 'fc1_weight': (10, 100), 'fc1_bias': (10,)}
    expect(zip(net.listArguments(), argShapes)).toEqual({ data: [100, 100], fc1_weight: [10, 100], fc1_bias: [10] });
    expect(outShapes).toEqual([[100, 10]]);
    expect(auxShapes).toEqual([]);
  });

  it('infers the two-layer perceptron including the label shape (filled backward from the loss)', () => {
    let net = sym.Variable('data');
    net = sym.FullyConnected({ data: net, name: 'fc1', numHidden: 128 });
    net = sym.Activation({ data: net, name: 'relu1', actType: 'relu' });
    net = sym.FullyConnected({ data: net, name: 'fc2', numHidden: 64 });
    net = sym.SoftmaxOutput({ data: net, name: 'out' });
    const r = net.inferShape({ data: [100, 100] });
    expect(zip(net.listArguments(), r.argShapes)).toEqual({
      data: [100, 100], fc1_weight: [128, 100], fc1_bias: [128], fc2_weight: [64, 128], fc2_bias: [64],
      out_label: [100],
    });
    expect(r.outShapes).toEqual([[100, 64]]);
  });
});

describe('graphs', () => {
  it('infers LeNet (Convolution, Pooling, Flatten, FullyConnected)', () => {
    const net = lenet();
    const r = net.inferShape({ data: [8, 1, 28, 28] });
    expect(zip(net.listArguments(), r.argShapes)).toEqual({
      data: [8, 1, 28, 28], conv1_weight: [20, 1, 5, 5], conv1_bias: [20], conv2_weight: [50, 20, 5, 5],
      conv2_bias: [50], fc1_weight: [500, 800], fc1_bias: [500], fc2_weight: [10, 500], fc2_bias: [10],
      softmax_label: [8],
    });
    expect(r.outShapes).toEqual([[8, 10]]);
  });

  it('reports auxiliary states (BatchNorm moving statistics) separately', () => {
    const data = sym.Variable('data');
    const bn = sym.BatchNorm({ data, name: 'bn' });
    const r = bn.inferShape({ data: [4, 3, 5, 5] });
    expect(bn.listArguments()).toEqual(['data', 'bn_gamma', 'bn_beta']);
    expect(bn.listAuxiliaryStates()).toEqual(['bn_moving_mean', 'bn_moving_var']);
    expect(r.argShapes).toEqual([[4, 3, 5, 5], [3], [3]]);
    expect(r.auxShapes).toEqual([[3], [3]]);
    expect(r.outShapes).toEqual([[4, 3, 5, 5]]);
  });

  it('propagates backward: an input shape follows from another input of an elementwise op', () => {
    const x = sym.Variable('x');
    const y = sym.Variable('y');
    const z = sym.FullyConnected({ data: x.add(y), name: 'fc', numHidden: 2 });
    const r = z.inferShape({ x: [3, 4] });
    expect(zip(z.listArguments(), r.argShapes)).toEqual({ x: [3, 4], y: [3, 4], fc_weight: [2, 4], fc_bias: [2] });
  });

  it('takes shapes positionally (listArguments order) and declared Variable shapes', () => {
    const a = sym.Variable('a', { shape: [2, 5] });
    const b = sym.Variable('b');
    const c = a.mul(b);
    expect(c.inferShape({}).argShapes).toEqual([[2, 5], [2, 5]]);
    const fc = sym.FullyConnected({ data: sym.Variable('data'), name: 'f', numHidden: 3 });
    expect(mx.sym.Symbol.prototype.inferShape.call(fc, [[7, 2]] as any).argShapes).toEqual([[7, 2], [3, 2], [3]]);
  });

  it('handles shared variables and multiple outputs (Group)', () => {
    const x = sym.Variable('x');
    const w = sym.Variable('w');
    const h1 = sym.FullyConnected({ data: x, weight: w, name: 'l1', numHidden: 4, noBias: true });
    const h2 = sym.FullyConnected({ data: h1, weight: w, name: 'l2', numHidden: 4, noBias: true });
    const g = sym.Group([h1, h2]);
    const r = g.inferShape({ x: [2, 4] });
    expect(g.listArguments()).toEqual(['x', 'w']);
    expect(r.argShapes).toEqual([[2, 4], [4, 4]]);
    expect(r.outShapes).toEqual([[2, 4], [2, 4]]);
  });
});

describe('partial inference', () => {
  // MXNet's infer_shape_partial docstring example.
  function twoBranches(): Sym {
    const data = sym.Variable('data');
    const prev = sym.Variable('prev');
    const fc1 = sym.FullyConnected({ data, name: 'fc1', numHidden: 128 });
    const fc2 = sym.FullyConnected({ data: prev, name: 'fc2', numHidden: 128 });
    return sym.Activation({ data: sym.elemwise_add(fc1, fc2), actType: 'relu', name: 'act' });
  }

  it('leaves undecided shapes empty and throws in the non-partial variant', () => {
    const out = twoBranches();
    expect(out.listArguments()).toEqual(['data', 'fc1_weight', 'fc1_bias', 'prev', 'fc2_weight', 'fc2_bias']);
    const r = out.inferShapePartial({ data: [10, 64] });
    expect(r.argShapes).toEqual([[10, 64], [128, 64], [128], [], [], []]);
    expect(r.outShapes).toEqual([[10, 128]]);
    expectError(() => out.inferShape({ data: [10, 64] }), ['prev', 'fc2_weight', 'fc2_bias']);
    const full = out.inferShape({ data: [10, 64], prev: [10, 128] });
    expect(full.argShapes).toEqual([[10, 64], [128, 64], [128], [10, 128], [128, 128], [128]]);
  });

  it('infers what does not depend on unknown dims (an unknown batch size)', () => {
    const fc = sym.FullyConnected({ data: sym.Variable('data'), name: 'fc1', numHidden: 10 });
    const r = fc.inferShapePartial({ data: [0, 100] });
    expect(r.argShapes).toEqual([[0, 100], [10, 100], [10]]);
    expect(r.outShapes).toEqual([[0, 10]]);
    const net = lenet();
    const l = net.inferShapePartial({ data: [0, 1, 28, 28] });
    expect(zip(net.listArguments(), l.argShapes)).toEqual({
      data: [0, 1, 28, 28], conv1_weight: [20, 1, 5, 5], conv1_bias: [20], conv2_weight: [50, 20, 5, 5],
      conv2_bias: [50], fc1_weight: [500, 800], fc1_bias: [500], fc2_weight: [10, 500], fc2_bias: [10],
      softmax_label: [0],
    });
    expect(l.outShapes).toEqual([[0, 10]]);
    // An unknown channel count leaves the weight's channel dim unknown but still decides the rest.
    const c = net.inferShapePartial({ data: [8, 0, 28, 28] });
    expect(c.argShapes[1]).toEqual([20, 0, 5, 5]);
    expect(c.argShapes[5]).toEqual([500, 800]);
    expect(c.outShapes).toEqual([[8, 10]]);
    expectError(() => net.inferShape({ data: [0, 1, 28, 28] }), ['data']);
  });

  it('keeps unknown dims as 0', () => {
    const x = sym.Variable('x');
    const y = x.mul(2);
    const r = y.inferShapePartial({ x: [0, 3] });
    expect(r.argShapes).toEqual([[0, 3]]);
    expect(r.outShapes).toEqual([[0, 3]]);
    expect(y.inferShapePartial({}).argShapes).toEqual([[]]);
    // A later, fully known shape completes the partial one.
    const a = sym.Variable('a', { shape: [0, 3] });
    const b = sym.Variable('b');
    const s = a.add(b);
    expect(s.inferShape({ b: [5, 3] }).argShapes).toEqual([[5, 3], [5, 3]]);
  });
});

describe('dtype inference', () => {
  it('spreads the data dtype to parameters and outputs', () => {
    const net = lenet();
    const r = net.inferType({ data: 'float64' });
    expect(new Set(r.argTypes)).toEqual(new Set(['float64']));
    expect(r.outTypes).toEqual(['float64']);
  });

  it('keeps integer graphs integral and rejects mixed dtypes', () => {
    const a = sym.Variable('A');
    const b = sym.Variable('B');
    const e = a.mul(b).add(sym.Variable('C'));
    expect(e.inferType({ A: 'int32' }).outTypes).toEqual(['int32']);
    expectError(() => e.inferType({ A: 'int32', B: 'float32' }), 'dtype', 'int32', 'float32');
  });
});

describe('errors', () => {
  it('names node, op, argument and both shapes on a conflict', () => {
    const net = sym.FullyConnected({ data: sym.Variable('data'), name: 'fc1', numHidden: 10 });
    expectError(() => net.inferShape({ data: [5, 100], fc1_weight: [10, 99] }),
                ['FullyConnected', 'weight', '(10,99)', '(10,100)', "'fc1'"]);
    const x = sym.Variable('x');
    const y = sym.Variable('y');
    const z = x.add(y);
    expectError(() => z.inferShape({ x: [2, 3], y: [3, 2] }), ['(2,3)', '(3,2)', z.name]);
  });

  it('rejects unknown names, bad dims and keeps working', async () => {
    const net = sym.FullyConnected({ data: sym.Variable('data'), name: 'fc1', numHidden: 10 });
    expectError(() => net.inferShape({ dta: [5, 100] }), ["'dta'", 'data', 'fc1_weight']);
    expectError(() => net.inferShape({ data: [5, -1] }), ['data']);
    expectError(() => net.inferShape({ data: [5, 1.5] }), ['data']);
    expectError(() => net.inferType({ data: 'float17' }), 'float17');
    // Reference: conflicting declared shapes of one variable with a given one.
    const v = sym.Variable('v', { shape: [2, 2] });
    expectError(() => v.mul(3).inferShape({ v: [3, 3] }), ['(3,3)', '(2,2)']);
    expect(net.inferShape({ data: [5, 100] }).outShapes).toEqual([[5, 10]]);
    expect(await nd.ones([2]).sum().scalar()).toBe(2);
  });
});
