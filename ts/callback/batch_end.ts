// BatchEndParam and the callback types fit/score call (MXNet's BatchEndParam namedtuple and callables).
// SPDX-License-Identifier: Apache-2.0
import type { EvalMetric } from '../metric/base.js';
import type { Logger } from './logger.js';

/** What a batch-end callback receives. */
export interface BatchEndParam {
  /** Epoch number (from beginEpoch). */
  epoch: number;
  /** Batch number within the epoch, from 0. */
  nbatch: number;
  /** The running metric (null when none). */
  evalMetric: EvalMetric | null;
  /** The caller's state (MXNet passes locals(); here the module and the batch). */
  locals: Record<string, unknown>;
  /** The caller's logger, for callbacks that print. */
  logger?: Logger;
}

/** A batch-end callback: a function, or an object with `call(param)` (e.g. new Speedometer(...)). */
export type BatchEndCallback = ((param: BatchEndParam) => unknown) | { call(param: BatchEndParam): unknown };

/** An epoch-end callback: `(epoch, symbol, argParams, auxParams)`, a function or an object with `call`. */
export type EpochEndCallback<S = unknown, P = unknown> =
  ((epoch: number, symbol: S, argParams: P, auxParams: P) => unknown)
  | { call(epoch: number, symbol: S, argParams: P, auxParams: P): unknown };

/** Calls one callback or a list of them, awaiting any that return a Promise. */
export async function runCallbacks<A extends unknown[]>(
  cbs: ((...a: A) => unknown) | { call(...a: A): unknown } | ReadonlyArray<((...a: A) => unknown) | { call(...a: A): unknown }> | null | undefined,
  ...args: A): Promise<void> {
  if (cbs === null || cbs === undefined) return;
  const list = Array.isArray(cbs) ? cbs : [cbs];
  for (const cb of list) {
    const r = typeof cb === 'function' ? cb(...args) : cb.call(...args);
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') await r;
  }
}
