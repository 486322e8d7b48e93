// Device-generic (kernels/device.h) reductions: one map-reduce engine over an (outer, reduced,
// inner) index plan, as the CPU's reduce_kernel.h compacts it, and the computes built on it
// (sum, mean, prod, max, min, nansum, nanprod, norm, argmax, argmin, argmax_channel,
// _reduce_sum_like, moments), plus the broadcasts (broadcast_to/axis/like, _broadcast_reduced) and
// cumsum / _backward_cumsum. Included only from .cu files: ops/reduce/reduce.cu instantiates
// every compute for gpu and for cpu (the twins run by ISOTENSOR_GPU_KERNELS_ON_CPU=1).
//
// Engine: each output folds its reduced elements in one Map call, or, when there are few outputs
// over a long reduced extent, (output, chunk) Map calls fold interleaved slices into partials
// that later launches combine in a fixed order. Results depend on the shape only, never on the
// thread count. Accumulators are the CPU's: double for floats (float for max/min of 16-bit
// floats), wrapping uint64 for integer sums and products.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "kernels/device.h"
#include "op/registry.h"
#include "ops/elemwise/convert.h"
#include "ops/reduce/reduce_axes.h"
#include "ops/reduce/reduce_kernel.h"
#include "ops/reduce/reduce_params.h"

namespace ist {
namespace rdev {

template <typename T> using CT = typename ComputeType<T>::type;
template <typename T>
constexpr bool kIsFloat = !std::is_same_v<CT<T>, T> || std::is_floating_point_v<T>;

// --- stores, as reduce_kernel.h's castOut / storeOut ---

template <typename O, typename V> ISTX O castOut(V v) {
  if constexpr (std::is_same_v<O, half_t> || std::is_same_v<O, bf16_t>) return O(static_cast<float>(v));
  else if constexpr (std::is_same_v<O, bool>) return v != V(0);
  else return static_cast<O>(v);
}

template <typename O, typename V> ISTX void storeOut(O* out, int64_t i, V v, OpReq req) {
  if (req == OpReq::kAddTo) out[i] = castOut<O>(static_cast<V>(static_cast<CT<O>>(out[i])) + v);
  else out[i] = castOut<O>(v);
}

template <typename T> ISTX uint64_t toWrapped(T x) {
  if constexpr (std::is_signed_v<T>) return static_cast<uint64_t>(static_cast<int64_t>(x));
  else return static_cast<uint64_t>(x);
}

template <typename T> ISTX double toDouble(T x) { return static_cast<double>(static_cast<CT<T>>(x)); }

// --- reducers (reduce_kernel.h's, callable on the device) ---

template <typename T> struct SumR {
  using Acc = std::conditional_t<kIsFloat<T>, double, uint64_t>;
  ISTX static Acc init() { return Acc(0); }
  ISTX static Acc load(T x) {
    if constexpr (kIsFloat<T>) return toDouble(x);
    else return toWrapped(x);
  }
  ISTX static Acc step(Acc a, Acc v) { return a + v; }
  ISTX static auto finish(Acc a, int64_t n, bool mean) {
    if constexpr (kIsFloat<T>) {
      return mean ? a / static_cast<double>(n) : a;
    } else if constexpr (std::is_signed_v<T>) {
      int64_t s = static_cast<int64_t>(a);
      return (mean && n > 0) ? s / n : s;
    } else {
      return (mean && n > 0) ? a / static_cast<uint64_t>(n) : a;
    }
  }
};

template <typename T> struct ProdR {
  using Acc = std::conditional_t<kIsFloat<T>, double, uint64_t>;
  ISTX static Acc init() { return Acc(1); }
  ISTX static Acc load(T x) { return SumR<T>::load(x); }
  ISTX static Acc step(Acc a, Acc v) { return a * v; }
  ISTX static auto finish(Acc a, int64_t, bool) {
    if constexpr (kIsFloat<T> || !std::is_signed_v<T>) return a;
    else return static_cast<int64_t>(a);
  }
};

template <typename T> struct MaxR {
  using Acc = CT<T>;
  ISTX static Acc init() {
    if constexpr (std::is_floating_point_v<Acc>) return -std::numeric_limits<Acc>::infinity();
    else return std::numeric_limits<Acc>::lowest();
  }
  ISTX static Acc load(T x) { return static_cast<Acc>(x); }
  ISTX static Acc step(Acc a, Acc v) { return ((v > a) | (v != v)) ? v : a; }
  ISTX static Acc finish(Acc a, int64_t, bool) { return a; }
};

template <typename T> struct MinR {
  using Acc = CT<T>;
  ISTX static Acc init() {
    if constexpr (std::is_floating_point_v<Acc>) return std::numeric_limits<Acc>::infinity();
    else return std::numeric_limits<Acc>::max();
  }
  ISTX static Acc load(T x) { return static_cast<Acc>(x); }
  ISTX static Acc step(Acc a, Acc v) { return ((v < a) | (v != v)) ? v : a; }
  ISTX static Acc finish(Acc a, int64_t, bool) { return a; }
};

template <typename T> struct NanSumR : SumR<T> {
  ISTX static double load(T x) {
    double v = toDouble(x);
    return v != v ? 0.0 : v;
  }
};
template <typename T> struct NanProdR : ProdR<T> {
  ISTX static double load(T x) {
    double v = toDouble(x);
    return v != v ? 1.0 : v;
  }
};

template <typename T> struct Norm1R {
  using Acc = double;
  ISTX static Acc init() { return 0.0; }
  ISTX static Acc load(T x) { return ::fabs(toDouble(x)); }
  ISTX static Acc step(Acc a, Acc v) { return a + v; }
  ISTX static double finish(Acc a, int64_t, bool) { return a; }
};
template <typename T> struct Norm2R : Norm1R<T> {
  ISTX static double load(T x) {
    double v = toDouble(x);
    return v * v;
  }
  ISTX static double finish(double a, int64_t, bool) { return ::sqrt(a); }
};

// argmax / argmin: (value, index along the search) pairs. NaN beats any number; among equal
// values (or NaNs) the smaller index wins, so partials may be combined in any grouping and give
// the CPU's first occurrence.
template <typename V> struct ArgAcc {
  V v;
  int64_t i;
};
template <bool kMax, typename T> struct ArgR {
  using V = CT<T>;
  using Acc = ArgAcc<V>;
  ISTX static Acc init() {
    Acc a;
    if constexpr (std::is_floating_point_v<V>)
      a.v = kMax ? -std::numeric_limits<V>::infinity() : std::numeric_limits<V>::infinity();
    else
      a.v = kMax ? std::numeric_limits<V>::lowest() : std::numeric_limits<V>::max();
    a.i = std::numeric_limits<int64_t>::max();
    return a;
  }
  ISTX static bool better(V x, V best) {
    if (x != x) return best == best;
    return kMax ? x > best : x < best;
  }
  ISTX static Acc step(Acc a, Acc b) {
    if (better(b.v, a.v)) return b;
    const bool same = (b.v == a.v) || (b.v != b.v && a.v != a.v);
    return (same && b.i < a.i) ? b : a;
  }
  ISTX static V finish(Acc a, int64_t, bool) { return static_cast<V>(a.i); }
};

// --- geometry: the compacted input as kept dims (the outputs, row-major) and reduced dims ---

constexpr int kMaxDims = 16;

struct RGeom {
  int nk = 0, nr = 0;
  int64_t kd[kMaxDims] = {}, ks[kMaxDims] = {};  // kept dims and their input strides, outermost first
  int64_t rd[kMaxDims] = {}, rs[kMaxDims] = {};  // reduced dims and strides
  int64_t numOut = 1, numRed = 1;
  bool innerRed = true;  // the innermost compacted dim is reduced (runs are contiguous)

