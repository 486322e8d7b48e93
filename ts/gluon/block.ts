// Gluon Block and HybridBlock (MXNet 1.9's gluon.block): name scopes, children, parameters, save/load, hybridize.
// SPDX-License-Identifier: Apache-2.0
//
// MXNet registers children and parameters in __setattr__; JavaScript has no such hook, so a block's
// own enumerable properties are read when needed: a property holding a Block is a child, one
// holding a Parameter is a registered parameter (keyed by the property name, as MXNet's
// _reg_params), in assignment order. registerChild adds children explicitly (Sequential).
//
// Every forward runs inside mx.scope: temporaries made by a layer are freed when it returns, only
// its outputs survive. Arrays a forward wants to keep across calls must be mx.keep()'d.
import { Context } from '../base/context.js';
import type { DType } from '../base/dtype.js';
import { IsotensorError, kindOf, optionsOf, positionalOptions } from '../base/error.js';
import { scope } from '../ndarray/lifetime.js';
import { NDArray } from '../ndarray/ndarray.js';
import { saveSync, loadSync } from '../ndarray/io.js';
import { Group, Symbol, Variable } from '../symbol/symbol.js';
import { NameManager, Prefix } from '../symbol/name.js';
import { CachedOp, type CachedOpOptions, type CachedGraph } from './cached_op.js';
import { DeferredInitializationError, initializeOptions, Parameter, type InitSpec } from './parameter.js';
import { ParameterDict, type LoadOptions } from './parameter.js';
import { ndF as ndNs, symF as symNs } from './ops.js';
import { formatSummary, type SummaryRow } from './summary.js';

/**
 * The operator namespace a hybridForward receives: `mx.nd` imperatively, `mx.sym` while tracing.
 * Call ops positionally, options last: `F.FullyConnected(x, p.weight, p.bias, { numHidden: 10 })`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type F = any;
/** What flows through blocks: NDArrays imperatively, Symbols while tracing. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Tensor = any;

/** Options of `new Block(opts)`. */
export interface BlockOptions {
  /** Name prefix of the block's parameters and children (default: `<class name><count>_`). */
  prefix?: string;
  /** Share these parameters (e.g. `other.params`) instead of creating new ones. */
  params?: ParameterDict | null;
}

/** Options of `Block.initialize`. */
export interface InitializeOptions {
  /** Default initializer for parameters without their own (default Uniform(0.07)). */
  init?: InitSpec | null;
  ctx?: Context | string | readonly (Context | string)[] | null;
  verbose?: boolean;
  forceReinit?: boolean;
}

type Hook = (block: Block, inputs: unknown[], outputs?: unknown) => void;

// ---- name scopes (MXNet's _BlockScope) ----

class BlockScope {
  readonly counter = new Map<string, number>();
  constructor(readonly block: Block) {}
}

let currentScope: BlockScope | null = null;

function createPrefix(prefix: string | undefined, params: ParameterDict | null | undefined,
                      hint: string): [string, ParameterDict] {
  const cur = currentScope;
  if (cur === null) {
    const p = prefix ?? `${NameManager.current.get(null, hint)}_`;
    return [p, params ? new ParameterDict(params.prefix, params) : new ParameterDict(p)];
  }
  let p = prefix;
  if (p === undefined) {
    const n = cur.counter.get(hint) ?? 0;
    cur.counter.set(hint, n + 1);
    p = `${hint}${n}_`;
  }
  const parent = cur.block.params;
  const pd = params ? new ParameterDict(params.prefix, params) : new ParameterDict(parent.prefix + p, parent.shared);
  return [cur.block.prefix + p, pd];
}

/** Shape of an output for messages and summaries: (2, 3), or a list of them. */
function shapeOf(x: unknown): string {
  if (x instanceof NDArray) return `(${x.shape.join(', ')}${x.ndim === 1 ? ',' : ''})`;
  if (Array.isArray(x)) return `[${x.map(shapeOf).join(', ')}]`;
  if (x === null || x === undefined) return 'None';
  if (x instanceof Symbol) return `Symbol ${x.name ?? ''}`;
  return typeof x;
}

const LAYER_TAGGED = '__gluonLayer';

/** An error that already names its layer (tagError leaves it as is). */
function layerError(message: string, cause?: unknown): IsotensorError {
  const err = new IsotensorError(message, cause === undefined ? undefined : { cause });
  (err as unknown as Record<string, unknown>)[LAYER_TAGGED] = true;
  return err;
}

