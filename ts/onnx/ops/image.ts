// ONNX ImageDecoder: an encoded image (JPEG, PNG, WebP, BMP, TIFF, PNM, JPEG 2000 bytes) as an (H, W, C) uint8 tensor.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../../base/error.js';
import { convertPixels, decodeImage, type PixelFormat } from '../../image/decode.js';
import { converter } from '../convert.js';

converter('ImageDecoder', (c) => {
  const format = c.string('pixel_format', 'RGB');
  if (format !== 'RGB' && format !== 'BGR' && format !== 'Grayscale') c.fail(`pixel_format '${format}' is not RGB, BGR or Grayscale`);
  // The bytes are data: a session has them; an imported graph must get them from a constant.
  const x = c.known(0, 'encoded_stream');
  if (x.dtype !== 'uint8' || x.ndim !== 1) c.fail(`encoded_stream must be a 1-D uint8 tensor, got ${x.dtype} (${x.shape.join(', ')})`);
  try {
    const img = decodeImage(x.dataSync() as Uint8Array);
    return c.constant(convertPixels(img, format as PixelFormat), [img.height, img.width, format === 'Grayscale' ? 1 : 3], 'uint8');
  } catch (e) {
    if (e instanceof IsotensorError) c.fail(e.message);
    throw e;
  }
}, 20);
