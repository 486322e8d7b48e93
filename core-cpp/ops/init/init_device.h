// Creation ops (_zeros, _ones, _full, _arange, _linspace, _eye, zeros_like, ones_like,
// _npi_full_like): params and kernels (shared with init_ops.cc) and the device-generic computes
// (GPU kernels and their CPU twins, attached in init.cu).
#pragma once
#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "kernels/device.h"
#include "kernels/device_util.h"
#include "op/registry.h"

namespace ist {
namespace init {

inline const std::vector<std::string> kAllDTypes = {"float32", "float64", "float16", "bfloat16", "uint8",
                                             "int8",    "int16",   "uint16",  "int32",    "uint32",
                                             "int64",   "uint64",  "bool"};
inline const std::vector<std::string> kNumericDTypes = {"float32", "float64", "float16", "bfloat16",
                                                 "uint8",   "int8",    "int16",   "uint16",
                                                 "int32",   "uint32",  "int64",   "uint64"};

inline const char* const kCtxDoc = "Context of output, in format [cpu|gpu](n). Only used for imperative calls.";

// Declares the `ctx` and `dtype` fields every creation op has.
template <typename P>
inline void declareCtxDType(ParamDecl<P>& d, const std::vector<std::string>& dtypes) {
  d.field("ctx", &P::ctx).setDefault("").doc(kCtxDoc);
  d.field("dtype", &P::dtype).setDefault("float32").values(dtypes).doc("Target data type.");
}

struct InitParam {
  Shape shape;
  std::string ctx, dtype;
  static void declare(ParamDecl<InitParam>& d) {
    d.field("shape", &InitParam::shape).setDefault(Shape{}).doc("The shape of the output");
    declareCtxDType(d, kAllDTypes);
  }
};

struct FullParam {
  Shape shape;
  std::string ctx, dtype;
  double value = 0;
  static void declare(ParamDecl<FullParam>& d) {
    d.field("shape", &FullParam::shape).setDefault(Shape{}).doc("The shape of the output");
    declareCtxDType(d, kAllDTypes);
    d.field("value", &FullParam::value).doc("Value with which to fill newly created tensor");
  }
};

struct RangeParam {
  double start = 0;
  std::optional<double> stop;
  double step = 1;
  int repeat = 1;
  bool infer_range = false;
  std::string ctx, dtype;
  static void declare(ParamDecl<RangeParam>& d) {
    d.field("start", &RangeParam::start)
        .doc("Start of interval. The interval includes this value (it is the stop when stop is None).");
    d.field("stop", &RangeParam::stop)
        .setDefault(std::nullopt)
        .doc("End of interval. The interval does not include this value.");
    d.field("step", &RangeParam::step).setDefault(1.0).doc("Spacing between values.");
    d.field("repeat", &RangeParam::repeat)
        .setDefault(1)
        .doc("The repeating time of all elements, e.g. repeat=3 gives a, a, a, b, b, b, ...");
    d.field("infer_range", &RangeParam::infer_range)
        .setDefault(false)
        .doc("When True, infer the stop position from start, step, repeat and the output shape.");
    declareCtxDType(d, kNumericDTypes);
  }
};

struct LinspaceParam {
  double start = 0, stop = 0;
  int num = 0;
  bool endpoint = true;
  std::string ctx, dtype;
  static void declare(ParamDecl<LinspaceParam>& d) {
    d.field("start", &LinspaceParam::start).doc("The starting value of the sequence.");
    d.field("stop", &LinspaceParam::stop).doc("The ending value of the sequence.");
    d.field("num", &LinspaceParam::num).doc("Number of samples to generate. Must be non-negative.");
    d.field("endpoint", &LinspaceParam::endpoint)
        .setDefault(true)
        .doc("If True, stop is the last sample. Otherwise, it is not included.");
    declareCtxDType(d, kNumericDTypes);
  }
};

// linspace's step: (stop - start) over the gaps between the num points.
inline double linspaceStep(const LinspaceParam& p) {
  int steps = p.endpoint ? p.num - 1 : p.num;
  return steps > 0 ? (p.stop - p.start) / steps : 0.0;
}

struct EyeParam {
  int64_t N = 0, M = 0, k = 0;
  std::string ctx, dtype;
  static void declare(ParamDecl<EyeParam>& d) {
    d.field("N", &EyeParam::N).doc("Number of rows in the output.");
    d.field("M", &EyeParam::M).setDefault(int64_t(0)).doc("Number of columns in the output. If 0, defaults to N");
    d.field("k", &EyeParam::k)
        .setDefault(int64_t(0))
        .doc("Index of the diagonal: 0 is the main diagonal, positive values are above it, negative below.");
    declareCtxDType(d, kAllDTypes);
  }
};

struct FullLikeParam {
  double fill_value = 0;
  std::string ctx, dtype;
  static void declare(ParamDecl<FullLikeParam>& d) {
    d.field("fill_value", &FullLikeParam::fill_value).doc("Value with which to fill newly created tensor");
    d.field("ctx", &FullLikeParam::ctx).setDefault("").doc(kCtxDoc);
    std::vector<std::string> dtypes = kAllDTypes;
    dtypes.insert(dtypes.begin(), "None");
    d.field("dtype", &FullLikeParam::dtype).setDefault("None").values(dtypes).doc("Target data type (default: the input's).");
  }
};

// Device arithmetic and conversions that give the CPU build's bits. nvcc would contract a * b + c
// into an FMA (one rounding instead of two), so products and sums use round-to-nearest intrinsics;
// and double -> integer conversions of out-of-range values, undefined in C++, saturate on CUDA but
// follow x86-64's cvttsd2si on the CPU (32-bit conversion then narrowing for types up to int32,
// 64-bit for uint32/int64, the 2^63 split for uint64; out of range or NaN gives the "integer
// indefinite" INT_MIN). On the host these are the plain operators and static_cast (hostAdd,
// hostMul, truncInt and truncInt64 are in kernels/device_util.h).
template <typename To> ISTX To hostCast(double v) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_integral_v<To> && !std::is_same_v<To, bool>) {
    if constexpr (std::is_same_v<To, uint64_t>) {
      if (!(v >= 9223372036854775808.0)) return static_cast<uint64_t>(truncInt64(v));
      return static_cast<uint64_t>(truncInt64(v - 9223372036854775808.0)) ^ (uint64_t(1) << 63);
    } else if constexpr (sizeof(To) == 8 || std::is_same_v<To, uint32_t>) {
      return static_cast<To>(truncInt64(v));
    } else {
      return static_cast<To>(truncInt(v));
    }
  } else {
    return static_cast<To>(v);
  }
#else
  return static_cast<To>(v);
#endif
}