/** Adds the failing layer and its input shapes to an error once (the innermost layer wins). */
function tagError(e: unknown, block: Block, inputs: unknown[]): unknown {
  if (!(e instanceof Error) || (e as unknown as Record<string, unknown>)[LAYER_TAGGED] === true) return e;
  const shapes = inputs.filter((x) => x !== undefined).map(shapeOf).join(', ');
  const err = new IsotensorError(`${block.name} (${block.className}): forward failed on input shape(s) ${shapes}: ` +
                                 e.message, { cause: e });
  (err as unknown as Record<string, unknown>)[LAYER_TAGGED] = true;
  return err;
}

function isAsync(fn: unknown): boolean {
  return typeof fn === 'function' && fn.constructor.name === 'AsyncFunction';
}

/**
 * hybridize's arguments: `(active?, opts?)`, or the options alone (`hybridize({ staticAlloc: true })`, as
 * MXNet's keyword call reads), which would otherwise be taken for a truthy `active` and lose the flags.
 * A non-boolean `active` and non-object options are refused by name.
 * @internal
 */
export function hybridizeArgs(active: boolean | CachedOpOptions | undefined, opts: CachedOpOptions | undefined,
                              fn: string): [boolean, CachedOpOptions] {
  if (typeof active === 'object' && active !== null && !Array.isArray(active)) {
    if (opts !== undefined && (typeof opts !== 'object' || opts === null || Object.keys(opts).length > 0)) {
      throw new IsotensorError(`${fn}: options given twice (the first argument is an options object, so there is no second)`);
    }
    return [true, { ...active }];
  }
  const on = active ?? true;
  if (typeof on !== 'boolean') throw new IsotensorError(`${fn}: argument 'active' must be a boolean or an options object, got ${kindOf(on)}`);
  return [on, { ...optionsOf(opts, fn) }];
}

/** A registered forward hook (MXNet's HookHandle): detach() removes it; it can be `using`-scoped. */
export class HookHandle {
  /** @internal */
  constructor(private readonly block: Block, readonly id: number) {}

  /** Removes the hook; a second call does nothing. */
  detach(): void {
    this.block.removeHook(this.id);
  }

  [globalThis.Symbol.dispose](): void {
    this.detach();
  }
}

/**
 * Base class of all layers and models (MXNet's gluon.Block). Subclasses create parameters with
 * `this.params.get(...)` and children inside `this.nameScope(() => ...)`, and override
 * `forward(...inputs)` (what MXNet's `net(x)` runs).
 * @example
 * ```ts
 * class Model extends gluon.Block {
 *   dense0: gluon.nn.Dense; dense1: gluon.nn.Dense;
 *   constructor() {
 *     super();
 *     [this.dense0, this.dense1] = this.nameScope(() => [new gluon.nn.Dense(20), new gluon.nn.Dense(10)]);
 *   }
 *   forward(x: NDArray) { return this.dense1.forward(this.dense0.forward(x).relu()); }
 * }
 * ```
 */
export class Block {
  private _prefix: string;
  private _params: ParameterDict;
  private readonly _emptyPrefix: boolean;
  private readonly _scope: BlockScope;
  private readonly _childList = new Map<string, Block>();
  private readonly _preHooks = new Map<number, Hook>();
  private readonly _postHooks = new Map<number, Hook>();
  private _hookId = 0;

  constructor(opts: BlockOptions = {}) {
    opts = optionsOf(opts, new.target);
    this._emptyPrefix = opts.prefix === '';
    // A subclass whose hint depends on its arguments (Activation's act type) passes it as aliasHint.
    const hint = (opts as { aliasHint?: string }).aliasHint ?? this.alias();
    [this._prefix, this._params] = createPrefix(opts.prefix, opts.params, hint);
    this._scope = new BlockScope(this);
    // Wrap the subclass's forward (already on the prototype chain here): scope, hooks, error context.
    const inner = this.forward;
    const wrapped = isAsync(inner)
      ? inner
      : (...args: unknown[]): unknown => {
        // Hooks watch real runs, not the symbolic tracing of hybridize/deferred initialization.
        const hooks = !(args[0] instanceof Symbol);
        if (hooks) for (const h of this._preHooks.values()) h(this, args);
        let out: unknown;
        try {
          out = scope(() => inner.apply(this, args));
        } catch (e) {
          throw tagError(e, this, args);
        }
        if (hooks) for (const h of this._postHooks.values()) h(this, args, out);
        return out;
      };
    Object.defineProperty(this, 'forward', { value: wrapped, enumerable: false, writable: true, configurable: true });
  }

