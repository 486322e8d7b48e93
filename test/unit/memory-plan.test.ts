// Executor memory planning through the public API: a 20-layer MLP and a ResNet-18-shaped graph
// (conv/BN/relu/residual add) plan at most 60 % of the one-buffer-per-value bytes, give identical
// results with planning on and off (bind flag and ISOTENSOR_NO_MEMORY_PLAN=1), compute in place where
// the op allows, allocate only at bind, and keep memory flat over many forward/backward calls.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { pseudoRandom } from '../helpers/gradcheck';

const { nd } = mx;
const sym: any = mx.sym; // Symbol graphs are built loosely typed here, as in the seeds
type Arr = any;
type Sym = any;

const vals = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);

function mlp20(hidden = 64): Sym {
  let net = sym.Variable('data');
  for (let i = 0; i < 20; i++) {
    net = sym.FullyConnected({ data: net, name: `fc${i}`, numHidden: hidden });
    net = sym.Activation({ data: net, name: `relu${i}`, actType: 'relu' });
  }
  net = sym.FullyConnected({ data: net, name: 'out', numHidden: 10 });
  return sym.SoftmaxOutput({ data: net, name: 'softmax' });
}

function convBN(x: Sym, name: string, ch: number, stride: number, k = 3): Sym {
  const p = (k - 1) / 2;
  const y = sym.Convolution({ data: x, name: `${name}_conv`, kernel: [k, k], stride: [stride, stride], pad: [p, p],
                              numFilter: ch, noBias: true });
  return sym.BatchNorm({ data: y, name: `${name}_bn`, fixGamma: false });
}

// ResNet-18's layout (stem, 4 stages x 2 basic blocks, strided 1x1 projections, global pooling) at
// small widths so it runs quickly everywhere.
function resnet18(widths = [8, 16, 32, 64]): Sym {
  let x = sym.Variable('data');
  x = sym.Activation({ data: convBN(x, 'stem', widths[0]!, 1), actType: 'relu', name: 'stem_relu' });
  let inCh = widths[0]!;
  widths.forEach((ch, s) => {
    for (let b = 0; b < 2; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const name = `s${s}b${b}`;
      let y = sym.Activation({ data: convBN(x, `${name}a`, ch, stride), actType: 'relu', name: `${name}_relu1` });
      y = convBN(y, `${name}b`, ch, 1);
      const shortcut = stride !== 1 || inCh !== ch ? convBN(x, `${name}_down`, ch, stride, 1) : x;
      x = sym.Activation({ data: y.add(shortcut), actType: 'relu', name: `${name}_relu2` });
      inCh = ch;
    }
  });
  x = sym.Pooling({ data: x, globalPool: true, poolType: 'avg', kernel: [1, 1], name: 'gap' });
  x = sym.FullyConnected({ data: sym.Flatten({ data: x, name: 'flat' }), numHidden: 10, name: 'fc' });
  return sym.SoftmaxOutput({ data: x, name: 'softmax' });
}

const paramReqs = (net: Sym): Record<string, string> =>
  Object.fromEntries(net.listArguments().filter((n: string) => n !== 'data' && !n.endsWith('_label'))
    .map((n: string) => [n, 'write']));

/** A bound executor with deterministic inputs and parameters. */
function bindNet(net: Sym, shape: number[], train: boolean, memoryPlan = true): Arr {
  const ex = net.simpleBind(mx.cpu(), { data: shape }, { gradReq: train ? paramReqs(net) : 'null', memoryPlan });
  net.listArguments().forEach((name: string, i: number) => {
    const a = ex.argDict[name];
    let v = pseudoRandom(a.size, 100 + i);
    if (name.endsWith('_label')) v = v.map((x) => Math.floor((x + 1) * 5) % 10);
    else if (name.endsWith('_gamma')) v = v.map((x) => 1 + 0.2 * x);
    else if (name !== 'data') v = v.map((x) => x * 0.3);
    nd.array(v, { shape: a.shape }).copyto(a);
  });
  ex.auxArrays.forEach((a: Arr, i: number) => {
    nd.array(pseudoRandom(a.size, 300 + i).map((x) => (i % 2 === 1 ? 1 + 0.1 * x : 0.1 * x)), { shape: a.shape }).copyto(a);
  });
  return ex;
}

/** Everything a step leaves behind: outputs, gradients and aux states. */
function step(ex: Arr, train: boolean): number[][] {
  ex.forward({ isTrain: train });
  if (train) ex.backward();
  return [...ex.outputs.map(vals), ...Object.values(ex.gradDict).map(vals), ...ex.auxArrays.map(vals)];
}

const cases: Array<[string, () => Sym, number[]]> = [
  ['20-layer MLP', () => mlp20(), [16, 64]],
  ['ResNet-18-shaped', () => resnet18(), [2, 3, 32, 32]],
];

beforeAll(async () => {
  await mx.ready();
  announceBackend('memory-plan');
});

