// mx.lr_scheduler: Factor, MultiFactor, Poly and Cosine schedules with linear and constant warmup,
// worked out by hand from MXNet 1.9's definitions; resuming at a later update; the optimizer's
// learningRate overriding baseLr; schedules driving an optimizer's steps; bad arguments.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { lr_scheduler: sched, nd } = mx;

beforeAll(async () => {
  await mx.ready();
  announceBackend('lr-scheduler');
});

const seq = (s: { call(n: number): number }, from: number, to: number): number[] => {
  const r: number[] = [];
  for (let n = from; n <= to; n++) r.push(s.call(n));
  return r;
};

const expectSeq = (got: number[], want: number[]): void => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g, `entry ${i}`).toBeCloseTo(want[i]!, 12));
};

describe('FactorScheduler', () => {
  it('multiplies by factor once numUpdate passes step, 2*step, ...', () => {
    const s = new sched.FactorScheduler({ step: 2, factor: 0.5, baseLr: 1 });
    expectSeq(seq(s, 1, 7), [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]);
  });

  it('stops at stopFactorLr', () => {
    const s = new sched.FactorScheduler(1, { factor: 0.1, stopFactorLr: 0.005, baseLr: 1 });
    expectSeq(seq(s, 1, 5), [1, 0.1, 0.01, 0.005, 0.005]);
  });

  it('catches up when first called at a later update (resumed training)', () => {
    expect(new sched.FactorScheduler({ step: 2, factor: 0.5, baseLr: 1 }).call(7)).toBe(0.125);
  });

  it('warms up linearly or at a constant rate first', () => {
    const lin = new sched.FactorScheduler({ step: 10, factor: 0.5, baseLr: 1, warmupSteps: 4, warmupBeginLr: 0.2 });
    expectSeq(seq(lin, 0, 5), [0.2, 0.4, 0.6, 0.8, 1, 1]);
    const con = new sched.FactorScheduler({ step: 10, baseLr: 1, warmupSteps: 4, warmupBeginLr: 0.2, warmupMode: 'constant' });
    expectSeq(seq(con, 0, 5), [0.2, 0.2, 0.2, 0.2, 1, 1]);
  });

  it('takes MXNet\'s snake_case names', () => {
    const s = new sched.FactorScheduler({ step: 2, factor: 0.5, base_lr: 4, stop_factor_lr: 1 } as never);
    expectSeq(seq(s, 1, 7), [4, 4, 2, 2, 1, 1, 1]);
  });
});

describe('MultiFactorScheduler', () => {
  it('multiplies by factor after each listed step', () => {
    const s = new sched.MultiFactorScheduler({ step: [3, 5], factor: 0.1, baseLr: 1 });
    expectSeq(seq(s, 1, 8), [1, 1, 1, 0.1, 0.1, 0.01, 0.01, 0.01]);
    expect(new sched.MultiFactorScheduler([3, 5], { factor: 0.1, baseLr: 1 }).call(9)).toBeCloseTo(0.01, 12);
  });

  it('warms up first', () => {
    const s = new sched.MultiFactorScheduler({ step: [4], factor: 0.5, baseLr: 1, warmupSteps: 2 });
    expectSeq(seq(s, 0, 6), [0, 0.5, 1, 1, 1, 0.5, 0.5]);
  });
});

describe('PolyScheduler', () => {
  it('decays polynomially to finalLr at maxUpdate, then stays', () => {
    const s = new sched.PolyScheduler({ maxUpdate: 10, baseLr: 1, pwr: 2, finalLr: 0.1 });
    expect(s.call(0)).toBeCloseTo(1, 12);
    expect(s.call(5)).toBeCloseTo(0.1 + 0.9 * 0.25, 12);
    expect(s.call(10)).toBeCloseTo(0.1, 12);
    expect(s.call(12)).toBeCloseTo(0.1, 12);
    const lin = new sched.PolyScheduler(4, { baseLr: 2, pwr: 1 });
    expectSeq(seq(lin, 0, 5), [2, 1.5, 1, 0.5, 0, 0]);
  });

  it('counts the decay from the end of warmup', () => {
    const s = new sched.PolyScheduler({ maxUpdate: 10, baseLr: 1, pwr: 2, finalLr: 0.1, warmupSteps: 2, warmupBeginLr: 0.5 });
    expectSeq(seq(s, 0, 2), [0.5, 0.75, 1]);
    expect(s.call(6)).toBeCloseTo(0.1 + 0.9 * 0.25, 12);
  });
});

