// MXNet's image record layout (mx.recordio.pack/unpack/pack_img/unpack_img): an IRHeader, the labels, the bytes.
// SPDX-License-Identifier: Apache-2.0
//
// The header is struct 'IfQQ' (24 bytes, little-endian): flag uint32, label float32, id uint64, id2 uint64.
// flag > 0 says `flag` float32 labels follow the header (and the header's own label is 0).
import { IsotensorError, kindOf, show } from '../base/error.js';
import { decodeLikeOpenCV, swapRedBlue } from '../image/decode.js';
import { imencode } from '../image/encode.js';
import { array } from '../ndarray/creation.js';
import { NDArray } from '../ndarray/ndarray.js';
import { bytesArg, IR_SIZE, unpack, type IRHeader } from './ir_header.js';

export { IR_SIZE, unpack } from './ir_header.js';
export type { IRHeader } from './ir_header.js';

/** What pack takes: an IRHeader (ids may be bigints), a [flag, label, id, id2] tuple, labels also as an NDArray. */
export type IRHeaderLike =
  | { flag: number; label: number | ArrayLike<number> | NDArray; id: number | bigint; id2: number | bigint }
  | readonly [number, number | ArrayLike<number> | NDArray, number | bigint, number | bigint];

function uint64(v: unknown, fn: string, name: string): bigint {
  const ok = typeof v === 'bigint' ? v >= 0n && v < 1n << 64n : typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 64;
  if (!ok) throw new IsotensorError(`${fn}: header.${name} must be an integer in [0, 2^64), got ${typeof v === 'bigint' ? `${v}n` : show(v)}`);
  return BigInt(v as number | bigint);
}

function labelValues(label: unknown, fn: string): Float32Array {
  if (label instanceof NDArray) return Float32Array.from(label.dataSync() as ArrayLike<number>);
  if ((Array.isArray(label) || ArrayBuffer.isView(label)) && !(label instanceof DataView)) {
    const a = label as ArrayLike<unknown>;
    for (let i = 0; i < a.length; i++) {
      if (typeof a[i] !== 'number') throw new IsotensorError(`${fn}: header.label[${i}] must be a number, got ${kindOf(a[i])}`);
    }
    return Float32Array.from(a as ArrayLike<number>);
  }
  throw new IsotensorError(`${fn}: header.label must be a number or an array of numbers, got ${kindOf(label)}`);
}

/**
 * A record's bytes: the header, then (several labels) the float32 labels, then `s`. A number label
 * gives flag 0; several give flag = their count and a header label of 0 (MXNet ignores the given flag).
 * @example const rec = mx.recordio.pack({ flag: 0, label: 4, id: 2574, id2: 0 }, jpegBytes);
 */
export function pack(header: IRHeaderLike, s: Uint8Array | ArrayBuffer): Uint8Array {
  const fn = 'recordio.pack';
  let h: { label: unknown; id: unknown; id2: unknown };
  if (Array.isArray(header)) {
    if (header.length !== 4) throw new IsotensorError(`${fn}: a header tuple must be [flag, label, id, id2], got ${header.length} values`);
    h = { label: header[1], id: header[2], id2: header[3] };
  } else if (typeof header === 'object' && header !== null) {
    h = header as { label: unknown; id: unknown; id2: unknown };
  } else {
    throw new IsotensorError(`${fn}: argument 'header' must be an IRHeader {flag, label, id, id2} or a 4-value array, got ${kindOf(header)}`);
  }
  const data = s instanceof Uint8Array ? s : s instanceof ArrayBuffer ? new Uint8Array(s) : null;
  if (data === null) throw new IsotensorError(`${fn}: argument 's' must be a Uint8Array or ArrayBuffer, got ${kindOf(s)}`);
  const id = uint64(h.id, fn, 'id');
  const id2 = uint64(h.id2, fn, 'id2');
  let flag = 0;
  let label = 0;
  let labels: Float32Array = new Float32Array(0);
  if (typeof h.label === 'number') {
    label = h.label;
    // struct.pack('f') refuses a finite value that rounds to infinity.
    if (Number.isFinite(label) && !Number.isFinite(Math.fround(label))) throw new IsotensorError(`${fn}: header.label ${label} is too large for a float32`);
  } else {
    labels = labelValues(h.label, fn);
    flag = labels.length;
  }
  const out = new Uint8Array(IR_SIZE + 4 * flag + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, flag, true);
  dv.setFloat32(4, label, true);
  dv.setBigUint64(8, id, true);
  dv.setBigUint64(16, id2, true);
  labels.forEach((v, i) => dv.setFloat32(IR_SIZE + 4 * i, v, true));
  out.set(data, IR_SIZE + 4 * flag);
  return out;
}

