// gluon.rnn layers RNN, LSTM, GRU (MXNet 1.9's gluon/rnn/rnn_layer.py): whole sequences through the fused RNN operator.
// SPDX-License-Identifier: Apache-2.0
//
// Parameters keep MXNet's per-layer names and shapes (l0_i2h_weight (G*H, in), l0_h2h_weight,
// l0_i2h_bias, l0_h2h_bias, r0_... for the reverse direction) and are flattened and concatenated
// into the operator's parameter vector in its order (every weight, then every bias; per layer,
// per direction, i2h then h2h). forward(x, states?, sequenceLength?) returns the output alone when
// no states are given, else [output, states]. The input size may be left 0: the first forward
// reads it from the input's C axis.
import type { DType } from '../../base/dtype.js';
import { IsotensorError, kindOf, optionsOf, show } from '../../base/error.js';
import { NDArray } from '../../ndarray/ndarray.js';
import * as ndNs from '../../ndarray/nd.js';
import { HybridBlock, type BlockOptions, type F, type Tensor } from '../block.js';
import type { InitSpec, Parameter } from '../parameter.js';
import type { BeginStateOptions, StateInfo, StateRequest } from './rnn_cell.js';
import { outputList } from './sequence.js';

type Mode = 'rnn_relu' | 'rnn_tanh' | 'lstm' | 'gru';
const GATES: Record<Mode, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };

/** Options every recurrent layer takes. */
export interface RNNLayerOptions extends BlockOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** 'TNC' (default: sequence, batch, channels) or 'NTC'. */
  layout?: 'TNC' | 'NTC';
  /** Dropout between stacked layers in training (default 0). */
  dropout?: number;
  bidirectional?: boolean;
  /** Input size; 0 (default) infers it at the first forward. */
  inputSize?: number;
  i2hWeightInitializer?: InitSpec | null;
  h2hWeightInitializer?: InitSpec | null;
  i2hBiasInitializer?: InitSpec | null;
  h2hBiasInitializer?: InitSpec | null;
  dtype?: DType | string;
  /** forward takes sequenceLength (batch,): steps past each sequence's length output 0. */
  useSequenceLength?: boolean;
}

/** Options of RNN. */
export interface RNNOptions extends RNNLayerOptions {
  /** 'relu' (default) or 'tanh'. */
  activation?: 'relu' | 'tanh';
}

/** Options of LSTM. */
export interface LSTMOptions extends RNNLayerOptions {
  /** LSTM projection (MXNet runs it with cuDNN only; the operator here rejects it). */
  projectionSize?: number | null;
  h2rWeightInitializer?: InitSpec | null;
  /** Clip the cell state to [stateClipMin, stateClipMax]. */
  stateClipMin?: number | null;
  stateClipMax?: number | null;
  stateClipNan?: boolean;
}

interface LayerConfig extends LSTMOptions {
  mode: Mode;
}

/** The shared implementation of RNN, LSTM and GRU (MXNet's _RNNLayer). */
export class RNNLayer extends HybridBlock {
  /** The parameters by MXNet's names: l0_i2h_weight, l0_h2h_weight, l0_i2h_bias, l0_h2h_bias, r0_... */
  [param: `${'l' | 'r'}${number}_${string}`]: Parameter;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly layout: 'TNC' | 'NTC';
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly mode: Mode;
  readonly projectionSize: number | null;
  readonly useSequenceLength: boolean;
  protected dtype: string;
  private readonly clip: { min: number | null; max: number | null; nan: boolean };
  private readonly gates: number;
  private readonly dirs: string[];

