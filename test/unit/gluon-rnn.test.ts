// gluon.rnn: RNN/LSTM/GRU layers and RNNCell/LSTMCell/GRUCell, SequentialRNNCell, BidirectionalCell, ResidualCell
// (step and unroll, valid lengths) against torch.nn.RNN/LSTM/GRU with MXNet's weights copied in, imperative and
// hybridized; MXNet's parameter names, saved names and begin states; traced into symbols; bad input.
//
// test/fixtures/gluon-layers/rnn.json comes from test/fixtures/gluon-layers/gen_gluon_layers.py.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { fresh, gluonSpec } from '../helpers/gluon-spec';
import { expectError } from '../helpers/errors';
import { expectClose, fromFixture, type FixtureArray } from '../helpers/gluon-fixtures';

const { nd, sym, gluon, autograd } = mx;
const { rnn, nn } = gluon;
type Arr = any;

interface RnnCase {
  name: string;
  kind: 'layer' | 'step' | 'unroll';
  layer?: string;
  cell?: string;
  structure?: 'single' | 'stack2' | 'bidir';
  args: unknown[];
  opts: Record<string, unknown>;
  length?: number;
  layout?: string;
  mergeOutputs?: boolean;
  residual?: boolean;
  validLength?: number[] | null;
  cellPrefixes?: string[];
  inputs: FixtureArray[];
  states: FixtureArray[];
  params: Record<string, FixtureArray>;
  outputs: FixtureArray[];
  heads: FixtureArray[];
  inputGrads: (FixtureArray | null)[];
  paramGrads: Record<string, FixtureArray>;
  tol: number;
}

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/gluon-layers/rnn.json', import.meta.url), 'utf8')) as
  { cases: RnnCase[] };
const dir = gluonSpec('gluon-rnn', 'ist-gluon-rnn-');

/** The model of a case and a lookup of its parameters by the fixture's names. */
function build(c: RnnCase): { net: Arr; param: (name: string) => Arr } {
  if (c.kind === 'layer') {
    const net = new (rnn as Record<string, any>)[c.layer!](...c.args, c.opts);
    return { net, param: (n) => net[n] };
  }
  const Cell = (rnn as Record<string, any>)[c.cell!];
  if (c.kind === 'step') {
    const net = new Cell(...c.args, c.opts);
    return { net, param: (n) => net[n] };
  }
  const cells: Record<string, Arr> = {};
  const mk = (prefix: string): Arr => (cells[prefix] = new Cell(...c.args, { ...c.opts, prefix }));
  let net: Arr;
  if (c.structure === 'single') net = mk('l0_');
  else if (c.structure === 'stack2') {
    net = new rnn.SequentialRNNCell();
    net.nameScope(() => {
      net.add(mk('l0_'));
      net.add(mk('l1_'));
    });
  } else net = new rnn.BidirectionalCell(mk('l0_'), mk('r0_'));
  if (c.residual) net = new rnn.ResidualCell(net);
  return { net, param: (n) => cells[n.slice(0, 3)][n.slice(3)] };
}

function runCase(c: RnnCase, hybridize: boolean): void {
  const { net, param } = build(c);
  net.initialize();
  if (hybridize) net.hybridize();
  for (const [k, v] of Object.entries(c.params)) param(k).setData(fromFixture(v));
  const x = fromFixture(c.inputs[0]!);
  const states = c.states.map(fromFixture);
  for (const a of [x, ...states]) a.attachGrad();
  const valid = c.validLength ? nd.array(c.validLength) : null;
  const outs: Arr[] = autograd.record(() => {
    if (c.kind === 'layer') {
      if (states.length === 0) return [net.forward(x)];
      const [o, st] = net.forward(x, states);
      return [o, ...st];
    }
    if (c.kind === 'step') {
      const [o, st] = net.forward(x, states);
      return [o, ...st];
    }
    const [o, st] = net.unroll(c.length, x, { layout: c.layout, mergeOutputs: c.mergeOutputs,
                                             beginState: states.length > 0 ? states : undefined, validLength: valid });
    const merged = Array.isArray(o) ? nd.stack(...o, { axis: c.layout!.indexOf('T') }) : o;
    return [merged, ...st];
  });
  expect(outs.length, 'outputs').toBe(c.outputs.length);
  autograd.backward(outs, c.heads.map(fromFixture));
  const tag = `${c.name}${hybridize ? ' (hybridized)' : ''}`;
  outs.forEach((o, i) => expectClose(o, c.outputs[i]!, c.tol, `${tag}: output ${i}`));
  [x, ...states].forEach((a, i) => expectClose(a.grad, c.inputGrads[i]!, c.tol, `${tag}: d input ${i}`));
  for (const [k, g] of Object.entries(c.paramGrads)) expectClose(param(k).grad(), g, c.tol, `${tag}: d ${k}`);
}

