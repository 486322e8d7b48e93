// KVStore keys and their values: MXNet's _ctype_key_value (flatten) and GroupKVPairs (group by key).
// SPDX-License-Identifier: Apache-2.0
//
// A call names one key or a list of keys; each key gets one array or a list of arrays (one per
// device). MXNet flattens that into (key, array) pairs and then groups equal keys, so
// push([3, 3], [a, b]) sums a and b like push(3, [a, b]) does.
import { IsotensorError } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';

/** A KVStore key: an integer or a string (a store uses one kind, as MXNet requires). */
export type Key = number | string;

/** The arrays a call gives: one, one per device, or (with a list of keys) one entry per key. */
export type KeyValues = NDArray | readonly NDArray[] | readonly (NDArray | readonly NDArray[])[];

/** One key and the arrays a call gave it, in call order. */
export interface KeyGroup<T> {
  readonly key: Key;
  readonly items: T[];
}

/** 'int' or 'str', the kind of a valid key; throws on anything else. */
export function keyKind(key: unknown, what: string): 'int' | 'str' {
  if (typeof key === 'string') return 'str';
  if (typeof key === 'number' && Number.isSafeInteger(key)) return 'int';
  throw new IsotensorError(`${what}: a key must be an integer or a string, got ${describe(key)}`);
}

/** A key as messages print it (strings quoted, as MXNet's Python does). */
export function showKey(key: Key): string {
  return typeof key === 'string' ? `'${key}'` : String(key);
}

/** Shape as MXNet prints it: (2, 3). */
export function showShape(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof NDArray) return 'an NDArray';
  return typeof v === 'number' ? String(v) : typeof v;
}

/**
 * Pairs keys with their items and groups equal keys (first appearance order). `isItem` says what
 * one item is (an NDArray for values and outputs; an NDArray or a number list for row ids).
 * `valueName` names the argument in messages ('value', 'out', 'rowIds').
 */
export function groupByKey<T>(what: string, keys: Key | readonly Key[], values: unknown, valueName: string,
                              isItem: (v: unknown) => v is T): KeyGroup<T>[] {
  const pairs: Array<[Key, T]> = [];
  const addAll = (key: Key, v: unknown, where: string): void => {
    if (isItem(v)) {
      pairs.push([key, v]);
    } else if (Array.isArray(v) && v.length > 0 && v.every(isItem)) {
      for (const x of v) pairs.push([key, x as T]);
    } else {
      throw new IsotensorError(`${what}: ${where} for key ${showKey(key)} must be an NDArray or a non-empty list of ` +
                               `NDArrays (one per device), got ${describe(v)}`);
    }
  };
  if (Array.isArray(keys)) {
    if (keys.length === 0) throw new IsotensorError(`${what}: the list of keys is empty`);
    if (!Array.isArray(values) || isItem(values)) {
      throw new IsotensorError(`${what}: ${keys.length} keys need a list of ${keys.length} ${valueName}s ` +
                               `(one entry per key), got ${describe(values)}`);
    }
    if (values.length !== keys.length) {
      throw new IsotensorError(`${what}: ${keys.length} keys but ${values.length} ${valueName}s ` +
                               '(give one entry per key: an NDArray or a list of them)');
    }
    const kinds = new Set(keys.map((k) => keyKind(k, what)));
    if (kinds.size > 1) {
      throw new IsotensorError(`${what}: keys mix integers and strings (${keys.map((k) => showKey(k)).join(', ')}); ` +
                               'use one kind per store, as MXNet does');
    }
    keys.forEach((k, i) => addAll(k, values[i], `${valueName}[${i}]`));
  } else {
    keyKind(keys, what);
    addAll(keys as Key, values, valueName);
  }
  const groups = new Map<Key, T[]>();
  for (const [k, v] of pairs) {
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [v]);
    else g.push(v);
  }
  return [...groups].map(([key, items]) => ({ key, items }));
}

/** True for an NDArray (the item of values and outputs). */
export function isNDArray(v: unknown): v is NDArray {
  return v instanceof NDArray;
}
