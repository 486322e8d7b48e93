// Small device-generic helpers shared by the dense-layer family's GPU computes (FullyConnected,
// activations, softmax, dropout, embedding, losses, take/pick/one_hot): scalar load/store in the
// style of ops/nn/layer_util.h but callable inside Map, index reading, widening of 16-bit floats.
#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>
#include "base/dtype.h"
#include "base/error.h"
#include "base/macros.h"
#include "kernels/device.h"
#include "kernels/device_util.h"
#include "ndarray/tblob.h"
#include "op/registry.h"
#include "ops/elemwise/functors.h"

namespace ist {
namespace dnd {

template <typename T> using CT = typename ComputeType<T>::type;

// The scalar helpers of kernels/device_util.h, as dnd:: names.
using ist::ldd;
using ist::putd;
using ist::std_;
using ist::truncInt;
using ist::truncInt64;

// out[i] = double(in[i]) (through the compute type, as nn::readAsDouble).
struct ToDoubleMap {
  template <typename I> ISTX static void Map(int64_t i, double* out, const I* in) {
    out[i] = static_cast<double>(static_cast<CT<I>>(in[i]));
  }
};

// Reads a numeric blob into `dst` (device memory of b.size() doubles).
template <typename Dev>
void readDoubles(const OpContext& ctx, const TBlob& b, double* dst, const char* op) {
  const int64_t n = b.size();
  if (n == 0) return;
  IST_TYPE_SWITCH_NUMERIC(b.dtype, I, op, {
    DeviceKernel<ToDoubleMap, Dev>::launch(ctx.run.stream, n, 1, dst, static_cast<const I*>(b.dptr));
  });
}

// dst[i] += src[i] in float/double (a kAddTo output from a result computed in scratch).
struct AddToMap {
  template <typename T> ISTX static void Map(int64_t i, T* dst, const T* src) { dst[i] += src[i]; }
};

// out[i] = O(in[i]) between float and a 16-bit float type (widening / narrowing copies).
struct CastMap {
  template <typename O, typename I> ISTX static void Map(int64_t i, O* out, const I* in) {
    out[i] = static_cast<O>(static_cast<float>(in[i]));
  }
};

template <typename Dev>
void zeroBlob(const OpContext& ctx, const TBlob& b) {
  DeviceMem<Dev>::zero(ctx.run.stream, b.dptr, static_cast<size_t>(b.size()) * dtypeSize(b.dtype));
}

// Device counterpart of conv::runWidened: float32/float64 run as they are; float16/bfloat16 blobs
// are widened into float32 scratch (kAddTo outputs start from their values), fn runs, and the
// outputs are narrowed back (kNull outputs untouched).
template <typename Dev, typename Fn>
void runWidenedDev(const OpContext& ctx, const char* op, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out, Fn&& fn) {
  const DType t = in[0].dtype;
  if (t == DType::kFloat32 || t == DType::kFloat64) {
    fn(in, out);
    return;
  }
  if (t != DType::kFloat16 && t != DType::kBFloat16) throwUnsupportedDType(t, op);
  size_t total = 0;
  auto padded = [](int64_t n) { return (static_cast<size_t>(n) * sizeof(float) + 255) / 256 * 256; };
  for (auto& b : in) total += padded(b.size());
  for (auto& b : out) total += padded(b.size());
  TempSpace<Dev> tmp(ctx.run.stream, total);
  char* base = tmp.template as<char>();
  size_t off = 0;
  auto widen = [&](const TBlob& b, bool copy) {
    TBlob w = b;
    w.dtype = DType::kFloat32;
    w.dptr = base + off;
    off += padded(b.size());
    if (copy && b.size() > 0) {
      if (t == DType::kFloat16)
        DeviceKernel<CastMap, Dev>::launch(ctx.run.stream, b.size(), 1, w.data<float>(), b.data<half_t>());
      else
        DeviceKernel<CastMap, Dev>::launch(ctx.run.stream, b.size(), 1, w.data<float>(), b.data<bf16_t>());
    }
    return w;
  };
  std::vector<TBlob> win, wout;
  for (auto& b : in) win.push_back(widen(b, true));
  for (size_t i = 0; i < out.size(); ++i) wout.push_back(widen(out[i], req[i] == OpReq::kAddTo));
  fn(win, wout);
  for (size_t i = 0; i < out.size(); ++i) {
    if (req[i] == OpReq::kNull || out[i].size() == 0) continue;
    if (t == DType::kFloat16)
      DeviceKernel<CastMap, Dev>::launch(ctx.run.stream, out[i].size(), 1, out[i].data<half_t>(),
                                         static_cast<const float*>(wout[i].dptr));
    else
      DeviceKernel<CastMap, Dev>::launch(ctx.run.stream, out[i].size(), 1, out[i].data<bf16_t>(),
                                         static_cast<const float*>(wout[i].dptr));
  }
}

// C (=|+=) alpha op(A) op(B) over a batch, handling the degenerate extents itself (M or N == 0:
// nothing; K == 0: C = beta C, i.e. zeros when beta == 0) so the device GEMM only sees real work.
template <typename Dev>
void gemmDev(const OpContext& ctx, GemmArgs g, const char* op) {
  if (g.batch <= 0 || g.M == 0 || g.N == 0) return;
  if (g.K == 0) {
    if (g.beta != 0.0) return;  // beta is 0 or 1 in every caller
    const size_t es = dtypeSize(g.dtype);
    if (g.ldc == g.N && (g.batch == 1 || g.strideC == g.M * g.N)) {
      DeviceMem<Dev>::zero(ctx.run.stream, g.C, static_cast<size_t>(g.batch * g.M * g.N) * es);
      return;
    }
    for (int64_t b = 0; b < g.batch; ++b)
      for (int64_t r = 0; r < g.M; ++r)
        DeviceMem<Dev>::zero(ctx.run.stream, static_cast<char*>(g.C) + (b * g.strideC + r * g.ldc) * es,
                             static_cast<size_t>(g.N) * es);
    return;
  }
  DeviceBlas<Dev>::gemm(ctx.run.stream, g, op);
}

}  // namespace dnd
}  // namespace ist
