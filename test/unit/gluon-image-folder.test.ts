// gluon.data.vision.ImageFolderDataset: classes from sub-folders, images decoded by mx.image on access,
// transforms, a DataLoader over it, and bad input.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const { gluon } = mx;
const IMG = join(__dirname, '../fixtures/image');
let root = '';

beforeAll(async () => {
  await mx.ready();
  root = mkdtempSync(join(tmpdir(), 'ist-imgfolder-'));
  mkdirSync(join(root, 'dog'));
  mkdirSync(join(root, 'cat'));
  mkdirSync(join(root, 'empty'));
  copyFileSync(join(IMG, 'formats/png_rgb.png'), join(root, 'cat/b.png'));
  copyFileSync(join(IMG, 'jpeg/q75_420_17x13.jpg'), join(root, 'cat/a.JPG'));
  copyFileSync(join(IMG, 'formats/bmp_rgb.bmp'), join(root, 'dog/x.bmp'));
  writeFileSync(join(root, 'dog/notes.txt'), 'not an image');
  writeFileSync(join(root, 'README'), 'a file beside the class folders');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ImageFolderDataset', () => {
  it('lists classes (sorted folders) and images (sorted files, known extensions)', () => {
    const ds = new gluon.data.vision.ImageFolderDataset(root);
    expect(ds.synsets).toEqual(['cat', 'dog', 'empty']);
    expect(ds.items.map(([f, l]) => [f.slice(root.length + 1), l])).toEqual([['cat/a.JPG', 0], ['cat/b.png', 0], ['dog/x.bmp', 1]]);
    expect(ds.length).toBe(3);
    const [img, label] = ds.at(0);
    expect(img.dtype).toBe('uint8');
    expect(img.shape).toEqual([13, 17, 3]);
    expect(label).toBe(0);
    expect(ds.at(2)[1]).toBe(1);
    // The pixels are mx.image's.
    expect(Array.from(ds.at(1)[0].dataSync() as Uint8Array)).toEqual(Array.from(mx.image.imreadSync(join(root, 'cat/b.png')).dataSync() as Uint8Array));
  });

  it('flag 0 gives gray images; a transform gets (image, label)', () => {
    const gray = new gluon.data.vision.ImageFolderDataset(root, { flag: 0 });
    expect(gray.at(2)[0].shape).toEqual([7, 13, 1]);
    const t = new gluon.data.vision.ImageFolderDataset(root, { transform: (x: any, y: number) => [x.shape[0], y + 10] });
    expect(t.at(2)).toEqual([7, 11]);
  });

  it('batches through a DataLoader after resizing', () => {
    const { transforms } = gluon.data.vision;
    const ds = new gluon.data.vision.ImageFolderDataset(root)
      .transformFirst(new transforms.Compose([new transforms.Resize(8), new transforms.ToTensor()]));
    const loader = new gluon.data.DataLoader(ds, { batchSize: 3 });
    let n = 0;
    for (const [x, y] of loader) {
      n++;
      expect(x.shape).toEqual([3, 3, 8, 8]);
      expect(x.dtype).toBe('float32');
      expect(Array.from(y.dataSync() as ArrayLike<number>, Number)).toEqual([0, 0, 1]);
    }
    expect(n).toBe(1);
  });

  it('bad input is a clear error', () => {
    expectError(() => new gluon.data.vision.ImageFolderDataset(join(root, 'nope')), 'ImageFolderDataset', 'not a folder');
    expectError(() => new gluon.data.vision.ImageFolderDataset(root).at(3), 'ImageFolderDataset', 'out of range');
    expectError(() => new gluon.data.vision.ImageFolderDataset(root, { flag: 2 as never }), 'ImageFolderDataset', 'flag');
  });
});
