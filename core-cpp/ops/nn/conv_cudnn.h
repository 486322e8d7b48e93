// cuDNN's view (kernels/cuda/cudnn.h) of a Convolution or Deconvolution given as conv::Dims.
// Included only from .cu files. A Deconvolution is the data gradient of the convolution that maps
// its output (the geometry's "image") back to its input, whose filter is the Deconvolution weight.
#pragma once
#include <vector>
#include "kernels/cuda/cudnn.h"
#include "ops/nn/conv_common.h"

namespace ist {
namespace conv {

inline cudnn::ConvShape cudnnShapeOf(const Dims& d, bool transposed) {
  cudnn::ConvShape s;
  s.nbSpatial = d.g.nd < 2 ? 2 : d.g.nd;  // a 1-D convolution gets a unit height
  s.N = d.N;
  s.G = d.G;
  s.C = transposed ? d.F : d.C;
  s.F = transposed ? d.C : d.F;
  for (int i = 0; i < s.nbSpatial; ++i) {
    const int j = 3 - s.nbSpatial + i;  // Geom keeps spatial dims right-aligned in 3 slots
    s.in[i] = d.g.in[j];
    s.out[i] = d.g.out[j];
    s.k[i] = d.g.k[j];
    s.stride[i] = d.g.s[j];
    s.dilate[i] = d.g.d[j];
    s.pad[i] = d.g.p[j];
  }
  return s;
}

// cuDNN runs one dtype per call: inputs of mixed dtypes take the own kernels (which widen).
inline bool oneDtype(const std::vector<TBlob>& in, const std::vector<TBlob>& out) {
  for (auto* v : {&in, &out})
    for (const TBlob& b : *v)
      if (b.dptr && b.dtype != in[0].dtype) return false;
  return true;
}

// Whether any output accumulates (req add): such a call cannot be repeated to time alternatives.
inline bool accumulates(const std::vector<OpReq>& req) {
  for (OpReq r : req)
    if (r == OpReq::kAddTo) return true;
  return false;
}

// fn(T()) for T float or double: the dtypes cuDNN convolutions run in (cudnn::convSupported).
template <typename Fn>
void floatOrDouble(DType dt, Fn&& fn) {
  if (dt == DType::kFloat64) fn(double());
  else fn(float());
}

}  // namespace conv
}  // namespace ist
