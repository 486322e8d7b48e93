// gluon.modelZoo (MXNet's gluon.model_zoo): predefined networks with MXNet's parameter names; no weights bundled.
// SPDX-License-Identifier: Apache-2.0
export * as vision from './vision/index.js';
