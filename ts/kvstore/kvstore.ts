// KVStore: MXNet's single-process key-value store ('local' and 'device') for data-parallel training.
// SPDX-License-Identifier: Apache-2.0
//
// Semantics of MXNet 1.9's KVStoreLocal: init stores a copy per key; push groups the arrays a
// call gives per key (one per device), sums them (comm.ts: on cpu(0) for 'local', on one of the
// pushing devices for 'device', chosen to spread keys evenly), then hands the sum to the updater
// (key, input, stored) — or, without one, assigns it; pull copies the stored value to every
// output. Keys are processed in MXNet's order (integers ascending, strings in init order).
// Everything is an engine op: a push or pull returns before the arithmetic runs.
import { cpu, type Context } from '../base/context.js';
import { bytesPerElement } from '../base/dtype.js';
import { IsotensorError, kindOf, optionsOf } from '../base/error.js';
import { nodeFs } from '../base/node_builtin.js';
import { isRecording, setRecording } from '../autograd/autograd.js';
import { array, ones, zerosLike } from '../ndarray/creation.js';
import { invoke, invoke1 } from '../ndarray/invoke.js';
import { keep, scope } from '../ndarray/lifetime.js';
import { NDArray } from '../ndarray/ndarray.js';
import { Optimizer, type OptimizerState } from '../optimizer/optimizer.js';
import { getUpdater, type UpdaterFunction } from '../optimizer/updater.js';
import { assignDevices, broadcast, MergeBuffers } from './comm.js';
import {
  groupByKey, isNDArray, keyKind, showKey, showShape, type Key, type KeyGroup, type KeyValues,
} from './keys.js';

/** What push runs per key: `stored` is updated in place from the summed `input`. */
export type KVUpdater = (key: Key, input: NDArray, stored: NDArray) => void;

/** Row ids for rowSparsePull: an NDArray of row indices or a list of numbers. */
export type RowIds = NDArray | readonly number[];

export interface PushOptions {
  /** MXNet's scheduling hint. Accepted and checked; the engine runs ops in dependency order. */
  priority?: number;
}

export interface PullOptions extends PushOptions {
  /** Where the values go: one array, one per device, or (with a list of keys) one entry per key. */
  out?: KeyValues;
  /** MXNet skips row_sparse values when true; every value here is dense, so it changes nothing. */
  ignoreSparse?: boolean;
}

export interface PushPullOptions extends PushOptions {
  /** Outputs as in pull; by default the pushed arrays receive the result. */
  out?: KeyValues;
}

export interface RowSparsePullOptions extends PushOptions {
  out: KeyValues;
  /** The rows to pull: one set for every output, or one per output (grouped like `out`). */
  rowIds: RowIds | readonly RowIds[];
}

interface Entry {
  readonly key: Key;
  /** Init order: MXNet numbers string keys in this order and processes them by that number. */
  readonly order: number;
  stored: NDArray;
  /** 'device' stores: where this key's pushes are summed (and its value lives), once known. */
  home: Context | null;
  readonly bufs: MergeBuffers;
}

/** Store names MXNet accepts for one process, and what each one is here. */
const LOCAL_NAMES: Readonly<Record<string, 'local' | 'device'>> = {
  local: 'local', local_update_cpu: 'local', local_allreduce_cpu: 'local',
  device: 'device', local_allreduce_device: 'device',
};

function isRowIds(v: unknown): v is RowIds {
  return v instanceof NDArray || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
}

function disposeState(s: OptimizerState): void {
  if (s instanceof NDArray) s.dispose();
  else if (Array.isArray(s)) s.forEach(disposeState);
}

/** Runs fn with autograd recording off: the store's copies and sums are never part of a graph. */
function unrecorded<T>(fn: () => T): T {
  if (!isRecording()) return fn();
  const prev = setRecording(false);
  try {
    return fn();
  } finally {
    setRecording(prev);
  }
}

function fsPromises(what: string): typeof import('node:fs/promises') {
  return nodeFs(`KVStore.${what}`, 'elsewhere use getOptimizerStates()/setOptimizerStates(bytes)').promises;
}

