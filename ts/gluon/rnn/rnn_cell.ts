// gluon.rnn cells (MXNet 1.9's gluon/rnn/rnn_cell.py): one time step per forward(x, states), unroll over a sequence.
// SPDX-License-Identifier: Apache-2.0
//
// Every cell is a HybridBlock whose hybridForward(F, x, ...states, p) returns the flat list
// [output, ...newStates]; forward(x, states) turns it into MXNet's (output, states) pair, so a
// cell runs imperatively, traced into a parent's graph, or hybridized on its own alike. MXNet's
// Block-only cells (SequentialRNNCell, BidirectionalCell, ModifierCell) override forward and never
// build their own graph. Names follow MXNet: prefixes rnn0_/lstm0_/gru0_, parameters i2h_weight,
// h2h_weight, i2h_bias, h2h_bias, children `0`, `1` ... (sequential), l_cell / r_cell
// (bidirectional), base_cell (modifiers), so MXNet-written .params files load.
import type { Context } from '../../base/context.js';
import type { DType } from '../../base/dtype.js';
import { IsotensorError, optionsOf } from '../../base/error.js';
import { scope } from '../../ndarray/lifetime.js';
import { NDArray } from '../../ndarray/ndarray.js';
import * as ndNs from '../../ndarray/nd.js';
import { Block, HybridBlock, type BlockOptions, type F, type Tensor } from '../block.js';
import type { InitSpec, Parameter } from '../parameter.js';
import { LeakyReLU } from '../nn/activations.js';
import {
  formatSequence, isTensor, maskSequence, outputList, reverseSequences, sequenceLast,
} from './sequence.js';

/** One recurrent state: its shape (0 = the batch size when unknown) and layout. */
export interface StateInfo {
  shape: number[];
  __layout__: string;
  dtype?: string;
}

/** What beginState's func receives: the state's info, a name, and the options given. */
export interface StateRequest extends StateInfo {
  name: string;
  ctx?: Context | string;
}

/** Options of beginState. */
export interface BeginStateOptions {
  /** Makes one state (default: nd.zeros(shape, { ctx, dtype })). */
  func?: (req: StateRequest) => Tensor;
  ctx?: Context | string;
  dtype?: DType | string;
}

/** Options of unroll. */
export interface UnrollOptions {
  /** Initial states (default: zeros from beginState). */
  beginState?: Tensor[] | null;
  /** Layout of merged inputs and outputs: 'NTC' (default) or 'TNC'. */
  layout?: string;
  /** true: outputs as one tensor; false: a list of steps; undefined: as the inputs came. */
  mergeOutputs?: boolean | null;
  /** (batch,) lengths: outputs past a sequence's length are 0 and its states are those of its last step. */
  validLength?: Tensor | null;
}

/** An activation given as a name, a LeakyReLU block, another Block, or a function of (F, x). */
export type CellActivation = string | Block | ((x: Tensor) => Tensor);

/** Zeros of shape `shape` whose batch dim (0) comes from step input x (batch, ...): works on Symbols. */
function zerosFromBatch(F: F, x: Tensor, shape: readonly number[]): Tensor {
  let z = F.sum(F.zeros_like(x), { axis: 0, exclude: true, keepdims: true });   // (batch, 1, ...)
  z = F.reshape(z, { shape: [-1, 1] });                                          // (batch, 1)
  return F.broadcast_axis(z, { axis: 1, size: shape[1] ?? 1 });
}

/** The initial states of a cell for unroll (MXNet's _get_begin_state). */
function getBeginState(cell: RecurrentCell, F: F, begin: Tensor[] | null | undefined, steps: Tensor | Tensor[],
                       batchSize: number): Tensor[] {
  if (begin !== undefined && begin !== null) return begin;
  const first = Array.isArray(steps) ? steps[0] : steps;
  if (F === ndNs) {
    const x = first as NDArray;
    return cell.beginState(batchSize, { ctx: x.context, dtype: x.dtype });
  }
  // Symbols: the batch size is unknown until binding, so derive zeros from the first step.
  return cell.beginState(0, { func: (req) => zerosFromBatch(F, first, req.shape) });
}

