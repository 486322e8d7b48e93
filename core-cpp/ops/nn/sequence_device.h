// SequenceMask / SequenceLast / SequenceReverse: their parameters, geometry and length checks
// (shared with sequence_ops.cc) and the device-generic computes attached in sequence_ops.cu.
#pragma once
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/indexing/index_scratch_device.h"
#include "ops/nn/dense_device_util.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace seqdev {

// The three ops' parameters as one value (SequenceLast and SequenceReverse leave value at 0).
struct SequenceParam {
  bool use_sequence_length = false;
  float value = 0.f;
  int axis = 0;
};

// The registered param structs: K = 0 SequenceMask, 1 SequenceLast, 2 SequenceReverse.
template <int K>
struct SeqParamT {
  bool use_sequence_length = false;
  float value = 0.f;
  int axis = 0;
  static void declare(ParamDecl<SeqParamT>& d) {
    d.field("use_sequence_length", &SeqParamT::use_sequence_length)
        .setDefault(false)
        .doc("If set to true, this layer takes in an extra input parameter `sequence_length` to specify "
             "variable length sequence");
    if constexpr (K == 0) d.field("value", &SeqParamT::value).setDefault(0.f).doc("The value to be used as a mask.");
    d.field("axis", &SeqParamT::axis)
        .setDefault(0)
        .doc(K == 2 ? "The sequence axis. Only 0 is currently supported."
                    : "The sequence axis. Only values of 0 and 1 are currently supported.");
  }
};
using SequenceMaskParam = SeqParamT<0>;
using SequenceLastParam = SeqParamT<1>;
using SequenceReverseParam = SeqParamT<2>;

template <int K> SequenceParam seqParamOf(const NodeAttrs& a) {
  const auto& p = a.get<SeqParamT<K>>();
  return SequenceParam{p.use_sequence_length, p.value, p.axis};
}
// The parameters of any of the ops (and _backward_SequenceLast), by op name.
inline SequenceParam seqParams(const NodeAttrs& a) {
  const std::string& n = a.op->name;
  if (n == "SequenceMask") return seqParamOf<0>(a);
  if (n == "SequenceReverse") return seqParamOf<2>(a);
  return seqParamOf<1>(a);
}

// data seen as (T, B, R) for axis 0 or (B, T, R) for axis 1 (R: the trailing dims).
struct SeqGeom {
  int axis = 0;
  int64_t T = 0, B = 0, R = 1;
};

// Checks rank and axis (maxAxis: 1, or 0 for SequenceReverse) and returns the geometry.
inline SeqGeom seqGeom(const Shape& s, int axis, int maxAxis, const char* op) {
  IST_CHECK(s.size() >= 2, op, "data",
            "data must have rank 2 or more (time and batch axes), got shape " << shapeString(s));
  IST_CHECK(axis >= 0 && axis <= maxAxis, op, "axis",
            "axis " << axis << " is not supported (only " << (maxAxis ? "0 and 1" : "0") << ") for data of shape "
                    << shapeString(s));
  SeqGeom g;
  g.axis = axis;
  g.T = s[axis];
  g.B = s[1 - axis];
  for (size_t i = 2; i < s.size(); ++i) g.R *= s[i];
  return g;
}

// Flat index of (t, b, r) in data.
ISTX int64_t seqAt(const SeqGeom& g, int64_t t, int64_t b, int64_t r) {
  return g.axis == 0 ? (t * g.B + b) * g.R + r : (b * g.T + t) * g.R + r;
}
// (t, b) of data's flat index i.
ISTX void seqPos(const SeqGeom& g, int64_t i, int64_t& t, int64_t& b) {
  if (g.axis == 0) {
    t = i / (g.B * g.R);
    b = (i / g.R) % g.B;
  } else {
    b = i / (g.T * g.R);
    t = (i / g.R) % g.T;
  }
}

// Valid lengths after truncation toward zero (MXNet casts them to int): [lo, hi].
struct LenRange {
  int64_t lo = 0, hi = 0;
};
// SequenceMask: any length >= 0 (past T keeps every step); SequenceLast: 1..T (it reads step len-1);
// SequenceReverse: 0..T.
inline LenRange lenRange(const std::string& op, int64_t T) {
  if (op == "SequenceMask") return {0, INT64_MAX / 2};
  if (op == "SequenceLast" || op == "_backward_SequenceLast") return {1, T};
  return {0, T};
}