/**
 * A key-value store shared by the devices of one process (create it with `mx.kv.create`).
 * @example
 * ```ts
 * const kv = mx.kv.create('local');
 * kv.init(3, nd.ones([2, 3]).mul(2));
 * kv.push(3, [nd.ones([2, 3], mx.cpu(0)), nd.ones([2, 3], mx.cpu(1))]); // summed, then stored
 * const a = nd.zeros([2, 3]);
 * kv.pull(3, { out: a }); // a is all 2
 * ```
 */
export class KVStore {
  /** The capability isCapable asks about for an optimizer run by the store (MXNet's KVStore.OPTIMIZER). */
  static readonly OPTIMIZER = 'optimizer';

  /** The name it was created with ('local', 'device', ...). */
  readonly type: string;
  private readonly onDevices: boolean;
  private readonly entries = new Map<Key, Entry>();
  private kind: 'int' | 'str' | null = null;
  private updaterFn: KVUpdater | null = null;
  private optUpdater: UpdaterFunction | null = null;
  /** Bytes of keys summed on each device ('device' placement). */
  private readonly load = new Map<string, number>();
  private disposed = false;

  /** @internal Use mx.kv.create(name). */
  constructor(type: string) {
    const t = LOCAL_NAMES[type];
    if (t === undefined) throw new IsotensorError(`KVStore: unknown type '${type}'`);
    this.type = type;
    this.onDevices = t === 'device';
  }

  /** This process's rank among the workers: always 0 (one process). */
  get rank(): number {
    return 0;
  }

  /** Number of worker processes: always 1. */
  get numWorkers(): number {
    return 1;
  }

  /** The optimizer setOptimizer installed (after loadOptimizerStates, the one the states held), else null. */
  get optimizer(): Optimizer | null {
    return this.optUpdater?.updater.optimizer ?? null;
  }

  /** What push runs per key: the setUpdater function, the setOptimizer updater, or null (assign). */
  get updater(): KVUpdater | null {
    return this.updaterFn;
  }

  /** True for 'optimizer' (KVStore.OPTIMIZER): this store can run an optimizer on push. */
  isCapable(capability: string): boolean {
    if (capability === KVStore.OPTIMIZER) return true;
    throw new IsotensorError(`KVStore.isCapable: unknown capability '${capability}' (known: '${KVStore.OPTIMIZER}')`);
  }

  /**
   * Stores a copy of each key's initial value (cpu(0) for 'local'; the value's device for
   * 'device' until its first push). A key is initialised once.
   * @example kv.init([5, 7, 9], [w5, w7, w9]); kv.init('fc1_weight', w)
   */
  init(key: Key | readonly Key[], value: KeyValues): void {
    const what = 'KVStore.init';
    this.alive(what);
    const groups = groupByKey(what, key, value, 'value', isNDArray);
    this.checkKind(groups, what, true);
    for (const g of groups) {
      if (this.entries.has(g.key)) throw new IsotensorError(`${what}: duplicate init of key ${showKey(g.key)}`);
      if (g.items.length > 1) {
        throw new IsotensorError(`${what}: key ${showKey(g.key)} got ${g.items.length} values; init takes one ` +
                                 'value per key (push sums several)');
      }
    }
    if (this.kind === null && groups.length > 0) this.kind = keyKind(groups[0]!.key, what);
    unrecorded(() => {
      for (const g of groups) {
        const v = g.items[0]!;
        const ctx = this.onDevices ? v.context : cpu(0);
        const stored = keep(v.copyto(ctx));
        this.entries.set(g.key, { key: g.key, order: this.entries.size, stored, home: null, bufs: new MergeBuffers() });
      }
    });
  }