  /** Lower-case class name: the hint of automatic prefixes (rollup's `$1` renames removed). */
  protected alias(): string {
    return this.className.toLowerCase();
  }

  /** The class name (MXNet's `block.__class__.__name__`). */
  get className(): string {
    const own = (this.constructor as { aliasName?: string }).aliasName;
    return own ?? this.constructor.name.replace(/\$\d+$/, '');
  }

  /** Prefix of this block's parameter and children names, e.g. `dense0_`. */
  get prefix(): string {
    return this._prefix;
  }

  /** The prefix without its trailing '_', e.g. `dense0`. */
  get name(): string {
    return this._prefix.endsWith('_') ? this._prefix.slice(0, -1) : this._prefix;
  }

  /** This block's own ParameterDict (children's parameters are in collectParams()). */
  get params(): ParameterDict {
    return this._params;
  }

  /** @internal Replaces prefix and params (SymbolBlock). */
  protected resetNames(prefix: string, params: ParameterDict): void {
    this._prefix = prefix;
    this._params = params;
  }

  /**
   * Runs fn with this block's name scope current: blocks created inside get this block's prefix
   * (`hybridsequential0_dense0_`), symbols created inside too.
   */
  nameScope<T>(fn: () => T): T {
    if (this._emptyPrefix) return fn();
    const old = currentScope;
    currentScope = this._scope;
    try {
      return new Prefix(this._prefix).run(fn);
    } finally {
      currentScope = old;
    }
  }

  /** Registers a child (Sequential.add does); name defaults to its index. */
  registerChild(block: Block, name?: string): void {
    if (!(block instanceof Block)) throw new IsotensorError(`${this.name}: registerChild expects a Block`);
    this._childList.set(name ?? String(this._childList.size), block);
  }

  /** Children by attribute name (or registration index), in registration order. */
  get children(): Map<string, Block> {
    const out = new Map(this._childList);
    const seen = new Set(out.values());
    for (const k of Object.keys(this)) {
      const v = (this as unknown as Record<string, unknown>)[k];
      if (v instanceof Block && v !== this && !seen.has(v)) {
        out.set(k, v);
        seen.add(v);
      }
    }
    return out;
  }

  /** Parameters assigned to this block's properties, by property name (MXNet's _reg_params). */
  get regParams(): Map<string, Parameter> {
    const out = new Map<string, Parameter>();
    for (const k of Object.keys(this)) {
      const v = (this as unknown as Record<string, unknown>)[k];
      if (v instanceof Parameter) out.set(k, v);
    }
    return out;
  }

  /**
   * This block's and its children's parameters; select keeps names matching a regular expression
   * (anchored at the start, as MXNet's re.match: '.*weight').
   */
  collectParams(select?: string | RegExp | null): ParameterDict {
    const ret = new ParameterDict(this._params.prefix);
    ret.update(select === undefined || select === null ? this._params : this._params.select(select));
    for (const c of this.children.values()) ret.update(c.collectParams(select));
    return ret;
  }

  /** Parameters by structural name (`0.weight`, `features.1.bias`), what saveParameters writes. */
  collectParamsWithPrefix(prefix = ''): Map<string, Parameter> {
    const p = prefix === '' ? '' : `${prefix}.`;
    const ret = new Map<string, Parameter>();
    for (const [k, v] of this.regParams) ret.set(p + k, v);
    for (const [name, c] of this.children) for (const [k, v] of c.collectParamsWithPrefix(p + name)) ret.set(k, v);
    return ret;
  }

  /** Initializes all parameters (collectParams().initialize); an initializer alone is `init`, as MXNet's positional one. */
  initialize(opts: InitializeOptions | InitSpec = {}): this {
    this.collectParams().initialize(initializeOptions(opts, 'Block.initialize'));
    return this;
  }