describe('CosineScheduler', () => {
  it('follows half a cosine to finalLr', () => {
    const s = new sched.CosineScheduler({ maxUpdate: 10, baseLr: 1, finalLr: 0.2 });
    expect(s.call(0)).toBeCloseTo(1, 12);
    expect(s.call(5)).toBeCloseTo(0.6, 12);
    expect(s.call(10)).toBeCloseTo(0.2, 12);
    expect(s.call(11)).toBeCloseTo(0.2, 12);
    expect(new sched.CosineScheduler(12, { baseLr: 1 }).call(4)).toBeCloseTo((1 + Math.cos(Math.PI / 3)) / 2, 12);
  });

  it('counts the decay from the end of warmup', () => {
    const s = new sched.CosineScheduler({ maxUpdate: 10, baseLr: 1, warmupSteps: 2 });
    expectSeq(seq(s, 0, 2), [0, 0.5, 1]);
    expect(s.call(6)).toBeCloseTo(0.5, 12);
  });
});

describe('schedulers in optimizers', () => {
  it('set the learning rate of each update from the update count', () => {
    const opt = mx.optimizer.create('sgd', { lrScheduler: new sched.FactorScheduler({ step: 1, factor: 0.5, baseLr: 1 }) });
    const w = nd.array([10]);
    const up = mx.optimizer.getUpdater(opt);
    for (let i = 0; i < 3; i++) up(0, nd.array([1]), w);
    // Updates 1, 2, 3 use 1, 0.5, 0.25.
    expect(w.dataSync()[0]).toBeCloseTo(10 - 1.75, 6);
    expect(opt.learningRate).toBe(0.25);
    expect(() => opt.setLearningRate(0.1)).toThrow(mx.IsotensorError);
  });

  it('take the scheduler\'s baseLr as the learning rate, or override it with learningRate', () => {
    expect(mx.optimizer.create('adam', { lrScheduler: new sched.PolyScheduler({ maxUpdate: 10, baseLr: 0.4 }) }).learningRate)
      .toBe(0.4);
    const poly = new sched.PolyScheduler({ maxUpdate: 10, baseLr: 1, pwr: 1, warmupSteps: 0 });
    const opt = mx.optimizer.create('sgd', { learningRate: 0.2, lrScheduler: poly });
    expect(poly.baseLr).toBe(0.2);
    // The decay starts from the overriding rate (MXNet 1.9 kept decaying from the constructor's).
    expect(poly.call(5)).toBeCloseTo(0.1, 12);
    expect(opt.learningRate).toBeCloseTo(0.2, 12);
  });

  it('accept a plain function of the update count', () => {
    const opt = mx.optimizer.create('sgd', { lrScheduler: (n: number) => 1 / (n + 1) });
    const w = nd.array([0]);
    const up = mx.optimizer.getUpdater(opt);
    for (let i = 0; i < 3; i++) up(0, nd.array([-1]), w);
    expect(w.dataSync()[0]).toBeCloseTo(1 / 2 + 1 / 3 + 1 / 4, 6);
  });
});

describe('bad arguments', () => {
  it('raise IsotensorError naming the problem', () => {
    expect(() => new sched.FactorScheduler({ step: 0 })).toThrow(/step must be at least 1/);
    expect(() => new sched.FactorScheduler({ step: 2, factor: 1.5 })).toThrow(/factor must be at most 1/);
    expect(() => new sched.MultiFactorScheduler({ step: [5, 3] })).toThrow(/steps must increase/);
    expect(() => new sched.MultiFactorScheduler({ step: [] })).toThrow(/non-empty/);
    expect(() => new sched.PolyScheduler({ maxUpdate: 0 })).toThrow(/maxUpdate must be a positive integer/);
    expect(() => new sched.CosineScheduler({ maxUpdate: 2.5 })).toThrow(mx.IsotensorError);
    expect(() => new sched.FactorScheduler({ step: 2, baseLr: 0.1, warmupBeginLr: 0.5 })).toThrow(/warmupBeginLr/);
    expect(() => new sched.FactorScheduler({ step: 2, warmupSteps: -1 })).toThrow(/warmupSteps/);
    expect(() => new sched.FactorScheduler({ step: 2, warmupMode: 'cubic' as never })).toThrow(/warmupMode/);
    expect(() => new sched.LRScheduler().call(1)).toThrow(/overridden/);
  });
});
