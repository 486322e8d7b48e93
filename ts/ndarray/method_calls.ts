// The op and attributes behind each fluent math method (a.sum(1), a.transpose(), a.reshape(-1, 0)), read once for
// NDArray (which invokes the op) and Symbol (which adds it to the graph), so both accept the same arguments.
import { booleanOption, IsotensorError, kindOf, optionsOf, positionalOptions, type PositionalKind } from '../base/error.js';
import type { DType } from '../base/dtype.js';
import type { AttrValue } from './attrs.js';

/** Axis argument of reductions: one axis, several, or null for all. */
export type Axis = number | readonly number[] | null;

/** Options of sum/mean/max/min/prod. */
export interface ReduceOptions {
  axis?: Axis;
  keepdims?: boolean;
  /** Reduce over all axes except `axis`. */
  exclude?: boolean;
}

/** Options of norm. */
export interface NormOptions {
  ord?: 1 | 2;
  axis?: Axis;
  keepdims?: boolean;
}

/** Options of sort/argsort. */
export interface SortOptions {
  axis?: number | null;
  isAscend?: boolean;
  /** argsort only: index dtype. */
  dtype?: DType;
}

/** Options of topk. */
export interface TopkOptions {
  axis?: number | null;
  k?: number;
  retTyp?: 'value' | 'indices' | 'mask' | 'both';
  isAscend?: boolean;
  dtype?: DType;
}

/** An op (registry name) and its attributes, camelCase keys as the NDArray invoke path takes them. */
export type OpCall = readonly [op: string, attrs: Record<string, AttrValue>];

/** Writes an axis as MXNet's Shape-or-None attribute. */
export function axisAttr(axis: Axis | undefined): readonly number[] | null | undefined {
  if (axis === undefined || axis === null) return axis;
  return typeof axis === 'number' ? [axis] : axis;
}

/**
 * Refuses arguments past a method's last one: `a.flip(0, 1)` would otherwise flip axis 0 alone and
 * `a.tile(2, 2)` tile once, silently; several axes or reps go as one list.
 */
function noExtraArgs(fn: string, name: string, extra: readonly unknown[]): void {
  if (extra.length > 0) {
    throw new IsotensorError(`${fn}: one '${name}' argument expected (several go as one list, e.g. [0, 1]), ` +
                             `got ${extra.length + 1} arguments`);
  }
}

/**
 * A method's leading value (`axis`) then MXNet's further positional ones (`names`), or one options object:
 * the positional values would otherwise be dropped silently.
 */
function leadingThenPositional<T extends object>(fn: string, first: unknown, isFirst: boolean, firstName: keyof T & string,
                                                names: readonly (readonly [keyof T & string, PositionalKind])[],
                                                rest: readonly unknown[]): Partial<T> {
  if (first === undefined && rest.length === 0) return {};
  if (isFirst || first === undefined) {
    const o = positionalOptions<T>(fn, [[firstName, 'any'], ...names], [first, ...rest]);
    return first === null ? { ...o, [firstName]: null } : o;
  }
  if (rest.length > 0) {
    throw new IsotensorError(`${fn}: positional ${names.map(([n]) => n).join('/')} follow a positional ${firstName}, ` +
                             `got ${kindOf(first)} before them`);
  }
  return optionsOf(first as T, fn);
}

/** sum/mean/max/min/prod: an axis then MXNet's positional keepdims, exclude; or the options. */
export function reduceCall(op: string, a: Axis | ReduceOptions | undefined, rest: readonly unknown[]): OpCall {
  const o = leadingThenPositional<ReduceOptions>(op, a, a === null || typeof a === 'number' || Array.isArray(a), 'axis',
                                                 [['keepdims', 'boolean'], ['exclude', 'boolean']], rest);
  // Every option goes through, so a misspelt one is rejected by the op's own parameter check.
  return [op, { ...o, axis: axisAttr(o.axis) }];
}

/** argmax/argmin: MXNet's positional (axis, keepdims), or the options; every axis (flattened) by default. */
export function argExtremeCall(op: 'argmax' | 'argmin', axis: number | null | { axis?: number | null; keepdims?: boolean },
                               keepdims: boolean | undefined): OpCall {
  const o = leadingThenPositional<{ axis?: number | null; keepdims?: boolean }>(
    op, axis, axis === null || typeof axis === 'number', 'axis', [['keepdims', 'boolean']],
    keepdims === undefined ? [] : [keepdims]);
  return [op, { axis: null, ...o }];
}

/** norm: MXNet's positional (ord, axis, keepdims), or a list alone as the axes, or the options. */
export function normCall(opts: Axis | NormOptions | 1 | 2 | undefined, rest: readonly unknown[]): OpCall {
  const o = Array.isArray(opts) && rest.length === 0 ? { axis: opts as Axis }
    : positionalOptions<NormOptions>('norm', [['ord', 'number'], ['axis', 'any'], ['keepdims', 'boolean']], [opts, ...rest]);
  return ['norm', { ...o, axis: axisAttr(o.axis) }];
}