/**
 * A record's header and its image decoded as cv2.imdecode(buf, iscolor) decodes it, which MXNet's unpack_img
 * calls: -1 (default) as stored ((H, W) gray, (H, W, 3) BGR, (H, W, 4) BGRA), 0 gray (H, W) as each codec makes
 * it (a JPEG's Y plane, libpng's rgb_to_gray, OpenCV's BGR2GRAY), 1 BGR (H, W, 3).
 * @example const [header, img] = mx.recordio.unpackImg(rec.readIdx(0));  // img: uint8, BGR
 */
export function unpackImg(s: Uint8Array | ArrayBuffer, iscolor: -1 | 0 | 1 = -1): [IRHeader, NDArray] {
  const fn = 'recordio.unpackImg';
  if (iscolor !== -1 && iscolor !== 0 && iscolor !== 1) {
    throw new IsotensorError(`${fn}: argument 'iscolor' must be -1 (unchanged), 0 (gray) or 1 (color), got ${show(iscolor)}`);
  }
  const [header, bytes] = unpack(bytesArg(s, fn));
  const img = decodeLikeOpenCV(bytes, iscolor === 1 ? 'color' : iscolor === 0 ? 'gray' : 'unchanged');
  const { width: w, height: h, channels } = img;
  const pixels = channels === 1 ? img.data : swapRedBlue(img.data, channels);
  const shape = channels === 1 ? [h, w] : [h, w, channels];
  return [header, array(pixels, { dtype: 'uint8', shape })];
}

/**
 * A record of `img` encoded as MXNet's pack_img encodes it (cv2.imencode): `img` is uint8 (H, W, 3) in
 * OpenCV's BGR order, or gray (H, W) / (H, W, 1). `quality` is the JPEG quality (0-100), or for '.png' the
 * zlib level (clamped to 0-9, as OpenCV clamps MXNet's default of 95 to 9).
 * @example const rec = mx.recordio.packImg({ flag: 0, label: 4, id: 2574, id2: 0 }, bgrImage, 90);
 */
export function packImg(header: IRHeaderLike, img: NDArray, quality = 95, imgFmt: '.jpg' | '.jpeg' | '.png' = '.jpg'): Uint8Array {
  const fn = 'recordio.packImg';
  if (!(img instanceof NDArray)) throw new IsotensorError(`${fn}: argument 'img' must be a uint8 NDArray (BGR), got ${kindOf(img)}`);
  if (typeof quality !== 'number' || !Number.isInteger(quality)) {
    throw new IsotensorError(`${fn}: argument 'quality' must be an integer, got ${typeof quality === 'number' ? String(quality) : kindOf(quality)}`);
  }
  const fmt = typeof imgFmt === 'string' ? imgFmt.toLowerCase() : '';
  if (fmt !== '.jpg' && fmt !== '.jpeg' && fmt !== '.png') {
    throw new IsotensorError(`${fn}: argument 'imgFmt' must be '.jpg', '.jpeg' or '.png', got ${show(imgFmt)}`);
  }
  // Check the header before the (slower) encoding.
  pack(header, new Uint8Array(0));
  const encoded = fmt === '.png' ? imencode(img, { format: '.png', compression: quality, bgr: true })
    : imencode(img, { format: fmt, quality, bgr: true });
  return pack(header, encoded);
}
