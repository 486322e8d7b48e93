// Lifetime bookkeeping of NDArray handles: live count, open scopes, and the GC safety net.
// SPDX-License-Identifier: Apache-2.0
import type { Backend, Handle } from '../backend/backend.js';

/** What the bookkeeping needs from an array. */
export interface Tracked {
  dispose(): void;
  readonly isDisposed: boolean;
  /** @internal Whether the finalizer is armed (set by this module only). */
  _finalizable: boolean;
}

interface Held {
  readonly h: Handle;
  readonly b: Backend;
}

let live = 0;
const scopes: Tracked[][] = [];
const kept = new WeakSet<Tracked>();

// JS has no destructors: arrays nobody disposed free their handle when collected.
const registry: FinalizationRegistry<Held> | null = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<Held>((held) => {
    live--;
    try {
      held.b.free(held.h);
    } catch {
      // A finalizer has no caller to report to; the handle is gone either way.
    }
  })
  : null;

// Most arrays are disposed in the same synchronous run of code that made them (a step's
// temporaries), and registering plus unregistering one costs more than a tiny op's kernel. New
// arrays wait here and are registered in batches, at the end of the current job or every
// kBatch arrays, skipping those already disposed.
const kBatch = 256;
const unarmed: Array<{ obj: Tracked; h: Handle; b: Backend }> = [];
let flushQueued = false;

function armPending(): void {
  flushQueued = false;
  for (const p of unarmed) {
    if (p.obj.isDisposed) continue;
    p.obj._finalizable = true;
    registry!.register(p.obj, { h: p.h, b: p.b }, p.obj);
  }
  unarmed.length = 0;
}

/** Registers a new array (counts it, adds it to the innermost scope, arms the finalizer). */
export function track(obj: Tracked, h: Handle, b: Backend): void {
  live++;
  if (registry !== null) {
    unarmed.push({ obj, h, b });
    if (unarmed.length >= kBatch) armPending();
    else if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(armPending);
    }
  }
  const s = scopes[scopes.length - 1];
  if (s !== undefined) s.push(obj);
}

/** Forgets an array that was disposed explicitly. */
export function untrack(obj: Tracked): void {
  live--;
  if (obj._finalizable) {
    obj._finalizable = false;
    registry!.unregister(obj);
  }
}

/** Number of NDArray objects neither disposed nor collected. */
export function liveArrayCount(): number {
  return live;
}

/** Opens a scope; arrays created until it closes are recorded in it. */
export function openScope(): Tracked[] {
  const s: Tracked[] = [];
  scopes.push(s);
  return s;
}

/**
 * Closes the innermost scope: disposes its arrays except `survivors` and kept ones; survivors
 * move to the enclosing scope so it disposes them unless they are returned from it too.
 */
export function closeScope(s: Tracked[], survivors: ReadonlySet<Tracked>): void {
  const i = scopes.lastIndexOf(s);
  if (i >= 0) scopes.splice(i, 1);
  const parent = scopes[scopes.length - 1];
  for (const x of s) {
    if (x.isDisposed || kept.has(x)) continue;
    if (survivors.has(x)) {
      if (parent !== undefined) parent.push(x);
    } else {
      x.dispose();
    }
  }
}

/** Marks an array as managed by the user: no scope disposes it. */
export function markKept(x: Tracked): void {
  kept.add(x);
}