template <typename T> ISTX T fromDouble(double v) {
  if constexpr (std::is_same_v<T, half_t> || std::is_same_v<T, bf16_t>) return T(static_cast<float>(v));
  else if constexpr (std::is_same_v<T, bool>) return v != 0;
  else return hostCast<T>(v);
}

struct FillKernel {
  template <typename T> ISTX static void Map(int64_t i, T* out, T v) { out[i] = v; }
};
struct AddFillKernel {
  template <typename T> ISTX static void Map(int64_t i, T* out, T v) {
    using C = typename ComputeType<T>::type;
    out[i] = T(static_cast<C>(static_cast<C>(out[i]) + static_cast<C>(v)));
  }
};

// MXNet's rule: stop None (and no infer_range) means the range is [0, start).
inline void rangeBounds(const RangeParam& p, double* start, std::optional<double>* stop) {
  *start = p.start;
  *stop = p.stop;
  if (!p.infer_range && !p.stop) { *stop = p.start; *start = 0; }
}

// _arange's start and step in compute type C. Integer outputs go through int64 so negative
// starts/steps wrap the same on every target.
template <typename C>
inline void rangeStartStep(double start, double step, C* s, C* st) {
  if constexpr (std::is_floating_point_v<C>) { *s = static_cast<C>(start); *st = static_cast<C>(step); }
  else { *s = static_cast<C>(static_cast<int64_t>(start)); *st = static_cast<C>(static_cast<int64_t>(step)); }
}

struct RangeKernel {
  // The arithmetic runs in the output's compute type, like MXNet's range kernel.
  template <typename T>
  ISTX static void Map(int64_t i, T* out, typename ComputeType<T>::type start,
                       typename ComputeType<T>::type step, int64_t repeat, OpReq req) {
    using C = typename ComputeType<T>::type;
    C v = hostAdd<C>(start, hostMul<C>(static_cast<C>(i / repeat), step));
    out[i] = req == OpReq::kAddTo ? T(static_cast<C>(hostAdd<C>(static_cast<C>(out[i]), v))) : T(v);
  }
};

