// The symbolic executor through the public API: both seeds' bind/forward/backward examples with their
// printed outputs, MLP / CNN (Conv+BN+Pool+FC, aux states updated in training) / unrolled-RNN graphs
// against PyTorch, autograd and finite differences, grad_req write/add/null, forward with new inputs,
// copyParamsFrom, reshape, the monitor callback, and bad input.
//
// test/fixtures/executor/executor.json comes from test/fixtures/executor/gen_executor.py (PyTorch,
// float64 references; rerun it to regenerate).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { pseudoRandom } from '../helpers/gradcheck';
import { expectError } from '../helpers/errors';

const { nd, autograd } = mx;
const sym: any = mx.sym; // Symbol graphs are built loosely typed here, as in the seeds
type Arr = any;
type Sym = any;

interface FixtureArray { shape: number[]; data: number[] }
interface Case {
  inputs: Record<string, FixtureArray>;
  headGrad: FixtureArray;
  output: FixtureArray;
  grads: Record<string, FixtureArray>;
  aux?: Record<string, FixtureArray>;
  auxAfter?: Record<string, FixtureArray>;
  inferOutput?: FixtureArray;
}
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/executor/executor.json', import.meta.url)),
                                        'utf8')) as Record<'mlp' | 'cnn' | 'rnn', Case>;

const vals = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);
const fromFixture = (f: FixtureArray, dtype = 'float32'): Arr => nd.array(f.data, { shape: f.shape, dtype });
function close(got: number[], want: number[], tol: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  got.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - want[i]!) / (1 + Math.abs(want[i]!))); });
  expect(worst).toBeLessThanOrEqual(tol);
}

function mlpSym(): Sym {
  let net = sym.Variable('data');
  net = sym.FullyConnected({ data: net, name: 'fc1', numHidden: 5 });
  net = sym.Activation({ data: net, name: 'relu1', actType: 'relu' });
  return sym.FullyConnected({ data: net, name: 'fc2', numHidden: 3 });
}

function cnnSym(): Sym {
  let net = sym.Variable('data');
  net = sym.Convolution({ data: net, name: 'conv1', kernel: [3, 3], pad: [1, 1], numFilter: 3 });
  net = sym.BatchNorm({ data: net, name: 'bn1', fixGamma: false });
  net = sym.Activation({ data: net, name: 'relu1', actType: 'relu' });
  net = sym.Pooling({ data: net, name: 'pool1', poolType: 'max', kernel: [2, 2], stride: [2, 2] });
  net = sym.Flatten({ data: net, name: 'flat' });
  return sym.FullyConnected({ data: net, name: 'fc', numHidden: 4 });
}

// h_t = tanh(FC(x_t; wx, bx) + FC(h_{t-1}; wh)): one set of weights shared by every step.
function rnnSym(steps = 3): Sym {
  const wx = sym.Variable('wx');
  const bx = sym.Variable('bx');
  const wh = sym.Variable('wh');
  let h = sym.Variable('h0');
  for (let s = 0; s < steps; s++) {
    const x = sym.Variable(`x${s}`);
    const i2h = sym.FullyConnected({ data: x, weight: wx, bias: bx, numHidden: 5, name: `i2h${s}` });
    const h2h = sym.FullyConnected({ data: h, weight: wh, numHidden: 5, noBias: true, name: `h2h${s}` });
    h = sym.Activation({ data: i2h.add(h2h), actType: 'tanh', name: `h${s + 1}` });
  }
  return h;
}

/** Binds a fixture case: inputs/aux from the fixture, a gradient array per argument. */
function bindCase(net: Sym, c: Case, dtype = 'float32', gradReq: unknown = 'write'): Arr {
  const args: Record<string, Arr> = {};
  const grads: Record<string, Arr> = {};
  for (const name of net.listArguments()) {
    args[name] = fromFixture(c.inputs[name]!, dtype);
    grads[name] = nd.zeros(c.inputs[name]!.shape, { dtype });
  }
  const aux: Record<string, Arr> = {};
  for (const name of net.listAuxiliaryStates()) aux[name] = fromFixture(c.aux![name]!, dtype);
  return net.bind(here(), args, { argsGrad: grads, gradReq, auxStates: aux });
}

