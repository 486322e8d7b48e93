// Digraph: DOT source written as Python's graphviz package writes it (MXNet's plot_network returns one), rendered by @viz-js/viz.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { nodeFs } from '../base/node_builtin.js';

const ID = /^([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$/;
const KEYWORDS = new Set(['node', 'edge', 'graph', 'digraph', 'subgraph', 'strict']);
const HTML = /^<.*>$/s;

/** graphviz.quoting.quote: bare when a DOT ID (and not a keyword) or an HTML label, else double-quoted. */
export function quote(id: string): string {
  if (HTML.test(id)) return id;
  if (!ID.test(id) || KEYWORDS.has(id.toLowerCase())) {
    // Escape quotes that are not escaped yet (\" stays as is).
    return `"${id.replace(/((?:\\\\)*)\\?"/g, '$1\\"')}"`;
  }
  return id;
}

function attrList(label: string | undefined, attrs: Record<string, string | number>): string {
  const items: string[] = [];
  if (label !== undefined) items.push(`label=${quote(label)}`);
  // Plain dicts are written with sorted keys, as graphviz.tools.mapping_items does.
  for (const k of Object.keys(attrs).sort()) items.push(`${quote(k)}=${quote(String(attrs[k]))}`);
  return items.length > 0 ? ` [${items.join(' ')}]` : '';
}

type VizModule = { instance(): Promise<{ renderString(src: string, opts: { format: string; engine?: string }): string }> };
let vizPromise: Promise<Awaited<ReturnType<VizModule['instance']>>> | null = null;

/** The @viz-js/viz instance (Graphviz compiled to WebAssembly), loaded on first use. */
async function viz(): Promise<Awaited<ReturnType<VizModule['instance']>>> {
  if (vizPromise === null) {
    vizPromise = (async () => {
      let mod: VizModule;
      try {
        mod = (await import('@viz-js/viz')) as unknown as VizModule;
      } catch (e) {
        throw new IsotensorError('mx.viz: rendering needs the @viz-js/viz package (npm install @viz-js/viz)', { cause: e });
      }
      return mod.instance();
    })();
    vizPromise.catch(() => { vizPromise = null; });
  }
  return vizPromise;
}

/**
 * A directed graph: `.source` is the DOT text; `toSVG()` lays it out with Graphviz (WebAssembly,
 * Node and browsers alike).
 * @example const g = mx.viz.plotNetwork(net); console.log(g.source); const svg = await g.toSVG();
 */
export class Digraph {
  readonly name: string;
  readonly format: string;
  readonly body: string[] = [];

  constructor(name = 'plot', format = 'svg') {
    this.name = name;
    this.format = format;
  }

  /** Adds a node (graphviz's dot.node(name, label, **attrs)). */
  node(name: string, label?: string, attrs: Record<string, string | number> = {}): void {
    this.body.push(`\t${quote(name)}${attrList(label, attrs)}`);
  }

  /** Adds an edge tail -> head (graphviz's dot.edge(tail, head, label, **attrs)). */
  edge(tail: string, head: string, label?: string, attrs: Record<string, string | number> = {}): void {
    this.body.push(`\t${quote(tail)} -> ${quote(head)}${attrList(label, attrs)}`);
  }

  /** The DOT source. */
  get source(): string {
    return `digraph ${this.name ? quote(this.name) + ' ' : ''}{\n${this.body.map((l) => `${l}\n`).join('')}}\n`;
  }

  toString(): string {
    return this.source;
  }

  /** The graph rendered by Graphviz in `format` ('svg' default; also 'dot', 'xdot', 'json', 'plain'). */
  async pipe(format: string = this.format): Promise<string> {
    const v = await viz();
    try {
      return v.renderString(this.source, { format, engine: 'dot' });
    } catch (e) {
      throw new IsotensorError(`mx.viz: Graphviz could not render the graph: ${(e as Error).message}`, { cause: e });
    }
  }

  /** The picture as SVG text. */
  async toSVG(): Promise<string> {
    return this.pipe('svg');
  }

  /** Writes the rendered graph to `path` (Node), in `format` (default: the graph's). Returns the path. */
  async render(path: string, format: string = this.format): Promise<string> {
    const text = await this.pipe(format);
    await nodeFs('Digraph.render', 'elsewhere use toSVG() or source').promises.writeFile(path, text);
    return path;
  }
}