  constructor(hiddenSize: number, cfg: LayerConfig) {
    super(cfg);
    const layer = this.className;
    // RNN, LSTM and GRU pass the mode; the base used directly needs it spelled out.
    if (cfg === null || typeof cfg !== 'object' || !(cfg.mode in GATES)) {
      throw new IsotensorError(`${layer}: argument 'cfg' must be an object with mode ${Object.keys(GATES).map((m) => `'${m}'`).join(', ')}, got ${cfg !== null && typeof cfg === 'object' ? `mode ${show(cfg.mode)}` : kindOf(cfg)}`);
    }
    if (!Number.isInteger(hiddenSize) || hiddenSize <= 0) {
      throw new IsotensorError(`${layer}: argument 'hiddenSize' must be a positive integer, got ${show(hiddenSize)}`);
    }
    const layout = cfg.layout ?? 'TNC';
    if (layout !== 'TNC' && layout !== 'NTC') throw new IsotensorError(`${layer}: invalid layout '${String(layout)}'; must be 'TNC' or 'NTC'`);
    const numLayers = cfg.numLayers ?? 1;
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new IsotensorError(`${layer}: numLayers must be a positive integer, got ${numLayers}`);
    const inputSize = cfg.inputSize ?? 0;
    if (!Number.isInteger(inputSize) || inputSize < 0) throw new IsotensorError(`${layer}: inputSize must be >= 0, got ${inputSize}`);
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.layout = layout;
    this.dropout = cfg.dropout ?? 0;
    this.bidirectional = cfg.bidirectional ?? false;
    this.mode = cfg.mode;
    this.projectionSize = cfg.projectionSize ? cfg.projectionSize : null;
    this.useSequenceLength = cfg.useSequenceLength ?? false;
    this.dtype = cfg.dtype ?? 'float32';
    this.clip = { min: cfg.stateClipMin ?? null, max: cfg.stateClipMax ?? null, nan: cfg.stateClipNan ?? false };
    this.gates = GATES[cfg.mode];
    this.dirs = this.bidirectional ? ['l', 'r'] : ['l'];
    const ng = this.gates * hiddenSize;
    const np = this.projectionSize;
    const reg = (name: string, shape: number[], init: InitSpec | null | undefined): void => {
      // Property names are MXNet's parameter names: they are the keys of saved parameter files.
      (this as unknown as Record<string, Parameter>)[name] = this.params.get(name, {
        shape, init: init ?? null, allowDeferredInit: true, dtype: this.dtype });
    };
    this.nameScope(() => {
      let ni = inputSize;
      for (let l = 0; l < numLayers; l++) {
        for (const d of this.dirs) {
          reg(`${d}${l}_i2h_weight`, [ng, ni], cfg.i2hWeightInitializer);
          reg(`${d}${l}_h2h_weight`, [ng, np ?? hiddenSize], cfg.h2hWeightInitializer);
          reg(`${d}${l}_i2h_bias`, [ng], cfg.i2hBiasInitializer ?? 'zeros');
          reg(`${d}${l}_h2h_bias`, [ng], cfg.h2hBiasInitializer ?? 'zeros');
          if (np !== null) reg(`${d}${l}_h2r_weight`, [np, hiddenSize], cfg.h2rWeightInitializer);
        }
        ni = (np ?? hiddenSize) * this.dirs.length;
      }
    });
  }

  private param(name: string): Parameter {
    return (this as unknown as Record<string, Parameter>)[name]!;
  }

  /** Shapes of the begin states for a batch size ([h] or, for LSTM, [h, c]). */
  stateInfo(batchSize = 0): StateInfo[] {
    const n = this.numLayers * this.dirs.length;
    const h: StateInfo = { shape: [n, batchSize, this.projectionSize ?? this.hiddenSize], __layout__: 'LNC', dtype: this.dtype };
    if (this.mode !== 'lstm') return [h];
    return [h, { shape: [n, batchSize, this.hiddenSize], __layout__: 'LNC', dtype: this.dtype }];
  }

  /**
   * Initial states (zeros by default), named `<prefix>h0_<i>`.
   * @example lstm.beginState(8) // [h0, c0], each (numLayers * directions, 8, hidden)
   */
  beginState(batchSize = 0, opts: BeginStateOptions = {}): Tensor[] {
    return this.stateInfo(batchSize).map((info, i) => {
      const req: StateRequest = { ...info, name: `${this.prefix}h0_${i}`, ctx: opts.ctx };
      if (opts.dtype !== undefined) req.dtype = opts.dtype;
      if (opts.func !== undefined) return opts.func(req);
      return ndNs.zeros(info.shape, { ctx: opts.ctx, dtype: (req.dtype ?? 'float32') as DType });
    });
  }

  /**
   * Runs the layer over a sequence. Without states: returns the output; with states: [output, newStates].
   * @example const [out, [h, c]] = lstm.forward(x, lstm.beginState(batch));
   */
  override forward(x: Tensor, states?: Tensor | Tensor[] | null, sequenceLength?: Tensor | null): Tensor {
    const skip = states === undefined || states === null;
    const st: Tensor[] = skip ? [] : Array.isArray(states) ? states : [states];
    const want = this.mode === 'lstm' ? 2 : 1;
    if (!skip && st.length !== want) {
      throw new IsotensorError(`${this.name} (${this.className}): expected ${want} state(s), got ${st.length}`);
    }
    if (this.useSequenceLength && (sequenceLength === undefined || sequenceLength === null)) {
      throw new IsotensorError(`${this.name} (${this.className}): useSequenceLength is set, so forward needs sequenceLength`);
    }
    if (x instanceof NDArray) this.checkInput(x, st);
    const r = outputList(super.forward(x, st[0], st[1], this.useSequenceLength ? sequenceLength : undefined), 1 + want);
    return skip ? r[0] : [r[0], r.slice(1)];
  }

