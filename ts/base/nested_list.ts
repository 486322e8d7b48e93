// Nested lists of arrays or symbols flattened and regrouped, as MXNet's control flow does (contrib.py _flatten/_regroup).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from './error.js';

/** A nested list of T: a T, or an array of such. */
export type Nested<T> = T | readonly Nested<T>[];
/** The shape of a flattened list: per item 0 (a single value) or its output count, or a list of formats. */
export type NestedFormat = number | NestedFormat[];

/**
 * Flattens `args` into a list of leaves. `count(x)` is a leaf's output count (a Symbol group's; 1 otherwise):
 * like MXNet, a leaf stays one item and its format records the count when above 1.
 */
export function flattenNested<T>(args: Nested<T>, isLeaf: (x: unknown) => x is T, count: (x: T) => number,
                                 what: string): [T[], NestedFormat] {
  if (isLeaf(args)) {
    const n = count(args);
    return [[args], n > 1 ? n : 0];
  }
  if (!Array.isArray(args)) throw new IsotensorError(`${what} must be a (nested) list, got ${typeof args}`);
  const flat: T[] = [];
  const fmts: NestedFormat[] = [];
  for (const a of args as readonly Nested<T>[]) {
    const [f, fmt] = flattenNested(a, isLeaf, count, what);
    flat.push(...f);
    fmts.push(fmt);
  }
  return [flat, fmts];
}

/** The inverse of flattenNested: `[regrouped, the leaves not used]`. */
export function regroupNested<T>(args: readonly T[], fmt: NestedFormat): [Nested<T>, T[]] {
  if (typeof fmt === 'number') {
    if (fmt === 0) return [args[0] as T, args.slice(1)];
    return [args.slice(0, fmt), args.slice(fmt)];
  }
  const ret: Nested<T>[] = [];
  let rest = args.slice();
  for (const f of fmt) {
    const [r, more] = regroupNested(rest, f);
    ret.push(r);
    rest = more;
  }
  return [ret, rest];
}

/** Deep equality of two formats. */
export function sameFormat(a: NestedFormat, b: NestedFormat): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.length === b.length && a.every((x, i) => sameFormat(x, b[i]!));
}