ISTX bool lenOk(double x, LenRange rg, int64_t& k) {
  if (!(x == x && x - x == 0) || x <= -1.0 || x >= 4.0e18) {
    k = 0;
    return false;
  }
  k = static_cast<int64_t>(x);
  return k >= rg.lo && k <= rg.hi;
}

[[noreturn]] inline void throwBadLength(const char* op, int64_t b, double x, int64_t T, LenRange rg) {
  std::ostringstream m;
  m << "sequence_length[" << b << "] = " << x << " is not a valid length for a time axis of size " << T
    << " (needs a finite value in [" << rg.lo << ", ";
  if (rg.hi >= INT64_MAX / 2) m << "inf";
  else m << rg.hi;
  m << "] after truncation)";
  throwError(op, "sequence_length", m.str());
}

// Shape rule of the three forward ops: checks inputs, fills sequence_length's shape; returns false
// while data's shape is unknown.
inline bool seqCheckInputs(const NodeAttrs& attrs, std::vector<Shape>& in, int maxAxis, const char* op,
                           int dataAt = 0) {
  const auto& p = seqParams(attrs);
  const int fixed = dataAt + 1;
  nn::expectOptional(attrs, fixed, p.use_sequence_length ? 1 : 0,
                     std::string(dataAt ? "ograd, data" : "data") + (p.use_sequence_length ? ", sequence_length" : ""),
                     op);
  if (!shapeIsKnown(in[dataAt])) return false;
  const SeqGeom g = seqGeom(in[dataAt], p.axis, maxAxis, op);
  if (p.use_sequence_length) nn::expectVector(in[fixed], g.B, op, "sequence_length", in[dataAt]);
  return true;
}

// The dtype rule: data numeric, output alike, sequence_length any numeric dtype (data's if unknown).
inline void seqInferType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out, const char* op,
                         int dataInputs = 1) {
  int t = -1;
  for (int i = 0; i < dataInputs; ++i) if (in[i] >= 0) { t = in[i]; break; }
  if (t < 0) t = out[0];
  if (t < 0) return;
  for (int i = 0; i < dataInputs; ++i) {
    const char* arg = dataInputs == 1 ? "data" : (i == 0 ? "ograd" : "data");
    if (in[i] < 0) in[i] = t;
    nn::requireNumeric(in[i], op, arg);
    IST_CHECK(in[i] == t, op, arg,
              "has dtype " << dtypeName(static_cast<DType>(in[i])) << " but expected " << dtypeName(static_cast<DType>(t)));
  }
  out[0] = t;
  if (seqParams(attrs).use_sequence_length && in.size() > static_cast<size_t>(dataInputs)) {
    int& l = in[dataInputs];
    if (l < 0) l = t;
    nn::requireNumeric(l, op, "sequence_length");
  }
}

// ---- device-generic computes ----

// k[b] = the length of batch element b, truncated; bad ones flagged and counted in errors[0].
struct SeqLenMap {
  ISTX static void Map(int64_t b, int64_t* k, int8_t* bad, double* errors, const double* len, LenRange rg) {
    int64_t v = 0;
    const bool ok = lenOk(len[b], rg, v);
    k[b] = v;
    bad[b] = ok ? 0 : 1;
    if (!ok) deviceAtomicAdd(errors, 1.0);
  }
};

// Device lengths (int64, one per batch element), checked; null when use_sequence_length is off.
template <typename Dev>
const int64_t* seqLengthsDev(const OpContext& ctx, IndexScratch<Dev>& r, const TBlob* len, const SeqGeom& g,
                             const char* op) {
  if (!len || g.B == 0) return nullptr;
  void* s = ctx.run.stream;
  const LenRange rg = lenRange(op, g.T);
  dnd::readDoubles<Dev>(ctx, *len, r.idx(), op);
  DeviceMem<Dev>::zero(s, r.errors(), sizeof(double));
  DeviceKernel<SeqLenMap, Dev>::launch(s, g.B, 4, r.k(), r.bad(), r.errors(), static_cast<const double*>(r.idx()), rg);
  double errors = 0;
  DeviceMem<Dev>::toHost(s, &errors, r.errors(), sizeof(double));
  if (errors != 0) {
    std::vector<double> x(static_cast<size_t>(g.B));
    DeviceMem<Dev>::toHost(s, x.data(), r.idx(), x.size() * sizeof(double));
    for (int64_t b = 0; b < g.B; ++b) {
      int64_t v = 0;
      if (!lenOk(x[b], rg, v)) throwBadLength(op, b, x[b], g.T, rg);
    }
  }
  return r.k();
}