  /** Input rank and size, and state shapes, against the layer (MXNet raises on wrong state shapes). */
  private checkInput(x: NDArray, states: Tensor[]): void {
    const shape = (s: readonly number[]): string => `(${s.join(', ')})`;
    if (x.ndim !== 3) {
      throw new IsotensorError(`${this.name} (${this.className}): expected input of rank 3 in layout ${this.layout}, got ` +
                               `shape ${shape(x.shape)}`);
    }
    const c = x.shape[this.layout.indexOf('C')]!;
    const w = this.param('l0_i2h_weight').shape ?? [];
    if (w[1] !== undefined && w[1] > 0 && w[1] !== c) {
      throw new IsotensorError(`${this.name} (${this.className}): input shape ${shape(x.shape)} has ${c} features on ` +
                               `its C axis (layout ${this.layout}), but the layer expects ${w[1]} (l0_i2h_weight ` +
                               `shape ${shape(w)})`);
    }
    const batch = x.shape[this.layout.indexOf('N')]!;
    this.stateInfo(batch).forEach((info, i) => {
      const s = states[i];
      if (s instanceof NDArray && shape(s.shape) !== shape(info.shape)) {
        throw new IsotensorError(`${this.name} (${this.className}): invalid recurrent state shape. Expecting ` +
                                 `${shape(info.shape)}, got ${shape(s.shape)} (state ${i})`);
      }
    });
  }

  /** Reads the input size from the first input's C axis, then finishes deferred initialization. */
  override deferredInit(inputs: readonly unknown[]): void {
    const x = inputs[0];
    if (x instanceof NDArray && x.ndim === 3) {
      const c = x.shape[this.layout.indexOf('C')]!;
      for (const d of this.dirs) {
        const p = this.param(`${d}0_i2h_weight`);
        if (!p.shapeKnown) p.shape = [this.gates * this.hiddenSize, c];
      }
    }
    for (const p of this.collectParams().values()) p.finishDeferredInit();
  }

  /** Zero states (numLayers * dirs, batch, size) derived from data (T, N, C): works on Symbols. */
  private zeroStates(F: F, data: Tensor): Tensor[] {
    if (data instanceof NDArray) {
      return this.beginState(data.shape[1]!, { ctx: data.context, dtype: data.dtype });
    }
    const n = this.numLayers * this.dirs.length;
    const base = F.sum(F.slice_axis(F.zeros_like(data), { axis: 0, begin: 0, end: 1 }), { axis: 2, keepdims: true });
    return this.stateInfo(0).map((info) => F.broadcast_axis(base, { axis: [0, 2], size: [n, info.shape[2]!] }));
  }

  /**
   * Traced with the input size still unknown (a parent hybridized before the first forward), the
   * graph must tell shape inference that l0's i2h weights are (G*H, C): flattening and concatenating
   * them hides that (MXNet's _rnn_param_concat knows the layout; Concat and Reshape here do not).
   * A FullyConnected of the first step with those weights, turned into zeros by zeros_like (no
   * value, no gradient flows), is added to the parameter vector so the usual inference fills them in.
   */
  private tieInputSize(F: F, data: Tensor, params: Tensor, p: Record<string, Tensor>): Tensor {
    const step0 = F.slice_axis(data, { axis: 0, begin: 0, end: 1 });
    let tie: Tensor = null;
    for (const d of this.dirs) {
      const fc = F.FullyConnected(step0, p[`${d}0_i2h_weight`], { noBias: true, numHidden: this.gates * this.hiddenSize,
                                                                  flatten: false });
      const z = F.reshape(F.sum(F.zeros_like(fc)), { shape: [1] });
      tie = tie === null ? z : F.elemwise_add(tie, z);
    }
    return F.broadcast_add(params, tie);
  }

