// isotensor's inference-only entry: `import * as mx from 'isotensor/infer'` — NDArray, operators, Symbol
// graphs and their executor, MXNet's file formats; no Gluon, optimizers or training loops (a smaller bundle
// for browsers and edge runtimes).
// SPDX-License-Identifier: Apache-2.0
export { configureWasm, numGpus, ready, runtimeInfo, setBackend, waitAll, waitAllAsync } from './backend/runtime.js';
export type { RuntimeInfo, WasmOptions } from './backend/runtime.js';
export * as engine from './backend/engine.js';
export type { BackendName } from './backend/backend.js';
export { Context, cpu, currentContext, gpu, setDefaultContext, withContext } from './base/context.js';
export type { DeviceType } from './base/context.js';
export { IsotensorError } from './base/error.js';
export type { DataArray, DataArrayMap, DType, NumberArray, NumberDType, TypedArray } from './base/dtype.js';
export { keep, memoryInfo, memoryRelease, scope } from './ndarray/lifetime.js';
export type { MemoryInfo } from './ndarray/lifetime.js';
export { NDArray } from './ndarray/ndarray.js';
export * as nd from './ndarray/nd.js';
export * as random from './ndarray/random.js';
export * as sym from './symbol/index.js';
export * as symbol from './symbol/index.js';
export { Symbol } from './symbol/symbol.js';
export * as name from './symbol/name.js';
export { AttrScope } from './symbol/name.js';
export * as model from './model/checkpoint.js';
/* importing the executor also installs Symbol.inferShape/inferType/bind/simpleBind */
export { Executor } from './symbol/executor.js';
export type { BindOptions, ForwardOptions, PlanStats, SimpleBindOptions } from './symbol/executor.js';
/* ONNX models: import as a Symbol, run in a session, export */
export * as onnx from './onnx/index.js';
/* Decoding image files (inference inputs) */
export * as image from './image/index.js';
