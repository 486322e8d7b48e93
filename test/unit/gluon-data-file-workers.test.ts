// DataLoader workers over file-backed datasets: RecordFileDataset, vision.ImageRecordDataset and
// vision.ImageFolderDataset give in workers exactly the batches of the calling thread (paths and
// in-memory bytes, with and without transforms), print no fallback notice, and a corrupt record
// surfaces as an IsotensorError on the calling thread.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const { nd, gluon } = mx;
const { data: gdata } = gluon;
const { transforms } = gdata.vision;
type Arr = any;

const ITER = join(__dirname, '../fixtures/image-iter');
const RECIO = join(__dirname, '../fixtures/recordio');
let root = '';

const vals = (a: Arr): number[] => Array.from(a.dataSync() as ArrayLike<number>, Number);
/** A batch as plain data (shape, dtype, values), recursively; bytes and numbers as they are. */
const plain = (b: Arr): unknown => {
  if (Array.isArray(b)) return b.map(plain);
  if (b instanceof Uint8Array) return { bytes: Array.from(b) };
  if (typeof b === 'number' || typeof b === 'string') return b;
  return { shape: b.shape, dtype: b.dtype, v: vals(b) };
};
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

/** Batches of numWorkers 0 and 2 for the same seed (sync and for await), and that workers ran with no notice. */
async function bothWays(ds: Arr, opts: Record<string, unknown>): Promise<{ here: unknown[]; workers: unknown[] }> {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const here = new gdata.DataLoader(ds, opts);
  const workers = new gdata.DataLoader(ds, { ...opts, numWorkers: 2 });
  try {
    mx.random.seed(11);
    const a = epoch(here);
    mx.random.seed(11);
    const b = epoch(workers);
    expect(workers.usingWorkers).toBe(true);
    mx.random.seed(11);
    expect(await epochAsync(workers)).toEqual(b);
    expect(warn).not.toHaveBeenCalled();
    return { here: a, workers: b };
  } finally {
    workers.close();
  }
}

/** A record file written in memory: [.rec bytes, .idx bytes]. */
function memoryRecords(records: Uint8Array[]): [Uint8Array, Uint8Array] {
  const w = new mx.recordio.MXIndexedRecordIO(null, null, 'w');
  records.forEach((r, i) => w.writeIdx(i, r));
  const out: [Uint8Array, Uint8Array] = [w.bytes(), w.idxBytes()];
  w.close();
  return out;
}

/** A w x h RGB image with a pattern of its own. */
function image(h: number, w: number, seed: number): Arr {
  const px = new Uint8Array(h * w * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + seed * 91) % 256;
  return nd.array(px, { dtype: 'uint8', shape: [h, w, 3] });
}