/** dot: MXNet's positional (transpose_a, transpose_b) after the other operand, or the options. */
export function dotCall(opts: { transposeA?: boolean; transposeB?: boolean } | boolean, transposeB: boolean | undefined): OpCall {
  const o = positionalOptions<{ transposeA?: boolean; transposeB?: boolean }>(
    'dot', [['transposeA', 'boolean'], ['transposeB', 'boolean']], transposeB === undefined ? [opts] : [opts, transposeB]);
  return ['dot', { ...o }];
}

/** transpose: a list of axes, the axes one by one (NumPy's transpose(*axes)), or { axes }; reversed by default. */
export function transposeCall(axes: readonly number[] | { axes?: readonly number[] } | number | undefined,
                              more: readonly number[]): OpCall {
  // Axes one by one would otherwise be dropped, reversing every axis.
  if (typeof axes === 'number' || more.length > 0) {
    const list = [axes, ...more];
    if (!list.every((v) => typeof v === 'number')) {
      throw new IsotensorError(`transpose: axes given one by one must all be numbers, got ${list.map(kindOf).join(', ')}`);
    }
    return ['transpose', { axes: list as number[] }];
  }
  const o = axes === undefined || Array.isArray(axes) ? { axes: axes as readonly number[] | undefined }
    : optionsOf(axes as { axes?: readonly number[] }, 'transpose');
  return ['transpose', { ...o }];
}

export function expandDimsCall(axis: number, extra: readonly unknown[]): OpCall {
  noExtraArgs('expandDims', 'axis', extra);
  return ['expand_dims', { axis }];
}

export function squeezeCall(axis: Axis | undefined, extra: readonly unknown[]): OpCall {
  noExtraArgs('squeeze', 'axis', extra);
  return ['squeeze', { axis: axisAttr(axis) }];
}

export function clipCall(aMin: number, aMax: number): OpCall {
  return ['clip', { a_min: aMin, a_max: aMax }];
}

/** sort/argsort: MXNet's positional (axis, is_ascend[, dtype]), or the options. */
export function sortCall(op: 'sort' | 'argsort', axis: number | null | SortOptions | undefined, rest: readonly unknown[]): OpCall {
  const names: readonly (readonly [keyof SortOptions & string, PositionalKind])[] =
    op === 'sort' ? [['isAscend', 'boolean']] : [['isAscend', 'boolean'], ['dtype', 'string']];
  const o = leadingThenPositional<SortOptions>(op, axis, axis === null || typeof axis === 'number', 'axis', names, rest);
  return [op, { ...o }];
}

export function topkCall(opts: TopkOptions | undefined): OpCall {
  return ['topk', { ...optionsOf(opts, 'topk') }];
}

export function flipCall(axis: number | readonly number[], extra: readonly unknown[]): OpCall {
  noExtraArgs('flip', 'axis', extra);
  return ['flip', { axis: axisAttr(axis) }];
}

export function tileCall(reps: number | readonly number[], extra: readonly unknown[]): OpCall {
  noExtraArgs('tile', 'reps', extra);
  return ['tile', { reps: typeof reps === 'number' ? [reps] : reps }];
}

export function repeatCall(repeats: number, opts: { axis?: number | null } | undefined): OpCall {
  return ['repeat', { ...optionsOf(opts, 'repeat'), repeats }];
}

/** Options of split_v2 (MXNet's Python front of `_split_v2`). */
export interface SplitV2Options {
  /** The axis to split along (default 0, as MXNet's `split_v2`; the bare op's default is 1). */
  axis?: number;
  /** Drop the split axis from each part (every part must then have length 1 there). */
  squeezeAxis?: boolean;
}

/**
 * MXNet's `split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False)`: a number splits into that many
 * equal sections, a list splits before each of its indices (the op's `indices` start with 0).
 */
export function splitV2Call(fn: string, indicesOrSections: number | readonly number[],
                            rest: readonly unknown[]): OpCall {
  const o = positionalOptions<SplitV2Options>(fn, [['axis', 'number'], ['squeezeAxis', 'boolean']], rest);
  const axis = o.axis ?? 0;
  const squeezeAxis = booleanOption(o.squeezeAxis, fn, 'squeezeAxis') ?? false;
  if (typeof indicesOrSections === 'number') {
    if (!Number.isInteger(indicesOrSections) || indicesOrSections < 1) {
      throw new IsotensorError(`${fn}: argument 'indicesOrSections' as a number must be a positive integer ` +
                               `(the number of equal sections), got ${indicesOrSections}`);
    }
    return ['_split_v2', { indices: [], sections: indicesOrSections, axis, squeezeAxis }];
  }
  if (!Array.isArray(indicesOrSections)) {
    throw new IsotensorError(`${fn}: argument 'indicesOrSections' must be a number of sections or a list of ` +
                             `indices, got ${kindOf(indicesOrSections)}`);
  }
  return ['_split_v2', { indices: [0, ...indicesOrSections], sections: 0, axis, squeezeAxis }];
}

