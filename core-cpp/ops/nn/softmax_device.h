// The softmax family's parameters (shared with softmax.cc) and device-generic computes of softmax,
// log_softmax, softmin, SoftmaxActivation and their backward ops, attached in softmax.cu.
// Per-row statistics (max and sum, or the gradient's dot product; by chunks when rows are few), then one Map
// per element.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace smdev {

struct SoftmaxParam {
  int axis;
  std::optional<double> temperature;
  std::string dtype;
  std::optional<bool> use_length;
  static void declare(ParamDecl<SoftmaxParam>& d) {
    d.field("axis", &SoftmaxParam::axis).setDefault(-1).doc("The axis along which to compute softmax.");
    d.field("temperature", &SoftmaxParam::temperature).setDefault(std::nullopt)
        .doc("Temperature parameter in softmax");
    d.field("dtype", &SoftmaxParam::dtype)
        .setDefault("None")
        .values({"None", "float16", "float32", "float64"})
        .doc("DType of the output in case this can't be inferred. Defaults to the same as input's "
             "dtype if not defined (dtype=None).");
    d.field("use_length", &SoftmaxParam::use_length).setDefault(false)
        .doc("Whether to use the length input as a mask over the data input.");
  }
  bool useLength() const { return use_length.value_or(false); }
  bool hasDType() const { return dtype != "None"; }
  double temp() const { return temperature.value_or(1.0); }
};

// Which of the three forward ops (and their backward ops) a registration is.
struct Flavor {
  const char* name;
  bool log;
  bool negate;
};
constexpr Flavor kSoftmax{"softmax", false, false};
constexpr Flavor kLogSoftmax{"log_softmax", true, false};
constexpr Flavor kSoftmin{"softmin", false, true};

struct SoftmaxActivationParam {
  std::string mode;
  static void declare(ParamDecl<SoftmaxActivationParam>& d) {
    d.field("mode", &SoftmaxActivationParam::mode)
        .setDefault("instance")
        .values({"instance", "channel"})
        .doc("Specifies how to compute the softmax. If set to ``instance``, it computes softmax for each "
             "instance. If set to ``channel``, It computes cross channel softmax for each position of each "
             "instance.");
  }
};

// instance: over the last axis (MXNet flattens to 2-D, rows = all leading axes); channel: axis 1.
inline int activationAxis(const NodeAttrs& attrs, const Shape& s) {
  return attrs.get<SoftmaxActivationParam>().mode == "channel" ? 1 : static_cast<int>(s.size()) - 1;
}

// Row geometry: rows r = o * inner + i of n elements `inner` apart.
struct RowGeom {
  int64_t n, inner;
  ISTX int64_t base(int64_t r) const { return (r / inner) * n * inner + r % inner; }
  // The row and position along it of element index k.
  ISTX void locate(int64_t k, int64_t* r, int64_t* j) const {
    const int64_t o = k / (n * inner), rem = k % (n * inner);
    *j = rem / inner;
    *r = o * inner + rem % inner;
  }
  // Elements of row r taking part (all, or the first length[r], clipped to [0, n]).
  ISTX int64_t length(const double* len, int64_t r) const {
    if (len == nullptr) return n;
    const double v = len[r];
    if (v <= 0) return 0;
    const int64_t m = static_cast<int64_t>(v);
    return m < n ? m : n;
  }
};

template <typename A> ISTX A maxOf(A a, A b) { return a < b ? b : a; }  // std::max

// Per row: mx = max of sign * x over the row's length, sum = sum of exp((sign x - mx) / T).
struct SoftmaxStatsMap {
  template <typename T, typename A>
  ISTX static void Map(int64_t r, A* mxOut, A* sumOut, const T* x, const double* len, RowGeom g, A sign, A invT) {
    const int64_t base = g.base(r), m = g.length(len, r), st = g.inner;
    A mx = m > 0 ? sign * A(x[base]) : A(0);
    for (int64_t j = 1; j < m; ++j) mx = maxOf(mx, sign * A(x[base + j * st]));
    A sum = 0;
    for (int64_t j = 0; j < m; ++j) sum += math::exp((sign * A(x[base + j * st]) - mx) * invT);
    mxOut[r] = mx;
    sumOut[r] = sum;
  }
};

