// ONNX export of MXNet's fused RNN op: one ONNX LSTM, GRU or RNN node per layer, its W, R and B sliced out of the packed parameter vector
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import type { Exporter, NodeExport } from './export_graph.js';
import { onnxTypeOf } from './tensor.js';

interface Cell {
  op: 'LSTM' | 'GRU' | 'RNN';
  gates: number;
  /** ONNX's gate block j is MXNet's gate order[j] (LSTM i,o,f,c from i,f,g,o; GRU z,r,h from r,z,n). */
  order: number[];
  attrs: (D: number) => { name: string; i?: number; strings?: string[] }[];
}

const CELLS: Readonly<Record<string, Cell>> = {
  lstm: { op: 'LSTM', gates: 4, order: [0, 3, 1, 2], attrs: () => [] },
  // MXNet's GRU applies the reset gate after the recurrent product, as linear_before_reset=1 does.
  gru: { op: 'GRU', gates: 3, order: [1, 0, 2], attrs: () => [{ name: 'linear_before_reset', i: 1 }] },
  rnn_tanh: { op: 'RNN', gates: 1, order: [0], attrs: (D) => [{ name: 'activations', strings: new Array<string>(D).fill('Tanh') }] },
  rnn_relu: { op: 'RNN', gates: 1, order: [0], attrs: (D) => [{ name: 'activations', strings: new Array<string>(D).fill('Relu') }] },
};

/** Elements [begin, end) of the flat parameter vector as (1, G*H, cols), gate blocks in ONNX's order. */
function gateBlock(e: Exporter, params: string, base: string, begin: number, cols: number, cell: Cell, H: number): string {
  const G = cell.gates;
  const flat = e.fresh(`${base}_flat`);
  e.node('Slice', [params, e.constant(`${base}_b`, [begin], 'int64'), e.constant(`${base}_e`, [begin + G * H * cols], 'int64'),
    e.constant(`${base}_ax`, [0], 'int64')], [flat]);
  let gates = e.fresh(`${base}_gates`);
  e.node('Reshape', [flat, e.constant(`${base}_gshape`, [G, H, cols], 'int64')], [gates]);
  if (G > 1) {
    const reordered = e.fresh(`${base}_onnx_order`);
    e.node('Gather', [gates, e.constant(`${base}_order`, cell.order, 'int64')], [reordered], [{ name: 'axis', i: 0 }]);
    gates = reordered;
  }
  const block = e.fresh(base);
  e.node('Reshape', [gates, e.constant(`${base}_shape`, [1, G * H, cols], 'int64')], [block]);
  return block;
}

/** Concat along axis 0, or the one name itself. */
function stack0(e: Exporter, parts: string[], base: string, name?: string): string {
  if (parts.length === 1 && name === undefined) return parts[0]!;
  const out = name ?? e.fresh(base);
  e.node(parts.length === 1 ? 'Identity' : 'Concat', parts, [out], parts.length === 1 ? [] : [{ name: 'axis', i: 0 }]);
  return out;
}

/** Rows [begin, end) of a (L*D, N, H) state. */
function stateRows(e: Exporter, state: string, base: string, begin: number, end: number): string {
  const out = e.fresh(base);
  e.node('Slice', [state, e.constant(`${base}_b`, [begin], 'int64'), e.constant(`${base}_e`, [end], 'int64'),
    e.constant(`${base}_ax`, [0], 'int64')], [out]);
  return out;
}

/**
 * RNN (data (T, N, I), parameters, state, [state_cell], [sequence_length]) → out (T, N, D*H), and with
 * state_outputs the final states (L*D, N, H). Layer l reads the layer below's output; its weights sit
 * in MXNet's packing (every W_i2h, W_h2h per layer and direction, then every b_i2h, b_h2h).
 */