  /**
   * Pushes values: the arrays given for one key (one per device) are summed first, then the
   * updater combines the sum with the stored value (default: the sum replaces it).
   * @example kv.push(3, [g0, g1, g2, g3]); kv.push([5, 7], [[a0, a1], [b0, b1]])
   */
  push(key: Key | readonly Key[], value: KeyValues, options: PushOptions | number = {}): void {
    const what = 'KVStore.push';
    this.alive(what);
    // MXNet's positional push(key, value, priority).
    const opts = typeof options === 'number' ? { priority: options } : optionsOf(options, what);
    checkPriority(what, opts.priority);
    const groups = this.sorted(groupByKey(what, key, value, 'value', isNDArray), what);
    const entries = groups.map((g) => {
      const e = this.entry(g.key, what);
      g.items.forEach((v, i) => this.checkLike(e, v, what, g.items.length > 1 ? `value ${i}` : 'value'));
      return e;
    });
    unrecorded(() => {
      if (this.onDevices) this.place(groups, entries);
      groups.forEach((g, i) => this.pushOne(entries[i]!, g.items));
    });
  }

  /**
   * Copies each key's stored value into `out` (one array, one per device, or one entry per key).
   * `pull(key, out)` works too.
   * @example kv.pull(3, { out: a }); kv.pull(3, { out: [a0, a1] }); kv.pull([5, 7], { out: [[a0, a1], [b0, b1]] })
   */
  pull(key: Key | readonly Key[], opts: PullOptions | KeyValues = {}, priority?: number): void {
    const what = 'KVStore.pull';
    this.alive(what);
    const o = asOptions<PullOptions>(opts, what, priority);
    checkPriority(what, o.priority);
    if (o.ignoreSparse !== undefined && typeof o.ignoreSparse !== 'boolean') {
      throw new IsotensorError(`${what}: ignoreSparse must be a boolean, got ${typeof o.ignoreSparse}`);
    }
    if (o.out === undefined || o.out === null) throw new IsotensorError(`${what}: 'out' is required (the arrays to fill)`);
    const groups = groupByKey(what, key, o.out, 'out', isNDArray);
    this.checkKind(groups, what, false);
    const entries = groups.map((g) => {
      const e = this.entry(g.key, what);
      g.items.forEach((v, i) => this.checkLike(e, v, what, g.items.length > 1 ? `out[${i}]` : 'out'));
      return e;
    });
    unrecorded(() => groups.forEach((g, i) => broadcast(entries[i]!.stored, g.items)));
  }

  /**
   * push then pull; without `out` the pushed arrays receive the result (MXNet's pushpull).
   * @example kv.pushPull(3, [g0, g1]) // g0 and g1 now hold the aggregated value
   */
  pushPull(key: Key | readonly Key[], value: KeyValues, opts: PushPullOptions | KeyValues = {}, priority?: number): void {
    // MXNet's positional pushpull(key, value, out, priority): arrays are `out`, as pull(key, out) reads.
    const o = asOptions<PushPullOptions>(opts, 'KVStore.pushPull', priority);
    this.push(key, value, { priority: o.priority });
    this.pull(key, { out: o.out ?? value, priority: o.priority });
  }

