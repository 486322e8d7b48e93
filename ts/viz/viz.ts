// The `mx.viz` namespace: printSummary (layer table) and plotNetwork (Graphviz picture) of a Symbol.
// SPDX-License-Identifier: Apache-2.0
export { Digraph, quote } from './dot.js';
export type { JsonNode, VizSymbol } from './graph_json.js';
export { plotNetwork } from './plot.js';
export type { PlotOptions } from './plot.js';
export { printSummary, summary } from './summary.js';
export type { SummaryOptions } from './summary.js';
