// `mx.contrib`: where MXNet 1.x kept ONNX (`mx.contrib.onnx.import_model`); the same functions as `mx.onnx`.
// SPDX-License-Identifier: Apache-2.0
export * as onnx from './onnx/index.js';
