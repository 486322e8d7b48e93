// _histogram: its parameters, shape/type rules and bin rule (shared with histogram.cc) and the
// device-generic compute attached in histogram.cu.
//
// As MXNet 1.9 (tensor/histogram.cc), which follows numpy.histogram: with bin_cnt (and range) the
// edges are bin_cnt + 1 even steps over range (widened by 0.5 each side when its ends are equal);
// otherwise the edges are the `bins` input. Bins are half-open [e[i], e[i+1]) but the last, which
// is closed; values outside [e[0], e[N]] and NaNs are not counted. Counts are int64, edges have
// data's dtype. Not differentiable (MXNet registers no gradient).
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/float_tuple.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace histdev {

constexpr const char* kOp = "_histogram";

struct HistogramParam {
  std::optional<int> bin_cnt;
  std::optional<FloatTuple> range;
  static void declare(ParamDecl<HistogramParam>& d) {
    d.field("bin_cnt", &HistogramParam::bin_cnt)
        .setDefault(std::optional<int>())
        .doc("Number of bins for uniform case");
    d.field("range", &HistogramParam::range)
        .setDefault(std::optional<FloatTuple>())
        .doc("The lower and upper range of the bins. if not provided, range is simply (a.min(), "
             "a.max()). values outside the range are ignored. the first element of the range must be "
             "less than or equal to the second. range affects the automatic bin computation as well. "
             "while bin width is computed to be optimal based on the actual data within range, the "
             "bin count will fill the entire range including portions containing no data.");
  }
};

// The uniform case's (lo, hi) after checking the params (equal ends widen by 0.5, as MXNet).
struct UniformRange {
  double lo, hi;
};

// Checks the params against the number of inputs; returns true for the uniform (bin_cnt) case.
inline bool checkParams(const NodeAttrs& attrs) {
  const auto& p = attrs.get<HistogramParam>();
  IST_CHECK(p.bin_cnt.has_value() == p.range.has_value(), kOp, p.bin_cnt ? "range" : "bin_cnt",
            "bin_cnt and range must be given together (uniform bins) or both left out (edges from the "
            "bins input)");
  const int extra = nn::optionalInputs(attrs);
  const bool uniform = p.bin_cnt.has_value();
  IST_CHECK(extra == (uniform ? 0 : 1), kOp, "bins",
            (uniform ? "with bin_cnt the only input is data" : "without bin_cnt the bin edges come from the bins input: inputs (data, bins)")
                << "; got " << 1 + extra << " input(s)");
  if (uniform) {
    IST_CHECK(*p.bin_cnt >= 1, kOp, "bin_cnt", "must be at least 1, got " << *p.bin_cnt);
    const auto& r = p.range->v;
    IST_CHECK(r.size() == 2, kOp, "range", "must have 2 elements (lower, upper), got " << r.size());
    IST_CHECK(std::isfinite(r[0]) && std::isfinite(r[1]), kOp, "range",
              "must be finite, got (" << r[0] << ", " << r[1] << ")");
    IST_CHECK(r[0] <= r[1], kOp, "range",
              "the lower end (" << r[0] << ") must be less than or equal to the upper end (" << r[1] << ")");
  }
  return uniform;
}

inline UniformRange uniformRange(const HistogramParam& p) {
  UniformRange u{p.range->v[0], p.range->v[1]};
  if (u.lo == u.hi) {
    u.lo -= 0.5;
    u.hi += 0.5;
  }
  return u;
}

inline void histogramShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (checkParams(attrs)) {
    const int64_t n = *attrs.get<HistogramParam>().bin_cnt;
    out[0] = Shape{n};
    out[1] = Shape{n + 1};
    return;
  }
  if (!shapeIsKnown(in[1])) return;
  IST_CHECK(in[1].size() == 1, kOp, "bins", "must be a 1-D array of bin edges, got shape " << shapeString(in[1]));
  IST_CHECK(in[1][0] >= 2, kOp, "bins", "needs at least 2 edges, got shape " << shapeString(in[1]));
  out[0] = Shape{in[1][0] - 1};
  out[1] = in[1];
}

inline void histogramType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const int kBool = static_cast<int>(DType::kBool);
  IST_CHECK(in[0] != kBool, kOp, "data", "must be numeric, got bool");
  if (in.size() > 1) {
    IST_CHECK(in[1] != kBool, kOp, "bins", "must be numeric, got bool");
    if (in[0] < 0) in[0] = in[1];
    else if (in[1] < 0) in[1] = in[0];
    IST_CHECK(in[0] == in[1], kOp, "bins",
              "must have data's dtype " << dtypeName(static_cast<DType>(in[0])) << ", got "
                                        << dtypeName(static_cast<DType>(in[1])));
  }
  out[0] = static_cast<int>(DType::kInt64);
  if (in[0] >= 0) out[1] = in[0];
}

// Edge i of n even bins over [lo, hi], as MXNet writes it (then stored in data's dtype).
ISTX double uniformEdge(int64_t i, int64_t n, double lo, double hi) {
  return (hi * static_cast<double>(i) + static_cast<double>(n - i) * lo) / static_cast<double>(n);
}

