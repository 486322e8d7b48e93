// mx.io: NDArrayIter with MXNet 1.9's exact batching (pad / discard / roll_over, pad counts, shuffle),
// DataDesc/DataBatch, ResizeIter, the iteration protocols and bad input.
//
// Expected batches come from MXNet's own NDArrayIter docstring (data = arange(40) as 10x2x2) and from
// walking its algorithm (python/mxnet/io/io.py) by hand: with 10 examples and batch 3, 'pad' gives
// batches starting at 0, 3, 6, 9 with the last one filled by examples 0, 1 (pad 2); 'discard' stops
// after 3 batches; 'roll_over' stops after 3 and starts the next epoch with [9, 0, 1] (pad 1, as MXNet
// reports it) and then 2, 5, 8; a batch bigger than the data tiles it.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { nd, io } = mx;
type Arr = any;

beforeAll(async () => {
  await mx.ready();
  announceBackend('ndarray-iter');
});

const data10 = () => nd.arange(0, 40).reshape([10, 2, 2]);
const labels10 = () => nd.arange(0, 10);
/** Example ids of a (n, 2, 2) batch of arange(40) data: first element / 4. */
const ids = (b: Arr): number[] => Array.from(b.data[0].dataSync() as Float32Array).filter((_, i) => i % 4 === 0).map((v) => v / 4);
const labelsOf = (b: Arr): number[] => Array.from(b.label[0].dataSync() as Float32Array);
const epoch = (it: Arr): Arr[] => [...it];

