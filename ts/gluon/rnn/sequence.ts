// Sequence helpers of gluon.rnn: splitting/merging time steps (MXNet's _format_sequence) and variable-length masking, last-step picking and reversal.
// SPDX-License-Identifier: Apache-2.0
//
// MXNet's SequenceMask/SequenceLast/SequenceReverse are composed here from registered ops (arange,
// comparisons, one_hot, batch_dot), so they work with F = mx.nd and F = mx.sym alike and are
// differentiable with respect to the data.
import { IsotensorError } from '../../base/error.js';
import { NDArray } from '../../ndarray/ndarray.js';
import * as ndNs from '../../ndarray/nd.js';
import * as symNs from '../../symbol/index.js';
import { Symbol } from '../../symbol/symbol.js';
import type { F, Tensor } from '../block.js';

/** Whether v is one NDArray or Symbol (not a list of steps). */
export function isTensor(v: unknown): v is NDArray | Symbol {
  return v instanceof NDArray || v instanceof Symbol;
}

/** The outputs of a multi-output op call as a list (NDArray calls return arrays, Symbols have at(i)). */
export function outputList(r: Tensor, n: number): Tensor[] {
  if (Array.isArray(r)) return r;
  if (r instanceof Symbol) return Array.from({ length: n }, (_, i) => r.at(i));
  return [r];
}

/** Which F fits a value (NDArray or Symbol, or a list of them). */
export function fOf(v: unknown): F {
  const first = Array.isArray(v) ? v[0] : v;
  return first instanceof Symbol ? symNs : ndNs;
}

export interface Formatted {
  inputs: Tensor | Tensor[];
  /** The time axis of layout. */
  axis: number;
  F: F;
  /** 0 when unknown (Symbols). */
  batchSize: number;
}

/**
 * MXNet's _format_sequence: inputs as one tensor (time axis from inLayout or layout) or a list of
 * (batch, ...) steps; merge true stacks into one tensor in `layout`, false splits into steps,
 * null/undefined keeps the form.
 */
export function formatSequence(length: number | null, inputs: Tensor | Tensor[], layout: string,
                               merge: boolean | null | undefined, inLayout?: string): Formatted {
  if (inputs === undefined || inputs === null) throw new IsotensorError('unroll: inputs must be given');
  const axis = layout.indexOf('T');
  const batchAxis = layout.indexOf('N');
  if (axis < 0 || batchAxis < 0) throw new IsotensorError(`unroll: layout must hold 'T' and 'N', got '${layout}'`);
  let inAxis = inLayout !== undefined ? inLayout.indexOf('T') : axis;
  let F: F;
  let batchSize = 0;
  let out: Tensor | Tensor[] = inputs;
  if (inputs instanceof Symbol) {
    F = symNs;
    if (merge === false) {
      if (inputs.numOutputs !== 1) {
        throw new IsotensorError("unroll doesn't allow a grouped symbol as input; pass a list or one output");
      }
      if (length === null) throw new IsotensorError('unroll: length must be given for Symbol inputs');
      out = outputList(symNs.split(inputs, { axis: inAxis, numOutputs: length, squeezeAxis: true }), length);
    }
  } else if (inputs instanceof NDArray) {
    F = ndNs;
    batchSize = inputs.shape[batchAxis] ?? 0;
    if (merge === false) {
      const n = inputs.shape[inAxis] ?? 0;
      if (length !== null && length !== n) {
        throw new IsotensorError(`unroll: length ${length} does not match the ${n} steps of input shape ` +
                                 `(${inputs.shape.join(', ')}) along the time axis ${inAxis} of layout '${inLayout ?? layout}'`);
      }
      out = outputList(ndNs.split(inputs, { axis: inAxis, numOutputs: n, squeezeAxis: true }), n);
    }
  } else if (Array.isArray(inputs)) {
    if (length !== null && inputs.length !== length) {
      throw new IsotensorError(`unroll: length ${length} does not match the ${inputs.length} input steps given`);
    }
    if (inputs.length === 0) throw new IsotensorError('unroll: inputs is an empty list');
    F = fOf(inputs);
    if (F === ndNs) batchSize = (inputs[0] as NDArray).shape[0] ?? 0;
    if (merge === true) {
      out = F.stack(...inputs, { axis });
      inAxis = axis;
    }
  } else {
    throw new IsotensorError(`unroll: inputs must be an NDArray, a Symbol or a list of them, got ${typeof inputs}`);
  }
  if (isTensor(out) && axis !== inAxis) out = F.swapaxes(out, { dim1: axis, dim2: inAxis });
  return { inputs: out, axis, F, batchSize };
}