  ISTX int64_t keptOff(int64_t o) const {
    int64_t off = 0;
    for (int k = nk - 1; k >= 0; --k) {
      off += (o % kd[k]) * ks[k];
      o /= kd[k];
    }
    return off;
  }
  // Offset of reduced element t (row-major over the reduced dims).
  ISTX int64_t redOff(int64_t t) const {
    if (nr == 1) return t * rs[0];
    int64_t off = 0;
    for (int k = nr - 1; k >= 0; --k) {
      off += (t % rd[k]) * rs[k];
      t /= rd[k];
    }
    return off;
  }
  // Offset of run q: the reduced dims but the innermost one.
  ISTX int64_t runOff(int64_t q) const {
    int64_t off = 0;
    for (int k = nr - 2; k >= 0; --k) {
      off += (q % rd[k]) * rs[k];
      q /= rd[k];
    }
    return off;
  }
};

inline RGeom makeRGeom(const Shape& in, const std::vector<bool>& mask, const char* op) {
  const reduce::Plan p = reduce::makePlan(in, mask);
  RGeom g;
  g.numOut = p.numOut;
  g.numRed = p.numRed;
  g.innerRed = p.dims.empty() || p.red.back();
  for (size_t k = 0; k < p.dims.size(); ++k) {
    const bool r = p.red[k];
    int& n = r ? g.nr : g.nk;
    IST_CHECK(n < kMaxDims, op, "data",
              "the reduction of shape " << shapeString(in) << " has too many alternating axes for the device");
    (r ? g.rd : g.kd)[n] = p.dims[k];
    (r ? g.rs : g.ks)[n] = p.strides[k];
    ++n;
  }
  if (g.nr == 0) {  // nothing (or one element) folded per output
    g.rd[0] = 1;
    g.rs[0] = 0;
    g.nr = 1;
  }
  return g;
}

// --- engine maps. Ld: ISTX Acc operator()(int64_t offset, int64_t o, int64_t t) const (the
// element at input offset, folded into output o, reduced index t). St: ISTX operator()(o, value). ---

template <typename Red>
struct ReduceFullMap {
  template <typename Ld, typename St>
  ISTX static void Map(int64_t o, const RGeom& g, Ld ld, St st, bool mean) {
    typename Red::Acc acc = Red::init();
    if (g.numRed > 0) {
      const int64_t base = g.keptOff(o);
      const int64_t L = g.rd[g.nr - 1], sL = g.rs[g.nr - 1], runs = g.numRed / L;
      for (int64_t q = 0; q < runs; ++q) {
        const int64_t b = base + g.runOff(q);
        for (int64_t r = 0; r < L; ++r) acc = Red::step(acc, ld(b + r * sL, o, q * L + r));
      }
    }
    st(o, Red::finish(acc, g.numRed, mean));
  }
};

// Partial b of output o folds the reduced elements t = b, b + nb, b + 2 nb, ... (neighbouring
// calls read neighbouring elements).
template <typename Red>
struct ReducePartialMap {
  template <typename Ld>
  ISTX static void Map(int64_t k, const RGeom& g, Ld ld, typename Red::Acc* part, int64_t nb) {
    int64_t o, b;
    if (g.innerRed) {
      o = k / nb;
      b = k % nb;
    } else {
      o = k % g.numOut;
      b = k / g.numOut;
    }
    typename Red::Acc acc = Red::init();
    const int64_t base = g.keptOff(o);
    for (int64_t t = b; t < g.numRed; t += nb) acc = Red::step(acc, ld(base + g.redOff(t), o, t));
    part[o * nb + b] = acc;
  }
};

// out[o][b2] = fold of in[o][b2 * G .. (b2 + 1) * G) in order.
template <typename Red>
struct ReduceCombineMap {
  using Acc = typename Red::Acc;
  ISTX static void Map(int64_t k, const Acc* in, Acc* out, int64_t nb, int64_t nb2, int64_t G) {
    const int64_t o = k / nb2, b2 = k % nb2;
    const int64_t b0 = b2 * G, b1 = b0 + G < nb ? b0 + G : nb;
    Acc acc = in[o * nb + b0];
    for (int64_t b = b0 + 1; b < b1; ++b) acc = Red::step(acc, in[o * nb + b]);
    out[k] = acc;
  }
};

template <typename Red>
struct ReduceFinishMap {
  using Acc = typename Red::Acc;
  template <typename St>
  ISTX static void Map(int64_t o, const Acc* part, int64_t nb, St st, int64_t numRed, bool mean) {
    Acc acc = part[o * nb];
    for (int64_t b = 1; b < nb; ++b) acc = Red::step(acc, part[o * nb + b]);
    st(o, Red::finish(acc, numRed, mean));
  }
};

// Enough Map calls to fill a GPU; chunks of at least kMinChunk elements; combine in groups.
constexpr int64_t kTargetCalls = int64_t(1) << 17;
constexpr int64_t kMinChunk = 256;
constexpr int64_t kCombineGroup = 256;
constexpr int64_t kWarpSlices = 32;
constexpr int64_t kCoalesceMin = 1024;

template <typename Dev, typename Red, typename Ld, typename St>
void mapReduce(const OpContext& ctx, const RGeom& g, Ld ld, St st, bool mean = false) {
  using Acc = typename Red::Acc;
  if (g.numOut <= 0) return;
  void* s = ctx.run.stream;
  int64_t nb = 1;
  if (g.numRed >= 2 * kMinChunk && g.numOut < kTargetCalls)
    nb = std::min((kTargetCalls + g.numOut - 1) / g.numOut, g.numRed / kMinChunk);
  // Long contiguous runs: kWarpSlices interleaved slices per output, so that neighbouring Map
  // calls read neighbouring elements (one call per output would stride a whole run apart).
  if (g.innerRed && g.numRed >= kCoalesceMin && g.rd[g.nr - 1] >= kWarpSlices)
    nb = std::max<int64_t>(nb, kWarpSlices);
  if (nb < 2) {
    DeviceKernel<ReduceFullMap<Red>, Dev>::launch(s, g.numOut, std::max<int64_t>(g.numRed, 1) * 2, g, ld, st,
                                                  mean);
    return;
  }
  std::vector<std::unique_ptr<TempSpace<Dev>>> bufs;
  bufs.emplace_back(new TempSpace<Dev>(s, size_t(g.numOut * nb) * sizeof(Acc)));
  Acc* cur = bufs.back()->template as<Acc>();
  DeviceKernel<ReducePartialMap<Red>, Dev>::launch(s, g.numOut * nb, (g.numRed / nb + 1) * 4, g, ld, cur, nb);
  while (nb > kCombineGroup) {
    const int64_t nb2 = (nb + kCombineGroup - 1) / kCombineGroup;
    bufs.emplace_back(new TempSpace<Dev>(s, size_t(g.numOut * nb2) * sizeof(Acc)));
    Acc* next = bufs.back()->template as<Acc>();
    DeviceKernel<ReduceCombineMap<Red>, Dev>::launch(s, g.numOut * nb2, kCombineGroup, static_cast<const Acc*>(cur),
                                                     next, nb, nb2, kCombineGroup);
    cur = next;
    nb = nb2;
  }
  DeviceKernel<ReduceFinishMap<Red>, Dev>::launch(s, g.numOut, nb, static_cast<const Acc*>(cur), nb, st,
                                                  g.numRed, mean);
}

// --- loaders and stores ---

template <typename Red, typename T> struct PlainLoad {
  const T* x;
  ISTX typename Red::Acc operator()(int64_t off, int64_t, int64_t) const { return Red::load(x[off]); }
};

template <bool kMax, typename T> struct ArgLoad {
  const T* x;
  ISTX ArgAcc<CT<T>> operator()(int64_t off, int64_t, int64_t t) const {
    ArgAcc<CT<T>> a;
    a.v = static_cast<CT<T>>(x[off]);
    a.i = t;
    return a;
  }
};

template <typename O> struct StoreOut {
  O* out;
  OpReq req;
  template <typename V> ISTX void operator()(int64_t o, V v) const { storeOut(out, o, v, req); }
};

struct StoreDouble {
  double* p;
  template <typename V> ISTX void operator()(int64_t o, V v) const { p[o] = static_cast<double>(v); }
};

// Reduces x (shape `in`) over `mask` into out (out's element type O) honouring req.
template <typename Dev, typename Red, typename T, typename O>
void reduceInto(const OpContext& ctx, const T* x, const Shape& in, const std::vector<bool>& mask, O* out,
                OpReq req, const char* op, bool mean = false) {
  if (req == OpReq::kNull) return;
  const RGeom g = makeRGeom(in, mask, op);
  mapReduce<Dev, Red>(ctx, g, PlainLoad<Red, T>{x}, StoreOut<O>{out, req}, mean);
}

// out[i] = src[i] (double) stored in O with req.
struct StoreDoublesMap {
  template <typename O> ISTX static void Map(int64_t i, const double* src, O* out, OpReq req) {
    storeOut(out, i, src[i], req);
  }
};

// --- broadcast: x (same rank as out, 1 on broadcast axes) copied to every position of out ---

constexpr int kMaxBDims = 32;
struct BGeom {
  int nd = 0;
  int64_t od[kMaxBDims] = {}, is[kMaxBDims] = {};  // compacted out dims and input strides (0: broadcast)
  ISTX int64_t inOff(int64_t i) const {
    int64_t off = 0;
    for (int k = nd - 1; k >= 0; --k) {
      off += (i % od[k]) * is[k];
      i /= od[k];
    }
    return off;
  }
};

inline BGeom makeBGeom(const Shape& in, const Shape& outShape, const char* op) {
  BGeom g;
  std::vector<int64_t> dims, istr;
  const std::vector<int64_t> inStrides = shapeStrides(in);
  for (size_t i = 0; i < outShape.size(); ++i) {
    if (outShape[i] == 1) continue;
    const int64_t s = in[i] == 1 ? 0 : inStrides[i];
    if (!dims.empty() && (istr.back() == 0) == (s == 0)) {
      dims.back() *= outShape[i];
      istr.back() = s;
    } else {
      dims.push_back(outShape[i]);
      istr.push_back(s);
    }
  }
  IST_CHECK(dims.size() <= size_t(kMaxBDims), op, "data",
            "broadcasting " << shapeString(in) << " to " << shapeString(outShape)
                            << " has too many alternating axes for the device");
  g.nd = static_cast<int>(dims.size());
  for (size_t k = 0; k < dims.size(); ++k) {
    g.od[k] = dims[k];
    g.is[k] = istr[k];
  }
  return g;
}

struct BroadcastMap {
  template <typename T> ISTX static void Map(int64_t i, const T* x, T* out, const BGeom& g, OpReq req) {
    const int64_t off = g.inOff(i);
    if (req == OpReq::kAddTo) storeOut(out, i, static_cast<CT<T>>(x[off]), req);
    else out[i] = x[off];
  }
};

template <typename Dev, typename T>
void broadcastInto(const OpContext& ctx, const T* x, const Shape& in, const Shape& outShape, T* out, OpReq req,
                   const char* op) {
  const int64_t n = shapeSize(outShape);
  if (n == 0 || req == OpReq::kNull) return;
  const BGeom g = makeBGeom(in, outShape, op);
  DeviceKernel<BroadcastMap, Dev>::launch(ctx.run.stream, n, 2, x, out, g, req);
}

// ---------------------------------- computes ----------------------------------

inline const char* opNameOf(const NodeAttrs& attrs, const char* fallback) {
  return attrs.op ? attrs.op->name.c_str() : fallback;
}

enum class Kind { kSum, kMean, kProd, kMax, kMin, kNanSum, kNanProd };

template <typename Dev, Kind K>
void reduceCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const char* op = opNameOf(attrs, "reduce");
  const TBlob& x = in[0];
  const auto& p = attrs.get<ReduceAxesParam>();
  const std::vector<bool> mask = reduceMask(x.shape, p.axis, p.exclude, op);
  const bool nanAware = (K == Kind::kNanSum || K == Kind::kNanProd) && dtypeIsFloat(x.dtype);
  if (nanAware) {
    if constexpr (K == Kind::kNanSum || K == Kind::kNanProd) {
      IST_TYPE_SWITCH_FLOAT(x.dtype, DT, op, {
        if constexpr (K == Kind::kNanSum)
          reduceInto<Dev, NanSumR<DT>>(ctx, x.data<DT>(), x.shape, mask, out[0].data<DT>(), req[0], op);
        else
          reduceInto<Dev, NanProdR<DT>>(ctx, x.data<DT>(), x.shape, mask, out[0].data<DT>(), req[0], op);
      });
    }
    return;
  }
  IST_TYPE_SWITCH_ALL(x.dtype, DT, op, {
    const DT* src = x.data<DT>();
    DT* dst = out[0].data<DT>();
    if constexpr (K == Kind::kSum || K == Kind::kNanSum)
      reduceInto<Dev, SumR<DT>>(ctx, src, x.shape, mask, dst, req[0], op);
    else if constexpr (K == Kind::kMean)
      reduceInto<Dev, SumR<DT>>(ctx, src, x.shape, mask, dst, req[0], op, true);
    else if constexpr (K == Kind::kProd || K == Kind::kNanProd)
      reduceInto<Dev, ProdR<DT>>(ctx, src, x.shape, mask, dst, req[0], op);
    else if constexpr (K == Kind::kMax)
      reduceInto<Dev, MaxR<DT>>(ctx, src, x.shape, mask, dst, req[0], op);
    else
      reduceInto<Dev, MinR<DT>>(ctx, src, x.shape, mask, dst, req[0], op);
  });
}

template <typename Dev, typename DT, typename O>
void normInto(const OpContext& ctx, const TBlob& x, const std::vector<bool>& mask, int ord, O* dst, OpReq req) {
  if (ord == 1) reduceInto<Dev, Norm1R<DT>>(ctx, x.data<DT>(), x.shape, mask, dst, req, "norm");
  else reduceInto<Dev, Norm2R<DT>>(ctx, x.data<DT>(), x.shape, mask, dst, req, "norm");
}

template <typename Dev>
void normCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<NormParam>();
  const TBlob& x = in[0];
  const std::vector<bool> mask = reduceMask(x.shape, p.axis, false, "norm");
  if (out[0].dtype == x.dtype) {
    IST_TYPE_SWITCH_NUMERIC(x.dtype, DT, "norm",
                            normInto<Dev, DT>(ctx, x, mask, p.ord, out[0].data<DT>(), req[0]));
    return;
  }
  const int64_t n = out[0].size();
  TempSpace<Dev> tmp(ctx.run.stream, size_t(n) * sizeof(double));
  IST_TYPE_SWITCH_NUMERIC(x.dtype, DT, "norm",
                          normInto<Dev, DT>(ctx, x, mask, p.ord, tmp.template as<double>(), OpReq::kWriteTo));
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, OT, "norm", {
    DeviceKernel<StoreDoublesMap, Dev>::launch(ctx.run.stream, n, 1, static_cast<const double*>(tmp.get()),
                                               out[0].data<OT>(), req[0]);
  });
}

