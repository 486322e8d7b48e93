// IsotensorError: the one error type the facade throws (core messages pass through unchanged).
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
 * array) is refused, naming `fn`, instead of being spread into nothing.
 */
export function optionsOf<T extends object>(opts: T | null | undefined, fn: string): Partial<T> {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) throw new IsotensorError(`${fn}: options must be an object, got ${kindOf(opts)}`);
  return opts;
}