/**
 * Base of the recurrent cells (MXNet's RecurrentCell / HybridRecurrentCell): stateInfo,
 * beginState, forward(x, states) → [output, states], unroll.
 */
export class RecurrentCell extends HybridBlock {
  /** Set by a ModifierCell that wraps this cell (then only the modifier may be called). */
  modified = false;
  protected counter = -1;
  protected initCounter = -1;

  constructor(opts: BlockOptions = {}) {
    super(opts);
  }

  /** Resets the step counters before a new sequence (unroll does). */
  reset(): void {
    this.initCounter = -1;
    this.counter = -1;
    for (const c of this.children.values()) if (c instanceof RecurrentCell) c.reset();
  }

  /** Shapes and layouts of the states for a batch size. */
  stateInfo(_batchSize = 0): StateInfo[] {
    throw new IsotensorError(`${this.name} (${this.className}): stateInfo is not implemented`);
  }

  /**
   * The initial states (zeros by default).
   * @example cell.beginState(4) // [h] of shape (4, hidden) ([h, c] for LSTMCell)
   */
  beginState(batchSize = 0, opts: BeginStateOptions = {}): Tensor[] {
    if (this.modified) {
      throw new IsotensorError(`${this.name}: after applying modifier cells (e.g. ZoneoutCell) the base cell cannot be ` +
                               'called directly. Call the modifier cell instead.');
    }
    return this.stateInfo(batchSize).map((info) => {
      this.initCounter += 1;
      const req: StateRequest = { ...info, name: `${this.prefix}begin_state_${this.initCounter}`, ctx: opts.ctx };
      if (opts.dtype !== undefined) req.dtype = opts.dtype;
      if (opts.func !== undefined) return opts.func(req);
      return ndNs.zeros(info.shape, { ctx: opts.ctx, dtype: (req.dtype ?? 'float32') as DType });
    });
  }

  /** The number of states this cell takes. */
  get numStates(): number {
    return this.stateInfo(0).length;
  }

  /**
   * One step: returns [output, newStates].
   * @example const [out, [h, c]] = lstmCell.forward(x, [h0, c0]);
   */
  override forward(x: Tensor, states: Tensor[] | Tensor = []): Tensor {
    this.counter += 1;
    const st = Array.isArray(states) ? states : [states];
    this.checkStates(st);
    const r = outputList(super.forward(x, ...st), 1 + st.length);
    return [r[0], r.slice(1)];
  }

  protected checkStates(states: Tensor[]): void {
    const n = this.numStates;
    if (states.length !== n) {
      throw new IsotensorError(`${this.name} (${this.className}): expected ${n} state(s), got ${states.length}`);
    }
  }

  /**
   * Runs the cell over `length` steps of inputs (a tensor in `layout` or a list of (batch, ...)
   * steps); returns [outputs, finalStates].
   * @example const [outs, states] = cell.unroll(5, x, { layout: 'NTC', mergeOutputs: true });
   */
  unroll(length: number, inputs: Tensor | Tensor[], opts: UnrollOptions = {}): [Tensor | Tensor[], Tensor[]] {
    return scope(() => {
      this.reset();
      const layout = opts.layout ?? 'NTC';
      const { inputs: steps, axis, F, batchSize } = formatSequence(length, inputs, layout, false);
      let states = getBeginState(this, F, opts.beginState, steps, batchSize);
      const outputs: Tensor[] = [];
      const all: Tensor[][] = [];
      const valid = opts.validLength ?? null;
      for (let i = 0; i < length; i++) {
        const [out, st] = this.forward((steps as Tensor[])[i], states);
        states = st;
        outputs.push(out);
        if (valid !== null) all.push(states);
      }
      let outs: Tensor | Tensor[] = outputs;
      if (valid !== null) {
        states = states.map((_, k) => sequenceLast(F, F.stack(...all.map((s) => s[k]), { axis: 0 }), length, valid));
        outs = maskSequence(F, outputs, length, valid, axis, true);
      }
      return [formatSequence(length, outs, layout, opts.mergeOutputs).inputs, states];
    });
  }

