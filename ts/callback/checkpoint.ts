// Checkpoint callbacks for fit's epochEndCallback: doCheckpoint (symbol + params) and moduleCheckpoint.
// SPDX-License-Identifier: Apache-2.0
import { saveCheckpoint } from '../model/checkpoint.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { Symbol } from '../symbol/symbol.js';

/**
 * Saves `prefix-symbol.json` and `prefix-%04d.params` (epoch + 1) every `period` epochs.
 * @example mod.fit(it, { numEpoch: 10, epochEndCallback: mx.callback.doCheckpoint('model/mlp') })
 */
export function doCheckpoint(prefix: string, period = 1):
  (iterNo: number, sym: Symbol | null, arg: Record<string, NDArray>, aux: Record<string, NDArray>) => Promise<void> {
  const p = Math.max(1, Math.trunc(period));
  return async (iterNo, sym, arg, aux) => {
    if ((iterNo + 1) % p === 0) await saveCheckpoint(prefix, iterNo + 1, sym, arg, aux);
  };
}

/** What moduleCheckpoint needs of a module. */
export interface CheckpointModule {
  saveCheckpoint(prefix: string, epoch: number, saveOptimizerStates?: boolean): Promise<void> | void;
}

/**
 * Saves a module's checkpoint (optionally with optimizer states) every `period` epochs.
 * @example epochEndCallback: mx.callback.moduleCheckpoint(mod, 'model/mlp', 1, true)
 */
export function moduleCheckpoint(mod: CheckpointModule, prefix: string, period = 1, saveOptimizerStates = false):
  (iterNo: number) => Promise<void> {
  const p = Math.max(1, Math.trunc(period));
  return async (iterNo) => {
    if ((iterNo + 1) % p === 0) await mod.saveCheckpoint(prefix, iterNo + 1, saveOptimizerStates);
  };
}
