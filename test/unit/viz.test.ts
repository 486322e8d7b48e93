// mx.viz against MXNet 1.9's own print_summary and plot_network (test/fixtures/module/gen_viz.py runs
// MXNet's visualization.py on the same symbol JSON and shapes): the table text and the DOT source must
// match byte for byte; the DOT renders to SVG through Graphviz (WebAssembly).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { viz, sym } = mx;
type Arr = any;

interface Net {
  name: string;
  json: string;
  shape: Record<string, number[]>;
  summary: string;
  summary_narrow: string;
  dot: string;
  dot_noshape: string;
  dot_weights: string;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/module/viz.json', import.meta.url), 'utf8')) as { nets: Net[] };

beforeAll(async () => {
  await mx.ready();
  announceBackend('viz');
});

describe('printSummary and plotNetwork match MXNet', () => {
  for (const net of fixture.nets) {
    it(`${net.name}: summary table`, () => {
      const s = sym.fromJSON(net.json);
      expect(viz.summary(s, net.shape) + '\n').toBe(net.summary);
      expect(viz.summary(s, net.shape, { lineLength: 80, positions: [30, 50, 60, 80] }) + '\n').toBe(net.summary_narrow);
      const lines: string[] = [];
      const text = viz.printSummary(s, net.shape, { print: (l: string) => lines.push(l) });
      expect(lines.join('\n')).toBe(text);
      // The Symbol method the issue names prints the same table.
      expect(s.printSummary(net.shape, { print: () => {} }) + '\n').toBe(net.summary);
    });

    it(`${net.name}: DOT source with shapes, without, and with weights shown`, () => {
      const s = sym.fromJSON(net.json);
      expect(viz.plotNetwork(s, { shape: net.shape }).source).toBe(net.dot);
      expect(viz.plotNetwork(s).source).toBe(net.dot_noshape);
      expect(viz.plotNetwork(s, { title: 'net', shape: net.shape, hideWeights: false, nodeAttrs: { fixedsize: 'false', fontsize: '9' } }).source)
        .toBe(net.dot_weights);
    });
  }

  it('a symbol built in TS gives the same table as its MXNet JSON', () => {
    const data = sym.Variable('data');
    let net = sym.FullyConnected({ data, numHidden: 64, name: 'fc1' });
    net = sym.Activation({ data: net, actType: 'relu', name: 'relu1' });
    net = sym.FullyConnected({ data: net, numHidden: 10, name: 'fc2' });
    net = sym.SoftmaxOutput({ data: net, name: 'softmax' });
    const mlp = fixture.nets.find((n) => n.name === 'mlp')!;
    expect(viz.summary(net, { data: [2, 64] }) + '\n').toBe(mlp.summary);
    expect(viz.plotNetwork(net, { shape: { data: [2, 64] } }).source).toBe(mlp.dot);
  });

  it('without shapes the table has no output shapes (and no BatchNorm parameter count)', () => {
    const cnn = fixture.nets.find((n) => n.name === 'cnn')!;
    const t = viz.summary(sym.fromJSON(cnn.json));
    expect(t).toContain('conv1(Convolution)');
    expect(t).toMatch(/bn1\(BatchNorm\) +0 +conv1/);
    expect(t).not.toContain('8x8x8');
  });
});

describe('rendering', () => {
  it('toSVG lays the graph out with Graphviz', async () => {
    const cnn = fixture.nets.find((n) => n.name === 'cnn')!;
    const g = viz.plotNetwork(sym.fromJSON(cnn.json), { shape: cnn.shape });
    const svg = await g.toSVG();
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    // every drawn node and edge is in the picture, with the MXNet colours and the shape labels
    for (const n of ['data', 'conv1', 'bn1', 'relu1', 'pool1', 'flatten0', 'fc', 'softmax']) expect(svg).toContain(`<title>${n}</title>`);
    expect(svg).toContain('<title>conv1&#45;&gt;data</title>');
    expect(svg).toContain('fill="#fb8072"');
    expect(svg).toContain('>8x4x4</text>');
    expect(svg).not.toContain('conv1_weight');
    // other Graphviz formats go through pipe()
    const plain = await g.pipe('plain');
    expect(plain.split('\n')[0]).toMatch(/^graph /);
  });

  it('quotes identifiers as Python graphviz does', () => {
    expect(viz.quote('abc_1')).toBe('abc_1');
    expect(viz.quote('-1.5')).toBe('-1.5');
    expect(viz.quote('node')).toBe('"node"');
    expect(viz.quote('a b')).toBe('"a b"');
    expect(viz.quote('say "hi"')).toBe('"say \\"hi\\""');
    expect(viz.quote('<b>html</b>')).toBe('<b>html</b>');
    const g = new viz.Digraph('my graph');
    g.node('x', 'X', { color: 'red' });
    g.edge('x', 'y');
    expect(g.source).toBe('digraph "my graph" {\n\tx [label=X color=red]\n\tx -> y\n}\n');
  });
});

describe('bad input', () => {
  it('non-symbols, incomplete shapes and duplicate names', () => {
    expect(() => viz.summary({} as Arr)).toThrow(mx.IsotensorError);
    expect(() => viz.plotNetwork(null as Arr)).toThrow(mx.IsotensorError);
    const a = sym.Variable('x'), b = sym.Variable('x');
    const dup = a.add(b);
    const warnings: string[] = [];
    viz.plotNetwork(dup, { onWarning: (m: string) => warnings.push(m) });
    expect(warnings[0]).toMatch(/multiple variables with the same name.*Repeated names: x/);
    const net = sym.FullyConnected({ data: sym.Variable('data'), numHidden: 3, name: 'fc' });
    expect(() => viz.summary(net, { nope: [1, 2] })).toThrow(mx.IsotensorError);
  });
});