  /** Applies an activation given as a name, a LeakyReLU, a Block or a function (MXNet's _get_activation). */
  protected activation(F: F, x: Tensor, act: CellActivation, name?: string): Tensor {
    if (typeof act === 'string') return F.Activation(x, { actType: act, ...(name === undefined ? {} : { name }) });
    if (act instanceof LeakyReLU) return F.LeakyReLU(x, { actType: 'leaky', slope: act.alpha });
    if (act instanceof Block) return act.forward(x);
    return act(x);
  }

  /** Symbol node names per step, as MXNet's t%d_ prefixes (ignored by the imperative ops). */
  protected stepName(x: Tensor, what: string): Record<string, string> {
    return x instanceof NDArray ? {} : { name: `t${this.counter}_${what}` };
  }
}

/** MXNet's HybridRecurrentCell: every cell here is hybridizable, so this is RecurrentCell. */
export const HybridRecurrentCell = RecurrentCell;

/** Options of RNNCell, LSTMCell and GRUCell. */
export interface CellOptions extends BlockOptions {
  i2hWeightInitializer?: InitSpec | null;
  h2hWeightInitializer?: InitSpec | null;
  i2hBiasInitializer?: InitSpec | null;
  h2hBiasInitializer?: InitSpec | null;
  /** Input size; 0 (default) infers it at the first forward. */
  inputSize?: number;
}

/** i2h/h2h weights and biases of a gated cell with `gates` gates. */
function cellParams(cell: RecurrentCell, hidden: number, gates: number, opts: CellOptions):
  [Parameter, Parameter, Parameter, Parameter] {
  if (!Number.isInteger(hidden) || hidden <= 0) {
    throw new IsotensorError(`${cell.className}: hiddenSize must be a positive integer, got ${String(hidden)}`);
  }
  const ni = opts.inputSize ?? 0;
  if (!Number.isInteger(ni) || ni < 0) throw new IsotensorError(`${cell.className}: inputSize must be >= 0, got ${String(ni)}`);
  const g = gates * hidden;
  return cell.nameScope(() => [
    cell.params.get('i2h_weight', { shape: [g, ni], init: opts.i2hWeightInitializer ?? null, allowDeferredInit: true }),
    cell.params.get('h2h_weight', { shape: [g, hidden], init: opts.h2hWeightInitializer ?? null, allowDeferredInit: true }),
    cell.params.get('i2h_bias', { shape: [g], init: opts.i2hBiasInitializer ?? 'zeros', allowDeferredInit: true }),
    cell.params.get('h2h_bias', { shape: [g], init: opts.h2hBiasInitializer ?? 'zeros', allowDeferredInit: true }),
  ]);
}

interface CellParams { i2h_weight: Tensor; h2h_weight: Tensor; i2h_bias: Tensor; h2h_bias: Tensor }

function mapping(cell: { i2h_weight: Parameter }, hidden: number): string {
  const s = cell.i2h_weight.shape ?? [0, 0];
  return `${s[1] ? s[1] : 'None'} -> ${s[0] ?? hidden}`;
}

/**
 * Base of RNNCell, LSTMCell and GRUCell: `gates` blocks of hiddenSize units projected from the input (i2h)
 * and from the hidden state (h2h), and a hidden state of shape (batch, hiddenSize).
 */
abstract class GatedCell extends RecurrentCell {
  readonly hiddenSize: number;
  i2h_weight: Parameter;
  h2h_weight: Parameter;
  i2h_bias: Parameter;
  h2h_bias: Parameter;

  constructor(hiddenSize: number, protected readonly gates: number, opts: CellOptions) {
    opts = optionsOf(opts, new.target);
    super(opts);
    this.hiddenSize = hiddenSize;
    [this.i2h_weight, this.h2h_weight, this.i2h_bias, this.h2h_bias] = cellParams(this, hiddenSize, gates, opts);
  }

  override stateInfo(batchSize = 0): StateInfo[] {
    return [{ shape: [batchSize, this.hiddenSize], __layout__: 'NC' }];
  }

  /** The step's i2h and h2h projections of x and h (gates * hiddenSize units each). */
  protected projections(F: F, x: Tensor, h: Tensor, p: CellParams): [Tensor, Tensor] {
    const numHidden = this.gates * this.hiddenSize;
    return [F.FullyConnected(x, p.i2h_weight, p.i2h_bias, { numHidden, ...this.stepName(x, 'i2h') }),
            F.FullyConnected(h, p.h2h_weight, p.h2h_bias, { numHidden, ...this.stepName(x, 'h2h') })];
  }

