// Executor: a Symbol bound to arrays (MXNet's bind/simple_bind), with forward, backward and reshape.
// SPDX-License-Identifier: Apache-2.0
//
// Bind happens in the core (core-cpp/graph/executor.cc): it builds the gradient graph, infers
// shapes and dtypes, plans memory and allocates every internal array once; forward()/backward()
// only push nodes to the engine. The arrays given to bind are used in place (not copied).
import type { Backend, ExecutorHandle, Handle } from '../backend/backend.js';
import { checkContext } from '../backend/runtime.js';
import { toContext, type Context } from '../base/context.js';
import { isTypedArray, normalizeDType, type DType } from '../base/dtype.js';
import { booleanOption, IsotensorError, kindOf, optionsOf } from '../base/error.js';
import { array, zeros } from '../ndarray/creation.js';
import type { NestedArray } from '../ndarray/host.js';
import { gradReqCode, NDArray, type GradReq } from '../ndarray/ndarray.js';
import { markKept } from '../ndarray/tracking.js';
import { backendOf, inferShape, inferType, symbolIO, type ShapeInput, type SymbolIO, type SymbolRef } from './infer.js';
import { registerSymbolPasses, type Symbol as SymbolClass } from './symbol.js';

/** Arrays by name, or positionally in the order of the matching list (arguments, aux states). */
export type ArrayInput = Readonly<Record<string, NDArray | null | undefined>> | readonly (NDArray | null | undefined)[];

/** One grad_req for all arguments, or one per argument (array or {name: req}; missing names: 'null'). */
export type GradReqInput = GradReq | readonly GradReq[] | Readonly<Record<string, GradReq>>;

/** Options of `bind`. */
export interface BindOptions {
  /** Gradient arrays, per argument (null: none). Without them no gradient is computed. */
  argsGrad?: ArrayInput | null;
  /** 'write' (default), 'add' (accumulate) or 'null', for all or per argument. */
  gradReq?: GradReqInput;
  /** Arrays of the auxiliary states (e.g. BatchNorm's moving mean/var); required when there are some. */
  auxStates?: ArrayInput | null;
  /** Context of each `ctx_group` attribute value (model parallelism). */
  group2ctx?: Readonly<Record<string, Context | string>> | null;
  /** false turns memory planning off (buffer reuse and in-place), e.g. to compare results. */
  memoryPlan?: boolean;
}

/** Options of `simpleBind`. */
export interface SimpleBindOptions {
  gradReq?: GradReqInput;
  /** dtypes of arguments (others are inferred, else float32). */
  typeDict?: Readonly<Record<string, DType | string>>;
  group2ctx?: Readonly<Record<string, Context | string>> | null;
  memoryPlan?: boolean;
}

/** Options of `Executor.forward`: isTrain plus new values for arguments by name. */
export interface ForwardOptions {
  isTrain?: boolean;
  [argument: string]: boolean | NDArray | NestedArray | undefined;
}

/** Memory planning of an executor (bytes of the arrays bind allocated for internal values). */
export interface PlanStats {
  /** Bytes actually allocated for the graph's internal values (outputs included). */
  plannedBytes: number;
  /** Bytes one buffer per value would take. */
  naiveBytes: number;
  /** Values computed in place of an input. */
  inplace: number;
  /** Values placed in a buffer freed by an earlier one. */
  reused: number;
  /** Distinct buffers. */
  buffers: number;
}

// The core executor goes with the JS object when nobody disposed it.
const registry: FinalizationRegistry<{ h: ExecutorHandle; b: Backend }> | null =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(({ h, b }) => {
      try {
        b.executorFree(h);
      } catch {
        // no caller to report to
      }
    })
    : null;

function isArrayInput(v: unknown): v is readonly unknown[] {
  return Array.isArray(v);
}