describe('NDArrayIter last batch handling', () => {
  it("'pad' fills the last batch from the start and reports pad", () => {
    const it = new io.NDArrayIter(data10(), labels10(), { batchSize: 3 });
    const bs = epoch(it);
    expect(bs.map(ids)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1]]);
    expect(bs.map((b: Arr) => b.pad)).toEqual([0, 0, 0, 2]);
    expect(bs.map(labelsOf)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1]]);
    // MXNet's iterator is its own iterator: exhausted until reset().
    expect(epoch(it)).toHaveLength(0);
    it.reset();
    expect(epoch(it).map(ids)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1]]);
  });

  it("'discard' drops the incomplete batch", () => {
    const it = new io.NDArrayIter(data10(), labels10(), { batchSize: 3, lastBatchHandle: 'discard' });
    expect(epoch(it).map(ids)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    it.reset();
    expect(epoch(it).map(ids)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  });

  it("MXNet's positional (batch_size, shuffle, last_batch_handle, data_name, label_name) equal the options", () => {
    const positional = new io.NDArrayIter(data10(), labels10(), 3, false, 'discard', 'x', 'y');
    const named = new io.NDArrayIter(data10(), labels10(), { batchSize: 3, lastBatchHandle: 'discard', dataName: 'x', labelName: 'y' });
    const batches = (it: Arr) => epoch(it).map((b: Arr) => [ids(b), labelsOf(b)]);
    const got = batches(positional);
    expect(got).toEqual(batches(named));
    expect(got.map(([i]: Arr) => i)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    expect(positional.provideData[0].name).toBe('x');
    expect(positional.provideLabel[0].name).toBe('y');
    // null leaves one unset (MXNet's default), as None does.
    expect(epoch(new io.NDArrayIter(data10(), null, 4, null, 'discard')).length).toBe(2);
    expect(() => new io.NDArrayIter(data10(), null, 4, 'yes' as never)).toThrow(/NDArrayIter: positional argument 'shuffle' must be a boolean/);
    expect(() => new io.NDArrayIter(data10(), null, 4, false, 'pad', 'd', 'l', 'extra' as never)).toThrow(/NDArrayIter: too many arguments/);
  });

  it("'roll_over' carries the rest into the next epoch (MXNet's docstring example)", () => {
    const it = new io.NDArrayIter(data10(), labels10(), 3, { lastBatchHandle: 'roll_over' });
    expect(epoch(it).map(ids)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    it.reset();
    const first = it.next().value;
    // docstring: [[36 37][38 39]], [[0 1][2 3]], [[4 5][6 7]]
    expect(Array.from(first.data[0].dataSync())).toEqual([36, 37, 38, 39, 0, 1, 2, 3, 4, 5, 6, 7]);
    expect(first.pad).toBe(1);
    expect(labelsOf(first)).toEqual([9, 0, 1]);
    const rest = epoch(it);
    expect(rest.map(ids)).toEqual([[2, 3, 4], [5, 6, 7]]);
    expect(rest.map((b: Arr) => b.pad)).toEqual([0, 0]);
    // 8, 9 are left: the third epoch starts with them.
    it.reset();
    expect(ids(it.next().value)).toEqual([8, 9, 0]);
    // hardReset forgets the carried examples.
    it.hardReset();
    expect(epoch(it).map(ids)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  });

  it("'pad' with a batch larger than the data tiles it", () => {
    const it = new io.NDArrayIter(nd.array([1, 2, 3]), null, { batchSize: 8 });
    const [b, ...more] = epoch(it);
    expect(more).toHaveLength(0);
    expect(Array.from(b.data[0].dataSync())).toEqual([1, 2, 3, 1, 2, 3, 1, 2]);
    expect(b.pad).toBe(5);
    expect(b.label).toEqual([]);
  });

  it('an exact multiple has no padding; a batch of the whole data is one batch', () => {
    const it = new io.NDArrayIter(nd.arange(0, 12).reshape([6, 2]), nd.arange(0, 6), { batchSize: 2 });
    expect(epoch(it).map((b: Arr) => b.pad)).toEqual([0, 0, 0]);
    const one = new io.NDArrayIter(nd.arange(0, 12).reshape([6, 2]), null, { batchSize: 6, lastBatchHandle: 'discard' });
    expect(epoch(one)).toHaveLength(1);
  });
});

describe('NDArrayIter inputs and descriptions', () => {
  it('provideData / provideLabel give names, batch shapes, dtypes and layout', () => {
    const it = new io.NDArrayIter(data10(), nd.ones([10, 1]), { batchSize: 3, shuffle: true, lastBatchHandle: 'discard' });
    const [d] = it.provideData;
    const [l] = it.provideLabel;
    expect([d.name, d.shape, d.dtype, d.layout]).toEqual(['data', [3, 2, 2], 'float32', 'NCHW']);
    expect([l.name, l.shape]).toEqual(['softmax_label', [3, 1]]);
    expect(String(d)).toBe('DataDesc[data,(3, 2, 2),float32,NCHW]');
    expect(String(new io.DataDesc('x', [4]))).toBe('DataDesc[x,(4,),float32,NCHW]');
  });

  it('lists are named _i_<name>, dicts keep their keys; both are sorted by name', () => {
    const a = nd.zeros([4, 3]), b = nd.ones([4, 5]);
    const it = new io.NDArrayIter([a, b], [nd.zeros([4])], { batchSize: 2, dataName: 'x', labelName: 'y' });
    expect(it.provideData.map((d: Arr) => d.name)).toEqual(['_0_x', '_1_x']);
    expect(it.provideLabel.map((d: Arr) => d.name)).toEqual(['y']);
    const it2 = new io.NDArrayIter({ zeta: a, alpha: b }, { lab: nd.zeros([4]) }, { batchSize: 4 });
    expect(it2.provideData.map((d: Arr) => [d.name, d.shape])).toEqual([['alpha', [4, 5]], ['zeta', [4, 3]]]);
    const batch = it2.next().value;
    expect(batch.data[0].shape).toEqual([4, 5]);
    expect(batch.data[1].shape).toEqual([4, 3]);
    expect(batch.label[0].shape).toEqual([4]);
  });

  it('accepts nested JS arrays and TypedArrays (as float32, like MXNet from numpy); NDArrays keep their dtype', () => {
    const it = new io.NDArrayIter([[1, 2], [3, 4], [5, 6]], new Int32Array([7, 8, 9]), { batchSize: 2 });
    expect(it.provideData[0].dtype).toBe('float32');
    expect(it.provideLabel[0].dtype).toBe('float32');
    expect(new io.NDArrayIter(nd.array([1, 2], { dtype: 'int32' })).provideData[0].dtype).toBe('int32');
    const bs = epoch(it);
    expect(bs.map((b: Arr) => b.data[0].toArraySync())).toEqual([[[1, 2], [3, 4]], [[5, 6], [1, 2]]]);
    expect(bs.map((b: Arr) => Array.from(b.label[0].dataSync()))).toEqual([[7, 8], [9, 7]]);
    expect(bs[1].label[0].dtype).toBe('float32');
  });

  it('layout NTC batches along axis 1', () => {
    const x = nd.arange(0, 24).reshape([2, 6, 2]);
    const it = new io.NDArrayIter(x, null, { batchSize: 4, layout: 'TNC' });
    expect(it.provideData[0].shape).toEqual([2, 4, 2]);
    const bs = epoch(it);
    expect(bs.map((b: Arr) => b.data[0].shape)).toEqual([[2, 4, 2], [2, 4, 2]]);
    expect(bs[1].pad).toBe(2);
    // second batch: examples 4, 5 then 0, 1 along axis 1
    expect(bs[1].data[0].toArraySync()).toEqual([[[8, 9], [10, 11], [0, 1], [2, 3]], [[20, 21], [22, 23], [12, 13], [14, 15]]]);
  });

  it('shuffle permutes data and labels together, differently each epoch, repeatably with mx.random.seed', () => {
    const x = nd.arange(0, 50).reshape([25, 2]);
    const y = nd.arange(0, 25);
    const run = () => {
      mx.random.seed(7);
      const it = new io.NDArrayIter(x, y, { batchSize: 5, shuffle: true });
      const e1 = epoch(it).flatMap((b: Arr) => labelsOf(b));
      const pairs = epoch((it.reset(), it)).map((b: Arr) => [Array.from(b.data[0].dataSync()), labelsOf(b)]);
      return { e1, pairs };
    };
    const a = run(), b = run();
    expect(a).toEqual(b);
    expect([...a.e1].sort((p, q) => p - q)).toEqual([...Array(25).keys()]);
    expect(a.e1).not.toEqual([...Array(25).keys()]);
    const e2 = a.pairs.flatMap((p: Arr) => p[1]);
    expect(e2).not.toEqual(a.e1);
    for (const [d, l] of a.pairs) {
      l.forEach((v: number, i: number) => expect([d[2 * i], d[2 * i + 1]]).toEqual([2 * v, 2 * v + 1]));
    }
    // the caller's arrays are untouched
    expect(Array.from(y.dataSync())).toEqual([...Array(25).keys()]);
  });
});

describe('iteration protocols and helpers', () => {
  it('next() follows the JS protocol; nextBatch() gives null at the end; async iteration works', async () => {
    const it = new io.NDArrayIter(nd.arange(0, 4), null, { batchSize: 2 });
    expect(it.next().done).toBe(false);
    expect(it.nextBatch()).not.toBeNull();
    expect(it.next()).toEqual({ done: true, value: undefined });
    expect(it.nextBatch()).toBeNull();
    it.reset();
    const seen: number[][] = [];
    for await (const b of it) seen.push(Array.from(b.data[0].dataSync()));
    expect(seen).toEqual([[0, 1], [2, 3]]);
  });

  it('iterNext/getData/getLabel/getPad step through a batch by hand', () => {
    const it = new io.NDArrayIter(nd.arange(0, 5), nd.arange(10, 15), { batchSize: 2 });
    const got: number[][] = [];
    while (it.iterNext()) got.push([...Array.from(it.getData()[0].dataSync()), ...Array.from(it.getLabel()[0].dataSync()), it.getPad()]);
    expect(got).toEqual([[0, 1, 10, 11, 0], [2, 3, 12, 13, 0], [4, 0, 14, 10, 1]]);
  });

  it('DataBatch takes lists or an options object and prints like MXNet', () => {
    const b = new io.DataBatch([nd.zeros([3, 2])], [nd.zeros([3])], { pad: 1 });
    expect(b.pad).toBe(1);
    expect(String(b)).toBe('DataBatch: data shapes: [[3, 2]] label shapes: [[3]]');
    const c = new io.DataBatch({ data: [nd.zeros([2])] });
    expect(c.label).toBeNull();
    expect(String(c)).toBe('DataBatch: data shapes: [[2]] label shapes: None');
  });

  it('ResizeIter gives a fixed number of batches, restarting its source', () => {
    const src = new io.NDArrayIter(nd.arange(0, 6), null, { batchSize: 2 });
    const r = new io.ResizeIter(src, 5);
    const got = [...r].map((b: Arr) => Array.from(b.data[0].dataSync()));
    expect(got).toEqual([[0, 1], [2, 3], [4, 5], [0, 1], [2, 3]]);
    expect([...r]).toHaveLength(0);
    r.reset();
    expect([...r]).toHaveLength(5);
    expect(r.provideData[0].shape).toEqual([2]);
  });
});

describe('bad input', () => {
  it('rejects bad options and mismatched inputs with IsotensorError', () => {
    const E = mx.IsotensorError;
    expect(() => new io.NDArrayIter(data10(), null, { batchSize: 0 })).toThrow(E);
    expect(() => new io.NDArrayIter(data10(), null, { batchSize: 2.5 })).toThrow(E);
    expect(() => new io.NDArrayIter(data10(), null, { lastBatchHandle: 'keep' as Arr })).toThrow(/lastBatchHandle/);
    expect(() => new io.NDArrayIter(data10(), nd.zeros([9]), { batchSize: 2 })).toThrow(/9 examples/);
    expect(() => new io.NDArrayIter(null as Arr)).toThrow(E);
    expect(() => new io.NDArrayIter([] as Arr)).toThrow(/must not be empty/);
    expect(() => new io.NDArrayIter(nd.zeros([4]), null, { layout: 'TNC' })).toThrow(/batch axis/);
    expect(() => new io.NDArrayIter('abc' as Arr)).toThrow(E);
    expect(() => new io.DataBatch([1, 2] as Arr)).toThrow(/list of NDArrays/);
    expect(() => new io.DataDesc('x', [2, -1])).toThrow(E);
  });
});