  override toString(): string {
    return `${this.className}(${mapping(this, this.gates * this.hiddenSize)})`;
  }
}

/** Options of RNNCell. */
export interface RNNCellOptions extends CellOptions {
  /** 'tanh' (default), 'relu', 'sigmoid', 'softsign', a LeakyReLU, a Block or a function. */
  activation?: CellActivation;
}

/**
 * Elman RNN cell: h' = act(W_i2h x + b_i2h + W_h2h h + b_h2h).
 * @example const cell = new gluon.rnn.RNNCell(10); cell.initialize(); const [out, [h]] = cell.forward(x, [h0]);
 */
export class RNNCell extends GatedCell {
  readonly act: CellActivation;

  constructor(hiddenSize: number, opts: RNNCellOptions = {}) {
    opts = optionsOf(opts, 'RNNCell');
    super(hiddenSize, 1, opts);
    this.act = opts.activation ?? 'tanh';
  }

  protected override alias(): string {
    return 'rnn';
  }

  override hybridForward(F: F, x: Tensor, h: Tensor, p: CellParams): Tensor[] {
    const [i2h, h2h] = this.projections(F, x, h, p);
    const out = this.activation(F, F.elemwise_add(i2h, h2h), this.act);
    return [out, out];
  }

  override toString(): string {
    return `${this.className}(${mapping(this, this.hiddenSize)}, ${typeof this.act === 'string' ? this.act : 'custom'})`;
  }
}

/** Options of LSTMCell. */
export interface LSTMCellOptions extends CellOptions {
  /** Activation of the cell input and output (default 'tanh'). */
  activation?: CellActivation;
  /** Activation of the gates (default 'sigmoid'). */
  recurrentActivation?: CellActivation;
}

/**
 * LSTM cell with gates in MXNet's order i, f, c (g), o: c' = f * c + i * g, h' = o * act(c').
 * States [h, c].
 * @example const cell = new gluon.rnn.LSTMCell(10); cell.initialize(); const [h, [h1, c1]] = cell.forward(x, cell.beginState(2));
 */
export class LSTMCell extends GatedCell {
  readonly act: CellActivation;
  readonly recurrentAct: CellActivation;

  constructor(hiddenSize: number, opts: LSTMCellOptions = {}) {
    opts = optionsOf(opts, 'LSTMCell');
    super(hiddenSize, 4, opts);
    this.act = opts.activation ?? 'tanh';
    this.recurrentAct = opts.recurrentActivation ?? 'sigmoid';
  }

  protected override alias(): string {
    return 'lstm';
  }

  override stateInfo(batchSize = 0): StateInfo[] {
    return [...super.stateInfo(batchSize), ...super.stateInfo(batchSize)]; // h and c
  }

  override hybridForward(F: F, x: Tensor, h: Tensor, c: Tensor, p: CellParams): Tensor[] {
    const [i2h, h2h] = this.projections(F, x, h, p);
    const gates = outputList(F.SliceChannel(F.elemwise_add(i2h, h2h), { numOutputs: 4, ...this.stepName(x, 'slice') }), 4);
    const inGate = this.activation(F, gates[0], this.recurrentAct);
    const forgetGate = this.activation(F, gates[1], this.recurrentAct);
    const inTransform = this.activation(F, gates[2], this.act);
    const outGate = this.activation(F, gates[3], this.recurrentAct);
    const nextC = F.elemwise_add(F.elemwise_mul(forgetGate, c), F.elemwise_mul(inGate, inTransform));
    const nextH = F.elemwise_mul(outGate, this.activation(F, nextC, this.act));
    return [nextH, nextH, nextC];
  }
}

/**
 * GRU cell (cuDNN's form, as MXNet): r, z = sigmoid(...), n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
 * h' = (1 - z) * n + z * h.
 * @example const cell = new gluon.rnn.GRUCell(10);
 */
export class GRUCell extends GatedCell {
  constructor(hiddenSize: number, opts: CellOptions = {}) {
    super(hiddenSize, 3, opts);
  }

