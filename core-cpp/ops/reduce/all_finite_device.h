// all_finite, multi_all_finite and multi_sum_sq (MXNet's AMP / LAMB helpers): params and the
// device-generic computes, the CPU kernels in all_finite.cc and the GPU kernels with their CPU
// twins in all_finite.cu.
#pragma once
#include <climits>
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace finitedev {

struct AllFiniteParam {
  bool init_output = true;
  static void declare(ParamDecl<AllFiniteParam>& d) {
    d.field("init_output", &AllFiniteParam::init_output).setDefault(true)
        .doc("Initialize output to 1. When false, the output keeps its value unless an element is not "
             "finite (it is ANDed into the existing output).");
  }
};

struct MultiAllFiniteParam {
  int num_arrays = 1;
  bool init_output = true;
  static void declare(ParamDecl<MultiAllFiniteParam>& d) {
    d.field("num_arrays", &MultiAllFiniteParam::num_arrays).setDefault(1).range(1, INT_MAX)
        .doc("Number of arrays.");
    d.field("init_output", &MultiAllFiniteParam::init_output).setDefault(true)
        .doc("Initialize output to 1. When false, the output keeps its value unless an element is not "
             "finite (it is ANDed into the existing output).");
  }
};

struct MultiSumSqParam {
  int num_arrays = 1;
  static void declare(ParamDecl<MultiSumSqParam>& d) {
    d.field("num_arrays", &MultiSumSqParam::num_arrays).range(1, INT_MAX).doc("number of input arrays.");
  }
};

struct SetFlagMap {
  ISTX static void Map(int64_t i, float* out, float v) { out[i] = v; }
};

// Clears the flag when element i is not finite, judged as a float32 as MXNet does (so a float64
// beyond float32's range counts as infinite). Every writer stores the same 0, so no race matters.
struct FiniteCheckMap {
  template <typename T> ISTX static void Map(int64_t i, float* flag, const T* x) {
    const float v = static_cast<float>(dnd::ldd(x[i]));
    if (!(v - v == 0.0f)) flag[0] = 0.0f;
  }
};

constexpr int64_t kSumSqChunk = 4096;

// partial[c] = sum of x[j]^2 over chunk c, in double, in index order.
struct SumSqChunkMap {
  template <typename T> ISTX static void Map(int64_t c, double* partial, const T* x, int64_t n) {
    const int64_t b = c * kSumSqChunk, e = b + kSumSqChunk < n ? b + kSumSqChunk : n;
    double s = 0;
    for (int64_t j = b; j < e; ++j) {
      const double v = dnd::ldd(x[j]);
      s += v * v;
    }
    partial[c] = s;
  }
};

// out[k] = the chunks' partial sums added in order, as float32.
struct SumSqFinishMap {
  ISTX static void Map(int64_t, float* out, const double* partial, int64_t chunks) {
    double s = 0;
    for (int64_t c = 0; c < chunks; ++c) s += partial[c];
    out[0] = static_cast<float>(s);
  }
};

// all_finite (Multi = false, one input) and multi_all_finite: out (1,) float32.
template <typename Dev, bool Multi>
void allFiniteDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const bool init = Multi ? attrs.get<MultiAllFiniteParam>().init_output : attrs.get<AllFiniteParam>().init_output;
  const char* op = Multi ? "multi_all_finite" : "all_finite";
  void* s = ctx.run.stream;
  float* flag = out[0].data<float>();
  if (init) DeviceKernel<SetFlagMap, Dev>::launch(s, 1, 1, flag, 1.0f);
  for (const TBlob& x : in) {
    if (x.size() == 0) continue;
    IST_TYPE_SWITCH_FLOAT(x.dtype, T, op, {
      DeviceKernel<FiniteCheckMap, Dev>::launch(s, x.size(), 1, flag, x.data<T>());
    });
  }
}

template <typename Dev>
void multiSumSqDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  void* s = ctx.run.stream;
  int64_t maxChunks = 1;
  for (const TBlob& x : in) {
    const int64_t c = (x.size() + kSumSqChunk - 1) / kSumSqChunk;
    if (c > maxChunks) maxChunks = c;
  }
  TempSpace<Dev> tmp(s, static_cast<size_t>(maxChunks) * sizeof(double));
  double* partial = tmp.template as<double>();
  float* o = out[0].data<float>();
  for (size_t k = 0; k < in.size(); ++k) {
    const int64_t n = in[k].size(), chunks = (n + kSumSqChunk - 1) / kSumSqChunk;
    if (chunks > 0) {
      IST_TYPE_SWITCH_FLOAT(in[k].dtype, T, "multi_sum_sq", {
        DeviceKernel<SumSqChunkMap, Dev>::launch(s, chunks, kSumSqChunk, partial, in[k].data<T>(), n);
      });
    }
    DeviceKernel<SumSqFinishMap, Dev>::launch(s, 1, chunks + 1, o + k, static_cast<const double*>(partial), chunks);
  }
}

}  // namespace finitedev
}  // namespace ist
