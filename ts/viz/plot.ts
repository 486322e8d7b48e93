// plotNetwork: MXNet's plot_network — the graph as DOT (node colours per op kind, shapes on edges), SVG via Graphviz.
// SPDX-License-Identifier: Apache-2.0
import { Digraph } from './dot.js';
import { graphOf, shapeDict, str2tuple, typeDict, type VizSymbol } from './graph_json.js';

/** Options of plotNetwork (MXNet's keyword arguments). */
export interface PlotOptions {
  /** Graph name (default 'plot'). */
  title?: string;
  /** Default output format of render()/pipe() (default 'svg'). */
  saveFormat?: string;
  /** Input shapes: edges are labelled with the shapes flowing along them (batch axis dropped). */
  shape?: Record<string, readonly number[]> | null;
  /** Input dtypes: edge labels get `(dtype)`. */
  dtype?: Record<string, string> | null;
  /** Graphviz node attributes that override the defaults (shape box, 1.3 x 0.8034, filled). */
  nodeAttrs?: Record<string, string | number>;
  /** Leave out weight/bias/gamma/beta/moving-statistics inputs (default true). */
  hideWeights?: boolean;
  /** Called with MXNet's warning when several nodes share a name. */
  onWarning?: (message: string) => void;
}

// MXNet's palette: inputs, conv/fc, activations, batchnorm, pooling, concat/flatten/reshape, softmax, others.
const CM = ['#8dd3c7', '#fb8072', '#ffffb3', '#bebada', '#80b1d3', '#fdb462', '#b3de69', '#fccde5'];
const WEIGHT_LIKE = ['_weight', '_bias', '_beta', '_gamma', '_moving_var', '_moving_mean', '_running_var', '_running_mean'];

/**
 * The network as a Graphviz digraph, built exactly as MXNet's mx.viz.plot_network builds it:
 * inputs are ovals, Convolution/FullyConnected red with kernel/stride/filters or units, activations
 * yellow, BatchNorm purple, Pooling blue, Concat/Flatten/Reshape orange, Softmax green, the rest
 * pink; edges point from a layer back to its inputs and carry the shapes when `shape` is given.
 * `.source` is the DOT text, `await .toSVG()` the picture.
 * @example const g = mx.viz.plotNetwork(net, { shape: { data: [1, 64] } }); const svg = await g.toSVG();
 */
export function plotNetwork(symbol: VizSymbol, opts: PlotOptions = {}): Digraph {
  const hideWeights = opts.hideWeights ?? true;
  const drawShape = opts.shape !== null && opts.shape !== undefined;
  const drawType = opts.dtype !== null && opts.dtype !== undefined;
  const shapes = drawShape ? shapeDict(symbol, opts.shape!, 'plotNetwork') : new Map<string, number[]>();
  const types = drawType ? typeDict(symbol, opts.dtype!, 'plotNetwork') : new Map<string, string>();
  const { nodes } = graphOf(symbol, 'plotNetwork');
  const names = nodes.map((n) => n.name);
  if (new Set(names).size !== names.length) {
    const seen = new Set<string>(), repeated = new Set<string>();
    for (const n of names) { if (seen.has(n)) repeated.add(n); seen.add(n); }
    const msg = 'There are multiple variables with the same name in your graph, this may result in cyclic graph. ' +
      `Repeated names: ${[...repeated].join(',')}`;
    (opts.onWarning ?? ((m: string) => console.warn(m)))(msg);
  }
  const nodeAttr: Record<string, string | number> = {
    shape: 'box', fixedsize: 'true', width: '1.3', height: '0.8034', style: 'filled', ...(opts.nodeAttrs ?? {}),
  };
  const dot = new Digraph(opts.title ?? 'plot', opts.saveFormat ?? 'svg');
  const hidden = new Set<string>();

  for (const node of nodes) {
    const { op, name } = node;
    const a = node.attrs ?? {};
    const attr = { ...nodeAttr };
    let label = name;
    if (op === 'null') {
      if (WEIGHT_LIKE.some((s) => name.endsWith(s))) {
        // Hidden weights leave no edge; shown ones get no node of their own (Graphviz draws a plain oval).
        if (hideWeights) hidden.add(name);
        continue;
      }
      attr.shape = 'oval';
      attr.fillcolor = CM[0]!;
    } else if (op === 'Convolution') {
      const stride = 'stride' in a ? str2tuple(a.stride).join('x') : '1';
      label = `Convolution\n${str2tuple(a.kernel).join('x')}/${stride}, ${a.num_filter}`;
      attr.fillcolor = CM[1]!;
    } else if (op === 'FullyConnected') {
      label = `FullyConnected\n${a.num_hidden}`;
      attr.fillcolor = CM[1]!;
    } else if (op === 'BatchNorm') {
      attr.fillcolor = CM[3]!;
    } else if (op === 'Activation') {
      label = `Activation\n${a.act_type}`;
      attr.fillcolor = CM[2]!;
    } else if (op === 'LeakyReLU') {
      label = `LeakyReLU\n${a.act_type ?? 'Leaky'}`;
      attr.fillcolor = CM[2]!;
    } else if (op === 'Pooling') {
      const kernel = 'kernel' in a ? str2tuple(a.kernel).join('x') : '[]';
      const stride = 'stride' in a ? str2tuple(a.stride).join('x') : '1';
      label = `Pooling\n${a.pool_type}, ${kernel}/${stride}`;
      attr.fillcolor = CM[4]!;
    } else if (op === 'Concat' || op === 'Flatten' || op === 'Reshape') {
      attr.fillcolor = CM[5]!;
    } else if (op === 'Softmax') {
      attr.fillcolor = CM[6]!;
    } else {
      attr.fillcolor = CM[7]!;
      if (op === 'Custom') label = a.op_type ?? label;
    }
    dot.node(name, label, attr);
  }

  for (const node of nodes) {
    if (node.op === 'null') continue;
    const inputs = node.op === '_contrib_BilinearResize2D' ? node.inputs.slice(0, 1) : node.inputs;
    for (const item of inputs) {
      const inNode = nodes[item[0]!]!;
      if (hidden.has(inNode.name)) continue;
      let label = '';
      let key = inNode.name;
      if (inNode.op !== 'null') {
        key = `${inNode.name}_output`;
        const no = inNode.attrs?.num_outputs;
        if (no !== undefined) key += String(Math.trunc(Number(no)) - 1);
      }
      if (drawShape) label = (shapes.get(key) ?? []).slice(1).join('x');
      if (drawType) label += `(${types.get(key)})`;
      dot.edge(node.name, inNode.name, label, { dir: 'back', arrowtail: 'open' });
    }
  }
  return dot;
}