  override hybridForward(F: F, x: Tensor, s0: Tensor | undefined, s1: Tensor | undefined, seqLen: Tensor | undefined,
                         p: Record<string, Tensor>): Tensor[] {
    const data = this.layout === 'NTC' ? F.swapaxes(x, { dim1: 0, dim2: 1 }) : x;
    const states = s0 === undefined || s0 === null ? this.zeroStates(F, data) : this.mode === 'lstm' ? [s0, s1] : [s0];
    const flat: Tensor[] = [];
    const groups = this.projectionSize === null ? ['i2h', 'h2h'] : ['i2h', 'h2h', 'h2r'];
    for (const t of ['weight', 'bias']) {
      for (let l = 0; l < this.numLayers; l++) {
        for (const d of this.dirs) {
          for (const g of groups) {
            if (g === 'h2r' && t === 'bias') continue;
            flat.push(F.reshape(p[`${d}${l}_${g}_${t}`], { shape: [-1] }));
          }
        }
      }
    }
    let params = F.Concat(...flat, { dim: 0 });
    if (!(x instanceof NDArray) && !this.param('l0_i2h_weight').shapeKnown) params = this.tieInputSize(F, data, params, p);
    const extra = this.useSequenceLength ? [seqLen] : [];
    const opts: Record<string, unknown> = {
      stateSize: this.hiddenSize, numLayers: this.numLayers, bidirectional: this.bidirectional, p: this.dropout,
      stateOutputs: true, mode: this.mode, useSequenceLength: this.useSequenceLength,
    };
    if (this.projectionSize !== null) opts['projectionSize'] = this.projectionSize;
    if (this.clip.min !== null) opts['lstmStateClipMin'] = this.clip.min;
    if (this.clip.max !== null) opts['lstmStateClipMax'] = this.clip.max;
    if (this.clip.nan) opts['lstmStateClipNan'] = true;
    const outs = outputList(F.RNN(data, params, ...states, ...extra, opts), this.mode === 'lstm' ? 3 : 2);
    const out = this.layout === 'NTC' ? F.swapaxes(outs[0], { dim1: 0, dim2: 1 }) : outs[0];
    return [out, ...outs.slice(1)];
  }

  /**
   * MXNet 1.9 saves recurrent layers under their unfused names (`_unfused.0.i2h_weight`,
   * bidirectional `_unfused.0.l_cell.i2h_weight`), so files round-trip with MXNet.
   */
  override collectParamsWithPrefix(prefix = ''): Map<string, Parameter> {
    const p = prefix === '' ? '' : `${prefix}.`;
    const ret = new Map<string, Parameter>();
    for (const [k, v] of this.regParams) {
      const m = /^(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)$/.exec(k);
      if (m === null) {
        ret.set(p + k, v);
        continue;
      }
      const [, d, l, g, t] = m;
      ret.set(this.bidirectional ? `${p}_unfused.${l}.${d}_cell.${g}_${t}` : `${p}_unfused.${l}.${g}_${t}`, v);
    }
    return ret;
  }

  override cast(dtype: DType | string): void {
    super.cast(dtype);
    this.dtype = dtype;
  }

  override toString(): string {
    const s = this.param('l0_i2h_weight').shape ?? [0, 0];
    let out = `${this.className}(${s[1] ? s[1] : 'None'} -> ${this.hiddenSize}, ${this.layout}`;
    if (this.numLayers !== 1) out += `, num_layers=${this.numLayers}`;
    if (this.dropout !== 0) out += `, dropout=${this.dropout}`;
    if (this.bidirectional) out += ', bidirectional';
    return `${out})`;
  }
}

/**
 * Multi-layer Elman RNN with relu (default) or tanh: h_t = act(W_i2h x_t + b_i2h + W_h2h h_(t-1) + b_h2h).
 * @example const rnn = new gluon.rnn.RNN(16, { numLayers: 2 }); rnn.initialize(); rnn.forward(nd.ones([5, 3, 8]))
 */
export class RNN extends RNNLayer {
  constructor(hiddenSize: number, opts: RNNOptions = {}) {
    opts = optionsOf(opts, 'RNN');
    const act = opts.activation ?? 'relu';
    if (act !== 'relu' && act !== 'tanh') throw new IsotensorError(`RNN: activation must be 'relu' or 'tanh', got '${String(act)}'`);
    super(hiddenSize, { ...opts, mode: `rnn_${act}` });
  }
}

/**
 * Multi-layer LSTM (gates i, f, g, o); states [h, c] of shape (numLayers * directions, batch, hidden).
 * @example const lstm = new gluon.rnn.LSTM(16, { layout: 'NTC' }); lstm.initialize(); lstm.forward(nd.ones([3, 5, 8]))
 */
export class LSTM extends RNNLayer {
  constructor(hiddenSize: number, opts: LSTMOptions = {}) {
    opts = optionsOf(opts, 'LSTM');
    super(hiddenSize, { ...opts, mode: 'lstm' });
  }
}

/**
 * Multi-layer GRU (gates r, z, n; cuDNN's form); state h of shape (numLayers * directions, batch, hidden).
 * @example const gru = new gluon.rnn.GRU(16, { bidirectional: true });
 */
export class GRU extends RNNLayer {
  constructor(hiddenSize: number, opts: RNNLayerOptions = {}) {
    opts = optionsOf(opts, 'GRU');
    super(hiddenSize, { ...opts, mode: 'gru' });
  }
}
