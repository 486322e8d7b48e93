// gluon.data: samplers, datasets (transform/filter/shard/take/sample), the default batchify, DataLoader
// (lastBatch modes, custom batchify, workers == calling thread under one seed, for await, the fallback
// notice, memory across epochs, autoDispose) and the numpy-gotchas seed's loader.
//
// Expected orders come from MXNet 1.9's docstrings (BatchSampler: [[0,1,2],[3,4,5],[6,7,8],[9]];
// IntervalSampler(13, 3): [0,3,6,9,12,1,4,7,10,2,5,8,11]) and from walking its code by hand
// (rollover carries [9] into the next pass: [9,0,1], [2,3,4], [5,6,7], then [8,9] waits; shard of
// 10 into 3: [0..3], [4..6], [7..9]).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { settledMemory } from '../helpers/settled-memory';

const { nd, gluon, autograd } = mx;
const { data: gdata } = gluon;
const { transforms } = gdata.vision;
type Arr = any;

beforeAll(async () => {
  await mx.ready();
  announceBackend('gluon-data');
});

afterEach(() => {
  vi.restoreAllMocks();
});

const vals = (a: Arr): number[] => Array.from(a.dataSync() as ArrayLike<number>, Number);
/** Batches of a loader as plain data (shape, dtype, values), recursively. */
const plain = (b: Arr): unknown => (Array.isArray(b) ? b.map(plain) : { shape: b.shape, dtype: b.dtype, v: vals(b) });
const epoch = (loader: Arr): unknown[] => {
  const out: unknown[] = [];
  for (const b of loader) out.push(plain(b));
  return out;
};
const epochAsync = async (loader: Arr): Promise<unknown[]> => {
  const out: unknown[] = [];
  for await (const b of loader) out.push(plain(b));
  return out;
};

