// mx.autograd: recording scopes, variables and backward, over the core's tape (core-cpp/autograd/).
// SPDX-License-Identifier: Apache-2.0
import { backend as getBackend } from '../backend/runtime.js';
import type { Backend } from '../backend/backend.js';
import { booleanOption, expectFunction, IsotensorError, kindOf, optionsOf } from '../base/error.js';
import { expectNDArray } from '../ndarray/invoke.js';
import { backwardFlags, gradReqCode, NDArray, type BackwardOptions, type GradReq } from '../ndarray/ndarray.js';

/** Restores the previous recording/training state; returned by record() etc. without a function. */
export interface AutogradScope {
  exit(): void;
  [Symbol.dispose](): void;
}

function enter(recording: boolean | null, training: boolean | null): AutogradScope {
  const b = getBackend();
  const prevRec = recording === null ? null : b.setRecording(recording);
  const prevTrain = training === null ? null : b.setTraining(training);
  let done = false;
  const exit = (): void => {
    if (done) return;
    done = true;
    if (prevRec !== null) b.setRecording(prevRec);
    if (prevTrain !== null) b.setTraining(prevTrain);
  };
  return { exit, [Symbol.dispose]: exit };
}

// Runs fn inside a scope; a Promise-returning fn keeps the scope until it settles (do not run
// other autograd work concurrently: the state is global, like MXNet's per-thread state).
function within<T>(scope: AutogradScope, fn: () => T): T {
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scope.exit();
    throw e;
  }
  if (result instanceof Promise) {
    return result.finally(() => scope.exit()) as T;
  }
  scope.exit();
  return result;
}

/**
 * Records the ops run by fn so backward() can differentiate them (train mode by default).
 * Without fn, returns a scope: `using _ = autograd.record();` (or call `.exit()`).
 * @example const loss = autograd.record(() => net.forward(x).sum()); loss.backward();
 */
export function record<T>(fn: () => T, opts?: { trainMode?: boolean } | boolean): T;
export function record(opts?: { trainMode?: boolean } | boolean): AutogradScope;
export function record<T>(a?: (() => T) | ModeArg, b?: ModeArg): T | AutogradScope {
  return modeScope(true, true, a, b, 'autograd.record');
}

type ModeArg = { trainMode?: boolean } | boolean;

/** record/pause: enters the state (fn's or the given mode's), then runs fn within it or returns the scope. */
function modeScope<T>(recording: boolean, defaultTrain: boolean, a: (() => T) | ModeArg | undefined,
                      b: ModeArg | undefined, fn: string): T | AutogradScope {
  const trainMode = scopeTrainMode(typeof a === 'function' ? b : a, fn);
  const scope = enter(recording, trainMode ?? defaultTrain);
  return typeof a === 'function' ? within(scope, a) : scope;
}

/**
 * record/pause's mode argument: an options object, or (MXNet's positional `train_mode`) a boolean,
 * which an options bag would otherwise take for options without trainMode and silently replace by the default.
 */
function scopeTrainMode(opts: { trainMode?: boolean } | boolean | null | undefined, fn: string): boolean | undefined {
  return typeof opts === 'boolean' ? opts : booleanOption(optionsOf(opts, fn).trainMode, fn, 'trainMode');
}

/** Stops recording inside fn (train mode unchanged unless given). */
export function pause<T>(fn: () => T, opts?: { trainMode?: boolean } | boolean): T;
export function pause(opts?: { trainMode?: boolean } | boolean): AutogradScope;
export function pause<T>(a?: (() => T) | ModeArg, b?: ModeArg): T | AutogradScope {
  return modeScope(false, false, a, b, 'autograd.pause');
}

/** Runs fn in training mode (Dropout drops, BatchNorm uses batch statistics). */
export function trainMode<T>(fn: () => T): T;
export function trainMode(): AutogradScope;
export function trainMode<T>(fn?: () => T): T | AutogradScope {
  // Checked before entering, so a bad fn leaves the mode as it was.
  if (fn !== undefined) expectFunction(fn, 'autograd.trainMode', 'fn');
  const scope = enter(null, true);
  return fn ? within(scope, fn) : scope;
}

/** Runs fn in inference mode. */
export function predictMode<T>(fn: () => T): T;
export function predictMode(): AutogradScope;
export function predictMode<T>(fn?: () => T): T | AutogradScope {
  // Checked before entering, so a bad fn leaves the mode as it was.
  if (fn !== undefined) expectFunction(fn, 'autograd.predictMode', 'fn');
  const scope = enter(null, false);
  return fn ? within(scope, fn) : scope;
}

export function isRecording(): boolean {
  return getBackend().isRecording();
}

export function isTraining(): boolean {
  return getBackend().isTraining();
}

/** Switches recording on or off; returns the previous state (MXNet set_recording). */
export function setRecording(on: boolean): boolean {
  return getBackend().setRecording(on);
}

/** Switches training mode; returns the previous state (MXNet set_training). */
export function setTraining(on: boolean): boolean {
  return getBackend().setTraining(on);
}

function sameBackend(arrays: readonly NDArray[], fn: string): Backend {
  const b = getBackend();
  for (const a of arrays) {
    if (!(a instanceof NDArray)) throw new IsotensorError(`${fn}: expected NDArrays, got ${typeof a}`);
    if (a.backend !== b) throw new IsotensorError(`${fn}: an array belongs to another backend`);
  }
  return b;
}

function asList(x: NDArray | readonly NDArray[], fn: string, what: string): NDArray[] {
  const list = x instanceof NDArray ? [x] : Array.isArray(x) ? [...x] : null;
  if (list === null) throw new IsotensorError(`${fn}: ${what} must be an NDArray or a list of them, got ${typeof x}`);
  if (list.length === 0) throw new IsotensorError(`${fn}: no ${what} given`);
  list.forEach((a, i) => expectNDArray(a, fn, `${what}[${i}]`));
  return list;
}

