// Embedding's parameters (shared with embedding.cc) and the device-generic computes of Embedding
// and _backward_Embedding, attached in embedding.cu. The gradient adds each index's out_grad row
// onto its weight row in index order, as the CPU kernel does: one Map per column walking every
// index, or, for many indices and few columns, one Map per (run of equal rows, column) of the
// indices sorted by row (sorted_runs_device.h).
#pragma once
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>
#include "op/params.h"
#include "op/registry.h"
#include "ops/indexing/sorted_runs_device.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace embdev {

struct EmbeddingParam {
  int64_t input_dim, output_dim;
  std::string dtype;
  bool sparse_grad;
  static void declare(ParamDecl<EmbeddingParam>& d) {
    d.field("input_dim", &EmbeddingParam::input_dim).range(1, 9.2e18).doc("Vocabulary size of the input indices.");
    d.field("output_dim", &EmbeddingParam::output_dim).range(1, 9.2e18).doc("Dimension of the embedding vectors.");
    d.field("dtype", &EmbeddingParam::dtype)
        .setDefault("float32")
        .values({"float32", "float64", "float16", "bfloat16", "uint8", "int8", "int32", "int64"})
        .doc("Data type of weight.");
    d.field("sparse_grad", &EmbeddingParam::sparse_grad).setDefault(false)
        .doc("Compute row sparse gradient in the backward calculation. If set to True, the grad's storage "
             "type is row_sparse (accepted; the gradient here is always dense).");
  }
};

// Row of each index: truncated toward zero, then clipped to [0, vocab) (NaN -> 0).
struct EmbRowMap {
  ISTX static void Map(int64_t i, int64_t* rows, const double* idx, int64_t vocab) {
    const double v = idx[i];
    if (!(v > 0)) {
      rows[i] = 0;
      return;
    }
    const double t = math::trunc(v);
    rows[i] = t >= static_cast<double>(vocab - 1) ? vocab - 1 : static_cast<int64_t>(t);
  }
};

struct EmbGatherMap {
  template <typename T>
  ISTX static void Map(int64_t e, T* y, const T* w, const int64_t* rows, int64_t d, bool add) {
    using C = dnd::CT<T>;
    const T v = w[rows[e / d] * d + e % d];
    y[e] = add ? T(C(y[e]) + C(v)) : v;
  }
};

// Column q: acc[rows[i], q] += g[i, q] for every index i in order.
struct EmbScatterColumnMap {
  template <typename T, typename A>
  ISTX static void Map(int64_t q, A* acc, const T* g, const int64_t* rows, int64_t m, int64_t d) {
    for (int64_t i = 0; i < m; ++i) acc[rows[i] * d + q] += A(g[i * d + q]);
  }
};

// Element (p, q) of the sorted indices: the first index of each run of one row adds the run's
// out_grad rows onto that weight row's column q in index order: in place (as the column walk), or
// for 16-bit floats summed in float from zero and stored once (gw + sum with add).
struct EmbScatterRunsMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* gw, const T* g, const int64_t* keys, const int64_t* sources, int64_t m,
                       int64_t d, bool add) {
    const int64_t p = t / d, q = t % d;
    if (!runStarts(keys, p)) return;
    using C = dnd::CT<T>;
    T* dst = gw + keys[p] * d + q;
    if constexpr (std::is_same_v<C, T>) {
      T acc = *dst;
      for (int64_t i = p; i < m && keys[i] == keys[p]; ++i) acc += g[sources[i] * d + q];
      *dst = acc;
    } else {
      C acc = 0;
      for (int64_t i = p; i < m && keys[i] == keys[p]; ++i) acc += C(g[sources[i] * d + q]);
      *dst = add ? T(C(*dst) + acc) : T(acc);
    }
  }
};

// gw = gw + 0 in float: the 16-bit store's rounding (-0 becomes +0) for the rows no index hits.
struct EmbAddZeroMap {
  template <typename T> ISTX static void Map(int64_t e, T* gw) {
    using C = dnd::CT<T>;
    gw[e] = T(C(gw[e]) + C(0));
  }
};