// --- argmax / argmin / argmax_channel ---

template <typename Dev, bool kMax>
void searchDev(const NodeAttrs& attrs, const OpContext& ctx, const std::optional<int>& axis,
               const std::vector<TBlob>& in, const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = opNameOf(attrs, "argmax");
  if (req[0] == OpReq::kNull) return;
  const TBlob& x = in[0];
  checkSearchable(x.shape, axis, op);
  int64_t outer, R, inner;
  searchGeometry(x.shape, x.size(), axis, op, &outer, &R, &inner);
  if (outer * inner == 0) return;
  const RGeom g = makeRGeom(Shape{outer, R, inner}, {false, true, false}, op);
  IST_TYPE_SWITCH_NUMERIC(x.dtype, DT, op, {
    mapReduce<Dev, ArgR<kMax, DT>>(ctx, g, ArgLoad<kMax, DT>{x.data<DT>()}, StoreOut<DT>{out[0].data<DT>(), req[0]});
  });
}

template <typename Dev, bool kMax>
void searchCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  searchDev<Dev, kMax>(attrs, ctx, attrs.get<ReduceAxisParam>().axis, in, req, out);
}

template <typename Dev>
void argmaxChannelCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  searchDev<Dev, true>(attrs, ctx, 1, in, req, out);
}

