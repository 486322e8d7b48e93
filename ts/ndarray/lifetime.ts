// Array lifetime: mx.scope (dispose temporaries), mx.keep, and mx.memoryInfo.
// SPDX-License-Identifier: Apache-2.0
import { activeBackend, backend } from '../backend/runtime.js';
import { cpu, toContext, type Context } from '../base/context.js';
import { expectFunction, IsotensorError } from '../base/error.js';
import { NDArray } from './ndarray.js';
import { closeScope, liveArrayCount, markKept, openScope, type Tracked } from './tracking.js';

function collect(v: unknown, into: Set<Tracked>, seen: Set<unknown>): void {
  if (v instanceof NDArray) {
    into.add(v);
    return;
  }
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (Array.isArray(v)) {
    for (const x of v) collect(x, into, seen);
  } else if (v instanceof Map) {
    for (const x of v.values()) collect(x, into, seen);
  } else if (Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v as Record<string, unknown>)) collect(x, into, seen);
  }
}

/**
 * Runs a synchronous `fn` and disposes every array created inside it, except what it returns
 * (an array, or arrays nested in arrays/plain objects/Maps) and what it `keep()`s. Scopes nest:
 * returned arrays belong to the enclosing scope.
 * @example
 * ```ts
 * const y = mx.scope(() => x.mul(2).add(1).relu()); // the temporaries are freed
 * ```
 */
export function scope<T>(fn: () => T): T {
  expectFunction(fn, 'mx.scope', 'fn');
  const s = openScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(s, new Set());
    throw e;
  }
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    closeScope(s, new Set(s));
    throw new IsotensorError('mx.scope(fn) needs a synchronous fn (it returned a Promise); dispose arrays ' +
                             'explicitly in async code, or wrap each synchronous step in its own mx.scope');
  }
  const survivors = new Set<Tracked>();
  collect(result, survivors, new Set());
  closeScope(s, survivors);
  return result;
}

/**
 * Exempts arrays (or arrays nested in arrays/objects) from every enclosing `mx.scope`: the
 * caller disposes them. Returns its argument.
 * @example mx.scope(() => { total = mx.keep(total.add(x)); });
 */
export function keep<T>(x: T): T {
  const arrays = new Set<Tracked>();
  collect(x, arrays, new Set());
  for (const a of arrays) markKept(a);
  return x;
}

/** What `mx.memoryInfo()` reports. */
export interface MemoryInfo {
  /** Bytes held by live arrays on the device. */
  liveBytes: number;
  /** Highest liveBytes so far. */
  peakBytes: number;
  /** Freed bytes the pool keeps for reuse. */
  pooledBytes: number;
  /** Live allocations on the device (core count). */
  liveAllocations: number;
  /** NDArray objects in JS that are neither disposed nor collected (all devices and backends). */
  liveArrays: number;
}

/**
 * Memory of a device (cpu(0) by default) on the active backend. Call `mx.waitAll()` first for
 * exact numbers: frees are engine ops too.
 * @example mx.waitAll(); mx.memoryInfo().liveBytes
 */
export function memoryInfo(ctx: Context | string = cpu(0)): MemoryInfo {
  const c = toContext(ctx);
  const b = activeBackend() ?? backend();
  const [liveBytes = 0, peakBytes = 0, pooledBytes = 0, liveAllocations = 0] = b.memoryInfo(c.deviceTypeId, c.deviceId);
  return { liveBytes, peakBytes, pooledBytes, liveAllocations, liveArrays: liveArrayCount() };
}

/**
 * Returns a device's pooled (cached free) memory to the system.
 * @example mx.memoryRelease();
 */
export function memoryRelease(ctx: Context | string = cpu(0)): void {
  const c = toContext(ctx);
  backend().memoryRelease(c.deviceTypeId, c.deviceId);
}
