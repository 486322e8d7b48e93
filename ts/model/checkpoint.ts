// mx.model.saveCheckpoint / loadCheckpoint: `prefix-symbol.json` + `prefix-%04d.params` with arg:/aux: keys (MXNet's model.py).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { load as loadArrays, loadSync as loadArraysSync, save as saveArrays, saveSync as saveArraysSync } from '../ndarray/io.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { load as loadSymbol, loadSync as loadSymbolSync, type Symbol } from '../symbol/symbol.js';

/** What loadCheckpoint returns. */
export interface Checkpoint {
  symbol: Symbol;
  argParams: Record<string, NDArray>;
  auxParams: Record<string, NDArray>;
}

/** `prefix-0003.params`: the epoch zero-padded to four digits as MXNet writes it. */
export function paramsFileName(prefix: string, epoch: number): string {
  if (!Number.isInteger(epoch) || epoch < 0) throw new IsotensorError(`model: epoch must be a non-negative integer, got ${epoch}`);
  return `${prefix}-${String(epoch).padStart(4, '0')}.params`;
}

function paramDict(argParams: Record<string, NDArray>, auxParams: Record<string, NDArray>): Record<string, NDArray> {
  const d: Record<string, NDArray> = {};
  for (const [k, v] of Object.entries(argParams)) d[`arg:${k}`] = v;
  for (const [k, v] of Object.entries(auxParams)) d[`aux:${k}`] = v;
  return d;
}

/** Splits "arg:name" / "aux:name" keys (on the first ':'); other keys are ignored as MXNet does. */
export function splitParams(saved: Record<string, NDArray> | NDArray[]): { argParams: Record<string, NDArray>; auxParams: Record<string, NDArray> } {
  const argParams: Record<string, NDArray> = {};
  const auxParams: Record<string, NDArray> = {};
  if (Array.isArray(saved)) {
    if (saved.length === 0) return { argParams, auxParams };
    throw new IsotensorError('model: the params file holds unnamed arrays; expected arg:/aux: keys');
  }
  for (const [k, v] of Object.entries(saved)) {
    const i = k.indexOf(':');
    if (i < 0) throw new IsotensorError(`model: params key '${k}' has no 'arg:' or 'aux:' prefix`);
    const tp = k.slice(0, i);
    const name = k.slice(i + 1);
    if (tp === 'arg') argParams[name] = v;
    else if (tp === 'aux') auxParams[name] = v;
  }
  return { argParams, auxParams };
}

/**
 * Saves a model: `${prefix}-symbol.json` (when symbol is given) and `${prefix}-%04d.params`.
 * @example await mx.model.saveCheckpoint('mlp', 3, net, argParams, auxParams); // mlp-symbol.json, mlp-0003.params
 */
export async function saveCheckpoint(prefix: string, epoch: number, symbol: Symbol | null,
                                     argParams: Record<string, NDArray>, auxParams: Record<string, NDArray> = {}): Promise<void> {
  const file = paramsFileName(prefix, epoch);
  if (symbol !== null) await symbol.save(`${prefix}-symbol.json`);
  await saveArrays(file, paramDict(argParams, auxParams));
}

/** saveCheckpoint that blocks (Node). */
export function saveCheckpointSync(prefix: string, epoch: number, symbol: Symbol | null,
                                   argParams: Record<string, NDArray>, auxParams: Record<string, NDArray> = {}): void {
  const file = paramsFileName(prefix, epoch);
  if (symbol !== null) symbol.saveSync(`${prefix}-symbol.json`);
  saveArraysSync(file, paramDict(argParams, auxParams));
}

/** Loads `${prefix}-%04d.params` into arg and aux dicts. */
export async function loadParams(prefix: string, epoch: number): Promise<{ argParams: Record<string, NDArray>; auxParams: Record<string, NDArray> }> {
  return splitParams(await loadArrays(paramsFileName(prefix, epoch)));
}

/**
 * Loads what saveCheckpoint (or MXNet) wrote.
 * @example const { symbol, argParams, auxParams } = await mx.model.loadCheckpoint('mlp', 3);
 */
export async function loadCheckpoint(prefix: string, epoch: number): Promise<Checkpoint> {
  const symbol = await loadSymbol(`${prefix}-symbol.json`);
  return { symbol, ...(await loadParams(prefix, epoch)) };
}

/** loadCheckpoint that blocks (Node). */
export function loadCheckpointSync(prefix: string, epoch: number): Checkpoint {
  const symbol = loadSymbolSync(`${prefix}-symbol.json`);
  return { symbol, ...splitParams(loadArraysSync(paramsFileName(prefix, epoch))) };
}
