// ONNX recurrent operators: LSTM, GRU and RNN on the fused RNN op (GRU with linear_before_reset=0 and LSTM with peepholes unrolled)
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import { numbersOf, converter, type NodeContext, type Value } from '../convert.js';

interface Cell {
  /** Gates per step. */
  gates: number;
  /** ONNX's default activations of one direction. */
  acts: string[];
  /** ONNX gate blocks in MXNet's order (LSTM i,o,f,c -> i,f,g,o; GRU z,r,h -> r,z,n). */
  order: number[];
}

const CELLS: Readonly<Record<string, Cell>> = {
  LSTM: { gates: 4, acts: ['Sigmoid', 'Tanh', 'Tanh'], order: [0, 2, 3, 1] },
  GRU: { gates: 3, acts: ['Sigmoid', 'Tanh'], order: [1, 0, 2] },
  RNN: { gates: 1, acts: ['Tanh'], order: [0] },
};

/** Rows [begin, end) of a value along `axis`. */
function rows(c: NodeContext, v: Value, axis: number, begin: number, end: number): Value {
  return c.op('slice_axis', [v], { axis, begin, end });
}

/**
 * Direction d of v (D, blocks*H, K) with gate blocks `offset + order[i]` concatenated in that order,
 * flattened: one piece of MXNet's packed parameter vector.
 */
function packed(c: NodeContext, v: Value, d: number, order: readonly number[], offset: number, H: number): Value {
  const vd = rows(c, v, 0, d, d + 1);
  const parts = order.map((g) => rows(c, vd, 1, (offset + g) * H, (offset + g + 1) * H));
  const joined = parts.length === 1 ? parts[0]! : c.op('Concat', parts, { dim: 1, num_args: parts.length });
  return c.op('Reshape', [joined], { shape: [-1] });
}

/** The mode of MXNet's RNN op the node's activations select, or a clear failure for others. */
function modeOf(c: NodeContext, op: string, cell: Cell, D: number): string {
  const acts = c.strings('activations');
  const base = op === 'LSTM' ? 'lstm' : op === 'GRU' ? 'gru' : 'rnn_tanh';
  if (acts === undefined) return base;
  const same = (want: readonly string[]): boolean =>
    acts.length === want.length * D && acts.every((a, i) => a.toLowerCase() === want[i % want.length]!.toLowerCase());
  if (same(cell.acts)) return base;
  if (op === 'RNN' && same(['Relu'])) return 'rnn_relu';
  return c.fail(`activations [${acts.join(', ')}] are not supported (only ONNX's defaults [${cell.acts.join(', ')}]` +
                `${op === 'RNN' ? ' or [Relu]' : ''} per direction)`);
}

/** An optional (D, N, H) state input in the ONNX layout, as (D, N, H); zeros when absent. */
function stateInput(c: NodeContext, i: number, layout: number, D: number, N: number, H: number, dt: DType): Value {
  if (!c.has(i)) return c.constant(new Array<number>(D * N * H).fill(0), [D, N, H], dt);
  const v = c.cast(c.input(i), dt);
  return layout === 1 ? c.op('transpose', [v], { axes: [1, 0, 2] }) : v;
}

