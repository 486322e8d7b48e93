// The Optimizer base class (MXNet 1.9's mx.optimizer.Optimizer) and the registry behind mx.optimizer.create.
// SPDX-License-Identifier: Apache-2.0
//
// An optimizer turns (index, weight, grad, state) into an in-place weight update. Subclasses call
// the fused update ops (sgd_mom_update, adam_update, ...), which write the new weight into the
// weight array and their states in place, on the weight's device. States are created once per
// weight index (createState) and owned by the caller (Updater, gluon.Trainer, Module); they are
// exempt from mx.scope. Learning rate and weight decay per index: the global value times the
// multipliers from setLrMult/setWdMult, the symbol's __lr_mult__/__wd_mult__ attributes, or a
// Gluon Parameter's lrMult/wdMult (paramDict).
import { expectFunction, expectString, IsotensorError, optionsOf } from '../base/error.js';
import { zeros } from '../ndarray/creation.js';
import { keep, scope } from '../ndarray/lifetime.js';
import { invoke } from '../ndarray/invoke.js';
import type { Attrs } from '../ndarray/invoke.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { LRScheduler } from '../lr_scheduler/scheduler.js';

/** A weight's key: an integer index (Gluon, Module) or a string (KVStore string keys). */
export type Index = number | string;

/** What createState returns: nothing, one array, or a (nested) tuple of them. */
export type OptimizerState = NDArray | null | OptimizerState[];

/** A learning-rate schedule: an LRScheduler, or a function of the update count. */
export type Schedule = LRScheduler | ((numUpdate: number) => number);

/** Per-parameter multipliers as a Gluon Parameter carries them. */
export interface ParamMults {
  lrMult?: number;
  wdMult?: number;
  lr_mult?: number;
  wd_mult?: number;
}

/** The part of a Symbol the optimizer reads: its arguments and their attributes. */
export interface SymbolAttrs {
  listArguments(): string[];
  attrDict(): Record<string, Record<string, string>>;
}

/** Options every optimizer takes (MXNet's keyword arguments in camelCase; snake_case works too). */
export interface OptimizerOptions {
  /** Default 0.01 (Adam, AdamW, RMSProp, LAMB: 0.001; Ftrl: 0.1; AdaDelta: 1), or the scheduler's baseLr. */
  learningRate?: number | null;
  /** Weight decay. Default 0. */
  wd?: number;
  /** Multiplies every gradient first (often 1 / batchSize). Default 1. */
  rescaleGrad?: number;
  /** Clips the rescaled gradient to [-clipGradient, clipGradient]; null or 0: no clipping. */
  clipGradient?: number | null;
  lrScheduler?: Schedule | null;
  /** float16/bfloat16 weights get a float32 master copy that the updates run on. Default false. */
  multiPrecision?: boolean;
  /** Index → parameter name (names not ending in _weight or _gamma get no weight decay). */
  paramIdx2Name?: Record<number, string> | Map<number, string>;
  /** The symbol the indices belong to, for its __lr_mult__/__wd_mult__ attributes. */
  sym?: SymbolAttrs | null;
  /** Update count to start from (resuming training). Default 0. */
  beginNumUpdate?: number;
  /** Index → Gluon Parameter (or anything with lrMult/wdMult); wins over setLrMult/setWdMult. */
  paramDict?: Record<string, ParamMults> | Map<Index, ParamMults>;
  [option: string]: unknown;
}

const BASE_OPTIONS = ['learningRate', 'wd', 'rescaleGrad', 'clipGradient', 'lrScheduler', 'multiPrecision',
  'paramIdx2Name', 'sym', 'beginNumUpdate', 'paramDict'];

