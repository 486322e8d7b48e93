// Learning-rate schedulers (MXNet 1.9's mx.lr_scheduler): Factor, MultiFactor, Poly, Cosine, with warmup.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf, optionsOf } from '../base/error.js';

/** How the first `warmupSteps` updates ramp up: linearly from `warmupBeginLr`, or held at it. */
export type WarmupMode = 'linear' | 'constant';

/** Options every scheduler takes (MXNet's `base_lr`, `warmup_steps`, ... in camelCase). */
export interface LRSchedulerOptions {
  /** The learning rate after warmup (an optimizer's `learningRate` overrides it). Default 0.01. */
  baseLr?: number;
  /** Updates spent warming up before the schedule starts. Default 0. */
  warmupSteps?: number;
  /** The learning rate warmup starts from. Default 0. */
  warmupBeginLr?: number;
  /** Default 'linear'. */
  warmupMode?: WarmupMode;
}

const num = (v: unknown, fallback: number): number => (v === undefined || v === null ? fallback : Number(v));

/** Snake-case option names (MXNet's) accepted next to the camelCase ones. */
function camelKeys<T extends object>(opts: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) out[k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = v;
  return out as T;
}

/**
 * A scheduler's arguments after the first: an options object, or MXNet's positional ones in MXNet's
 * order (`FactorScheduler(step, factor, stop_factor_lr, base_lr, ...)`), which an options bag would
 * otherwise take for options without them and silently replace by the defaults.
 */
function schedulerArgs<T extends object>(who: string, names: readonly string[], args: readonly unknown[]): Partial<T> {
  if (args.length === 0 || (args.length === 1 && (args[0] === undefined || args[0] === null ||
                                                  (typeof args[0] === 'object' && !Array.isArray(args[0]))))) {
    return optionsOf(args[0] as Partial<T> | undefined, who);
  }
  if (args.length > names.length) {
    throw new IsotensorError(`${who}: at most ${names.length + 1} positional arguments, got ${args.length + 1}`);
  }
  const o: Record<string, unknown> = {};
  args.forEach((v, i) => {
    if (v === undefined) return;
    const name = names[i]!;
    const ok = name === 'warmupMode' ? typeof v === 'string' : typeof v === 'number';
    if (!ok) {
      throw new IsotensorError(`${who}: positional argument '${name}' must be a ${name === 'warmupMode' ? 'string' : 'number'}, ` +
                               `got ${kindOf(v)} (or pass one options object)`);
    }
    o[name] = v;
  });
  return o as Partial<T>;
}

/**
 * The base class: `call(numUpdate)` gives the learning rate once `numUpdate` updates were made
 * (the optimizer passes the largest update count of any weight). Subclass it and override `call`
 * for a custom schedule.
 * @example
 * ```ts
 * const s = new mx.lr_scheduler.FactorScheduler({ step: 100, factor: 0.5, baseLr: 0.1 });
 * s.call(250) // 0.025
 * ```
 */
export class LRScheduler {
  protected _baseLr: number;
  warmupSteps: number;
  warmupBeginLr: number;
  warmupFinalLr: number;
  warmupMode: WarmupMode;

  constructor(opts: LRSchedulerOptions = {}) {
    opts = optionsOf(opts, new.target);
    const o = camelKeys(opts);
    this._baseLr = num(o.baseLr, 0.01);
    this.warmupSteps = num(o.warmupSteps, 0);
    this.warmupBeginLr = num(o.warmupBeginLr, 0);
    this.warmupFinalLr = this._baseLr;
    this.warmupMode = o.warmupMode ?? 'linear';
    if (!Number.isInteger(this.warmupSteps) || this.warmupSteps < 0) {
      throw new IsotensorError(`lr_scheduler: warmupSteps must be a non-negative integer, got ${this.warmupSteps}`);
    }
    if (this.warmupBeginLr > this.warmupFinalLr) {
      throw new IsotensorError(`lr_scheduler: baseLr (${this.warmupFinalLr}) must be at least warmupBeginLr ` +
                               `(${this.warmupBeginLr})`);
    }
    if (this.warmupMode !== 'linear' && this.warmupMode !== 'constant') {
      throw new IsotensorError("lr_scheduler: warmupMode must be 'linear' or 'constant', got " +
                               `'${String(this.warmupMode)}'`);
    }
  }

  /**
   * The current base learning rate. Setting it (as an optimizer with `learningRate` does) also
   * moves the end of warmup and the start of a Poly/Cosine decay; MXNet 1.9 kept their values from
   * construction there, which silently ignored the optimizer's learning rate.
   */
  get baseLr(): number {
    return this._baseLr;
  }

  set baseLr(lr: number) {
    this._baseLr = lr;
    this.warmupFinalLr = lr;
  }

  /** The warmup learning rate at `numUpdate` (< warmupSteps). */
  getWarmupLr(numUpdate: number): number {
    if (this.warmupMode === 'constant') return this.warmupBeginLr;
    return this.warmupBeginLr + (this.warmupFinalLr - this.warmupBeginLr) * numUpdate / this.warmupSteps;
  }

