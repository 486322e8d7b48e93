// nd.contrib.foreach / while_loop / cond: MXNet's imperative control flow, a loop in JS over recorded ops (ndarray/contrib.py).
// SPDX-License-Identifier: Apache-2.0
//
// Each step calls ordinary ops, so autograd records them and gradients flow through the loop. The
// symbolic forms (sym.contrib.*) build one op node instead; both give the same values.
import { IsotensorError } from '../base/error.js';
import { flattenNested, regroupNested, type Nested, type NestedFormat } from '../base/nested_list.js';
import { Concat, contrib as generatedContrib, stack } from '../ops/ndarray.generated.js';
import { zeros } from './creation.js';
import { NDArray } from './ndarray.js';

const isArray = (x: unknown): x is NDArray => x instanceof NDArray;

function flatten(args: Nested<NDArray>, what: string): [NDArray[], NestedFormat] {
  return flattenNested(args, isArray, () => 1, what);
}

function checkArrays(xs: readonly unknown[], msg: string): void {
  if (!xs.every(isArray)) throw new IsotensorError(msg);
}

// MXNet's _to_python_scalar(x, bool): a one-element array's truth.
function truth(x: unknown, what: string): boolean {
  if (x instanceof NDArray) {
    if (x.size !== 1) throw new IsotensorError(`${what} must have exactly one element, got shape (${x.shape.join(', ')})`);
    return x.asScalar() !== 0;
  }
  if (typeof x === 'number' || typeof x === 'boolean') return Boolean(x);
  throw new IsotensorError(`Cannot convert ${what} to a boolean`);
}

/**
 * Runs `body` over axis 0 of `data` (MXNet's `nd.contrib.foreach`): `body(dataStep, states)` returns
 * `[outputs, newStates]`; the result is `[outputs stacked over the steps, final states]`.
 * @example
 * ```ts
 * const [outs, states] = nd.contrib.foreach((x, s) => [x.add(s[0]), [s[0].mul(2)]], nd.ones([3, 2]), [nd.zeros([2])]);
 * ```
 */
export function foreach(body: (data: Nested<NDArray>, states: Nested<NDArray>) => [Nested<NDArray>, Nested<NDArray>],
                        data: Nested<NDArray>, initStates: Nested<NDArray>): [Nested<NDArray>, Nested<NDArray>] {
  const [flatData] = flatten(data, 'foreach input');
  checkArrays(flatData, 'data should be an NDArray or a nested list of NDArrays');
  const [flatStates] = flatten(initStates, 'foreach states');
  checkArrays(flatStates, 'init_states should be an NDArray or a nested list of NDArrays');
  if (flatData.length === 0) throw new IsotensorError('foreach: data must hold at least one NDArray');
  const single = data instanceof NDArray;
  const steps = flatData[0]!.shape[0] ?? 0;
  let states = initStates;
  const outputs: NDArray[][] = [];
  let outFmt: NestedFormat = 0;
  for (let i = 0; i < steps; i++) {
    const eles: Nested<NDArray> = single ? (data as NDArray).at(i) : flatData.map((d) => d.at(i));
    const r = body(eles, states);
    if (!Array.isArray(r) || r.length !== 2) throw new IsotensorError('foreach: the body must return [outputs, states]');
    const [outs, fmt] = flatten(r[0] as Nested<NDArray>, 'foreach output');
    checkArrays(outs, 'the output should be an NDArray or a nested list of NDArrays');
    outputs.push(outs);
    outFmt = fmt;
    states = r[1];
  }
  const stacked: NDArray[] = [];
  const width = outputs[0]?.length ?? 0;
  for (let k = 0; k < width; k++) stacked.push(stack(outputs.map((o) => o[k]!)));
  return [width > 0 ? regroupNested(stacked, outFmt)[0] : [], states];
}