  /**
   * Pulls only the given rows (MXNet's row_sparse_pull, on dense arrays): each output gets the
   * stored rows listed in its row ids and zeros elsewhere.
   * @example kv.rowSparsePull('emb', { out: a, rowIds: [0, 4] })
   */
  rowSparsePull(key: Key | readonly Key[], opts: RowSparsePullOptions): void {
    const what = 'KVStore.rowSparsePull';
    this.alive(what);
    if (opts === undefined || opts === null || typeof opts !== 'object') {
      throw new IsotensorError(`${what}: options { out, rowIds } are required`);
    }
    checkPriority(what, opts.priority);
    if (opts.out === undefined || opts.out === null) throw new IsotensorError(`${what}: 'out' is required`);
    if (opts.rowIds === undefined || opts.rowIds === null) {
      throw new IsotensorError(`${what}: 'rowIds' is required (an NDArray or a list of row numbers)`);
    }
    const groups = groupByKey(what, key, opts.out, 'out', isNDArray);
    this.checkKind(groups, what, false);
    const single = isRowIds(opts.rowIds);
    const idGroups = single ? null : groupByKey(what, key, opts.rowIds, 'rowIds', isRowIds);
    const jobs: Array<{ e: Entry; out: NDArray; ids: RowIds }> = [];
    groups.forEach((g) => {
      const e = this.entry(g.key, what);
      if (e.stored.ndim === 0) throw new IsotensorError(`${what}: key ${showKey(g.key)} holds a 0-d value (no rows)`);
      // Row ids were grouped with the same keys, so every key has its group.
      const ids = single ? null : idGroups!.find((x) => x.key === g.key)!.items;
      if (ids !== null && ids.length !== 1 && ids.length !== g.items.length) {
        throw new IsotensorError(`${what}: key ${showKey(g.key)} has ${g.items.length} outputs but ${ids.length} ` +
                                 'row id sets (give one, or one per output)');
      }
      g.items.forEach((out, i) => {
        this.checkLike(e, out, what, g.items.length > 1 ? `out[${i}]` : 'out');
        const r = single ? opts.rowIds as RowIds : ids!.length === 1 ? ids![0]! : ids![i]!;
        checkRows(what, e, r);
        jobs.push({ e, out, ids: r });
      });
    });
    unrecorded(() => {
      for (const j of jobs) pullRows(j.e.stored, j.out, j.ids);
    });
  }

  /**
   * Sets the function push runs per key: `updater(key, input, stored)` updates `stored` in place
   * (MXNet's `_set_updater`). Arrays it creates are freed when it returns.
   * @example kv.setUpdater((key, input, stored) => { stored.iadd(input.mul(2)); });
   */
  setUpdater<K extends Key = Key>(updater: (key: K, input: NDArray, stored: NDArray) => void): void {
    this.alive('KVStore.setUpdater');
    if (typeof updater !== 'function') {
      throw new IsotensorError(`KVStore.setUpdater: the updater must be a function (key, input, stored), got ${typeof updater}`);
    }
    // K narrows the key type for callers that use one kind of key; the store checks the kind.
    this.updaterFn = updater as KVUpdater;
    this.optUpdater = null;
  }

  /** MXNet's name for setUpdater. */
  _setUpdater<K extends Key = Key>(updater: (key: K, input: NDArray, stored: NDArray) => void): void {
    this.setUpdater(updater);
  }

  /**
   * Runs `optimizer` on every push (MXNet's set_optimizer: an mx.optimizer Updater keyed by the
   * store's keys, its states kept on each key's device).
   * @example kv.setOptimizer(mx.optimizer.create('sgd', { learningRate: 0.1, momentum: 0.9 }))
   */
  setOptimizer(optimizer: Optimizer): void {
    this.alive('KVStore.setOptimizer');
    if (!(optimizer instanceof Optimizer)) {
      throw new IsotensorError('KVStore.setOptimizer: expected an mx.optimizer.Optimizer (e.g. ' +
                               `mx.optimizer.create('sgd', {...})), got ${kindOf(optimizer)}`);
    }
    const u = getUpdater(optimizer);
    this.updaterFn = (key, input, stored) => u(key, input, stored);
    this.optUpdater = u;
  }

  /** The optimizer's states as bytes (with dumpOptimizer also its settings and counters). */
  getOptimizerStates(dumpOptimizer = false): Uint8Array {
    return this.needOptimizer('getOptimizerStates').getStates(dumpOptimizer);
  }

  /** Restores states from getOptimizerStates()/saveOptimizerStates() bytes. */
  setOptimizerStates(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): void {
    this.needOptimizer('setOptimizerStates').setStates(bytes);
  }

  /**
   * Writes the optimizer's states to a file (Node).
   * @example await kv.saveOptimizerStates('kv.states')
   */
  async saveOptimizerStates(fname: string, dumpOptimizer = false): Promise<void> {
    const bytes = this.getOptimizerStates(dumpOptimizer);
    await fsPromises('saveOptimizerStates').writeFile(fname, bytes);
  }

