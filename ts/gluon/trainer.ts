// gluon.Trainer (MXNet 1.9's gluon/trainer.py): applies an optimizer to a set of Parameters, aggregating gradients over contexts.
// SPDX-License-Identifier: Apache-2.0
//
// One optimizer Updater per context. With several contexts the gradients are summed through a
// KVStore ('device' or 'local', or one given) and either pulled back and applied by the local
// updaters, or applied on the store (updateOnKvstore). With one context no store is used, as in
// MXNet. Every step runs inside mx.scope so the optimizer's temporaries are freed.
import type { Context } from '../base/context.js';
import { IsotensorError, kindOf, optionsOf } from '../base/error.js';
import { nodeFs } from '../base/node_builtin.js';
import { scope } from '../ndarray/lifetime.js';
import { create as createKV, KVStore } from '../kvstore/index.js';
import { create as createOptimizer, Optimizer } from '../optimizer/optimizer.js';
import { getUpdater, type UpdaterFunction } from '../optimizer/updater.js';
import { Parameter } from './parameter.js';
import { ParameterDict } from './parameter.js';

/** Options of `new Trainer(...)`'s last argument. */
export interface TrainerOptions {
  /** 'device' (default), 'local', a KVStore, or null for none. Only used with several contexts. */
  kvstore?: string | KVStore | null;
  /** Run the optimizer on the store (default: MXNet's rule — yes unless a parameter is huge). */
  updateOnKvstore?: boolean | null;
}


/** step()'s and update()'s ignoreStaleGrad: a boolean (MXNet's positional form) or { ignoreStaleGrad }. */
function staleOption(v: boolean | { ignoreStaleGrad?: boolean } | undefined, fn: string): boolean {
  if (v === undefined || typeof v === 'boolean') return v === true;
  const o = optionsOf(v, fn);
  if (o.ignoreStaleGrad !== undefined && typeof o.ignoreStaleGrad !== 'boolean') {
    throw new IsotensorError(`${fn}: argument 'ignoreStaleGrad' must be a boolean, got ${kindOf(o.ignoreStaleGrad)}`);
  }
  const unknown = Object.keys(o).filter((k) => k !== 'ignoreStaleGrad');
  if (unknown.length > 0) throw new IsotensorError(`${fn}: unknown option(s) ${unknown.join(', ')} (expected ignoreStaleGrad)`);
  return o.ignoreStaleGrad === true;
}

/**
 * Updates parameters with an optimizer after backward.
 * @example
 * ```ts
 * const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
 * autograd.record(() => loss.forward(net.forward(x), y)).backward();
 * trainer.step(batchSize);
 * ```
 */
export class Trainer {
  private readonly _params: Parameter[];
  private readonly _param2idx = new Map<string, number>();
  private _optimizer: Optimizer;
  private _updaters: UpdaterFunction[] = [];
  private readonly _scale: number;
  private readonly _kvOpt: TrainerOptions;
  private _kvInitialized = false;
  private _kvstore: KVStore | null = null;
  private _updateOnKvstore = false;
  private _contexts: Context[] | null = null;

  constructor(params: ParameterDict | readonly Parameter[] | Record<string, Parameter>, optimizer: string | Optimizer,
              optimizerParams: Record<string, unknown> | null = null, options: TrainerOptions | string | KVStore | null = {}) {
    // MXNet's positional `Trainer(params, optimizer, optimizer_params, kvstore)`: a name or a store is kvstore.
    const opts: TrainerOptions = typeof options === 'string' || options instanceof KVStore ? { kvstore: options }
      : optionsOf(options, 'Trainer');
    if (optimizerParams !== null && optimizerParams !== undefined &&
        (typeof optimizerParams !== 'object' || Array.isArray(optimizerParams) || optimizerParams instanceof Optimizer)) {
      throw new IsotensorError(`Trainer: optimizerParams must be an object of optimizer options (e.g. { learningRate: 0.1 }), ` +
                               `got ${optimizerParams instanceof Optimizer ? 'an Optimizer' : kindOf(optimizerParams)}`);
    }
    let list: Parameter[];
    if (params instanceof ParameterDict) {
      list = [...params.keys()].sort().map((k) => params.item(k));
    } else if (Array.isArray(params)) {
      list = [...params];
    } else if (params !== null && typeof params === 'object') {
      const rec = params as Record<string, Parameter>;
      list = Object.keys(rec).sort().map((k) => rec[k]!);
    } else {
      throw new IsotensorError('Trainer: params must be a ParameterDict, a list of Parameters or a {name: Parameter} dict');
    }
    list.forEach((p, i) => {
      if (!(p instanceof Parameter)) {
        throw new IsotensorError(`Trainer: params must be Parameters, got ${typeof p} at position ${i}`);
      }
      if (this._param2idx.has(p.name)) throw new IsotensorError(`Trainer: parameter '${p.name}' is listed twice`);
      this._param2idx.set(p.name, i);
    });
    this._params = list;
    const paramDict = new Map<number, Parameter>(list.map((p, i) => [i, p]));
    if (optimizer instanceof Optimizer) {
      if (optimizerParams !== null && Object.keys(optimizerParams).length > 0) {
        throw new IsotensorError('Trainer: optimizerParams must be empty when optimizer is an Optimizer instance ' +
                                 '(set them on the optimizer)');
      }
      this._optimizer = optimizer;
      this._optimizer.paramDict = paramDict;
    } else {
      this._optimizer = createOptimizer(optimizer, { ...(optimizerParams ?? {}), paramDict });
    }
    this._scale = this._optimizer.rescaleGrad;
    this._kvOpt = { kvstore: opts.kvstore === undefined ? 'device' : opts.kvstore, updateOnKvstore: opts.updateOnKvstore ?? null };
  }

