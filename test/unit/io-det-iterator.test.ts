// mx.io.ImageDetRecordIter against MXNet 1.9 (test/fixtures/io-det-iterator/gen_io_det_iterator.py): label rows
// (C, rows, cols, length, label, padding), force/shrink/fit resizes, mean/std/scale, mirror, pad, seeded random
// crops and color, path_imglist, shuffle, parts, round_batch, mean image, and bad input.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const DIR = join(__dirname, '../fixtures/io-det-iterator');
const ref = JSON.parse(readFileSync(join(DIR, 'io-det-iterator.json'), 'utf8'));
const REC = join(DIR, 'det.rec');
const tmp = mkdtempSync(join(tmpdir(), 'isotensor-det-'));

type Batch = InstanceType<typeof mx.io.DataBatch>;
type Ex = { data: number[]; label: number[] };
const vals = (a: { dataSync(): ArrayLike<number> }): number[] => Array.from(a.dataSync() as ArrayLike<number>);
const all = (it: Iterable<Batch>): Batch[] => [...it];
const fr = (v: number[]): number[] => v.map(Math.fround);
const base = { path_imgrec: REC, batch_size: 4, inter_method: 0 };

/** One batch of all four records against the fixture's examples (data exact, label exact). */
function expectBatch(b: Batch, exs: Ex[]): void {
  const n = exs.length;
  const data = vals(b.data[0]!), label = vals(b.label![0]!);
  const unit = data.length / n, width = label.length / n;
  exs.forEach((ex, i) => {
    expect(data.slice(i * unit, (i + 1) * unit)).toEqual(fr(ex.data));
    expect(label.slice(i * width, (i + 1) * width)).toEqual(fr(ex.label));
  });
}

function first(opts: Record<string, unknown>): Batch {
  const it = new mx.io.ImageDetRecordIter({ ...base, ...opts });
  const b = it.nextBatch();
  expect(b).not.toBeNull();
  return b!;
}

