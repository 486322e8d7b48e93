// printSummary: MXNet's print_summary layer table (Layer (type), Output Shape, Param #, Previous Layer, totals).
// SPDX-License-Identifier: Apache-2.0
import { graphOf, shapeDict, str2tuple, type JsonNode, type VizSymbol } from './graph_json.js';

/** Options of printSummary. */
export interface SummaryOptions {
  /** Total width of the table (default 120). */
  lineLength?: number;
  /** Column ends, as fractions of lineLength (≤ 1) or absolute positions (default [0.44, 0.64, 0.74, 1]). */
  positions?: number[];
  /** Where the lines go (default console.log); summary() returns the text instead. */
  print?: (line: string) => void;
}

/**
 * The summary table as text, line for line what MXNet's mx.viz.print_summary prints: one row per
 * operator (and the first input), its output shape without the batch axis, its parameter count
 * (Convolution, FullyConnected, BatchNorm, Embedding, counted the way MXNet counts them) and the
 * layers feeding it; then the total.
 * @example console.log(mx.viz.summary(net, { data: [1, 64] }))
 */
export function summary(symbol: VizSymbol, shape: Record<string, readonly number[]> | null = null, opts: SummaryOptions = {}): string {
  const lineLength = opts.lineLength ?? 120;
  let positions = opts.positions ?? [0.44, 0.64, 0.74, 1.0];
  const showShape = shape !== null && shape !== undefined;
  const shapes = showShape ? shapeDict(symbol, shape, 'printSummary') : new Map<string, number[]>();
  const { nodes, heads: headList } = graphOf(symbol, 'printSummary');
  // MXNet takes set(heads[0]): the entry's node id, output index and version all count as "heads".
  const heads = new Set<number>(headList[0] ?? []);
  if (positions[positions.length - 1]! <= 1) positions = positions.map((p) => Math.trunc(lineLength * p));
  const out: string[] = [];
  const printRow = (fields: (string | number)[]) => {
    let line = '';
    fields.forEach((f, i) => {
      line += String(f);
      line = line.slice(0, positions[i]);
      line += ' '.repeat(Math.max(0, positions[i]! - line.length));
    });
    out.push(line);
  };
  out.push('_'.repeat(lineLength));
  printRow(['Layer (type)', 'Output Shape', 'Param #', 'Previous Layer']);
  out.push('='.repeat(lineLength));

  const layer = (node: JsonNode, outShape: number[]): number => {
    const op = node.op;
    const attrs = node.attrs ?? {};
    const pre: string[] = [];
    let preFilter = 0;
    if (op !== 'null') {
      for (const item of node.inputs) {
        const inNode = nodes[item[0]!]!;
        if (inNode.op !== 'null' || heads.has(item[0]!)) {
          pre.push(inNode.name);
          if (showShape) {
            const key = inNode.op !== 'null' ? `${inNode.name}_output` : inNode.name;
            const s = shapes.get(key);
            if (s !== undefined) preFilter += Math.trunc(s[1] ?? 0);
          }
        }
      }
    }
    let cur = 0;
    if (op === 'Convolution') {
      const group = Math.trunc(Number(attrs.num_group ?? '1'));
      cur = Math.floor((preFilter * Math.trunc(Number(attrs.num_filter))) / group);
      for (const k of str2tuple(attrs.kernel)) cur *= Math.trunc(Number(k));
      if (!(attrs.no_bias === 'True')) cur += Math.trunc(Number(attrs.num_filter));
    } else if (op === 'FullyConnected') {
      cur = attrs.no_bias === 'True' ? preFilter * Math.trunc(Number(attrs.num_hidden)) : (preFilter + 1) * Math.trunc(Number(attrs.num_hidden));
    } else if (op === 'BatchNorm') {
      if (showShape) cur = Math.trunc(shapes.get(`${node.name}_output`)![1]!) * 2;
    } else if (op === 'Embedding') {
      cur = Math.trunc(Number(attrs.input_dim)) * Math.trunc(Number(attrs.output_dim));
    }
    printRow([`${node.name}(${op})`, outShape.join('x'), cur, pre[0] ?? '']);
    for (const p of pre.slice(1)) printRow(['', '', '', p]);
    return cur;
  };

  let total = 0;
  nodes.forEach((node, i) => {
    let outShape: number[] = [];
    if (node.op === 'null' && i > 0) return;
    if ((node.op !== 'null' || heads.has(i)) && showShape) {
      const key = node.op !== 'null' ? `${node.name}_output` : node.name;
      const s = shapes.get(key);
      if (s !== undefined) outShape = s.slice(1);
    }
    total += layer(node, outShape);
    out.push((i === nodes.length - 1 ? '=' : '_').repeat(lineLength));
  });
  out.push(`Total params: ${total}`);
  out.push('_'.repeat(lineLength));
  return out.join('\n');
}

/**
 * Prints the layer table of a symbol (MXNet's mx.viz.print_summary) and returns its text.
 * `shape` gives the input shapes (then output shapes and BatchNorm parameters are shown).
 * @example mx.viz.printSummary(net, { data: [1, 1, 28, 28] })
 */
export function printSummary(symbol: VizSymbol, shape: Record<string, readonly number[]> | null = null,
                             opts: SummaryOptions = {}): string {
  const text = summary(symbol, shape, opts);
  const print = opts.print ?? ((l: string) => console.log(l));
  for (const line of text.split('\n')) print(line);
  return text;
}
