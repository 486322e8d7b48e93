// The parts of MXNet's symbol JSON and Symbol API that mx.viz reads (nodes, heads, attrs; internals' shapes).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';

/** A node of MXNet's symbol JSON. */
export interface JsonNode {
  op: string;
  name: string;
  attrs?: Record<string, string>;
  inputs: number[][];
}

/** What mx.viz needs of a Symbol. */
export interface VizSymbol {
  toJSON(): string;
  getInternals(): VizSymbol;
  listOutputs(): string[];
  inferShape(shapes: Record<string, readonly number[]>): { outShapes: number[][] | null } | null;
  inferType?(types: Record<string, string>): { outTypes: string[] | null } | null;
}

/** Nodes and heads of a symbol's JSON; the legacy `param`/`attr` keys are read as `attrs`. */
export function graphOf(sym: VizSymbol, who: string): { nodes: JsonNode[]; heads: number[][] } {
  if (sym === null || typeof sym !== 'object' || typeof sym.toJSON !== 'function') {
    throw new IsotensorError(`${who}: symbol must be a Symbol`);
  }
  const conf = JSON.parse(sym.toJSON()) as { nodes: (JsonNode & { param?: Record<string, string>; attr?: Record<string, string> })[]; heads: number[][] };
  const nodes = conf.nodes.map((n) => ({ ...n, attrs: n.attrs ?? n.attr ?? n.param ?? {}, inputs: n.inputs ?? [] }));
  return { nodes, heads: conf.heads ?? [] };
}

/** name → shape of every internal output (MXNet's shape_dict), from complete input shapes. */
export function shapeDict(sym: VizSymbol, shapes: Record<string, readonly number[]>, who: string): Map<string, number[]> {
  const internals = sym.getInternals();
  const r = internals.inferShape(shapes);
  if (r === null || r.outShapes === null || r.outShapes === undefined) throw new IsotensorError(`${who}: Input shape is incomplete`);
  const names = internals.listOutputs();
  return new Map(names.map((n, i) => [n, r.outShapes![i]!]));
}

/** name → dtype of every internal output. */
export function typeDict(sym: VizSymbol, types: Record<string, string>, who: string): Map<string, string> {
  const internals = sym.getInternals();
  if (typeof internals.inferType !== 'function') throw new IsotensorError(`${who}: this symbol cannot infer types`);
  const r = internals.inferType(types);
  if (r === null || r.outTypes === null || r.outTypes === undefined) throw new IsotensorError(`${who}: Input type is incomplete`);
  const names = internals.listOutputs();
  return new Map(names.map((n, i) => [n, r.outTypes![i]!]));
}

/** The digit groups of an attribute such as kernel='(3, 3)' (MXNet's _str2tuple). */
export function str2tuple(s: string | undefined): string[] {
  return s === undefined ? [] : s.match(/\d+/g) ?? [];
}