beforeAll(async () => {
  await mx.ready();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ImageDetRecordIter', () => {
  it('force-resizes, normalizes and pads each label row to the widest label', () => {
    const it = new mx.io.ImageDetRecordIter({ ...base, data_shape: [3, 5, 5], mean_r: 10, mean_g: 20, mean_b: 30,
                                              std_r: 2, std_g: 3, std_b: 4, scale: 0.5 });
    expect(it.labelPadWidth).toBe(ref.pad_width);
    expect(it.provideData.map(String)).toEqual(['DataDesc[data,(4, 3, 5, 5),float32,NCHW]']);
    expect(it.provideLabel.map(String)).toEqual([`DataDesc[softmax_label,(4, ${ref.pad_width + 4}),float32,NCHW]`]);
    const b = all(it);
    expect(b.length).toBe(1);
    expect(b[0]!.data[0]!.shape).toEqual([4, 3, 5, 5]);
    expect(b[0]!.label![0]!.shape).toEqual([4, ref.pad_width + 4]);
    expect(b[0]!.index).toEqual(ref.ids);
    expect(b[0]!.pad).toBe(0);
    expectBatch(b[0]!, ref.force);
  });

  it('takes label_pad_width and label_pad_value (camelCase too) and refuses a width below the widest label', () => {
    expectBatch(first({ data_shape: [3, 5, 5], labelPadWidth: 20, labelPadValue: -2 }), ref.pad20);
    expectError(() => new mx.io.ImageDetRecordIter({ ...base, data_shape: [3, 5, 5], label_pad_width: 10 }),
                'ImageDetRecordIter', 'label_pad_width 10 is smaller than the widest label (17 values)');
  });

  it('mirrors images and boxes with rand_mirror_prob 1', () => {
    expectBatch(first({ data_shape: [3, 5, 5], rand_mirror_prob: 1 }), ref.mirror);
  });

  it('pads at a seeded random scale and place (rand_pad_prob 1, max_pad_scale 2.5, fill_value 50)', () => {
    expectBatch(first({ data_shape: [3, 8, 8], rand_pad_prob: 1, max_pad_scale: 2.5, fill_value: 50 }), ref.pad);
  });

  it('shrink keeps small images and leaves the rest of the slot at 0 - mean; fit scales every image', () => {
    const s = first({ data_shape: [3, 6, 6], resize_mode: 'shrink', mean_r: 10, mean_g: 20, mean_b: 30 });
    expectBatch(s, ref.shrink);
    expectBatch(first({ data_shape: [3, 6, 6], resizeMode: 'fit' }), ref.fit);
  });

  it('crops with seeded samplers, dropping the objects whose centre falls outside', () => {
    const b = first({ data_shape: [3, 4, 4], rand_crop_prob: 1, num_crop_sampler: 2, min_crop_scales: [0.5, 0.7],
                      min_crop_aspect_ratios: 0.5, max_crop_aspect_ratios: 2, min_crop_overlaps: [0.1, 0.3],
                      max_crop_trials: [50, 50] });
    expectBatch(b, ref.crop);
  });

  it('crops with coverage limits and crop_emit_mode overlap', () => {
    const b = first({ data_shape: [3, 4, 4], rand_crop_prob: 1, min_crop_scales: 0.3, min_crop_sample_coverages: 0.2,
                      max_crop_object_coverages: 0.9, crop_emit_mode: 'overlap', emit_overlap_thresh: 0.5, max_crop_trials: 30 });
    expectBatch(b, ref.crop_overlap);
  });

  it('resizes with Lanczos (4), and with a method drawn per resize (10), seeded', () => {
    const lanczos = vals(first({ data_shape: [3, 5, 5], inter_method: 4 }).data[0]!);
    const linear = vals(first({ data_shape: [3, 5, 5], inter_method: 1 }).data[0]!);
    expect(lanczos.length).toBe(linear.length);
    expect(lanczos).not.toEqual(linear);
    // 10 draws one of 0-4 at each resize: every image is what one of the five methods gives it.
    const per = (m: number): number[][] => {
      const v = vals(first({ data_shape: [3, 5, 5], inter_method: m }).data[0]!);
      return [0, 1, 2, 3].map((i) => v.slice(i * 75, (i + 1) * 75));
    };
    const fixed = [0, 1, 2, 3, 4].map(per);
    const drawn = per(10);
    const picked = drawn.map((img, i) => fixed.findIndex((f) => f[i]!.every((v, k) => v === img[k])));
    expect(picked.every((m) => m >= 0)).toBe(true);
    expect(per(10)).toEqual(drawn);
  });

  it('decodes gray for data_shape[0] 1 (mean_r, std_r) and resizes bilinearly by default', () => {
    expectBatch(first({ data_shape: [1, 4, 4], mean_r: 10, std_r: 4 }), ref.gray);
    const lin = first({ data_shape: [3, 5, 5], inter_method: undefined });
    const data = vals(lin.data[0]!), want = ref.linear.flatMap((e: Ex) => e.data);
    expect(data.length).toBe(want.length);
    // image_resize.ts runs OpenCV's fixed-point bilinear path: the same bytes.
    expect(data).toEqual(want);
    expect(vals(lin.label![0]!)).toEqual(fr(ref.linear.flatMap((e: Ex) => e.label)));
  });

  it('runs color, mirror, pad and crop together in MXNet\'s order of draws', () => {
    const b = first({ data_shape: [3, 6, 6], max_random_hue: 20, random_hue_prob: 1, max_random_saturation: 30,
                      random_saturation_prob: 0.5, max_random_illumination: 25, random_illumination_prob: 0.7,
                      max_random_contrast: 0.5, random_contrast_prob: 1, rand_mirror_prob: 0.5, rand_pad_prob: 0.5,
                      max_pad_scale: 2, rand_crop_prob: 0.7, num_crop_sampler: 2, min_crop_scales: [0.5, 0.7],
                      min_crop_aspect_ratios: 0.5, max_crop_aspect_ratios: 2, min_crop_overlaps: [0.1, 0.3],
                      max_crop_trials: 50 });
    expectBatch(b, ref.all);
  });

  it('reads labels from path_imglist (any width) instead of the records', () => {
    const it = new mx.io.ImageDetRecordIter({ ...base, data_shape: [3, 5, 5], path_imglist: join(DIR, 'det.lst') });
    expect(it.labelPadWidth).toBe(12);
    expectBatch(it.nextBatch()!, ref.lst);
    const bytes = new mx.io.ImageDetRecordIter({ ...base, pathImgrec: new Uint8Array(readFileSync(REC)), path_imgrec: undefined,
                                                 dataShape: [3, 5, 5], pathImglist: new Uint8Array(readFileSync(join(DIR, 'det.lst'))) });
    expectBatch(bytes.nextBatch()!, ref.lst);
  });

  it('round_batch completes the last batch from the start and the next epoch goes on from there', () => {
    const it = new mx.io.ImageDetRecordIter({ ...base, data_shape: [3, 2, 2], batch_size: 3 });
    const e1 = all(it);
    expect(e1.map((b) => b.index)).toEqual([[10, 11, 12], [13, 10, 11]]);
    expect(e1.map((b) => b.pad)).toEqual([0, 2]);
    it.reset();
    const e2 = all(it);
    expect(e2.map((b) => b.index)).toEqual([[12, 13, 10]]);
    expect(e2[0]!.pad).toBe(1);
    const plain = new mx.io.ImageDetRecordIter({ ...base, data_shape: [3, 2, 2], batch_size: 3, round_batch: false });
    const p = all(plain);
    expect(p.map((b) => b.pad)).toEqual([0, 2]);
    expect(p[1]!.index![0]).toBe(13);
    plain.reset();
    expect(all(plain).length).toBe(2);
    expectError(() => new mx.io.ImageDetRecordIter({ ...base, data_shape: [3, 2, 2], batch_size: 9 }).nextBatch(),
                'ImageDetRecordIter', 'must be bigger than the batch size');
  });

  it('shuffles each chunk with mt19937(233 + seed) and splits parts by bytes', () => {
    const it = new mx.io.ImageDetRecordIter({ ...base, data_shape: [3, 2, 2], shuffle: true, seed: 5 });
    const orders: number[][] = [];
    for (let e = 0; e < 2; e++) {
      orders.push(it.nextBatch()!.index!);
      it.reset();
    }
    expect(orders).toEqual(ref.shuffle5);
    for (let k = 0; k < 2; k++) {
      const part = new mx.io.ImageDetRecordIter({ ...base, data_shape: [3, 2, 2], batch_size: 1, num_parts: 2, part_index: k });
      expect(part.numExamples).toBe(ref.parts[k].length);
      expect(all(part).map((b) => b.index![0])).toEqual(ref.parts[k]);
    }
  });

  it('computes, saves and then loads mean_img (the mean of the normalized examples)', () => {
    const path = join(tmp, 'mean.nd');
    const std = [2, 3, 4], unit = 75;
    const raw = vals(first({ data_shape: [3, 5, 5] }).data[0]!);
    const chan = (i: number): number => std[Math.floor((i % unit) / 25)]!;
    const plain = raw.map((v, i) => Math.fround(v / chan(i)));
    const it = new mx.io.ImageDetRecordIter({ ...base, data_shape: [3, 5, 5], std_r: 2, std_g: 3, std_b: 4, mean_img: path });
    expect(existsSync(path)).toBe(true);
    const mean = new Float32Array(unit);
    for (let i = 0; i < 4; i++) for (let j = 0; j < unit; j++) mean[j] = i === 0 ? plain[j]! : Math.fround(mean[j]! + plain[i * unit + j]!);
    for (let j = 0; j < unit; j++) mean[j] = Math.fround(mean[j]! * Math.fround(1 / 4));
    const want = raw.map((v, i) => Math.fround(Math.fround(v - mean[i % unit]!) / chan(i)));
    expect(vals(it.nextBatch()!.data[0]!)).toEqual(want);
    const again = new mx.io.ImageDetRecordIter({ ...base, data_shape: [3, 5, 5], std_r: 2, std_g: 3, std_b: 4, meanImg: path });
    expect(vals(again.nextBatch()!.data[0]!)).toEqual(want);
    expectError(() => new mx.io.ImageDetRecordIter({ ...base, data_shape: [3, 4, 4], mean_img: path }),
                'ImageDetRecordIter', 'the mean image is (3, 5, 5)');
  });

  it('refuses bad input with messages naming the parameter', () => {
    const d = { ...base, data_shape: [3, 4, 4] };
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, path_imgrec: join(DIR, 'plain.rec') }),
                'ImageDetRecordIter', 'record 0 holds no detection label');
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, label_width: 7 }), 'provides 12-dimensional labels but label_width is 7');
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, num_crop_sampler: 2, min_crop_scales: [0, 0.1, 0.2] }),
                'min_crop_scales holds 3 values', 'num_crop_sampler 2');
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, min_crop_scales: [0, 0.5] }), 'min_crop_scales must hold 1 value');
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, min_crop_scales: 1 }), 'max_crop_scales (1) must be > min_crop_scales (1)');
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, max_crop_trials: 2.5 }), "parameter 'max_crop_trials' must be an integer");
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, minCropScales: 'a' }), "parameter 'minCropScales' must be a number");
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, resize_mode: 'stretch' as never }), "'force', 'shrink', 'fit'");
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, crop_emit_mode: 'middle' }), "'center', 'overlap'");
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, inter_method: 5 }), 'invalid inter_method 5');
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, dtype: 'uint8' as never }), "dtype must be 'float32' or null");
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, rand_mirror_pro: 1 }), "unknown parameter 'rand_mirror_pro'", 'rand_mirror_prob');
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, data_shape: [2, 4, 4] }), 'data_shape[0] (channels) must be 1, 3 or 4');
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, path_imgrec: join(tmp, 'none.rec') }), 'does not exist');
    expectError(() => new mx.io.ImageDetRecordIter({ data_shape: [3, 4, 4], batch_size: 1 }), "path_imgrec './data/imgrec.rec' does not exist");
    expectError(() => new mx.io.ImageDetRecordIter({ ...d, batch_size: 0 }), "'batch_size' must be an integer >= 1");
    expect(new mx.io.ImageDetRecordIter({ ...d, dtype: null }).provideData[0]!.dtype).toBe('float32');
    const it = new mx.io.ImageDetRecordIter(d);
    expectError(() => it.getData(), 'ImageDetRecordIter.getData: no current batch');
  });
});