/** Lines up an ArrayInput with `names`; undefined where missing. */
function alignArrays(input: ArrayInput | null | undefined, names: readonly string[], fn: string, what: string,
                     b: Backend): (NDArray | null)[] {
  const out: (NDArray | null)[] = names.map(() => null);
  if (input === null || input === undefined) return out;
  if (isArrayInput(input)) {
    if (input.length !== names.length) {
      throw new IsotensorError(`${fn}: argument '${what}': expected ${names.length} array(s) (${names.join(', ')}), ` +
                               `got ${input.length}`);
    }
    input.forEach((a, i) => { out[i] = a ?? null; });
  } else {
    for (const [k, a] of Object.entries(input)) {
      const i = names.indexOf(k);
      if (i < 0) {
        throw new IsotensorError(`${fn}: argument '${what}': '${k}' is not one of ${names.length === 0 ? 'the (no) names'
          : names.join(', ')}`);
      }
      out[i] = a ?? null;
    }
  }
  out.forEach((a, i) => {
    if (a === null) return;
    if (!(a instanceof NDArray)) {
      throw new IsotensorError(`${fn}: argument '${names[i]}': expected an NDArray, got ${typeof a}`);
    }
    if (a.backend !== b) {
      throw new IsotensorError(`${fn}: argument '${names[i]}': the array lives on the ${a.backend.name} backend, ` +
                               `the symbol on ${b.name}`);
    }
  });
  return out;
}

function alignReqs(req: GradReqInput | undefined, names: readonly string[], fn: string): GradReq[] {
  if (req === undefined) return names.map(() => 'write');
  if (typeof req === 'string') {
    gradReqCode(req, fn);
    return names.map(() => req);
  }
  if (isArrayInput(req)) {
    if (req.length !== names.length) {
      throw new IsotensorError(`${fn}: argument 'gradReq': expected ${names.length} value(s) (${names.join(', ')}), ` +
                               `got ${req.length}`);
    }
    return req.map((r) => { gradReqCode(r, fn); return r; });
  }
  const dict = req as Readonly<Record<string, GradReq>>;
  for (const [k, r] of Object.entries(dict)) {
    if (!names.includes(k)) throw new IsotensorError(`${fn}: argument 'gradReq': '${k}' is not an argument (${names.join(', ')})`);
    gradReqCode(r, fn);
  }
  return names.map((n) => dict[n] ?? 'null');
}

function groupLists(group2ctx: Readonly<Record<string, Context | string>> | null | undefined, b: Backend):
  { names: string[]; types: number[]; ids: number[] } {
  const names: string[] = [];
  const types: number[] = [];
  const ids: number[] = [];
  for (const [g, c] of Object.entries(group2ctx ?? {})) {
    const ctx = toContext(c);
    checkContext(ctx, b);
    names.push(g);
    types.push(ctx.deviceTypeId);
    ids.push(ctx.deviceId);
  }
  return { names, types, ids };
}

/** Exempts an executor-owned array from mx.scope (the executor disposes it). */
function kept(a: NDArray): NDArray {
  markKept(a);
  return a;
}

