// Object detection data in mx.image: ImageDetIter, CreateDetAugmenter, CreateMultiRandCropAugmenter and the
// Det* augmenters, against NumPy references of MXNet's detection.py label arithmetic written by
// test/fixtures/image-det-iter/gen_image_det_iter.py (tiny .rec/.idx files of PNG images with detection labels).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const DIR = join(__dirname, '../fixtures/image-det-iter');
const REC = join(DIR, 'det.rec');
const IDX = join(DIR, 'det.idx');
interface Labels { shape: [number, number]; values: number[] }
interface Manifest {
  hw: [number, number];
  pixels: number[][];
  flipped0: number[];
  parsed: Labels[];
  flip_label0: number[];
  flip_label_wide0: number[];
  batch_labels_pad: number[][];
  wide_labels: number[];
  crop_boxes: [number, number, number, number][];
  crop_labels: (Labels | null)[];
  constraints: boolean[];
  pad_hw: [number, number];
  pad_labels: Record<string, number[]>;
}
const M = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Manifest;
const [H, W] = M.hw;
const { ImageDetIter } = mx.image;

beforeAll(async () => {
  await mx.ready();
});

const values = (a: mx.NDArray): number[] => Array.from(a.dataSync() as ArrayLike<number>, Number);
const img = (i: number): mx.NDArray => mx.nd.array(Uint8Array.from(M.pixels[i]!), { dtype: 'uint8', shape: [H, W, 3] });
const parsed = (i: number): mx.NDArray => mx.nd.array(M.parsed[i]!.values, { shape: M.parsed[i]!.shape, dtype: 'float32' });
/** Image i as (C, H, W) float values. */
const chw = (i: number): number[] => {
  const p = M.pixels[i]!, out: number[] = [];
  for (let c = 0; c < 3; c++) for (let k = 0; k < H * W; k++) out.push(p[k * 3 + c]!);
  return out;
};
const plain = (): mx.image.DetAugmenter[] => [new mx.image.DetBorrowAug(new mx.image.CastAug())];

