// Byte helpers the image decoders share.
// SPDX-License-Identifier: Apache-2.0

/** The parts one after another in one array (PNG's IDAT chunks, a JPEG 2000 code-block's or tile's pieces). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
