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