for (const op of ['LSTM', 'GRU', 'RNN'] as const) {
  converter(op, (c) => {
    const cell = CELLS[op]!;
    const G = cell.gates;
    const direction = c.string('direction', 'forward');
    if (!['forward', 'reverse', 'bidirectional'].includes(direction)) c.fail(`direction '${direction}' is not forward, reverse or bidirectional`);
    const D = direction === 'bidirectional' ? 2 : 1;
    const layout = c.int('layout', 0);
    if (layout !== 0 && layout !== 1) c.fail(`layout ${layout} is not 0 or 1`);
    const mode = modeOf(c, op, cell, D);
    // ONNX's clip bounds the gates' inputs; MXNet's only clips the LSTM cell, so it cannot stand in.
    if (c.hasAttr('clip')) c.fail('clip is not supported');
    if (c.int('input_forget', 0) !== 0) c.fail('input_forget=1 is not supported');
    // MXNet's fused LSTM has no peepholes: non-zero (or not yet known) P takes the unrolled path.
    const peep = op === 'LSTM' && c.has(7) && !(c.isKnown(c.input(7)) && numbersOf(c.known(7, 'P (peepholes)')).every((v) => v === 0));

    let x = c.input(0);
    const dt = c.dtype(x, 'X');
    if (layout === 1) x = c.op('transpose', [x], { axes: [1, 0, 2] });
    const [T, N, I] = c.shape(x, 'X') as [number, number, number];
    const w = c.cast(c.input(1), dt);
    const r = c.cast(c.input(2), dt);
    const H = c.int('hidden_size') ?? c.shape(r, 'R')[2]!;
    const ws = c.shape(w, 'W');
    if (ws.length !== 3 || ws[0] !== D || ws[1] !== G * H || ws[2] !== I) {
      c.fail(`W has shape (${ws}), expected (${D}, ${G * H}, ${I})`);
    }
    // B is (D, 2*G*H): W's biases then R's, viewed as (D, 2*G*H, 1) to slice gate blocks like W.
    const b = c.has(3) ? c.op('Reshape', [c.cast(c.input(3), dt)], { shape: [D, 2 * G * H, 1] })
      : c.constant(new Array<number>(D * 2 * G * H).fill(0), [D, 2 * G * H, 1], dt);
    const lens = c.has(4) ? c.cast(c.input(4), dt) : undefined;
    const h0 = stateInput(c, 5, layout, D, N, H, dt);

    let y: Value; // (T, D, N, H)
    let yh: Value; // (D, N, H)
    let yc: Value | undefined;
    if (op === 'GRU' && c.int('linear_before_reset', 0) === 0) {
      [y, yh] = unrolledGru(c, { x, w, r, b, lens, h0, T, N, I, H, D, reverse: direction === 'reverse' });
    } else if (peep) {
      const p = c.cast(c.input(7), dt);
      const ps = c.shape(p, 'P');
      if (ps.length !== 2 || ps[0] !== D || ps[1] !== 3 * H) c.fail(`P has shape (${ps}), expected (${D}, ${3 * H})`);
      const c0 = stateInput(c, 6, layout, D, N, H, dt);
      [y, yh, yc] = unrolledLstm(c, { x, w, r, b, lens, h0, T, N, I, H, D, reverse: direction === 'reverse' }, p, c0);
    } else {
      // MXNet has no reverse-only direction. Without lengths, run forward over the time-reversed sequence;
      // with lengths, run bidirectionally (the reverse pass starts at each sequence's last valid step, as
      // ONNX's does) with the same weights both ways and keep the reverse half.
      const reverse = direction === 'reverse';
      const viaBidi = reverse && lens !== undefined;
      const dirs = viaBidi ? [0, 0] : D === 2 ? [0, 1] : [0];
      // MXNet's packing: per direction W then R, then per direction W's biases then R's; gates in MXNet order.
      const pieces: Value[] = [];
      for (const d of dirs) pieces.push(packed(c, w, d, cell.order, 0, H), packed(c, r, d, cell.order, 0, H));
      for (const d of dirs) pieces.push(packed(c, b, d, cell.order, 0, H), packed(c, b, d, cell.order, G, H));
      const params = c.op('Concat', pieces, { dim: 0, num_args: pieces.length });
      const twice = (v: Value): Value => (viaBidi ? c.op('Concat', [v, v], { dim: 0, num_args: 2 }) : v);
      const inputs = [reverse && !viaBidi ? c.op('reverse', [x], { axis: [0] }) : x, params, twice(h0)];
      if (op === 'LSTM') inputs.push(twice(stateInput(c, 6, layout, D, N, H, dt)));
      if (lens !== undefined) inputs.push(lens);
      const outs = c.opN('RNN', inputs, {
        mode, state_size: H, num_layers: 1, bidirectional: dirs.length === 2, state_outputs: true,
        use_sequence_length: lens !== undefined,
      });
      let out = outs[0]!; // (T, N, dirs*H)
      if (reverse && !viaBidi) out = c.op('reverse', [out], { axis: [0] });
      y = c.op('transpose', [c.op('Reshape', [out], { shape: [T, N, dirs.length, H] })], { axes: [0, 2, 1, 3] });
      const last = (v: Value | undefined, axis: number): Value | undefined => (v === undefined || !viaBidi ? v : rows(c, v, axis, 1, 2));
      y = last(y, 1)!;
      yh = last(outs[1], 0)!;
      yc = last(outs[2], 0);
    }
    if (layout === 1) {
      y = c.op('transpose', [y], { axes: [2, 0, 1, 3] });
      yh = c.op('transpose', [yh], { axes: [1, 0, 2] });
      if (yc !== undefined) yc = c.op('transpose', [yc], { axes: [1, 0, 2] });
    }
    return yc === undefined ? [y, yh] : [y, yh, yc];
  });
}