describe.each(cases)('%s', (label, build, shape) => {
  for (const train of [false, true]) {
    const mode = train ? 'training' : 'inference';
    it(`${mode}: planned bytes are at most 60% of the unplanned, with identical results`, () => {
      const net = build();
      const planned = bindNet(net, shape, train);
      const naive = bindNet(net, shape, train, false);
      const p = planned.planStats;
      const n = naive.planStats;
      console.log(`memory-plan: ${label} ${mode}: planned ${p.plannedBytes} B / naive ${p.naiveBytes} B = ` +
                  `${(p.plannedBytes / p.naiveBytes).toFixed(3)} (${p.inplace} in place, ${p.reused} reused, ` +
                  `${p.buffers} buffers)`);
      expect(p.naiveBytes).toBe(n.naiveBytes);
      expect(n.plannedBytes).toBe(n.naiveBytes);
      expect(n.inplace).toBe(0);
      expect(n.reused).toBe(0);
      expect(p.plannedBytes).toBeLessThanOrEqual(0.6 * p.naiveBytes);
      expect(p.inplace).toBeGreaterThan(0);
      expect(p.reused).toBeGreaterThan(0);
      for (let k = 0; k < 2; k++) {
        const a = step(planned, train);
        const b = step(naive, train);
        expect(a.length).toBe(b.length);
        a.forEach((v, i) => expect(v).toEqual(b[i]));
      }
      planned.dispose();
      naive.dispose();
    });
  }
});

describe('plan details', () => {
  it('computes activations in place of their input and shares buffers in inference', () => {
    const net = mlp20();
    const ex = bindNet(net, [4, 64], false);
    const plan = ex.planJSON();
    const relu = plan.entries.filter((e: Arr) => e.op === 'Activation');
    expect(relu.length).toBe(20);
    for (const e of relu) expect(e.inplace_of).toBeGreaterThanOrEqual(0);
    // Inference needs two buffers for the chain, plus the output's own.
    expect(ex.planStats.buffers).toBeLessThanOrEqual(4);
    ex.dispose();
  });

  it('keeps the values backward reads, so backward can run again without a forward', () => {
    const net = mlp20(16);
    const ex = net.simpleBind(mx.cpu(), { data: [4, 16] }, { gradReq: 'add' });
    ex.copyParamsFrom(Object.fromEntries(net.listArguments().filter((n: string) => n.endsWith('weight'))
      .map((n: string, i: number) => [n, nd.array(pseudoRandom(ex.argDict[n].size, i + 1).map((v) => v * 0.5),
                                                   { shape: ex.argDict[n].shape })])));
    nd.array(pseudoRandom(64, 77), { shape: [4, 16] }).copyto(ex.argDict.data);
    ex.forward({ isTrain: true });
    ex.backward();
    const once = vals(ex.gradDict.fc0_weight);
    ex.backward();
    ex.backward();
    const thrice = vals(ex.gradDict.fc0_weight);
    expect(once.some((v) => v !== 0)).toBe(true);
    thrice.forEach((v, i) => expect(Math.abs(v - 3 * once[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v))));
    ex.dispose();
  });

  it('allocates at bind only: planned executors hold less, and memory stays flat over many steps', () => {
    const net = resnet18();
    mx.waitAll();
    const before = mx.memoryInfo().liveBytes;
    const naive = bindNet(net, [2, 3, 32, 32], true, false);
    mx.waitAll();
    const naiveHeld = mx.memoryInfo().liveBytes - before;
    naive.dispose();
    mx.waitAll();
    const base = mx.memoryInfo().liveBytes;
    const ex = bindNet(net, [2, 3, 32, 32], true);
    mx.waitAll();
    const plannedHeld = mx.memoryInfo().liveBytes - base;
    expect(plannedHeld).toBeLessThan(naiveHeld);
    const stats = ex.planStats;
    expect(naiveHeld - plannedHeld).toBeGreaterThanOrEqual(stats.naiveBytes - stats.plannedBytes);
    step(ex, true);
    mx.waitAll();
    const after1 = mx.memoryInfo();
    for (let k = 0; k < 25; k++) {
      ex.forward({ isTrain: true });
      ex.backward();
    }
    mx.waitAll();
    const after26 = mx.memoryInfo();
    expect(after26.liveBytes).toBe(after1.liveBytes);
    expect(after26.liveAllocations).toBe(after1.liveAllocations);
    ex.dispose();
  });

  it('ISOTENSOR_NO_MEMORY_PLAN=1 turns planning off for every bind', () => {
    const bundle = fileURLToPath(new URL('../../dist/index.mjs', import.meta.url));
    const script = `
      import * as mx from ${JSON.stringify(bundle)};
      await mx.ready();
      let x = mx.sym.Variable('data');
      for (let i = 0; i < 4; i++) x = mx.sym.Activation({ data: mx.sym.FullyConnected({ data: x, numHidden: 8 }), actType: 'relu' });
      const ex = x.simpleBind(mx.cpu(), { data: [2, 8] });
      ex.forward();
      console.log(JSON.stringify({ backend: mx.runtimeInfo().backend, stats: ex.planStats }));`;
    const run = (env: Record<string, string>): { backend: string; stats: Record<string, number> } => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, ...env }, encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').pop()!);
    };
    const off = run({ ISOTENSOR_NO_MEMORY_PLAN: '1' });
    const on = run({ ISOTENSOR_NO_MEMORY_PLAN: '0' });
    expect(off.backend).toBe(mx.runtimeInfo().backend);
    expect(off.stats.plannedBytes).toBe(off.stats.naiveBytes);
    expect(off.stats.inplace).toBe(0);
    expect(on.stats.plannedBytes).toBeLessThan(on.stats.naiveBytes);
    expect(on.stats.naiveBytes).toBe(off.stats.naiveBytes);
  });
});