  protected override alias(): string {
    return 'gru';
  }

  override hybridForward(F: F, x: Tensor, h: Tensor, p: CellParams): Tensor[] {
    const [i2h, h2h] = this.projections(F, x, h, p);
    const [ir, iz, inn] = outputList(F.SliceChannel(i2h, { numOutputs: 3, ...this.stepName(x, 'i2h_slice') }), 3);
    const [hr, hz, hn] = outputList(F.SliceChannel(h2h, { numOutputs: 3, ...this.stepName(x, 'h2h_slice') }), 3);
    const reset = F.Activation(F.elemwise_add(ir, hr), { actType: 'sigmoid' });
    const update = F.Activation(F.elemwise_add(iz, hz), { actType: 'sigmoid' });
    const cand = F.Activation(F.elemwise_add(inn, F.elemwise_mul(reset, hn)), { actType: 'tanh' });
    const next = F.elemwise_add(F.elemwise_mul(F._rminus_scalar(update, { scalar: 1 }), cand), F.elemwise_mul(update, h));
    return [next, next];
  }
}

/** Concatenated state infos / begin states of several cells. */
function cellsStateInfo(cells: Iterable<Block>, batchSize: number): StateInfo[] {
  return [...cells].flatMap((c) => (c as RecurrentCell).stateInfo(batchSize));
}

function cellsBeginState(cells: Iterable<Block>, batchSize: number, opts: BeginStateOptions): Tensor[] {
  return [...cells].flatMap((c) => (c as RecurrentCell).beginState(batchSize, opts));
}

/**
 * Stacks cells: each step feeds one cell's output to the next; states are the cells' states in
 * order. Children are named `0`, `1`, ... (MXNet's SequentialRNNCell).
 * @example const s = new gluon.rnn.SequentialRNNCell(); s.add(new gluon.rnn.LSTMCell(8)); s.add(new gluon.rnn.LSTMCell(8));
 */
export class SequentialRNNCell extends RecurrentCell {
  constructor(opts: BlockOptions = {}) {
    super(opts);
  }

  /** Appends a cell. */
  add(cell: RecurrentCell): this {
    if (!(cell instanceof RecurrentCell)) throw new IsotensorError(`${this.name}: add expects a recurrent cell`);
    this.registerChild(cell);
    return this;
  }

  override stateInfo(batchSize = 0): StateInfo[] {
    return cellsStateInfo(this.children.values(), batchSize);
  }

  override beginState(batchSize = 0, opts: BeginStateOptions = {}): Tensor[] {
    if (this.modified) throw new IsotensorError(`${this.name}: a modified cell cannot be called directly`);
    return cellsBeginState(this.children.values(), batchSize, opts);
  }

  /** Runs every cell for one step. */
  protected step(x: Tensor, states: Tensor[]): Tensor[] {
    const next: Tensor[] = [];
    let p = 0;
    for (const cell of this.children.values()) {
      if (cell instanceof BidirectionalCell) throw new IsotensorError(`${this.name}: a BidirectionalCell cannot be stepped; use unroll`);
      const c = cell as RecurrentCell;
      const n = c.numStates;
      const [out, st] = c.forward(x, states.slice(p, p + n));
      p += n;
      x = out;
      next.push(...(st as Tensor[]));
    }
    return [x, ...next];
  }

  override forward(x: Tensor, states: Tensor[] | Tensor = []): Tensor {
    this.counter += 1;
    const st = Array.isArray(states) ? states : [states];
    this.checkStates(st);
    const r = this.step(x, st);
    return [r[0], r.slice(1)];
  }

  override unroll(length: number, inputs: Tensor | Tensor[], opts: UnrollOptions = {}): [Tensor | Tensor[], Tensor[]] {
    return scope(() => {
      this.reset();
      const layout = opts.layout ?? 'NTC';
      const f = formatSequence(length, inputs, layout, null);
      const begin = getBeginState(this, f.F, opts.beginState, f.inputs, f.batchSize);
      const cells = [...this.children.values()] as RecurrentCell[];
      let x: Tensor | Tensor[] = f.inputs;
      let p = 0;
      const next: Tensor[] = [];
      cells.forEach((cell, i) => {
        const n = cell.numStates;
        const [out, st] = cell.unroll(length, x, {
          beginState: begin.slice(p, p + n), layout, validLength: opts.validLength ?? null,
          mergeOutputs: i < cells.length - 1 ? null : opts.mergeOutputs,
        });
        p += n;
        x = out;
        next.push(...st);
      });
      return [x, next];
    });
  }