interface Unrolled {
  x: Value; w: Value; r: Value; b: Value; lens: Value | undefined; h0: Value;
  T: number; N: number; I: number; H: number; D: number; reverse: boolean;
}

/** Per step t, a (N, 1) mask of the sequences still running (t < length); undefined without lengths. */
function stepMasks(c: NodeContext, a: Unrolled): Value[] | undefined {
  if (a.lens === undefined) return undefined;
  return Array.from({ length: a.T }, (_, t) => c.op('Reshape', [c.op('_greater_scalar', [a.lens!], { scalar: t })], { shape: [a.N, 1] }));
}

/** Direction d's input projection X W^T + Wb of all steps at once, split into T (N, G*H) steps. */
function inputSteps(c: NodeContext, a: Unrolled, d: number, G: number): { steps: Value[]; rd: Value; bd: Value } {
  const { T, N, I, H } = a;
  const wd = c.op('Reshape', [rows(c, a.w, 0, d, d + 1)], { shape: [G * H, I] });
  const rd = c.op('Reshape', [rows(c, a.r, 0, d, d + 1)], { shape: [G * H, H] });
  const bd = c.op('Reshape', [rows(c, a.b, 0, d, d + 1)], { shape: [2 * G * H] });
  const xflat = c.op('Reshape', [a.x], { shape: [T * N, I] });
  const xp = c.op('Reshape', [c.op('FullyConnected', [xflat, wd, rows(c, bd, 0, 0, G * H)], { num_hidden: G * H })],
                  { shape: [T, N, G * H] });
  const steps = T === 1 ? [c.op('Reshape', [xp], { shape: [N, G * H] })]
    : c.opN('SliceChannel', [xp], { num_outputs: T, axis: 0, squeeze_axis: true });
  return { steps, rd, bd };
}

/** Steps past a sequence's length keep the state: new = old + m * (new - old). */
function keep(c: NodeContext, m: Value | undefined, old: Value, next: Value): Value {
  return m === undefined ? next : c.op('broadcast_add', [old, c.op('broadcast_mul', [m, c.op('broadcast_sub', [next, old])])]);
}

/**
 * GRU with linear_before_reset=0, step by step: h~ = tanh(W_h x + R_h (r * h) + b), which MXNet's fused
 * GRU (R_h h inside r * (...), linear_before_reset=1) cannot compute. Returns Y (T, D, N, H) and Y_h (D, N, H).
 */
