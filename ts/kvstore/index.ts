// mx.kv (alias mx.kvstore): create a single-process KVStore ('local' or 'device') for data-parallel training.
// SPDX-License-Identifier: Apache-2.0
//
// Using it for multi-device gradient aggregation (what gluon.Trainer and Module do):
//
//   const kv = mx.kv.create('device');          // or 'local': sums on cpu(0)
//   params.forEach((p, i) => kv.init(i, p.data(ctxs[0])));
//   // after backward on every device:
//   kv.push(i, p.listGrad(), { priority: -i }); // one gradient per device, summed by the store
//   kv.pull(i, { out: p.listGrad() });          // the sum back on every device (then update locally)
//   // or, with the optimizer on the store (updateOnKvstore):
//   kv.setOptimizer(optimizer);                 // push runs optimizer's Updater on the summed gradient
//   kv.push(i, p.listGrad()); kv.pull(i, { out: p.listData() });
//
// Every push and pull only queues engine ops (copies between devices, add_n on one device) and
// returns; reading any output waits for them. Store-owned arrays are exempt from mx.scope (free
// them with kv.dispose()); arrays an updater creates are freed when it returns, so a training loop
// stays flat without dispose calls. kv.isCapable(KVStore.OPTIMIZER) is true. Optimizer states:
// getOptimizerStates(dumpOptimizer)/setOptimizerStates(bytes) (any runtime) or the async
// saveOptimizerStates/loadOptimizerStates files (Node); kv.optimizer is the optimizer in use,
// replaced by the loaded one when the states were saved with dumpOptimizer = true.
//
// Why TypeScript and not core-cpp/kvstore/: in one process the store's work is a handful of
// engine ops per key (_copyto between devices, add_n on one device) plus the updater, which is a
// JavaScript function (or mx.optimizer's Updater) anyway; composing the existing ops keeps every
// step on the engine with no host round trip, just as a C++ store would push them.
import { IsotensorError, kindOf } from '../base/error.js';
import { KVStore } from './kvstore.js';

export { KVStore } from './kvstore.js';
export type {
  KVUpdater, PullOptions, PushOptions, PushPullOptions, RowIds, RowSparsePullOptions,
} from './kvstore.js';
export type { Key, KeyValues } from './keys.js';

const NAMES = ['local', 'device', 'local_update_cpu', 'local_allreduce_cpu', 'local_allreduce_device'];

/**
 * A new store. 'local' sums pushed arrays on cpu(0) and keeps values there; 'device' sums them
 * on the pushing devices (each key on one of them, spread by size) — cpu(i) contexts count as
 * devices, so multi-device code runs without GPUs. 'dist_*' stores are not available.
 * @example
 * ```ts
 * const kv = mx.kv.create('local');
 * kv.init(3, nd.ones([2, 3]).mul(2));
 * const a = nd.zeros([2, 3]);
 * kv.pull(3, { out: a }); // [[2, 2, 2], [2, 2, 2]]
 * ```
 */
export function create(name = 'local'): KVStore {
  if (typeof name !== 'string') {
    throw new IsotensorError(`kv.create: the store name must be a string, got ${kindOf(name)}`);
  }
  if (name.startsWith('dist')) {
    throw new IsotensorError(`kv.create: '${name}': distributed stores are not available in isotensor (one ` +
                             "process only); use 'local' or 'device'");
  }
  if (['nccl', 'horovod', 'byteps', 'p3'].includes(name)) {
    throw new IsotensorError(`kv.create: '${name}' is not available in isotensor; use 'device' (sums on the devices) ` +
                             "or 'local'");
  }
  if (!NAMES.includes(name)) {
    throw new IsotensorError(`kv.create: unknown store type '${name}' (valid: ${NAMES.join(', ')})`);
  }
  return new KVStore(name);
}
