// IsotensorError, the one error type the facade throws (core messages pass through unchanged), and the argument
// checks that raise it for wrong-typed, missing or null arguments.
// SPDX-License-Identifier: Apache-2.0

/**
 * The error raised by isotensor: invalid arguments, failed operators (also those that
 * failed asynchronously on the engine and surface at the next blocking point), missing runtimes.
 *
 * @example
 * ```ts
 * try { nd.zeros([2, 3]).add(nd.zeros([4])); } catch (e) { if (e instanceof mx.IsotensorError) console.log(e.message); }
 * ```
 */
export class IsotensorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IsotensorError';
    // Keeps `instanceof` working when the bundle is down-levelled.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Converts whatever a binding threw into an IsotensorError (the message is the core's). */
export function toIsotensorError(e: unknown): IsotensorError {
  if (e instanceof IsotensorError) return e;
  if (e instanceof Error) return new IsotensorError(e.message, { cause: e });
  return new IsotensorError(String(e));
}

/** What a wrong-typed argument was, for messages: 'null', 'array', or its typeof. */
export function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * An options argument: undefined or null mean none; anything but a plain object (a number, a string, an
 * array) is refused, naming `fn` (a function name, or a class: a base constructor passes new.target),
 * instead of being spread into nothing.
 */
export function optionsOf<T extends object>(opts: T | null | undefined, fn: string | { readonly name: string }): Partial<T> {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    // A base class passes new.target, so the message names the class the user constructed (less the bundler's $N).
    const name = typeof fn === 'string' ? fn : fn.name.replace(/\$\d+$/, '');
    throw new IsotensorError(`${name}: options must be an object, got ${kindOf(opts)}`);
  }
  return opts;
}

/** A callback argument (the body of a scope, a mode, a filter): refused by name unless a function. */
export function expectFunction<F>(v: F | undefined | null, fn: string, name: string): F {
  if (typeof v !== 'function') throw new IsotensorError(`${fn}: argument '${name}' must be a function, got ${kindOf(v)}`);
  return v as F;
}

/** A string argument (a name, a path, a layout): refused by name unless a string. */
export function expectString(v: unknown, fn: string, name: string): string {
  if (typeof v !== 'string') throw new IsotensorError(`${fn}: argument '${name}' must be a string, got ${kindOf(v)}`);
  return v;
}

/** A list argument: refused by name unless an array (a missing list is the usual slip). */
export function expectArray<T>(v: readonly T[] | undefined | null, fn: string, name: string, what = 'an array'): readonly T[] {
  if (!Array.isArray(v)) throw new IsotensorError(`${fn}: argument '${name}' must be ${what}, got ${kindOf(v)}`);
  return v;
}

/** Any value, for a message: String() where a template literal would throw on a Symbol. */
export function show(v: unknown): string {
  try {
    return typeof v === 'object' && v !== null ? JSON.stringify(v) ?? String(v) : String(v);
  } catch {
    return kindOf(v);
  }
}

/** A list of names (a registry's aliases): refused by name unless an array of strings. */
export function expectStrings(v: readonly string[] | undefined | null, fn: string, name: string): readonly string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
    throw new IsotensorError(`${fn}: argument '${name}' must be an array of strings, got ${kindOf(v)}`);
  }
  return v;
}

/** An optional boolean option: undefined passes as unset; anything else but a boolean is refused by name. */
export function booleanOption(v: unknown, fn: string, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new IsotensorError(`${fn}: option '${name}' must be a boolean, got ${kindOf(v)}`);
  return v;
}

/** What a positional argument must be (see positionalOptions). */
export type PositionalKind = 'boolean' | 'number' | 'string' | 'function' | 'object' | 'any';

/**
 * Arguments that are an options object, or MXNet's positional ones in MXNet's order: `args` are
 * the call's arguments from the options' place on. One plain object alone (for which `isValue` is
 * false) is the options; anything else is read positionally as `names` (`[name, kind]`, a
 * null or undefined value leaving that option unset), each checked against its kind, so a positional
 * value is neither read as options without it nor silently replaced by the default.
 */
export function positionalOptions<T extends object>(fn: string, names: readonly (readonly [keyof T & string, PositionalKind])[],
                                                    args: readonly unknown[],
                                                    isValue: (v: unknown) => boolean = () => false): Partial<T> {
  const first = args[0];
  if (args.length <= 1 && (first === undefined || first === null ||
                           (typeof first === 'object' && !Array.isArray(first) && !isValue(first)))) {
    return optionsOf(first as T | null | undefined, fn);
  }
  if (args.length > names.length) {
    throw new IsotensorError(`${fn}: too many arguments (${args.length} after the fixed ones; at most ${names.length}: ` +
                             `${names.map(([n]) => n).join(', ')})`);
  }
  const o: Record<string, unknown> = {};
  args.forEach((v, i) => {
    if (v === undefined || v === null) return;
    const [name, kind] = names[i]!;
    const ok = kind === 'any' || (kind === 'object' ? typeof v === 'object' : typeof v === kind);
    if (!ok) {
      throw new IsotensorError(`${fn}: positional argument '${name}' must be ${kind === 'object' ? 'an object' : `a ${kind}`}, ` +
                               `got ${kindOf(v)} (or pass one options object)`);
    }
    o[name] = v;
  });
  return o as Partial<T>;
}