/**
 * A while loop (MXNet's `nd.contrib.while_loop`): while `cond(...loopVars)` is non-zero and fewer than
 * `maxIterations` steps ran, `func(...loopVars)` returns `[stepOutputs, newLoopVars]`. The result is
 * `[step outputs stacked to maxIterations rows, final loop variables]`; rows past the last step are zero
 * (MXNet leaves them uninitialised).
 * @example
 * ```ts
 * const [outs, [i, s]] = nd.contrib.while_loop((i, s) => i.lesserEqual(5), (i, s) => [[i.add(s)], [i.add(1), s.add(i)]],
 *                                             [nd.array([0]), nd.array([1])], { maxIterations: 10 });
 * ```
 */
export function while_loop(cond: (...vars: NDArray[]) => NDArray | number | boolean,
                           func: (...vars: NDArray[]) => [Nested<NDArray> | null, Nested<NDArray> | null],
                           loopVars: NDArray | readonly NDArray[],
                           opts: { maxIterations?: number; max_iterations?: number } = {}): [Nested<NDArray>, Nested<NDArray>] {
  const maxIterations = opts.maxIterations ?? opts.max_iterations;
  if (maxIterations === undefined) throw new IsotensorError('max_iterations should be specified');
  if (!Number.isInteger(maxIterations) || maxIterations < 0) {
    throw new IsotensorError(`while_loop: max_iterations must be a non-negative integer, got ${maxIterations}`);
  }
  const single = loopVars instanceof NDArray;
  let vars: NDArray[] = single ? [loopVars] : [...(loopVars as readonly NDArray[])];
  if (vars.length === 0) throw new IsotensorError('loop_vars should contain at least one element');
  checkArrays(vars, 'loop_vars should be an NDArray or a list of NDArrays');
  const outputs: NDArray[][] = [];
  let outFmt: NestedFormat | null = null;
  let steps = 0;
  while (steps < maxIterations && truth(cond(...vars), 'Return value of cond')) {
    const r = func(...vars);
    if (!Array.isArray(r) || r.length !== 2) throw new IsotensorError('while_loop: func must return [stepOutput, newLoopVars]');
    const [stepOut, fmt] = flatten((r[0] ?? []) as Nested<NDArray>, 'while output');
    const [newVars] = flatten((r[1] ?? []) as Nested<NDArray>, 'while loop_vars');
    checkArrays([...stepOut, ...newVars], 'while_loop: func must return NDArrays');
    if (newVars.length !== vars.length) throw new IsotensorError('The number of loop_vars should be consistent during the loop');
    if (outputs.length > 0 && stepOut.length !== outputs[0]!.length) {
      throw new IsotensorError('Number of elements in step_output should be the same in each step');
    }
    outputs.push(stepOut);
    outFmt = fmt;
    vars = newVars;
    steps++;
  }
  const stacked: NDArray[] = [];
  for (let k = 0; k < (outputs[0]?.length ?? 0); k++) {
    const items = outputs.map((o) => o[k]!.expandDims(0));
    if (steps !== maxIterations) {
      const first = items[0]!;
      items.push(zeros([maxIterations - steps, ...first.shape.slice(1)], { ctx: first.context, dtype: first.dtype }));
    }
    stacked.push(Concat(items, { dim: 0 }));
  }
  const result = outFmt === null ? [] : regroupNested(stacked, outFmt)[0];
  return [result, single ? vars[0]! : vars];
}

/**
 * If-then-else on a one-element `pred` (MXNet's `nd.contrib.cond`): `thenFunc()` when pred is non-zero,
 * else `elseFunc()`; only the taken branch runs.
 * @example nd.contrib.cond(a.sum().lesser(b.sum()), () => a.add(b), () => a.sub(b))
 */
export function cond<T>(pred: NDArray | number | boolean, thenFunc: () => T, elseFunc: () => T): T {
  return truth(pred, 'pred') ? thenFunc() : elseFunc();
}

/** nd.contrib: the generated _contrib_* ops plus the control-flow functions. */
export const contrib = { ...generatedContrib, foreach, while_loop, whileLoop: while_loop, cond } as const;
