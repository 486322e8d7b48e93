// Shape and dtype inference of a Symbol's graph (MXNet's infer_shape / infer_shape_partial / infer_type).
// SPDX-License-Identifier: Apache-2.0
import type { Backend, SymbolHandle } from '../backend/backend.js';
import { backend } from '../backend/runtime.js';
import { dtypeFlag, dtypeName, normalizeDType, type DType } from '../base/dtype.js';
import { IsotensorError, kindOf } from '../base/error.js';
import { registerSymbolPasses, type Symbol as SymbolClass } from './symbol.js';

/** What inference needs of a Symbol: its core handle (and the backend that made it). */
export interface SymbolRef {
  readonly handle: SymbolHandle;
  readonly backend?: Backend;
}

/** A shape given to inference: dims (0 = unknown, MXNet's convention), or one number for 1-D. */
export type ShapeSpec = number | readonly number[];

/** Shapes by argument (or auxiliary state) name, or positionally in `listArguments()` order. */
export type ShapeInput = Readonly<Record<string, ShapeSpec | null | undefined>> | readonly (ShapeSpec | null | undefined)[];

/** dtypes by argument name, or positionally in `listArguments()` order. */
export type TypeInput = Readonly<Record<string, DType | string | null | undefined>>
  | readonly (DType | string | null | undefined)[];

/** Result of `inferShape`: arrays aligned with listArguments / listOutputs / listAuxiliaryStates. */
export interface InferShapeResult {
  argShapes: number[][];
  outShapes: number[][];
  auxShapes: number[][];
}

/** Result of `inferType` (partial: null where undecided). */
export interface InferTypeResult<T = DType> {
  argTypes: T[];
  outTypes: T[];
  auxTypes: T[];
}

/** Names of a symbol's inputs and outputs, in the order inference and binding use. @internal */
export interface SymbolIO {
  arguments: string[];
  outputs: string[];
  auxStates: string[];
}

/** @internal The backend a symbol lives on. */
export function backendOf(sym: SymbolRef): Backend {
  return sym.backend ?? backend();
}

function toDims(v: ShapeSpec, fn: string, name: string): number[] {
  const dims = typeof v === 'number' ? [v] : Array.from(v);
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) {
      throw new IsotensorError(`${fn}: argument '${name}': shape (${dims.join(', ')}) must hold non-negative integers`);
    }
  }
  return dims;
}

/** Splits an input spec into (keys | null for positional, values), dropping null/undefined entries. */
function splitInput<V, W>(input: Readonly<Record<string, V | null | undefined>> | readonly (V | null | undefined)[],
                          conv: (v: V, name: string) => W, io: () => SymbolIO):
  { keys: string[] | null; vals: W[] } {
  if (Array.isArray(input)) {
    const names = io().arguments;
    const keys: string[] = [];
    const vals: W[] = [];
    (input as readonly (V | null | undefined)[]).forEach((v, i) => {
      if (v === null || v === undefined) return;
      keys.push(names[i] ?? `#${i}`);
      vals.push(conv(v, names[i] ?? `#${i}`));
    });
    return { keys, vals };
  }
  const keys: string[] = [];
  const vals: W[] = [];
  for (const [k, v] of Object.entries(input as Readonly<Record<string, V | null | undefined>>)) {
    if (v === null || v === undefined) continue;
    keys.push(k);
    vals.push(conv(v, k));
  }
  return { keys, vals };
}

/** @internal Argument, output and auxiliary-state names as the executor orders them. */
export function symbolIO(sym: SymbolRef): SymbolIO {
  const j = JSON.parse(backendOf(sym).symbolInferType(sym.handle, [], [], true)) as
    { arg_names: string[]; out_names: string[]; aux_names: string[] };
  return { arguments: j.arg_names, outputs: j.out_names, auxStates: j.aux_names };
}

/**
 * Infers every argument, output and auxiliary-state shape from the given ones.
 * With `partial` unknown dims come back as 0 and unknown shapes as []; otherwise an incomplete
 * result throws. Conflicts throw an IsotensorError naming the node, op, argument and both shapes.
 * @example inferShape(fc, { data: [100, 100] }) // { argShapes: [[100, 100], [10, 100], [10]], outShapes: [[100, 10]], auxShapes: [] }
 */
export function inferShape(sym: SymbolRef, shapes: ShapeInput, partial = false): InferShapeResult {
  const fn = partial ? 'inferShapePartial' : 'inferShape';
  if (shapes === null || typeof shapes !== 'object') {
    throw new IsotensorError(`${fn}: shapes must be an object {name: shape} or an array, got ${kindOf(shapes)}`);
  }
  const { keys, vals } = splitInput<ShapeSpec, number[]>(shapes, (v, k) => toDims(v, fn, k), () => symbolIO(sym));
  const j = JSON.parse(backendOf(sym).symbolInferShape(sym.handle, keys, vals, partial)) as
    { arg_shapes: (number[] | null)[]; out_shapes: (number[] | null)[]; aux_shapes: (number[] | null)[] };
  const fix = (a: (number[] | null)[]): number[][] => a.map((s) => s ?? []);
  return { argShapes: fix(j.arg_shapes), outShapes: fix(j.out_shapes), auxShapes: fix(j.aux_shapes) };
}

/**
 * Infers every argument, output and auxiliary-state dtype from the given ones; with `partial`
 * undecided dtypes are null, otherwise an incomplete result throws.
 * @example inferType(fc, { data: 'float32' }).argTypes // ['float32', 'float32', 'float32']
 */
export function inferType(sym: SymbolRef, types: TypeInput, partial?: false): InferTypeResult<DType>;
export function inferType(sym: SymbolRef, types: TypeInput, partial: boolean): InferTypeResult<DType | null>;
export function inferType(sym: SymbolRef, types: TypeInput, partial = false): InferTypeResult<DType | null> {
  const fn = partial ? 'inferTypePartial' : 'inferType';
  if (types === null || typeof types !== 'object') {
    throw new IsotensorError(`${fn}: types must be an object {name: dtype} or an array, got ${kindOf(types)}`);
  }
  const { keys, vals } = splitInput<DType | string, number>(types, (v) => dtypeFlag(normalizeDType(v, fn)),
                                                            () => symbolIO(sym));
  const j = JSON.parse(backendOf(sym).symbolInferType(sym.handle, keys, vals, partial)) as
    { arg_types: number[]; out_types: number[]; aux_types: number[] };
  const fix = (a: number[]): (DType | null)[] => a.map((t) => (t < 0 ? null : dtypeName(t)));
  return { argTypes: fix(j.arg_types), outTypes: fix(j.out_types), auxTypes: fix(j.aux_types) };
}

// Symbol.inferShape / inferShapePartial / inferType delegate here (ts/symbol/symbol.ts).
registerSymbolPasses({
  inferShape: (sym: SymbolClass, shapes: Record<string, readonly number[]>, partial: boolean) => inferShape(sym, shapes, partial),
  inferType: (sym: SymbolClass, types: Record<string, DType | string>) => inferType(sym, types, false),
});
