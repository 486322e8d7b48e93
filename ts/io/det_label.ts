// A detection label as MXNet's ImageDetLabel (src/io/image_det_aug_default.cc): header, objects, crop/pad/mirror of the boxes.
// SPDX-License-Identifier: Apache-2.0
//
// The raw label is [header_width, object_width, extra header..., (id, xmin, ymin, xmax, ymax, extra...) x N]
// with coordinates relative to the image (0..1). Objects whose box is empty (xmax <= xmin or ymax <= ymin)
// are dropped when the label is read, as MXNet does. Arithmetic is float32 as in C++, and rectangles follow
// OpenCV 3.4's cv::Rect_<float> (MXNet 1.9's builds): intersection from the max of the corners, an empty
// intersection becomes the zero rectangle.
import { IsotensorError } from '../base/error.js';

const f32 = Math.fround;

/** cv::Rect_<float>: corner and size. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

const area = (r: Rect): number => f32(r.width * r.height);

/** OpenCV 3.4's `a & b` for Rect_<float>. */
export function intersect(a: Rect, b: Rect): Rect {
  const x1 = Math.max(a.x, b.x), y1 = Math.max(a.y, b.y);
  const width = f32(Math.min(f32(a.x + a.width), f32(b.x + b.width)) - x1);
  const height = f32(Math.min(f32(a.y + a.height), f32(b.y + b.height)) - y1);
  if (width <= 0 || height <= 0) return { x: 0, y: 0, width: 0, height: 0 };
  return { x: x1, y: y1, width, height };
}

/** MXNet's RectIOU. */
export function rectIou(a: Rect, b: Rect): number {
  const inter = area(intersect(a, b));
  if (inter <= 0) return 0;
  return f32(inter / f32(f32(area(a) + area(b)) - inter));
}

/** One object: class id, box corners and the extra values of its slot. */
interface DetObject {
  id: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
  extra: number[];
}

const toRect = (o: DetObject): Rect => ({ x: o.left, y: o.top, width: f32(o.right - o.left), height: f32(o.bottom - o.top) });

/** The object's box in the coordinates of region `box` (clipped to 0..1). */
function project(o: DetObject, box: Rect): DetObject {
  return {
    ...o,
    left: Math.max(0, f32(f32(o.left - box.x) / box.width)),
    top: Math.max(0, f32(f32(o.top - box.y) / box.height)),
    right: Math.min(1, f32(f32(o.right - box.x) / box.width)),
    bottom: Math.min(1, f32(f32(o.bottom - box.y) / box.height)),
  };
}

/** The limits a crop box must meet for at least one object (MXNet's TryCrop arguments). */
export interface CropConstraints {
  minOverlap: number;
  maxOverlap: number;
  minSampleCoverage: number;
  maxSampleCoverage: number;
  minObjectCoverage: number;
  maxObjectCoverage: number;
  /** 'center': keep objects whose centre is in the crop; 'overlap': keep those covered more than `emitOverlapThresh`. */
  emitMode: 'center' | 'overlap';
  emitOverlapThresh: number;
}

/** A detection label being augmented together with its image. */
export class DetLabel {
  private readonly header: number[];
  private readonly objectWidth: number;
  private objects: DetObject[];

