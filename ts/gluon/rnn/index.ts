// gluon.rnn: the fused recurrent layers (RNN, LSTM, GRU) and the step-wise cells with unroll.
// SPDX-License-Identifier: Apache-2.0
export { GRU, LSTM, RNN, RNNLayer } from './rnn_layer.js';
export type { LSTMOptions, RNNLayerOptions, RNNOptions } from './rnn_layer.js';
export {
  BidirectionalCell, DropoutCell, GRUCell, HybridRecurrentCell, HybridSequentialRNNCell, LSTMCell, ModifierCell,
  RecurrentCell, ResidualCell, RNNCell, SequentialRNNCell, ZoneoutCell,
} from './rnn_cell.js';
export type {
  BeginStateOptions, BidirectionalCellOptions, CellActivation, CellOptions, DropoutCellOptions, LSTMCellOptions,
  RNNCellOptions, StateInfo, StateRequest, UnrollOptions, ZoneoutCellOptions,
} from './rnn_cell.js';