/** d sum(head * out) / d arg[name][i] by central differences (float64 executor, training mode). */
function finiteDiff(ex: Arr, head: number[], name: string, indices: number[], eps = 1e-5): number[] {
  const arg = ex.argDict[name];
  const base = vals(arg);
  const f = (): number => {
    const out = vals(ex.forward({ isTrain: true })[0]);
    return out.reduce((s, v, i) => s + v * head[i]!, 0);
  };
  const res: number[] = [];
  for (const i of indices) {
    const plus = base.slice();
    plus[i]! += eps;
    nd.array(plus, { shape: arg.shape, dtype: arg.dtype }).copyto(arg);
    const fp = f();
    const minus = base.slice();
    minus[i]! -= eps;
    nd.array(minus, { shape: arg.shape, dtype: arg.dtype }).copyto(arg);
    const fm = f();
    res.push((fp - fm) / (2 * eps));
  }
  nd.array(base, { shape: arg.shape, dtype: arg.dtype }).copyto(arg);
  return res;
}

function checkAgainstFixture(net: Sym, c: Case, train: boolean): Arr {
  const ex = bindCase(net, c);
  const outs = ex.forward({ isTrain: train });
  close(vals(outs[0]), c.output.data, 1e-4);
  ex.backward(fromFixture(c.headGrad));
  for (const name of net.listArguments()) close(vals(ex.gradDict[name]), c.grads[name]!.data, 2e-4);
  return ex;
}

function checkFiniteDiff(net: Sym, c: Case, perArg = 4, tol = 1e-5): void {
  const ex = bindCase(net, c, 'float64');
  const head = c.headGrad.data;
  ex.forward({ isTrain: true });
  ex.backward(fromFixture(c.headGrad, 'float64'));
  const grads: Record<string, number[]> = {};
  for (const name of net.listArguments()) grads[name] = vals(ex.gradDict[name]);
  net.listArguments().forEach((name: string, k: number) => {
    const n = grads[name]!.length;
    const idx = pseudoRandom(perArg, 11 + k).map((r) => Math.floor(((r + 1) / 2) * n) % n);
    const fd = finiteDiff(ex, head, name, idx);
    idx.forEach((i, j) => expect(Math.abs(fd[j]! - grads[name]![i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(fd[j]!))));
  });
  ex.dispose();
}

beforeAll(async () => {
  await mx.ready();
  announceBackend('executor');
});

describe('seed: python overview, Bind the Symbols and Run', () => {
  it('binds A * B and computes [8. 8. 8.]', () => {
    const A = sym.Variable('A');
    const B = sym.Variable('B');
    const C = A.mul(B);
    const a = nd.ones([3]).mul(4);
    const b = nd.ones([3]).mul(2);
    const cExec = C.bind(here(), { A: a, B: b });
    cExec.forward();
    // >>> c_exec.outputs[0].asnumpy()
    // [ 8. 8. 8.]
    expect(vals(cExec.outputs[0])).toEqual([8, 8, 8]);
    expect(cExec.outputs[0].toString()).toContain(`[8. 8. 8.]\n<NDArray 3 @${here()}>`);
    cExec.dispose();
  });

  it('simple_bind allocates every array, then forward and backward run', () => {
    let net = sym.Variable('data');
    net = sym.FullyConnected({ data: net, name: 'fc1', numHidden: 128 });
    net = sym.Activation({ data: net, name: 'relu1', actType: 'relu' });
    net = sym.FullyConnected({ data: net, name: 'fc2', numHidden: 64 });
    net = sym.SoftmaxOutput({ data: net, name: 'out' });
    const texec = net.simpleBind(here(), { data: [100, 100] });
    expect(Object.keys(texec.argDict)).toEqual(net.listArguments());
    expect(texec.argDict.fc1_weight.shape).toEqual([128, 100]);
    expect(texec.argDict.out_label.shape).toEqual([100]);
    // Parameters: small values, so the softmax is not flat.
    texec.copyParamsFrom({
      data: nd.array(pseudoRandom(100 * 100, 3), { shape: [100, 100] }),
      fc1_weight: nd.array(pseudoRandom(128 * 100, 4).map((v) => v * 0.1), { shape: [128, 100] }),
      fc2_weight: nd.array(pseudoRandom(64 * 128, 5).map((v) => v * 0.1), { shape: [64, 128] }),
      out_label: nd.array(Array.from({ length: 100 }, (_, i) => i % 64), { shape: [100] }),
    });
    texec.forward({ isTrain: true });
    texec.backward();
    const out = vals(texec.outputs[0]);
    for (let r = 0; r < 100; r++) {
      const row = out.slice(r * 64, r * 64 + 64);
      expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-5);
    }
    // Softmax cross-entropy: d/d fc2_bias = sum over the batch of (p - onehot(label)), summing to 0.
    const gb = vals(texec.gradDict.fc2_bias);
    expect(Math.abs(gb.reduce((s, v) => s + v, 0))).toBeLessThan(1e-4);
    expect(gb.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    for (const name of net.listArguments()) expect(texec.gradDict[name].shape).toEqual(texec.argDict[name].shape);
    texec.dispose();
  });
});

describe('seed: symbol API part 2, Binding NDArrays and Symbols', () => {
  function e(): Sym {
    const a = sym.Variable('A');
    const b = sym.Variable('B');
    const c = sym.Variable('C');
    const d = sym.Variable('D');
    return a.mul(b).add(c.mul(d));
  }

  it('binds int32 scalars: (1*2)+(3*4) = 14', () => {
    const net = e();
    expect(net.listArguments()).toEqual(['A', 'B', 'C', 'D']);
    const executor = net.bind(here(), {
      A: nd.array([1], { dtype: 'int32' }), B: nd.array([2], { dtype: 'int32' }),
      C: nd.array([3], { dtype: 'int32' }), D: nd.array([4], { dtype: 'int32' }),
    });
    const eData = executor.forward();
    expect(eData.length).toBe(1);
    // >>> e_data[0]
    // <NDArray 1 @cpu(0)>
    expect(eData[0].toString()).toContain(`<NDArray 1 @${here()}>`);
    // >>> e_data[0].asnumpy()
    // array([14], dtype=int32)
    expect(eData[0].dtype).toBe('int32');
    expect(vals(eData[0])).toEqual([14]);
    executor.dispose();
  });

  it('runs the same graph on 1000 x 1000 uniform matrices', () => {
    const net = e();
    const [a, b, c, d] = [0, 1, 2, 3].map(() => nd.random.uniform(0, 1, [1000, 1000]));
    const executor = net.bind(here(), { A: a, B: b, C: c, D: d });
    const eData = executor.forward();
    expect(eData[0].toString()).toContain(`<NDArray 1000x1000 @${here()}>`);
    const want = vals(a.mul(b).add(c.mul(d)));
    const got = vals(eData[0]);
    expect(got.length).toBe(1e6);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
    expect(maxDiff).toBeLessThan(1e-6);
    expect(Math.min(...got.slice(0, 1000))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...got.slice(0, 1000))).toBeLessThanOrEqual(2);
    executor.dispose();
  });
});