// --- broadcast_to / broadcast_axis / broadcast_like ---

template <typename Dev>
void broadcastCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const char* op = opNameOf(attrs, "broadcast_to");
  const TBlob& x = in[0];
  IST_TYPE_SWITCH_ALL(x.dtype, DT, op,
                      broadcastInto<Dev>(ctx, x.data<DT>(), x.shape, out[0].shape, out[0].data<DT>(), req[0], op));
}

// --- _reduce_sum_like / _broadcast_reduced ---

template <typename Dev>
void sumLikeCompute(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const TBlob& x = in[0];
  const Shape& l = in[1].shape;
  const std::vector<bool> mask = sumLikeMask(x.shape, l);
  IST_TYPE_SWITCH_NUMERIC(x.dtype, DT, "_reduce_sum_like", {
    reduceInto<Dev, SumR<DT>>(ctx, x.data<DT>(), x.shape, mask, out[0].data<DT>(), req[0], "_reduce_sum_like");
  });
}

// dst[i] = castOut<T>(double(src[i]) / folded)
struct ScaleMap {
  template <typename T> ISTX static void Map(int64_t i, const T* src, T* dst, double folded) {
    dst[i] = castOut<T>(toDouble(src[i]) / folded);
  }
};

template <typename Dev>
void broadcastReducedCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                             const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const char* op = "_broadcast_reduced";
  const auto& p = attrs.get<BroadcastReducedParam>();
  const Shape& l = in[1].shape;
  const std::vector<bool> mask = reduceMask(l, p.axis, p.exclude, op);
  int64_t folded;
  const Shape kept = foldedShape(l, mask, &folded);
  const TBlob& x = in[0];
  IST_TYPE_SWITCH_NUMERIC(x.dtype, DT, op, {
    const DT* src = x.data<DT>();
    std::unique_ptr<TempSpace<Dev>> scaled;
    if (p.normalize) {
      scaled.reset(new TempSpace<Dev>(ctx.run.stream, size_t(x.size()) * sizeof(DT)));
      DeviceKernel<ScaleMap, Dev>::launch(ctx.run.stream, x.size(), 2, src, scaled->template as<DT>(),
                                          static_cast<double>(folded));
      src = scaled->template as<DT>();
    }
    broadcastInto<Dev>(ctx, src, kept, l, out[0].data<DT>(), req[0], op);
  });
}