struct SoftmaxOutMap {
  template <typename T, typename O, typename A>
  ISTX static void Map(int64_t k, O* y, const T* x, const A* mxIn, const A* sumIn, const double* len, RowGeom g,
                       A sign, A invT, bool logMode, bool add) {
    int64_t r, j;
    g.locate(k, &r, &j);
    const int64_t m = g.length(len, r);
    A v = 0;
    if (j < m) {
      const A sum = sumIn[r];
      const A z = (sign * A(x[k]) - mxIn[r]) * invT;
      v = logMode ? z - math::log(sum) : math::exp(z) * (A(1) / sum);
    }
    y[k] = add ? O(A(y[k]) + v) : O(v);
  }
};

// Per row: sum over the row's length of og (log_softmax) or og * out.
struct SoftmaxGradStatsMap {
  template <typename O, typename A>
  ISTX static void Map(int64_t r, A* sumOut, const O* gy, const O* y, const double* len, RowGeom g, bool logMode) {
    const int64_t base = g.base(r), m = g.length(len, r), st = g.inner;
    A sum = 0;
    for (int64_t j = 0; j < m; ++j) {
      const int64_t k = base + j * st;
      sum += logMode ? A(gy[k]) : A(gy[k]) * A(y[k]);
    }
    sumOut[r] = sum;
  }
};

struct SoftmaxGradMap {
  template <typename O, typename T, typename A>
  ISTX static void Map(int64_t k, T* gx, const O* gy, const O* y, const A* sumIn, const double* len, RowGeom g,
                       A scale, bool logMode, bool add) {
    int64_t r, j;
    g.locate(k, &r, &j);
    const int64_t m = g.length(len, r);
    A v = 0;
    if (j < m) {
      const A sum = sumIn[r];
      v = (logMode ? A(gy[k]) - math::exp(A(y[k])) * sum : A(y[k]) * (A(gy[k]) - sum)) * scale;
    }
    gx[k] = add ? T(A(gx[k]) + v) : T(v);
  }
};


// Few rows: the row statistics in chunks of `chunk` elements (one Map per (row, chunk)), combined per
// row in chunk order, so that a GPU runs enough Maps when the rows alone would leave it idle. The max
// is the same as the sequential one (NaN handling too: chunks after the first start from -inf); sums
// are grouped by chunk.
template <typename A> ISTX A negInf() { return -A(1e300) * A(1e300); }  // -inf in A

struct ChunkMaxMap {
  template <typename T, typename A>
  ISTX static void Map(int64_t i, A* pmax, const T* x, const double* len, RowGeom g, int64_t chunks, int64_t chunk,
                       A sign) {
    const int64_t r = i / chunks, c = i % chunks;
    const int64_t base = g.base(r), m = g.length(len, r), st = g.inner;
    const int64_t b = c * chunk, e = b + chunk < m ? b + chunk : m;
    A mx = c == 0 ? (m > 0 ? sign * A(x[base]) : A(0)) : negInf<A>();
    for (int64_t j = (c == 0 ? 1 : b); j < e; ++j) mx = maxOf(mx, sign * A(x[base + j * st]));
    pmax[i] = mx;
  }
};

struct RowMaxMap {
  template <typename A> ISTX static void Map(int64_t r, A* mx, const A* pmax, int64_t chunks) {
    A v = pmax[r * chunks];
    for (int64_t c = 1; c < chunks; ++c) v = maxOf(v, pmax[r * chunks + c]);
    mx[r] = v;
  }
};

struct ChunkExpSumMap {
  template <typename T, typename A>
  ISTX static void Map(int64_t i, A* psum, const T* x, const A* mx, const double* len, RowGeom g, int64_t chunks,
                       int64_t chunk, A sign, A invT) {
    const int64_t r = i / chunks, c = i % chunks;
    const int64_t base = g.base(r), m = g.length(len, r), st = g.inner;
    const int64_t b = c * chunk, e = b + chunk < m ? b + chunk : m;
    const A mr = mx[r];
    A sum = 0;
    for (int64_t j = b; j < e; ++j) sum += math::exp((sign * A(x[base + j * st]) - mr) * invT);
    psum[i] = sum;
  }
};