  /**
   * Reads states written by saveOptimizerStates (Node).
   * @example await kv.loadOptimizerStates('kv.states')
   */
  async loadOptimizerStates(fname: string): Promise<void> {
    const u = this.needOptimizer('loadOptimizerStates');
    const bytes = new Uint8Array(await fsPromises('loadOptimizerStates').readFile(fname));
    u.setStates(bytes);
  }

  /** Waits for all workers: one process, so it returns at once (as MXNet's local store does). */
  barrier(): void {
    this.alive('KVStore.barrier');
  }

  /** Gradient compression exists only for distributed stores in MXNet; refused here. */
  setGradientCompression(_params: Record<string, unknown>): void {
    throw new IsotensorError(`KVStore.setGradientCompression: not available for '${this.type}' ` +
                             '(MXNet compresses gradients between machines; isotensor has no distributed store)');
  }

  /** Frees the stored values, the reduction buffers and the optimizer's states. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const e of this.entries.values()) {
      e.stored.dispose();
      e.bufs.dispose();
    }
    this.entries.clear();
    if (this.optUpdater !== null) for (const s of this.optUpdater.updater.states.values()) disposeState(s);
    this.optUpdater = null;
    this.updaterFn = null;
  }

  /** `using kv = mx.kv.create()` disposes at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- internals ----

  private pushOne(e: Entry, values: readonly NDArray[]): void {
    const home = this.onDevices ? e.home ?? e.stored.context : e.stored.context;
    const merged = e.bufs.reduce(home, values);
    const fn = this.updaterFn;
    if (fn === null) {
      if (merged.handle !== e.stored.handle) invoke('_copyto', [merged], null, [e.stored]);
      return;
    }
    scope(() => {
      const r = fn(e.key, merged, e.stored) as unknown;
      if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
        throw new IsotensorError(`KVStore.push: the updater for key ${showKey(e.key)} returned a Promise; ` +
                                 'updaters must update `stored` synchronously (ops are queued on the engine anyway)');
      }
    });
  }

  /** 'device': picks each new key's reduction device and moves its value there. */
  private place(groups: ReadonlyArray<KeyGroup<NDArray>>, entries: readonly Entry[]): void {
    const pending: Array<{ key: Key; bytes: number; devices: Context[] }> = [];
    groups.forEach((g, i) => {
      const e = entries[i]!;
      if (e.home !== null) return;
      const devices: Context[] = [];
      for (const v of g.items) if (!devices.some((d) => d.equals(v.context))) devices.push(v.context);
      pending.push({ key: e.key, bytes: e.stored.size * bytesPerElement(e.stored.dtype), devices });
    });
    if (pending.length === 0) return;
    const chosen = assignDevices(pending, this.load);
    entries.forEach((e) => {
      const home = chosen.get(e.key);
      if (home === undefined) return;
      e.home = home;
      if (!e.stored.context.equals(home)) {
        const moved = keep(e.stored.copyto(home));
        e.stored.dispose();
        e.stored = moved;
      }
    });
  }

  private entry(key: Key, what: string): Entry {
    const e = this.entries.get(key);
    if (e === undefined) {
      throw new IsotensorError(`${what}: key ${showKey(key)} has not been initialized (call init first)`);
    }
    return e;
  }