beforeAll(async () => {
  await mx.ready();
  root = mkdtempSync(join(tmpdir(), 'ist-file-workers-'));
  // ImageFolderDataset: two classes of PNGs and JPEGs of one size, so the default batchify stacks them.
  for (const [cls, n] of [['ant', 3], ['bee', 4]] as const) {
    mkdirSync(join(root, 'folder', cls), { recursive: true });
    for (let k = 0; k < n; k++) {
      const img = image(5, 6, k + (cls === 'bee' ? 10 : 0));
      const ext = k % 2 === 0 ? '.png' : '.jpg';
      writeFileSync(join(root, 'folder', cls, `${k}${ext}`), mx.image.imencode(img, { format: ext as '.png' }));
      img.dispose();
    }
  }
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('RecordFileDataset in workers', () => {
  it('gives the raw records (a path; keys out of order) as the calling thread does', async () => {
    const ds = new gdata.RecordFileDataset(join(RECIO, 'labels.rec'));
    const batchify = (s: Uint8Array[]) => s.map((b) => b.slice());
    const { here, workers } = await bothWays(ds, { batchSize: 2, batchify });
    expect(workers).toEqual(here);
    expect(here.flat()).toEqual([...Array(ds.length).keys()].map((i) => ({ bytes: Array.from(ds.at(i) as Uint8Array) })));
  });

  it('reads records given as bytes (shared) and runs a transform', async () => {
    const [rec, idx] = memoryRecords([...Array(7).keys()].map((i) => new Uint8Array(3 + i).fill(i + 1)));
    const ds = new gdata.RecordFileDataset(rec, idx).transform((b: Uint8Array) => b.length * 10 + b[0]!);
    const { here, workers } = await bothWays(ds, { batchSize: 3 });
    expect(workers).toEqual(here);
    expect(here).toEqual([
      { shape: [3], dtype: 'int32', v: [31, 42, 53] }, { shape: [3], dtype: 'int32', v: [64, 75, 86] },
      { shape: [1], dtype: 'int32', v: [97] }]);
  });

  it('a subclass that reads its own items stays on the calling thread, with the notice', () => {
    class Lengths extends gdata.RecordFileDataset {
      override at(i: number) { return (super.at(i) as Uint8Array).length; }
    }
    const ds = new Lengths(join(RECIO, 'labels.rec'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const l = new gdata.DataLoader(ds, { batchSize: 10, numWorkers: 2 });
    expect(epoch(l)).toEqual([{ shape: [ds.length], dtype: 'int32', v: [...Array(ds.length).keys()].map((i) => ds.at(i)) }]);
    expect(l.usingWorkers).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/the dataset cannot go to workers \(Lengths overrides at\(\)/);
  });
});

describe('ImageRecordDataset in workers', () => {
  it('decodes images as mx.image does: one image per batch, no transform', async () => {
    const ds = new gdata.vision.ImageRecordDataset(join(ITER, 'single.rec'));
    const { here, workers } = await bothWays(ds, { batchSize: 1 });
    expect(workers).toEqual(here);
    const [img0, label0] = ds.at(0);
    expect(here[0]).toEqual([{ shape: [1, ...img0.shape], dtype: 'uint8', v: vals(img0) }, { shape: [1], dtype: 'int32', v: [label0] }]);
    expect(here.length).toBe(5);
  });

  it('transformFirst (resize, random crop, flip, ToTensor, Normalize) with several labels and gray images', async () => {
    const tf = new transforms.Compose([
      new transforms.Resize([10, 9]), new transforms.RandomResizedCrop([6, 5]), new transforms.RandomFlipLeftRight(),
      new transforms.ToTensor(), new transforms.Normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.3]),
    ]);
    const multi = new gdata.vision.ImageRecordDataset(join(ITER, 'multi.rec')).transformFirst(tf);
    const { here, workers } = await bothWays(multi, { batchSize: 2 });
    expect(workers).toEqual(here);
    const first = here[0] as Arr[];
    expect(first[0].shape).toEqual([2, 3, 5, 6]);
    expect(first[1]).toEqual({ shape: [2, 2], dtype: 'float32', v: [0, 10, 1, 11] });
    // in memory, gray, shuffled under one seed
    const rec = new Uint8Array(readFileSync(join(ITER, 'single.rec')));
    const idx = new Uint8Array(readFileSync(join(ITER, 'single.idx')));
    const gray = new gdata.vision.ImageRecordDataset(rec, { idxFile: idx, flag: 0 })
      .transformFirst(new transforms.Compose([new transforms.Resize(4), new transforms.ToTensor()]));
    const g = await bothWays(gray, { batchSize: 2, shuffle: true });
    expect(g.workers).toEqual(g.here);
    expect(((g.here[0] as Arr[])[0]).shape).toEqual([2, 1, 4, 4]);
  });

  it('library transforms on the host give what the NDArray transforms give', () => {
    const ds = new gdata.vision.ImageRecordDataset(join(ITER, 'single.rec'))
      .transformFirst(new transforms.Compose([new transforms.Resize([7, 5]), new transforms.ToTensor()]));
    const got = epoch(new gdata.DataLoader(ds, { batchSize: 5 }));
    const items = [0, 1, 2, 3, 4].map((i) => ds.at(i));
    expect(got).toEqual([[plain(nd.stack(items.map((s: Arr) => s[0]))), { shape: [5], dtype: 'int32', v: [0, 1, 2, 3, 4] }]]);
  });

  it('the transform option runs in workers too', async () => {
    const ds = new gdata.vision.ImageRecordDataset(join(RECIO, 'images.rec'), {
      // (a multi-label record gives an array label: an NDArray here, a host array in a worker)
      transform: (img: Arr, label: Arr) => [img.shape[0] * 100 + img.shape[1], typeof label === 'number' ? label : -1],
    });
    const { here, workers } = await bothWays(ds, { batchSize: 2 });
    expect(workers).toEqual(here);
    expect(here.length).toBe(Math.ceil(ds.length / 2));
    expect((here[0] as Arr[])[0].v).toEqual([ds.at(0)[0], ds.at(1)[0]]);
    expect((here as Arr[]).flatMap((b) => b[1].v)).toContain(-1);
  });

  it('a record that holds no image: an IsotensorError on the calling thread (after one notice)', async () => {
    const good = mx.image.imencode(image(4, 4, 1), { format: '.png' });
    const recs = [mx.recordio.pack({ flag: 0, label: 0, id: 0, id2: 0 }, good),
      mx.recordio.pack({ flag: 0, label: 1, id: 1, id2: 0 }, new TextEncoder().encode('not an image at all')),
      mx.recordio.pack({ flag: 0, label: 2, id: 2, id2: 0 }, good)];
    writeFileSync(join(root, 'bad.rec'), memoryRecords(recs)[0]);
    writeFileSync(join(root, 'bad.idx'), memoryRecords(recs)[1]);
    const ds = new gdata.vision.ImageRecordDataset(join(root, 'bad.rec'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const l = new gdata.DataLoader(ds, { batchSize: 3, numWorkers: 2 });
    try {
      expectError(() => epoch(l), 'ImageRecordDataset: record 1 (key 1) holds no image it can decode', 'image.decode');
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/a data worker failed \(IsotensorError: ImageRecordDataset: record 1 \(key 1\) holds no image/);
    } finally {
      l.close();
    }
  });

  it('a corrupt record file given as bytes: the framing error on the calling thread', async () => {
    const [rec, idx] = memoryRecords([new Uint8Array(8).fill(1), new Uint8Array(8).fill(2), new Uint8Array(8).fill(3)]);
    rec[16] ^= 0xff;  // the second record's magic word
    const ds = new gdata.RecordFileDataset(rec, idx).transform((b: Uint8Array) => b[0]!);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const l = new gdata.DataLoader(ds, { batchSize: 3, numWorkers: 2 });
    try {
      expectError(() => epoch(l), 'is not a valid RecordIO file', 'where the magic word 0xced7230a should be', 'byte offset 16');
      expect(String(warn.mock.calls[0]![0])).toMatch(/a data worker failed \(IsotensorError: .*not a valid RecordIO file/);
    } finally {
      l.close();
    }
  });
});

describe('ImageFolderDataset in workers', () => {
  it('reads and decodes the files in workers, with and without transforms', async () => {
    const ds = new gdata.vision.ImageFolderDataset(join(root, 'folder'));
    expect(ds.length).toBe(7);
    const plainRun = await bothWays(ds, { batchSize: 3 });
    expect(plainRun.workers).toEqual(plainRun.here);
    const [b0] = plainRun.here as Arr[];
    expect(b0[0].shape).toEqual([3, 5, 6, 3]);
    expect(b0[1]).toEqual({ shape: [3], dtype: 'int32', v: [0, 0, 0] });
    const items = [0, 1, 2].map((i) => ds.at(i));
    expect(b0[0]).toEqual(plain(nd.stack(items.map((s: Arr) => s[0]))));

    const tf = ds.transformFirst(new transforms.Compose([new transforms.RandomFlipTopBottom(), new transforms.ToTensor()]));
    const t = await bothWays(tf, { batchSize: 4, shuffle: true });
    expect(t.workers).toEqual(t.here);
    const gray = new gdata.vision.ImageFolderDataset(join(root, 'folder'), { flag: 0, transform: (img: Arr, label: number) => [img, label + 5] });
    const g = await bothWays(gray, { batchSize: 7 });
    expect(g.workers).toEqual(g.here);
    expect((g.here[0] as Arr[])[0].shape).toEqual([7, 5, 6, 1]);
    expect((g.here[0] as Arr[])[1].v).toEqual([5, 5, 5, 6, 6, 6, 6]);
  });

  it('a file that is not an image: an IsotensorError on the calling thread', () => {
    mkdirSync(join(root, 'broken', 'x'), { recursive: true });
    writeFileSync(join(root, 'broken', 'x', 'a.png'), 'not a png');
    const ds = new gdata.vision.ImageFolderDataset(join(root, 'broken'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const l = new gdata.DataLoader(ds, { batchSize: 1, numWorkers: 2 });
    try {
      expectError(() => epoch(l), 'image.decode: not a JPEG, PNG');
      expect(String(warn.mock.calls[0]![0])).toMatch(/a data worker failed \(IsotensorError: image.decode/);
    } finally {
      l.close();
    }
  });
});
