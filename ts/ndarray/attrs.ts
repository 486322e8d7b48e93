// Operator attributes: camelCase option names to MXNet snake_case, JS values to MXNet's strings.
// SPDX-License-Identifier: Apache-2.0
import { Context } from '../base/context.js';
import { IsotensorError } from '../base/error.js';

/** Values an operator parameter accepts from JS. */
export type AttrValue =
  | number | bigint | boolean | string | null | undefined | Context
  | ReadonlyArray<number | bigint | boolean | string | null | ReadonlyArray<number | bigint>>;

const snakeCache = new Map<string, string>();

/**
 * MXNet's name of an option: `numHidden` → `num_hidden`; snake_case names pass unchanged.
 * @example toSnake('transposeA') // 'transpose_a'
 */
export function toSnake(key: string): string {
  let s = snakeCache.get(key);
  if (s === undefined) {
    // Only a capital after a lowercase letter or digit starts a word: MXNet's own capitalised
    // names (eye's `N`, `M`) pass unchanged.
    s = key.replace(/([a-z0-9])([A-Z])/g, (_m, a: string, c: string) => a + '_' + c.toLowerCase());
    snakeCache.set(key, s);
  }
  return s;
}

/**
 * camelCase name of an MXNet parameter or op: `num_hidden` → `numHidden`.
 * @example toCamel('log_softmax') // 'logSoftmax'
 */
export function toCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** A number as MXNet writes it (Python float/int spelling for the specials). */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/**
 * A value as an MXNet attribute string: booleans 'True'/'False', shapes '(2, 3)' (one element
 * '(2,)'), null 'None', contexts 'cpu(0)'.
 * @example formatAttr([2, 3]) // '(2, 3)'
 */
export function formatAttr(v: AttrValue): string {
  if (v === null) return 'None';
  switch (typeof v) {
    case 'boolean': return v ? 'True' : 'False';
    case 'number': return formatNumber(v);
    case 'bigint': return v.toString();
    case 'string': return v;
    default: break;
  }
  if (v instanceof Context) return v.toString();
  if (Array.isArray(v)) {
    const items = (v as ReadonlyArray<AttrValue>).map((x) => formatAttr(x));
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  throw new IsotensorError(`cannot pass ${Object.prototype.toString.call(v)} as an operator parameter`);
}