// The bin of x among n bins with edges e[0..n] (as stored), or -1 when x is not counted. Uniform bins
// guess the bin arithmetically and correct it against the stored edges (numpy's rule); others search.
ISTX int64_t binOf(double x, const double* e, int64_t n, bool uniform, double lo, double hi) {
  if (uniform) {
    if (!(x >= lo && x <= hi)) return -1;
    const double f = (x - lo) * static_cast<double>(n) / (hi - lo);
    int64_t t = f < static_cast<double>(n) ? static_cast<int64_t>(f) : n - 1;
    if (x < e[t]) --t;
    if (t < 0) return -1;
    if (t != n - 1 && x >= e[t + 1]) ++t;
    return t;
  }
  if (!(x >= e[0] && x <= e[n])) return -1;
  // The last edge <= x (upper bound minus one), the closed last bin taking x == e[n].
  int64_t a = 0, b = n + 1;
  while (b - a > 1) {
    const int64_t m = a + (b - a) / 2;
    if (e[m] <= x) a = m;
    else b = m;
  }
  return a < n ? a : n - 1;
}

// Edges must not decrease (numpy's rule; the search needs it). NaN edges fail too.
inline void checkEdges(const double* e, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    IST_CHECK(e[i] <= e[i + 1], kOp, "bins",
              "bin edges must increase monotonically, got " << e[i] << " then " << e[i + 1] << " at position " << i);
}

// v in T; integer types saturate (an edge beyond their range would otherwise be undefined). The
// bounds are built from bit patterns: numeric_limits is host-only under nvcc.
template <typename T> ISTX T edgeAs(double v) {
  using C = dnd::CT<T>;
  if constexpr (std::is_integral_v<C>) {
    using U = std::make_unsigned_t<C>;
    constexpr int kBits = 8 * sizeof(C);
    const U maxBits = std::is_signed_v<C> ? U(U(~U(0)) >> 1) : U(~U(0));
    const U minBits = std::is_signed_v<C> ? U(U(1) << (kBits - 1)) : U(0);
    const double top = std::is_signed_v<C> ? ::ldexp(1.0, kBits - 1) : ::ldexp(1.0, kBits);  // max + 1
    const double bottom = std::is_signed_v<C> ? -::ldexp(1.0, kBits - 1) : 0.0;
    if (v != v) return T(C(0));
    if (v >= top) return T(static_cast<C>(maxBits));
    if (v <= bottom) return T(static_cast<C>(minBits));
  }
  return T(static_cast<C>(v));
}

// --- device compute ---

// edges[i] and (when bins is not null) bins[i] = edge i, rounded to T.
struct FillEdgesMap {
  template <typename T>
  ISTX static void Map(int64_t i, double* edges, T* bins, int64_t n, double lo, double hi) {
    const T v = edgeAs<T>(uniformEdge(i, n, lo, hi));
    edges[i] = static_cast<double>(static_cast<dnd::CT<T>>(v));
    if (bins) bins[i] = v;
  }
};

// counts[bin of x[i]] += 1 (counts: int64 bit patterns, non-negative).
struct CountMap {
  template <typename T>
  ISTX static void Map(int64_t i, unsigned long long* counts, const T* x, const double* e, int64_t n, bool uniform,
                       double lo, double hi) {
    const int64_t t = binOf(static_cast<double>(static_cast<dnd::CT<T>>(x[i])), e, n, uniform, lo, hi);
    if (t >= 0) deviceAtomicAdd(counts + t, 1ULL);
  }
};

template <typename Dev>
void histogramDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  IST_CHECK(req[0] != OpReq::kAddTo && req[1] != OpReq::kAddTo, kOp, "output",
            "adding into the outputs (kAddTo) is not supported");
  const bool uniform = checkParams(attrs);
  const auto& p = attrs.get<HistogramParam>();
  void* s = ctx.run.stream;
  const int64_t n = out[0].size();
  TempSpace<Dev> scratch(s, static_cast<size_t>(n + 1) * sizeof(double));
  double* e = scratch.template as<double>();
  double lo = 0, hi = 0;
  if (uniform) {
    const UniformRange u = uniformRange(p);
    lo = u.lo;
    hi = u.hi;
    IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, kOp, {
      DeviceKernel<FillEdgesMap, Dev>::launch(s, n + 1, 4, e, req[1] == OpReq::kNull ? nullptr : out[1].data<T>(),
                                              n, lo, hi);
    });
  } else {
    dnd::readDoubles<Dev>(ctx, in[1], e, kOp);
    std::vector<double> host(static_cast<size_t>(n + 1));
    DeviceMem<Dev>::toHost(s, host.data(), e, host.size() * sizeof(double));
    checkEdges(host.data(), n);
    if (req[1] != OpReq::kNull)
      DeviceMem<Dev>::copy(s, out[1].dptr, in[1].dptr, static_cast<size_t>(n + 1) * dtypeSize(in[1].dtype));
  }
  if (req[0] == OpReq::kNull) return;
  dnd::zeroBlob<Dev>(ctx, out[0]);
  IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, kOp, {
    DeviceKernel<CountMap, Dev>::launch(s, in[0].size(), 8, static_cast<unsigned long long*>(out[0].dptr),
                                        in[0].data<T>(), static_cast<const double*>(e), n, uniform, lo, hi);
  });
}

}  // namespace histdev
}  // namespace ist