describe('gradients: PyTorch, autograd and finite differences', () => {
  it('MLP: output and every argument gradient match PyTorch', () => {
    checkAgainstFixture(mlpSym(), fixture.mlp, false).dispose();
  });

  it('MLP: gradients equal autograd on the same imperative ops', () => {
    const c = fixture.mlp;
    const net = mlpSym();
    const ex = bindCase(net, c);
    ex.forward({ isTrain: true });
    ex.backward(fromFixture(c.headGrad));
    const p: Record<string, Arr> = {};
    for (const name of net.listArguments()) {
      p[name] = fromFixture(c.inputs[name]!);
      p[name].attachGrad();
    }
    const out: Arr = autograd.record(() => {
      const h = nd.Activation(nd.FullyConnected(p.data, p.fc1_weight, p.fc1_bias, { numHidden: 5 }), { actType: 'relu' });
      return nd.FullyConnected(h, p.fc2_weight, p.fc2_bias, { numHidden: 3 });
    });
    out.backward(fromFixture(c.headGrad));
    close(vals(ex.outputs[0]), vals(out), 1e-6);
    for (const name of net.listArguments()) close(vals(ex.gradDict[name]), vals(p[name].grad), 1e-6);
    ex.dispose();
  });

  it('MLP: gradients equal finite differences (float64)', () => {
    checkFiniteDiff(mlpSym(), fixture.mlp);
  });

  it('CNN (Conv+BN+Pool+FC): training forward/backward match PyTorch and update the aux states', () => {
    const c = fixture.cnn;
    const net = cnnSym();
    expect(net.listAuxiliaryStates()).toEqual(['bn1_moving_mean', 'bn1_moving_var']);
    const ex = checkAgainstFixture(net, c, true);
    close(vals(ex.auxDict.bn1_moving_mean), c.auxAfter!.bn1_moving_mean!.data, 1e-5);
    close(vals(ex.auxDict.bn1_moving_var), c.auxAfter!.bn1_moving_var!.data, 1e-5);
    // Inference uses the moving statistics and leaves them alone.
    ex.forward({ isTrain: false });
    close(vals(ex.outputs[0]), c.inferOutput!.data, 1e-4);
    close(vals(ex.auxDict.bn1_moving_mean), c.auxAfter!.bn1_moving_mean!.data, 1e-5);
    ex.dispose();
  });

  it('CNN: gradients equal autograd and finite differences (float64)', () => {
    const c = fixture.cnn;
    const net = cnnSym();
    const ex = bindCase(net, c);
    ex.forward({ isTrain: true });
    ex.backward(fromFixture(c.headGrad));
    const p: Record<string, Arr> = {};
    for (const name of net.listArguments()) {
      p[name] = fromFixture(c.inputs[name]!);
      p[name].attachGrad();
    }
    const mm = fromFixture(c.aux!.bn1_moving_mean!);
    const mv = fromFixture(c.aux!.bn1_moving_var!);
    const out: Arr = autograd.record(() => {
      let y = nd.Convolution(p.data, p.conv1_weight, p.conv1_bias, { kernel: [3, 3], pad: [1, 1], numFilter: 3 });
      y = nd.BatchNorm(y, p.bn1_gamma, p.bn1_beta, mm, mv, { fixGamma: false });
      y = nd.Activation(y, { actType: 'relu' });
      y = nd.Pooling(y, { poolType: 'max', kernel: [2, 2], stride: [2, 2] });
      return nd.FullyConnected(nd.Flatten(y), p.fc_weight, p.fc_bias, { numHidden: 4 });
    });
    out.backward(fromFixture(c.headGrad));
    close(vals(ex.outputs[0]), vals(out), 1e-5);
    for (const name of net.listArguments()) close(vals(ex.gradDict[name]), vals(p[name].grad), 1e-5);
    close(vals(ex.auxDict.bn1_moving_var), vals(mv), 1e-6);
    ex.dispose();
    checkFiniteDiff(net, c, 3, 1e-4);
  });

  it('RNN (unrolled tanh cell, shared weights): PyTorch, autograd and finite differences', () => {
    const c = fixture.rnn;
    const net = rnnSym(3);
    // MXNet's depth-first order: the last step's inputs first.
    expect(net.listArguments()).toEqual(['x2', 'wx', 'bx', 'x1', 'x0', 'h0', 'wh']);
    checkAgainstFixture(net, c, true).dispose();
    const p: Record<string, Arr> = {};
    for (const name of net.listArguments()) {
      p[name] = fromFixture(c.inputs[name]!);
      p[name].attachGrad();
    }
    const out: Arr = autograd.record(() => {
      let h = p.h0;
      for (let s = 0; s < 3; s++) {
        const i2h = nd.FullyConnected(p[`x${s}`], p.wx, p.bx, { numHidden: 5 });
        const h2h = nd.FullyConnected(h, p.wh, { numHidden: 5, noBias: true });
        h = nd.tanh(i2h.add(h2h));
      }
      return h;
    });
    out.backward(fromFixture(c.headGrad));
    const ex = bindCase(net, c);
    ex.forward({ isTrain: true });
    ex.backward(fromFixture(c.headGrad));
    for (const name of net.listArguments()) close(vals(ex.gradDict[name]), vals(p[name].grad), 1e-5);
    ex.dispose();
    checkFiniteDiff(net, c);
  });

  it('the RNN op in a graph: gradients equal autograd', () => {
    const data = sym.Variable('data');
    const params = sym.Variable('params');
    const state = sym.Variable('state');
    const rnn = sym.RNN({ data, parameters: params, state, stateSize: 4, numLayers: 1, mode: 'rnn_tanh', name: 'rnn' });
    const shapes = rnn.inferShape({ data: [3, 2, 5], state: [1, 2, 4] });
    const args: Record<string, Arr> = {};
    const grads: Record<string, Arr> = {};
    rnn.listArguments().forEach((name: string, i: number) => {
      const s = shapes.argShapes[i];
      const n = s.reduce((a: number, b: number) => a * b, 1);
      args[name] = nd.array(pseudoRandom(n, 30 + i).map((v) => v * 0.5), { shape: s });
      grads[name] = nd.zeros(s);
    });
    const ex = rnn.bind(here(), args, { argsGrad: grads });
    const head = nd.array(pseudoRandom(3 * 2 * 4, 40), { shape: [3, 2, 4] });
    ex.forward({ isTrain: true });
    ex.backward(head);
    const p: Record<string, Arr> = {};
    for (const name of rnn.listArguments()) {
      p[name] = args[name].copy();
      p[name].attachGrad();
    }
    const out: Arr = autograd.record(() => nd.RNN(p.data, p.params, p.state,
                                             { stateSize: 4, numLayers: 1, mode: 'rnn_tanh' }));
    out.backward(head);
    close(vals(ex.outputs[0]), vals(out), 1e-6);
    for (const name of rnn.listArguments()) close(vals(ex.gradDict[name]), vals(p[name].grad), 1e-5);
    ex.dispose();
  });
});