function shapeEq(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function sizeOf(s: readonly number[]): number {
  return s.reduce((p, d) => p * d, 1);
}

/** The state bind needs, resolved from the public arguments. @internal */
interface BoundArrays {
  args: NDArray[];
  grads: (NDArray | null)[];
  reqs: GradReq[];
  aux: NDArray[];
}

/**
 * A Symbol bound to arrays: `forward()` computes `outputs`, `backward()` writes the argument
 * gradients. Create it with `sym.bind(...)` / `sym.simpleBind(...)`; `dispose()` frees it.
 * @example
 * ```ts
 * const ex = c.bind(mx.cpu(), { A: a, B: b });
 * ex.forward();
 * ex.outputs[0].toArraySync();
 * ```
 */
export class Executor {
  /** The bound argument arrays, in `listArguments()` order. */
  readonly argArrays: NDArray[];
  /** Gradient arrays per argument (null where there is none). */
  readonly gradArrays: (NDArray | null)[];
  /** Auxiliary state arrays, in `listAuxiliaryStates()` order. */
  readonly auxArrays: NDArray[];
  /** The output arrays (the same arrays on every forward). */
  readonly outputs: NDArray[];
  /** The symbol this executor runs. */
  readonly symbol: SymbolRef;
  /** The context it runs on. */
  readonly ctx: Context;
  /** grad_req per argument. */
  readonly gradReqs: GradReq[];

  private _h: ExecutorHandle;
  private readonly _b: Backend;
  private readonly _io: SymbolIO;
  private readonly _owned: NDArray[];
  private readonly _group2ctx: Readonly<Record<string, Context | string>> | null;
  private readonly _memoryPlan: boolean;
  private readonly _token = {};

  /** @internal Use bind/simpleBind. */
  constructor(sym: SymbolRef, ctx: Context, bound: BoundArrays, io: SymbolIO, owned: NDArray[],
              group2ctx: Readonly<Record<string, Context | string>> | null, memoryPlan: boolean) {
    const b = backendOf(sym);
    checkContext(ctx, b);
    const groups = groupLists(group2ctx, b);
    const h = b.executorBind(sym.handle, ctx.deviceTypeId, ctx.deviceId, bound.args.map((a) => (a ? a.handle : 0)),
                             bound.grads.map((g, i) => (g !== null && bound.reqs[i] !== 'null' ? g.handle : 0)),
                             bound.reqs.map((r) => gradReqCode(r, 'bind')), bound.aux.map((a) => (a ? a.handle : 0)),
                             groups.names, groups.types, groups.ids, memoryPlan ? 0 : 1);
    this._h = h;
    this._b = b;
    this._io = io;
    this._owned = owned;
    this._group2ctx = group2ctx;
    this._memoryPlan = memoryPlan;
    this.symbol = sym;
    this.ctx = ctx;
    this.argArrays = bound.args;
    this.gradArrays = bound.grads.map((g, i) => (bound.reqs[i] === 'null' ? null : g));
    this.gradReqs = bound.reqs;
    this.auxArrays = bound.aux;
    this.outputs = b.executorOutputs(h).map((oh) => kept(new NDArray(oh, b)));
    registry?.register(this, { h, b }, this._token);
  }

  private get handle(): ExecutorHandle {
    if (this._h === 0) throw new IsotensorError('Executor has been disposed');
    return this._h;
  }

  /** Whether `dispose()` was called. */
  get isDisposed(): boolean {
    return this._h === 0;
  }

  /** Argument arrays by name. */
  get argDict(): Record<string, NDArray> {
    const d: Record<string, NDArray> = {};
    this._io.arguments.forEach((n, i) => { d[n] = this.argArrays[i]!; });
    return d;
  }

  /** Gradient arrays by argument name (arguments with a gradient only). */
  get gradDict(): Record<string, NDArray> {
    const d: Record<string, NDArray> = {};
    this._io.arguments.forEach((n, i) => {
      const g = this.gradArrays[i];
      if (g) d[n] = g;
    });
    return d;
  }

  /** Auxiliary state arrays by name. */
  get auxDict(): Record<string, NDArray> {
    const d: Record<string, NDArray> = {};
    this._io.auxStates.forEach((n, i) => { d[n] = this.auxArrays[i]!; });
    return d;
  }

  /** Output arrays by output name ("fc1_output"). */
  get outputDict(): Record<string, NDArray> {
    const d: Record<string, NDArray> = {};
    this._io.outputs.forEach((n, i) => { d[n] = this.outputs[i]!; });
    return d;
  }

  /** Memory planning figures of this executor. */
  get planStats(): PlanStats {
    const [plannedBytes = 0, naiveBytes = 0, inplace = 0, reused = 0, buffers = 0] = this._b.executorPlanStats(this.handle);
    return { plannedBytes, naiveBytes, inplace, reused, buffers };
  }

  /** @internal The memory plan per graph entry (JSON), for tests and debugging. */
  planJSON(): { entries: Array<{ node: string; op: string; output: number; backward: boolean; shape: number[];
    dtype: string; storage: number; inplace_of: number }> } & Record<string, unknown> {
    return JSON.parse(this._b.executorPlanJSON(this.handle));
  }

  /**
   * Computes the outputs (pushed to the engine; returns at once). Named options replace argument
   * values first (copied into the bound arrays); `isTrain` selects training behaviour (Dropout,
   * BatchNorm batch statistics and moving-average updates).
   * A boolean is `isTrain`, as MXNet's positional `forward(is_train)`.
   * @example ex.forward({ isTrain: true, data: batch })
   */
  forward(opts: ForwardOptions | boolean = {}): NDArray[] {
    const h = this.handle;
    let isTrain = false;
    const named = typeof opts === 'boolean' ? { isTrain: opts } : optionsOf(opts, 'Executor.forward');
    for (const [k, v] of Object.entries(named)) {
      if (v === undefined) continue;
      if (k === 'isTrain') {
        isTrain = booleanOption(v, 'Executor.forward', 'isTrain')!;
        continue;
      }
      const i = this._io.arguments.indexOf(k);
      if (i < 0) {
        throw new IsotensorError(`forward: argument '${k}': not an argument of the symbol ` +
                                 `(${this._io.arguments.join(', ')})`);
      }
      const dst = this.argArrays[i]!;
      if (v instanceof NDArray) {
        if (!shapeEq(v.shape, dst.shape)) {
          throw new IsotensorError(`forward: argument '${k}': shape (${v.shape.join(',')}) differs from the bound ` +
                                   `(${dst.shape.join(',')}); use reshape() for new shapes`);
        }
        v.copyto(dst);
      } else {
        // A flat TypedArray takes the bound shape; nested arrays carry their own.
        const tmp = array(v as NestedArray, { dtype: dst.dtype, ctx: dst.context,
                                             shape: isTypedArray(v) ? dst.shape : undefined });
        try {
          if (!shapeEq(tmp.shape, dst.shape)) {
            throw new IsotensorError(`forward: argument '${k}': shape (${tmp.shape.join(',')}) differs from the bound ` +
                                     `(${dst.shape.join(',')})`);
          }
          tmp.copyto(dst);
        } finally {
          tmp.dispose();
        }
      }
    }
    this._b.executorForward(h, isTrain);
    return this.outputs;
  }

  /**
   * Back-propagates into the gradient arrays. outGrads: one array per output (null, or omitted:
   * ones — loss outputs ignore it).
   * @example ex.backward(); ex.gradDict.fc1_weight
   */
  backward(outGrads: NDArray | readonly (NDArray | null)[] | null = null, opts: { isTrain?: boolean } = {}): void {
    const h = this.handle;
    let hs: Handle[] | null = null;
    if (outGrads !== null) {
      const list = outGrads instanceof NDArray ? [outGrads] : outGrads;
      if (!Array.isArray(list) || list.some((g) => g !== null && g !== undefined && !(g instanceof NDArray))) {
        throw new IsotensorError(`Executor.backward: argument 'outGrads' must be an NDArray, an array of NDArrays (or nulls) or null, got ${kindOf(outGrads)}`);
      }
      hs = list.map((g) => (g === null || g === undefined ? 0 : g.handle));
    }
    const isTrain = booleanOption(optionsOf(opts, 'Executor.backward').isTrain ?? true, 'Executor.backward', 'isTrain')!;
    this._b.executorBackward(h, hs, isTrain);
  }

  /**
   * Copies parameter values into the bound arrays by name; names that are not arguments (aux
   * states) throw unless allowExtraParams.
   * @example ex.copyParamsFrom({ fc1_weight: w, fc1_bias: b })
   */
  copyParamsFrom(argParams: Readonly<Record<string, NDArray>>, auxParams: Readonly<Record<string, NDArray>> | null = null,
                 allowExtraParams = false): void {
    const copy = (params: Readonly<Record<string, NDArray>>, names: readonly string[], arrays: readonly NDArray[],
                  what: string): void => {
      for (const [k, v] of Object.entries(params)) {
        const i = names.indexOf(k);
        if (i < 0) {
          if (allowExtraParams) continue;
          throw new IsotensorError(`copyParamsFrom: argument '${k}': not ${what} of the executor (${names.join(', ')}); ` +
                                   'pass allowExtraParams to skip it');
        }
        const dst = arrays[i]!;
        if (!shapeEq(v.shape, dst.shape)) {
          throw new IsotensorError(`copyParamsFrom: argument '${k}': shape (${v.shape.join(',')}) differs from ` +
                                   `(${dst.shape.join(',')})`);
        }
        (v.dtype === dst.dtype ? v : v.astype(dst.dtype)).copyto(dst);
      }
    };
    copy(argParams, this._io.arguments, this.argArrays, 'an argument');
    if (auxParams !== null) copy(auxParams, this._io.auxStates, this.auxArrays, 'an auxiliary state');
  }

  /**
   * A new executor for new input shapes, sharing the arrays whose shape stays (parameters).
   * Arrays of other shapes are views of the old ones when they fit, else new (allowUpSizing).
   * An argument not named in `shapes` may only change shape with partialShaping.
   * @example const ex2 = ex.reshape({ data: [8, 100] })
   */
  reshape(shapes: Readonly<Record<string, number | readonly number[]>>,
          opts: { partialShaping?: boolean; allowUpSizing?: boolean } = {}): Executor {
    const fn = 'reshape';
    const inferred = inferShape(this.symbol, shapes as ShapeInput, false);
    const owned: NDArray[] = [];
    const remap = (names: readonly string[], arrays: readonly (NDArray | null)[], newShapes: number[][]):
      (NDArray | null)[] =>
      names.map((n, i) => {
        const old = arrays[i] ?? null;
        if (old === null) return null;
        const ns = newShapes[i]!;
        if (shapeEq(ns, old.shape)) return old;
        if (opts.partialShaping !== true && !(n in shapes)) {
          throw new IsotensorError(`${fn}: argument '${n}': its shape changed from (${old.shape.join(',')}) to ` +
                                   `(${ns.join(',')}) although it was not given; this executor would not share it ` +
                                   `with the old one. Pass partialShaping if that is intended`);
        }
        const need = sizeOf(ns);
        if (need > old.size) {
          if (opts.allowUpSizing !== true) {
            throw new IsotensorError(`${fn}: argument '${n}': the new shape (${ns.join(',')}) is larger than the bound ` +
                                     `(${old.shape.join(',')}); pass allowUpSizing to allocate new arrays`);
          }
          const a = kept(zeros(ns, { ctx: old.context, dtype: old.dtype }));
          owned.push(a);
          return a;
        }
        // A view of the old storage (MXNet shares it too).
        const flat = old.reshape([old.size]);
        const part = need === old.size ? flat : flat.slice(0, need);
        const view = kept(part.reshape(ns));
        if (part !== flat) part.dispose();
        if (view !== flat) flat.dispose();
        owned.push(view);
        return view;
      });
    const args = remap(this._io.arguments, this.argArrays, inferred.argShapes) as NDArray[];
    const grads = remap(this._io.arguments, this.gradArrays, inferred.argShapes);
    const aux = remap(this._io.auxStates, this.auxArrays, inferred.auxShapes) as NDArray[];
    try {
      return new Executor(this.symbol, this.ctx, { args, grads, reqs: this.gradReqs, aux }, this._io, owned,
                          this._group2ctx, this._memoryPlan);
    } catch (e) {
      for (const a of owned) a.dispose();
      throw e;
    }
  }

  /**
   * Calls fn(name, array) for every node output as it is pushed (the array is ready once read;
   * dispose it when done). monitorAll: also each node's inputs first. null removes it.
   * @example ex.setMonitorCallback((name, arr) => console.log(name, arr.norm().asScalar()))
   */
  setMonitorCallback(fn: ((name: string, arr: NDArray) => void) | null, monitorAll = false): void {
    const b = this._b;
    this._b.executorSetMonitor(this.handle, fn === null ? null : (name, h) => fn(name, new NDArray(h, b)), monitorAll);
  }

  /** Frees the executor and the arrays it allocated (simpleBind's, reshape's). Idempotent. */
  dispose(): void {
    const h = this._h;
    if (h === 0) return;
    this._h = 0;
    registry?.unregister(this._token);
    this._b.executorFree(h);
    for (const o of this.outputs) o.dispose();
    for (const a of this._owned) a.dispose();
  }

  /** `using ex = sym.bind(...)` disposes at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @example console.log(String(ex)) // <Executor fc1_output @cpu(0)> */
  toString(): string {
    return `<Executor ${this._io.outputs.join(', ')} @${this.ctx.toString()}>`;
  }
}

function resolveCtx(ctx: Context | string | null | undefined): Context {
  return toContext(ctx ?? undefined);
}

/**
 * Binds arrays to a symbol's arguments (`args` by name or in `listArguments()` order) and returns
 * an Executor. Everything the graph needs is allocated here, once.
 * @example
 * ```ts
 * const ex = bind(c, mx.cpu(), { A: a, B: b });
 * ex.forward()[0].toArraySync();
 * ```
 */
export function bind(sym: SymbolRef, ctx: Context | string | null | undefined, args: ArrayInput,
                     opts: BindOptions = {}): Executor {
  const b = backendOf(sym);
  const io = symbolIO(sym);
  if (args === null || typeof args !== 'object') {
    throw new IsotensorError(`bind: argument 'args': expected arrays by name or in order (${io.arguments.join(', ')})`);
  }
  if (isArrayInput(args) && args.length !== io.arguments.length) {
    throw new IsotensorError(`bind: argument 'args': expected ${io.arguments.length} array(s) ` +
                             `(${io.arguments.join(', ')}), got ${args.length}`);
  }
  const a = alignArrays(args, io.arguments, 'bind', 'args', b);
  const g = alignArrays(opts.argsGrad ?? null, io.arguments, 'bind', 'argsGrad', b);
  let reqs = alignReqs(opts.gradReq, io.arguments, 'bind');
  // Without gradient arrays (MXNet's args_grad=None) nothing is differentiated.
  if (opts.argsGrad === null || opts.argsGrad === undefined) reqs = reqs.map(() => 'null');
  else if (typeof opts.gradReq === 'string' || opts.gradReq === undefined) reqs = reqs.map((r, i) => (g[i] === null ? 'null' : r));
  const x = alignArrays(opts.auxStates ?? null, io.auxStates, 'bind', 'auxStates', b);
  if (io.auxStates.length > 0 && (opts.auxStates === null || opts.auxStates === undefined)) {
    throw new IsotensorError(`bind: argument 'auxStates': the symbol has auxiliary states (${io.auxStates.join(', ')}); ` +
                             'pass their arrays, or use simpleBind');
  }
  return new Executor(sym, resolveCtx(ctx), { args: a as NDArray[], grads: g, reqs, aux: x as NDArray[] }, io, [],
                      opts.group2ctx ?? null, opts.memoryPlan ?? true);
}

/**
 * Infers every shape from `shapes` (the inputs), allocates arguments, gradients and auxiliary
 * states (zeros) and binds them.
 * @example const ex = simpleBind(net, mx.cpu(), { data: [32, 784] }, { gradReq: 'write' })
 */
export function simpleBind(sym: SymbolRef, ctx: Context | string | null | undefined, shapes: ShapeInput,
                           opts: SimpleBindOptions = {}): Executor {
  const c = resolveCtx(ctx);
  const io = symbolIO(sym);
  const { argShapes, auxShapes } = inferShape(sym, shapes, false);
  const given: Record<string, DType> = {};
  for (const [k, v] of Object.entries(opts.typeDict ?? {})) given[k] = normalizeDType(v, 'simpleBind');
  let t = inferType(sym, given, true);
  if (t.argTypes.some((d) => d === null) || t.auxTypes.some((d) => d === null)) {
    io.arguments.forEach((n, i) => { if (t.argTypes[i] === null) given[n] = 'float32'; });
    io.auxStates.forEach((n, i) => { if (t.auxTypes[i] === null && !(n in given)) given[n] = 'float32'; });
    t = inferType(sym, given, true);
  }
  const reqs = alignReqs(opts.gradReq, io.arguments, 'simpleBind');
  const owned: NDArray[] = [];
  const make = (shape: number[], d: DType | null): NDArray => {
    const a = kept(zeros(shape, { ctx: c, dtype: d ?? 'float32' }));
    owned.push(a);
    return a;
  };
  try {
    const args = argShapes.map((s, i) => make(s, t.argTypes[i] ?? null));
    const grads = argShapes.map((s, i) => (reqs[i] === 'null' ? null : make(s, t.argTypes[i] ?? null)));
    const aux = auxShapes.map((s, i) => make(s, t.auxTypes[i] ?? null));
    return new Executor(sym, c, { args, grads, reqs, aux }, io, owned, opts.group2ctx ?? null, opts.memoryPlan ?? true);
  } catch (e) {
    for (const a of owned) a.dispose();
    throw e;
  }
}

// Symbol.bind / simpleBind delegate here (ts/symbol/symbol.ts).
registerSymbolPasses({
  bind: (sym: SymbolClass, ctx: Context | string, args: unknown, opts?: unknown) =>
    bind(sym, ctx, args as ArrayInput, (opts ?? {}) as BindOptions),
  simpleBind: (sym: SymbolClass, ctx: Context | string, shapes: Record<string, readonly number[]>, opts?: unknown) =>
    simpleBind(sym, ctx, shapes, (opts ?? {}) as SimpleBindOptions),
});