  /** The optimizer. */
  get optimizer(): Optimizer {
    return this._optimizer;
  }

  /** The current learning rate. */
  get learningRate(): number {
    return this._optimizer.learningRate;
  }

  /** Sets the learning rate (not with an lrScheduler). */
  setLearningRate(lr: number): void {
    this._optimizer.setLearningRate(lr);
  }

  /** The store in use (null: local aggregation or a single context); decided at the first step. */
  get kvstore(): KVStore | null {
    return this._kvstore;
  }

  private contexts(): Context[] {
    if (this._contexts !== null) return this._contexts;
    let ctx: Context[] | null = null;
    for (const p of this._params) {
      const c = p.listCtx();
      if (ctx === null) ctx = c;
      else if (c.length !== ctx.length || c.some((x, i) => !x.equals(ctx![i]!))) {
        throw new IsotensorError(`Trainer: all Parameters must be initialized on the same set of contexts, but ` +
                                 `Parameter '${p.name}' is on [${c.join(', ')}] while previous ones are on ` +
                                 `[${ctx.join(', ')}]`);
      }
    }
    this._contexts = ctx ?? [];
    this._updaters = this._contexts.map(() => getUpdater(this._optimizer));
    return this._contexts;
  }

  private initKVStore(): void {
    const ctx = this.contexts();
    const kv = this._kvOpt.kvstore;
    let store: KVStore | null = null;
    let onKV = true;
    if (kv instanceof KVStore) store = kv;
    else if (typeof kv === 'string' && ctx.length > 1) {
      store = createKV(kv);
      if (kv === 'local') {
        const maxSize = Math.max(...this._params.map((p) => p.data(ctx[0]).size));
        if (maxSize > 1024 * 1024 * 16) onKV = false;
      }
    }
    if (store === null) onKV = false;
    if (this._kvOpt.updateOnKvstore !== null && this._kvOpt.updateOnKvstore !== undefined && store !== null) {
      onKV = this._kvOpt.updateOnKvstore;
    }
    if (store !== null) {
      this._params.forEach((p, i) => store!.init(i, p.data(ctx[0])));
      if (onKV) store.setOptimizer(this._optimizer);
    }
    this._kvstore = store;
    this._updateOnKvstore = onKV;
    this._kvInitialized = true;
  }

  /**
   * One optimization step: gradients are divided by batchSize (rescaleGrad), aggregated over
   * contexts, and applied. As in MXNet, a parameter whose gradient no backward wrote since the last
   * step (its `freshGrad`) is refused by name; with ignoreStaleGrad (`true`, or
   * `{ ignoreStaleGrad: true }`) such parameters are skipped instead, their weights and optimizer
   * state left as they are.
   */
  step(batchSize: number, ignoreStaleGrad: boolean | { ignoreStaleGrad?: boolean } = false): void {
    const ignore = staleOption(ignoreStaleGrad, 'Trainer.step');
    this.setRescale(batchSize);
    scope(() => {
      if (!this._kvInitialized) this.initKVStore();
      if (!ignore) this.checkFresh('Trainer.step');
      this.allreduceImpl();
      this.updateImpl(ignore);
    });
  }

  /** Sums gradients over contexts (for gradient clipping between backward and update). */
  allreduceGrads(): void {
    scope(() => {
      if (!this._kvInitialized) this.initKVStore();
      if (this._updateOnKvstore) {
        throw new IsotensorError('Trainer.allreduceGrads() needs updateOnKvstore: false (create the Trainer with it)');
      }
      this.allreduceImpl();
    });
  }

