// Gluon Parameter, Constant and ParameterDict (MXNet's gluon/parameter.py): per-context data and gradients, deferred init, save/load.
// SPDX-License-Identifier: Apache-2.0
//
// A parameter's arrays outlive every mx.scope (they are kept); its gradient buffers are attached
// with autograd.markVariables so backward writes them per gradReq. A shape with 0 dims is
// unknown until the owning block's first forward infers it (deferred initialization).
import { markVariables, pause } from '../autograd/autograd.js';
import { cpu, currentContext, toContext, type Context } from '../base/context.js';
import { normalizeDType, type DType } from '../base/dtype.js';
import { IsotensorError, optionsOf, positionalOptions } from '../base/error.js';
import { Initializer, InitDesc, create as createInit, isInitializerLike, type InitializerLike } from '../init/initializer.js';
import { Uniform } from '../init/initializers.js';
import { array, zeros } from '../ndarray/creation.js';
import { loadSync, saveSync } from '../ndarray/io.js';
import { keep } from '../ndarray/lifetime.js';
import { NDArray, type GradReq } from '../ndarray/ndarray.js';
import { Variable, type Symbol } from '../symbol/symbol.js';

/** An initializer: an object, or a registered name/JSON ('zeros', 'xavier', '["normal", {"sigma": 0.1}]'). */
export type InitSpec = InitializerLike | string;

/** Options of `new Parameter(name, opts)`. */
export interface ParameterOptions {
  /** 'write' (default), 'add' (accumulate over backward calls) or 'null' (no gradient). */
  gradReq?: GradReq;
  /** Shape; 0 marks a dim unknown until deferred initialization. */
  shape?: number | readonly number[] | null;
  dtype?: DType | string;
  /** Learning-rate multiplier (the optimizer reads it). */
  lrMult?: number;
  /** Weight-decay multiplier. */
  wdMult?: number;
  /** This parameter's own initializer (wins over the one given to initialize()). */
  init?: InitSpec | null;
  /** Allows initialize() before the shape is known; the first forward finishes it. */
  allowDeferredInit?: boolean;
  /** false: never gets a gradient (gradReq forced to 'null'). */
  differentiable?: boolean;
  /** Storage type (only 'default' is supported). */
  stype?: 'default';
  gradStype?: 'default';
}

/** Options of `Parameter.initialize`. */
export interface ParameterInitOptions {
  /** Used when the parameter has no `init` of its own. */
  init?: InitSpec | null;
  /** One context or several (data parallelism: one copy each). Default: the current context. */
  ctx?: Context | string | readonly (Context | string)[] | null;
  /** Used when neither init nor the parameter's init is given (default Uniform(0.07)). */
  defaultInit?: InitSpec;
  /** Re-initialize even if already initialized. */
  forceReinit?: boolean;
}

/**
 * Raised by Parameter.data() while initialization waits for the first forward to know the
 * shape. Blocks catch it to infer shapes; users see it when reading a parameter too early.
 */
export class DeferredInitializationError extends IsotensorError {
  constructor(message: string) {
    super(message);
    this.name = 'DeferredInitializationError';
  }
}

