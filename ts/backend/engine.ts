// mx.engine: a look inside the dependency engine (execution trace of the ops it ran).
// SPDX-License-Identifier: Apache-2.0
import { backend } from './runtime.js';

/** One op run by the engine: which worker thread, and when (microseconds). */
export interface TraceEvent {
  op: string;
  thread: number;
  startUs: number;
  endUs: number;
}

/**
 * Starts (true) or stops (false) recording which engine thread ran each op, and when.
 * @example mx.engine.setTrace(true); a.iadd(1); c.imul(3); mx.waitAll(); mx.engine.takeTrace();
 */
export function setTrace(on: boolean): void {
  backend().setTrace(on);
}

/**
 * The ops run since tracing started, then clears the record.
 * @example const events = mx.engine.takeTrace(); // [{ op: '_plus_scalar', thread: 1, startUs, endUs }, ...]
 */
export function takeTrace(): TraceEvent[] {
  const raw = JSON.parse(backend().takeTrace()) as Array<Record<string, unknown>>;
  return raw.map((e) => ({
    op: String(e['op']), thread: Number(e['thread']), startUs: Number(e['start_us']), endUs: Number(e['end_us']),
  }));
}
