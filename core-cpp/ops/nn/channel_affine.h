// BatchNorm's inference arithmetic per channel, y = (y [+ bias] - mu) * scale + shift (then a
// residual add, then relu), as an epilogue a convolution applies to each image's output while it is in cache
// (graph/fuse_conv_bn.h).
#pragma once
#include <cstdint>
#include <vector>
#include "ndarray/tblob.h"
#include "ops/nn/norm_params.h"

namespace ist {

template <typename T>
struct ChannelAffine {
  // Per channel, in T as BatchNorm's float/double path uses them; empty without a BatchNorm (then
  // only the bias, the residual and the relu apply).
  std::vector<T> mu, scale, shift;
  bool relu = false;
  // A residual added after the affine and before the relu (a ResNet block's shortcut): an array of
  // the output's shape, or null.
  const T* residual = nullptr;
  // The convolution's bias per channel, added first (as the convolution adds it), or null.
  const T* bias = nullptr;
  // A channel shuffle follows (graph/fuse_conv_bn.h): the grouped convolution writes filter f of group g
  // (of G groups) to channel f * G + g. Channel c here stays the filter's index.
  bool shuffled = false;

  // Channel c's run of n values at element `at` of the output: BatchNorm's normalizeRun, then
  // elemwise_add's residual[at + i], then Activation relu's formula (NaN kept).
  void apply(T* y, int64_t c, int64_t n, int64_t at) const {
    if (bias) {  // its own pass, over values in cache: y + b rounds as the unfused convolution's does
      const T b = bias[c];
      for (int64_t i = 0; i < n; ++i) y[i] += b;
    }
    if (mu.empty()) {  // no BatchNorm: elemwise_add's y + residual, then the relu
      const T* r = residual ? residual + at : nullptr;
      if (r && relu) {
        for (int64_t i = 0; i < n; ++i) {
          const T v = y[i] + r[i];
          y[i] = !(v <= T(0)) ? v : T(0);
        }
      } else if (r) {
        for (int64_t i = 0; i < n; ++i) y[i] = y[i] + r[i];
      } else if (relu) {
        for (int64_t i = 0; i < n; ++i) y[i] = !(y[i] <= T(0)) ? y[i] : T(0);
      }
      return;
    }
    const T m = mu[c], s = scale[c], t = shift[c];
    if (residual) {
      const T* r = residual + at;
      if (relu) {
        for (int64_t i = 0; i < n; ++i) {
          const T v = (y[i] - m) * s + t + r[i];
          y[i] = !(v <= T(0)) ? v : T(0);
        }
      } else {
        for (int64_t i = 0; i < n; ++i) y[i] = (y[i] - m) * s + t + r[i];
      }
    } else if (relu) {
      for (int64_t i = 0; i < n; ++i) {
        const T v = (y[i] - m) * s + t;
        y[i] = !(v <= T(0)) ? v : T(0);
      }
    } else {
      for (int64_t i = 0; i < n; ++i) y[i] = (y[i] - m) * s + t;
    }
  }
};

// The (mu, scale, shift) batchNormCompute uses with the moving statistics (inference or
// use_global_stats), from its gamma, beta, moving_mean and moving_var inputs. T: float or double.
template <typename T>
ChannelAffine<T> batchNormInferenceAffine(const BatchNormParam& p, const TBlob& gamma, const TBlob& beta,
                                          const TBlob& mean, const TBlob& var);

class PreparedInput;  // op/prepared_input.h

// y = Convolution(x, w) then the affine, per image (data, weight: the convolution's inputs; its bias,
// if any, is the affine's; float32 or float64, NCHW). prepared: the executor's cache of the weights'
// prepared form, or null.
// Defined in convolution.cc.
template <typename T>
void convolutionWithAffine(const NodeAttrs& conv, const TBlob& data, const TBlob& weight, const TBlob& y,
                           const ChannelAffine<T>& affine, PreparedInput* prepared);

}  // namespace ist