/**
 * reshape's arguments: the dims (numbers, or lists of them, MXNet's codes 0, -1, -2, -3, -4 included) and a
 * last `{ reverse }`. `where` ends a refusal (the array's shape, for an NDArray).
 */
export function reshapeArgs(args: ReadonlyArray<number | readonly number[] | { reverse?: boolean }>,
                            where: string): { shape: number[]; reverse: boolean } {
  let dims = args;
  let reverse = false;
  const last = args[args.length - 1];
  if (last !== null && typeof last === 'object' && !Array.isArray(last)) {
    const unknown = Object.keys(last).filter((k) => k !== 'reverse');
    if (unknown.length > 0) throw new IsotensorError(`reshape: unknown option '${unknown[0]}' (the options are { reverse })`);
    reverse = booleanOption((last as { reverse?: unknown }).reverse, 'reshape', 'reverse') ?? false;
    dims = args.slice(0, -1);
  }
  const shape: number[] = [];
  for (const d of dims) {
    if (typeof d === 'number') shape.push(d);
    else if (Array.isArray(d)) shape.push(...(d as number[]));
    else shape.push(NaN);  // refused below, by name
  }
  if (shape.some((d) => !Number.isInteger(d))) {
    throw new IsotensorError(`reshape: shape must be integers (or an array of them), got ${dims.map((d) => (Array.isArray(d) ? `[${d.join(', ')}]` : typeof d === 'number' ? d : typeof d)).join(', ')}${where}`);
  }
  return { shape, reverse };
}

/**
 * Element-wise methods without arguments beyond those NDArray and Symbol declare by hand (MXNet's fluent
 * `x.floor()`, `x.sin()`, `x.zeros_like()`), method name → op; installed on both prototypes by
 * installElementwiseMethods.
 */
export const ELEMENTWISE_METHODS = {
  floor: 'floor', ceil: 'ceil', round: 'round', rint: 'rint', fix: 'fix', trunc: 'trunc', sign: 'sign',
  reciprocal: 'reciprocal', rsqrt: 'rsqrt', cbrt: 'cbrt', rcbrt: 'rcbrt', expm1: 'expm1', log1p: 'log1p',
  log2: 'log2', log10: 'log10', sin: 'sin', cos: 'cos', tan: 'tan', arcsin: 'arcsin', arccos: 'arccos',
  arctan: 'arctan', sinh: 'sinh', cosh: 'cosh', arcsinh: 'arcsinh', arccosh: 'arccosh', arctanh: 'arctanh',
  degrees: 'degrees', radians: 'radians', softsign: 'softsign', erf: 'erf', erfinv: 'erfinv', gamma: 'gamma',
  gammaln: 'gammaln', logicalNot: 'logical_not', zerosLike: 'zeros_like', onesLike: 'ones_like',
} as const;

/** The methods ELEMENTWISE_METHODS adds, each returning T (NDArray or Symbol). */
export type ElementwiseMethods<T> = { [K in keyof typeof ELEMENTWISE_METHODS]: () => T };

/** Defines each ELEMENTWISE_METHODS method on `proto` as apply(op) on the receiver. */
export function installElementwiseMethods<T>(proto: object, apply: (self: T, op: string) => T): void {
  for (const [method, op] of Object.entries(ELEMENTWISE_METHODS)) {
    Object.defineProperty(proto, method, {
      value: function (this: T, ...extra: unknown[]): T {
        if (extra.length > 0) throw new IsotensorError(`${method}: takes no arguments, got ${extra.length}`);
        return apply(this, op);
      },
      writable: true,
      configurable: true,
    });
  }
}

/** Options of softmax/logSoftmax/softmin. */
export interface SoftmaxOptions {
  axis?: number;
  temperature?: number | null;
  dtype?: DType | null;
  useLength?: boolean;
}

/** softmax/log_softmax/softmin: an axis (last by default) or the options. */
export function softmaxCall(op: 'softmax' | 'log_softmax' | 'softmin', axis: number | SoftmaxOptions | undefined,
                            extra: readonly unknown[]): OpCall {
  noExtraArgs(op, 'axis', extra);
  return [op, typeof axis === 'number' ? { axis } : { ...optionsOf(axis, op) }];
}

/** swapaxes(dim1, dim2). */
export function swapaxesCall(dim1: number, dim2: number): OpCall {
  if (!Number.isInteger(dim1) || !Number.isInteger(dim2)) {
    throw new IsotensorError(`swapaxes: dim1 and dim2 must be integers, got ${kindOf(dim1)} and ${kindOf(dim2)}`);
  }
  return ['swapaxes', { dim1, dim2 }];
}