// --- moments ---

// dev[i] = (double(x[i]) - dev[i])^2, dev holding the broadcast mean.
struct SquaredDevMap {
  template <typename T> ISTX static void Map(int64_t i, const T* x, double* dev) {
    const double d = toDouble(x[i]) - dev[i];
    dev[i] = d * d;
  }
};

template <typename Dev>
void momentsCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<MomentsParam>();
  const TBlob& x = in[0];
  const std::vector<bool> mask = momentsMask(x.shape, p.axes);
  const int64_t numOut = out[0].size(), n = x.size();
  if (numOut == 0) return;
  const Shape kept = keptShape(x.shape, mask);
  void* s = ctx.run.stream;
  TempSpace<Dev> meanT(s, size_t(numOut) * sizeof(double)), varT(s, size_t(numOut) * sizeof(double));
  double* mean = meanT.template as<double>();
  double* var = varT.template as<double>();
  IST_TYPE_SWITCH_FLOAT(x.dtype, DT, "moments", {
    const DT* src = x.data<DT>();
    reduceInto<Dev, SumR<DT>>(ctx, src, x.shape, mask, mean, OpReq::kWriteTo, "moments", true);
    TempSpace<Dev> devT(s, size_t(n) * sizeof(double));
    double* dev = devT.template as<double>();
    broadcastInto<Dev>(ctx, static_cast<const double*>(mean), kept, x.shape, dev, OpReq::kWriteTo, "moments");
    DeviceKernel<SquaredDevMap, Dev>::launch(s, n, 4, src, dev);
    reduceInto<Dev, SumR<double>>(ctx, static_cast<const double*>(dev), x.shape, mask, var, OpReq::kWriteTo,
                                  "moments", true);
    for (int k = 0; k < 2; ++k) {
      if (req[k] == OpReq::kNull) continue;
      DeviceKernel<StoreDoublesMap, Dev>::launch(s, numOut, 1, static_cast<const double*>(k == 0 ? mean : var),
                                                 out[k].data<DT>(), req[k]);
    }
  });
}