function shapeStr(s: readonly number[] | null): string {
  return s === null ? 'None' : `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;
}

function ctxList(ctx: ParameterInitOptions['ctx']): Context[] {
  if (ctx === null || ctx === undefined) return [currentContext()];
  const list = Array.isArray(ctx) ? ctx : [ctx];
  if (list.length === 0) throw new IsotensorError('Parameter.initialize: ctx is an empty list');
  return list.map((c) => toContext(c as Context | string));
}

/** An initializer from a spec (names and JSON go through mx.init.create). */
export function toInitializer(init: InitSpec): InitializerLike {
  if (typeof init === 'string') return createInit(init);
  if (init === null || typeof (init as InitializerLike).call !== 'function') {
    throw new IsotensorError('initializer: expected an mx.init initializer or its name');
  }
  return init;
}

/**
 * `initialize`'s argument: an options object, or (MXNet's positional `init`) an initializer or its name,
 * which an options bag would otherwise take for options without `init` and silently replace by the default.
 */
export function initializeOptions<O extends { init?: InitSpec | null }>(opts: O | InitSpec | null | undefined,
                                                                       fn: string): Partial<O> {
  if (typeof opts === 'string' || isInitializerLike(opts)) {
    return { init: opts } as Partial<O>;
  }
  return optionsOf(opts as O | null | undefined, fn);
}

/** Fills arr for parameter `name` the way MXNet's `_finish_deferred_init` does. */
export function runInitializer(name: string, init: InitSpec, arr: NDArray): void {
  const ini = toInitializer(init);
  // MXNet passes the chosen initializer as the desc's __init__: it then applies its weight rule to
  // whatever the name is (a parameter's own init decides, e.g. 'zeros' for biases).
  if (ini instanceof Initializer) ini.initWeight(new InitDesc(name, {}, ini), arr);
  else ini.call(new InitDesc(name), arr);
}

/**
 * A parameter of a Block: data (one array per context), gradient buffers and training settings.
 * @example
 * ```ts
 * const w = new gluon.Parameter('w', { shape: [2, 3] });
 * w.initialize({ init: mx.init.One() });
 * w.data().shape // [2, 3]
 * ```
 */
export class Parameter {
  readonly name: string;
  dtype: DType;
  lrMult: number;
  wdMult: number;
  init: InitSpec | null;
  allowDeferredInit: boolean;
  readonly differentiable: boolean;
  /** @internal Bumped whenever the data arrays are replaced (cached graphs rebind). */
  version = 0;

  private _shape: number[] | null;
  private _gradReq: GradReq;
  private _data: NDArray[] | null = null;
  private _grad: NDArray[] | null = null;
  private _ctx: Context[] | null = null;
  private _deferred: { init: InitSpec; ctx: Context[]; data: NDArray | null } | null = null;
  private _var: Symbol | null = null;

  constructor(name: string, opts: ParameterOptions = {}) {
    opts = optionsOf(opts, new.target);
    if (typeof name !== 'string' || name === '') throw new IsotensorError('Parameter: name must be a non-empty string');
    this.name = name;
    const s = opts.shape;
    this._shape = s === null || s === undefined ? null : typeof s === 'number' ? [s] : [...s];
    this.dtype = normalizeDType(opts.dtype ?? 'float32', `Parameter '${name}'`);
    this.lrMult = opts.lrMult ?? 1;
    this.wdMult = opts.wdMult ?? 1;
    this.init = opts.init ?? null;
    this.allowDeferredInit = opts.allowDeferredInit ?? false;
    this.differentiable = opts.differentiable ?? true;
    const req = opts.gradReq ?? 'write';
    if (!['write', 'add', 'null'].includes(req)) {
      throw new IsotensorError(`Parameter '${name}': gradReq must be 'write', 'add' or 'null', got '${String(req)}'`);
    }
    this._gradReq = this.differentiable ? req : 'null';
  }

  toString(): string {
    return `Parameter ${this.name} (shape=${shapeStr(this._shape)}, dtype=${this.dtype})`;
  }

  // ---- shape and settings ----

  /** The shape (0 = unknown dim), or null when not given yet. */
  get shape(): number[] | null {
    return this._shape === null ? null : [...this._shape];
  }

  /** Sets the shape; known dims must agree with the current ones (0 dims take the new value). */
  set shape(s: readonly number[] | null) {
    if (s === null) {
      if (this._data !== null) throw new IsotensorError(`Parameter '${this.name}': cannot unset the shape of initialized data`);
      this._shape = null;
      return;
    }
    if (this._shape === null) {
      this._shape = [...s];
      return;
    }
    const ok = this._shape.length === s.length && this._shape.every((d, i) => d === 0 || s[i] === 0 || d === s[i]);
    if (!ok) {
      throw new IsotensorError(`Parameter '${this.name}': expected shape ${shapeStr(this._shape)} is incompatible with ` +
                               `given shape ${shapeStr(s)}`);
    }
    this._shape = this._shape.map((d, i) => (d === 0 ? s[i]! : d));
  }

  /** Whether every dim is known. */
  get shapeKnown(): boolean {
    return this._shape !== null && this._shape.every((d) => d > 0);
  }

  get gradReq(): GradReq {
    return this._gradReq;
  }

  /** Changes gradReq; switching to 'null' drops the gradient buffers, away from it makes them. */
  set gradReq(req: GradReq) {
    if (!['write', 'add', 'null'].includes(req)) {
      throw new IsotensorError(`Parameter '${this.name}': gradReq must be 'write', 'add' or 'null', got '${String(req)}'`);
    }
    if (!this.differentiable) req = 'null';
    if (this._gradReq === req) return;
    this._gradReq = req;
    if (this._data === null) return;
    if (req === 'null') {
      this.dropGrads();
      // New data arrays detach the old autograd variables (MXNet's detach-on-null).
      this.replaceData(this._data.map((d) => d.detach()));
    } else {
      this.initGrad();
    }
    this.version++;
  }

  /** Whether initialize() finished (false while waiting for the shape). */
  get isInitialized(): boolean {
    return this._data !== null;
  }

  /** Whether initialization waits for a forward to know the shape. */
  get isDeferred(): boolean {
    return this._deferred !== null && this._data === null;
  }

  // ---- initialization ----

  /**
   * Creates and fills the data on each context (MXNet's Parameter.initialize). With an unknown
   * shape and allowDeferredInit, waits for the first forward.
   */
  initialize(options: ParameterInitOptions | InitSpec = {}): void {
    const opts = initializeOptions(options, 'Parameter.initialize');
    if (this._data !== null && !(opts.forceReinit ?? false)) {
      console.warn(`Parameter '${this.name}' is already initialized, ignoring. Set forceReinit: true to re-initialize.`);
      return;
    }
    this.dropData();
    const defaultInit = opts.defaultInit ?? new Uniform();
    const init = this.init ?? opts.init ?? defaultInit;
    const ctx = ctxList(opts.ctx);
    this._deferred = { init, ctx, data: null };
    if (!this.shapeKnown) {
      if (this.allowDeferredInit) return;
      this._deferred = null;
      throw new IsotensorError(`Parameter '${this.name}': cannot initialize with unknown shape ${shapeStr(this._shape)}; ` +
                               'give the shape (or the layer its input size), or allow deferred initialization');
    }
    this.finishDeferredInit();
  }

  /** @internal Completes a deferred initialization once the shape is known (blocks call it). */
  finishDeferredInit(): void {
    const d = this._deferred;
    if (d === null || this._data !== null) return;
    if (!this.shapeKnown) {
      throw new IsotensorError(`Parameter '${this.name}': cannot initialize, its shape ${shapeStr(this._shape)} is ` +
                               'still unknown (dims of 0)');
    }
    pause(() => {
      let data = d.data;
      if (data === null) {
        data = zeros(this._shape!, { dtype: this.dtype, ctx: d.ctx[0] });
        runInitializer(this.name, d.init, data);
      }
      this.initImpl(data, d.ctx);
    });
  }

  private initImpl(data: NDArray, ctx: readonly Context[]): void {
    this._ctx = [...ctx];
    const arrays = ctx.map((c) => {
      const a = data.context.equals(c) && data.dtype === this.dtype ? data.copy() : data.copyto(c).astype(this.dtype, { copy: false });
      return keep(a);
    });
    this._deferred = null;
    this.replaceData(arrays);
    this.initGrad();
    this.version++;
  }

  private replaceData(arrays: NDArray[]): void {
    for (const a of arrays) keep(a);
    const old = this._data;
    this._data = arrays;
    if (old !== null) for (const a of old) if (!arrays.includes(a)) a.dispose();
  }

  private initGrad(): void {
    this.dropGrads();
    if (this._gradReq === 'null' || this._data === null) return;
    this._grad = this._data.map((d) => keep(zeros(d.shape, { dtype: d.dtype, ctx: d.context })));
    markVariables(this._data, this._grad, this._gradReq);
  }

  private dropGrads(): void {
    if (this._grad !== null) for (const g of this._grad) g.dispose();
    this._grad = null;
    if (this._data !== null) for (const d of this._data) d.setGradBuffer(null);
  }

  private dropData(): void {
    this.dropGrads();
    if (this._data !== null) for (const d of this._data) d.dispose();
    this._data = null;
    this._ctx = null;
  }

  // ---- access ----

  private notReady(what: string): never {
    if (this._deferred !== null) {
      throw new DeferredInitializationError(
        `Parameter '${this.name}' has not been initialized yet because initialization was deferred. Actual ` +
        'initialization happens during the first forward pass. Please pass one batch of data through the network ' +
        `before accessing Parameters (${what}).`);
    }
    throw new IsotensorError(
      `Parameter '${this.name}' has not been initialized (${what}). Call initialize() on the block (or the ` +
      'parameter) first; create the Trainer with block.collectParams() rather than block.params, which does not ' +
      "include the children's parameters.");
  }

  private index(ctx: Context | string | null | undefined, what: string): number {
    if (this._data === null) this.notReady(what);
    if (ctx === null || ctx === undefined) {
      if (this._ctx!.length === 1) return 0;
      ctx = currentContext();
    }
    const c = toContext(ctx);
    const i = this._ctx!.findIndex((x) => x.equals(c));
    if (i < 0) {
      throw new IsotensorError(`Parameter '${this.name}' was not initialized on context ${c.toString()}. It was only ` +
                               `initialized on [${this._ctx!.map((x) => x.toString()).join(', ')}].`);
    }
    return i;
  }

  /** The data on ctx (default: the only context, else the current one). */
  data(ctx?: Context | string | null): NDArray {
    return this._data![this.index(ctx, 'data')]!;
  }

  /** The data on every context. */
  listData(): NDArray[] {
    if (this._data === null) this.notReady('listData');
    return [...this._data];
  }

  /** The gradient buffer on ctx. */
  grad(ctx?: Context | string | null): NDArray {
    const i = this.index(ctx, 'grad');
    if (this._grad === null) {
      throw new IsotensorError(`Parameter '${this.name}': cannot get the gradient because gradReq is 'null'`);
    }
    return this._grad[i]!;
  }

  /** The gradient buffers on every context. */
  listGrad(): NDArray[] {
    if (this._data === null) this.notReady('listGrad');
    if (this._grad === null) {
      throw new IsotensorError(`Parameter '${this.name}': cannot get the gradient because gradReq is 'null'`);
    }
    return [...this._grad];
  }

  /** @internal Gradient buffers or null (no throw). */
  get grads(): NDArray[] | null {
    return this._grad;
  }

  /** The contexts the parameter lives on (also while deferred). */
  listCtx(): Context[] {
    if (this._data === null) {
      if (this._deferred !== null) return [...this._deferred.ctx];
      this.notReady('listCtx');
    }
    return [...this._ctx!];
  }

  /** Overwrites the data on every context (or becomes the deferred initial value). */
  setData(data: NDArray): void {
    if (!(data instanceof NDArray)) throw new IsotensorError(`Parameter '${this.name}'.setData: expected an NDArray`);
    this.shape = data.shape;
    if (this._data === null) {
      if (this._deferred === null) this.notReady('setData');
      const copy = keep(data.copyto(cpu()));
      this._deferred.data?.dispose();
      this._deferred = { ...this._deferred, data: copy };
      return;
    }
    pause(() => {
      for (const d of this._data!) {
        if (data.dtype === d.dtype) data.copyto(d);
        else {
          const t = data.astype(d.dtype);
          t.copyto(d);
          t.dispose();
        }
      }
    });
  }

  /** Sets the gradient buffers to 0. */
  zeroGrad(): void {
    if (this._grad === null) return;
    for (const g of this._grad) g.set(0);
  }

  /** Moves the data to other contexts (keeping its values). */
  resetCtx(ctx: Context | string | readonly (Context | string)[]): void {
    const list = ctxList(ctx);
    if (this._data !== null) {
      const data = this.reduce();
      this.dropData();
      this.initImpl(data, list);
      data.dispose();
    } else if (this._deferred !== null) {
      this._deferred = { ...this._deferred, ctx: list };
    } else {
      throw new IsotensorError(`Parameter '${this.name}': cannot reset the context of an uninitialized parameter`);
    }
  }

  /** Converts the data (and gradients) to another dtype. */
  cast(dtype: DType | string): void {
    const d = normalizeDType(dtype, `Parameter '${this.name}'.cast`);
    this.dtype = d;
    this._var = null;
    if (this._data === null) return;
    const arrays = pause(() => this._data!.map((a) => a.astype(d)));
    this.dropGrads();
    this.replaceData(arrays);
    this.initGrad();
    this.version++;
  }

  /** @internal The mean over contexts, on the CPU (what save writes). A new array. */
  reduce(): NDArray {
    const list = this.listData();
    return pause(() => {
      if (list.length === 1) return list[0]!.copyto(cpu());
      let acc = list[0]!.copyto(cpu());
      for (const a of list.slice(1)) {
        const c = a.copyto(cpu());
        acc.iadd(c);
        c.dispose();
      }
      acc.idiv(list.length);
      return acc;
    });
  }

  /** @internal Loads a saved value: initializes with it, or overwrites (shapes must agree). */
  loadInit(data: NDArray, ctx: Context | string | readonly (Context | string)[] | null | undefined,
           opts: { castDtype?: boolean; dtypeSource?: 'current' | 'saved' } = {}): void {
    if (this._shape !== null) {
      const ok = this._shape.length === data.ndim && this._shape.every((d, i) => d === 0 || d === data.shape[i]);
      if (!ok) {
        throw new IsotensorError(`Failed loading Parameter '${this.name}' from saved params: shape incompatible ` +
                                 `expected ${shapeStr(this._shape)} vs saved ${shapeStr(data.shape)}`);
      }
      this._shape = data.shape;
    } else {
      this._shape = data.shape;
    }
    if (opts.castDtype === true && opts.dtypeSource === 'saved') this.dtype = data.dtype;
    if (this._data === null) {
      const list = this._deferred !== null && (ctx === null || ctx === undefined)
        ? this._deferred.ctx : ctxList(ctx as ParameterInitOptions['ctx']);
      this._deferred?.data?.dispose();
      this.initImpl(data, list);
    } else {
      if (ctx !== null && ctx !== undefined) {
        const want = ctxList(ctx as ParameterInitOptions['ctx']).map((c) => c.toString()).sort().join(',');
        const have = this._ctx!.map((c) => c.toString()).sort().join(',');
        if (want !== have) {
          throw new IsotensorError(`Failed to load Parameter '${this.name}' on [${want}] because it was previously ` +
                                   `initialized on [${have}].`);
        }
      }
      this.setData(data);
    }
  }

  /** A symbol Variable named like this parameter, with its shape, dtype and multipliers (cached). */
  var(): Symbol {
    if (this._var === null || this._var.isDisposed) {
      // Gluon's multipliers are Python floats: MXNet writes them as '1.0'.
      const float = (v: number): string => (Number.isInteger(v) ? `${v}.0` : String(v));
      this._var = Variable(this.name, {
        shape: this._shape ?? undefined,
        dtype: this.dtype,
        __lr_mult__: float(this.lrMult),
        __wd_mult__: float(this.wdMult),
        stype: 'default',
        init: this.init === null ? undefined : typeof this.init === 'string' ? this.init
          : typeof (this.init as { dumps?: unknown }).dumps === 'function' ? this.init as unknown as { dumps(): string } : undefined,
      });
    }
    return this._var;
  }

  /** @internal The cached variable is stale once the shape becomes known. */
  resetVar(): void {
    this._var = null;
  }
}

/**
 * A parameter holding a constant (gradReq 'null'), MXNet's gluon.Constant.
 * @example new gluon.Constant('c', nd.array([1, 2]))
 */
export class Constant extends Parameter {
  readonly value: NDArray;

  constructor(name: string, value: NDArray | number[] | number) {
    const v = value instanceof NDArray ? value
      : array(typeof value === 'number' ? [value] : value);
    super(name, { gradReq: 'null', shape: v.shape, dtype: v.dtype, differentiable: false });
    this.value = keep(v);
    this.init = new ConstantInit(this.value);
  }
}

/** Copies the constant's value (its dumps() names Constant, as MXNet's Constant initializer). */
class ConstantInit extends Initializer {
  static readonly initName: string = 'constant';
  constructor(private readonly v: NDArray) {
    super({ value: 0 });
  }
  initWeight(_d: InitDesc, arr: NDArray): void {
    arr.set(this.v);
  }
}

// ---- ParameterDict ----

/** Options of ParameterDict.load / Block.loadParameters. */
export interface LoadOptions {
  ctx?: Context | string | readonly (Context | string)[] | null;
  /** Parameters absent from the file keep their state instead of raising. */
  allowMissing?: boolean;
  /** Names in the file that match no parameter are skipped instead of raising. */
  ignoreExtra?: boolean;
  /** Prepended to the file's names (MXNet's restore_prefix). */
  restorePrefix?: string;
  /** Cast the loaded arrays to the parameters' dtype (or take the file's with dtypeSource 'saved'). */
  castDtype?: boolean;
  dtypeSource?: 'current' | 'saved';
}

/** A regular expression as MXNet's `re.match` uses it: anchored at the start. */
export function matcher(select: string | RegExp): (name: string) => boolean {
  if (select instanceof RegExp) return (n) => select.test(n);
  const re = new RegExp(`^(?:${select})`);
  return (n) => re.test(n);
}

function shortList(names: readonly string[]): string {
  return names.length <= 12 ? names.join(', ') : `${names.slice(0, 12).join(', ')}, ... (${names.length} in all)`;
}

/**
 * Parameters by full name. `get('weight')` creates `prefix + 'weight'` or returns the existing one
 * (also from a shared dict, which is how blocks share weights).
 * @example
 * ```ts
 * const pd = new gluon.ParameterDict('block0_');
 * pd.get('weight', { shape: [10, 10] }).name // 'block0_weight'
 * ```
 */
export class ParameterDict {
  readonly prefix: string;
  private readonly _params = new Map<string, Parameter>();
  private readonly _shared: ParameterDict | null;

  constructor(prefix = '', shared: ParameterDict | null = null) {
    this.prefix = prefix;
    this._shared = shared;
  }

  /** @internal The dict new children share from. */
  get shared(): ParameterDict | null {
    return this._shared;
  }

  toString(): string {
    const body = [...this._params.values()].map((p) => `  ${p.toString()}`).join('\n');
    return `${this.prefix} (\n${body}\n)`;
  }

  get size(): number {
    return this._params.size;
  }

  keys(): IterableIterator<string> {
    return this._params.keys();
  }

  values(): IterableIterator<Parameter> {
    return this._params.values();
  }

  entries(): IterableIterator<[string, Parameter]> {
    return this._params.entries();
  }

  /** Same as entries() (MXNet's items()). */
  items(): IterableIterator<[string, Parameter]> {
    return this._params.entries();
  }

  [globalThis.Symbol.iterator](): IterableIterator<[string, Parameter]> {
    return this._params.entries();
  }

  /** Whether a parameter of this full name is in the dict. */
  has(fullName: string): boolean {
    return this._params.has(fullName);
  }

  /** The parameter of this full name (MXNet's `params[name]`). */
  item(fullName: string): Parameter {
    const p = this._params.get(fullName);
    if (p === undefined) {
      throw new IsotensorError(`ParameterDict: no parameter '${fullName}' (has ${shortList([...this._params.keys()])})`);
    }
    return p;
  }

  private lookup(name: string): Parameter | undefined {
    const p = this._params.get(name);
    if (p !== undefined) return p;
    const s = this._shared?.lookup(name);
    if (s !== undefined) this._params.set(name, s);
    return s;
  }

  /**
   * The parameter `prefix + name`, created with opts when new; when it exists, opts must agree
   * with it (unknown 0 dims and unset attributes are filled in).
   */
  get(name: string, opts: ParameterOptions = {}): Parameter {
    const full = this.prefix + name;
    let p = this.lookup(full);
    if (p === undefined) {
      p = new Parameter(full, opts);
      this._params.set(full, p);
      return p;
    }
    for (const [k, v] of Object.entries(opts)) {
      if (v === undefined) continue;
      if (k === 'shape') {
        const s = v === null ? null : typeof v === 'number' ? [v] : [...(v as number[])];
        if (s !== null) p.shape = s;
        continue;
      }
      const cur = (p as unknown as Record<string, unknown>)[k];
      if (cur === null || cur === undefined) {
        (p as unknown as Record<string, unknown>)[k] = v;
      } else if (k !== 'init' && cur !== v && !(k === 'dtype' && cur === v)) {
        throw new IsotensorError(`ParameterDict.get: cannot retrieve Parameter '${full}' because desired attribute ` +
                                 `does not match with stored for attribute '${k}': desired '${String(v)}' vs stored ` +
                                 `'${String(cur)}'`);
      }
    }
    return p;
  }

  /** A Constant `prefix + name` holding value (created once). */
  getConstant(name: string, value?: NDArray | number[] | number): Parameter {
    const full = this.prefix + name;
    let p = this.lookup(full);
    if (p === undefined) {
      if (value === undefined) {
        throw new IsotensorError(`ParameterDict.getConstant: no value given for the new constant '${full}'`);
      }
      p = new Constant(full, value);
      this._params.set(full, p);
    } else if (!(p instanceof Constant)) {
      throw new IsotensorError(`ParameterDict.getConstant: '${full}' exists and is not a Constant`);
    }
    return p;
  }

  /** Adds the parameters of other (a name present in both must be the same object). */
  update(other: ParameterDict | Iterable<[string, Parameter]>): this {
    for (const [k, v] of other) {
      const cur = this._params.get(k);
      if (cur !== undefined && cur !== v) {
        throw new IsotensorError(`ParameterDict.update: cannot update self with other because they have different ` +
                                 `Parameters with the same name '${k}'`);
      }
      this._params.set(k, v);
    }
    return this;
  }

  /** The parameters whose full name matches select (a regex anchored at the start, as MXNet's re.match). */
  select(select: string | RegExp): ParameterDict {
    const m = matcher(select);
    const r = new ParameterDict(this.prefix);
    for (const [k, v] of this._params) if (m(k)) r._params.set(k, v);
    return r;
  }

  /** Initializes every parameter (default initializer Uniform(0.07); a parameter's own init wins). */
  initialize(options: { init?: InitSpec | null; ctx?: Context | string | readonly (Context | string)[] | null;
                        verbose?: boolean; forceReinit?: boolean } | InitSpec = {}): void {
    const opts = initializeOptions(options, 'ParameterDict.initialize');
    const init = opts.init === null || opts.init === undefined ? undefined : toInitializer(opts.init);
    if (opts.verbose === true && init !== undefined && typeof (init as { setVerbosity?: unknown }).setVerbosity === 'function') {
      (init as unknown as { setVerbosity(v: boolean): void }).setVerbosity(true);
    }
    for (const p of this._params.values()) {
      p.initialize({ init: null, ctx: opts.ctx, defaultInit: init, forceReinit: opts.forceReinit });
    }
  }

  /** Zeroes every gradient buffer. */
  zeroGrad(): void {
    for (const p of this._params.values()) p.zeroGrad();
  }

  /** Moves every parameter to other contexts. */
  resetCtx(ctx: Context | string | readonly (Context | string)[]): void {
    for (const p of this._params.values()) p.resetCtx(ctx);
  }

  /** Sets an attribute (gradReq, lrMult, wdMult, dtype via cast ...) on every parameter. */
  setattr(name: 'gradReq' | 'lrMult' | 'wdMult' | 'dtype' | 'init' | string, value: unknown): void {
    for (const p of this._params.values()) {
      if (name === 'dtype') p.cast(value as DType);
      else (p as unknown as Record<string, unknown>)[name] = value;
    }
  }

  /** Names → mean over contexts, on the CPU (new arrays). */
  private arrays(stripPrefix: string): Record<string, NDArray> {
    const out: Record<string, NDArray> = {};
    for (const p of this._params.values()) {
      if (!p.name.startsWith(stripPrefix)) {
        throw new IsotensorError(`ParameterDict.save: prefix '${stripPrefix}' is to be stripped before saving, but ` +
                                 `Parameter '${p.name}' does not start with it`);
      }
      out[p.name.slice(stripPrefix.length)] = p.reduce();
    }
    return out;
  }

  /** Writes the parameters in MXNet's .params format under their full names (minus stripPrefix). */
  save(path: string | URL, stripPrefix = ''): void {
    const arrays = this.arrays(stripPrefix);
    try {
      saveSync(path, arrays);
    } finally {
      for (const a of Object.values(arrays)) a.dispose();
    }
  }

  /**
   * Loads a .params file by full name (`arg:`/`aux:` prefixes of Module checkpoints are stripped).
   * Missing or extra names raise unless allowMissing / ignoreExtra.
   */
  load(path: string | URL | Record<string, NDArray>, ctx?: LoadOptions['ctx'], options: LoadOptions | boolean = {},
       ...rest: unknown[]): void {
    // MXNet's positional load(filename, ctx, allow_missing, ignore_extra, restore_prefix, cast_dtype, dtype_source).
    const opts = positionalOptions<LoadOptions>('ParameterDict.load', [
      ['allowMissing', 'boolean'], ['ignoreExtra', 'boolean'], ['restorePrefix', 'string'], ['castDtype', 'boolean'],
      ['dtypeSource', 'string']], [options, ...rest]);
    const raw = typeof path === 'object' && !(path instanceof URL) ? path : loadSync<Record<string, NDArray>>(path);
    const where = typeof path === 'object' && !(path instanceof URL) ? 'the given arrays' : `file '${String(path)}'`;
    if (Array.isArray(raw)) {
      throw new IsotensorError(`ParameterDict.load: ${where} holds an unnamed list of arrays; parameters need names`);
    }
    const restore = opts.restorePrefix ?? '';
    const dict = new Map<string, NDArray>();
    for (const [k, v] of Object.entries(raw)) {
      const name = k.startsWith('arg:') || k.startsWith('aux:') ? k.slice(4) : k;
      dict.set(restore + name, v);
    }
    try {
      this.loadDict(dict, where, ctx ?? opts.ctx, opts);
    } finally {
      if (typeof path !== 'object' || path instanceof URL) for (const v of dict.values()) v.dispose();
    }
  }

  /** @internal Loads name → array into the parameters with MXNet's missing/extra checks. */
  loadDict(dict: ReadonlyMap<string, NDArray>, where: string, ctx: LoadOptions['ctx'], opts: LoadOptions): void {
    if (opts.allowMissing !== true) {
      const missing = [...this._params.keys()].filter((n) => !dict.has(n));
      if (missing.length > 0) {
        throw new IsotensorError(`Parameter '${missing[0]}' is missing in ${where}, which contains parameters: ` +
                                 `${shortList([...dict.keys()])}. Please make sure source and target networks have ` +
                                 `the same prefix. Set allowMissing: true to ignore missing parameters` +
                                 (missing.length > 1 ? ` (${missing.length} missing in all)` : '') + '.');
      }
    }
    if (opts.ignoreExtra !== true) {
      const extra = [...dict.keys()].filter((n) => !this._params.has(n));
      if (extra.length > 0) {
        throw new IsotensorError(`Parameter '${extra[0]}' loaded from ${where} is not present in ParameterDict, ` +
                                 `choices are: ${shortList([...this._params.keys()])}. Set ignoreExtra: true to ignore. ` +
                                 'Please make sure source and target networks have the same prefix.');
      }
    }
    for (const [name, arr] of dict) {
      const p = this._params.get(name);
      if (p !== undefined) p.loadInit(arr, ctx, opts);
    }
  }
}