struct LinspaceKernel {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, double start, double step, OpReq req) {
    using C = typename ComputeType<T>::type;
    double v = hostAdd<double>(start, hostMul<double>(step, static_cast<double>(i)));
    out[i] = req == OpReq::kAddTo ? T(hostCast<C>(hostAdd<double>(static_cast<double>(static_cast<C>(out[i])), v)))
                                  : T(hostCast<C>(v));
  }
};

inline const char* initOpName(const NodeAttrs& attrs) { return attrs.op ? attrs.op->name.c_str() : "init"; }

template <typename Dev>
void fillBlobDev(const OpContext& ctx, const TBlob& out, OpReq req, double value, const char* op) {
  if (req == OpReq::kNull || out.size() == 0) return;
  if (req == OpReq::kAddTo && value == 0) return;
  IST_TYPE_SWITCH_ALL(out.dtype, DT, op, {
    DT v = fromDouble<DT>(value);
    if (req == OpReq::kAddTo) DeviceKernel<AddFillKernel, Dev>::launch(ctx.run.stream, out.size(), 1, out.data<DT>(), v);
    else if (value == 0) DeviceMem<Dev>::zero(ctx.run.stream, out.dptr, static_cast<size_t>(out.size()) * sizeof(DT));
    else DeviceKernel<FillKernel, Dev>::launch(ctx.run.stream, out.size(), 1, out.data<DT>(), v);
  });
}

template <typename Dev, int kValue>
void constantComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  fillBlobDev<Dev>(ctx, out[0], req[0], kValue, initOpName(attrs));
}

template <typename Dev>
void fullComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  fillBlobDev<Dev>(ctx, out[0], req[0], attrs.get<FullParam>().value, "_full");
}

template <typename Dev>
void fullLikeComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  fillBlobDev<Dev>(ctx, out[0], req[0], attrs.get<FullLikeParam>().fill_value, "_npi_full_like");
}

// _arange's compute, shared with init_ops.cc: launch(n, out, start, step, repeat, req) runs
// RangeKernel on the device.
template <typename Launch>
void rangeComputeWith(const NodeAttrs& attrs, const std::vector<OpReq>& req, const std::vector<TBlob>& out,
                      const Launch& launch) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<RangeParam>();
  double start;
  std::optional<double> stop;
  rangeBounds(p, &start, &stop);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, DT, "_arange", {
    using C = typename ComputeType<DT>::type;
    C s, st;
    rangeStartStep(start, p.step, &s, &st);
    launch(out[0].size(), out[0].data<DT>(), s, st, static_cast<int64_t>(p.repeat), req[0]);
  });
}

template <typename Dev>
void rangeComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  rangeComputeWith(attrs, req, out, [&](int64_t n, auto* y, auto s, auto st, int64_t repeat, OpReq r) {
    DeviceKernel<RangeKernel, Dev>::launch(ctx.run.stream, n, 1, y, s, st, repeat, r);
  });
}

template <typename Dev>
void linspaceComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<LinspaceParam>();
  const double step = linspaceStep(p);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, DT, "_linspace",
                          DeviceKernel<LinspaceKernel, Dev>::launch(ctx.run.stream, out[0].size(), 1,
                                                                    out[0].data<DT>(), p.start, step, req[0]));
}

// One call per element of the k-th diagonal: row r = r0 + i of a (rows, cols) matrix.
struct EyeDiagKernel {
  template <typename T>
  ISTX static void Map(int64_t i, T* o, int64_t r0, int64_t cols, int64_t k, OpReq req) {
    const int64_t r = r0 + i, at = r * cols + r + k;
    if (req == OpReq::kAddTo)
      o[at] = fromDouble<T>(static_cast<double>(static_cast<typename ComputeType<T>::type>(o[at])) + 1.0);
    else
      o[at] = fromDouble<T>(1.0);
  }
};

template <typename Dev>
void eyeComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<EyeParam>();
  const int64_t rows = out[0].shape[0], cols = out[0].shape[1];
  fillBlobDev<Dev>(ctx, out[0], req[0], 0, "_eye");
  const int64_t r0 = std::max<int64_t>(0, -p.k);
  const int64_t r1 = std::min<int64_t>(rows, cols - p.k);  // rows r with r < rows and r + k < cols
  if (r1 <= r0) return;
  IST_TYPE_SWITCH_ALL(out[0].dtype, DT, "_eye", {
    DeviceKernel<EyeDiagKernel, Dev>::launch(ctx.run.stream, r1 - r0, 1, out[0].data<DT>(), r0, cols, p.k,
                                             req[0]);
  });
}

}  // namespace init
}  // namespace ist