  /** The learning rate after `numUpdate` updates. */
  call(numUpdate: number): number {
    void numUpdate;
    throw new IsotensorError('LRScheduler.call must be overridden by a subclass');
  }

  /** Plain-data snapshot (class name and fields), for Updater.getStates(dumpOptimizer). @internal */
  toJSON(): { type: string; fields: Record<string, unknown> } {
    // By registry entry, not constructor.name: bundlers may rename classes.
    const type = Object.entries(SCHEDULERS).find(([, C]) => C === this.constructor)?.[0] ?? this.constructor.name;
    return { type, fields: { ...(this as object) } as Record<string, unknown> };
  }
}

/** Options of {@link FactorScheduler}. */
export interface FactorSchedulerOptions extends LRSchedulerOptions {
  /** Updates between two reductions (>= 1). */
  step: number;
  /** Multiplier at each reduction (<= 1). Default 1. */
  factor?: number;
  /** The learning rate never goes below this. Default 1e-8. */
  stopFactorLr?: number;
}

/**
 * baseLr * factor^floor((numUpdate - 1) / step), never below stopFactorLr (the rate drops once
 * numUpdate exceeds step, 2*step, ...).
 * @example new mx.lr_scheduler.FactorScheduler({ step: 2, factor: 0.5, baseLr: 1 }) // 1, 1, 0.5, 0.5, 0.25 ...
 */
export class FactorScheduler extends LRScheduler {
  step: number;
  factor: number;
  stopFactorLr: number;
  count = 0;

  constructor(step: number | FactorSchedulerOptions, ...rest: [Partial<FactorSchedulerOptions>?] | number[]) {
    const opts = schedulerArgs<FactorSchedulerOptions>('FactorScheduler', ['factor', 'stopFactorLr', 'baseLr', 'warmupSteps', 'warmupBeginLr', 'warmupMode'], rest);
    const o = camelKeys(typeof step === 'number' ? { ...opts, step } : step);
    super(o);
    this.step = num(o.step, NaN);
    this.factor = num(o.factor, 1);
    this.stopFactorLr = num(o.stopFactorLr, 1e-8);
    if (!(this.step >= 1)) throw new IsotensorError(`FactorScheduler: step must be at least 1, got ${o.step}`);
    if (this.factor > 1) throw new IsotensorError(`FactorScheduler: factor must be at most 1, got ${this.factor}`);
  }

  override call(numUpdate: number): number {
    if (numUpdate < this.warmupSteps) return this.getWarmupLr(numUpdate);
    // A loop, not a formula: the state catches up when training resumes at a later update.
    while (numUpdate > this.count + this.step) {
      this.count += this.step;
      this._baseLr = Math.max(this._baseLr * this.factor, this.stopFactorLr);
    }
    return this._baseLr;
  }
}

/** Options of {@link MultiFactorScheduler}. */
export interface MultiFactorSchedulerOptions extends LRSchedulerOptions {
  /** Increasing update counts at which the rate is multiplied by `factor`. */
  step: number[];
  /** Default 1. */
  factor?: number;
}

/**
 * baseLr * factor^k once numUpdate exceeds the k-th entry of `step`.
 * @example new mx.lr_scheduler.MultiFactorScheduler({ step: [3, 5], factor: 0.1, baseLr: 1 })
 */
export class MultiFactorScheduler extends LRScheduler {
  step: number[];
  factor: number;
  curStepInd = 0;
  count = 0;

  constructor(step: number[] | MultiFactorSchedulerOptions, ...rest: [Partial<MultiFactorSchedulerOptions>?] | number[]) {
    const opts = schedulerArgs<MultiFactorSchedulerOptions>('MultiFactorScheduler', ['factor', 'baseLr', 'warmupSteps', 'warmupBeginLr', 'warmupMode'], rest);
    const o = camelKeys(Array.isArray(step) ? { ...opts, step } : step);
    super(o);
    if (!Array.isArray(o.step) || o.step.length < 1) {
      throw new IsotensorError('MultiFactorScheduler: step must be a non-empty list of update counts');
    }
    o.step.forEach((s, i) => {
      if (!(s >= 1)) throw new IsotensorError(`MultiFactorScheduler: every step must be at least 1, got ${s}`);
      if (i > 0 && !(s > o.step[i - 1]!)) {
        throw new IsotensorError(`MultiFactorScheduler: steps must increase, got ${JSON.stringify(o.step)}`);
      }
    });
    this.step = [...o.step];
    this.factor = num(o.factor, 1);
    if (this.factor > 1) throw new IsotensorError(`MultiFactorScheduler: factor must be at most 1, got ${this.factor}`);
  }

  override call(numUpdate: number): number {
    if (numUpdate < this.warmupSteps) return this.getWarmupLr(numUpdate);
    while (this.curStepInd < this.step.length && numUpdate > this.step[this.curStepInd]!) {
      this.count = this.step[this.curStepInd]!;
      this.curStepInd++;
      this._baseLr *= this.factor;
    }
    return this._baseLr;
  }
}

