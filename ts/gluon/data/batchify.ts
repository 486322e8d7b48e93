// The default batchify (MXNet's default_batchify_fn): stacks samples into NDArrays, tuples element-wise.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf } from '../../base/error.js';
import { array } from '../../ndarray/creation.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { stack } from '../../ops/ndarray.generated.js';
import { hintAt, isTuple, stackLeaf, type BatchHint, type HostBatch } from './host/batchify_host.js';
import { isHostTensor, shapeText, type HostTensor } from './host/host_tensor.js';

function stackArrays(samples: readonly unknown[], where: string): NDArray {
  const f = samples[0] as NDArray;
  samples.forEach((s, i) => {
    if (!(s instanceof NDArray)) throw new IsotensorError(`${where}: item ${i} is a ${typeof s} but item 0 is an NDArray`);
    if (s.dtype !== f.dtype || s.shape.length !== f.shape.length || s.shape.some((d, k) => d !== f.shape[k])) {
      throw new IsotensorError(`${where}: cannot stack item ${i} of shape ${shapeText(s.shape)} ${s.dtype} with item 0 ` +
                               `of shape ${shapeText(f.shape)} ${f.dtype}`);
    }
  });
  return stack(samples as NDArray[], { axis: 0 }) as NDArray;
}

/** A HostTensor as an NDArray (one copy into the backend). */
export function hostToNd(t: HostTensor): NDArray {
  return array(t.data, { shape: t.shape, dtype: t.dtype });
}

/** A host batch from a worker as NDArrays (same structure). */
export function hostBatchToNd(b: HostBatch): NDArray | any[] {
  return Array.isArray(b) ? b.map(hostBatchToNd) : hostToNd(b);
}

/** Host samples from a worker with their HostTensors turned into NDArrays (for a user batchify). */
export function hostSamplesToNd(v: unknown): unknown {
  if (isHostTensor(v)) return hostToNd(v);
  if (Array.isArray(v)) return v.map(hostSamplesToNd);
  return v;
}

/**
 * Stacks samples into a batch as MXNet's default_batchify_fn: NDArrays with `nd.stack`; numbers,
 * typed arrays and nested number arrays into new arrays; tuples (JS arrays) element-wise, giving a
 * list. `hint` gives the dtypes of number fields (by tuple position).
 * @example defaultBatchify([[x0, 0], [x1, 1]]) // [stack(x0, x1), int32 [0, 1]]
 */
export function defaultBatchify(samples: readonly unknown[], hint: BatchHint = null, top = true,
                                where = 'DataLoader batchify'): any {
  if (!Array.isArray(samples)) throw new IsotensorError(`${where}: argument 'samples' must be an array of samples, got ${kindOf(samples)}`);
  if (samples.length === 0) throw new IsotensorError(`${where}: no samples to batch`);
  const f = samples[0];
  if (f instanceof NDArray) return stackArrays(samples, where);
  if (Array.isArray(f) && isTuple(f, top)) {
    const len = f.length;
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== len) {
        throw new IsotensorError(`${where}: item ${i} is ${Array.isArray(s) ? `a tuple of ${s.length}` : `a ${typeof s}`} ` +
                                 `but item 0 is a tuple of ${len}`);
      }
    });
    const out: any[] = [];
    for (let j = 0; j < len; j++) {
      out.push(defaultBatchify(samples.map((s) => (s as unknown[])[j]), hintAt(hint, j), false, where));
    }
    return out;
  }
  return hostToNd(stackLeaf(samples, hint, where));
}