// --- cumsum / _backward_cumsum ---

// An input element in the scan's accumulator type (double, or wrapping uint64 via int64).
template <typename Acc, typename T> ISTX Acc scanLoad(T x) {
  const auto c = static_cast<CT<T>>(x);
  if constexpr (std::is_same_v<Acc, double>) return static_cast<double>(c);
  else return static_cast<uint64_t>(convert<int64_t>(c));
}

// acc[i] = src[i] in the accumulator type (when the input's dtype is not the output's).
struct ScanLoadMap {
  template <typename Acc, typename T> ISTX static void Map(int64_t i, const T* src, Acc* acc) {
    acc[i] = scanLoad<Acc>(src[i]);
  }
};

// Line l = (o, i) of [outer, R, inner]; the line's element r is at o * R * inner + r * inner + i.
// Pass 1: chunk c of line l holds rows [c * C, (c + 1) * C); its sum goes to part.
struct ScanChunkSumMap {
  template <typename Acc, typename T>
  ISTX static void Map(int64_t k, const T* src, Acc* part, int64_t R, int64_t inner, int64_t C, int64_t nc) {
    const int64_t l = k / nc, c = k % nc, o = l / inner, i = l % inner;
    const T* base = src + o * R * inner + i;
    const int64_t r0 = c * C, r1 = r0 + C < R ? r0 + C : R;
    Acc s = Acc(0);
    for (int64_t r = r0; r < r1; ++r) s += scanLoad<Acc>(base[r * inner]);
    part[k] = s;
  }
};
// Pass 2: part becomes the exclusive prefix (forward) or suffix (reverse) of each line's chunks.
struct ScanPartsMap {
  template <typename Acc> ISTX static void Map(int64_t l, Acc* part, int64_t nc, bool reverse) {
    Acc* p = part + l * nc;
    Acc run = Acc(0);
    if (!reverse) {
      for (int64_t c = 0; c < nc; ++c) {
        const Acc v = p[c];
        p[c] = run;
        run += v;
      }
    } else {
      for (int64_t c = nc; c-- > 0;) {
        const Acc v = p[c];
        p[c] = run;
        run += v;
      }
    }
  }
};
// Inclusive chunk scans to exclusive ones: part[l][c] = incl[l][c - 1] (reverse: c + 1), 0 at the end.
struct ScanShiftMap {
  template <typename Acc> ISTX static void Map(int64_t k, const Acc* incl, Acc* part, int64_t nc, bool reverse) {
    const int64_t c = k % nc;
    if (!reverse) part[k] = c == 0 ? Acc(0) : incl[k - 1];
    else part[k] = c == nc - 1 ? Acc(0) : incl[k + 1];
  }
};
// Pass 3: each chunk scans its rows from its carried-in sum and stores them in out's dtype
// (reading an element before writing it, so out may be src).
struct ScanChunkMap {
  template <typename Acc, typename T, typename O>
  ISTX static void Map(int64_t k, const T* src, const Acc* part, O* out, OpReq req, int64_t R, int64_t inner,
                       int64_t C, int64_t nc, bool reverse) {
    const int64_t l = k / nc, c = k % nc, o = l / inner, i = l % inner;
    const int64_t off = o * R * inner + i;
    const int64_t r0 = c * C, r1 = r0 + C < R ? r0 + C : R;
    Acc run = part[k];
    if (!reverse) {
      for (int64_t r = r0; r < r1; ++r) {
        run += scanLoad<Acc>(src[off + r * inner]);
        storeOut(out, off + r * inner, run, req);
      }
    } else {
      for (int64_t r = r1; r-- > r0;) {
        run += scanLoad<Acc>(src[off + r * inner]);
        storeOut(out, off + r * inner, run, req);
      }
    }
  }
};

