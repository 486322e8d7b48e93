// RNN's parameters and the helpers its CPU compute (rnn.cc) and device-generic compute
// (rnn_device.h) share: sizes from the data shape, run options, the backward op's input layout,
// and the check of sequence lengths.
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/rnn_layout.h"

namespace ist {
namespace rnnop {

struct RNNParam {
  int state_size = 0;
  int num_layers = 0;
  bool bidirectional = false;
  std::string mode;
  float p = 0;
  bool state_outputs = false;
  std::optional<int> projection_size;
  std::optional<double> lstm_state_clip_min, lstm_state_clip_max;
  bool lstm_state_clip_nan = false;
  bool use_sequence_length = false;

  static void declare(ParamDecl<RNNParam>& d) {
    d.field("state_size", &RNNParam::state_size).range(1, 2147483647).doc("size of the state for each layer");
    d.field("num_layers", &RNNParam::num_layers).range(1, 2147483647).doc("number of stacked layers");
    d.field("bidirectional", &RNNParam::bidirectional).setDefault(false)
        .doc("whether to use bidirectional recurrent layers");
    d.field("mode", &RNNParam::mode).values({"rnn_relu", "rnn_tanh", "lstm", "gru"}).doc("the type of RNN to compute");
    d.field("p", &RNNParam::p).setDefault(0.0f).range(0, 1)
        .doc("drop rate of the dropout on the outputs of each RNN layer, except the last layer.");
    d.field("state_outputs", &RNNParam::state_outputs).setDefault(false)
        .doc("Whether to have the states as symbol outputs.");
    d.field("projection_size", &RNNParam::projection_size).setDefault(std::nullopt)
        .doc("size of project size (LSTM projection; MXNet runs it only with cuDNN, and it is rejected here)");
    d.field("lstm_state_clip_min", &RNNParam::lstm_state_clip_min).setDefault(std::nullopt)
        .doc("Minimum clip value of LSTM states. This option must be used together with lstm_state_clip_max.");
    d.field("lstm_state_clip_max", &RNNParam::lstm_state_clip_max).setDefault(std::nullopt)
        .doc("Maximum clip value of LSTM states. This option must be used together with lstm_state_clip_min.");
    d.field("lstm_state_clip_nan", &RNNParam::lstm_state_clip_nan).setDefault(false)
        .doc("Whether to stop NaN from propagating in state by clipping it to min/max. If clipping range is not "
             "specified, this option is ignored.");
    d.field("use_sequence_length", &RNNParam::use_sequence_length).setDefault(false)
        .doc("If set to true, this layer takes in an extra input parameter `sequence_length` to specify variable "
             "length sequence");
  }

  rnn::Mode kind() const {
    return mode == "lstm" ? rnn::Mode::kLstm : mode == "gru" ? rnn::Mode::kGru
           : mode == "rnn_relu" ? rnn::Mode::kRnnRelu : rnn::Mode::kRnnTanh;
  }
  bool lstm() const { return mode == "lstm"; }
  int64_t dirs() const { return bidirectional ? 2 : 1; }
  // Inputs after (data, parameters, state): state_cell for LSTM, then sequence_length if used.
  int numExtra() const { return (lstm() ? 1 : 0) + (use_sequence_length ? 1 : 0); }
  int cellIndex() const { return lstm() ? 3 : -1; }
  int lengthIndex() const { return use_sequence_length ? 3 + (lstm() ? 1 : 0) : -1; }
  int numVisible() const { return state_outputs ? (lstm() ? 3 : 2) : 1; }
};

inline rnn::Dims dimsOf(const RNNParam& p, const Shape& data) {
  rnn::Dims d;
  d.mode = p.kind();
  d.T = data[0];
  d.N = data[1];
  d.I = data[2];
  d.H = p.state_size;
  d.L = p.num_layers;
  d.D = p.dirs();
  return d;
}

inline rnn::Options optionsOf(const RNNParam& p, const OpContext& ctx) {
  rnn::Options o;
  if (p.lstm() && p.lstm_state_clip_min && p.lstm_state_clip_max) {
    o.clip = true;
    o.clipLo = *p.lstm_state_clip_min;
    o.clipHi = *p.lstm_state_clip_max;
    o.clipNan = p.lstm_state_clip_nan;
  }
  o.dropout = ctx.isTrain && p.p > 0 && p.num_layers > 1;
  o.p = p.p;
  o.rngKey = ctx.rngKey;
  o.rngCounter = ctx.rngCounter;
  return o;
}

// Sequence lengths (read as doubles) as integers in [0, T].
inline std::vector<int64_t> checkLengths(const std::vector<double>& v, int64_t T, const char* op) {
  std::vector<int64_t> lens(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    IST_CHECK(v[i] == std::floor(v[i]) && v[i] >= 0 && v[i] <= static_cast<double>(T), op, "sequence_length",
              "entry " << i << " is " << v[i] << "; lengths must be integers in [0, " << T
                       << "] (the sequence length of data)");
    lens[i] = static_cast<int64_t>(v[i]);
  }
  return lens;
}

// _backward_RNN's inputs: ograd, data, parameters, state, [state_cell], [sequence_length], reserve,
// [ograd_state, [ograd_statecell]] (the state gradients when state_outputs).
struct BwdLayout {
  int cell = -1, length = -1, reserve = -1, ogState = -1, ogCell = -1, count = 0;
  std::vector<std::string> names{"ograd", "data", "parameters", "state"};
};

inline BwdLayout bwdLayout(const RNNParam& p) {
  BwdLayout b;
  int k = 4;
  auto add = [&](int& slot, const char* name) {
    slot = k++;
    b.names.push_back(name);
  };
  if (p.lstm()) add(b.cell, "state_cell");
  if (p.use_sequence_length) add(b.length, "sequence_length");
  add(b.reserve, "reserve");
  if (p.state_outputs) {
    add(b.ogState, "ograd_state");
    if (p.lstm()) add(b.ogCell, "ograd_statecell");
  }
  b.count = k;
  return b;
}

}  // namespace rnnop
}  // namespace ist