/** 0..n-1 as float32 (a graph node for Symbols, an array on like's context for NDArrays). */
function steps(F: F, n: number, like: Tensor): Tensor {
  return like instanceof NDArray ? ndNs._arange({ start: 0, stop: n, ctx: like.context, dtype: like.dtype as "float32" })
    : F._arange({ start: 0, stop: n });
}

/** (T, N) or (N, T) per timeAxis: 1 where step < validLength[n]. */
function validMask(F: F, length: number, validLength: Tensor, timeAxis: number, like: Tensor): Tensor {
  const t = steps(F, length, like);
  return timeAxis === 0
    ? F.broadcast_lesser(F.reshape(t, { shape: [-1, 1] }), F.reshape(validLength, { shape: [1, -1] }))
    : F.broadcast_lesser(F.reshape(t, { shape: [1, -1] }), F.reshape(validLength, { shape: [-1, 1] }));
}

/** MXNet's SequenceMask on (T, N, ...) / (N, T, ...) data: steps at or past validLength become 0. */
export function sequenceMask(F: F, data: Tensor, length: number, validLength: Tensor, timeAxis: number): Tensor {
  let m = validMask(F, length, validLength, timeAxis, data);
  m = F.expand_dims(m, { axis: 2 });
  return F.broadcast_mul(data, m);
}

/** Masks a list of steps or a merged tensor (MXNet's _mask_sequence_variable_length). */
export function maskSequence(F: F, data: Tensor | Tensor[], length: number, validLength: Tensor, timeAxis: number,
                             merge: boolean): Tensor | Tensor[] {
  const stacked = isTensor(data) ? data : F.stack(...data, { axis: timeAxis });
  const out = sequenceMask(F, stacked, length, validLength, timeAxis);
  return merge ? out : outputList(F.split(out, { numOutputs: length, axis: timeAxis, squeezeAxis: true }), length);
}

/** MXNet's SequenceLast on (T, N, C): the step validLength[n] - 1 of each sequence, (N, C). */
export function sequenceLast(F: F, data: Tensor, length: number, validLength: Tensor): Tensor {
  const pick = F.one_hot(F._minus_scalar(validLength, { scalar: 1 }), { depth: length });  // (N, T)
  const w = F.expand_dims(F.transpose(pick), { axis: 2 });                                    // (T, N, 1)
  return F.sum(F.broadcast_mul(data, w), { axis: 0 });
}

/** MXNet's SequenceReverse on (T, N, C): each sequence's first validLength[n] steps reversed, the rest kept. */
export function sequenceReverse(F: F, data: Tensor, length: number, validLength: Tensor): Tensor {
  const t = F.reshape(steps(F, length, data), { shape: [-1, 1] });             // (T, 1)
  const len = F.reshape(validLength, { shape: [1, -1] });                      // (1, N)
  const inside = F.broadcast_lesser(t, len);                                   // (T, N)
  const rev = F.broadcast_sub(F._minus_scalar(len, { scalar: 1 }), t);         // len - 1 - t
  const keep = F.broadcast_like(t, inside);
  const idx = F.where(inside, F.broadcast_like(rev, inside), keep);            // (T, N) source step
  const onehot = F.transpose(F.one_hot(idx, { depth: length }), { axes: [1, 0, 2] });  // (N, T, T')
  const src = F.transpose(data, { axes: [1, 0, 2] });                          // (N, T', C)
  return F.transpose(F.batch_dot(onehot, src), { axes: [1, 0, 2] });
}

/** Reverses a list of steps (MXNet's _reverse_sequences), per sequence length when validLength is given. */
export function reverseSequences(sequences: Tensor[], length: number, validLength?: Tensor | null): Tensor[] {
  const F = fOf(sequences);
  if (validLength === undefined || validLength === null) return [...sequences].reverse();
  const r = sequenceReverse(F, F.stack(...sequences, { axis: 0 }), length, validLength);
  return outputList(F.split(r, { axis: 0, numOutputs: length, squeezeAxis: true }), length);
}