constexpr int64_t kScanChunk = 1024;

// The three passes over src (T) into out (O).
template <typename Dev, typename Acc, typename T, typename O>
void scanPasses(const OpContext& ctx, const T* src, O* out, OpReq req, const ScanView& v, bool reverse) {
  void* s = ctx.run.stream;
  const int64_t lines = v.outer * v.inner;
  // Split lines into chunks when there are too few lines to fill the device.
  int64_t C = v.R;
  if (lines < kTargetCalls && v.R > 2 * kScanChunk)
    C = std::max<int64_t>(kScanChunk, (v.R * lines + kTargetCalls - 1) / kTargetCalls);
  if (C < 1) C = 1;
  const int64_t nc = (v.R + C - 1) / C;
  TempSpace<Dev> partT(s, size_t(lines * nc) * sizeof(Acc));
  Acc* part = partT.template as<Acc>();
  DeviceKernel<ScanChunkSumMap, Dev>::launch(s, lines * nc, C, src, part, v.R, v.inner, C, nc);
  if (nc <= 2 * kScanChunk) {
    DeviceKernel<ScanPartsMap, Dev>::launch(s, lines, nc, part, nc, reverse);
  } else {  // many chunks: scan the chunk sums with these same passes, then shift by one chunk
    TempSpace<Dev> inclT(s, size_t(lines * nc) * sizeof(Acc));
    Acc* incl = inclT.template as<Acc>();
    scanPasses<Dev, Acc>(ctx, static_cast<const Acc*>(part), incl, OpReq::kWriteTo, ScanView{lines, nc, 1}, reverse);
    DeviceKernel<ScanShiftMap, Dev>::launch(s, lines * nc, 1, static_cast<const Acc*>(incl), part, nc, reverse);
  }
  DeviceKernel<ScanChunkMap, Dev>::launch(s, lines * nc, C * 2, src, static_cast<const Acc*>(part), out, req, v.R,
                                          v.inner, C, nc, reverse);
}

