// Updater and getUpdater (MXNet's mx.optimizer.Updater): per-index states around an optimizer, as a KVStore runs it.
// SPDX-License-Identifier: Apache-2.0
//
// getStates() serialises the states (and, with dumpOptimizer, the optimizer's settings and
// counters) to bytes: "ISTUPDv1", a little-endian uint32 header length, a JSON header describing
// each index's state tree, then the arrays in MXNet's NDArray list format (nd.serialize). MXNet
// pickles a Python object here, which JavaScript cannot read; the arrays themselves are MXNet's format.
import { IsotensorError } from '../base/error.js';
import { deserialize, serialize } from '../ndarray/io.js';
import { keep } from '../ndarray/lifetime.js';
import { NDArray } from '../ndarray/ndarray.js';
import { schedulerFromJSON } from '../lr_scheduler/scheduler.js';
import { Optimizer, type Index, type OptimizerState } from './optimizer.js';

const MAGIC = 'ISTUPDv1';

type Tree = null | { a: string } | Tree[];

function disposeState(s: OptimizerState): void {
  if (s instanceof NDArray) s.dispose();
  else if (Array.isArray(s)) s.forEach(disposeState);
}

/**
 * Creates each weight's state on its first update and applies optimizer.updateMultiPrecision.
 * KVStore's setOptimizer and gluon.Trainer run one per device.
 * @example
 * ```ts
 * const updater = mx.optimizer.getUpdater(mx.optimizer.create('sgd', { learningRate: 0.1 }));
 * updater(0, grad, weight); // weight updated in place
 * ```
 */
export class Updater {
  optimizer: Optimizer;
  states = new Map<Index, OptimizerState>();
  statesSynced = new Map<Index, boolean>();

  constructor(optimizer: Optimizer) {
    this.optimizer = optimizer;
  }

  /** Updates weight(s) in place from grad(s): one index, or lists of them (MXNet's __call__). */
  call(index: Index | readonly Index[], grad: NDArray | readonly NDArray[],
       weight: NDArray | readonly NDArray[]): void {
    const indices = Array.isArray(index) ? index as Index[] : [index as Index];
    const grads = Array.isArray(grad) ? grad as NDArray[] : [grad as NDArray];
    const weights = Array.isArray(weight) ? weight as NDArray[] : [weight as NDArray];
    if (grads.length !== indices.length || weights.length !== indices.length) {
      throw new IsotensorError(`Updater: ${indices.length} indices, ${grads.length} gradients and ${weights.length} ` +
                               'weights (expected as many of each)');
    }
    if (weights.length > 0) this.optimizer.setCurrentContext(weights[0]!.context.deviceId);
    indices.forEach((i, k) => {
      const w = weights[k]!;
      if (!this.states.has(i)) {
        this.states.set(i, this.optimizer.createStateMultiPrecision(i, w));
        this.statesSynced.set(i, true);
      } else if (!this.statesSynced.get(i)) {
        this.states.set(i, this.syncStateContext(this.states.get(i)!, w));
        this.statesSynced.set(i, true);
      }
    });
    indices.forEach((i, k) => this.optimizer.updateMultiPrecision(i, weights[k]!, grads[k]!, this.states.get(i)!));
  }

  /** A state moved to the weight's context (after setStates, whose arrays load on the CPU). */
  syncStateContext(state: OptimizerState, weight: NDArray): OptimizerState {
    if (state instanceof NDArray) {
      if (state.context.equals(weight.context)) return state;
      const moved = keep(state.copyto(weight.context));
      state.dispose();
      return moved;
    }
    return Array.isArray(state) ? state.map((s) => this.syncStateContext(s, weight)) : state;
  }

  /** The states as bytes; with dumpOptimizer also the optimizer (settings, counters, scheduler). */
  getStates(dumpOptimizer = false): Uint8Array {
    const arrays: Record<string, NDArray> = {};
    let n = 0;
    const tree = (s: OptimizerState): Tree => {
      if (s instanceof NDArray) {
        const name = `s${n++}`;
        arrays[name] = s;
        return { a: name };
      }
      return Array.isArray(s) ? s.map(tree) : null;
    };
    const states = [...this.states].map(([i, s]) => [typeof i, i, tree(s)]);
    const header = JSON.stringify({ states, optimizer: dumpOptimizer ? this.optimizer.toJSON() : null });
    const head = new TextEncoder().encode(header);
    const body = n > 0 ? serialize(arrays) : new Uint8Array(0);
    const out = new Uint8Array(12 + head.length + body.length);
    out.set(new TextEncoder().encode(MAGIC), 0);
    new DataView(out.buffer).setUint32(8, head.length, true);
    out.set(head, 12);
    out.set(body, 12 + head.length);
    return out;
  }