// y = data with steps at or past each length set to value (k null: a copy).
struct SeqMaskMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, const int64_t* k, SeqGeom g, double value, bool add) {
    int64_t t, b;
    seqPos(g, i, t, b);
    const T v = (k && t >= k[b]) ? std_<T>(value) : x[i];
    putValue(y[i], v, add);
  }
};

// y[b, r] = data[k[b] - 1, b, r] (k null: the last step).
struct SeqLastMap {
  template <typename T>
  ISTX static void Map(int64_t o, T* y, const T* x, const int64_t* k, SeqGeom g, bool add) {
    const int64_t b = o / g.R, r = o % g.R;
    const int64_t t = (k ? k[b] : g.T) - 1;
    putValue(y[o], x[seqAt(g, t, b, r)], add);
  }
};

// dx[t, b, r] = og[b, r] at the last valid step, else 0.
struct SeqLastBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* dx, const T* og, const int64_t* k, SeqGeom g, bool add) {
    int64_t t, b;
    seqPos(g, i, t, b);
    const int64_t last = (k ? k[b] : g.T) - 1;
    putValue(dx[i], t == last ? og[b * g.R + i % g.R] : T(0), add);
  }
};

// y[t, b, r] = data[k[b] - 1 - t, b, r] for t < k[b], else data[t, b, r].
struct SeqReverseMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, const int64_t* k, SeqGeom g, bool add) {
    int64_t t, b;
    seqPos(g, i, t, b);
    const int64_t n = k ? k[b] : g.T;
    const int64_t src = t < n ? n - 1 - t : t;
    putValue(y[i], x[seqAt(g, src, b, i % g.R)], add);
  }
};

enum class SeqKind { kMask, kLast, kLastBackward, kReverse };

// One compute for the four: in = (data[, len]) or, for _backward_SequenceLast, (ograd, data[, len]).
template <typename Dev, SeqKind K>
void seqDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
            const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = attrs.op ? attrs.op->name.c_str() : "SequenceMask";
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = seqParams(attrs);
  const int dataAt = K == SeqKind::kLastBackward ? 1 : 0;
  const SeqGeom g = seqGeom(in[dataAt].shape, p.axis, K == SeqKind::kReverse ? 0 : 1, op);
  const TBlob* len = p.use_sequence_length ? &in[dataAt + 1] : nullptr;
  if (K == SeqKind::kLast || K == SeqKind::kLastBackward)
    IST_CHECK(g.T > 0, op, "data", "cannot take the last step of an empty time axis (data shape "
                                       << shapeString(in[dataAt].shape) << ")");
  void* s = ctx.run.stream;
  IndexScratch<Dev> r(s, len ? g.B : 0);
  const int64_t* k = seqLengthsDev<Dev>(ctx, r, len, g, op);
  const bool add = req[0] == OpReq::kAddTo;
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, op, {
    T* y = out[0].data<T>();
    const T* x = in[0].data<T>();
    if constexpr (K == SeqKind::kMask)
      DeviceKernel<SeqMaskMap, Dev>::launch(s, out[0].size(), 1, y, x, k, g, static_cast<double>(p.value), add);
    else if constexpr (K == SeqKind::kLast)
      DeviceKernel<SeqLastMap, Dev>::launch(s, out[0].size(), 1, y, x, k, g, add);
    else if constexpr (K == SeqKind::kLastBackward)
      DeviceKernel<SeqLastBackwardMap, Dev>::launch(s, out[0].size(), 1, y, x, k, g, add);
    else
      DeviceKernel<SeqReverseMap, Dev>::launch(s, out[0].size(), 1, y, x, k, g, add);
  });
}

}  // namespace seqdev
}  // namespace ist