describe('grad_req and head gradients', () => {
  it("'add' accumulates over backward calls, 'null' leaves the array alone", () => {
    const c = fixture.mlp;
    const net = mlpSym();
    const ex = bindCase(net, c, 'float32', { data: 'null', fc1_weight: 'add', fc1_bias: 'add', fc2_weight: 'write',
                                             fc2_bias: 'add' });
    expect(ex.gradArrays[0]).toBe(null);
    ex.forward({ isTrain: true });
    for (let k = 1; k <= 3; k++) {
      ex.backward(fromFixture(c.headGrad));
      close(vals(ex.gradDict.fc1_weight), c.grads.fc1_weight!.data.map((v) => v * k), 5e-4);
      close(vals(ex.gradDict.fc2_bias), c.grads.fc2_bias!.data.map((v) => v * k), 5e-4);
      close(vals(ex.gradDict.fc2_weight), c.grads.fc2_weight!.data, 2e-4);
    }
    expect(ex.gradDict.data).toBe(undefined);
    ex.dispose();
  });

  it('uses ones as the head gradient when none is given, and per-output head gradients', () => {
    const x = sym.Variable('x');
    const y = x.mul(x);
    const z = x.mul(3);
    const g = sym.Group([y, z]);
    const xa = nd.array([1, 2, 3]);
    const gx = nd.zeros([3]);
    const ex = g.bind(here(), { x: xa }, { argsGrad: { x: gx } });
    ex.forward({ isTrain: true });
    expect(ex.outputs.map(vals)).toEqual([[1, 4, 9], [3, 6, 9]]);
    expect(Object.keys(ex.outputDict)).toEqual(g.listOutputs());
    ex.backward();
    expect(vals(gx)).toEqual([5, 7, 9]); // 2x + 3
    ex.backward([nd.array([1, 0, 1]), null]);
    expect(vals(gx)).toEqual([5, 3, 9]);
    ex.backward();
    expect(vals(gx)).toEqual([5, 7, 9]);
    ex.dispose();
  });

  it('a variable output and an argument no gradient reaches', () => {
    const x = sym.Variable('x');
    const w = sym.Variable('w');
    const g = sym.Group([x, w.mul(2)]);
    const gx = nd.ones([2]).mul(7);
    const gw = nd.zeros([2]);
    const ex = g.bind(here(), { x: nd.array([1, 2]), w: nd.array([3, 4]) }, { argsGrad: { x: gx, w: gw } });
    expect(ex.forward().map(vals)).toEqual([[1, 2], [6, 8]]);
    ex.backward([nd.array([5, 6]), nd.array([1, 1])]);
    expect(vals(gx)).toEqual([5, 6]);
    expect(vals(gw)).toEqual([2, 2]);
    ex.dispose();
  });
});

