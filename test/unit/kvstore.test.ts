// mx.kv: the seed's "Distributed Key-value Store" examples with its printed numbers (its mx.gpu(i)
// devices are cpu(i) here: several CPU contexts act as devices), list and string keys, MXNet's
// key order, where 'local' and 'device' sum, updaters and optimizers on push (trajectories against
// PyTorch over 4 devices), optimizer states saved and restored, row-sparse pulls on dense arrays,
// engine-only aggregation, flat memory over many push/pulls, and errors naming key and shapes.
//
// test/fixtures/kvstore/kvstore.json is written by test/fixtures/kvstore/gen_kvstore.py.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { nd } = mx;
type Arr = any; // an NDArray; kept loose so the spec does not depend on the .d.ts details

interface Fixture {
  shapes: number[][];
  devices: number;
  weights: number[][];
  grads: number[][][][]; // [step][key][device] flat
  cases: { optimizer: string; options: Record<string, number>; expected: number[][][] }[]; // [step][key]
  reference: string;
}
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/kvstore/kvstore.json', import.meta.url)), 'utf8'),
) as Fixture;

let tmp = '';
beforeAll(async () => {
  await mx.ready();
  announceBackend('kvstore');
  tmp = mkdtempSync(join(tmpdir(), 'isotensor-kv-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const values = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);
const filled = (v: number) => [[v, v, v], [v, v, v]];
const gpus = [0, 1, 2, 3].map((i) => mx.cpu(i)); // the seed's [mx.gpu(i) for i in range(4)]

function expectClose(got: Arr, want: number[], tol: number, what: string): void {
  const g = values(got);
  expect(g.length).toBe(want.length);
  let worst = 0;
  g.forEach((x, i) => { worst = Math.max(worst, Math.abs(x - want[i]!) / (1 + Math.abs(want[i]!))); });
  expect(worst, `${what}: worst relative error ${worst}`).toBeLessThanOrEqual(tol);
}

describe('seed: Distributed Key-value Store', () => {
  // One store through the whole section, as the seed's session uses one `kv`.
  const shape = [2, 3];
  const printed: string[] = [];
  let kv: Arr;
  let a: Arr;

  it('Initialization: init(3, ones*2) then pull into a', () => {
    kv = mx.kv.create('local'); // create a local kv store.
    kv.init(3, nd.ones(shape).mul(2));
    a = nd.zeros(shape);
    kv.pull(3, { out: a });
    expect(a.toArraySync()).toEqual(filled(2));
  });

  it('Push: a new value replaces the stored one', () => {
    kv.push(3, nd.ones(shape).mul(8));
    kv.pull(3, { out: a }); // pull out the value
    expect(a.toArraySync()).toEqual(filled(8));
  });

  it('Aggregation: values pushed from 4 devices are summed first', () => {
    const b = gpus.map((g) => nd.ones(shape, g));
    kv.push(3, b);
    kv.pull(3, { out: a });
    expect(a.toArraySync()).toEqual(filled(4));
  });

  it('Updater: stored += input * 2 runs on push, printing the key', () => {
    const update = (key: number, input: Arr, stored: Arr): void => {
      printed.push(`update on key: ${key}`);
      stored.iadd(input.mul(2));
    };
    kv._setUpdater(update);
    kv.pull(3, { out: a });
    expect(a.toArraySync()).toEqual(filled(4));
    kv.push(3, nd.ones(shape));
    expect(printed).toEqual(['update on key: 3']);
    kv.pull(3, { out: a });
    expect(a.toArraySync()).toEqual(filled(6));
  });

  it('Pull: into several devices by a single call', () => {
    const b = gpus.map((g) => nd.ones(shape, g));
    kv.pull(3, { out: b });
    expect(b[1].toArraySync()).toEqual(filled(6));
    expect(b[1].context.toString()).toBe('cpu(1)');
    for (const x of b) expect(x.toArraySync()).toEqual(filled(6));
  });

  it('a list of key-value pairs on a single device', () => {
    printed.length = 0;
    const keys = [5, 7, 9];
    kv.init(keys, keys.map(() => nd.ones(shape)));
    const one = nd.ones(shape);
    kv.push(keys, keys.map(() => one)); // [mx.nd.ones(shape)]*len(keys): the same array thrice
    expect(printed).toEqual(['update on key: 5', 'update on key: 7', 'update on key: 9']);
    const z = nd.zeros(shape);
    const b = keys.map(() => z); // [mx.nd.zeros(shape)]*len(keys)
    kv.pull(keys, { out: b });
    expect(b[1].toArraySync()).toEqual(filled(3));
  });

  it('a list of key-value pairs on multiple devices', () => {
    printed.length = 0;
    const keys = [5, 7, 9];
    const row = gpus.map((g) => nd.ones(shape, g));
    const b = keys.map(() => row); // [[mx.nd.ones(shape, gpu) for gpu in gpus]] * len(keys)
    kv.push(keys, b);
    expect(printed).toEqual(['update on key: 5', 'update on key: 7', 'update on key: 9']);
    kv.pull(keys, { out: b });
    expect(b[1][1].toArraySync()).toEqual(filled(11));
    expect(b[1][1].context.toString()).toBe('cpu(1)');
  });

  it('the same section on a "device" store prints the same numbers', () => {
    const d = mx.kv.create('device');
    const log: string[] = [];
    d.init(3, nd.ones(shape).mul(2));
    const out = nd.zeros(shape);
    d.pull(3, out);
    expect(out.toArraySync()).toEqual(filled(2));
    d.push(3, nd.ones(shape).mul(8));
    d.pull(3, out);
    expect(out.toArraySync()).toEqual(filled(8));
    d.push(3, gpus.map((g) => nd.ones(shape, g)));
    d.pull(3, out);
    expect(out.toArraySync()).toEqual(filled(4));
    d.setUpdater((key: number, input: Arr, stored: Arr) => { log.push(`update on key: ${key}`); stored.iadd(input.mul(2)); });
    d.push(3, nd.ones(shape));
    d.pull(3, out);
    expect(out.toArraySync()).toEqual(filled(6));
    const keys = [5, 7, 9];
    d.init(keys, keys.map(() => nd.ones(shape)));
    d.push(keys, keys.map(() => nd.ones(shape)));
    const row = gpus.map((g) => nd.ones(shape, g));
    const b = keys.map(() => row);
    d.push(keys, b);
    d.pull(keys, { out: b });
    expect(b[1][1].toArraySync()).toEqual(filled(11));
    expect(log).toEqual(['update on key: 3', ...Array(2).fill(keys.map((k) => `update on key: ${k}`)).flat()]);
    d.dispose();
  });
});

describe('store properties and names', () => {
  it('type, rank, numWorkers, barrier, isCapable', () => {
    for (const t of ['local', 'device', 'local_update_cpu', 'local_allreduce_cpu', 'local_allreduce_device']) {
      const kv = mx.kv.create(t);
      expect(kv.type).toBe(t);
      expect(kv.rank).toBe(0);
      expect(kv.numWorkers).toBe(1);
      kv.barrier();
      expect(kv.isCapable(mx.kv.KVStore.OPTIMIZER)).toBe(true);
      kv.dispose();
    }
    expect(mx.kv.create().type).toBe('local');
    expect(mx.kvstore.create).toBe(mx.kv.create);
  });

  it('refuses distributed and unknown stores with a clear error', () => {
    for (const t of ['dist_sync', 'dist_async', 'dist_sync_device', 'dist_device_sync', 'dist']) {
      expect(() => mx.kv.create(t)).toThrow(mx.IsotensorError);
      expect(() => mx.kv.create(t)).toThrow(/distributed stores are not available/);
    }
    expect(() => mx.kv.create('nccl')).toThrow(/'nccl' is not available/);
    expect(() => mx.kv.create('locale')).toThrow(/unknown store type 'locale'/);
    expect(() => mx.kv.create(3 as never)).toThrow(/must be a string/);
  });
});

describe('keys and values', () => {
  const shape = [2, 2];

  it('equal keys in one call are summed like a list of values; pull(key, out) works', () => {
    const kv = mx.kv.create('local');
    kv.init(0, nd.zeros(shape));
    kv.push([0, 0], [nd.ones(shape), nd.full(shape, 2)]);
    const o = nd.zeros(shape);
    kv.pull(0, o);
    expect(values(o)).toEqual([3, 3, 3, 3]);
    kv.pull([0], [[o]]);
    expect(values(o)).toEqual([3, 3, 3, 3]);
  });

  it('the stored value is a copy: changing the pushed or init array later changes nothing', () => {
    const kv = mx.kv.create('local');
    const w = nd.ones(shape);
    kv.init('w', w);
    w.set(7);
    const g = nd.full(shape, 5);
    kv.push('w', g);
    g.set(9);
    const o = nd.zeros(shape);
    kv.pull('w', { out: o });
    expect(values(o)).toEqual([5, 5, 5, 5]);
  });

  it('string keys: the updater gets the string, keys run in init order', () => {
    const kv = mx.kv.create('local');
    kv.init(['fc_weight', 'conv_weight', 'bias'], [nd.ones(shape), nd.ones(shape), nd.ones(shape)]);
    const seen: Array<[string, number]> = [];
    kv.setUpdater((key: string, input: Arr, stored: Arr) => {
      seen.push([key, values(input)[0]!]);
      stored.iadd(input);
    });
    kv.push(['bias', 'fc_weight', 'conv_weight'], [nd.full(shape, 3), nd.full(shape, 1), nd.full(shape, 2)]);
    expect(seen).toEqual([['fc_weight', 1], ['conv_weight', 2], ['bias', 3]]);
    const outs = [nd.zeros(shape), nd.zeros(shape)];
    kv.pull(['bias', 'fc_weight'], { out: outs });
    expect(values(outs[0])).toEqual([4, 4, 4, 4]);
    expect(values(outs[1])).toEqual([2, 2, 2, 2]);
  });

  it('integer keys run in ascending order whatever the call order', () => {
    const kv = mx.kv.create('device');
    kv.init([30, 2, 11], [nd.ones([1]), nd.ones([1]), nd.ones([1])]);
    const order: number[] = [];
    kv.setUpdater((key: number) => { order.push(key); });
    kv.push([11, 30, 2], [nd.ones([1]), nd.ones([1]), nd.ones([1])]);
    expect(order).toEqual([2, 11, 30]);
  });

  it('pushPull writes the aggregate back into the pushed arrays, or into out', () => {
    const kv = mx.kv.create('local');
    kv.init(1, nd.zeros(shape));
    const grads = gpus.slice(0, 3).map((g, i) => nd.full(shape, i + 1, g));
    kv.pushPull(1, grads);
    for (const g of grads) expect(values(g)).toEqual([6, 6, 6, 6]);
    const outs = gpus.slice(0, 2).map((g) => nd.zeros(shape, g));
    kv.pushPull(1, [nd.ones(shape, gpus[2]), nd.ones(shape, gpus[3])], { out: outs });
    for (const o of outs) expect(values(o)).toEqual([2, 2, 2, 2]);
  });

  it('gradient aggregation for data parallelism: every device pulls the sum of all devices', () => {
    for (const type of ['local', 'device']) {
      const kv = mx.kv.create(type);
      const shapes = [[3, 4], [5]];
      shapes.forEach((s, k) => kv.init(k, nd.zeros(s)));
      const grads = shapes.map((s, k) => gpus.map((g, d) => nd.arange(0, s.reduce((x, y) => x * y), 1, { ctx: g })
        .reshape(s).mul(d + 1).add(k)));
      const want = shapes.map((s, k) => {
        const n = s.reduce((x, y) => x * y);
        return Array.from({ length: n }, (_, i) => 10 * i + 4 * k); // sum over d of (i * (d + 1) + k)
      });
      shapes.forEach((_, k) => kv.push(k, grads[k], { priority: -k }));
      shapes.forEach((_, k) => kv.pull(k, { out: grads[k], priority: -k }));
      grads.forEach((per, k) => per.forEach((g: Arr, d: number) => {
        expect(g.context.toString()).toBe(`cpu(${d})`);
        expect(values(g), `${type} key ${k} device ${d}`).toEqual(want[k]);
      }));
      kv.dispose();
    }
  });

  it('integer dtypes aggregate too', () => {
    const kv = mx.kv.create('device');
    kv.init(0, nd.zeros([3], { dtype: 'int32' }));
    kv.push(0, gpus.map((g, i) => nd.full([3], i, { ctx: g, dtype: 'int32' })));
    const o = nd.zeros([3], { dtype: 'int32' });
    kv.pull(0, o);
    expect(values(o)).toEqual([6, 6, 6]);
    expect(o.dtype).toBe('int32');
  });
});

describe('where the sums run', () => {
  it("'local' sums on cpu(0) and keeps values there", () => {
    const kv = mx.kv.create('local');
    kv.init(0, nd.ones([4], gpus[2]));
    const seen: string[] = [];
    kv.setUpdater((_k: number, input: Arr, stored: Arr) => {
      seen.push(`${input.context} ${stored.context}`);
      stored.iadd(input);
    });
    kv.push(0, [nd.ones([4], gpus[1]), nd.ones([4], gpus[3])]);
    kv.push(0, nd.ones([4], gpus[2]));
    expect(seen).toEqual(['cpu(0) cpu(0)', 'cpu(0) cpu(0)']);
    const o = nd.zeros([4], gpus[3]);
    kv.pull(0, o);
    expect(values(o)).toEqual([4, 4, 4, 4]);
  });

  it("'device' sums each key on one of its pushing devices, spreading keys by size", () => {
    const kv = mx.kv.create('device');
    const sizes: Record<string, number> = { big: 64, mid: 32, small: 8, tiny: 4 };
    const keys = Object.keys(sizes);
    kv.init(keys, keys.map((k) => nd.zeros([sizes[k]!])));
    const seen = new Map<string, string>();
    kv.setUpdater((key: string, input: Arr, stored: Arr) => {
      expect(input.context.equals(stored.context)).toBe(true);
      seen.set(key, stored.context.toString());
      stored.iadd(input);
    });
    const devs = [gpus[1], gpus[2]];
    kv.push(keys, keys.map((k) => devs.map((g) => nd.ones([sizes[k]!], g))));
    // Bigger keys choose first, each taking the device with fewer bytes so far:
    // big → cpu(1); mid → cpu(2); small → cpu(2) (128 vs 256 bytes); tiny → cpu(2) (160 vs 256).
    expect(Object.fromEntries(seen)).toEqual({ big: 'cpu(1)', mid: 'cpu(2)', small: 'cpu(2)', tiny: 'cpu(2)' });
    // The placement stays for later pushes, from any devices.
    kv.push('big', [nd.ones([64], gpus[0]), nd.ones([64], gpus[3]), nd.ones([64], gpus[2])]);
    expect(seen.get('big')).toBe('cpu(1)');
    const outs = gpus.map((g) => nd.zeros([64], g));
    kv.pull('big', { out: outs });
    for (const o of outs) expect(values(o)).toEqual(Array(64).fill(5));
  });

  it('push and pull only queue engine ops: copies between devices and one add_n per key', () => {
    const kv = mx.kv.create('local');
    kv.init(0, nd.zeros([8]));
    const grads = gpus.map((g) => nd.ones([8], g));
    const outs = gpus.map((g) => nd.zeros([8], g));
    mx.waitAll();
    mx.engine.setTrace(true);
    kv.push(0, grads);
    kv.pull(0, { out: outs });
    mx.waitAll();
    const ops = mx.engine.takeTrace().map((e) => e.op);
    mx.engine.setTrace(false);
    // 3 copies to cpu(0), the sum, the assignment to the stored value, 4 copies out.
    const count = (name: string) => ops.filter((o) => o === name).length;
    expect(count('add_n')).toBe(1);
    expect(count('copyto')).toBe(3 + 1 + 4);
    expect(ops.length).toBe(9);
    for (const o of outs) expect(values(o)).toEqual(Array(8).fill(4));
  });
});

describe('optimizer on the store (against PyTorch over 4 devices)', () => {
  for (const type of ['local', 'device']) {
    for (const c of fixture.cases) {
      it(`${type}: ${c.optimizer} ${JSON.stringify(c.options)} for ${c.expected.length} steps (${fixture.reference})`, () => {
        const kv = mx.kv.create(type);
        const opt = mx.optimizer.create(c.optimizer, c.options as never);
        kv.setOptimizer(opt);
        expect(kv.optimizer).toBe(opt);
        const keys = fixture.shapes.map((_, k) => k);
        kv.init(keys, fixture.shapes.map((s, k) => nd.array(fixture.weights[k]!, { shape: s })));
        const weights = fixture.shapes.map((s) => gpus.map((g) => nd.zeros(s, g)));
        fixture.grads.forEach((step, t) => {
          mx.scope(() => {
            const grads = step.map((perKey, k) => perKey.map((g, d) => nd.array(g, { shape: fixture.shapes[k], ctx: gpus[d] })));
            kv.push(keys, grads);
            kv.pull(keys, { out: weights });
          });
          keys.forEach((k) => weights[k]!.forEach((w: Arr, d: number) =>
            expectClose(w, c.expected[t]![k]!, 2e-5, `step ${t + 1} key ${k} device ${d}`)));
        });
        kv.dispose();
      });
    }
  }

  it('saveOptimizerStates/loadOptimizerStates continue the same trajectory; dumpOptimizer restores the optimizer', async () => {
    const c = fixture.cases.find((x) => x.optimizer === 'sgd')!;
    const shapes = fixture.shapes;
    const keys = shapes.map((_, k) => k);
    const gradsAt = (t: number) => fixture.grads[t]!.map((perKey, k) =>
      perKey.map((g, d) => nd.array(g, { shape: shapes[k], ctx: gpus[d] })));
    const a = mx.kv.create('device');
    a.setOptimizer(mx.optimizer.create('sgd', c.options as never));
    a.init(keys, shapes.map((s, k) => nd.array(fixture.weights[k]!, { shape: s })));
    for (let t = 0; t < 3; t++) a.push(keys, gradsAt(t));
    const w3 = shapes.map((s) => nd.zeros(s));
    a.pull(keys, { out: w3 });
    const file = join(tmp, 'kv.states');
    await a.saveOptimizerStates(file);
    const bytes = a.getOptimizerStates(true);

    // b: fresh store at step 3's weights, plain SGD loaded with a's momentum from the file.
    const b = mx.kv.create('local');
    b.setOptimizer(mx.optimizer.create('sgd', c.options as never));
    b.init(keys, w3);
    await b.loadOptimizerStates(file);
    // e: a store whose optimizer comes from the bytes (dumpOptimizer: the settings and counts).
    const e = mx.kv.create('local');
    e.setOptimizer(mx.optimizer.create('sgd', { learningRate: 123 }));
    e.init(keys, w3);
    e.setOptimizerStates(bytes);
    expect(e.optimizer!.learningRate).toBeCloseTo(0.1, 12);
    for (let t = 3; t < fixture.grads.length; t++) {
      for (const s of [a, b, e]) s.push(keys, gradsAt(t));
    }
    const last = c.expected[c.expected.length - 1]!;
    for (const s of [a, b, e]) {
      const out = shapes.map((sh) => nd.zeros(sh));
      s.pull(keys, { out });
      out.forEach((o, k) => expectClose(o, last[k]!, 2e-5, `key ${k}`));
    }
    // Without momentum states (a fresh optimizer) the end point differs: the load mattered.
    const f = mx.kv.create('local');
    f.setOptimizer(mx.optimizer.create('sgd', c.options as never));
    f.init(keys, w3);
    for (let t = 3; t < fixture.grads.length; t++) f.push(keys, gradsAt(t));
    const o0 = nd.zeros(shapes[0]!);
    f.pull(0, o0);
    expect(Math.max(...values(o0).map((x, i) => Math.abs(x - last[0]![i]!)))).toBeGreaterThan(1e-3);
  });
});

describe('rowSparsePull on dense arrays', () => {
  const stored = [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]];

  it('pulls the listed rows and zeros the others, per output', () => {
    for (const type of ['local', 'device']) {
      const kv = mx.kv.create(type);
      kv.init('emb', nd.array(stored));
      const o = nd.full([5, 2], 9);
      kv.rowSparsePull('emb', { out: o, rowIds: [3, 0, 3] });
      expect(o.toArraySync()).toEqual([[1, 1], [0, 0], [0, 0], [4, 4], [0, 0]]);
      const outs = [nd.zeros([5, 2], gpus[1]), nd.zeros([5, 2], gpus[2])];
      kv.rowSparsePull('emb', { out: outs, rowIds: [nd.array([1], { ctx: gpus[1] }), nd.array([2, 4], { dtype: 'int64' })] });
      expect(outs[0].toArraySync()).toEqual([[0, 0], [2, 2], [0, 0], [0, 0], [0, 0]]);
      expect(outs[1].toArraySync()).toEqual([[0, 0], [0, 0], [3, 3], [0, 0], [5, 5]]);
      kv.rowSparsePull('emb', { out: outs, rowIds: nd.array([4]) }); // one set for every output
      for (const x of outs) expect(x.toArraySync()).toEqual([[0, 0], [0, 0], [0, 0], [0, 0], [5, 5]]);
      kv.rowSparsePull('emb', { out: o, rowIds: [] });
      expect(values(o)).toEqual(Array(10).fill(0));
      kv.dispose();
    }
  });

  it('lists of keys, after pushes moved a "device" key to its reduction device', () => {
    const kv = mx.kv.create('device');
    kv.init([0, 1], [nd.array(stored), nd.zeros([3, 2])]);
    kv.push(1, [nd.ones([3, 2], gpus[2]), nd.ones([3, 2], gpus[3])]); // key 1 now lives on cpu(2)
    const outs = [nd.zeros([5, 2], gpus[1]), nd.zeros([3, 2], gpus[1])];
    kv.rowSparsePull([0, 1], { out: outs, rowIds: [[4], nd.array([0, 2], { ctx: gpus[3] })] });
    expect(outs[0].toArraySync()).toEqual([[0, 0], [0, 0], [0, 0], [0, 0], [5, 5]]);
    expect(outs[1].toArraySync()).toEqual([[2, 2], [0, 0], [2, 2]]);
  });

  it('rejects missing row ids, rows out of range, 2-d row ids and 0-d values', () => {
    const kv = mx.kv.create('local');
    kv.init(0, nd.array(stored));
    kv.init(1, nd.array(3));
    const o = nd.zeros([5, 2]);
    expect(() => kv.rowSparsePull(0, { out: o } as never)).toThrow(/'rowIds' is required/);
    expect(() => kv.rowSparsePull(0, { out: o, rowIds: [5] })).toThrow(/row id 5 is not a row of the stored value \(shape \(5, 2\)\)/);
    expect(() => kv.rowSparsePull(0, { out: o, rowIds: [1.5] })).toThrow(mx.IsotensorError);
    expect(() => kv.rowSparsePull(0, { out: o, rowIds: nd.zeros([1, 2]) })).toThrow(/rowIds must be 1-d/);
    expect(() => kv.rowSparsePull(1, { out: nd.zeros([]), rowIds: [0] })).toThrow(/0-d value/);
    expect(() => kv.rowSparsePull(0, { out: [o, o], rowIds: [[0], [1], [2]] })).toThrow(/2 outputs but 3 row id sets/);
  });
});

describe('errors', () => {
  it('uninitialized keys, duplicate init, several init values', () => {
    const kv = mx.kv.create('local');
    expect(() => kv.push(3, nd.ones([2]))).toThrow(/KVStore.push: key 3 has not been initialized/);
    expect(() => kv.pull('w', { out: nd.ones([2]) })).toThrow(/KVStore.pull: key 'w' has not been initialized/);
    kv.init(3, nd.ones([2]));
    expect(() => kv.init(3, nd.ones([2]))).toThrow(/duplicate init of key 3/);
    expect(() => kv.init(4, [nd.ones([2]), nd.ones([2])])).toThrow(/key 4 got 2 values; init takes one value per key/);
  });

  it('shape and dtype mismatches name the key, the argument and the shapes', () => {
    const kv = mx.kv.create('device');
    kv.init(3, nd.ones([2, 3]));
    expect(() => kv.push(3, nd.ones([3, 2]))).toThrow(
      /KVStore.push: key 3: value has shape \(3, 2\) but the stored value has shape \(2, 3\)/);
    expect(() => kv.push(3, [nd.ones([2, 3]), nd.ones([6], gpus[1])])).toThrow(
      /key 3: value 1 has shape \(6,\) but the stored value has shape \(2, 3\)/);
    expect(() => kv.pull(3, { out: [nd.zeros([2, 3]), nd.zeros([2, 2])] })).toThrow(
      /KVStore.pull: key 3: out\[1\] has shape \(2, 2\)/);
    expect(() => kv.push(3, nd.ones([2, 3], { dtype: 'float16' }))).toThrow(
      /key 3: value has dtype float16 but the stored value is float32/);
    // A failed call changes nothing.
    const o = nd.zeros([2, 3]);
    kv.pull(3, o);
    expect(values(o)).toEqual(Array(6).fill(1));
  });

  it('mixed key kinds, mismatched list lengths, bad keys and values', () => {
    const kv = mx.kv.create('local');
    expect(() => kv.init([1, 'a'], [nd.ones([1]), nd.ones([1])])).toThrow(/keys mix integers and strings/);
    kv.init([1, 2], [nd.ones([1]), nd.ones([1])]);
    expect(() => kv.init('a', nd.ones([1]))).toThrow(/key 'a' is a string but this store uses integer keys/);
    expect(() => kv.push([1, 2], [nd.ones([1])])).toThrow(/2 keys but 1 values/);
    expect(() => kv.push([1, 2], nd.ones([1]))).toThrow(/2 keys need a list of 2 values/);
    expect(() => kv.push(1.5, nd.ones([1]))).toThrow(/a key must be an integer or a string, got 1.5/);
    expect(() => kv.push(1, [1, 2] as never)).toThrow(/value for key 1 must be an NDArray or a non-empty list/);
    expect(() => kv.push(1, [])).toThrow(/non-empty list/);
    expect(() => kv.push([], [])).toThrow(/the list of keys is empty/);
    expect(() => kv.pull(1)).toThrow(/'out' is required/);
    expect(() => kv.push(1, nd.ones([1]), { priority: 0.5 })).toThrow(/priority must be an integer/);
  });

  it('updaters and optimizers', async () => {
    const kv = mx.kv.create('local');
    kv.init(0, nd.ones([2]));
    expect(() => kv.setUpdater(3 as never)).toThrow(/must be a function/);
    expect(() => kv.setOptimizer('sgd' as never)).toThrow(/expected an mx.optimizer.Optimizer/);
    expect(() => kv.getOptimizerStates()).toThrow(/no optimizer on this store \(call setOptimizer first\)/);
    await expect(kv.saveOptimizerStates(join(tmp, 'x'))).rejects.toThrow(/no optimizer/);
    kv.setUpdater(async () => {});
    expect(() => kv.push(0, nd.ones([2]))).toThrow(/returned a Promise/);
    kv.setUpdater(() => { throw new Error('boom'); });
    expect(() => kv.push(0, nd.ones([2]))).toThrow('boom');
    expect(() => kv.setGradientCompression({ type: '2bit' })).toThrow(/not available/);
    kv.dispose();
    expect(() => kv.push(0, nd.ones([2]))).toThrow(/the store was disposed/);
  });
});

describe('memory', () => {
  it('stays flat over 500 push/pull rounds (updater, optimizer, both store types)', () => {
    for (const type of ['local', 'device']) {
      for (const mode of ['assign', 'updater', 'optimizer']) {
        const kv = mx.kv.create(type);
        const shapes = [[16, 8], [8]];
        shapes.forEach((s, k) => kv.init(k, nd.zeros(s)));
        if (mode === 'updater') kv.setUpdater((_k: number, input: Arr, stored: Arr) => { stored.iadd(input.mul(0.01)); });
        if (mode === 'optimizer') kv.setOptimizer(mx.optimizer.create('adam', { learningRate: 0.001 }));
        const grads = shapes.map((s) => gpus.map((g) => nd.ones(s, g)));
        const outs = shapes.map((s) => gpus.map((g) => nd.zeros(s, g)));
        const round = () => {
          kv.push([0, 1], grads);
          kv.pull([0, 1], { out: outs });
          kv.rowSparsePull(0, { out: outs[0]![0], rowIds: [1, 3] });
        };
        round();
        mx.waitAll();
        const before = gpus.map((g) => mx.memoryInfo(g));
        for (let i = 0; i < 500; i++) round();
        mx.waitAll();
        const after = gpus.map((g) => mx.memoryInfo(g));
        gpus.forEach((_, d) => {
          expect(after[d]!.liveBytes, `${type}/${mode} cpu(${d}) bytes`).toBe(before[d]!.liveBytes);
          expect(after[d]!.liveAllocations, `${type}/${mode} cpu(${d}) allocations`).toBe(before[d]!.liveAllocations);
        });
        expect(after[0]!.liveArrays, `${type}/${mode} live arrays`).toBe(before[0]!.liveArrays);
        kv.dispose();
      }
    }
  });

  it('dispose frees the stored values, buffers and optimizer states', () => {
    mx.waitAll();
    const before = mx.memoryInfo();
    const kv = mx.kv.create('local');
    kv.setOptimizer(mx.optimizer.create('sgd', { momentum: 0.9 }));
    const w0 = nd.zeros([32]);
    kv.init(0, w0);
    w0.dispose();
    const g = [nd.ones([32]), nd.ones([32], gpus[1])];
    kv.push(0, g);
    mx.waitAll();
    expect(mx.memoryInfo().liveArrays).toBeGreaterThan(before.liveArrays + 2);
    kv.dispose();
    g.forEach((x) => x.dispose());
    mx.waitAll();
    expect(mx.memoryInfo().liveArrays).toBe(before.liveArrays);
    expect(mx.memoryInfo().liveBytes).toBe(before.liveBytes);
  });

  it('push and pull inside autograd.record are not recorded (no gradient flows through the store)', () => {
    // Recorded copies would route d(5 * sum(out))/dx = 10 through the store; MXNet's store ops
    // are not part of the tape, so only the direct x.sum() term reaches x.
    const x = nd.ones([3]);
    x.attachGrad();
    const kv = mx.kv.create('local');
    kv.init(0, nd.zeros([3]));
    const out = nd.zeros([3]);
    const z = mx.autograd.record(() => {
      kv.push(0, x.mul(2));
      kv.pull(0, out);
      expect(mx.autograd.isRecording()).toBe(true);
      return out.mul(5).sum().add(x.sum());
    });
    z.backward();
    expect(values(x.grad)).toEqual([1, 1, 1]);
    expect(values(out)).toEqual([2, 2, 2]);
  });
});