function unrolledGru(c: NodeContext, a: Unrolled): [Value, Value] {
  const { T, N, H, D } = a;
  // Steps past a sequence's length keep the state and output zeros.
  const masks = stepMasks(c, a);
  const ys: Value[] = [];
  const hs: Value[] = [];
  for (let d = 0; d < D; d++) {
    const { steps, rd, bd } = inputSteps(c, a, d, 3);
    const rzr = rows(c, rd, 0, 0, 2 * H);
    const rh = rows(c, rd, 0, 2 * H, 3 * H);
    const bzr = rows(c, bd, 0, 3 * H, 5 * H);
    const bh = rows(c, bd, 0, 5 * H, 6 * H);
    let h = c.op('Reshape', [rows(c, a.h0, 0, d, d + 1)], { shape: [N, H] });
    const out = new Array<Value>(T);
    const backward = a.reverse || d === 1;
    for (let s = 0; s < T; s++) {
      const t = backward ? T - 1 - s : s;
      const xt = steps[t]!;
      const zr = c.op('sigmoid', [c.op('broadcast_add', [rows(c, xt, 1, 0, 2 * H),
        c.op('FullyConnected', [h, rzr, bzr], { num_hidden: 2 * H })])]);
      const z = rows(c, zr, 1, 0, H);
      const rg = rows(c, zr, 1, H, 2 * H);
      const hh = c.op('tanh', [c.op('broadcast_add', [rows(c, xt, 1, 2 * H, 3 * H),
        c.op('FullyConnected', [c.op('broadcast_mul', [rg, h]), rh, bh], { num_hidden: H })])]);
      const m = masks?.[t];
      h = keep(c, m, h, c.op('broadcast_add', [hh, c.op('broadcast_mul', [z, c.op('broadcast_sub', [h, hh])])]));
      out[t] = m === undefined ? h : c.op('broadcast_mul', [m, h]);
    }
    ys.push(c.op('stack', out, { axis: 0, num_args: T }));
    hs.push(h);
  }
  return [c.op('stack', ys, { axis: 1, num_args: D }), c.op('stack', hs, { axis: 0, num_args: D })];
}

/**
 * LSTM with peephole weights P (D, 3H: i, o, f), step by step, as ONNX defines it:
 * i = sigmoid(.. + Pi * C_prev), f = sigmoid(.. + Pf * C_prev), C = f * C_prev + i * tanh(..),
 * o = sigmoid(.. + Po * C), H = o * tanh(C); gate blocks of W, R and B in ONNX's i, o, f, c order.
 * Returns Y (T, D, N, H), Y_h and Y_c (D, N, H).
 */
function unrolledLstm(c: NodeContext, a: Unrolled, p: Value, c0: Value): [Value, Value, Value] {
  const { T, N, H, D } = a;
  const masks = stepMasks(c, a);
  const ys: Value[] = [];
  const hs: Value[] = [];
  const cs: Value[] = [];
  const add = (u: Value, v: Value): Value => c.op('broadcast_add', [u, v]);
  const mul = (u: Value, v: Value): Value => c.op('broadcast_mul', [u, v]);
  for (let d = 0; d < D; d++) {
    const { steps, rd, bd } = inputSteps(c, a, d, 4);
    const rb = rows(c, bd, 0, 4 * H, 8 * H);
    const pd = c.op('Reshape', [rows(c, p, 0, d, d + 1)], { shape: [3, 1, H] });
    const [pi, po, pf] = [0, 1, 2].map((k) => c.op('Reshape', [rows(c, pd, 0, k, k + 1)], { shape: [1, H] })) as [Value, Value, Value];
    let h = c.op('Reshape', [rows(c, a.h0, 0, d, d + 1)], { shape: [N, H] });
    let cell = c.op('Reshape', [rows(c, c0, 0, d, d + 1)], { shape: [N, H] });
    const out = new Array<Value>(T);
    const backward = a.reverse || d === 1;
    for (let s = 0; s < T; s++) {
      const t = backward ? T - 1 - s : s;
      const gates = add(steps[t]!, c.op('FullyConnected', [h, rd, rb], { num_hidden: 4 * H }));
      const gate = (k: number): Value => rows(c, gates, 1, k * H, (k + 1) * H);
      const i = c.op('sigmoid', [add(gate(0), mul(pi, cell))]);
      const f = c.op('sigmoid', [add(gate(2), mul(pf, cell))]);
      const cn = add(mul(f, cell), mul(i, c.op('tanh', [gate(3)])));
      const o = c.op('sigmoid', [add(gate(1), mul(po, cn))]);
      const hn = mul(o, c.op('tanh', [cn]));
      const m = masks?.[t];
      h = keep(c, m, h, hn);
      cell = keep(c, m, cell, cn);
      out[t] = m === undefined ? h : mul(m, h);
    }
    ys.push(c.op('stack', out, { axis: 0, num_args: T }));
    hs.push(h);
    cs.push(cell);
  }
  const stackD = (vs: Value[]): Value => c.op('stack', vs, { axis: 0, num_args: D });
  return [c.op('stack', ys, { axis: 1, num_args: D }), stackD(hs), stackD(cs)];
}
