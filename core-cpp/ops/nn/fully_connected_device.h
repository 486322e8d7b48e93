// FullyConnected's parameters and its device-generic computes (FullyConnected,
// _backward_FullyConnected) over DeviceBlas, shared by fully_connected.cc and fully_connected.cu.
#pragma once
#include <cstdint>
#include <vector>
#include "base/shape.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace fcdev {

struct FullyConnectedParam {
  int num_hidden = 0;
  bool no_bias = false;
  bool flatten = true;
  static void declare(ParamDecl<FullyConnectedParam>& d) {
    d.field("num_hidden", &FullyConnectedParam::num_hidden).range(1, 2147483647)
        .doc("Number of hidden nodes of the output.");
    d.field("no_bias", &FullyConnectedParam::no_bias).setDefault(false).doc("Whether to disable bias parameter.");
    d.field("flatten", &FullyConnectedParam::flatten).setDefault(true)
        .doc("Whether to collapse all but the first axis of the input data tensor.");
  }
};

// data (rank >= 1) seen as a (rows, cols) matrix.
inline void matrixOf(const Shape& d, bool flatten, int64_t* rows, int64_t* cols) {
  const size_t split = flatten ? 1 : d.size() - 1;
  *rows = 1;
  *cols = 1;
  for (size_t i = 0; i < d.size(); ++i) (i < split ? *rows : *cols) *= d[i];
}

// out[m, h] += b[h]
struct AddBiasMap {
  template <typename T> ISTX static void Map(int64_t i, T* out, const T* b, int64_t H) { out[i] += b[i % H]; }
};

// gb[h] (=|+=) sum over m of og[m, h], rows in order, in double (as the CPU kernel).
struct BiasGradMap {
  template <typename T>
  ISTX static void Map(int64_t h, T* gb, const T* og, int64_t M, int64_t H, bool add) {
    double acc = 0;
    for (int64_t m = 0; m < M; ++m) acc += og[m * H + h];
    gb[h] = add ? T(gb[h] + acc) : T(acc);
  }
};

// Many rows: partial[c, h] = sum of og[m, h] over the rows of chunk c (kBiasChunk rows), then
// gb[h] = the partials summed in chunk order; still deterministic.
constexpr int64_t kBiasChunk = 256;
struct BiasPartialMap {
  template <typename T>
  ISTX static void Map(int64_t i, double* partial, const T* og, int64_t M, int64_t H) {
    const int64_t c = i / H, h = i % H;
    const int64_t end = (c + 1) * kBiasChunk < M ? (c + 1) * kBiasChunk : M;
    double acc = 0;
    for (int64_t m = c * kBiasChunk; m < end; ++m) acc += og[m * H + h];
    partial[i] = acc;
  }
};
struct BiasFinishMap {
  template <typename T>
  ISTX static void Map(int64_t h, T* gb, const double* partial, int64_t chunks, int64_t H, bool add) {
    double acc = 0;
    for (int64_t c = 0; c < chunks; ++c) acc += partial[c * H + h];
    gb[h] = add ? T(gb[h] + acc) : T(acc);
  }
};

template <typename Dev, typename T>
void biasGradDev(const OpContext& ctx, T* gb, const T* og, int64_t M, int64_t H, bool add) {
  void* s = ctx.run.stream;
  if (M <= 4 * kBiasChunk) {
    DeviceKernel<BiasGradMap, Dev>::launch(s, H, M, gb, og, M, H, add);
    return;
  }
  const int64_t chunks = (M + kBiasChunk - 1) / kBiasChunk;
  TempSpace<Dev> partial(s, static_cast<size_t>(chunks * H) * sizeof(double));
  DeviceKernel<BiasPartialMap, Dev>::launch(s, chunks * H, kBiasChunk, partial.template as<double>(), og, M, H);
  DeviceKernel<BiasFinishMap, Dev>::launch(s, H, chunks, gb, static_cast<const double*>(partial.template as<double>()),
                                           chunks, H, add);
}

template <typename Dev>
void fcForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<FullyConnectedParam>();
  dnd::runWidenedDev<Dev>(ctx, "FullyConnected", in, req, out,
                          [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    int64_t M, K;
    matrixOf(i[0].shape, p.flatten, &M, &K);
    const int64_t H = p.num_hidden;
    GemmArgs g;
    g.dtype = i[0].dtype;
    g.transA = false;
    g.transB = true;
    g.M = M; g.N = H; g.K = K;
    g.alpha = 1.0;
    g.beta = req[0] == OpReq::kAddTo ? 1.0 : 0.0;
    g.A = i[0].dptr; g.lda = K;
    g.B = i[1].dptr; g.ldb = K;
    g.C = o[0].dptr; g.ldc = H;
    dnd::gemmDev<Dev>(ctx, g, "FullyConnected");
    if (p.no_bias || M * H == 0) return;
    if (i[0].dtype == DType::kFloat32)
      DeviceKernel<AddBiasMap, Dev>::launch(ctx.run.stream, M * H, 1, o[0].data<float>(), i[2].data<float>(), H);
    else
      DeviceKernel<AddBiasMap, Dev>::launch(ctx.run.stream, M * H, 1, o[0].data<double>(), i[2].data<double>(), H);
  });
}

// inputs: ograd (M, H), data (M, K), weight (H, K); outputs d data, d weight, d bias.
template <typename Dev>
void fcBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<FullyConnectedParam>();
  dnd::runWidenedDev<Dev>(ctx, "_backward_FullyConnected", in, req, out,
                          [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    int64_t M, K;
    matrixOf(i[1].shape, p.flatten, &M, &K);
    const int64_t H = p.num_hidden;
    auto beta = [&](int k) { return req[k] == OpReq::kAddTo ? 1.0 : 0.0; };
    if (req[0] != OpReq::kNull) {
      GemmArgs g;
      g.dtype = i[0].dtype;
      g.M = M; g.N = K; g.K = H;
      g.beta = beta(0);
      g.A = i[0].dptr; g.lda = H;
      g.B = i[2].dptr; g.ldb = K;
      g.C = o[0].dptr; g.ldc = K;
      dnd::gemmDev<Dev>(ctx, g, "_backward_FullyConnected");
    }
    if (req[1] != OpReq::kNull) {
      GemmArgs g;
      g.dtype = i[0].dtype;
      g.transA = true;
      g.M = H; g.N = K; g.K = M;
      g.beta = beta(1);
      g.A = i[0].dptr; g.lda = H;
      g.B = i[1].dptr; g.ldb = K;
      g.C = o[1].dptr; g.ldc = K;
      dnd::gemmDev<Dev>(ctx, g, "_backward_FullyConnected");
    }
    if (!p.no_bias && req[2] != OpReq::kNull && H > 0) {
      const bool add = req[2] == OpReq::kAddTo;
      if (i[0].dtype == DType::kFloat32)
        biasGradDev<Dev>(ctx, o[2].data<float>(), static_cast<const float*>(i[0].dptr), M, H, add);
      else
        biasGradDev<Dev>(ctx, o[2].data<double>(), static_cast<const double*>(i[0].dptr), M, H, add);
    }
  });
}

}  // namespace fcdev
}  // namespace ist