// Per chunk: sum of og (log mode) or og * out.
struct ChunkGradSumMap {
  template <typename O, typename A>
  ISTX static void Map(int64_t i, A* psum, const O* gy, const O* y, const double* len, RowGeom g, int64_t chunks,
                       int64_t chunk, bool logMode) {
    const int64_t r = i / chunks, c = i % chunks;
    const int64_t base = g.base(r), m = g.length(len, r), st = g.inner;
    const int64_t b = c * chunk, e = b + chunk < m ? b + chunk : m;
    A sum = 0;
    for (int64_t j = b; j < e; ++j) {
      const int64_t k = base + j * st;
      sum += logMode ? A(gy[k]) : A(gy[k]) * A(y[k]);
    }
    psum[i] = sum;
  }
};

struct RowSumMap {
  template <typename A> ISTX static void Map(int64_t r, A* sum, const A* psum, int64_t chunks) {
    A v = 0;
    for (int64_t c = 0; c < chunks; ++c) v += psum[r * chunks + c];
    sum[r] = v;
  }
};

// The chunk length of the row statistics, or 0 for one Map per row: from 4096 rows up the rows fill a
// GPU themselves; below, chunks of 128 to 2048 elements, the shortest that keep the Maps under 16384.
inline int64_t softmaxChunk(int64_t rows, int64_t n) {
  if (rows >= 4096) return 0;
  int64_t chunk = 128;
  while (chunk < 2048 && rows * ((n + chunk - 1) / chunk) > 16384) chunk *= 2;
  return n > chunk ? chunk : 0;  // one chunk would be the row itself
}

// Lengths (any integer dtype) as doubles in `tmp`, or nullptr.
template <typename Dev>
const double* lengthsDev(const OpContext& ctx, const TBlob* len, TempSpace<Dev>& tmp, const char* op) {
  if (len == nullptr) return nullptr;
  dnd::readDoubles<Dev>(ctx, *len, tmp.template as<double>(), op);
  return tmp.template as<double>();
}

template <typename Dev, typename T, typename O>
void softmaxForwardDev(const OpContext& ctx, const T* x, O* y, const TBlob* lenBlob, const nn::AxisSplit& s,
                       bool logMode, bool negate, double temp, OpReq req, const char* op) {
  using A = std::conditional_t<std::is_same_v<T, double> || std::is_same_v<O, double>, double, float>;
  void* st = ctx.run.stream;
  const RowGeom g{s.n, s.inner};
  const int64_t rows = s.outer * s.inner, total = rows * s.n;
  TempSpace<Dev> lenTmp(st, lenBlob ? static_cast<size_t>(lenBlob->size()) * sizeof(double) : 0);
  const double* len = lengthsDev<Dev>(ctx, lenBlob, lenTmp, op);
  TempSpace<Dev> stats(st, static_cast<size_t>(rows) * 2 * sizeof(A));
  A* mx = stats.template as<A>();
  A* sum = mx + rows;
  const A sign = negate ? A(-1) : A(1), invT = A(1.0 / temp);
  if (const int64_t chunk = softmaxChunk(rows, s.n)) {
    const int64_t chunks = (s.n + chunk - 1) / chunk;
    TempSpace<Dev> part(st, static_cast<size_t>(rows * chunks) * sizeof(A));
    A* pp = part.template as<A>();
    DeviceKernel<ChunkMaxMap, Dev>::launch(st, rows * chunks, chunk, pp, x, len, g, chunks, chunk, sign);
    DeviceKernel<RowMaxMap, Dev>::launch(st, rows, chunks, mx, static_cast<const A*>(pp), chunks);
    DeviceKernel<ChunkExpSumMap, Dev>::launch(st, rows * chunks, chunk * 8, pp, x, static_cast<const A*>(mx), len, g,
                                              chunks, chunk, sign, invT);
    DeviceKernel<RowSumMap, Dev>::launch(st, rows, chunks, sum, static_cast<const A*>(pp), chunks);
  } else {
    DeviceKernel<SoftmaxStatsMap, Dev>::launch(st, rows, s.n * 8, mx, sum, x, len, g, sign, invT);
  }
  DeviceKernel<SoftmaxOutMap, Dev>::launch(st, total, 12, y, x, static_cast<const A*>(mx), static_cast<const A*>(sum),
                                           len, g, sign, invT, logMode, req == OpReq::kAddTo);
}