  /** Runs the block (MXNet's `block(x)`); subclasses override. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(..._inputs: Tensor[]): any {
    throw new IsotensorError(`${this.name} (${this.className}): forward is not implemented`);
  }

  /** Same as forward (reads like MXNet's `net(x)`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(...inputs: Tensor[]): any {
    return this.forward(...inputs);
  }

  /**
   * Calls fn(block, inputs) before every forward. Returns MXNet's HookHandle: `detach()` (or
   * `using`) removes the hook, as does `removeHook(handle)`.
   */
  registerForwardPreHook(fn: (block: Block, inputs: unknown[]) => void): HookHandle {
    const id = ++this._hookId;
    this._preHooks.set(id, fn);
    return new HookHandle(this, id);
  }

  /** Calls fn(block, inputs, outputs) after every forward; returns a HookHandle as registerForwardPreHook. */
  registerForwardHook(fn: (block: Block, inputs: unknown[], outputs: unknown) => void): HookHandle {
    const id = ++this._hookId;
    this._postHooks.set(id, fn as Hook);
    return new HookHandle(this, id);
  }

  /** Removes a hook by its handle (or the handle's id). */
  removeHook(hook: HookHandle | number): void {
    const id = hook instanceof HookHandle ? hook.id : hook;
    this._preHooks.delete(id);
    this._postHooks.delete(id);
  }