  /** The i-th cell. */
  at(i: number): RecurrentCell {
    const c = this.children.get(String(i));
    if (c === undefined) throw new IsotensorError(`${this.name}: no cell ${i} (${this.children.size} cells)`);
    return c as RecurrentCell;
  }

  get length(): number {
    return this.children.size;
  }

  override toString(): string {
    const kids = [...this.children.entries()].map(([k, b]) => `(${k}): ${b.toString().split('\n').join('\n  ')}`);
    return `${this.className}(\n${kids.join('\n')}\n)`;
  }
}

/**
 * SequentialRNNCell that hybridize() runs as one graph per step (MXNet's HybridSequentialRNNCell).
 */
export class HybridSequentialRNNCell extends SequentialRNNCell {
  override forward(x: Tensor, states: Tensor[] | Tensor = []): Tensor {
    this.counter += 1;
    const st = Array.isArray(states) ? states : [states];
    this.checkStates(st);
    const r = outputList(HybridBlock.prototype.forward.call(this, x, ...st), 1 + st.length);
    return [r[0], r.slice(1)];
  }

  override hybridForward(_F: F, x: Tensor, ...rest: Tensor[]): Tensor[] {
    rest.pop();  // this block's (empty) parameters
    return this.step(x, rest);
  }
}

/** Options of DropoutCell. */
export interface DropoutCellOptions extends BlockOptions {
  /** Axes sharing one mask. */
  axes?: readonly number[];
}

/**
 * Applies dropout to the input of each step (no states of its own; states pass through).
 * @example seq.add(new gluon.rnn.DropoutCell(0.5))
 */
export class DropoutCell extends RecurrentCell {
  readonly rate: number;
  readonly axes: readonly number[];

  constructor(rate: number, opts: DropoutCellOptions = {}) {
    opts = optionsOf(opts, 'DropoutCell');
    super(opts);
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new IsotensorError(`DropoutCell: rate must be a number in [0, 1), got ${String(rate)}`);
    }
    this.rate = rate;
    this.axes = opts.axes ?? [];
  }

  protected override alias(): string {
    return 'dropout';
  }

  override stateInfo(): StateInfo[] {
    return [];
  }

  protected override checkStates(): void {}

  override forward(x: Tensor, states: Tensor[] | Tensor = []): Tensor {
    this.counter += 1;
    const st = Array.isArray(states) ? states : [states];
    const r = outputList(HybridBlock.prototype.forward.call(this, x), 1);
    return [r[0], st];
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor[] {
    return [this.rate > 0 ? F.Dropout(x, { p: this.rate, axes: this.axes, ...this.stepName(x, 'fwd') }) : x];
  }

  override unroll(length: number, inputs: Tensor | Tensor[], opts: UnrollOptions = {}): [Tensor | Tensor[], Tensor[]] {
    this.reset();
    const f = formatSequence(length, inputs, opts.layout ?? 'NTC', opts.mergeOutputs);
    if (isTensor(f.inputs)) return this.forward(f.inputs, opts.beginState ?? []) as [Tensor, Tensor[]];
    return super.unroll(length, inputs, { ...opts, validLength: null });
  }

  override toString(): string {
    return `${this.className}(rate=${this.rate}, axes=(${this.axes.join(', ')}))`;
  }
}

/**
 * Base of cells that wrap another cell (MXNet's ModifierCell): same parameters and states as the
 * base cell, which may then only be called through the modifier.
 */
export class ModifierCell extends RecurrentCell {
  /** The wrapped cell (MXNet's attribute name, also its key in saved parameter files). */
  base_cell: RecurrentCell;

