// isotensor's public entry: `import * as mx from 'isotensor'` (CJS: `require('isotensor')`).
// SPDX-License-Identifier: Apache-2.0
//
// MXNet's programming model for JavaScript: NDArray on an async dependency engine, run by a C++
// core compiled to WebAssembly and to a native Node addon (CPU, CUDA). `await mx.ready()` first.
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
export * as autograd from './autograd/autograd.js';
export * as operator from './ops/operator.js';
/* ---- symbol ---- */
export * as sym from './symbol/index.js';
export * as symbol from './symbol/index.js';
export { Symbol } from './symbol/symbol.js';
export * as name from './symbol/name.js';
export { AttrScope } from './symbol/name.js';
export * as model from './model/checkpoint.js';
/* ---- optimizer ---- */
export * as optimizer from './optimizer/index.js';
export * as lr_scheduler from './lr_scheduler/index.js';
export * as lrScheduler from './lr_scheduler/index.js';
/* ---- executor ---- (importing it also installs Symbol.inferShape/inferType/bind/simpleBind) */
export { Executor } from './symbol/executor.js';
export type { BindOptions, ForwardOptions, PlanStats, SimpleBindOptions } from './symbol/executor.js';
/* ---- module api (io, metric, callback, init, viz, mod) ---- */
export * as io from './io/io.js';
export * as metric from './metric/metric.js';
export * as callback from './callback/callback.js';
export * as init from './init/init.js';
export * as initializer from './init/init.js';
export * as viz from './viz/viz.js';
export * as mod from './module/mod.js';
/* ---- kvstore ---- */
export * as kv from './kvstore/index.js';
export * as kvstore from './kvstore/index.js';
/* ---- gluon ---- */
export * as gluon from './gluon/index.js';
/* ---- onnx ---- */
export * as onnx from './onnx/index.js';
export * as image from './image/index.js';
export * as recordio from './recordio/index.js';
export * as contrib from './contrib.js';
