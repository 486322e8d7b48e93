// invoke(): the one path from JS to the operator registry (op handle cache, attributes, outputs).
// SPDX-License-Identifier: Apache-2.0
import type { Backend, Handle, OpHandle } from '../backend/backend.js';
import { backend, checkContext } from '../backend/runtime.js';
import { toContext, type Context } from '../base/context.js';
import { normalizeDType, type DType } from '../base/dtype.js';
import { IsotensorError, kindOf } from '../base/error.js';
import { formatAttr, toSnake, type AttrValue } from './attrs.js';
import type { NDArray } from './ndarray.js';

/** Operator attributes by MXNet (snake_case) name; undefined values are left out. */
export type Attrs = Readonly<Record<string, AttrValue>>;

const opHandles = new WeakMap<Backend, Map<string, OpHandle>>();

// The NDArray class, registered by ndarray.ts (which imports this file: no import cycle).
type ArrayClass = new (handle: Handle, b: Backend) => NDArray;
let ArrayCtor: ArrayClass | null = null;

/** @internal Called once by ndarray.ts with the NDArray class. */
export function registerArrayClass(c: ArrayClass): void {
  ArrayCtor = c;
}

function isArray(v: unknown): v is NDArray {
  return ArrayCtor !== null && v instanceof ArrayCtor;
}

/** @internal Refuses what is not an NDArray, naming the function and the argument. */
export function expectNDArray(x: unknown, fn: string, what: string): asserts x is NDArray {
  if (!isArray(x)) throw new IsotensorError(`${fn}: ${what} must be an NDArray, got ${kindOf(x)}`);
}

function opHandle(b: Backend, name: string): OpHandle {
  let m = opHandles.get(b);
  if (m === undefined) {
    m = new Map();
    opHandles.set(b, m);
  }
  let h = m.get(name);
  if (h === undefined) {
    if (typeof name !== 'string') throw new IsotensorError(`no operator named ${String(name)} (a ${typeof name}, not a string)`);
    h = b.opGet(name);
    m.set(name, h);
  }
  return h;
}

function handleOf(x: NDArray, b: Backend, op: string, what: string): Handle {
  expectNDArray(x, op, what);
  if (x.backend !== b) {
    throw new IsotensorError(`${op}: ${what} lives on the ${x.backend.name} backend, the other arrays on ` +
                             `${b.name}; copy it with nd.array(x.toArraySync()) after mx.setBackend()`);
  }
  return x.handle;
}

/**
 * Runs a registered operator imperatively (pushed to the engine; returns at once).
 * `out` arrays receive the results in place (MXNet's `out=`); otherwise new arrays are returned.
 * @example invoke('broadcast_add', [a, b]) // [NDArray]
 */
export function invoke(op: string, inputs: readonly NDArray[], attrs: Attrs | null = null,
                       out: NDArray | readonly NDArray[] | null = null): NDArray[] {
  const outs = out === null ? null : isArray(out) ? [out] : out as readonly NDArray[];
  const b = inputs.length > 0 && isArray(inputs[0]) ? inputs[0].backend
    : outs !== null && outs.length > 0 && isArray(outs[0]) ? outs[0].backend : backend();
  const hIn = new Array<Handle>(inputs.length);
  for (let i = 0; i < inputs.length; i++) hIn[i] = handleOf(inputs[i]!, b, op, `input ${i}`);
  let hOut: Handle[] | null = null;
  if (outs !== null) {
    hOut = new Array<Handle>(outs.length);
    for (let i = 0; i < outs.length; i++) hOut[i] = handleOf(outs[i]!, b, op, `out[${i}]`);
  }
  const keys: string[] = [];
  const vals: string[] = [];
  if (attrs !== null) {
    for (const k in attrs) {
      const v = attrs[k];
      if (v === undefined) continue;
      keys.push(toSnake(k)); // camelCase options from the hand-written helpers; snake_case passes as is
      vals.push(formatAttr(v));
    }
  }
  const hs = b.invoke(opHandle(b, op), hIn, hOut, keys, vals);
  if (outs !== null) return outs as NDArray[];
  const res = new Array<NDArray>(hs.length);
  for (let i = 0; i < hs.length; i++) res[i] = new ArrayCtor!(hs[i]!, b);
  return res;
}