/**
 * Attaches gradient buffers to variables (MXNet mark_variables): `gradients[i]` receives the
 * gradient of `variables[i]` per gradReqs (one value for all, or one each).
 */
export function markVariables(variables: NDArray | readonly NDArray[], gradients: NDArray | readonly NDArray[],
                              gradReqs: GradReq | readonly GradReq[] = 'write'): void {
  const vars = asList(variables, 'markVariables', 'variables');
  const grads = asList(gradients, 'markVariables', 'gradients');
  if (grads.length !== vars.length) {
    throw new IsotensorError(`markVariables: ${vars.length} variables but ${grads.length} gradients`);
  }
  const reqs = typeof gradReqs === 'string' ? vars.map(() => gradReqs) : [...gradReqs];
  if (reqs.length !== vars.length) {
    throw new IsotensorError(`markVariables: ${vars.length} variables but ${reqs.length} gradReqs`);
  }
  const b = sameBackend([...vars, ...grads], 'markVariables');
  b.markVariables(vars.map((v) => v.handle), reqs.map((r) => gradReqCode(r, 'markVariables')),
                  grads.map((g) => g.handle));
  vars.forEach((v, i) => v.setGradBuffer(grads[i]!));
}

function headGradHandles(heads: NDArray[], headGrads: NDArray | readonly (NDArray | null)[] | null | undefined,
                         fn: string): number[] | null {
  if (headGrads === null || headGrads === undefined) return null;
  const list = headGrads instanceof NDArray ? [headGrads] : Array.isArray(headGrads) ? [...headGrads] : null;
  if (list === null) throw new IsotensorError(`${fn}: headGrads must be an NDArray or a list of them, got ${typeof headGrads}`);
  if (list.length !== heads.length) {
    throw new IsotensorError(`${fn}: ${heads.length} heads but ${list.length} headGrads`);
  }
  list.forEach((g, i) => {
    if (g !== null && !(g instanceof NDArray)) {
      throw new IsotensorError(`${fn}: headGrads[${i}] must be an NDArray or null, got ${typeof g}`);
    }
  });
  return list.map((g) => (g === null ? 0 : g.handle));
}

/**
 * Back-propagates from heads into the variables' gradient buffers.
 * @example autograd.backward([loss1, loss2]);
 */
export function backward(heads: NDArray | readonly NDArray[],
                         headGrads: NDArray | readonly (NDArray | null)[] | null = null,
                         opts: BackwardOptions | boolean = {}, trainMode?: boolean): void {
  const o = backwardFlags(opts, trainMode, 'autograd.backward');
  const hs = asList(heads, 'backward', 'heads');
  const b = sameBackend(hs, 'backward');
  b.backward(hs.map((h) => h.handle), headGradHandles(hs, headGrads, 'backward'), [], o.retainGraph ?? false,
             false, o.trainMode ?? true);
}


/** Options of autograd.grad. */
export interface GradOptions {
  headGrads?: NDArray | readonly (NDArray | null)[] | null;
  retainGraph?: boolean | null;
  createGraph?: boolean;
  trainMode?: boolean;
}

/**
 * grad's third argument: an options object, or (MXNet's positional `head_grads, retain_graph,
 * create_graph, train_mode`) head gradients (an NDArray, a list, or null) followed by booleans,
 * which an options bag would otherwise take for options without them and silently replace by the defaults.
 */
function gradOptions(options: GradOptions | NDArray | readonly (NDArray | null)[] | null | undefined,
                     positional: readonly (boolean | null | undefined)[]): GradOptions {
  const isHeadGrads = options === null || options instanceof NDArray || Array.isArray(options);
  if (!isHeadGrads && positional.length > 0) {
    throw new IsotensorError(`autograd.grad: positional retainGraph/createGraph/trainMode follow positional headGrads ` +
                             `(an NDArray, a list or null), got ${kindOf(options)} before them`);
  }
  if (positional.length > 3) throw new IsotensorError(`autograd.grad: at most 6 arguments, got ${3 + positional.length}`);
  const o: GradOptions = isHeadGrads
    ? { headGrads: options as GradOptions['headGrads'], retainGraph: positional[0], createGraph: positional[1] ?? undefined,
        trainMode: positional[2] ?? undefined }
    : { ...optionsOf(options as GradOptions | undefined, 'autograd.grad') };
  for (const k of ['retainGraph', 'createGraph', 'trainMode'] as const) booleanOption(o[k] ?? undefined, 'autograd.grad', k);
  return o;
}

/**
 * Gradients of heads with respect to variables, returned as new arrays (the variables' `grad`
 * buffers are untouched). createGraph records the computation, for higher-order gradients.
 * @example const [dx] = autograd.grad(y, [x], { createGraph: true }); dx.backward();
 */
export function grad(heads: NDArray | readonly NDArray[], variables: NDArray | readonly NDArray[],
                     options: GradOptions | NDArray | readonly (NDArray | null)[] | null = {},
                     ...positional: (boolean | null | undefined)[]): NDArray[] {
  const opts = gradOptions(options, positional);
  const hs = asList(heads, 'grad', 'heads');
  const vs = asList(variables, 'grad', 'variables');
  const b = sameBackend([...hs, ...vs], 'grad');
  const createGraph = opts.createGraph ?? false;
  const out = b.backward(hs.map((h) => h.handle), headGradHandles(hs, opts.headGrads, 'grad'),
                         vs.map((v) => v.handle), opts.retainGraph ?? createGraph, createGraph,
                         opts.trainMode ?? true);
  return out.map((h) => new NDArray(h, b));
}

export { Function } from './function.js';