  constructor(baseCell: RecurrentCell, alias: string) {
    if (!(baseCell instanceof RecurrentCell)) throw new IsotensorError('ModifierCell: baseCell must be a recurrent cell');
    if (baseCell.modified) throw new IsotensorError(`Cell ${baseCell.name} is already modified. One cell cannot be modified twice`);
    super({ prefix: baseCell.prefix + alias });
    baseCell.modified = true;
    this.base_cell = baseCell;
  }

  get baseCell(): RecurrentCell {
    return this.base_cell;
  }

  override get params() {
    return this.base_cell.params;
  }

  override stateInfo(batchSize = 0): StateInfo[] {
    return this.base_cell.stateInfo(batchSize);
  }

  override beginState(batchSize = 0, opts: BeginStateOptions = {}): Tensor[] {
    if (this.modified) throw new IsotensorError(`${this.name}: a modified cell cannot be called directly`);
    this.base_cell.modified = false;
    try {
      return this.base_cell.beginState(batchSize, opts);
    } finally {
      this.base_cell.modified = true;
    }
  }

  override toString(): string {
    return `${this.className}(${this.base_cell.toString()})`;
  }
}

/** Adds each step's input to the base cell's output (residual connection). */
export class ResidualCell extends ModifierCell {
  constructor(baseCell: RecurrentCell) {
    super(baseCell, 'residualcell');
  }

  override hybridForward(F: F, x: Tensor, ...rest: Tensor[]): Tensor[] {
    rest.pop();
    const [out, st] = this.base_cell.forward(x, rest);
    return [F.elemwise_add(out, x), ...(st as Tensor[])];
  }

  override unroll(length: number, inputs: Tensor | Tensor[], opts: UnrollOptions = {}): [Tensor | Tensor[], Tensor[]] {
    return scope(() => {
      this.reset();
      const layout = opts.layout ?? 'NTC';
      this.base_cell.modified = false;
      let outputs: Tensor | Tensor[];
      let states: Tensor[];
      try {
        [outputs, states] = this.base_cell.unroll(length, inputs, opts);
      } finally {
        this.base_cell.modified = true;
      }
      const merge = opts.mergeOutputs ?? isTensor(outputs);
      const f = formatSequence(length, inputs, layout, merge);
      let xs = f.inputs;
      if (opts.validLength !== undefined && opts.validLength !== null) {
        xs = maskSequence(f.F, xs, length, opts.validLength, f.axis, merge);
      }
      const out = merge ? f.F.elemwise_add(outputs, xs)
        : (outputs as Tensor[]).map((o, i) => f.F.elemwise_add(o, (xs as Tensor[])[i]));
      return [out, states];
    });
  }
}

/** Options of ZoneoutCell. */
export interface ZoneoutCellOptions {
  /** Probability of keeping the previous output (default 0). */
  zoneoutOutputs?: number;
  /** Probability of keeping each previous state (default 0). */
  zoneoutStates?: number;
}

/** Zoneout: in training, randomly keeps the previous output/states instead of the new ones. */
export class ZoneoutCell extends ModifierCell {
  readonly zoneoutOutputs: number;
  readonly zoneoutStates: number;
  private prevOutput: Tensor | null = null;

  constructor(baseCell: RecurrentCell, opts: ZoneoutCellOptions = {}) {
    opts = optionsOf(opts, 'ZoneoutCell');
    if (baseCell instanceof BidirectionalCell) {
      throw new IsotensorError("BidirectionalCell doesn't support zoneout since it doesn't support step. Please add " +
                               'ZoneoutCell to the cells underneath instead.');
    }
    super(baseCell, 'zoneout');
    this.zoneoutOutputs = opts.zoneoutOutputs ?? 0;
    this.zoneoutStates = opts.zoneoutStates ?? 0;
  }

  override reset(): void {
    super.reset();
    this.prevOutput = null;
  }

  override hybridForward(F: F, x: Tensor, ...rest: Tensor[]): Tensor[] {
    rest.pop();
    const [out, next] = this.base_cell.forward(x, rest) as [Tensor, Tensor[]];
    const mask = (p: number, like: Tensor): Tensor => F.Dropout(F.ones_like(like), { p });
    const prev = this.prevOutput ?? F.zeros_like(out);
    const output = this.zoneoutOutputs !== 0 ? F.where(mask(this.zoneoutOutputs, out), out, prev) : out;
    const states = this.zoneoutStates !== 0
      ? next.map((s, i) => F.where(mask(this.zoneoutStates, s), s, rest[i])) : next;
    this.prevOutput = output;
    return [output, ...states];
  }