describe('mx.image.ImageDetIter', () => {
  it('reads a .rec of detection labels: label shape over the data set, -1 padding, the pad batch, skipped images', () => {
    const it = new ImageDetIter(3, [3, H, W], { pathImgrec: REC, augList: plain() });
    expect(it.labelShape).toEqual([3, 5]);
    expect(it.provideData[0]!.shape).toEqual([3, 3, H, W]);
    expect(it.provideLabel[0]!.name).toBe('label');
    expect(it.provideLabel[0]!.shape).toEqual([3, 3, 5]);
    const batches = [...it];
    expect(batches.length).toBe(2);
    expect(batches.map((b) => b.pad)).toEqual([0, 2]);
    for (const [k, b] of batches.entries()) {
      expect(b.label![0]!.shape).toEqual([3, 3, 5]);
      expect(b.label![0]!.dtype).toBe('float32');
      expect(values(b.label![0]!)).toEqual(M.batch_labels_pad[k]!.map(Math.fround));
      expect(b.data[0]!.shape).toEqual([3, 3, H, W]);
    }
    // Image 4 (no class >= 0) is skipped: batch 2 is image 3, then images 0 and 1 from the start.
    const d = values(batches[1]!.data[0]!);
    expect(d.slice(0, 3 * H * W)).toEqual(chw(3));
    expect(d.slice(3 * H * W, 6 * H * W)).toEqual(chw(0));
    expect(values(batches[0]!.data[0]!).slice(6 * H * W)).toEqual(chw(2));
    expect(it.nextBatch()).toBeNull();
    it.reset();
    expect([...it].length).toBe(2);
  });

  it("'discard' drops the partial batch, 'roll_over' finishes it with the next epoch's images", () => {
    const discard = new ImageDetIter(3, [3, H, W], { pathImgrec: REC, pathImgidx: IDX, augList: plain(), lastBatchHandle: 'discard' });
    expect([...discard].length).toBe(1);
    const roll = new ImageDetIter(3, [3, H, W], { path_imgrec: REC, path_imgidx: IDX, aug_list: plain(), last_batch_handle: 'roll_over' } as never);
    expect([...roll].length).toBe(1);
    roll.reset();
    const first = roll.nextBatch()!;
    expect(values(first.label![0]!)).toEqual(M.batch_labels_pad[1]!.map(Math.fround));
  });

  it('default augmenters (CreateDetAugmenter: force resize, cast) and data = image; an image list source', () => {
    const it = new ImageDetIter(2, [3, H, W], { pathImgrec: REC, pathImgidx: IDX });
    expect(it.auglist.map((a) => JSON.parse(a.dumps())[0])).toEqual(['detborrowaug', 'detborrowaug']);
    const b = it.nextBatch()!;
    expect(values(b.data[0]!)).toEqual([...chw(0), ...chw(1)]);
    const raw = (i: number): number[] => [2, 5, ...M.parsed[i]!.values];
    const list = new ImageDetIter(2, [3, H, W], {
      imglist: [[raw(0), 'img0.png'], [raw(1), 'img1.png']], pathRoot: join(DIR, 'imgs'), augList: plain(), labelName: 'bbox',
    });
    expect(list.labelShape).toEqual([2, 5]);
    expect(list.provideLabel[0]!.name).toBe('bbox');
    const lb = list.nextBatch()!;
    expect(values(lb.data[0]!)).toEqual([...chw(0), ...chw(1)]);
    expect(values(lb.label![0]!)).toEqual([...M.parsed[0]!.values, ...M.parsed[1]!.values, -1, -1, -1, -1, -1].map(Math.fround));
    // syncLabelShape pads the smaller iterator's labels to the larger count.
    const other = it.syncLabelShape(list);
    expect(other).toBe(list);
    expect(list.labelShape).toEqual([3, 5]);
    list.reset();
    expect(list.nextBatch()!.label![0]!.shape).toEqual([2, 3, 5]);
    list.reshape(null, [4, 5]);
    expect(list.provideLabel[0]!.shape).toEqual([2, 4, 5]);
  });

  it('wider layouts keep their extra columns; DetHorizontalFlipAug(1) flips images and boxes', () => {
    const wide = new ImageDetIter(2, [3, H, W], { pathImgrec: join(DIR, 'wide.rec'), augList: plain() });
    expect(wide.labelShape).toEqual([2, 6]);
    expect(values(wide.nextBatch()!.label![0]!)).toEqual(M.wide_labels.map(Math.fround));
    const flipped = new ImageDetIter(1, [3, H, W], { pathImgrec: join(DIR, 'wide.rec'), augList: [new mx.image.DetHorizontalFlipAug(1), ...plain()] });
    expect(values(flipped.nextBatch()!.label![0]!)).toEqual(M.flip_label_wide0.map(Math.fround));
    const [im, lab] = new mx.image.DetHorizontalFlipAug(1).call(img(0), parsed(0));
    expect(values(im.transpose([2, 0, 1]))).toEqual(M.flipped0);
    expect(values(lab)).toEqual(M.flip_label0.map(Math.fround));
    const [same, lab0] = new mx.image.DetHorizontalFlipAug(0).call(img(0), [[0, 0.1, 0.2, 0.5, 0.6]]);
    expect(values(same)).toEqual(M.pixels[0]);
    expect(values(lab0)).toEqual([0, 0.1, 0.2, 0.5, 0.6].map(Math.fround));
  });

  it('user augmenters run on NDArrays; mx.random.seed repeats the random augmenters', () => {
    class Shift extends mx.image.DetAugmenter {
      call(src: mx.NDArray, label: mx.NDArray): [mx.NDArray, mx.NDArray] {
        return [src.astype('float32').add(1), (label as mx.NDArray).mul(0.5)];
      }
    }
    const it = new ImageDetIter(1, [3, H, W], { pathImgrec: REC, augList: [new Shift()] });
    const b = it.nextBatch()!;
    expect(values(b.data[0]!)).toEqual(chw(0).map((v) => v + 1));
    // Halved labels: class 0.5 for the second box keeps the row valid.
    expect(values(b.label![0]!).slice(0, 10)).toEqual(M.parsed[0]!.values.map((v) => Math.fround(Math.fround(v) * 0.5)));
    const run = (): number[][] => {
      mx.random.seed(5);
      const r = new ImageDetIter(2, [3, H, W], { pathImgrec: REC, randCrop: 1, randPad: 0.5, randMirror: true, areaRange: [0.3, 2] });
      return [...r].map((x) => [...values(x.data[0]!), ...values(x.label![0]!)]);
    };
    const a = run();
    expect(run()).toEqual(a);
    // The crops, flips and pads moved image 0's boxes.
    expect(a[0]!.slice(2 * 3 * H * W, 2 * 3 * H * W + 15)).not.toEqual(M.batch_labels_pad[0]!.slice(0, 15).map(Math.fround));
    for (const batch of a) for (const v of batch) expect(Number.isFinite(v)).toBe(true);
    // Each label row is -1 padding or a box inside the image.
    for (const batch of a) {
      const lab = batch.slice(2 * 3 * H * W);
      for (let r = 0; r < lab.length; r += 5) {
        const row = lab.slice(r, r + 5);
        if (row.every((v) => v === -1)) continue;
        for (const v of row.slice(1)) expect(v >= 0 && v <= 1).toBe(true);
        expect(row[3]! > row[1]! && row[4]! > row[2]!).toBe(true);
      }
    }
    // A subclass step (postprocessData) sends images through NDArrays: the same draws, the same batches.
    class ViaNDArray extends ImageDetIter {
      override postprocessData(datum: mx.NDArray): mx.NDArray {
        return datum.transpose([2, 0, 1]);
      }
    }
    mx.random.seed(5);
    const viaNd = new ViaNDArray(2, [3, H, W], { pathImgrec: REC, randCrop: 1, randPad: 0.5, randMirror: true, areaRange: [0.3, 2] });
    const b2 = [...viaNd].map((x) => [...values(x.data[0]!), ...values(x.label![0]!)]);
    expect(b2.length).toBe(a.length);
    b2.forEach((batch, k) => {
      const want = a[k]!;
      expect(batch.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < batch.length; i++) worst = Math.max(worst, Math.abs(batch[i]! - want[i]!));
      expect(worst).toBeLessThanOrEqual(1e-4);
    });
  });

  it('refuses bad input', () => {
    expectError(() => new ImageDetIter(2, [3, H, W], { pathImgrec: join(DIR, 'novalid.rec') }), 'ImageDetIter', 'no valid box');
    expectError(() => new ImageDetIter(2, [3, H, W], { imglist: [[[1, 2, 3], 'img0.png']], pathRoot: join(DIR, 'imgs') }), 'ImageDetIter', 'at least 7');
    expectError(() => new ImageDetIter(0, [3, H, W], { pathImgrec: REC }), "'batchSize'");
    expectError(() => new ImageDetIter(2, [1, H, W], { pathImgrec: REC }), "'dataShape'", '3 channels');
    expectError(() => new ImageDetIter(2, [3, H, W], { pathImgrec: REC, augList: [new mx.image.CastAug()] as never }), "'augList'", 'DetAugmenters');
    expectError(() => new ImageDetIter(2, [3, H, W], { pathImgrec: REC, augList: plain(), randCrop: 0.5 }), 'only without', 'randCrop');
    expectError(() => new ImageDetIter(2, [3, H, W], { pathImgrec: REC, bogus: 1 } as never), "unknown option 'bogus'");
    expectError(() => new ImageDetIter(2, [3, H, W], {}), 'ImageIter', 'pathImgrec');
    const it = new ImageDetIter(2, [3, H, W], { pathImgrec: REC, augList: plain() });
    expectError(() => it.reshape(null, [2, 5]), 'reduce the label count from 3 to 2');
    expectError(() => it.reshape(null, [3, 6]), 'object width inconsistent');
    expectError(() => it.reshape([3, H]), "'dataShape'");
    const wide = new ImageDetIter(2, [3, H, W], { pathImgrec: join(DIR, 'wide.rec'), augList: plain() });
    expectError(() => it.syncLabelShape(wide), 'object width mismatch');
    const small = new ImageDetIter(1, [3, H - 1, W], { pathImgrec: REC, augList: plain() });
    expectError(() => small.nextBatch(), 'ImageDetIter', 'force-resize');
  });
});