template <typename Dev, typename Acc>
void scanInto(const OpContext& ctx, const TBlob& in, const TBlob& out, OpReq req, const ScanView& v, bool reverse,
              const char* op) {
  if (in.dtype == out.dtype) {  // read the input directly
    IST_TYPE_SWITCH_NUMERIC(out.dtype, OT, op, {
      scanPasses<Dev, Acc>(ctx, in.data<OT>(), out.data<OT>(), req, v, reverse);
    });
    return;
  }
  void* s = ctx.run.stream;
  const int64_t n = in.size();
  TempSpace<Dev> accT(s, size_t(n) * sizeof(Acc));
  Acc* acc = accT.template as<Acc>();
  IST_TYPE_SWITCH_ALL(in.dtype, DT, op, {
    DeviceKernel<ScanLoadMap, Dev>::launch(s, n, 1, in.data<DT>(), acc);
  });
  IST_TYPE_SWITCH_NUMERIC(out.dtype, OT, op, {
    scanPasses<Dev, Acc>(ctx, static_cast<const Acc*>(acc), out.data<OT>(), req, v, reverse);
  });
}

template <typename Dev>
void runScan(const OpContext& ctx, const TBlob& in, const TBlob& out, OpReq req, const ScanView& v, bool reverse,
             const char* op) {
  if (req == OpReq::kNull || out.size() == 0) return;
  if (dtypeIsFloat(out.dtype)) scanInto<Dev, double>(ctx, in, out, req, v, reverse, op);
  else scanInto<Dev, uint64_t>(ctx, in, out, req, v, reverse, op);
}

template <typename Dev>
void cumsumCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  runScan<Dev>(ctx, in[0], out[0], req[0], scanView(in[0].shape, attrs.get<CumsumParam>().axis, "cumsum"), false,
               "cumsum");
}

template <typename Dev>
void backwardCumsumCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                           const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  runScan<Dev>(ctx, in[0], out[0], req[0],
               scanView(in[1].shape, attrs.get<BackwardCumsumParam>().axis, "_backward_cumsum"), true,
               "_backward_cumsum");
}

}  // namespace rdev
}  // namespace ist