struct EmbStoreMap {
  template <typename T, typename A> ISTX static void Map(int64_t e, T* gw, const A* acc, bool add) {
    gw[e] = add ? T(A(gw[e]) + acc[e]) : T(acc[e]);
  }
};

template <typename Dev>
const int64_t* embeddingRows(const OpContext& ctx, const TBlob& idx, int64_t vocab, TempSpace<Dev>& tmp,
                             const char* op) {
  const int64_t m = idx.size();
  double* d = reinterpret_cast<double*>(tmp.template as<int64_t>() + m);
  dnd::readDoubles<Dev>(ctx, idx, d, op);
  DeviceKernel<EmbRowMap, Dev>::launch(ctx.run.stream, m, 4, tmp.template as<int64_t>(), static_cast<const double*>(d),
                                       vocab);
  return tmp.template as<int64_t>();
}

template <typename Dev>
void embeddingDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<EmbeddingParam>();
  const int64_t m = in[0].size(), d = p.output_dim;
  if (m * d == 0) return;
  TempSpace<Dev> tmp(ctx.run.stream, static_cast<size_t>(m) * 16);
  const int64_t* rows = embeddingRows<Dev>(ctx, in[0], p.input_dim, tmp, "Embedding");
  IST_TYPE_SWITCH_NUMERIC(in[1].dtype, T, "Embedding", {
    DeviceKernel<EmbGatherMap, Dev>::launch(ctx.run.stream, m * d, 1, out[0].data<T>(), in[1].data<T>(), rows, d,
                                            req[0] == OpReq::kAddTo);
  });
}

// _backward_Embedding inputs: ograd, data. Output: d(weight).
template <typename Dev>
void embeddingBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const char* op = "_backward_Embedding";
  const auto& p = attrs.get<EmbeddingParam>();
  const int64_t m = in[1].size(), d = p.output_dim, vocab = p.input_dim;
  void* s = ctx.run.stream;
  TempSpace<Dev> tmp(s, static_cast<size_t>(m) * 16);
  const int64_t* rows = embeddingRows<Dev>(ctx, in[1], vocab, tmp, op);
  const bool add = req[0] == OpReq::kAddTo;
  if (scatterSortsRuns(m, d)) {
    const SortedRuns<Dev> runs(s, rows, m);
    IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, op, {
      T* gw = out[0].data<T>();
      if (!add) dnd::zeroBlob<Dev>(ctx, out[0]);
      else if constexpr (!std::is_same_v<dnd::CT<T>, T>) DeviceKernel<EmbAddZeroMap, Dev>::launch(s, vocab * d, 1, gw);
      DeviceKernel<EmbScatterRunsMap, Dev>::launch(s, m * d, 2, gw, in[0].data<T>(),
                                                   static_cast<const int64_t*>(runs.keys()),
                                                   static_cast<const int64_t*>(runs.sources()), m, d, add);
    });
    return;
  }
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, op, {
    using C = dnd::CT<T>;
    const T* g = in[0].data<T>();
    T* gw = out[0].data<T>();
    if constexpr (std::is_same_v<C, T>) {  // accumulate in place
      if (!add) dnd::zeroBlob<Dev>(ctx, out[0]);
      DeviceKernel<EmbScatterColumnMap, Dev>::launch(s, d, m, gw, g, rows, m, d);
    } else {  // 16-bit floats: sum in float, then store once
      TempSpace<Dev> acc(s, static_cast<size_t>(vocab * d) * sizeof(C));
      DeviceMem<Dev>::zero(s, acc.get(), static_cast<size_t>(vocab * d) * sizeof(C));
      DeviceKernel<EmbScatterColumnMap, Dev>::launch(s, d, m, acc.template as<C>(), g, rows, m, d);
      DeviceKernel<EmbStoreMap, Dev>::launch(s, vocab * d, 1, gw, static_cast<const C*>(acc.template as<C>()), add);
    }
  });
}

}  // namespace embdev
}  // namespace ist