export const rnnExport: NodeExport = (e, n, ins, out, a, shapeOf, cx) => {
  const mode = String(a('mode'));
  const cell = CELLS[mode];
  if (cell === undefined) throw new IsotensorError(`onnx.exportModel: RNN mode '${mode}' has no ONNX form`);
  if (a('projection_size') != null) throw new IsotensorError('onnx.exportModel: RNN with projection_size (LSTMP) has no ONNX form');
  if (a('lstm_state_clip_min') != null || a('lstm_state_clip_max') != null) {
    // ONNX's clip bounds the gates' inputs, not the cell.
    throw new IsotensorError('onnx.exportModel: RNN with lstm_state_clip_min/max has no ONNX form');
  }
  const H = Number(a('state_size')), L = Number(a('num_layers') ?? 1), D = a('bidirectional') === true ? 2 : 1;
  const G = cell.gates;
  const lstm = mode === 'lstm';
  const [T, N, I] = shapeOf(ins[0]!) as [number, number, number];
  let lens = '';
  if (a('use_sequence_length') === true) {
    lens = e.fresh(`${out}_lens`);
    e.node('Cast', [ins[lstm ? 4 : 3]!], [lens], [{ name: 'to', i: onnxTypeOf('int32') }]);
  }
  const inSize = (l: number): number => (l === 0 ? I : D * H);
  const weightsOf = (l: number): number => G * H * (inSize(l) + H);
  let weightTotal = 0;
  for (let l = 0; l < L; l++) weightTotal += D * weightsOf(l);
  const params = ins[1]!;
  let x = ins[0]!;
  let wOffset = 0;
  const hs: string[] = [], cs: string[] = [];
  for (let l = 0; l < L; l++) {
    const ws: string[] = [], rs: string[] = [], bs: string[] = [];
    for (let d = 0; d < D; d++) {
      const tag = `${out}_l${l}d${d}`;
      ws.push(gateBlock(e, params, `${tag}_W`, wOffset, inSize(l), cell, H));
      rs.push(gateBlock(e, params, `${tag}_R`, wOffset + G * H * inSize(l), H, cell, H));
      wOffset += weightsOf(l);
      const bih = weightTotal + (l * D + d) * 2 * G * H;
      const b = e.fresh(`${tag}_B`);
      e.node('Concat', [gateBlock(e, params, `${tag}_Wb`, bih, 1, cell, H), gateBlock(e, params, `${tag}_Rb`, bih + G * H, 1, cell, H)],
        [`${b}_col`], [{ name: 'axis', i: 1 }]);
      e.node('Reshape', [`${b}_col`, e.constant(`${tag}_Bshape`, [1, 2 * G * H], 'int64')], [b]);
      bs.push(b);
    }
    const tag = `${out}_l${l}`;
    const inputs = [x, stack0(e, ws, `${tag}_W`), stack0(e, rs, `${tag}_R`), stack0(e, bs, `${tag}_B`), lens,
      stateRows(e, ins[2]!, `${tag}_h0`, l * D, (l + 1) * D)];
    if (lstm) inputs.push(stateRows(e, ins[3]!, `${tag}_c0`, l * D, (l + 1) * D));
    const y = e.fresh(`${tag}_Y`), yh = e.fresh(`${tag}_Yh`), yc = e.fresh(`${tag}_Yc`);
    e.node(cell.op, inputs, lstm ? [y, yh, yc] : [y, yh], [
      { name: 'hidden_size', i: H }, ...(D === 2 ? [{ name: 'direction', s: 'bidirectional' }] : []), ...cell.attrs(D),
    ]);
    hs.push(yh);
    cs.push(yc);
    // (T, D, N, H) → (T, N, D*H), MXNet's layout, the next layer's input.
    e.node('Transpose', [y], [`${y}_T`], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
    x = l === L - 1 ? out : e.fresh(`${tag}_out`);
    e.node('Reshape', [`${y}_T`, e.constant(`${tag}_shape`, [T, N, D * H], 'int64')], [x], [], l === L - 1 ? n.name : undefined);
  }
  if (a('state_outputs') === true) {
    stack0(e, hs, `${out}_hy`, cx.outName(1));
    if (lstm) stack0(e, cs, `${out}_cy`, cx.outName(2));
  }
};
