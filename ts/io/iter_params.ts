// Keyword parameters of MXNet's C++ data iterators: camelCase or MXNet's snake_case keys, typed, defaulted, unknown ones refused.
// SPDX-License-Identifier: Apache-2.0
//
// Users paste `mx.io.ImageRecordIter(path_imgrec=..., data_shape=(3, 224, 224))` kwargs, so every
// parameter answers to both spellings; MXNet's dmlc::Parameter silently drops unknown keys, which
// hides typos (`rand_mirrror`), so here an unknown key is an error naming the iterator and the key.
import { IsotensorError, kindOf, show } from '../base/error.js';

/** What a parameter holds. */
export type ParamKind = 'int' | 'float' | 'bool' | 'string' | 'shape' | 'source' | 'optionalFloat' | 'optionalInt' | 'intList';

/** One parameter: its snake_case name (MXNet's), kind and default (undefined: required). */
export interface ParamSpec {
  readonly name: string;
  readonly kind: ParamKind;
  readonly default?: unknown;
  /** Lower bound (inclusive) for numbers. */
  readonly min?: number;
  /** Allowed values for strings. */
  readonly oneOf?: readonly string[];
}

/** A file's bytes or its path (Node). */
export type IterSource = string | URL | Uint8Array | ArrayBuffer;

/** 'path_imgrec' → 'pathImgrec'. */
export function camelName(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function checkValue(iter: string, spec: ParamSpec, key: string, v: unknown): unknown {
  const bad = (what: string): never => {
    throw new IsotensorError(`${iter}: parameter '${key}' must be ${what}, got ${kindOf(v) === 'object' ? show(v) : `${kindOf(v)} ${show(v)}`}`);
  };
  switch (spec.kind) {
    case 'int':
    case 'optionalInt':
      if (spec.kind === 'optionalInt' && v === null) return null;
      if (typeof v !== 'number' || !Number.isInteger(v)) bad('an integer');
      if (spec.min !== undefined && (v as number) < spec.min) bad(`an integer >= ${spec.min}`);
      return v;
    case 'float':
    case 'optionalFloat':
      if (spec.kind === 'optionalFloat' && v === null) return null;
      if (typeof v !== 'number' || !Number.isFinite(v)) bad('a finite number');
      if (spec.min !== undefined && (v as number) < spec.min) bad(`a number >= ${spec.min}`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') bad('a boolean');
      return v;
    case 'string':
      if (typeof v !== 'string') bad('a string');
      if (spec.oneOf !== undefined && !spec.oneOf.includes(v as string)) bad(`one of ${spec.oneOf.map((s) => `'${s}'`).join(', ')}`);
      return v;
    case 'shape':
    case 'intList':
      if (!Array.isArray(v) || !v.every((d) => Number.isInteger(d) && (spec.kind === 'intList' || d > 0))) {
        bad(spec.kind === 'shape' ? 'a shape (a list of positive integers)' : 'a list of integers');
      }
      return [...(v as number[])];
    case 'source':
      if (v === null) return null;
      if (typeof v !== 'string' && !(v instanceof URL) && !(v instanceof Uint8Array) && !(v instanceof ArrayBuffer)) {
        bad('a path (string or file:// URL) or the file\'s bytes (Uint8Array, ArrayBuffer)');
      }
      return v;
  }
}

/**
 * The parameters of iterator `iter` from `opts`: each spec's value under its snake_case or camelCase
 * key (both given: an error), checked against its kind, else its default; a spec without default
 * is required. Keys no spec names are refused. Result keys are the snake_case names.
 */
export function iterParams(iter: string, specs: readonly ParamSpec[], opts: unknown): Record<string, unknown> {
  if (opts === undefined || opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new IsotensorError(`${iter}: expected one options object of parameters, got ${kindOf(opts)}`);
  }
  const byKey = new Map<string, ParamSpec>();
  for (const s of specs) {
    byKey.set(s.name, s);
    byKey.set(camelName(s.name), s);
  }
  const given = new Map<string, [string, unknown]>();
  for (const [k, v] of Object.entries(opts as Record<string, unknown>)) {
    if (v === undefined) continue;
    const spec = byKey.get(k);
    if (spec === undefined) {
      throw new IsotensorError(`${iter}: unknown parameter '${k}' (known: ${specs.map((s) => s.name).join(', ')})`);
    }
    const prev = given.get(spec.name);
    if (prev !== undefined) throw new IsotensorError(`${iter}: parameter '${spec.name}' given twice ('${prev[0]}' and '${k}')`);
    given.set(spec.name, [k, checkValue(iter, spec, k, v)]);
  }
  const out: Record<string, unknown> = {};
  for (const s of specs) {
    const g = given.get(s.name);
    if (g !== undefined) out[s.name] = g[1];
    else if (s.default !== undefined) out[s.name] = s.default;
    else throw new IsotensorError(`${iter}: parameter '${s.name}' (or '${camelName(s.name)}') is required`);
  }
  return out;
}

/** The parameters every MXNet C++ iterator takes beside its own: Python's data/label names and the prefetcher's. */
export const COMMON_PARAMS: readonly ParamSpec[] = [
  { name: 'data_name', kind: 'string', default: 'data' },
  { name: 'label_name', kind: 'string', default: 'softmax_label' },
  // The prefetcher's buffer and target device type: accepted for compatibility; batches are made on demand here.
  { name: 'prefetch_buffer', kind: 'int', default: 4, min: 1 },
  { name: 'ctx', kind: 'string', default: 'gpu', oneOf: ['cpu', 'gpu'] },
];

/** MXNet's BatchParam. */
export const BATCH_PARAMS: readonly ParamSpec[] = [
  { name: 'batch_size', kind: 'int', min: 1 },
  { name: 'round_batch', kind: 'bool', default: true },
];
