// gluon.loss: every loss's value and gradients against its reference formula (PyTorch, float64), imperative and
// hybridized, with sample weights, weights, batch axes, label layouts and lengths; aliases, printing, bad input.
//
// test/fixtures/gluon-layers/loss.json comes from test/fixtures/gluon-layers/gen_gluon_layers.py.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { expectError } from '../helpers/errors';
import { expectClose, fromFixture, type FixtureArray } from '../helpers/gluon-fixtures';

const { nd, gluon, autograd } = mx;
const { loss } = gluon;
type Arr = any;

interface LossCase {
  name: string;
  loss: string;
  opts: Record<string, unknown>;
  tol: number;
  inputs: (FixtureArray | null)[];
  gradOf: number[];
  outputs: FixtureArray[];
  heads: FixtureArray[];
  inputGrads: (FixtureArray | null)[];
}

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/gluon-layers/loss.json', import.meta.url), 'utf8')) as
  { cases: LossCase[] };

beforeAll(async () => {
  await mx.ready();
  announceBackend('gluon-loss');
});

function runCase(c: LossCase, hybridize: boolean): void {
  const Cls = (loss as Record<string, any>)[c.loss];
  expect(Cls, `gluon.loss.${c.loss}`).toBeTypeOf('function');
  const l = new Cls(c.opts);
  if (hybridize) l.hybridize();
  const inputs = c.inputs.map((a) => (a === null ? undefined : fromFixture(a)));
  for (const i of c.gradOf) inputs[i]!.attachGrad();
  const out = autograd.record(() => l.forward(...inputs));
  out.backward(fromFixture(c.heads[0]!));
  const tag = `${c.name}${hybridize ? ' (hybridized)' : ''}`;
  expectClose(out, c.outputs[0]!, c.tol, `${tag}: loss`);
  for (const i of c.gradOf) expectClose(inputs[i]!.grad, c.inputGrads[i]!, c.tol, `${tag}: d input ${i}`);
}

describe('losses against reference formulas (imperative)', () => {
  for (const c of fixtures.cases) it(c.name, () => runCase(c, false));
});

describe('losses against reference formulas (hybridized)', () => {
  for (const c of fixtures.cases) it(c.name, () => runCase(c, true));
});

describe('loss API', () => {
  it('aliases, defaults and printing follow MXNet', () => {
    expect(loss.SoftmaxCELoss).toBe(loss.SoftmaxCrossEntropyLoss);
    expect(loss.SigmoidBCELoss).toBe(loss.SigmoidBinaryCrossEntropyLoss);
    expect(new loss.L2Loss().toString()).toBe('L2Loss(batch_axis=0, w=1)');
    expect(new loss.L1Loss({ batchAxis: 1 }).toString()).toBe('L1Loss(batch_axis=1, w=None)');
    expect(new loss.CTCLoss({ labelLayout: 'TN' }).batchAxis).toBe(1);
    expect(new loss.KLDivLoss().fromLogits).toBe(true);
    expect(new loss.HuberLoss().rho).toBe(1);
  });

  it('sample weights broadcast per sample and zero a sample out', () => {
    const pred = nd.array([[1, 2], [3, 4], [5, 6]]);
    const label = nd.zeros([3, 2]);
    const w = nd.array([[1], [0], [2]]);
    const v = Array.from(new loss.L1Loss().forward(pred, label, w).dataSync());
    expect(v).toEqual([1.5, 0, 11]);
    const h = Array.from(new loss.HingeLoss().forward(pred.neg(), nd.onesLike(pred), w).dataSync());
    expect(h).toEqual([2.5, 0, 13]);
  });

  it('a training step through a loss keeps memory flat', () => {
    const l = new loss.SigmoidBinaryCrossEntropyLoss();
    const pred = nd.random.uniform({ shape: [8, 4] });
    const label = nd.ones([8, 4]);
    pred.attachGrad();
    const step = (): void => {
      const out = autograd.record(() => l.forward(pred, label));
      out.backward();
      out.dispose();
    };
    for (let i = 0; i < 5; i++) step();
    mx.waitAll();
    const before = mx.memoryInfo();
    for (let i = 0; i < 50; i++) step();
    mx.waitAll();
    const after = mx.memoryInfo();
    expect(after.liveArrays).toBe(before.liveArrays);
    expect(after.liveBytes).toBe(before.liveBytes);
  });
});

describe('bad input', () => {
  it('mismatched shapes name the loss and the shapes', () => {
    const l2 = new loss.L2Loss();
    expectError(() => l2.forward(nd.ones([4, 3]), nd.ones([5])), 'L2Loss', l2.name, '(4, 3)', '(5,)');
    const ce = new loss.SoftmaxCrossEntropyLoss();
    expectError(() => ce.forward(nd.ones([4, 3]), nd.ones([5])), 'SoftmaxCrossEntropyLoss', '(4, 3)', '(5,)');
    const tr = new loss.TripletLoss();
    expectError(() => tr.forward(nd.ones([2, 3]), nd.ones([2, 3]), nd.ones([2, 4])), 'TripletLoss', '(2, 4)');
    const ctc = new loss.CTCLoss();
    expectError(() => ctc.forward(nd.ones([2, 5, 4]), nd.ones([3, 2])), 'CTCLoss', '(2, 5, 4)', '(3, 2)');
    const bce = new loss.SigmoidBinaryCrossEntropyLoss();
    bce.hybridize();
    expectError(() => bce.forward(nd.ones([2, 3]), nd.ones([2, 2])), 'SigmoidBinaryCrossEntropyLoss', '(2, 2)');
  });

  it('bad options', () => {
    expectError(() => new loss.LogisticLoss({ labelFormat: 'other' as Arr }), 'LogisticLoss', 'labelFormat');
    expectError(() => new loss.CTCLoss({ layout: 'CTN' as Arr }), 'CTCLoss', 'CTN');
    expectError(() => new loss.CTCLoss({ labelLayout: 'NN' as Arr }), 'CTCLoss', 'NN');
    expectError(() => new loss.L1Loss({ weight: '2' as Arr }), 'L1Loss', 'weight');
  });
});