/** invoke() for single-output ops. */
export function invoke1(op: string, inputs: readonly NDArray[], attrs: Attrs | null = null,
                        out: NDArray | null = null): NDArray {
  return invoke(op, inputs, attrs, out)[0]!;
}

/** How a generated op function maps its JS arguments onto invoke(). @internal */
export interface OpSpec {
  /** Registry name. */
  readonly name: string;
  /** Fixed inputs (before any variadic ones). */
  readonly inputs: number;
  /** Snake name of the param that counts the variadic inputs. */
  readonly variadic?: string;
  /** Creation op: takes `ctx` (default: current context) and `dtype`. */
  readonly creation?: boolean;
  /** Always returns an array of outputs. */
  readonly multi?: boolean;
  /** Option names whose MXNet name is not their snake_case form (e.g. `N`). */
  readonly keys?: Readonly<Record<string, string>>;
}

/** Options every generated op function accepts. */
export interface OpOptions {
  out?: NDArray | NDArray[];
  ctx?: Context | string;
  dtype?: DType;
  [param: string]: AttrValue | NDArray | NDArray[];
}

function isOptions(v: unknown): v is OpOptions {
  return typeof v === 'object' && v !== null && !isArray(v) && !Array.isArray(v);
}

/**
 * Runs a generated op function's call: inputs positionally (null skips an optional input, an
 * array spreads), then an options object of camelCase params plus `out` (and `ctx`, `dtype`).
 * @internal
 */
export function callOp(spec: OpSpec, args: readonly unknown[]): NDArray | NDArray[] {
  let n = args.length;
  let opts: OpOptions | undefined;
  if (n > 0) {
    const last = args[n - 1];
    if (last === undefined || isOptions(last)) {
      opts = last;
      n--;
    }
  }
  const inputs: NDArray[] = [];
  for (let i = 0; i < n; i++) {
    const a = args[i];
    if (isArray(a)) inputs.push(a);
    else if (Array.isArray(a)) for (const x of a) inputs.push(x as NDArray);
    else if (a !== null && a !== undefined) {
      throw new IsotensorError(`${spec.name}: argument ${i} must be an NDArray (or the options object last), ` +
                               `got ${typeof a}`);
    }
  }
  const attrs: Record<string, AttrValue> = {};
  let out: NDArray | NDArray[] | null = null;
  if (opts !== undefined) {
    for (const k in opts) {
      const v = opts[k];
      if (v === undefined) continue;
      if (k === 'out') {
        out = v as NDArray | NDArray[];
      } else if (k === 'ctx' && spec.creation === true) {
        continue;
      } else if (k === 'dtype' && typeof v === 'string' && v !== 'None') {
        attrs['dtype'] = normalizeDType(v, spec.name);
      } else {
        if (isArray(v) || (Array.isArray(v) && isArray(v[0]))) {
          throw new IsotensorError(`${spec.name}: option '${k}' is an NDArray; pass arrays positionally`);
        }
        attrs[spec.keys?.[k] ?? toSnake(k)] = v as AttrValue;
      }
    }
  }
  if (spec.creation === true) {
    const ctx = toContext(opts?.ctx);
    checkContext(ctx, inputs.length > 0 ? inputs[0]!.backend : backend());
    attrs['ctx'] = ctx.toString();
  }
  if (spec.variadic !== undefined && attrs[spec.variadic] === undefined) {
    attrs[spec.variadic] = inputs.length - spec.inputs;
  }
  const res = invoke(spec.name, inputs, attrs, out);
  if (out !== null) return out;
  return spec.multi === true || res.length !== 1 ? res : res[0]!;
}
