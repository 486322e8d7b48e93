// The fused RNN op's sizes and packed layouts (parameters, reserve) and its run options, shared by
// the CPU kernels (rnn_kernels.h) and the device-generic ones (rnn_device.h).
#pragma once
#include <cstdint>

namespace ist {
namespace rnn {

enum class Mode { kRnnRelu, kRnnTanh, kLstm, kGru };

// Sizes of one call and where things live in the parameter and reserve vectors.
//
// Parameters (MXNet's and cuDNN's order): every weight first — for each layer l, for each direction
// d: W_i2h (G*H, in_l) then W_h2h (G*H, H), rows gate-major (LSTM i, f, g, o; GRU r, z, n) — then
// every bias in the same (l, d) order: b_i2h (G*H) then b_h2h (G*H). in_0 is the input size, in_l
// for l > 0 is D*H (both directions of the layer below).
//
// Reserve (the hidden output kept for the gradient), per layer l: the layer output y_l (T, N, D*H);
// per direction the step values (T, N, S*H) — LSTM: gates i, f, g, o after their activations and
// the cell c (S = 5); GRU: r, z, n and W_hn h + b_hn (S = 4); vanilla RNN: nothing (y_l is enough);
// then, below the top layer, the dropout mask applied to y_l (T, N, D*H), all ones without dropout.
struct Dims {
  Mode mode = Mode::kLstm;
  int64_t T = 0, N = 0, I = 0, H = 0, L = 1, D = 1;

  int64_t G() const { return mode == Mode::kLstm ? 4 : mode == Mode::kGru ? 3 : 1; }
  int64_t GH() const { return G() * H; }
  int64_t S() const { return mode == Mode::kLstm ? 5 : mode == Mode::kGru ? 4 : 0; }
  int64_t inSize(int64_t l) const { return l == 0 ? I : D * H; }

  // Parameters.
  int64_t weightsOf(int64_t l) const { return GH() * (inSize(l) + H); }  // one direction
  int64_t weightTotal() const {
    int64_t s = 0;
    for (int64_t l = 0; l < L; ++l) s += D * weightsOf(l);
    return s;
  }
  int64_t paramSize() const { return weightTotal() + L * D * 2 * GH(); }
  int64_t wih(int64_t l, int64_t d) const {
    int64_t s = 0;
    for (int64_t k = 0; k < l; ++k) s += D * weightsOf(k);
    return s + d * weightsOf(l);
  }
  int64_t whh(int64_t l, int64_t d) const { return wih(l, d) + GH() * inSize(l); }
  int64_t bih(int64_t l, int64_t d) const { return weightTotal() + (l * D + d) * 2 * GH(); }
  int64_t bhh(int64_t l, int64_t d) const { return bih(l, d) + GH(); }

  // Reserve.
  int64_t outSize() const { return T * N * D * H; }  // one layer's output
  int64_t layerReserve(int64_t l) const { return outSize() * (l + 1 < L ? 2 : 1) + D * T * N * S() * H; }
  int64_t reserveSize() const {
    int64_t s = 0;
    for (int64_t l = 0; l < L; ++l) s += layerReserve(l);
    return s;
  }
  int64_t resY(int64_t l) const {
    int64_t s = 0;
    for (int64_t k = 0; k < l; ++k) s += layerReserve(k);
    return s;
  }
  int64_t resSteps(int64_t l, int64_t d) const { return resY(l) + outSize() + d * T * N * S() * H; }
  int64_t resMask(int64_t l) const { return resY(l) + outSize() + D * T * N * S() * H; }
};

struct Options {
  bool clip = false;  // LSTM cell clipping to [clipLo, clipHi]
  double clipLo = 0, clipHi = 0;
  bool clipNan = false;  // NaN cells become clipLo instead of propagating
  bool dropout = false;  // between layers (training with p > 0)
  double p = 0;
  uint64_t rngKey = 0, rngCounter = 0;
};

}  // namespace rnn
}  // namespace ist
