// The `sym` namespace: Variable/var, Group, JSON loading, and one function per registered operator (generated).
// SPDX-License-Identifier: Apache-2.0
export * from '../ops/symbol.generated.js';
export {
  Symbol, Variable, Variable as var, Group, fromJSON, fromJSON as loadJSON, load, loadSync, split_v2, split_v2 as splitV2,
} from './symbol.js';
export { contrib } from './control_flow.js';
export type { InitSpec, ShapeResult, SymbolCommonOptions, TypeResult, VariableOptions } from './symbol.js';