  /** Calls fn on every child (depth first) and on this block. */
  apply(fn: (b: Block) => void): this {
    for (const c of this.children.values()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Activates (or deactivates) hybridization of the HybridBlocks inside. */
  hybridize(active: boolean | CachedOpOptions = true, opts: CachedOpOptions = {}): void {
    const [on, o] = hybridizeArgs(active, opts, 'Block.hybridize');
    for (const c of this.children.values()) c.hybridize(on, o);
  }

  /** Converts all parameters to dtype. */
  cast(dtype: DType | string): void {
    for (const c of this.children.values()) c.cast(dtype);
    for (const p of this._params.values()) p.cast(dtype);
  }

  /** Zeroes every parameter's gradient. */
  zeroGrad(): void {
    this.collectParams().zeroGrad();
  }

  /** Moves every parameter to other contexts. */
  resetCtx(ctx: Context | string | readonly (Context | string)[]): void {
    this.collectParams().resetCtx(ctx);
  }

  /**
   * Saves the parameters in MXNet's .params format under structural names (`0.weight`), as
   * MXNet 1.9's save_parameters; loadParameters reads them back.
   */
  saveParameters(path: string | URL): void {
    const arrays: Record<string, NDArray> = {};
    const seen = new Set<Parameter>();
    try {
      for (const [k, p] of this.collectParamsWithPrefix()) {
        if (seen.has(p)) continue;  // shared parameters are written once
        seen.add(p);
        arrays[k] = p.reduce();
      }
      saveSync(path, arrays);
    } finally {
      for (const a of Object.values(arrays)) a.dispose();
    }
  }

  /**
   * Loads a .params file written by saveParameters (structural names), by collectParams().save or
   * MXNet's Module/export (full names like `dense0_weight`, `arg:`/`aux:` prefixes). Missing or
   * extra names raise unless allowMissing / ignoreExtra.
   */
  loadParameters(path: string | URL, options: LoadOptions | LoadOptions['ctx'] = {}, ...rest: unknown[]): void {
    // MXNet's positional load_parameters(filename, ctx, allow_missing, ignore_extra, cast_dtype, dtype_source):
    // a context (or a list of them) is ctx, which an options bag would otherwise take for options and drop.
    const opts = positionalOptions<LoadOptions>(`${this.name}.loadParameters`, [
      ['ctx', 'any'], ['allowMissing', 'boolean'], ['ignoreExtra', 'boolean'], ['castDtype', 'boolean'],
      ['dtypeSource', 'string']], [options, ...rest], (v) => v instanceof Context);
    const loaded = loadSync<Record<string, NDArray>>(path);
    const where = `file '${String(path)}'`;
    try {
      if (Array.isArray(loaded)) {
        throw new IsotensorError(`${this.name}.loadParameters: ${where} holds an unnamed list of arrays`);
      }
      const params = this.collectParamsWithPrefix();
      const names = Object.keys(loaded);
      if (names.length === 0 && params.size === 0) return;
      if (!names.some((n) => n.includes('.'))) {
        this.loadFullNames(loaded, where, opts);
        return;
      }
      if (opts.allowMissing !== true) {
        const byParam = new Map<Parameter, string[]>();
        for (const [k, p] of params) byParam.set(p, [...(byParam.get(p) ?? []), k]);
        for (const [k, p] of params) {
          if (!byParam.get(p)!.some((n) => n in loaded)) {
            throw new IsotensorError(`Parameter '${k}' is missing in ${where}, which contains parameters: ` +
                                     `${names.slice(0, 12).join(', ')}${names.length > 12 ? ', ...' : ''}. ` +
                                     'Set allowMissing: true to ignore missing parameters.');
          }
        }
      }
      for (const n of names) {
        const p = params.get(n);
        if (p === undefined) {
          if (opts.ignoreExtra === true) continue;
          throw new IsotensorError(`Parameter '${n}' loaded from ${where} is not present in the block, which contains ` +
                                   `parameters ${[...params.keys()].slice(0, 12).join(', ')}. Set ignoreExtra: true ` +
                                   'to ignore.');
        }
        p.loadInit(loaded[n]!, opts.ctx, opts);
      }
    } finally {
      for (const a of Object.values(loaded)) a.dispose();
    }
  }

  /** Full-name files: match names as saved, or with this block's prefix restored (MXNet's legacy path). */
  private loadFullNames(loaded: Record<string, NDArray>, where: string, opts: LoadOptions): void {
    const all = this.collectParams();
    const strip = (k: string): string => (k.startsWith('arg:') || k.startsWith('aux:') ? k.slice(4) : k);
    const asIs = new Map<string, NDArray>();
    const restored = new Map<string, NDArray>();
    for (const [k, v] of Object.entries(loaded)) {
      asIs.set(strip(k), v);
      restored.set(this._prefix + strip(k), v);
    }
    const hits = (m: Map<string, NDArray>): number => [...all.keys()].filter((n) => m.has(n)).length;
    const dict = hits(restored) > hits(asIs) ? restored : asIs;
    all.loadDict(dict, where, opts.ctx, opts);
  }

  /**
   * Prints (and returns) a table of every layer's output shape and parameter count for these
   * inputs, like MXNet's Block.summary. The block must be initialized and not hybridized.
   */
  summary(...inputs: NDArray[]): string {
    this.apply((b) => {
      if ((b as { isHybridized?: boolean }).isHybridized === true) {
        throw new IsotensorError(`${this.name}.summary(): ${b.name} is hybridized, so its layers do not run one by one; ` +
                                 'call summary() before hybridize() (or after hybridize(false))');
      }
    });
    const rows: SummaryRow[] = [{ layer: 'Input', shape: inputs.length === 1 ? shapeOf(inputs[0]) : inputs.map(shapeOf).join(', '),
                                  params: 0, trainable: 0, shared: 0 }];
    const seen = new Set<Parameter>();
    const hooks: HookHandle[] = [];
    this.apply((b) => {
      hooks.push(b.registerForwardHook((blk, _in, out) => {
        let params = 0;
        let trainable = 0;
        let shared = 0;
        for (const p of blk.params.values()) {
          const n = p.data().size;
          params += n;
          if (p.gradReq !== 'null') trainable += n;
          if (seen.has(p)) shared += n;
          else seen.add(p);
        }
        const s = Array.isArray(out) ? out.map(shapeOf).join(', ') : shapeOf(out);
        rows.push({ layer: `${blk.className}-${rows.length}`, shape: s, params, trainable, shared });
      }));
    });
    try {
      this.forward(...inputs);
    } finally {
      for (const h of hooks) h.detach();
    }
    const text = formatSummary(rows);
    console.log(text);
    return text;
  }

  /** MXNet's repr: the class name and the children, indented. */
  toString(): string {
    const kids = [...this.children.entries()].map(([k, b]) => `  (${k}): ${b.toString().split('\n').join('\n  ')}`);
    return kids.length === 0 ? `${this.className}()` : `${this.className}(\n${kids.join('\n')}\n)`;
  }
}

/**
 * A Block that runs either imperatively (F = mx.nd) or as a traced graph (F = mx.sym), which
 * hybridize() turns into one cached executor. Subclasses implement
 * `hybridForward(F, x, ...moreInputs, p)`, `p` holding this block's parameters by property name.
 * `p` comes last of the declared parameters: inputs not given arrive as undefined (declare
 * optional inputs without default values, so the function's length counts them).
 * @example
 * ```ts
 * class Linear extends gluon.HybridBlock {
 *   weight: gluon.Parameter;
 *   constructor(units: number, inUnits: number) {
 *     super();
 *     this.weight = this.params.get('weight', { shape: [units, inUnits] });
 *   }
 *   hybridForward(F, x, p) { return F.FullyConnected(x, p.weight, { numHidden: 2, noBias: true }); }
 * }
 * ```
 */
export class HybridBlock extends Block {
  private _active = false;
  private _opts: CachedOpOptions = {};
  private _graphs = new Map<string, CachedGraph>();
  private _cachedOp: CachedOp | null = null;

  /** Implemented by subclasses. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  hybridForward(_F: F, ..._args: any[]): any {
    throw new IsotensorError(`${this.name} (${this.className}): hybridForward is not implemented`);
  }

  /** Whether hybridize() is on. */
  get isHybridized(): boolean {
    return this._active;
  }

  override hybridize(active: boolean | CachedOpOptions = true, opts: CachedOpOptions = {}): void {
    const [on, o] = hybridizeArgs(active, opts, 'HybridBlock.hybridize');
    this._active = on;
    this._opts = { ...o };
    this.clearCache();
    super.hybridize(on, o);
  }

  /** @internal Drops traced graphs and executors (after structure changes). */
  clearCache(): void {
    this._cachedOp?.dispose();
    this._cachedOp = null;
    this._graphs.clear();
  }

  override cast(dtype: DType | string): void {
    this.clearCache();
    super.cast(dtype);
  }

  /** Runs hybridForward with F = mx.nd (or the cached graph once hybridized), or traces it with Symbols. */
  override forward(x: Tensor, ...args: Tensor[]): Tensor {
    if (x instanceof Symbol) return this.symbolForward([x, ...args]);
    const inputs = [x, ...args];
    if (!(x instanceof NDArray)) {
      throw new IsotensorError(`${this.name} (${this.className}): expected NDArray or Symbol inputs, got ` +
                               kindOf(x));
    }
    if (this._active) return this.cachedOp().call(inputs);
    const ctx = x.context;
    let p: Record<string, NDArray>;
    try {
      p = this.paramData(ctx);
    } catch (e) {
      if (!(e instanceof DeferredInitializationError)) throw e;
      this.deferredInit(inputs);
      p = this.paramData(ctx);
    }
    return this.hybridForward(ndNs, ...this.padded(inputs), p);
  }

  private padded(inputs: unknown[]): unknown[] {
    const declared = this.hybridForward.length - 2;
    const out = [...inputs];
    while (out.length < declared) out.push(undefined);
    return out;
  }

  private paramData(ctx: Context): Record<string, NDArray> {
    const p: Record<string, NDArray> = {};
    for (const [k, v] of this.regParams) p[k] = v.data(ctx);
    return p;
  }

  private symbolForward(inputs: unknown[]): Tensor {
    const p: Record<string, Symbol> = {};
    for (const [k, v] of this.regParams) p[k] = v.var();
    return this.nameScope(() => this.hybridForward(symNs, ...this.padded(inputs), p));
  }

  /**
   * The graph of hybridForward for inputs like these (MXNet's _get_graph): inputs are variables
   * `data` (one input) or `data0`, `data1`, ...; outputs are grouped. Cached per input pattern.
   */
  getGraph(inputs: readonly unknown[]): CachedGraph {
    const key = inputs.map((a) => (a === undefined || a === null ? '_' : 'x')).join('');
    let g = this._graphs.get(key);
    if (g === undefined) {
      const real = inputs.filter((a) => a !== undefined && a !== null).length;
      if (real === 0) throw new IsotensorError(`${this.name}: at least one input must be given`);
      let cnt = 0;
      const vars = inputs.map((a) => {
        if (a === undefined || a === null) return undefined;
        return Variable(real > 1 ? `data${cnt++}` : 'data');
      });
      const p: Record<string, Symbol> = {};
      for (const [k, v] of this.regParams) p[k] = v.var();
      const out = this.nameScope(() => this.hybridForward(symNs, ...this.padded(vars), p)) as Symbol | Symbol[];
      const outs = Array.isArray(out) ? out : [out];
      if (outs.length === 0 || outs.some((o) => !(o instanceof Symbol))) {
        throw new IsotensorError(`${this.name} (${this.className}): hybridForward must return Symbols when F is mx.sym`);
      }
      g = {
        inputNames: vars.filter((v): v is Symbol => v !== undefined).map((v) => v.name!),
        inputMask: vars.map((v) => v !== undefined),
        symbol: outs.length === 1 ? outs[0]! : Group(outs),
        multiOutput: Array.isArray(out),
      };
      this._graphs.set(key, g);
    }
    return g;
  }

  /** Infers unknown parameter shapes from the inputs through the graph, then finishes their initialization. */
  deferredInit(inputs: readonly unknown[]): void {
    const g = this.getGraph(inputs);
    const given = inputs.filter((a): a is NDArray => a instanceof NDArray);
    inferParamShapes(g, given, this.collectParams(), this);
    for (const p of this.collectParams().values()) p.finishDeferredInit();
  }

  private cachedOp(): CachedOp {
    if (this._cachedOp === null) {
      this._cachedOp = new CachedOp(this.name, (inputs) => this.getGraph(inputs), () => this.collectParams(),
                                    (inputs) => this.deferredInit(inputs), this._opts);
    }
    return this._cachedOp;
  }

  /**
   * Writes `prefix-symbol.json` and `prefix-%04d.params` (`arg:`/`aux:` names), loadable by
   * SymbolBlock.imports and by MXNet. Uses the graph of the last forward (else one input `data`).
   * @returns the two paths
   */
  export(prefix: string, epoch = 0): [string, string] {
    const { symbol, params } = this.exportedGraph();
    const symFile = `${prefix}-symbol.json`;
    try {
      symbol.saveSync(symFile);
      const paramFile = `${prefix}-${String(epoch).padStart(4, '0')}.params`;
      saveSync(paramFile, params);
      return [symFile, paramFile];
    } finally {
      for (const a of Object.values(params)) a.dispose();
    }
  }

  /**
   * What export() writes, in memory: the graph of the last forward (else one input `data`) and copies
   * of the parameters it reads under `arg:`/`aux:` names (the caller disposes them). @internal
   */
  exportedGraph(): { symbol: Symbol; inputNames: readonly string[]; params: Record<string, NDArray> } {
    const g = this._graphs.values().next().value ?? this.getGraph([1]);
    const args = new Set(g.symbol.listArguments());
    const aux = new Set(g.symbol.listAuxiliaryStates());
    const params: Record<string, NDArray> = {};
    for (const [name, p] of this.collectParams()) {
      if (args.has(name)) params[`arg:${name}`] = p.reduce();
      else if (aux.has(name)) params[`aux:${name}`] = p.reduce();
    }
    return { symbol: g.symbol, inputNames: g.inputNames, params };
  }

  /** Infers output shapes for input shapes (no initialization), MXNet's infer_shape. */
  inferShape(...inputs: NDArray[]): void {
    inferParamShapes(this.getGraph(inputs), inputs, this.collectParams(), this);
  }
}

/** Sets the parameters' shapes from graph inference given the inputs. @internal */
export function inferParamShapes(g: CachedGraph, inputs: readonly NDArray[], params: ParameterDict, owner: Block): void {
  const shapes: Record<string, number[]> = {};
  g.inputNames.forEach((n, i) => { shapes[n] = inputs[i]!.shape; });
  let r;
  try {
    r = g.symbol.inferShapePartial(shapes);
  } catch (e) {
    throw layerError(`${owner.name} (${owner.className}): deferred initialization failed because shape cannot ` +
                     `be inferred from input shape(s) ${inputs.map(shapeOf).join(', ')}: ${(e as Error).message}`, e);
  }
  const byName = new Map<string, number[]>();
  g.symbol.listArguments().forEach((n, i) => byName.set(n, r.argShapes[i] ?? []));
  g.symbol.listAuxiliaryStates().forEach((n, i) => byName.set(n, r.auxShapes[i] ?? []));
  const unknown: string[] = [];
  for (const [name, p] of params) {
    const s = byName.get(name);
    if (s !== undefined && s.length > 0) p.shape = s;
    if (s !== undefined && !p.shapeKnown && !p.isInitialized) unknown.push(`'${name}' ${JSON.stringify(p.shape)}`);
  }
  if (unknown.length > 0) {
    // The complete inference says why (e.g. an input smaller than a kernel).
    let why = '';
    try {
      g.symbol.inferShape(shapes);
    } catch (e) {
      why = `: ${(e as Error).message}`;
    }
    throw layerError(`${owner.name} (${owner.className}): deferred initialization failed because shape cannot be ` +
                     `inferred from input shape(s) ${inputs.map(shapeOf).join(', ')} for parameter(s) ` +
                     `${unknown.join(', ')}${why}`);
  }
}

