// Reduce and broadcast for the KVStore (MXNet's comm.h: CommCPU and CommDevice), all as engine ops.
// SPDX-License-Identifier: Apache-2.0
//
// Every step is an operator pushed to the engine (_copyto across devices, add_n on one device),
// so a push returns at once and the summation overlaps with whatever compute is queued; nothing
// reads data back to the host. Buffers live per key and are reused by every push, which keeps
// memory flat and lets the engine's per-array ordering serialise successive pushes.
import type { Context } from '../base/context.js';
import { invoke } from '../ndarray/invoke.js';
import { keep } from '../ndarray/lifetime.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { empty } from '../ndarray/creation.js';

/** A key's reduction buffers on its reduction device: copies of remote values and the sum. */
export class MergeBuffers {
  private copies: NDArray[] = [];
  private merged: NDArray | null = null;

  /**
   * The sum of `values` on `home`: a value already there is read in place, the others are copied
   * into this key's buffers first. One value on `home` is returned as is (no copy, as MXNet does).
   */
  reduce(home: Context, values: readonly NDArray[]): NDArray {
    const inputs: NDArray[] = [];
    let used = 0;
    for (const v of values) {
      if (v.context.equals(home)) {
        inputs.push(v);
        continue;
      }
      const buf = this.buffer(used++, home, v);
      invoke('_copyto', [v], null, [buf]);
      inputs.push(buf);
    }
    if (inputs.length === 1) return inputs[0]!;
    const out = this.mergedBuffer(home, inputs[0]!);
    invoke('add_n', inputs, { num_args: inputs.length }, [out]);
    return out;
  }

  /** Frees the buffers (the store is being disposed, or the key moved to another device). */
  dispose(): void {
    for (const b of this.copies) b.dispose();
    this.merged?.dispose();
    this.copies = [];
    this.merged = null;
  }

  private buffer(i: number, home: Context, like: NDArray): NDArray {
    let b = this.copies[i];
    if (b === undefined || !b.context.equals(home)) {
      b?.dispose();
      b = keep(empty(like.shape, { ctx: home, dtype: like.dtype }));
      this.copies[i] = b;
    }
    return b;
  }

  private mergedBuffer(home: Context, like: NDArray): NDArray {
    let m = this.merged;
    if (m === null || !m.context.equals(home)) {
      m?.dispose();
      m = keep(empty(like.shape, { ctx: home, dtype: like.dtype }));
      this.merged = m;
    }
    return m;
  }
}

/** Copies `src` into every output (MXNet's Broadcast); outputs that are `src` itself are skipped. */
export function broadcast(src: NDArray, outs: readonly NDArray[]): void {
  for (const o of outs) {
    if (o.handle !== src.handle) invoke('_copyto', [src], null, [o]);
  }
}

/**
 * CommDevice's placement: each key without a reduction device takes, among the devices its values
 * come from, the one with the fewest bytes assigned so far; bigger keys choose first, so the
 * reductions spread evenly over the devices.
 */
export function assignDevices<K>(pending: ReadonlyArray<{ key: K; bytes: number; devices: readonly Context[] }>,
                                 load: Map<string, number>): Map<K, Context> {
  const order = [...pending].sort((a, b) => b.bytes - a.bytes);
  const chosen = new Map<K, Context>();
  for (const p of order) {
    let best = p.devices[0]!;
    let bestLoad = load.get(best.toString()) ?? 0;
    for (const d of p.devices.slice(1)) {
      const l = load.get(d.toString()) ?? 0;
      if (l < bestLoad) {
        best = d;
        bestLoad = l;
      }
    }
    load.set(best.toString(), bestLoad + p.bytes);
    chosen.set(p.key, best);
  }
  return chosen;
}