  /** Replaces the states (and the optimizer, when the bytes hold one) with getStates() output. */
  setStates(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): void {
    const u8 = bytes instanceof Uint8Array ? bytes
      : ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        : new Uint8Array(bytes);
    if (u8.length < 12 || new TextDecoder().decode(u8.subarray(0, 8)) !== MAGIC) {
      throw new IsotensorError('Updater.setStates: not optimizer states written by Updater.getStates ' +
                               '(MXNet\'s pickled states cannot be read in JavaScript)');
    }
    const len = new DataView(u8.buffer, u8.byteOffset, u8.byteLength).getUint32(8, true);
    if (12 + len > u8.length) throw new IsotensorError('Updater.setStates: truncated optimizer states');
    let header: { states: [string, Index, Tree][]; optimizer: Record<string, unknown> | null };
    try {
      header = JSON.parse(new TextDecoder().decode(u8.subarray(12, 12 + len)));
    } catch (e) {
      throw new IsotensorError(`Updater.setStates: corrupt header (${(e as Error).message})`);
    }
    const rest = u8.subarray(12 + len);
    const arrays = rest.length > 0 ? deserialize<Record<string, NDArray>>(rest) : {};
    const build = (t: Tree): OptimizerState => {
      if (t === null) return null;
      if (Array.isArray(t)) return t.map(build);
      const a = (arrays as Record<string, NDArray>)[t.a];
      if (a === undefined) throw new IsotensorError(`Updater.setStates: array '${t.a}' is missing`);
      return keep(a);
    };
    const next = new Map<Index, OptimizerState>();
    for (const [kind, key, t] of header.states) next.set(kind === 'number' ? Number(key) : String(key), build(t));
    for (const s of this.states.values()) disposeState(s);
    this.states = next;
    this.statesSynced = new Map([...next.keys()].map((k) => [k, false]));
    if (header.optimizer) this.optimizer = restoreOptimizer(header.optimizer);
  }
}

/** An optimizer rebuilt from Optimizer.toJSON(). */
function restoreOptimizer(j: Record<string, unknown>): Optimizer {
  const s = j.scheduler as { type: string; fields: Record<string, unknown> } | null;
  const scheduler = s ? schedulerFromJSON(s) : null;
  const opts = { ...(j.options as Record<string, unknown>) };
  if (scheduler !== null) opts.lrScheduler = scheduler;
  const opt = Optimizer.createOptimizer(String(j.name), opts);
  const o = opt as unknown as {
    numUpdate: number; allIndexUpdateCounts: Map<number, Map<Index, number>>; indexUpdateCount: Map<Index, number>;
    lrMult: Map<Index, number>; wdMult: Map<Index, number>;
  };
  o.numUpdate = Number(j.numUpdate);
  o.allIndexUpdateCounts = new Map((j.counts as [number, [Index, number][]][]).map(([d, m]) => [d, new Map(m)]));
  if (!o.allIndexUpdateCounts.has(0)) o.allIndexUpdateCounts.set(0, new Map());
  o.indexUpdateCount = o.allIndexUpdateCounts.get(0)!;
  o.lrMult = new Map(j.lrMult as [Index, number][]);
  o.wdMult = new Map(j.wdMult as [Index, number][]);
  return opt;
}

/** Updater(index, grad, weight) as a function, with the Updater's methods attached. */
export type UpdaterFunction = ((index: Index | readonly Index[], grad: NDArray | readonly NDArray[],
                                weight: NDArray | readonly NDArray[]) => void) & {
  readonly updater: Updater;
  getStates(dumpOptimizer?: boolean): Uint8Array;
  setStates(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): void;
};

/**
 * A callable updater around `optimizer` (what KVStore.setOptimizer installs).
 * @example const up = mx.optimizer.getUpdater(opt); up(0, grad, weight);
 */
export function getUpdater(optimizer: Optimizer): UpdaterFunction {
  const u = new Updater(optimizer);
  const fn = ((index, grad, weight) => u.call(index, grad, weight)) as UpdaterFunction;
  return Object.assign(fn, {
    updater: u,
    getStates: (dumpOptimizer = false) => u.getStates(dumpOptimizer),
    setStates: (bytes: Uint8Array | ArrayBuffer | ArrayBufferView) => u.setStates(bytes),
  });
}