  override toString(): string {
    return `${this.className}(p_out=${this.zoneoutOutputs}, p_state=${this.zoneoutStates}, ${this.base_cell.toString()})`;
  }
}

/** Options of BidirectionalCell. */
export interface BidirectionalCellOptions {
  /** Prefix of the concatenation nodes' names (default 'bi_'). */
  outputPrefix?: string;
}

/**
 * Runs one cell forward and one backward over the sequence and concatenates their outputs
 * (children l_cell and r_cell; states [...left, ...right]). Only unroll; it cannot be stepped.
 * @example const bi = new gluon.rnn.BidirectionalCell(new gluon.rnn.LSTMCell(8), new gluon.rnn.LSTMCell(8));
 */
export class BidirectionalCell extends RecurrentCell {
  readonly outputPrefix: string;

  constructor(lCell: RecurrentCell, rCell: RecurrentCell, opts: BidirectionalCellOptions = {}) {
    opts = optionsOf(opts, 'BidirectionalCell');
    super({ prefix: '' });
    this.registerChild(lCell, 'l_cell');
    this.registerChild(rCell, 'r_cell');
    this.outputPrefix = opts.outputPrefix ?? 'bi_';
  }

  override forward(..._args: Tensor[]): Tensor {
    throw new IsotensorError('Bidirectional cannot be stepped. Please use unroll');
  }

  override stateInfo(batchSize = 0): StateInfo[] {
    return cellsStateInfo(this.children.values(), batchSize);
  }

  override beginState(batchSize = 0, opts: BeginStateOptions = {}): Tensor[] {
    if (this.modified) throw new IsotensorError(`${this.name}: a modified cell cannot be called directly`);
    return cellsBeginState(this.children.values(), batchSize, opts);
  }

  override unroll(length: number, inputs: Tensor | Tensor[], opts: UnrollOptions = {}): [Tensor | Tensor[], Tensor[]] {
    return scope(() => {
      this.reset();
      const layout = opts.layout ?? 'NTC';
      const valid = opts.validLength ?? null;
      const f = formatSequence(length, inputs, layout, false);
      const steps = f.inputs as Tensor[];
      const reversed = reverseSequences(steps, length, valid);
      const begin = getBeginState(this, f.F, opts.beginState, steps, f.batchSize);
      const lCell = this.children.get('l_cell') as RecurrentCell;
      const rCell = this.children.get('r_cell') as RecurrentCell;
      const nl = lCell.numStates;
      const [lOut, lStates] = lCell.unroll(length, steps, { beginState: begin.slice(0, nl), layout,
                                                           mergeOutputs: opts.mergeOutputs, validLength: valid });
      const [rOut, rStates] = rCell.unroll(length, reversed, { beginState: begin.slice(nl), layout,
                                                              mergeOutputs: false, validLength: valid });
      let rRev: Tensor | Tensor[] = reverseSequences(rOut as Tensor[], length, valid);
      let left: Tensor | Tensor[] = lOut;
      let merge = opts.mergeOutputs;
      if (merge === undefined || merge === null) {
        merge = isTensor(lOut);
        left = formatSequence(null, lOut, layout, merge).inputs;
        rRev = formatSequence(null, rRev, layout, merge).inputs;
      }
      const F = f.F;
      let outputs: Tensor | Tensor[];
      if (merge) {
        const r = isTensor(rRev) ? rRev : F.stack(...rRev, { axis: f.axis });
        outputs = F.concat(left, r, { dim: 2 });
      } else {
        outputs = (left as Tensor[]).map((l, i) => F.concat(l, (rRev as Tensor[])[i], { dim: 1 }));
      }
      if (valid !== null) outputs = maskSequence(F, outputs, length, valid, f.axis, merge);
      return [outputs, [...lStates, ...rStates]];
    });
  }

  override toString(): string {
    return `${this.className}(forward=${this.children.get('l_cell')!.toString()}, ` +
           `backward=${this.children.get('r_cell')!.toString()})`;
  }
}