  /** Same shape and dtype as the stored value; `arg` names the array in the message. */
  private checkLike(e: Entry, v: NDArray, what: string, arg: string): void {
    const s = e.stored;
    const a = v.shape;
    const b = s.shape;
    if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
      throw new IsotensorError(`${what}: key ${showKey(e.key)}: ${arg} has shape ${showShape(a)} but the stored value ` +
                               `has shape ${showShape(b)}`);
    }
    if (v.dtype !== s.dtype) {
      throw new IsotensorError(`${what}: key ${showKey(e.key)}: ${arg} has dtype ${v.dtype} but the stored value ` +
                               `is ${s.dtype}`);
    }
    if (v.backend !== s.backend) {
      throw new IsotensorError(`${what}: key ${showKey(e.key)}: ${arg} lives on the ${v.backend.name} backend, the ` +
                               `store on ${s.backend.name}`);
    }
  }

  /** One key kind per store (MXNet maps string keys to its own integers and cannot mix them). */
  private checkKind(groups: ReadonlyArray<KeyGroup<unknown>>, what: string, initing: boolean): void {
    if (groups.length === 0) return;
    const k = keyKind(groups[0]!.key, what);
    if (this.kind !== null && k !== this.kind) {
      const has = this.kind === 'int' ? 'integer' : 'string';
      throw new IsotensorError(`${what}: key ${showKey(groups[0]!.key)} is ${k === 'int' ? 'an integer' : 'a string'} ` +
                               `but this store uses ${has} keys${initing ? '' : ' (initialized so)'}; MXNet does not mix them`);
    }
  }

  /** Groups in MXNet's processing order: integer keys ascending, string keys in init order. */
  private sorted<T>(groups: KeyGroup<T>[], what: string): KeyGroup<T>[] {
    this.checkKind(groups, what, false);
    const rank = (k: Key): number => (typeof k === 'number' ? k : this.entries.get(k)?.order ?? Infinity);
    return [...groups].sort((a, b) => rank(a.key) - rank(b.key));
  }

  private needOptimizer(what: string): UpdaterFunction {
    this.alive(`KVStore.${what}`);
    if (this.optUpdater === null) {
      throw new IsotensorError(`KVStore.${what}: no optimizer on this store (call setOptimizer first)`);
    }
    return this.optUpdater;
  }

  private alive(what: string): void {
    if (this.disposed) throw new IsotensorError(`${what}: the store was disposed`);
  }
}

function checkPriority(what: string, p: unknown): void {
  if (p !== undefined && !(typeof p === 'number' && Number.isInteger(p))) {
    throw new IsotensorError(`${what}: priority must be an integer, got ${String(p)}`);
  }
}

/** Options, or the outputs given directly (`pull(key, out)`). */
function asOptions<T extends { out?: KeyValues; priority?: number }>(v: T | KeyValues, what: string, priority?: number): T {
  if (v instanceof NDArray || Array.isArray(v)) return { out: v as KeyValues, ...(priority === undefined ? {} : { priority }) } as T;
  if (priority !== undefined) {
    throw new IsotensorError(`${what}: a positional priority follows a positional out (an NDArray or a list), got ${kindOf(v)} before it`);
  }
  return optionsOf(v as T | null | undefined, what) as T;
}

/** Host row lists must hold row numbers of the stored value. */
function checkRows(what: string, e: Entry, ids: RowIds): void {
  if (ids instanceof NDArray) {
    if (ids.ndim !== 1) {
      throw new IsotensorError(`${what}: key ${showKey(e.key)}: rowIds must be 1-d, got shape ${showShape(ids.shape)}`);
    }
    return;
  }
  const n = e.stored.shape[0]!;
  for (const r of ids) {
    if (!Number.isInteger(r) || r < 0 || r >= n) {
      throw new IsotensorError(`${what}: key ${showKey(e.key)}: row id ${r} is not a row of the stored value ` +
                               `(shape ${showShape(e.stored.shape)})`);
    }
  }
}

/** out = stored's rows listed in ids, zeros elsewhere; computed on the stored value's device. */
function pullRows(stored: NDArray, out: NDArray, ids: RowIds): void {
  const home = stored.context;
  const count = ids instanceof NDArray ? ids.size : ids.length;
  if (count === 0) {
    out.set(0);
    return;
  }
  scope(() => {
    const rows = ids instanceof NDArray ? ids.asInContext(home) : array(ids as number[], { ctx: home, dtype: 'int32' });
    // A mask over the rows: scatter ones at the row ids (repeated ids just set 1 again).
    const mask = invoke1('scatter_nd', [ones([count], { ctx: home }), rows.reshape([1, count])],
                         { shape: [stored.shape[0]!] });
    const dst = out.context.equals(home) ? out : null;
    const picked = invoke1('where', [mask, stored, zerosLike(stored)], null, dst);
    if (dst === null) invoke('_copyto', [picked], null, [out]);
  });
}