describe('samplers', () => {
  it('SequentialSampler and RandomSampler (mx.random-seeded permutations)', () => {
    expect([...new gdata.SequentialSampler(5, 2)]).toEqual([2, 3, 4, 5, 6]);
    expect(new gdata.SequentialSampler(5).length).toBe(5);
    const r = new gdata.RandomSampler(20);
    mx.random.seed(7);
    const a = [...r];
    const b = [...r];
    mx.random.seed(7);
    expect([...r]).toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
    expect(b).not.toEqual(a);
    expect(r.length).toBe(20);
    expect([...new gdata.RandomSampler(0)]).toEqual([]);
  });

  it("BatchSampler 'keep', 'discard' and 'rollover'", () => {
    const seq = new gdata.SequentialSampler(10);
    const keep = new gdata.BatchSampler(seq, 3, 'keep');
    expect([...keep]).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect(keep.length).toBe(4);
    const discard = new gdata.BatchSampler(seq, 3, 'discard');
    expect([...discard]).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    expect(discard.length).toBe(3);
    const roll = new gdata.BatchSampler(seq, 3, 'rollover');
    expect(roll.length).toBe(3);
    expect([...roll]).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    expect(roll.length).toBe(3);  // (1 carried + 10) // 3
    expect([...roll]).toEqual([[9, 0, 1], [2, 3, 4], [5, 6, 7]]);
    expect(roll.length).toBe(4);  // (2 carried + 10) // 3
    expect([...roll]).toEqual([[8, 9, 0], [1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(() => new gdata.BatchSampler(seq, 3, 'pad' as Arr)).toThrow(/lastBatch must be one of 'keep', 'discard', or 'rollover', but got pad/);
    expect(() => new gdata.BatchSampler(seq, 0)).toThrow(/batchSize must be a positive integer/);
  });

  it('IntervalSampler and FilterSampler', () => {
    expect([...new gdata.IntervalSampler(13, 3)]).toEqual([0, 3, 6, 9, 12, 1, 4, 7, 10, 2, 5, 8, 11]);
    const noRoll = new gdata.IntervalSampler(13, 3, false);
    expect([...noRoll]).toEqual([0, 3, 6, 9, 12]);
    expect(noRoll.length).toBe(5);
    expect(() => new gdata.IntervalSampler(3, 4)).toThrow(/interval 4 must be .* smaller than or equal to length 3/);
    const f = new gdata.FilterSampler((x: number) => x % 3 === 0, new gdata.SimpleDataset([3, 4, 6, 7, 9]));
    expect([...f]).toEqual([0, 2, 4]);
    expect(f.length).toBe(3);
  });
});

describe('datasets', () => {
  it('ArrayDataset zips NDArrays, typed arrays and lists; 1-D arrays give numbers', () => {
    const x = nd.arange(0, 12).reshape([4, 3]);
    const y = nd.array([5, 6, 7, 8], { dtype: 'int32' });
    const ds = new gdata.ArrayDataset(x, y, new Float64Array([0.5, 1.5, 2.5, 3.5]), ['a', 'b', 'c', 'd']);
    expect(ds.length).toBe(4);
    const [xi, yi, zi, si] = ds.at(2);
    expect(xi.shape).toEqual([3]);
    expect(vals(xi)).toEqual([6, 7, 8]);
    expect(yi).toBe(7);
    expect(zi).toBe(2.5);
    expect(si).toBe('c');
    expect([...new gdata.ArrayDataset([1, 2, 3])]).toEqual([1, 2, 3]);
    expect(() => ds.at(4)).toThrow(/index 4 is out of range for length 4/);
  });

  it('ArrayDataset of unequal lengths names the lengths', () => {
    expect(() => new gdata.ArrayDataset(nd.zeros([10, 2]), nd.zeros([8])))
      .toThrow(/ArrayDataset: all arrays must have the same length; array 0 has length 10 while array 1 has 8/);
    expect(() => new gdata.ArrayDataset([1, 2, 3], new Int32Array(3), [1])).toThrow(/array 2 has 1 \(lengths: 3, 3, 1\)/);
    expect(() => new gdata.ArrayDataset()).toThrow(/needs at least 1 array/);
  });

  it('transform / transformFirst (lazy and eager), filter, shard, take, sample', () => {
    const ds = new gdata.ArrayDataset([1, 2, 3, 4, 5], [10, 20, 30, 40, 50]);
    expect(ds.transform((a: number, b: number) => a + b).at(1)).toBe(22);
    expect(ds.transformFirst((a: number) => -a).at(2)).toEqual([-3, 30]);
    let calls = 0;
    const eager = ds.transform((a: number, b: number) => { calls++; return [a, b, a * b]; }, false);
    expect(calls).toBe(5);
    expect(eager.at(4)).toEqual([5, 50, 250]);
    expect(calls).toBe(5);
    expect([...ds.filter(([a]: number[]) => a % 2 === 1)]).toEqual([[1, 10], [3, 30], [5, 50]]);
    const ten = new gdata.SimpleDataset([...Array(10).keys()]);
    expect([0, 1, 2].map((i) => [...ten.shard(3, i)])).toEqual([[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(() => ten.shard(3, 3)).toThrow(/shard index out of bound: 3 out of 3/);
    expect([...ten.take(3)]).toEqual([0, 1, 2]);
    expect(ten.take(null).length).toBe(10);
    expect([...ten.sample(new gdata.IntervalSampler(10, 4, false))]).toEqual([0, 4, 8]);
    expect(() => ten.sample([1, 2] as Arr)).toThrow(/invalid sampler type/);
    // transforms accept objects with forward() (blocks, vision transforms)
    expect(new gdata.SimpleDataset([1, 2]).transform({ forward: (v: number) => v * 3 }).at(1)).toBe(6);
  });

  it('user-defined datasets', () => {
    class Squares extends gdata.Dataset {
      get length() { return 4; }
      at(i: number) { return [i, i * i]; }
    }
    expect([...new Squares()]).toEqual([[0, 0], [1, 1], [2, 4], [3, 9]]);
    const loader = new gdata.DataLoader(new Squares(), { batchSize: 4 });
    expect(epoch(loader)).toEqual([[{ shape: [4], dtype: 'int32', v: [0, 1, 2, 3] }, { shape: [4], dtype: 'int32', v: [0, 1, 4, 9] }]]);
  });
});

describe('default batchify', () => {
  it('stacks NDArrays, numbers, typed arrays and nested lists; tuples element-wise', () => {
    const samples = [0, 1, 2].map((i) => [[nd.full([2], i), [i, i + 0.5]], i, new Uint8Array([i, 2 * i]), i % 2 === 0]);
    const b = gdata.defaultBatchify(samples);
    expect(plain(b)).toEqual([
      [{ shape: [3, 2], dtype: 'float32', v: [0, 0, 1, 1, 2, 2] }, { shape: [3, 2], dtype: 'float32', v: [0, 0.5, 1, 1.5, 2, 2.5] }],
      { shape: [3], dtype: 'int32', v: [0, 1, 2] },
      { shape: [3, 2], dtype: 'uint8', v: [0, 0, 1, 2, 2, 4] },
      { shape: [3], dtype: 'bool', v: [1, 0, 1] },
    ]);
    expect(plain(gdata.defaultBatchify([[[1, 2], [3, 4]], [[5, 6], [7, 8]]].map((m) => [m]))))
      .toEqual([{ shape: [2, 2, 2], dtype: 'int32', v: [1, 2, 3, 4, 5, 6, 7, 8] }]);
  });

  it('says what cannot be stacked', () => {
    expect(() => gdata.defaultBatchify([nd.zeros([2]), nd.zeros([3])])).toThrow(/cannot stack item 1 of shape \(3\) float32 with item 0 of shape \(2\) float32/);
    expect(() => gdata.defaultBatchify([[1, 2], [1]])).toThrow(/item 1 is a tuple of 1 but item 0 is a tuple of 2/);
    expect(() => gdata.defaultBatchify(['a', 'b'])).toThrow(/cannot stack items of type string; pass your own `batchify`/);
    expect(() => gdata.defaultBatchify([[[1, 2]], [[1]]])).toThrow(/ragged/);
  });
});

describe('DataLoader', () => {
  const ds10 = () => new gdata.ArrayDataset(nd.arange(0, 20).reshape([10, 2]), nd.arange(0, 10).astype('int32'));
  const firstCol = (b: Arr): number[] => vals(b[0]).filter((_, i) => i % 2 === 0).map((v) => v / 2);

  it("yields [data, label] with 'keep', 'discard' and 'rollover' last batches", () => {
    const keep = new gdata.DataLoader(ds10(), { batchSize: 4 });
    expect(keep.length).toBe(3);
    const bs = epoch(keep) as Arr[];
    expect(bs.map((b) => b[1].v)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(bs[0][0]).toEqual({ shape: [4, 2], dtype: 'float32', v: [0, 1, 2, 3, 4, 5, 6, 7] });
    expect(bs[0][1].dtype).toBe('int32');
    const discard = new gdata.DataLoader(ds10(), 4, { lastBatch: 'discard' });
    expect((epoch(discard) as Arr[]).map((b) => b[1].v)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    const roll = new gdata.DataLoader(ds10(), { batchSize: 4, lastBatch: 'rollover' });
    expect((epoch(roll) as Arr[]).map((b) => b[1].v)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect((epoch(roll) as Arr[]).map((b) => b[1].v)).toEqual([[8, 9, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]);
  });

  it('shuffle follows mx.random.seed; sampler and batchSampler', () => {
    const l = new gdata.DataLoader(ds10(), { batchSize: 10, shuffle: true });
    mx.random.seed(11);
    const a = (epoch(l) as Arr[])[0][1].v;
    mx.random.seed(11);
    const b = (epoch(l) as Arr[])[0][1].v;
    expect(a).toEqual(b);
    expect([...a].sort((x: number, y: number) => x - y)).toEqual([...Array(10).keys()]);
    const s = new gdata.DataLoader(ds10(), { batchSize: 2, sampler: new gdata.IntervalSampler(10, 5) });
    expect((epoch(s) as Arr[]).map((x) => x[1].v)).toEqual([[0, 5], [1, 6], [2, 7], [3, 8], [4, 9]]);
    const bsm = new gdata.DataLoader(ds10(), { batchSampler: new gdata.BatchSampler(new gdata.SequentialSampler(3), 2) });
    expect((epoch(bsm) as Arr[]).map((x) => x[1].v)).toEqual([[0, 1], [2]]);
    expect(bsm.length).toBe(2);
  });

  it('rejects contradictory options as MXNet does', () => {
    expect(() => new gdata.DataLoader(ds10(), {})).toThrow(/batchSize must be specified unless batchSampler is specified/);
    expect(() => new gdata.DataLoader(ds10(), { batchSize: 2, shuffle: true, sampler: new gdata.SequentialSampler(10) }))
      .toThrow(/shuffle must not be specified if sampler is specified/);
    expect(() => new gdata.DataLoader(ds10(), { batchSize: 2, batchSampler: new gdata.BatchSampler(new gdata.SequentialSampler(2), 1) }))
      .toThrow(/must not be specified if batchSampler is specified/);
    expect(() => new gdata.DataLoader(ds10(), { batchSize: 2, lastBatch: 'pad' as Arr })).toThrow(/lastBatch must be one of/);
    expect(() => new gdata.DataLoader(ds10(), { batchSize: 2, timeout: 0 })).toThrow(/timeout must be positive/);
  });

  it('keeps the dtype of number columns; custom batchify; datasets given as plain arrays', () => {
    const ds = new gdata.ArrayDataset(new Float32Array([1, 2, 3]), new Int8Array([-1, 0, 1]), [0.5, 1, 2]);
    expect(epoch(new gdata.DataLoader(ds, { batchSize: 3 }))).toEqual([[
      { shape: [3], dtype: 'float32', v: [1, 2, 3] },
      { shape: [3], dtype: 'int8', v: [-1, 0, 1] },
      { shape: [3], dtype: 'float32', v: [0.5, 1, 2] },
    ]]);
    // transformFirst keeps what it knows about the other fields
    const t = ds.transformFirst((x: number) => x * 2);
    expect((epoch(new gdata.DataLoader(t, { batchSize: 3 })) as Arr[])[0].map((c: Arr) => c.dtype)).toEqual(['int32', 'int8', 'float32']);
    const custom = new gdata.DataLoader(ds, { batchSize: 2, batchify: (s: Arr[]) => s.map((x) => x[0] * 10) });
    expect([...custom]).toEqual([[10, 20], [30]]);
    expect(epoch(new gdata.DataLoader(nd.arange(0, 6).reshape([3, 2]), { batchSize: 2 })))
      .toEqual([{ shape: [2, 2], dtype: 'float32', v: [0, 1, 2, 3] }, { shape: [1, 2], dtype: 'float32', v: [4, 5] }]);
  });

  it('workers give the same batches as the calling thread for the same seed (sync and for await)', async () => {
    const x = nd.random.uniform({ shape: [50, 3, 4, 2] }).mul(255).astype('uint8');
    const y = nd.arange(0, 50).astype('int32');
    const ds = new gdata.ArrayDataset(x, y).transformFirst(new transforms.Compose([
      new transforms.RandomFlipLeftRight(), new transforms.RandomBrightness(0.3), new transforms.ToTensor(),
      (t: Arr) => t, new transforms.Normalize([0.5, 0.4], [0.2, 0.3]),
    ]));
    const opts = { batchSize: 8, shuffle: true, lastBatch: 'keep' as const };
    const here = new gdata.DataLoader(ds, opts);
    const workers = new gdata.DataLoader(ds, { ...opts, numWorkers: 2, prefetch: 3 });
    try {
      mx.random.seed(5);
      const a = epoch(here);
      mx.random.seed(5);
      const b = epoch(workers);
      expect(workers.usingWorkers).toBe(true);
      expect(b).toEqual(a);
      mx.random.seed(5);
      expect(await epochAsync(workers)).toEqual(a);
      mx.random.seed(5);
      expect(await epochAsync(here)).toEqual(a);
      // a different epoch seed gives different random flips/brightness, the same for both paths
      mx.random.seed(6);
      const c = epoch(workers);
      expect(c).not.toEqual(a);
      mx.random.seed(6);
      expect(epoch(here)).toEqual(c);
      expect((a as Arr[])[0][0].shape).toEqual([8, 2, 3, 4]);
      expect((a as Arr[]).length).toBe(7);
    } finally {
      workers.close();
    }
  });

  it('library transforms on the calling thread: the same batches as stacking the transformed samples', () => {
    const x = nd.random.uniform({ low: 0, high: 255, shape: [12, 5, 4, 3] }).astype('uint8');
    const ds = new gdata.ArrayDataset(x, nd.arange(0, 12).astype('int32'))
      .transformFirst(new transforms.Compose([new transforms.Resize([3, 4]), new transforms.ToTensor(), new transforms.Normalize(0.5, 0.2)]));
    const loader = new gdata.DataLoader(ds, { batchSize: 5 });
    const got = epoch(loader);
    const want: unknown[] = [];
    for (const idx of [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]) {
      const items = idx.map((i) => ds.at(i));
      want.push([plain(nd.stack(items.map((s: Arr) => s[0]))), { shape: [idx.length], dtype: 'int32', v: idx }]);
    }
    expect(got).toEqual(want);
    expect((got as Arr[])[0][0].shape).toEqual([5, 3, 4, 3]);
  });

  it('workers with a custom batchify and with lists of values', () => {
    const ds = new gdata.SimpleDataset([...Array(9).keys()].map((i) => [[i, i + 1], `s${i}`, nd.full([2], i)]));
    const batchify = (s: Arr[]) => [gdata.defaultBatchify(s.map((v) => v[0])), s.map((v) => v[1]).join(''), nd.stack(s.map((v) => v[2]))];
    const here = new gdata.DataLoader(ds, { batchSize: 4, batchify });
    const workers = new gdata.DataLoader(ds, { batchSize: 4, batchify, numWorkers: 3 });
    const show = (l: Arr) => {
      // read inside the loop: a batch is disposed when the loop moves on
      const out: unknown[] = [];
      for (const b of l) out.push([plain(b[0]), b[1], plain(b[2])]);
      return out;
    };
    try {
      expect(show(workers)).toEqual(show(here));
      expect(workers.usingWorkers).toBe(true);
    } finally {
      workers.close();
    }
  });

  it('falls back to the calling thread with a one-time notice when the dataset cannot go to workers', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const scale = 3;  // the transform closes over this: it cannot run in a worker
    const ds = new gdata.ArrayDataset(nd.arange(0, 10), nd.arange(0, 10).reshape([10, 1]))
      .transformFirst((v: number) => v * scale);
    const l = new gdata.DataLoader(ds, { batchSize: 5, numWorkers: 2 });
    const expected = [[{ shape: [5], dtype: 'int32', v: [0, 3, 6, 9, 12] }, { shape: [5, 1], dtype: 'float32', v: [0, 1, 2, 3, 4] }],
      [{ shape: [5], dtype: 'int32', v: [15, 18, 21, 24, 27] }, { shape: [5, 1], dtype: 'float32', v: [5, 6, 7, 8, 9] }]];
    expect(epoch(l)).toEqual(expected);
    expect(await epochAsync(l)).toEqual(expected);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/numWorkers=2, but a data worker failed \(ReferenceError: scale is not defined\); loading batches on the calling thread/);
    expect(l.usingWorkers).toBe(false);
    // user-defined datasets are not sent at all
    class Mine extends gdata.Dataset {
      get length() { return 3; }
      at(i: number) { return i; }
    }
    const m = new gdata.DataLoader(new Mine(), { batchSize: 3, numWorkers: 1 });
    expect(epoch(m)).toEqual([{ shape: [3], dtype: 'int32', v: [0, 1, 2] }]);
    expect(String(warn.mock.calls[1]![0])).toMatch(/Mine is a user-defined dataset/);
  });

  it('disposes each batch when the loop moves on, unless kept', () => {
    const l = new gdata.DataLoader(ds10(), { batchSize: 5 });
    const seen: Arr[] = [];
    for (const b of l) seen.push(b);
    expect(seen.every((b) => b[0].isDisposed && b[1].isDisposed)).toBe(true);
    const kept: Arr[] = [];
    for (const b of l) kept.push(mx.keep(b));
    expect(kept.map((b) => vals(b[1]))).toEqual([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]);
    kept.forEach((b) => { b[0].dispose(); b[1].dispose(); });
    const all = [...new gdata.DataLoader(ds10(), { batchSize: 5, autoDispose: false })];
    expect(all.map((b) => vals(b[1]))).toEqual([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]);
    // breaking out of the loop leaves the current batch to the caller
    let first: Arr = null;
    for (const b of l) { first = b; break; }
    expect(vals(first[1])).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps memory flat across epochs (calling thread and workers, fast path and transforms)', async () => {
    const x = nd.random.uniform({ shape: [64, 5] });
    const y = nd.arange(0, 64);
    const plainDs = new gdata.ArrayDataset(x, y);
    const transformed = plainDs.transformFirst((v: Arr) => v.mul(2).add(1));
    const loaders = [
      new gdata.DataLoader(plainDs, { batchSize: 10, shuffle: true }),
      new gdata.DataLoader(transformed, { batchSize: 10, shuffle: true }),
      new gdata.DataLoader(plainDs, { batchSize: 10, shuffle: true, numWorkers: 2 }),
    ];
    try {
      const run = async () => {
        for (const l of loaders) {
          for (const [d] of l) d.sum().dispose();
          for await (const [d] of l) d.sum().dispose();
        }
        const m = await settledMemory();
        return [m.liveArrays, m.liveBytes];
      };
      const first = await run();
      for (let i = 0; i < 3; i++) await run();
      const last = await run();
      // No array outlives its epoch; bytes held for reuse (the threads flavour's engine scratch) may be
      // released after the first round, never added to.
      expect(last[0]).toBe(first[0]);
      expect(last[1]).toBeLessThanOrEqual(first[1]!);
    } finally {
      loaders[2]!.close();
    }
  });

  it("runs the numpy-gotchas seed's loader: ArrayDataset(data, label), batch 128, shuffle, 2 workers", () => {
    const net = new gluon.nn.Dense(10);
    const ce = new gluon.loss.SoftmaxCELoss();
    net.initialize();
    const data = nd.random.uniform({ shape: [1024, 100] });
    const label = nd.array(Int32Array.from({ length: 1024 }, (_, i) => (i * 7) % 10), { dtype: 'int32' });
    const trainData = new gdata.DataLoader(new gdata.ArrayDataset(data, label), { batchSize: 128, shuffle: true, numWorkers: 2 });
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd');
    let loss: Arr = null;
    const printed: number[] = [];
    try {
      for (const [x, y] of trainData) {
        expect(x.shape).toEqual([128, 100]);
        expect(y.dtype).toBe('int32');
        const prev = autograd.record(() => {
          const r = loss;
          loss = ce.forward(net.forward(x), y);
          return r;
        });
        loss.backward();
        trainer.step(x.shape[0]);
        if (prev !== null) printed.push(prev.mean().asScalar());
      }
      expect(trainData.usingWorkers).toBe(true);
    } finally {
      trainData.close();
    }
    expect(printed.length).toBe(7);
    printed.forEach((l) => expect(l).toBeGreaterThan(1.5));
    printed.forEach((l) => expect(l).toBeLessThan(3));
  });
});

describe('the data worker script', () => {
  it('is generated from the current sources (node scripts/gen-data-worker.mjs)', () => {
    expect(() => execFileSync(process.execPath, ['scripts/gen-data-worker.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('never loads a backend: no WebAssembly, addon or core calls in it', () => {
    const src = readFileSync('ts/gluon/data/host/worker_source.generated.ts', 'utf8');
    expect(src).toMatch(/WORKER_SOURCE = /);
    expect(src).not.toMatch(/WebAssembly|isotensor\.node|ist_[a-z]|NDArray has been disposed/);
  });
});
