// mx.io's C++-style iterators against MXNet 1.9: CSVIter (its documented batches, round_batch, dtype), MNISTIter
// (1/256 scaling, the mt19937 shuffle, flat, parts) and ImageRecordIter (test/fixtures/io-iterators/
// gen_io_iterators.py: PNG records, centre crop, resize, pad, mean/std, mean image, mirror, labels, seeded
// random crops and shuffles, parts, round_batch), plus bad input.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const DIR = join(__dirname, '../fixtures/io-iterators');
const MNIST = join(__dirname, '../fixtures/gluon-data/mnist');
const ref = JSON.parse(readFileSync(join(DIR, 'io-iterators.json'), 'utf8'));
const rec = (name: string): string => join(DIR, `${name}.rec`);
const idx = (name: string): string => join(DIR, `${name}.idx`);
const tmp = mkdtempSync(join(tmpdir(), 'isotensor-io-'));

type Batch = InstanceType<typeof mx.io.DataBatch>;
const vals = (a: { dataSync(): ArrayLike<number> }): number[] => Array.from(a.dataSync() as ArrayLike<number>);
const rows = (b: Batch): number[][] => b.data[0]!.toArraySync() as number[][];
const all = (it: Iterable<Batch>): Batch[] => [...it];
/** The fixture's float32 values (stored as their shortest text) as float32. */
const fr = (v: number[] | number[][]): number[] => (v as number[]).flat().map(Math.fround);