describe('mx.image Det* augmenters: deterministic paths against NumPy', () => {
  it("DetRandomCropAug's label update and constraints for fixed crop boxes", () => {
    const crop = new mx.image.DetRandomCropAug({ minEjectCoverage: 0.3 });
    M.crop_boxes.forEach((box, k) => {
      const got = crop.updateLabels(parsed(2), box, H, W);
      const want = M.crop_labels[k]!;
      if (want === null) {
        expect(got).toBeNull();
      } else {
        expect(got!.shape).toEqual(want.shape);
        expect(values(got!)).toEqual(want.values.map(Math.fround));
      }
      [0.1, 0.5, 0.9].forEach((moc, j) => {
        const c = new mx.image.DetRandomCropAug({ minObjectCovered: moc });
        expect(c.checkSatisfyConstraints(parsed(2), box[0], box[1], box[0] + box[2], box[1] + box[3], W, H)).toBe(M.constraints[k * 3 + j]);
      });
    });
  });

  it('DetRandomCropAug: a full-image proposal keeps everything; random crops are sub-images with updated labels', () => {
    const full = new mx.image.DetRandomCropAug({ areaRange: [1, 1], aspectRatioRange: W / H });
    const [im, lab] = full.call(img(2), parsed(2));
    expect(values(im)).toEqual(M.pixels[2]);
    expect(values(lab)).toEqual(M.parsed[2]!.values.map(Math.fround));
    mx.random.seed(3);
    const crop = new mx.image.DetRandomCropAug({ minObjectCovered: 0.1, areaRange: [0.3, 0.8], aspectRatioRange: [0.75, 1.33] });
    let cropped = 0;
    for (let t = 0; t < 8; t++) {
      const [c, l] = crop.call(img(2), parsed(2));
      const [ch, cw] = c.shape as [number, number, number];
      if (ch === H && cw === W) continue;
      cropped++;
      // Find where the crop came from, and check the labels are updateLabels' for that box.
      const src = M.pixels[2]!, got = values(c);
      const at: [number, number][] = [];
      for (let y = 0; y + ch <= H; y++) {
        for (let x = 0; x + cw <= W; x++) {
          let same = true;
          for (let r = 0; r < ch && same; r++) for (let q = 0; q < cw * 3 && same; q++) same = got[r * cw * 3 + q] === src[((y + r) * W + x) * 3 + q];
          if (same) at.push([x, y]);
        }
      }
      expect(at.length).toBeGreaterThanOrEqual(1);
      const want = crop.updateLabels(parsed(2), [at[0]![0], at[0]![1], cw, ch], H, W)!;
      expect(values(l)).toEqual(values(want));
      for (const [k, v] of values(l).entries()) if (k % 5 !== 0) expect(v >= 0 && v <= 1).toBe(true);
    }
    expect(cropped).toBeGreaterThan(0);
  });

  it('DetRandomPadAug places the image on a padVal canvas and moves the boxes (NumPy labels for every offset)', () => {
    const [PH, PW] = M.pad_hw;
    const pad = new mx.image.DetRandomPadAug({ aspectRatioRange: 1.2, areaRange: [2.16, 2.16], padVal: [127, 127, 127] });
    mx.random.seed(9);
    const seen = new Set<string>();
    for (let t = 0; t < 6; t++) {
      const [p, lab] = pad.call(img(0), parsed(0));
      expect(p.shape).toEqual([PH, PW, 3]);
      expect(p.dtype).toBe('uint8');
      const pv = values(p);
      // The offset: the top-left pixel of the image inside the canvas.
      const x = Math.round(values(lab)[1]! * PW - M.parsed[0]!.values[1]! * W);
      const y = Math.round(values(lab)[2]! * PH - M.parsed[0]!.values[2]! * H);
      seen.add(`${x},${y}`);
      expect(values(lab)).toEqual(M.pad_labels[`${x},${y}`]!.map(Math.fround));
      for (let r = 0; r < PH; r++) {
        for (let q = 0; q < PW; q++) {
          const inside = r >= y && r < y + H && q >= x && q < x + W;
          for (let c = 0; c < 3; c++) {
            expect(pv[(r * PW + q) * 3 + c]).toBe(inside ? M.pixels[0]![((r - y) * W + q - x) * 3 + c] : 127);
          }
        }
      }
    }
    expect(seen.size).toBeGreaterThan(1);
    for (const key of Object.keys(M.pad_labels)) {
      const [x, y] = key.split(',').map(Number) as [number, number];
      expect(values(pad.updateLabels(parsed(0), [x, y, PW, PH], H, W))).toEqual(M.pad_labels[key]!.map(Math.fround));
    }
    // Float images get the fill as it is; invalid ranges disable the augmenter.
    const [pf] = new mx.image.DetRandomPadAug({ areaRange: [2, 3], padVal: 0.5 }).call(img(0).astype('float32'), parsed(0));
    expect(values(pf)).toContain(0.5);
    const off = new mx.image.DetRandomPadAug({ areaRange: [1, 1] });
    expect(off.enabled).toBe(false);
    expect(values(off.call(img(0), parsed(0))[0])).toEqual(M.pixels[0]);
  });

  it('DetRandomSelectAug, DetBorrowAug, CreateMultiRandCropAugmenter and CreateDetAugmenter build MXNet\'s lists', () => {
    const skip = new mx.image.DetRandomSelectAug([new mx.image.DetHorizontalFlipAug(1)], 1);
    expect(values(skip.call(img(0), parsed(0))[1])).toEqual(M.parsed[0]!.values.map(Math.fround));
    const always = new mx.image.DetRandomSelectAug(new mx.image.DetHorizontalFlipAug(1), 0);
    expect(values(always.call(img(0), parsed(0))[1])).toEqual(M.flip_label0.map(Math.fround));
    expect(new mx.image.DetRandomSelectAug([], 0).skipProb).toBe(1);
    const borrow = new mx.image.DetBorrowAug(new mx.image.CastAug());
    expect(JSON.parse(borrow.dumps())).toEqual(['detborrowaug', '["castaug",{"type":"float32"}]']);
    const [bi, bl] = borrow.call(img(0), parsed(0));
    expect(bi.dtype).toBe('float32');
    expect(values(bl)).toEqual(M.parsed[0]!.values.map(Math.fround));

    const multi = mx.image.CreateMultiRandCropAugmenter({
      minObjectCovered: [0.1, 0.3, 0.5], areaRange: [[0.1, 1], [0.2, 1], [0.3, 0.9]], skipProb: 0.2,
    });
    expect(multi.augList.length).toBe(3);
    expect(multi.skipProb).toBe(0.2);
    const crops = multi.augList as mx.image.DetRandomCropAug[];
    expect(crops.map((c) => c.minObjectCovered).sort()).toEqual([0.1, 0.3, 0.5]);
    expect(crops.every((c) => c.aspectRatioRange[0] === 0.75 && c.aspectRatioRange[1] === 1.33)).toBe(true);

    const names = (augs: mx.image.DetAugmenter[]): unknown[] => augs.map((a) => {
      const d = JSON.parse(a.dumps()) as [string, unknown];
      return d[0] === 'detborrowaug' ? JSON.parse(d[1] as string)[0] : d[0];
    });
    expect(names(mx.image.CreateDetAugmenter([3, 30, 40]))).toEqual(['forceresizeaug', 'castaug']);
    const all = mx.image.CreateDetAugmenter([3, 30, 40], {
      resize: 50, randCrop: 0.5, randPad: 0.5, randMirror: true, mean: true, std: true, brightness: 0.1, hue: 0.1,
      pca_noise: 0.05, randGray: 0.2, minObjectCovered: [0.3, 0.5, 0.9], areaRange: [0.3, 3.0],
    } as never);
    expect(names(all)).toEqual([
      'resizeaug', 'detrandomselectaug', 'dethorizontalflipaug', 'detrandomselectaug', 'forceresizeaug', 'castaug',
      'colorjitteraug', 'huejitteraug', 'lightingaug', 'randomgrayaug', 'colornormalizeaug',
    ]);
    const cropSel = all[1] as mx.image.DetRandomSelectAug;
    expect(cropSel.augList.length).toBe(3);
    expect(cropSel.skipProb).toBe(0.5);
    const padAug = (all[3] as mx.image.DetRandomSelectAug).augList[0] as mx.image.DetRandomPadAug;
    expect(padAug.areaRange).toEqual([1, 3]);
    expect(padAug.padVal).toEqual([127, 127, 127]);
  });

  it('refuses bad input', () => {
    expectError(() => new mx.image.DetBorrowAug({} as never), 'DetBorrowAug', "'augmenter'");
    expectError(() => new mx.image.DetRandomSelectAug([new mx.image.CastAug()] as never), 'DetRandomSelectAug', 'DetAugmenters');
    expectError(() => new mx.image.DetRandomCropAug({ areaRange: [0.1] as never }), 'DetRandomCropAug', "'areaRange'");
    expectError(() => new mx.image.DetRandomCropAug({ maxAttempts: -1 }), "'maxAttempts'");
    expectError(() => new mx.image.DetRandomCropAug({ bogus: 1 } as never), "unknown option 'bogus'");
    expectError(() => new mx.image.DetRandomPadAug({ padVal: 'x' as never }), 'DetRandomPadAug', "'padVal'");
    expectError(() => new mx.image.DetHorizontalFlipAug(1).call(img(0), [[0, 1, 2, 3]]), 'DetHorizontalFlipAug', '(objects, 5+)');
    expectError(() => new mx.image.DetHorizontalFlipAug(1).call(img(0), 'x' as never), "'label'");
    expectError(() => new mx.image.DetHorizontalFlipAug(1).call(mx.nd.zeros([3, 3]), [[0, 0, 0, 1, 1]]), "'src'");
    expectError(() => mx.image.CreateMultiRandCropAugmenter({ minObjectCovered: [0.1, 0.2], maxAttempts: [1, 2, 3] }), "'minObjectCovered' has 2 values");
    expectError(() => mx.image.CreateDetAugmenter([3, 30]), "'dataShape'");
    expectError(() => mx.image.CreateDetAugmenter([3, 30, 40], { randPad: 0.5, areaRange: [[0.1, 1], [0.2, 2]] }), "'randPad'", 'single');
    expectError(() => mx.image.CreateDetAugmenter([3, 30, 40], { mean: [1, 2] }), "'mean'");
    expectError(() => mx.image.CreateDetAugmenter([3, 30, 40], { interMethod: 7 }), "'interMethod'");
  });
});