/** snake_case keys (learning_rate) as camelCase (learningRate). @internal */
export function camelOptions(opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) {
    const c = k === 'param_idx2name' ? 'paramIdx2Name'
      : k.replace(/_([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase());
    out[c] = v;
  }
  return out;
}

// Registered names by class (bundlers may rename classes, so .name is not relied on).
const REGISTERED_NAMES = new Map<unknown, string>();

const is16Bit = (w: NDArray): boolean => w.dtype === 'float16' || w.dtype === 'bfloat16';

const toMap = <K, V>(m: Record<string, V> | Map<K, V> | null | undefined): Map<Index, V> => {
  if (m instanceof Map) return new Map(m as unknown as Map<Index, V>);
  const r = new Map<Index, V>();
  if (m) for (const [k, v] of Object.entries(m)) r.set(/^\d+$/.test(k) ? Number(k) : k, v);
  return r;
};

/** The base class of every optimizer. */
export abstract class Optimizer {
  /** Registered optimizers by lower-case class name. */
  static readonly registry = new Map<string, new (opts?: OptimizerOptions) => Optimizer>();

  rescaleGrad: number;
  lrScheduler: Schedule | null;
  lr: number;
  wd: number;
  clipGradient: number | null;
  multiPrecision: boolean;
  beginNumUpdate: number;
  /** The largest update count of any index on the current device. */
  numUpdate: number;
  lrMult = new Map<Index, number>();
  wdMult = new Map<Index, number>();
  idx2name: Map<Index, string>;
  paramDict: Map<Index, ParamMults>;
  protected symInfo: { attrs: Record<string, Record<string, string>>; args: string[] } | null;
  /** Update counts per device id, then per index. */
  protected allIndexUpdateCounts = new Map<number, Map<Index, number>>([[0, new Map()]]);
  protected indexUpdateCount: Map<Index, number>;
  /** The options given to the constructor (camelCase), for Updater.getStates(dumpOptimizer). */
  protected readonly options: Record<string, unknown>;

  /**
   * @param opts base options plus the subclass's own
   * @param own the subclass's option names (anything else is rejected)
   * @param defaultLr the subclass's default learning rate
   */
  protected constructor(opts: OptimizerOptions = {}, own: readonly string[] = [], defaultLr = 0.01) {
    opts = optionsOf(opts, new.target);
    // Options given as undefined count as not given.
    const o = Object.fromEntries(Object.entries(camelOptions(opts as Record<string, unknown>))
      .filter(([, v]) => v !== undefined));
    const name = this.name;
    for (const k of Object.keys(o)) {
      if (!BASE_OPTIONS.includes(k) && !own.includes(k)) {
        const valid = [...BASE_OPTIONS, ...own].join(', ');
        throw new IsotensorError(`optimizer ${name}: unknown option '${k}' (valid: ${valid})`);
      }
    }
    this.options = { ...o };
    this.rescaleGrad = o.rescaleGrad === undefined ? 1 : Number(o.rescaleGrad);
    this.lrScheduler = (o.lrScheduler as Schedule | null | undefined) ?? null;
    let lr = o.learningRate as number | null | undefined;
    if ((lr === undefined || lr === null) && this.lrScheduler === null) lr = defaultLr;
    if (this.lrScheduler !== null && typeof this.lrScheduler !== 'function') {
      if (lr === undefined || lr === null) {
        lr = this.lrScheduler.baseLr;
      } else if (this.lrScheduler.baseLr !== lr) {
        // As MXNet: the optimizer's learning rate wins over the scheduler's base_lr.
        this.lrScheduler.baseLr = lr;
      }
    }
    this.lr = lr ?? defaultLr;
    this.wd = o.wd === undefined ? 0 : Number(o.wd);
    this.clipGradient = (o.clipGradient as number | null | undefined) ?? null;
    this.multiPrecision = Boolean(o.multiPrecision);
    this.beginNumUpdate = o.beginNumUpdate === undefined ? 0 : Number(o.beginNumUpdate);
    this.numUpdate = this.beginNumUpdate;
    this.indexUpdateCount = this.allIndexUpdateCounts.get(0)!;
    this.idx2name = toMap(o.paramIdx2Name as Record<string, string> | Map<number, string> | undefined);
    this.paramDict = toMap(o.paramDict as Record<string, ParamMults> | Map<Index, ParamMults> | undefined);
    const sym = o.sym as SymbolAttrs | null | undefined;
    this.symInfo = sym ? { attrs: sym.attrDict(), args: sym.listArguments() } : null;
    this.setLrMult({});
    this.setWdMult({});
  }

  // ---- registry ----

  /**
   * Registers an optimizer class under `name` (default: its lower-case class name), the name
   * create() looks up. Returns the class.
   */
  static register<C extends new (opts?: OptimizerOptions) => Optimizer>(klass: C, name?: string): C {
    expectFunction(klass, 'optimizer.register', 'klass');
    if (name !== undefined) expectString(name, 'optimizer.register', 'name');
    const n = (name ?? klass.name).toLowerCase();
    Optimizer.registry.set(n, klass);
    REGISTERED_NAMES.set(klass, n);
    return klass;
  }

  /** The name this optimizer's class is registered under ('sgd', 'adam', ...). */
  get name(): string {
    return REGISTERED_NAMES.get(this.constructor) ?? this.constructor.name.toLowerCase();
  }

  /**
   * An optimizer by (case-insensitive) name: 'sgd', 'adam', ...
   * @example Optimizer.createOptimizer('sgd', { momentum: 0.9 })
   */
  static createOptimizer(name: string, opts: OptimizerOptions = {}): Optimizer {
    const C = Optimizer.registry.get(expectString(name, 'optimizer.create', 'name').toLowerCase());
    if (C === undefined) {
      const known = [...Optimizer.registry.keys()].join(', ');
      throw new IsotensorError(`cannot find optimizer '${name}' (registered: ${known})`);
    }
    return new C(opts);
  }

  // ---- learning rate ----

  /** The current learning rate (the scheduler's at numUpdate when there is one). */
  get learningRate(): number {
    const s = this.lrScheduler;
    if (s === null) return this.lr;
    return typeof s === 'function' ? s(this.numUpdate) : s.call(this.numUpdate);
  }

  set learningRate(lr: number) {
    this.setLearningRate(lr);
  }

  /** Sets the learning rate; an error when a scheduler decides it. */
  setLearningRate(lr: number): void {
    if (this.lrScheduler !== null) {
      throw new IsotensorError('setLearningRate: this optimizer has an lrScheduler, which decides the learning rate');
    }
    this.lr = lr;
  }

  /** Learning-rate multipliers by parameter name or index (replaces earlier ones; symbol attributes first). */
  setLrMult(mults: Record<string, number> | Map<Index, number>): void {
    this.lrMult = new Map();
    if (this.symInfo) {
      for (const n of this.symInfo.args) {
        const a = this.symInfo.attrs[n];
        const v = a?.['__lr_mult__'] ?? a?.['lr_mult'];
        if (v !== undefined) this.lrMult.set(n, Number(v));
      }
    }
    for (const [k, v] of toMap(mults)) this.lrMult.set(k, v);
  }

  /**
   * Weight-decay multipliers by parameter name or index. With paramIdx2Name, names not ending in
   * _weight or _gamma (biases, BatchNorm's beta) get 0, as in MXNet.
   */
  setWdMult(mults: Record<string, number> | Map<Index, number>): void {
    this.wdMult = new Map();
    for (const n of this.idx2name.values()) {
      if (!(n.endsWith('_weight') || n.endsWith('_gamma'))) this.wdMult.set(n, 0);
    }
    if (this.symInfo) {
      for (const n of this.symInfo.args) {
        const a = this.symInfo.attrs[n];
        const v = a?.['__wd_mult__'] ?? a?.['wd_mult'];
        if (v !== undefined) this.wdMult.set(n, Number(v));
      }
    }
    for (const [k, v] of toMap(mults)) this.wdMult.set(k, v);
  }

  /** Switches the per-index update counts to those of device `deviceId` (KVStore's multi-device updates). */
  setCurrentContext(deviceId: number): void {
    let m = this.allIndexUpdateCounts.get(deviceId);
    if (m === undefined) {
      m = new Map();
      this.allIndexUpdateCounts.set(deviceId, m);
    }
    this.indexUpdateCount = m;
  }

  /** Counts one update of each index; numUpdate becomes the largest count. */
  updateCount(index: Index | readonly Index[]): void {
    for (const i of Array.isArray(index) ? index : [index]) {
      const c = (this.indexUpdateCount.get(i) ?? this.beginNumUpdate) + 1;
      this.indexUpdateCount.set(i, c);
      this.numUpdate = Math.max(c, this.numUpdate);
    }
  }

  /** How many times `index` was updated on the current device. */
  indexCount(index: Index): number {
    return this.indexUpdateCount.get(index) ?? this.beginNumUpdate;
  }

  private mult(index: Index, dict: Map<Index, number>, key: 'lrMult' | 'wdMult'): number {
    const p = this.paramDict.get(index);
    if (p !== undefined) return p[key] ?? p[key === 'lrMult' ? 'lr_mult' : 'wd_mult'] ?? 1;
    const d = dict.get(index);
    if (d !== undefined) return d;
    const name = this.idx2name.get(index);
    return name !== undefined ? dict.get(name) ?? 1 : 1;
  }

  /** The learning rate of `index`: the current rate times its multiplier. */
  getLr(index: Index): number {
    return this.learningRate * this.mult(index, this.lrMult, 'lrMult');
  }

  /** The weight decay of `index`: wd times its multiplier. */
  getWd(index: Index): number {
    return this.wd * this.mult(index, this.wdMult, 'wdMult');
  }

  getLrs(indices: readonly Index[]): number[] {
    return indices.map((i) => this.getLr(i));
  }

  getWds(indices: readonly Index[]): number[] {
    return indices.map((i) => this.getWd(i));
  }

  // ---- states and updates ----

  /** The state of a new weight (default: none). Arrays it returns are kept alive for the caller. */
  createState(index: Index, weight: NDArray): OptimizerState {
    void index;
    void weight;
    return null;
  }

  /**
   * createState, plus a float32 master copy for float16/bfloat16 weights when multiPrecision:
   * then [master, state] (SGD, NAG and AdamW order it [state, master], as MXNet).
   */
  createStateMultiPrecision(index: Index, weight: NDArray): OptimizerState {
    if (this.multiPrecision && is16Bit(weight)) {
      const master = keep(weight.astype('float32'));
      return [master, this.createState(index, master)];
    }
    return this.createState(index, weight);
  }

  /** Updates `weight` in place from `grad` and `state`. */
  abstract update(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void;

  /**
   * update() on the float32 master copy for float16/bfloat16 weights when multiPrecision (the
   * gradient is cast to float32 and the result cast back into the weight), else update().
   */
  updateMultiPrecision(index: Index, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    if (this.multiPrecision && is16Bit(weight) && Array.isArray(state)) {
      const [master, inner] = state as [NDArray, OptimizerState];
      scope(() => {
        this.update(index, master, grad.astype('float32'), inner);
        invoke('Cast', [master], { dtype: weight.dtype }, weight);
      });
      return;
    }
    this.update(index, weight, grad, state);
  }

  // ---- helpers for subclasses ----

  /** A zero state array like `weight` (kept alive for the caller). */
  protected zerosLike(weight: NDArray, dtype: string = weight.dtype): NDArray {
    return keep(zeros(weight.shape, { ctx: weight.context, dtype }));
  }

  /** Attributes every fused update takes: rescale_grad, and clip_gradient only when set and non-zero. */
  protected commonAttrs(): Record<string, number> {
    const a: Record<string, number> = { rescale_grad: this.rescaleGrad };
    if (this.clipGradient) a.clip_gradient = this.clipGradient;
    return a;
  }

  /** Runs fused update `op` writing the weight (inputs[0]) in place. */
  protected fused(op: string, inputs: NDArray[], attrs: Attrs): void {
    invoke(op, inputs, attrs, inputs[0]!);
  }

  /** Plain-data snapshot of the optimizer (name, options, counters) for Updater.getStates. @internal */
  toJSON(): Record<string, unknown> {
    const opts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.options)) {
      if (k === 'lrScheduler' || k === 'paramDict' || k === 'sym') continue;
      opts[k] = v instanceof Map ? Object.fromEntries(v) : v;
    }
    const s = this.lrScheduler;
    // With a scheduler its (possibly decayed) baseLr is the learning rate to restore.
    if (s !== null && typeof s !== 'function') delete opts.learningRate;
    else opts.learningRate = this.lr;
    return {
      name: this.name,
      options: opts,
      scheduler: s !== null && typeof s !== 'function' ? s.toJSON() : null,
      numUpdate: this.numUpdate,
      counts: [...this.allIndexUpdateCounts].map(([dev, m]) => [dev, [...m]]),
      lrMult: [...this.lrMult],
      wdMult: [...this.wdMult],
    };
  }
}

/** Registers an optimizer class (MXNet's @register): create(name) finds it by lower-case class name. */
export const register = Optimizer.register;

/**
 * An optimizer by name: 'sgd', 'nag', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta', 'ftrl',
 * 'signum', 'lamb' (case-insensitive), with options in camelCase (or MXNet's snake_case).
 * @example const opt = mx.optimizer.create('sgd', { learningRate: 0.1, momentum: 0.9, wd: 1e-4 });
 */
export function create(name: string, opts: OptimizerOptions = {}): Optimizer {
  return Optimizer.createOptimizer(name, opts);
}