  /** Parses a raw label; `iter` and `id` name the iterator and the record in errors. */
  constructor(raw: ArrayLike<number>, iter: string, id: number) {
    const n = raw.length;
    const bad = (what: string): never => {
      throw new IsotensorError(`${iter}: the detection label of image ${id} ${what} (expected [header_width, object_width, ` +
                               'extra header..., (id, xmin, ymin, xmax, ymax, extra...) per object])');
    };
    if (n < 7) bad(`has ${n} value(s), needs at least 7 (a 2-value header and one 5-value object)`);
    const headerWidth = Math.trunc(raw[0]!);
    if (!(headerWidth >= 2)) bad(`has header_width ${raw[0]}, needs at least 2`);
    const objectWidth = Math.trunc(raw[1]!);
    if (!(objectWidth >= 5)) bad(`has object_width ${raw[1]}, needs at least 5`);
    if (headerWidth > n || (n - headerWidth) % objectWidth !== 0) {
      bad(`has ${n} values: ${n} - header_width ${headerWidth} is not a multiple of object_width ${objectWidth}`);
    }
    this.objectWidth = objectWidth;
    this.header = Array.from({ length: headerWidth }, (_, i) => f32(raw[i]!));
    this.objects = [];
    for (let i = headerWidth; i < n; i += objectWidth) {
      const o: DetObject = {
        id: f32(raw[i]!), left: f32(raw[i + 1]!), top: f32(raw[i + 2]!), right: f32(raw[i + 3]!), bottom: f32(raw[i + 4]!),
        extra: Array.from({ length: objectWidth - 5 }, (_, k) => f32(raw[i + 5 + k]!)),
      };
      if (o.right > o.left && o.bottom > o.top) this.objects.push(o);
    }
  }

  /** Number of (valid) objects. */
  get size(): number {
    return this.objects.length;
  }

  /** The label back as a flat array: the header, then the objects left. */
  toArray(): number[] {
    const out = [...this.header];
    for (const o of this.objects) out.push(o.id, o.left, o.top, o.right, o.bottom, ...o.extra);
    return out;
  }

  /** Flips every box horizontally (MXNet's TryMirror). */
  mirror(): void {
    this.objects = this.objects.map((o) => ({ ...o, left: f32(1 - o.right), right: f32(1 - o.left) }));
  }

  /** Re-expresses every box in the padded image's coordinates; `box` is the original image within it (MXNet's TryPad). */
  pad(box: Rect): void {
    this.objects = this.objects.map((o) => project(o, box));
  }

  /**
   * MXNet's TryCrop: false when no object meets the constraints or none would be kept; otherwise the
   * kept objects are re-expressed in the crop's coordinates and true is returned. Without objects any crop is taken.
   */
  tryCrop(crop: Rect, c: CropConstraints): boolean {
    if (this.objects.length < 1) return true;
    let valid = false;
    if (c.minOverlap > 0 || c.maxOverlap < 1 || c.minSampleCoverage > 0 || c.maxSampleCoverage < 1 ||
        c.minObjectCoverage > 0 || c.maxObjectCoverage < 1) {
      for (const o of this.objects) {
        const gt = toRect(o);
        if (c.minOverlap > 0 || c.maxOverlap < 1) {
          const ovp = rectIou(crop, gt);
          if (ovp < c.minOverlap || ovp > c.maxOverlap) continue;
        }
        if (c.minSampleCoverage > 0 || c.maxSampleCoverage < 1) {
          const cov = f32(area(intersect(crop, gt)) / area(crop));
          if (cov < c.minSampleCoverage || cov > c.maxSampleCoverage) continue;
        }
        if (c.minObjectCoverage > 0 || c.maxObjectCoverage < 1) {
          const cov = f32(area(intersect(crop, gt)) / area(gt));
          if (cov < c.minObjectCoverage || cov > c.maxObjectCoverage) continue;
        }
        valid = true;
        break;
      }
    } else {
      valid = true;
    }
    if (!valid) return false;
    const kept: DetObject[] = [];
    for (const o of this.objects) {
      if (c.emitMode === 'center') {
        const cx = f32(f32(o.left + o.right) * 0.5), cy = f32(f32(o.top + o.bottom) * 0.5);
        // cv::Rect_::contains: half-open on the far sides.
        if (!(crop.x <= cx && cx < f32(crop.x + crop.width) && crop.y <= cy && cy < f32(crop.y + crop.height))) continue;
        kept.push(project(o, crop));
      } else {
        const gt = toRect(o);
        if (f32(area(intersect(crop, gt)) / area(gt)) > c.emitOverlapThresh) kept.push(project(o, crop));
      }
    }
    if (kept.length < 1) return false;
    this.objects = kept;
    return true;
  }
}