/** Options of {@link PolyScheduler}. */
export interface PolySchedulerOptions extends LRSchedulerOptions {
  /** Updates until the rate reaches finalLr (warmup included). */
  maxUpdate: number;
  /** Power of the decay. Default 2. */
  pwr?: number;
  /** Default 0. */
  finalLr?: number;
}

/**
 * Poly and Cosine: after warmup the rate falls from baseLr to finalLr at maxUpdate along
 * `decay(t)` (1 at t = 0, 0 at t = 1), then stays at finalLr.
 */
abstract class DecayToFinalScheduler extends LRScheduler {
  maxUpdate: number;
  finalLr: number;
  baseLrOrig: number;
  maxSteps: number;

  constructor(who: string, o: LRSchedulerOptions & { maxUpdate: number; finalLr?: number }) {
    super(o);
    this.maxUpdate = num(o.maxUpdate, NaN);
    if (!Number.isInteger(this.maxUpdate) || this.maxUpdate < 1) {
      throw new IsotensorError(`${who}: maxUpdate must be a positive integer, got ${o.maxUpdate}`);
    }
    this.finalLr = num(o.finalLr, 0);
    this.baseLrOrig = this._baseLr;
    this.maxSteps = this.maxUpdate - this.warmupSteps;
  }

  /** The share of (baseLr - finalLr) left at fraction t of the decay. */
  protected abstract decay(t: number): number;

  override set baseLr(lr: number) {
    super.baseLr = lr;
    this.baseLrOrig = lr;
  }

  override get baseLr(): number {
    return this._baseLr;
  }

  override call(numUpdate: number): number {
    if (numUpdate < this.warmupSteps) return this.getWarmupLr(numUpdate);
    if (numUpdate <= this.maxUpdate) {
      this._baseLr = this.finalLr + (this.baseLrOrig - this.finalLr) *
        this.decay((numUpdate - this.warmupSteps) / this.maxSteps);
    }
    return this._baseLr;
  }
}

/**
 * After warmup: finalLr + (baseLr - finalLr) * (1 - (n - warmupSteps) / (maxUpdate - warmupSteps))^pwr,
 * then finalLr from maxUpdate on.
 * @example new mx.lr_scheduler.PolyScheduler({ maxUpdate: 100, baseLr: 0.1, pwr: 1 })
 */
export class PolyScheduler extends DecayToFinalScheduler {
  power: number;

  constructor(maxUpdate: number | PolySchedulerOptions, ...rest: [Partial<PolySchedulerOptions>?] | number[]) {
    const opts = schedulerArgs<PolySchedulerOptions>('PolyScheduler', ['baseLr', 'pwr', 'finalLr', 'warmupSteps', 'warmupBeginLr', 'warmupMode'], rest);
    const o = camelKeys(typeof maxUpdate === 'number' ? { ...opts, maxUpdate } : maxUpdate);
    super('PolyScheduler', o);
    this.power = num(o.pwr, 2);
  }

  protected decay(t: number): number {
    return Math.pow(1 - t, this.power);
  }
}

/** Options of {@link CosineScheduler}. */
export interface CosineSchedulerOptions extends LRSchedulerOptions {
  /** Updates until the rate reaches finalLr (warmup included). */
  maxUpdate: number;
  /** Default 0. */
  finalLr?: number;
}

/**
 * After warmup: finalLr + (baseLr - finalLr) * (1 + cos(pi * (n - warmupSteps) / (maxUpdate - warmupSteps))) / 2,
 * then finalLr from maxUpdate on.
 * @example new mx.lr_scheduler.CosineScheduler({ maxUpdate: 1000, baseLr: 0.1, warmupSteps: 100 })
 */
export class CosineScheduler extends DecayToFinalScheduler {
  constructor(maxUpdate: number | CosineSchedulerOptions, ...rest: [Partial<CosineSchedulerOptions>?] | number[]) {
    const opts = schedulerArgs<CosineSchedulerOptions>('CosineScheduler', ['baseLr', 'finalLr', 'warmupSteps', 'warmupBeginLr', 'warmupMode'], rest);
    const o = camelKeys(typeof maxUpdate === 'number' ? { ...opts, maxUpdate } : maxUpdate);
    super('CosineScheduler', o);
  }

  protected decay(t: number): number {
    return (1 + Math.cos(Math.PI * t)) / 2;
  }
}

const SCHEDULERS: Record<string, new (o: never) => LRScheduler> = {
  FactorScheduler: FactorScheduler as never,
  MultiFactorScheduler: MultiFactorScheduler as never,
  PolyScheduler: PolyScheduler as never,
  CosineScheduler: CosineScheduler as never,
};

/** Rebuilds a scheduler from toJSON() (Updater.setStates with a dumped optimizer). @internal */
export function schedulerFromJSON(j: { type: string; fields: Record<string, unknown> }): LRScheduler {
  const C = SCHEDULERS[j.type];
  if (C === undefined) throw new IsotensorError(`lr_scheduler: cannot restore a scheduler of class '${j.type}'`);
  const s = Object.create(C.prototype) as LRScheduler;
  Object.assign(s, j.fields);
  return s;
}
