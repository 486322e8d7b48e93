// What every image decoder returns: 8-bit pixels, rows top to bottom, channels interleaved.
// SPDX-License-Identifier: Apache-2.0

/** A decoded image: `height` rows of `width` pixels of `channels` bytes (1 gray, 3 RGB, 4 RGBA). */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}