describe('executor API', () => {
  it('forward with new inputs copies them into the bound arrays', () => {
    const c = fixture.mlp;
    const net = mlpSym();
    const ex = bindCase(net, c);
    const data2 = nd.array(pseudoRandom(24, 9), { shape: [4, 6] });
    ex.forward({ data: data2 });
    const ref = bindCase(net, c);
    data2.copyto(ref.argDict.data);
    ref.forward();
    expect(vals(ex.outputs[0])).toEqual(vals(ref.outputs[0]));
    // Host data works too (nested arrays).
    const rows = [0, 1, 2, 3].map((r) => pseudoRandom(24, 9).slice(6 * r, 6 * r + 6));
    ex.forward({ data: rows, isTrain: false });
    close(vals(ex.outputs[0]), vals(ref.outputs[0]), 1e-6);
    ex.forward({ data: new Float32Array(pseudoRandom(24, 9)) });
    close(vals(ex.outputs[0]), vals(ref.outputs[0]), 1e-6);
    expectError(() => ex.forward({ date: data2 }), "'date'", 'data');
    expectError(() => ex.forward({ data: nd.zeros([2, 6]) }), ['data', '(2,6)', '(4,6)']);
    ex.dispose();
    ref.dispose();
  });

  it('exposes argDict/gradDict/auxDict/outputDict and arrays in list order; copyParamsFrom', () => {
    const c = fixture.cnn;
    const net = cnnSym();
    const ex = bindCase(net, c);
    expect(Object.keys(ex.argDict)).toEqual(net.listArguments());
    expect(Object.keys(ex.gradDict)).toEqual(net.listArguments());
    expect(Object.keys(ex.auxDict)).toEqual(net.listAuxiliaryStates());
    expect(Object.keys(ex.outputDict)).toEqual(['fc_output']);
    expect(ex.argArrays.length).toBe(7);
    expect(ex.auxArrays.length).toBe(2);
    ex.copyParamsFrom({ fc_bias: nd.array([1, 2, 3, 4]) }, { bn1_moving_mean: nd.array([0.5, 0.5, 0.5]) });
    expect(vals(ex.argDict.fc_bias)).toEqual([1, 2, 3, 4]);
    expect(vals(ex.auxDict.bn1_moving_mean)).toEqual([0.5, 0.5, 0.5]);
    expectError(() => ex.copyParamsFrom({ nope: nd.zeros([1]) }), ["'nope'"]);
    ex.copyParamsFrom({ nope: nd.zeros([1]) }, null, true);
    expectError(() => ex.copyParamsFrom({ fc_bias: nd.zeros([5]) }), ['fc_bias', '(5)']);
    expect(String(ex)).toBe(`<Executor fc_output @${here()}>`);
    ex.dispose();
    expect(ex.isDisposed).toBe(true);
    expectError(() => ex.forward(), 'disposed');
  });

  it('reshape shares parameters and gives the outputs of a fresh bind', () => {
    const net = mlpSym();
    const ex = net.simpleBind(here(), { data: [4, 6] });
    ex.copyParamsFrom({
      fc1_weight: nd.array(pseudoRandom(30, 1), { shape: [5, 6] }),
      fc2_weight: nd.array(pseudoRandom(15, 2), { shape: [3, 5] }),
    });
    const small = ex.reshape({ data: [2, 6] });
    expect(small.argDict.fc1_weight).toBe(ex.argDict.fc1_weight);
    expect(small.argDict.data.shape).toEqual([2, 6]);
    const x = nd.array(pseudoRandom(12, 3), { shape: [2, 6] });
    small.forward({ data: x });
    const ref = net.bind(here(), { ...ex.argDict, data: x });
    ref.forward();
    expect(vals(small.outputs[0])).toEqual(vals(ref.outputs[0]));
    expectError(() => ex.reshape({ data: [8, 6] }), ['data', 'allowUpSizing']);
    const big = ex.reshape({ data: [8, 6] }, { allowUpSizing: true });
    expect(big.outputs[0].shape).toEqual([8, 3]);
    expectError(() => ex.reshape({ data: [3, 7] }), ['fc1_weight', 'partialShaping']);
    const wide = ex.reshape({ data: [3, 7] }, { partialShaping: true, allowUpSizing: true });
    expect(wide.argDict.fc1_weight.shape).toEqual([5, 7]);
    for (const e of [small, big, wide, ref, ex]) e.dispose();
  });

  it('calls the monitor for every node output as it is pushed', () => {
    const c = fixture.mlp;
    const net = mlpSym();
    const ex = bindCase(net, c);
    const seen: [string, number[]][] = [];
    ex.setMonitorCallback((name: string, arr: Arr) => {
      seen.push([name, vals(arr)]);
      arr.dispose();
    });
    ex.forward();
    expect(seen.map((s) => s[0])).toEqual(['fc1_output', 'relu1_output', 'fc2_output']);
    close(seen[2]![1], c.output.data, 1e-4);
    expect(seen[1]![1].every((v) => v >= 0)).toBe(true);
    seen.length = 0;
    ex.backward(fromFixture(c.headGrad));
    expect(seen.length).toBeGreaterThan(0);
    seen.length = 0;
    ex.setMonitorCallback((name: string, arr: Arr) => { seen.push([name, []]); arr.dispose(); }, true);
    ex.forward();
    expect(seen.map((s) => s[0]).slice(0, 4)).toEqual(['fc1_data', 'fc1_weight', 'fc1_bias', 'fc1_output']);
    ex.setMonitorCallback(() => { throw new Error('monitor failed'); });
    expect(() => ex.forward()).toThrow('monitor failed');
    ex.setMonitorCallback(null);
    seen.length = 0;
    ex.forward();
    expect(seen.length).toBe(0);
    close(vals(ex.outputs[0]), c.output.data, 1e-4);
    ex.dispose();
  });

  it('group2ctx runs each ctx_group on its context, copying values between them', () => {
    const build = (): Sym => {
      const x = sym.Variable('x');
      const h = new mx.AttrScope({ ctx_group: 'dev1' }).run(() =>
        sym.Activation({ data: sym.FullyConnected({ data: x, numHidden: 4, name: 'fc1' }), actType: 'tanh', name: 'a1' }));
      return new mx.AttrScope({ ctx_group: 'dev2' }).run(() => sym.FullyConnected({ data: h, numHidden: 2, name: 'fc2' }));
    };
    const net = build();
    const shapes = net.inferShape({ x: [3, 5] });
    const where = (name: string): Arr => (name.startsWith('fc2') ? mx.cpu(1) : mx.cpu(0));
    const mk = (name: string, i: number, ctx: Arr): Arr => {
      const s = shapes.argShapes[i];
      return nd.array(pseudoRandom(s.reduce((a: number, b: number) => a * b, 1), 50 + i), { shape: s, ctx });
    };
    const args: Record<string, Arr> = {};
    const grads: Record<string, Arr> = {};
    const args0: Record<string, Arr> = {};
    const grads0: Record<string, Arr> = {};
    net.listArguments().forEach((name: string, i: number) => {
      args[name] = mk(name, i, where(name));
      grads[name] = nd.zeros(shapes.argShapes[i], { ctx: where(name) });
      args0[name] = mk(name, i, mx.cpu(0));
      grads0[name] = nd.zeros(shapes.argShapes[i], { ctx: mx.cpu(0) });
    });
    const ex = net.bind(mx.cpu(0), args, { argsGrad: grads, group2ctx: { dev1: mx.cpu(0), dev2: 'cpu(1)' } });
    const ref = net.bind(mx.cpu(0), args0, { argsGrad: grads0 });
    const head = nd.array([1, -2, 3, 0.5, 1, 2], { shape: [3, 2], ctx: mx.cpu(0) });
    ex.forward({ isTrain: true });
    ex.backward(head.copyto(mx.cpu(1)));
    ref.forward({ isTrain: true });
    ref.backward(head);
    expect(ex.outputs[0].context.toString()).toBe('cpu(1)');
    close(vals(ex.outputs[0]), vals(ref.outputs[0]), 1e-6);
    for (const name of net.listArguments()) {
      expect(ex.gradDict[name].context.toString()).toBe(where(name).toString());
      close(vals(ex.gradDict[name]), vals(ref.gradDict[name]), 1e-6);
    }
    // Without group2ctx the arrays must all be on the bind context.
    expectError(() => net.bind(mx.cpu(0), args), 'fc2_weight', 'cpu(1)', 'cpu(0)');
    ex.dispose();
    ref.dispose();
  });

  it('binds 0-d and empty arrays', () => {
    const a = sym.Variable('a');
    const b = sym.Variable('b');
    const c = a.mul(b).add(a);
    const ga = nd.zeros([]);
    const gb = nd.zeros([]);
    const ex = c.bind(here(), { a: nd.array(3), b: nd.array(4) }, { argsGrad: { a: ga, b: gb } });
    ex.forward({ isTrain: true });
    ex.backward();
    expect(ex.outputs[0].shape).toEqual([]);
    expect(ex.outputs[0].asScalar()).toBe(15);
    expect([ga.asScalar(), gb.asScalar()]).toEqual([5, 3]);
    const empty = c.bind(here(), { a: nd.zeros([0, 3]), b: nd.zeros([0, 3]) },
                         { argsGrad: { a: nd.zeros([0, 3]), b: nd.zeros([0, 3]) } });
    empty.forward({ isTrain: true });
    empty.backward();
    expect(empty.outputs[0].shape).toEqual([0, 3]);
    expect(empty.gradDict.a.shape).toEqual([0, 3]);
    ex.dispose();
    empty.dispose();
  });

  it('binds views (arrays at an offset in a larger one) as arguments and gradients', () => {
    const big = nd.array([[1, 2], [3, 4], [5, 6]]);
    const gbig = nd.zeros([3, 2]);
    const x = sym.Variable('x');
    const ex = x.mul(x).bind(here(), { x: big.slice(1, 3) }, { argsGrad: { x: gbig.slice(0, 2) } });
    ex.forward({ isTrain: true });
    ex.backward();
    expect(ex.outputs[0].toArraySync()).toEqual([[9, 16], [25, 36]]);
    expect(gbig.toArraySync()).toEqual([[6, 8], [10, 12], [0, 0]]);
    ex.dispose();
  });

  it('simpleBind with a typeDict and per-argument gradReq', () => {
    const net = mlpSym();
    const ex = net.simpleBind(here(), { data: [2, 6] }, { typeDict: { data: 'float64' }, gradReq: { fc1_weight: 'write' } });
    expect(ex.argDict.fc2_weight.dtype).toBe('float64');
    expect(ex.outputs[0].dtype).toBe('float64');
    expect(Object.keys(ex.gradDict)).toEqual(['fc1_weight']);
    ex.forward({ isTrain: true });
    ex.backward(nd.ones([2, 3], { dtype: 'float64' }));
    expect(ex.gradDict.fc1_weight.shape).toEqual([5, 6]);
    ex.dispose();
  });
});