describe('layers and cells against PyTorch (imperative)', () => {
  for (const c of fixtures.cases) it(c.name, () => runCase(c, false));
});

describe('layers and cells against PyTorch (hybridized)', () => {
  for (const c of fixtures.cases) it(c.name, () => runCase(c, true));
});

describe("MXNet's names, shapes and states", () => {
  it('layer parameters: l0_i2h_weight ... in registration order, shapes, begin states', () => {
    fresh(() => {
      const lstm = new rnn.LSTM(4, { numLayers: 2, bidirectional: true, inputSize: 3 });
      const names = [...lstm.collectParams().keys()];
      const want: string[] = [];
      for (const l of [0, 1]) for (const d of ['l', 'r']) for (const g of ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias']) want.push(`lstm0_${d}${l}_${g}`);
      expect(names).toEqual(want);
      const shapes = [...lstm.collectParams().values()].map((p: Arr) => p.shape);
      expect(shapes.slice(0, 4)).toEqual([[16, 3], [16, 4], [16], [16]]);
      expect(shapes[8]).toEqual([16, 8]);  // layer 1 reads both directions
      expect(new rnn.GRU(3).prefix).toBe('gru0_');
      expect(new rnn.RNN(3).prefix).toBe('rnn0_');
      expect(new rnn.GRU(3).l0_i2h_weight.shape).toEqual([9, 0]);
      const st = lstm.beginState(5);
      expect(st.map((s: Arr) => s.shape)).toEqual([[4, 5, 4], [4, 5, 4]]);
      expect(lstm.stateInfo(5)[0].__layout__).toBe('LNC');
      expect(lstm.toString()).toBe('LSTM(3 -> 4, TNC, num_layers=2, bidirectional)');
      // cells share the layers' hints, as in MXNet
      expect([new rnn.LSTMCell(2).prefix, new rnn.GRUCell(2).prefix, new rnn.RNNCell(2).prefix])
        .toEqual(['lstm1_', 'gru2_', 'rnn1_']);
      const cell = new rnn.LSTMCell(3, { inputSize: 2 });
      expect([...cell.collectParams().keys()]).toEqual(['lstm2_i2h_weight', 'lstm2_h2h_weight', 'lstm2_i2h_bias', 'lstm2_h2h_bias']);
      expect(cell.beginState(4).map((s: Arr) => s.shape)).toEqual([[4, 3], [4, 3]]);
      const seq = new rnn.SequentialRNNCell();
      seq.nameScope(() => {
        seq.add(new rnn.GRUCell(2));
        seq.add(new rnn.DropoutCell(0.1));
        seq.add(new rnn.GRUCell(2));
      });
      expect([...seq.collectParams().keys()].filter((k: string) => k.endsWith('i2h_weight')))
        .toEqual(['sequentialrnncell0_gru0_i2h_weight', 'sequentialrnncell0_gru1_i2h_weight']);
      expect(seq.stateInfo(3).length).toBe(2);
      const bi = new rnn.BidirectionalCell(new rnn.LSTMCell(2, { prefix: 'l_' }), new rnn.LSTMCell(2, { prefix: 'r_' }));
      expect([...bi.collectParams().keys()].filter((k: string) => k.endsWith('bias')))
        .toEqual(['l_i2h_bias', 'l_h2h_bias', 'r_i2h_bias', 'r_h2h_bias']);
      expect(bi.beginState(2).length).toBe(4);
      const res = new rnn.ResidualCell(new rnn.GRUCell(2, { prefix: 'g_' }));
      expect(res.prefix).toBe('g_residualcell');
      expect([...res.collectParams().keys()]).toEqual(['g_i2h_weight', 'g_h2h_weight', 'g_i2h_bias', 'g_h2h_bias']);
    });
  });

  it("saveParameters writes MXNet 1.9's unfused names for layers; files round-trip", () => {
    const a = new rnn.GRU(3, { numLayers: 2, inputSize: 2 });
    const b = new rnn.LSTM(2, { bidirectional: true, inputSize: 2 });
    expect([...a.collectParamsWithPrefix().keys()].slice(0, 4))
      .toEqual(['_unfused.0.i2h_weight', '_unfused.0.h2h_weight', '_unfused.0.i2h_bias', '_unfused.0.h2h_bias']);
    expect([...b.collectParamsWithPrefix().keys()].slice(3, 5)).toEqual(['_unfused.0.l_cell.h2h_bias', '_unfused.0.r_cell.i2h_weight']);
    a.initialize();
    const file = join(dir, 'gru.params');
    a.saveParameters(file);
    const c = new rnn.GRU(3, { numLayers: 2, inputSize: 2 });
    c.loadParameters(file);
    const x = nd.random.uniform({ shape: [4, 2, 2] });
    expect(Array.from(c.forward(x).dataSync())).toEqual(Array.from(a.forward(x).dataSync()));
  });

  it('a layer without states or input size traces into a hybridized parent (zero states, deferred sizes)', () => {
    const make = (): Arr => fresh(() => {
      const net = new nn.HybridSequential();
      net.nameScope(() => net.add(new rnn.LSTM(3, { layout: 'NTC', bidirectional: true }), new nn.Dense(2, { flatten: false })));
      net.initialize({ init: new mx.init.Xavier() });
      return net;
    });
    const a = make();
    const b = make();
    b.hybridize();
    const x = nd.random.uniform({ shape: [2, 4, 2] });
    const ya = a.forward(x);
    b.forward(x);  // deferred initialization through the traced graph
    expect(b.collectParams().item('hybridsequential0_lstm0_r0_i2h_weight').shape).toEqual([12, 2]);
    for (const [k, p] of a.collectParams()) b.collectParams().item(k).setData(p.data());
    const yb = b.forward(x);
    expect(yb.shape).toEqual([2, 4, 2]);
    const u = Array.from(yb.dataSync() as Float32Array);
    Array.from(ya.dataSync() as Float32Array).forEach((v, i) => expect(u[i]).toBeCloseTo(v, 5));
  });

  it('unroll on Symbols builds a graph with the cell parameters as arguments', () => {
    fresh(() => {
      const cell = new rnn.GRUCell(3);
      const [outs, states] = cell.unroll(4, sym.var('data'), { layout: 'NTC', mergeOutputs: true });
      expect(outs.listArguments()).toEqual(['data', 'gru0_i2h_weight', 'gru0_i2h_bias', 'gru0_h2h_weight', 'gru0_h2h_bias']);
      const r = outs.inferShape({ data: [2, 4, 5] });
      expect(r.outShapes).toEqual([[2, 4, 3]]);
      expect(r.argShapes[1]).toEqual([9, 5]);
      expect(states[0].inferShape({ data: [2, 4, 5] }).outShapes).toEqual([[2, 3]]);
    });
  });

  it('DropoutCell and ZoneoutCell are the identity at inference and drop in training', () => {
    const x = nd.ones([4, 50]);
    const d = new rnn.DropoutCell(0.5);
    const [y] = d.forward(x, []);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    const yt = autograd.record(() => d.forward(x, [])[0]);
    const vals = new Set(Array.from(yt.dataSync() as Float32Array));
    expect([...vals].sort()).toEqual([0, 2]);
    const [u] = d.unroll(3, nd.ones([2, 3, 4]), { mergeOutputs: true });
    expect(u.shape).toEqual([2, 3, 4]);
    const base = new rnn.GRUCell(3);
    base.initialize();
    const z = new rnn.ZoneoutCell(base, { zoneoutOutputs: 0.5, zoneoutStates: 0.5 });
    const xs = nd.random.uniform({ shape: [2, 3, 4] });
    const [zo] = z.unroll(3, xs, { mergeOutputs: true });
    base.modified = false;
    const [bo] = base.unroll(3, xs, { mergeOutputs: true });
    base.modified = true;
    expect(Array.from(zo.dataSync())).toEqual(Array.from(bo.dataSync()));
    expectError(() => base.beginState(2), 'modifier');
  });
});

describe('consistency', () => {
  const same = (a: Arr, b: Arr, what: string): void => {
    expect(a.shape, what).toEqual(b.shape);
    const u = Array.from(b.dataSync() as Float32Array);
    Array.from(a.dataSync() as Float32Array).forEach((v, i) => expect(u[i], `${what} [${i}]`).toBeCloseTo(v, 5));
  };

  it('a bidirectional LSTM layer with sequence lengths equals BidirectionalCell.unroll with validLength', () => {
    const layer = new rnn.LSTM(3, { bidirectional: true, inputSize: 2, useSequenceLength: true });
    layer.initialize({ init: new mx.init.Xavier() });
    const bi = new rnn.BidirectionalCell(new rnn.LSTMCell(3, { inputSize: 2 }), new rnn.LSTMCell(3, { inputSize: 2 }));
    bi.initialize();
    const cells = [...bi.children.values()] as Arr[];
    ['l', 'r'].forEach((d, k) => {
      for (const g of ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias']) cells[k][g].setData((layer as Arr)[`${d}0_${g}`].data());
    });
    const x = nd.random.uniform({ shape: [4, 3, 2], low: -1, high: 1 });
    const len = nd.array([4, 1, 3]);
    const begin = layer.beginState(3);
    const [out, [h, c]] = layer.forward(x, begin, len);
    const [out2, st] = bi.unroll(4, x, { layout: 'TNC', mergeOutputs: true, validLength: len });
    same(out, out2, 'outputs');
    same(h, nd.stack(st[0], st[2]), 'h');
    same(c, nd.stack(st[1], st[3]), 'c');
  });

  it('HybridSequentialRNNCell steps as one cached graph, equal to the imperative step', () => {
    const make = (): Arr => fresh(() => {
      const s = new rnn.HybridSequentialRNNCell();
      s.nameScope(() => {
        s.add(new rnn.LSTMCell(3, { inputSize: 2 }));
        s.add(new rnn.RNNCell(2, { inputSize: 3, activation: 'relu' }));
      });
      s.initialize({ init: new mx.init.Xavier() });
      return s;
    });
    const a = make();
    const b = make();
    for (const [k, p] of a.collectParams()) b.collectParams().item(k).setData(p.data());
    b.hybridize();
    const x = nd.random.uniform({ shape: [4, 2] });
    const states = a.beginState(4);
    const [oa, sa] = a.forward(x, states);
    const [ob, sb] = b.forward(x, states);
    same(oa, ob, 'output');
    expect(sb.length).toBe(3);
    sa.forEach((s: Arr, i: number) => same(s, sb[i], `state ${i}`));
  });

  it('export + SymbolBlock.imports reproduce a recurrent network', () => {
    const net = fresh(() => {
      const n = new nn.HybridSequential();
      n.nameScope(() => n.add(new rnn.GRU(4, { layout: 'NTC', numLayers: 2 }), new nn.BatchNorm({ axis: 2 })));
      return n;
    });
    net.initialize({ init: new mx.init.Xavier() });
    net.hybridize();
    const x = nd.random.uniform({ shape: [2, 5, 3] });
    const y = net.forward(x);
    const [symFile, paramFile] = net.export(join(dir, 'gru-net'));
    const back = gluon.SymbolBlock.imports(symFile, ['data'], paramFile);
    same(y, back.forward(x), 'imported');
  });

  it('training steps through a layer and an unrolled cell keep memory flat', () => {
    const lstm = new rnn.LSTM(4, { layout: 'NTC' });
    const cell = new rnn.GRUCell(3);
    lstm.initialize();
    cell.initialize();
    const x = nd.random.uniform({ shape: [2, 3, 5] });
    const step = (): void => {
      const [o1, o2, st] = autograd.record(() => {
        const a = lstm.forward(x);
        const [b, s] = cell.unroll(3, a, { mergeOutputs: true });
        return [a, b, s];
      });
      o2.backward();
      for (const a of [o1, o2, ...st]) a.dispose();
    };
    for (let i = 0; i < 3; i++) step();
    mx.waitAll();
    const before = mx.memoryInfo();
    for (let i = 0; i < 30; i++) step();
    mx.waitAll();
    const after = mx.memoryInfo();
    expect(after.liveArrays).toBe(before.liveArrays);
    expect(after.liveBytes).toBe(before.liveBytes);
  });
});

describe('bad input', () => {
  it('wrong input sizes, state shapes and state counts name the layer and the shapes', () => {
    const lstm = new rnn.LSTM(4, { inputSize: 3 });
    lstm.initialize();
    expectError(() => lstm.forward(nd.ones([5, 2, 6])), 'LSTM', lstm.name, '(5, 2, 6)', 'l0_i2h_weight');
    expectError(() => lstm.forward(nd.ones([5, 3])), 'LSTM', '(5, 3)', 'rank 3');
    expectError(() => lstm.forward(nd.ones([5, 2, 3]), [nd.zeros([1, 3, 4]), nd.zeros([1, 2, 4])]), 'LSTM',
                'state shape', '(1, 2, 4)', '(1, 3, 4)');
    expectError(() => lstm.forward(nd.ones([5, 2, 3]), [nd.zeros([1, 2, 4])]), 'LSTM', 'expected 2 state(s), got 1');
    const gru = new rnn.GRU(3, { layout: 'NTC' });
    gru.initialize();
    gru.hybridize();
    gru.forward(nd.ones([2, 4, 5]));
    expectError(() => gru.forward(nd.ones([2, 4, 6])), 'GRU', '(2, 4, 6)');
    const cell = new rnn.LSTMCell(3);
    cell.initialize();
    expectError(() => cell.forward(nd.ones([2, 4]), [nd.zeros([2, 3])]), 'LSTMCell', 'expected 2 state(s), got 1');
    expectError(() => cell.forward(nd.ones([2, 4]), [nd.zeros([2, 5]), nd.zeros([2, 3])]), 'LSTMCell', '(2, 5)');
    expectError(() => cell.unroll(3, nd.ones([2, 4, 5]), { layout: 'NTC' }), 'length 3', '4 steps');
    const bi = new rnn.BidirectionalCell(new rnn.GRUCell(2), new rnn.GRUCell(2));
    expectError(() => bi.forward(nd.ones([2, 3]), []), 'Bidirectional cannot be stepped');
    expectError(() => new rnn.LSTM(0), 'LSTM', 'hiddenSize');
    expectError(() => new rnn.GRU(2, { layout: 'NCT' as Arr }), 'GRU', 'layout');
    expectError(() => new rnn.RNN(2, { activation: 'sigmoid' as Arr }), 'RNN', 'activation');
    const seqLen = new rnn.GRU(2, { useSequenceLength: true });
    seqLen.initialize();
    expectError(() => seqLen.forward(nd.ones([3, 2, 2])), 'sequenceLength');
  });
});
