// The `nd` namespace: every registered operator (generated), overridden by the hand-written helpers.
// SPDX-License-Identifier: Apache-2.0
//
// Explicit exports win over `export *`, so where a helper and a generated op share a name the
// helper is what users get; the op stays reachable under its MXNet name when that differs
// (nd.zeros is the helper, nd._zeros the op). scripts/gen-ops.mjs reads the names exported here.
export * from '../ops/ndarray.generated.js';
export { NDArray } from './ndarray.js';
export type {
  Axis, NestedNumbers, NormOptions, ReduceOptions, SetValue, SortOptions, TopkOptions,
} from './ndarray.js';
export type { SplitV2Options as SplitV2FrontOptions } from './method_calls.js';
export { arange, array, empty, eye, full, fullLike, ones, onesLike, zeros, zerosLike } from './creation.js';
export type { ArangeOptions, ArrayOptions, CreationOptions, EyeOptions } from './creation.js';
export {
  abs, add, argmax, argmin, argsort, clip, div, dot, equal, exp, expandDims, flatten, flip, greater, greaterEqual,
  lesser, lesserEqual, log, max, maximum, mean, min, minimum, mod, mul, neg, norm, notEqual, pow, prod, relu, repeat,
  sigmoid, sort, split_v2, split_v2 as splitV2, sqrt, square, squeeze, sub, sum, tanh, tile, topk, transpose,
} from './math.js';
export { deserialize, load, loadSync, save, saveSync, serialize, serializeAsync } from './io.js';
export type { ByteSource, NDArrayCollection } from './io.js';
export * as random from './random.js';
export { contrib } from './control_flow.js';
export { waitAll, waitAllAsync } from '../backend/runtime.js';