describe('bad input', () => {
  it('rejects wrong shapes, missing and miscounted arrays, naming op, argument and shapes', () => {
    const net = mlpSym();
    const ok = (): Record<string, Arr> => ({
      data: nd.zeros([4, 6]), fc1_weight: nd.zeros([5, 6]), fc1_bias: nd.zeros([5]),
      fc2_weight: nd.zeros([3, 5]), fc2_bias: nd.zeros([3]),
    });
    expectError(() => net.bind(here(), { ...ok(), fc1_weight: nd.zeros([5, 7]) }),
                ['FullyConnected', 'weight', '(5,7)', '(5,6)', "'fc1'"]);
    const missing = ok();
    delete missing.fc2_bias;
    expectError(() => net.bind(here(), missing), 'fc2_bias', 'missing');
    expectError(() => net.bind(here(), Object.values(ok()).slice(0, 4)), 'expected 5', 'data', 'fc2_bias', 'got 4');
    expectError(() => net.bind(here(), { ...ok(), extra: nd.zeros([1]) }), ["'extra'"]);
    expectError(() => net.bind(here(), ok(), { argsGrad: { fc1_weight: nd.zeros([6, 5]) } }),
                ['fc1_weight', '(6,5)', '(5,6)']);
    expectError(() => net.bind(here(), ok(), { argsGrad: { fc1_weight: nd.zeros([5, 6]) }, gradReq: 'sometimes' as Arr }),
                ['gradReq', 'sometimes']);
    expectError(() => net.bind(here(), ok(), { argsGrad: {}, gradReq: { fc1_weight: 'write' } }), 'fc1_weight', 'no gradient array');
    expectError(() => net.simpleBind(here(), { data: [4, 7], fc1_weight: [5, 6] }), ['weight', '(5,6)', '(5,7)']);
    const bn = sym.BatchNorm({ data: sym.Variable('data'), name: 'bn' });
    expectError(() => bn.bind(here(), { data: nd.zeros([2, 3]), bn_gamma: nd.zeros([3]), bn_beta: nd.zeros([3]) }),
                ['auxStates', 'bn_moving_mean']);
    // A symbol whose shapes cannot all be decided.
    const free = sym.Variable('a').add(sym.Variable('b'));
    expectError(() => free.simpleBind(here(), {}), 'a', 'b');
    const ex = net.bind(here(), ok(), { argsGrad: { fc1_weight: nd.zeros([5, 6]) } });
    expectError(() => ex.backward(nd.zeros([4, 4])), ['head gradient', '(4,4)', '(4,3)']);
    expectError(() => ex.backward([nd.zeros([4, 3]), nd.zeros([4, 3])]), ['expected 1', 'got 2']);
    // The library keeps working.
    ex.forward({ isTrain: true });
    ex.backward(nd.ones([4, 3]));
    expect(vals(ex.gradDict.fc1_weight).every((v) => v === 0)).toBe(true);
    expect(vals(nd.ones([2]).add(1))).toEqual([2, 2]);
    ex.dispose();
  });

  it('an op error at run time surfaces at the next read and the executor keeps working', () => {
    const x = sym.Variable('x');
    const y = sym.take(sym.Variable('a'), x, { mode: 'raise' });
    const ex = y.bind(here(), { a: nd.array([1, 2, 3]), x: nd.array([0, 5]) });
    let err: unknown = null;
    try {
      ex.forward();
      vals(ex.outputs[0]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(mx.IsotensorError);
    nd.array([0, 2]).copyto(ex.argDict.x);
    ex.forward();
    expect(vals(ex.outputs[0])).toEqual([1, 3]);
    ex.dispose();
  });
});