  /** Applies the optimizer after allreduceGrads() (gradients divided by batchSize); ignoreStaleGrad as in step(). */
  update(batchSize: number, ignoreStaleGrad: boolean | { ignoreStaleGrad?: boolean } = false): void {
    const ignore = staleOption(ignoreStaleGrad, 'Trainer.update');
    this.setRescale(batchSize);
    scope(() => {
      if (!this._kvInitialized) this.initKVStore();
      if (this._updateOnKvstore) {
        throw new IsotensorError('Trainer.update() needs updateOnKvstore: false (create the Trainer with it)');
      }
      if (!ignore) this.checkFresh('Trainer.update');
      this.updateImpl(ignore);
    });
  }

  /** MXNet's stale-gradient check, made before anything is pushed or applied. */
  private checkFresh(fn: string): void {
    for (const p of this._params) {
      if (p.gradReq === 'null') continue;
      for (const w of p.listData()) {
        if (!w.freshGrad) {
          throw new IsotensorError(
            `${fn}: gradient of Parameter '${p.name}' on context ${w.context.toString()} has not been updated ` +
            'by backward since the last step. This could mean a bug in your model that made it use only a subset of ' +
            'the Parameters (Blocks) for this iteration. If you are intentionally using only a subset, pass ' +
            'ignoreStaleGrad true to skip updating Parameters with a stale gradient');
        }
      }
    }
  }

  private setRescale(batchSize: number): void {
    if (!(batchSize > 0)) throw new IsotensorError(`Trainer.step: batchSize must be positive, got ${String(batchSize)}`);
    this._optimizer.rescaleGrad = this._scale / batchSize;
  }

  private allreduceImpl(): void {
    const kv = this._kvstore;
    if (kv === null) {
      this.localAllreduce();
      return;
    }
    this._params.forEach((p, i) => {
      if (p.gradReq === 'null') return;
      kv.push(i, p.listGrad(), { priority: -i });
      if (this._updateOnKvstore) kv.pull(i, { out: p.listData(), priority: -i });
      else kv.pull(i, { out: p.listGrad(), priority: -i });
    });
  }

  /** Several contexts without a store: sum on the first context and copy back. */
  private localAllreduce(): void {
    const ctx = this.contexts();
    if (ctx.length <= 1) return;
    for (const p of this._params) {
      if (p.gradReq === 'null') continue;
      const g = p.listGrad();
      const sum = g[0]!.copy();
      for (const x of g.slice(1)) sum.iadd(x.copyto(ctx[0]!));
      for (const x of g) sum.copyto(x);
    }
  }

  private updateImpl(ignoreStale: boolean): void {
    // Updated on the store (in allreduceImpl): MXNet leaves the fresh flags as they are there.
    if (this._kvstore !== null && this._updateOnKvstore) return;
    const ctx = this.contexts();
    ctx.forEach((_c, d) => {
      const idx: number[] = [];
      const grads = [];
      const weights = [];
      for (const [i, p] of this._params.entries()) {
        if (p.gradReq === 'null') continue;
        const w = p.listData()[d]!;
        if (ignoreStale && !w.freshGrad) continue;
        w.freshGrad = false;
        idx.push(i);
        grads.push(p.listGrad()[d]!);
        weights.push(w);
      }
      if (idx.length > 0) this._updaters[d]!(idx, grads, weights);
    });
  }

  /** Optimizer states as bytes (Updater.getStates with the optimizer). */
  getStates(): Uint8Array {
    if (!this._kvInitialized) this.initKVStore();
    if (this._kvstore !== null && this._updateOnKvstore) return this._kvstore.getOptimizerStates(true);
    return this._updaters[0]!.getStates(true);
  }

  /** Restores getStates() bytes on every context. */
  setStates(bytes: Uint8Array): void {
    if (!this._kvInitialized) this.initKVStore();
    if (this._kvstore !== null && this._updateOnKvstore) {
      this._kvstore.setOptimizerStates(bytes);
      this._optimizer = this._kvstore.optimizer ?? this._optimizer;
    } else {
      for (const u of this._updaters) u.setStates(bytes);
      this._optimizer = this._updaters[0]!.updater.optimizer;
      for (const u of this._updaters) u.updater.optimizer = this._optimizer;
    }
    this._optimizer.paramDict = new Map(this._params.map((p, i) => [i, p]));
  }

  /** Saves the optimizer states to a file (Node). */
  saveStates(path: string): void {
    nodeFs('Trainer.saveStates', 'elsewhere use getStates()').writeFileSync(path, this.getStates());
  }

  /** Loads optimizer states saved by saveStates (Node). */
  loadStates(path: string): void {
    this.setStates(new Uint8Array(nodeFs('Trainer.loadStates', 'elsewhere use setStates(bytes)').readFileSync(path)));
  }
}