beforeAll(async () => {
  await mx.ready();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('CSVIter', () => {
  const csv = '1,2,3\n2,3,4\n3,4,5\n4,5,6\n';

  it('gives the batches of MXNet\'s documented example (batch_size 2)', () => {
    const it = new mx.io.CSVIter({ data_csv: csv, data_shape: [3], batch_size: 2, label_csv: 'NULL' });
    const b = all(it);
    expect(b.map(rows)).toEqual([[[1, 2, 3], [2, 3, 4]], [[3, 4, 5], [4, 5, 6]]]);
    expect(b[0]!.data[0]!.dtype).toBe('float32');
    expect(b[0]!.label![0]!.shape).toEqual([2]);
    expect(vals(b[0]!.label![0]!)).toEqual([0, 0]);
    expect(b.map((x) => x.pad)).toEqual([0, 0]);
    expect(b[1]!.index).toEqual([2, 3]);
    expect(it.provideData.map(String)).toEqual(['DataDesc[data,(2, 3),float32,NCHW]']);
    expect(it.provideLabel.map(String)).toEqual(['DataDesc[softmax_label,(2,),float32,NCHW]']);
  });

  it('round_batch wraps the last batch and the next epoch goes on after it (batch_size 3)', () => {
    const it = new mx.io.CSVIter({ data_csv: csv, data_shape: [3], batch_size: 3 });
    const first = all(it);
    expect(first.map(rows)).toEqual([[[1, 2, 3], [2, 3, 4], [3, 4, 5]], [[4, 5, 6], [1, 2, 3], [2, 3, 4]]]);
    expect(first.map((b) => b.pad)).toEqual([0, 2]);
    it.reset();
    const second = all(it);
    expect(second.map(rows)).toEqual([[[3, 4, 5], [4, 5, 6], [1, 2, 3]]]);
    expect(second[0]!.pad).toBe(1);
    it.reset();
    expect(all(it).map(rows)).toEqual([[[2, 3, 4], [3, 4, 5], [4, 5, 6]]]);
  });

  it('without round_batch the last batch keeps the previous values in its padded slots; int32 dtype', () => {
    const it = new mx.io.CSVIter({ dataCsv: csv, dataShape: [3], batchSize: 3, roundBatch: false, dtype: 'int32' });
    for (let epoch = 0; epoch < 2; epoch++) {
      const b = all(it);
      expect(b.map(rows)).toEqual([[[1, 2, 3], [2, 3, 4], [3, 4, 5]], [[4, 5, 6], [2, 3, 4], [3, 4, 5]]]);
      expect(b.map((x) => x.pad)).toEqual([0, 2]);
      expect(b[0]!.data[0]!.dtype).toBe('int32');
      expect(b[0]!.label![0]!.dtype).toBe('int32');
      it.reset();
    }
    const i64 = new mx.io.CSVIter({ data_csv: '7,-8\n', data_shape: [2], batch_size: 1, dtype: 'int64' });
    const b = i64.nextBatch()!;
    expect(b.data[0]!.dtype).toBe('int64');
    expect(b.data[0]!.toArraySync()).toEqual([[7, -8]]);
  });

  it('reshapes rows to data_shape, reads labels of label_shape, files, folders and bytes', () => {
    const data = join(tmp, 'd.csv');
    writeFileSync(data, '1,2,3,4\n5,6,7,8\r\n\n9,10,11,12,\n');
    const labels = new TextEncoder().encode('0.5,1\n1.5,2\n2.5,3\n');
    const it = new mx.io.CSVIter({ data_csv: data, data_shape: [2, 2], label_csv: labels, label_shape: [2], batch_size: 2,
                                   data_name: 'x', label_name: 'y' });
    const b = all(it);
    expect(b[0]!.data[0]!.shape).toEqual([2, 2, 2]);
    expect(b[0]!.data[0]!.toArraySync()).toEqual([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    expect(b[1]!.label![0]!.toArraySync()).toEqual([[2.5, 3], [0.5, 1]]);
    expect(b[1]!.pad).toBe(1);
    expect(it.provideData[0]!.name).toBe('x');
    expect(it.provideLabel.map(String)).toEqual(['DataDesc[y,(2, 2),float32,NCHW]']);
    const folder = join(tmp, 'parts');
    mkdirSync(folder);
    writeFileSync(join(folder, 'b.csv'), '3\n4\n');
    writeFileSync(join(folder, 'a.csv'), '1\n2\n');
    const f = new mx.io.CSVIter({ data_csv: folder, data_shape: [1], batch_size: 4 });
    expect(vals(f.nextBatch()!.data[0]!)).toEqual([1, 2, 3, 4]);
  });

  it('refuses bad input, naming the iterator and the argument', () => {
    expectError(() => new mx.io.CSVIter({ data_csv: '1,2\n3\n', data_shape: [2], batch_size: 1 }), 'CSVIter', 'data_csv line 2 has 1 values', 'data_shape (2)');
    expectError(() => new mx.io.CSVIter({ data_csv: join(tmp, 'missing.csv'), data_shape: [2], batch_size: 1 }), 'CSVIter', 'data_csv', 'does not exist');
    expectError(() => new mx.io.CSVIter({ data_csv: csv, data_shape: [3], batch_size: 1, shuffle: true } as never), 'CSVIter', "unknown parameter 'shuffle'");
    expectError(() => new mx.io.CSVIter({ data_csv: csv, batch_size: 1 } as never), 'CSVIter', "parameter 'data_shape'", 'required');
    expectError(() => new mx.io.CSVIter({ data_csv: csv, data_shape: [3], batch_size: 0 }), 'CSVIter', "'batch_size'", '>= 1');
    expectError(() => new mx.io.CSVIter({ data_csv: csv, data_shape: [3], batch_size: 1, dtype: 'float64' as never }), 'CSVIter', "'dtype'", "'int64'");
    expectError(() => new mx.io.CSVIter({ data_csv: csv, data_shape: [3], batch_size: 1, label_csv: '1\n2\n' }), 'CSVIter', 'label_csv', '2 rows', 'data_csv has 4');
    expectError(() => new mx.io.CSVIter({ data_csv: '1,x\n', data_shape: [2], batch_size: 1 }), 'CSVIter', "'x' is not a number");
    expectError(() => new mx.io.CSVIter({ data_csv: csv, data_shape: [3], batch_size: 9 }).nextBatch(), 'CSVIter', 'must be at least the batch size');
    expectError(() => new mx.io.CSVIter({ data_csv: csv, data_shape: [3], dataShape: [3], batch_size: 1 } as never), "'data_shape' given twice");
  });
});

describe('MNISTIter', () => {
  const trainImages = join(MNIST, 'train-images-idx3-ubyte.gz');
  const trainLabels = join(MNIST, 'train-labels-idx1-ubyte.gz');
  const raw = gunzipSync(readFileSync(trainImages));
  const pixels = Array.from(raw.subarray(16));
  const labels = Array.from(gunzipSync(readFileSync(trainLabels)).subarray(8));
  const image = (i: number): number[] => pixels.slice(i * 48, (i + 1) * 48).map((v) => v / 256);

  it('reads gzipped IDX files in order, scaled by 1/256, full batches only', () => {
    const it = new mx.io.MNISTIter({ image: trainImages, label: trainLabels, batch_size: 4, shuffle: false });
    const b = all(it);
    expect(b.length).toBe(2);   // 10 images: the last 2 do not fill a batch
    expect(b[0]!.data[0]!.shape).toEqual([4, 1, 8, 6]);
    expect(b[0]!.data[0]!.dtype).toBe('float32');
    expect(vals(b[1]!.data[0]!)).toEqual([4, 5, 6, 7].flatMap(image));
    expect(vals(b[1]!.label![0]!)).toEqual(labels.slice(4, 8));
    expect(b[1]!.pad).toBe(0);
    expect(it.provideLabel.map(String)).toEqual(['DataDesc[softmax_label,(4,),float32,NCHW]']);
  });

  it('shuffles once with mt19937(seed), as MXNet; flat gives (B, rows*cols)', () => {
    const order = ref.mnist.order_seed3 as number[];
    const it = new mx.io.MNISTIter({ image: trainImages, label: trainLabels, batch_size: 5, seed: 3, flat: true });
    for (let epoch = 0; epoch < 2; epoch++) {
      const b = all(it);
      expect(b[0]!.data[0]!.shape).toEqual([5, 48]);
      expect(vals(b[1]!.data[0]!)).toEqual(order.slice(5).flatMap(image));
      expect(vals(b[0]!.label![0]!)).toEqual(order.slice(0, 5).map((i) => labels[i]));
      expect(b[0]!.index).toEqual(order.slice(0, 5));
      it.reset();
    }
  });

  it('reads one part; takes the bytes of raw files', () => {
    const [s, e] = ref.mnist.part_3_1 as [number, number];
    const it = new mx.io.MNISTIter({ image: trainImages, label: trainLabels, batch_size: e - s, shuffle: false, num_parts: 3, part_index: 1 });
    expect(vals(it.nextBatch()!.data[0]!)).toEqual([...Array(e - s).keys()].flatMap((i) => image(s + i)));
    const bytes = new mx.io.MNISTIter({ image: readFileSync(join(MNIST, 't10k-images-idx3-ubyte')),
                                        label: readFileSync(join(MNIST, 't10k-labels-idx1-ubyte')), batch_size: 4, shuffle: false });
    const b = bytes.nextBatch()!;
    expect(vals(b.data[0]!)).toEqual(Array.from(readFileSync(join(MNIST, 't10k-images-idx3-ubyte')).subarray(16)).map((v) => v / 256));
  });

  it('refuses bad input', () => {
    expectError(() => new mx.io.MNISTIter({ image: join(tmp, 'nope'), label: trainLabels }), 'MNISTIter', 'image', 'does not exist');
    expectError(() => new mx.io.MNISTIter({ image: trainLabels, label: trainLabels }), 'MNISTIter', "'image' must be an IDX file of uint8 images");
    expectError(() => new mx.io.MNISTIter({ image: trainImages, label: trainLabels, part_index: 2, num_parts: 2 }), 'MNISTIter', 'part_index 2');
    expectError(() => new mx.io.MNISTIter({ image: trainImages, label: trainLabels, batchsize: 3 } as never), 'MNISTIter', "unknown parameter 'batchsize'");
    expectError(() => new mx.io.MNISTIter({ image: 5 as never }), 'MNISTIter', "parameter 'image'", 'a path');
  });
});

describe('ImageRecordIter', () => {
  const mean = { mean_r: 10, mean_g: 20, mean_b: 30, std_r: 2, std_g: 3, std_b: 4 };
  const center = (ref.center as number[][]).map((img) => img.map(Math.fround));
  const ids = ref.ids as number[];
  const cat = (list: number[][], order: number[]): number[] => order.flatMap((i) => list[i]!);
  const close = (got: number[], want: number[], tol: number): void => {
    expect(got.length).toBe(want.length);
    const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
    expect(worst).toBeLessThanOrEqual(tol);
  };

  it('centre-crops, swaps BGR to RGB and normalizes; round_batch wraps and the next epoch goes on', () => {
    const it = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), path_imgidx: idx('color'), data_shape: [3, 4, 4], batch_size: 2, ...mean });
    const e1 = all(it);
    expect(e1.map((b) => b.index)).toEqual([[100, 101], [102, 103], [104, 100]]);
    expect(e1.map((b) => b.pad)).toEqual([0, 0, 1]);
    expect(e1[0]!.data[0]!.shape).toEqual([2, 3, 4, 4]);
    expect(e1[0]!.data[0]!.dtype).toBe('float32');
    expect(vals(e1[1]!.data[0]!)).toEqual(cat(center, [2, 3]));
    expect(vals(e1[2]!.data[0]!)).toEqual(cat(center, [4, 0]));
    expect(vals(e1[2]!.label![0]!)).toEqual([9, 3]);
    expect(it.provideData.map(String)).toEqual(['DataDesc[data,(2, 3, 4, 4),float32,NCHW]']);
    expect(it.provideLabel.map(String)).toEqual(['DataDesc[softmax_label,(2,),float32,NCHW]']);
    it.reset();
    expect(all(it).map((b) => b.index)).toEqual([[101, 102], [103, 104]]);
    it.reset();
    expect(all(it).map((b) => b.index)).toEqual([[100, 101], [102, 103], [104, 100]]);
  });

  it('reads the same without an index file, from bytes; round_batch false pads with stale slots', () => {
    const it = new mx.io.ImageRecordIter({ pathImgrec: new Uint8Array(readFileSync(rec('color'))), dataShape: [3, 4, 4],
                                           batchSize: 3, roundBatch: false, ...mean });
    const b = all(it);
    expect(b.map((x) => x.pad)).toEqual([0, 1]);
    expect(vals(b[0]!.data[0]!)).toEqual(cat(center, [0, 1, 2]));
    expect(vals(b[1]!.data[0]!)).toEqual(cat(center, [3, 4, 2]));
    expect(vals(b[1]!.label![0]!).slice(0, 2)).toEqual([1.5, 9]);
  });

  it('mirror, uint8 and int8 output', () => {
    const m = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, mirror: true, ...mean });
    const flipped = center.map((img) => img.map((_, i) => img[i - (i % 4) + 3 - (i % 4)]!));
    expect(vals(m.nextBatch()!.data[0]!)).toEqual(flipped.flat());
    const u = new mx.io.ImageRecordUInt8Iter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5 });
    const ub = u.nextBatch()!;
    expect(ub.data[0]!.dtype).toBe('uint8');
    expect(vals(ub.data[0]!)).toEqual(fr(ref.uint8));
    const d = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, dtype: 'uint8' });
    expect(vals(d.nextBatch()!.data[0]!)).toEqual(fr(ref.uint8));
    const i8 = new mx.io.ImageRecordInt8Iter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, mean_r: 10, mean_g: 20, mean_b: 30 });
    const want = (ref.uint8 as number[][]).flatMap((img) => img.map((v, i) => Math.max(-128, Math.min(127, v - [10, 20, 30][Math.floor(i / 16)]!))));
    const ib = i8.nextBatch()!;
    expect(ib.data[0]!.dtype).toBe('int8');
    expect(vals(ib.data[0]!)).toEqual(want);
  });

  it('resizes the shorter edge (OpenCV byte for byte), pads, enlarges small images, reads gray and RGBA', () => {
    const near = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 5], batch_size: 5, resize: 5, inter_method: 0, ...mean });
    expect(vals(near.nextBatch()!.data[0]!)).toEqual(fr(ref.resize_nearest));
    const lin = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 5], batch_size: 5, resize: 5 });
    expect(vals(lin.nextBatch()!.data[0]!)).toEqual(fr(ref.resize_linear));
    for (const interMethod of [3, 9]) {
      const area = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 3, 3], batch_size: 5, resize: 3, interMethod });
      expect(vals(area.nextBatch()!.data[0]!)).toEqual(fr(ref.resize_area));
    }
    const pad = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, pad: 1, fill_value: 7 });
    expect(vals(pad.nextBatch()!.data[0]!)).toEqual(fr(ref.pad));
    const big = new mx.io.ImageRecordIter({ path_imgrec: rec('gray'), data_shape: [1, 7, 7], batch_size: 3, inter_method: 0 });
    const bb = big.nextBatch()!;
    expect(bb.data[0]!.shape).toEqual([3, 1, 7, 7]);
    expect(vals(bb.data[0]!)).toEqual(fr(ref.enlarge));
    const rgba = new mx.io.ImageRecordIter({ path_imgrec: rec('rgba'), data_shape: [4, 3, 3], batch_size: 2, mean_r: 1, mean_g: 2, mean_b: 3,
                                             mean_a: 4, std_a: 2 });
    expect(vals(rgba.nextBatch()!.data[0]!)).toEqual(fr(ref.rgba));
    const gray = new mx.io.ImageRecordIter({ path_imgrec: rec('gray'), data_shape: [1, 4, 4], batch_size: 3 });
    expect(vals(gray.nextBatch()!.data[0]!)).toEqual(fr(ref.gray));
  });

  it('decodes as cv::imdecode: gray per codec for data_shape[0] 1, alpha kept (RGBA) for 4', () => {
    // test/fixtures/recordio: cv2.imdecode's pixels of color/gray/saturated JPEGs and PNGs, RGBA and gray+alpha.
    const RECIO = join(__dirname, '../fixtures/recordio');
    interface Entry { name: string; key: number; decoded: Record<string, { shape: number[]; pixels: string }> }
    const images = (JSON.parse(readFileSync(join(RECIO, 'manifest.json'), 'utf8')) as { images: Entry[] }).images;
    const src = new mx.recordio.MXIndexedRecordIO(join(RECIO, 'images.idx'), join(RECIO, 'images.rec'), 'r');
    const recordsOf = (entries: Entry[]): Uint8Array => {
      const w = new mx.recordio.MXRecordIO(null, 'w');
      for (const e of entries) w.write(mx.recordio.pack({ flag: 0, label: e.key, id: e.key, id2: 0 }, mx.recordio.unpack(src.readIdx(e.key))[1]));
      return w.bytes();
    };
    const pixels = (e: Entry, flag: string): number[] => Array.from(Buffer.from(e.decoded[flag]!.pixels, 'hex'));
    const gray = new mx.io.ImageRecordIter({ path_imgrec: recordsOf(images), data_shape: [1, 6, 8], batch_size: images.length });
    expect(vals(gray.nextBatch()!.data[0]!)).toEqual(images.flatMap((e) => pixels(e, '0')));
    const withAlpha = images.filter((e) => e.decoded['-1']!.shape[2] === 4);
    expect(withAlpha.map((e) => e.name)).toEqual(['bgra.png', 'gray_alpha.png']);
    const rgba = new mx.io.ImageRecordIter({ path_imgrec: recordsOf(withAlpha), data_shape: [4, 6, 8], batch_size: 2 });
    // cv2's BGRA, planar in MXNet's RGBA order.
    const want = withAlpha.flatMap((e) => [2, 1, 0, 3].flatMap((c) => pixels(e, '-1').filter((_, i) => i % 4 === c)));
    expect(vals(rgba.nextBatch()!.data[0]!)).toEqual(want);
    expectError(() => new mx.io.ImageRecordIter({ path_imgrec: recordsOf(images.slice(0, 1)), data_shape: [4, 6, 8], batch_size: 1 }).nextBatch(),
                'ImageRecordIter', 'expected 4 channels, got 3');
  });

  it('takes labels from multi-label records and from an image list', () => {
    const it = new mx.io.ImageRecordIter({ path_imgrec: rec('multi'), data_shape: [3, 4, 4], batch_size: 5, label_width: 2 });
    const b = it.nextBatch()!;
    expect(b.label![0]!.shape).toEqual([5, 2]);
    expect(vals(b.label![0]!)).toEqual(fr(ref.multi));
    expect(it.provideLabel.map(String)).toEqual(['DataDesc[softmax_label,(5, 2),float32,NCHW]']);
    const lst = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), path_imglist: join(DIR, 'color.lst'), data_shape: [3, 4, 4],
                                            batch_size: 5, label_width: 2 });
    expect(vals(lst.nextBatch()!.label![0]!)).toEqual([0, 0, 7, -1, 14, -2, 21, -3, 28, -4]);
    expectError(() => new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, label_width: 2 }).nextBatch(),
                'ImageRecordIter', 'label_width must be 1 unless an imglist is provided');
  });

  it('computes, saves and reloads the mean image', () => {
    const path = join(tmp, 'mean.bin');
    const it = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, mean_img: path });
    expect(existsSync(path)).toBe(true);
    const saved = mx.nd.loadSync(path) as Record<string, InstanceType<typeof mx.NDArray>>;
    expect(Object.keys(saved)).toEqual(['mean_img']);
    expect(vals(saved.mean_img!)).toEqual(fr(ref.mean_img));
    expect(vals(it.nextBatch()!.data[0]!)).toEqual(fr(ref.minus_mean_img));
    const again = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, meanImg: path });
    expect(vals(again.nextBatch()!.data[0]!)).toEqual(fr(ref.minus_mean_img));
    expectError(() => new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 5, 5], batch_size: 5, mean_img: path }),
                'ImageRecordIter', 'the mean image is (3, 4, 4), data_shape is (3, 5, 5)');
  });

  it('draws random crops (also resized and square), mirrors, affine warps, color jitter, HLS shifts and PCA noise as MXNet\'s seeded decoding thread; seed_aug reseeds per image', () => {
    const rc = ref.rand_crop_mirror as { data: number[] }[];
    for (let run = 0; run < 2; run++) {
      const it = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, rand_crop: true, rand_mirror: true });
      expect(vals(it.nextBatch()!.data[0]!)).toEqual(fr(rc.map((r) => r.data)));
    }
    const aff = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, max_random_scale: 1.3,
                                            min_random_scale: 0.9, max_rotate_angle: 20, max_shear_ratio: 0.2, max_aspect_ratio: 0.25,
                                            fill_value: 40 });
    expect(vals(aff.nextBatch()!.data[0]!)).toEqual(fr(ref.affine));
    // The same draws with nearest (0), bicubic (2) and Lanczos4 (4) sampling: cv::warpAffine's fixed point, byte for byte.
    for (const [inter, want] of Object.entries(ref.affine_inter as Record<string, number[][]>)) {
      const it = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, max_random_scale: 1.3,
                                             min_random_scale: 0.9, max_rotate_angle: 20, max_shear_ratio: 0.2, max_aspect_ratio: 0.25,
                                             fill_value: 40, inter_method: Number(inter) });
      expect(vals(it.nextBatch()!.data[0]!), `inter_method ${inter}`).toEqual(fr(want));
    }
    const jit = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, brightness: 0.3, contrast: 0.3,
                                            saturation: 0.3, pca_noise: 0.1 });
    expect(vals(jit.nextBatch()!.data[0]!)).toEqual(fr(ref.jitter));
    const hls = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, random_h: 20, random_s: 30,
                                            random_l: 25 });
    expect(vals(hls.nextBatch()!.data[0]!)).toEqual(fr(ref.hls));
    const rrc = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, random_resized_crop: true,
                                            min_random_area: 0.5, max_aspect_ratio: 1.3, min_aspect_ratio: 0.75, inter_method: 0 });
    expect(vals(rrc.nextBatch()!.data[0]!)).toEqual(fr(ref.random_resized_crop));
    const sq = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, min_crop_size: 4,
                                           max_crop_size: 5, rand_crop: true, inter_method: 0 });
    expect(vals(sq.nextBatch()!.data[0]!)).toEqual(fr(ref.crop_size));
    const sa = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), path_imgidx: idx('color'), data_shape: [3, 4, 4], batch_size: 5,
                                           rand_crop: true, seed_aug: 5 });
    expect(vals(sa.nextBatch()!.data[0]!)).toEqual(fr(ref.seed_aug5));
    sa.reset();
    expect(vals(sa.nextBatch()!.data[0]!)).toEqual(fr(ref.seed_aug5));
  });

  it('shuffles with std::shuffle: the index per epoch, the chunk without an index', () => {
    const perms = ref.idx_shuffle_seed7 as number[][];
    const it = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), path_imgidx: idx('color'), data_shape: [3, 4, 4], batch_size: 5,
                                           shuffle: true, seed: 7, ...mean });
    for (const p of perms) {
      const b = it.nextBatch()!;
      expect(b.index).toEqual(p.map((i) => ids[i]));
      expect(vals(b.data[0]!)).toEqual(cat(center, p));
      expect(it.nextBatch()).toBeNull();
      it.reset();
    }
    const legacy = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 5, shuffle: true, seed: 7 });
    for (const p of ref.legacy_shuffle_seed7 as number[][]) {
      expect(legacy.nextBatch()!.index).toEqual(p.map((i) => ids[i]));
      legacy.reset();
    }
  });

  it('reads one part: records with an index, bytes without', () => {
    const part = (k: number, withIdx: boolean): number[] => {
      const it = new mx.io.ImageRecordIter({ path_imgrec: rec('color'), ...(withIdx ? { path_imgidx: idx('color') } : {}),
                                             data_shape: [3, 4, 4], batch_size: 1, num_parts: 2, part_index: k });
      return all(it).map((b) => b.index![0]!);
    };
    expect([part(0, true), part(1, true)]).toEqual([[100, 101, 102], [103, 104]]);
    expect([part(0, false), part(1, false)]).toEqual((ref.byte_parts as number[][]).map((p) => p.map((i) => ids[i])));
  });

  it('refuses bad input, naming the iterator and the argument', () => {
    const base = { path_imgrec: rec('color'), data_shape: [3, 4, 4], batch_size: 2 };
    expectError(() => new mx.io.ImageRecordIter({ ...base, path_imgrec: join(tmp, 'none.rec') }), 'ImageRecordIter', 'path_imgrec', 'does not exist');
    expectError(() => new mx.io.ImageRecordIter({ data_shape: [3, 4, 4], batch_size: 2 }), 'ImageRecordIter', 'path_imgrec', 'required');
    expectError(() => new mx.io.ImageRecordIter({ ...base, data_shape: [4, 4] }), 'ImageRecordIter', 'data_shape must be (channels, height, width)');
    expectError(() => new mx.io.ImageRecordIter({ ...base, data_shape: [2, 4, 4] }), 'ImageRecordIter', 'data_shape[0]', '1, 3 or 4');
    expectError(() => new mx.io.ImageRecordIter({ ...base, rand_mirrror: true }), 'ImageRecordIter', "unknown parameter 'rand_mirrror'");
    expectError(() => new mx.io.ImageRecordIter({ ...base, inter_method: 5 }), 'ImageRecordIter', 'invalid inter_method 5');
    expectError(() => new mx.io.ImageRecordIter({ ...base, dtype: 'float16' as never }), 'ImageRecordIter', "dtype must be 'float32', 'uint8' or 'int8'");
    expectError(() => new mx.io.ImageRecordUInt8Iter({ ...base, std_r: 2 }), 'ImageRecordUInt8Iter', 'std_r has no effect with uint8 output');
    expectError(() => new mx.io.ImageRecordIter({ ...base, max_crop_size: 20, min_crop_size: 10 }).nextBatch(), 'ImageRecordIter',
                'smaller than max_crop_size 20');
    expectError(() => new mx.io.ImageRecordIter({ ...base, data_shape: [4, 4, 4] }).nextBatch(), 'ImageRecordIter', 'expected 4 channels, got 3');
    expectError(() => new mx.io.ImageRecordIter({ ...base, batch_size: 11 }).nextBatch(), 'ImageRecordIter', 'must be bigger than the batch size');
    expectError(() => new mx.io.ImageRecordIter({ ...base, path_imgidx: new TextEncoder().encode('0\t12\n1 x\n') }), 'ImageRecordIter', 'path_imgidx line 2');
    expectError(() => new mx.io.ImageRecordIter({ ...base, path_imgrec: join(DIR, 'color.idx') }), 'ImageRecordIter', 'not a valid RecordIO file');
    expectError(() => new mx.io.ImageRecordIter({ ...base, path_imgrec: DIR }), 'ImageRecordIter: path_imgrec');
    expectError(() => new mx.io.ImageRecordIter({ ...base, path_imgrec: new Uint8Array([1, 2, 3]) }), 'ImageRecordIter: path_imgrec', 'not a valid RecordIO file');
  });
});
