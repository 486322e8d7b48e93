// The mean image of MXNet's image record iterators (mean_img): read from its NDArray file, or computed over the data and saved there.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { nodeBuiltin } from '../base/node_builtin.js';
import { localPath } from '../base/read_source.js';
import { array } from '../ndarray/creation.js';
import { deserialize, saveSync } from '../ndarray/io.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { IterSource } from './iter_params.js';
import { readSource, sourceExists } from './iter_source.js';

const f32 = Math.fround;

/**
 * The (C, H, W) mean image `src` holds; when `src` is a path that does not exist yet, MXNet's CreateMeanImg:
 * every example `examples` yields (as the iterator prepares it) summed in float32, times f32(1 / n), saved
 * to `src` as `{ mean_img }`. `computed` says the data was read (the caller rewinds it).
 */
export function meanImage(name: string, src: IterSource, shape: readonly [number, number, number],
                          examples: () => Iterable<ArrayLike<number>>): { mean: Float32Array; computed: boolean } {
  const [c, h, w] = shape;
  if (sourceExists(src)) {
    let loaded: NDArray[] | Record<string, NDArray>;
    try {
      loaded = deserialize(readSource(name, 'mean_img', src));
    } catch (e) {
      throw new IsotensorError(`${name}: mean_img is not an NDArray file: ${(e as Error).message}`, { cause: e });
    }
    const arrays = Array.isArray(loaded) ? loaded : Object.values(loaded);
    if (arrays.length !== 1) throw new IsotensorError(`${name}: invalid mean image file format: it holds ${arrays.length} arrays, expected 1`);
    const m = arrays[0]!;
    if (m.ndim !== 3 || m.shape[0] !== c || m.shape[1] !== h || m.shape[2] !== w) {
      throw new IsotensorError(`${name}: the mean image is (${m.shape.join(', ')}), data_shape is (${c}, ${h}, ${w})`);
    }
    const mean = Float32Array.from(m.dataSync() as ArrayLike<number>);
    m.dispose();
    return { mean, computed: false };
  }
  if (nodeBuiltin('node:fs') === null) throw new IsotensorError(`${name}: mean_img '${String(src)}' cannot be created without Node's file system`);
  const sum = new Float32Array(c * h * w);
  let count = 0;
  for (const data of examples()) {
    for (let i = 0; i < sum.length; i++) sum[i] = count === 0 ? data[i]! : f32(sum[i]! + data[i]!);
    count++;
  }
  if (count === 0) throw new IsotensorError(`${name}: cannot compute mean_img: the data holds no images`);
  const inv = f32(1 / count);
  for (let i = 0; i < sum.length; i++) sum[i] = f32(sum[i]! * inv);
  const arr = array(sum, { shape: [c, h, w], dtype: 'float32' });
  saveSync(localPath(src as string | URL, name, 'pass the mean image\'s bytes'), { mean_img: arr });
  arr.dispose();
  return { mean: sum, computed: true };
}
