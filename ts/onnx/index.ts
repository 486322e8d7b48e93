// The `mx.onnx` namespace: import ONNX models as Symbols, run them in a session, export Symbols to ONNX.
// SPDX-License-Identifier: Apache-2.0
export { getModelMetadata, getModelMetadataSync, importModel, importModelSync } from './import.js';
export type { ImportedModel, ImportOptions, ModelMetadata } from './import.js';
export { InferenceSession } from './session.js';
export type { SessionOptions } from './session.js';
export type { ModelSource } from './source.js';
export { supportedOps } from './convert.js';
export { readTensor, readTensorSync, readValue, readValueSync, writeTensor } from './tensor_io.js';
export { elementType } from './tensor.js';
export { StringTensor } from './strings.js';
export type { OnnxValue, OnnxValueKind, ReadValueOptions } from './tensor_io.js';
export { exportableOps, exportModel } from './export.js';
export type { ExportOptions } from './export.js';