template <typename Dev, typename O, typename T>
void softmaxBackwardDev(const OpContext& ctx, const O* gy, const O* y, T* gx, const TBlob* lenBlob,
                        const nn::AxisSplit& s, bool logMode, bool negate, double temp, OpReq req, const char* op) {
  using A = std::conditional_t<std::is_same_v<T, double> || std::is_same_v<O, double>, double, float>;
  void* st = ctx.run.stream;
  const RowGeom g{s.n, s.inner};
  const int64_t rows = s.outer * s.inner, total = rows * s.n;
  TempSpace<Dev> lenTmp(st, lenBlob ? static_cast<size_t>(lenBlob->size()) * sizeof(double) : 0);
  const double* len = lengthsDev<Dev>(ctx, lenBlob, lenTmp, op);
  TempSpace<Dev> stats(st, static_cast<size_t>(rows) * sizeof(A));
  A* sum = stats.template as<A>();
  const A scale = A((negate ? -1.0 : 1.0) / temp);
  if (const int64_t chunk = softmaxChunk(rows, s.n)) {
    const int64_t chunks = (s.n + chunk - 1) / chunk;
    TempSpace<Dev> part(st, static_cast<size_t>(rows * chunks) * sizeof(A));
    A* pp = part.template as<A>();
    DeviceKernel<ChunkGradSumMap, Dev>::launch(st, rows * chunks, chunk * 2, pp, gy, y, len, g, chunks, chunk,
                                               logMode);
    DeviceKernel<RowSumMap, Dev>::launch(st, rows, chunks, sum, static_cast<const A*>(pp), chunks);
  } else {
    DeviceKernel<SoftmaxGradStatsMap, Dev>::launch(st, rows, s.n * 2, sum, gy, y, len, g, logMode);
  }
  DeviceKernel<SoftmaxGradMap, Dev>::launch(st, total, 8, gx, gy, y, static_cast<const A*>(sum), len, g, scale,
                                            logMode, req == OpReq::kAddTo);
}

// Runs f(TA{}, TB{}) with the C++ types of two float dtypes.
template <typename F> void switch2(DType a, DType b, const char* op, F&& f) {
  IST_TYPE_SWITCH_FLOAT(a, TA, op, {
    IST_TYPE_SWITCH_FLOAT(b, TB, op, { f(TA{}, TB{}); });
  });
}

template <typename Dev, const Flavor& FL>
void softmaxComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || in[0].size() == 0) return;
  const auto& p = attrs.get<SoftmaxParam>();
  const nn::AxisSplit s = nn::splitAt(in[0].shape, nn::checkAxis(p.axis, in[0].shape, FL.name));
  const TBlob* len = p.useLength() ? &in[1] : nullptr;
  switch2(in[0].dtype, out[0].dtype, FL.name, [&](auto ti, auto to) {
    using T = decltype(ti);
    using O = decltype(to);
    softmaxForwardDev<Dev, T, O>(ctx, in[0].data<T>(), out[0].data<O>(), len, s, FL.log, FL.negate, p.temp(),
                                 req[0], FL.name);
  });
}

template <typename Dev, const Flavor& FL>
void softmaxBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<SoftmaxParam>();
  const nn::AxisSplit s = nn::splitAt(in[1].shape, nn::checkAxis(p.axis, in[1].shape, FL.name));
  const TBlob* len = p.useLength() ? &in[in.size() - 1] : nullptr;
  switch2(in[1].dtype, out[0].dtype, FL.name, [&](auto to, auto ti) {
    using O = decltype(to);
    using T = decltype(ti);
    softmaxBackwardDev<Dev, O, T>(ctx, in[0].data<O>(), in[1].data<O>(), out[0].data<T>(), len, s, FL.log,
                                  FL.negate, p.temp(), req[0], FL.name);
  });
}

template <typename Dev>
void softmaxActivationDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || in[0].size() == 0) return;
  const nn::AxisSplit s = nn::splitAt(in[0].shape, activationAxis(attrs, in[0].shape));
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "SoftmaxActivation", {
    softmaxForwardDev<Dev, T, T>(ctx, in[0].data<T>(), out[0].data<T>(), nullptr, s, false, false, 1.0, req[0],
                                 "SoftmaxActivation");
  });
}

template <typename Dev>
void softmaxActivationBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const nn::AxisSplit s = nn::splitAt(in[1].shape, activationAxis(attrs, in[1].shape));
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_SoftmaxActivation", {
    softmaxBackwardDev<Dev, T, T>(ctx, in[0].data<T>(), in[1].data<T>(), out[0].data<T>(), nullptr, s, false, false,
                                  1.0, req[0], "_backward_SoftmaxActivation");
  });
}

}  // namespace smdev
}  // namespace ist
