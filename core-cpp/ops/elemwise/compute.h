// FCompute templates of the elementwise family, written once for Dev = cpu and Dev = gpu.
//
// `.cc` files instantiate them with cpu (row loops of cpu_loops.h on the engine's pool);
// kernels/cuda/elemwise.cu instantiates them with gpu (Kernel<Map, gpu> launches). kTypes picks
// the dtypes an op accepts: kAllTypes (bool too), kNumericTypes, kFloatTypes.
#pragma once
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/elemwise/cpu_loops.h"
#include "ops/elemwise/elemwise_params.h"
#include "ops/elemwise/infer.h"
#include "ops/elemwise/maps.h"
#include "ops/elemwise/register.h"

namespace ist {
namespace elem {

enum TypeSet { kAllTypes, kNumericTypes, kFloatTypes };

// IST_TYPE_SWITCH_* chosen by a TypeSet template argument (only the chosen one is instantiated).
#define IST_ELEMWISE_TYPE_SWITCH(kTypes, dtype, DT, op, ...)                  \
  if constexpr ((kTypes) == ::ist::elem::kAllTypes) {                        \
    IST_TYPE_SWITCH_ALL(dtype, DT, op, __VA_ARGS__)                          \
  } else if constexpr ((kTypes) == ::ist::elem::kNumericTypes) {             \
    IST_TYPE_SWITCH_NUMERIC(dtype, DT, op, __VA_ARGS__)                      \
  } else {                                                                   \
    IST_TYPE_SWITCH_FLOAT(dtype, DT, op, __VA_ARGS__)                        \
  }

template <typename Dev> constexpr bool kIsCPU = std::is_same_v<Dev, cpu>;

// ---- geometry -------------------------------------------------------------------------------

// Merged broadcast geometry of lhs/rhs against out (see BroadcastGeom). Throws beyond
// kMaxBroadcastDims merged dims.
BroadcastGeom makeBroadcastGeom(const Shape& lhs, const Shape& rhs, const Shape& out,
                                const char* op);

// ---- launch helpers (templated on Dev) --------------------------------------------------------
// Only the identity functor is instantiated with AddTo = true: accumulation (OpReq::kAddTo) is
// done by writing into scratch memory and adding that (writeOrAccumulate), which halves the code
// of this family at the price of one extra pass on a rare path.

template <typename Dev, typename OP, bool AddTo, typename T>
void launchUnary(const OpContext& ctx, int64_t n, T* out, const T* in) {
  if constexpr (kIsCPU<Dev>) {
    cpuUnaryFlat(n, CostOf<OP>::value, &unaryRow<OP, AddTo, T>, out, in, sizeof(T), sizeof(T));
  } else {
    DeviceKernel<UnaryMap<OP, AddTo>, Dev>::launch(ctx.run.stream, n, 1, out, in);
  }
}

template <typename Dev, typename OP, typename T>
void launchBinary(const OpContext& ctx, const BroadcastGeom& g, T* out, const T* a, const T* b) {
  if constexpr (kIsCPU<Dev>) {
    cpuBinaryBroadcast(g, CostOf<OP>::value, &binaryRow<OP, false, T>, out, a, b, sizeof(T));
  } else {
    int64_t n = 1;
    for (int d = 0; d < g.ndim; ++d) n *= g.shape[d];
    if (g.ndim == 1) {
      DeviceKernel<BinaryStridedMap<OP, false>, Dev>::launch(ctx.run.stream, n, 1, out, a,
                                                             g.lstride[0], b, g.rstride[0]);
    } else {
      DeviceKernel<BroadcastMap<OP, false>, Dev>::launch(ctx.run.stream, n, 1, out, a, b, g);
    }
  }
}

// OP(a, s) or, Reverse, OP(s, a) with a host scalar already converted to T.
template <typename Dev, typename OP, bool Reverse, typename T>
void launchScalar(const OpContext& ctx, int64_t n, T* out, const T* a, T s) {
  if constexpr (kIsCPU<Dev>) {
    cpuScalar(n, CostOf<OP>::value, &binaryRow<OP, false, T>, out, a, &s, Reverse, sizeof(T));
  } else if constexpr (Reverse) {
    DeviceKernel<ScalarLhsMap<OP, false>, Dev>::launch(ctx.run.stream, n, 1, out, CT_<T>(s), a);
  } else {
    DeviceKernel<ScalarRhsMap<OP, false>, Dev>::launch(ctx.run.stream, n, 1, out, a, CT_<T>(s));
  }
}

// out += src (same shape and dtype). The CPU version is one out-of-line function (cpu_loops.cc).
template <typename Dev>
void accumulate(const OpContext& ctx, const TBlob& src, const TBlob& out, const char* op) {
  if constexpr (kIsCPU<Dev>) {
    cpuAccumulate(src, out, op);
  } else {
    IST_TYPE_SWITCH_ALL(out.dtype, T, op, {
      launchUnary<Dev, identity, true>(ctx, out.size(), out.data<T>(), src.data<T>());
    });
  }
}

// Calls write(dst) with dst = out, or for kAddTo with dst = scratch blob then adds it to out.
template <typename Dev, typename F>
void writeOrAccumulate(const OpContext& ctx, OpReq req, const TBlob& out, const char* op,
                       F&& write) {
  if (req == OpReq::kNull || out.size() == 0) return;
  if (req != OpReq::kAddTo) {
    write(out);
    return;
  }
  TempSpace<Dev> temp(ctx.run.stream, size_t(out.size()) * dtypeSize(out.dtype));
  TBlob scratch = out;
  scratch.dptr = temp.get();
  write(scratch);
  accumulate<Dev>(ctx, scratch, out, op);
}

// dst = convert(in) for any pair of dtypes.
template <typename Dev>
void castInto(const OpContext& ctx, const TBlob& in, const TBlob& dst, const char* op) {
  const int64_t n = dst.size();
  IST_TYPE_SWITCH_ALL(dst.dtype, O, op, {
    IST_TYPE_SWITCH_ALL(in.dtype, I, op, {
      if constexpr (kIsCPU<Dev>) {
        cpuUnaryFlat(n, 1, &castRow<O, I>, dst.dptr, in.dptr, sizeof(O), sizeof(I));
      } else {
        DeviceKernel<CastMap<false>, Dev>::launch(ctx.run.stream, n, 1, dst.data<O>(),
                                                  static_cast<const I*>(in.dptr));
      }
    });
  });
}

// ---- FCompute templates ---------------------------------------------------------------------

// out = OP(data)
template <typename Dev, typename OP, int kTypes>
void unaryCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = opName(attrs);
  writeOrAccumulate<Dev>(ctx, req[0], out[0], op, [&](const TBlob& dst) {
    IST_ELEMWISE_TYPE_SWITCH(kTypes, dst.dtype, T, op, {
      launchUnary<Dev, OP, false>(ctx, dst.size(), dst.data<T>(), in[0].data<T>());
    });
  });
}

// _copy / identity / BlockGrad: nothing to do when the output is the input.
template <typename Dev>
void copyCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] != OpReq::kAddTo && in[0].dptr == out[0].dptr) return;
  unaryCompute<Dev, identity, kAllTypes>(attrs, ctx, in, req, out);
}

// out = OP(lhs, rhs) with NumPy broadcasting (same shapes are the 1-dim geometry).
template <typename Dev, typename OP, int kTypes>
void binaryCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = opName(attrs);
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const BroadcastGeom g = makeBroadcastGeom(in[0].shape, in[1].shape, out[0].shape, op);
  writeOrAccumulate<Dev>(ctx, req[0], out[0], op, [&](const TBlob& dst) {
    IST_ELEMWISE_TYPE_SWITCH(kTypes, dst.dtype, T, op, {
      launchBinary<Dev, OP>(ctx, g, dst.data<T>(), in[0].data<T>(), in[1].data<T>());
    });
  });
}

// out = OP(data, scalar) or, Reverse, OP(scalar, data). An input whose dtype differs from the
// output's (promotion by inferScalarDType) is first cast into the output.
template <typename Dev, typename OP, bool Reverse, int kTypes>
void scalarCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = opName(attrs);
  const double scalar = attrs.get<ScalarParam>().scalar;
  writeOrAccumulate<Dev>(ctx, req[0], out[0], op, [&](const TBlob& dst) {
    TBlob src = in[0];
    if (src.dtype != dst.dtype) {
      castInto<Dev>(ctx, in[0], dst, op);
      src = dst;
    }
    IST_ELEMWISE_TYPE_SWITCH(kTypes, dst.dtype, T, op, {
      launchScalar<Dev, OP, Reverse>(ctx, dst.size(), dst.data<T>(), src.data<T>(),
                                     convert<T>(scalar));
    });
  });
}

// clip(data, a_min, a_max). Bounds are clamped into the dtype's range before conversion so a
// uint8 array clipped to [0, 300] is unchanged (300 would otherwise wrap to 44).
template <typename T> CT_<T> clipBound(double v) {
  if constexpr (std::is_integral_v<T>) {
    constexpr T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    if (!(v == v)) return T(0);
    return v <= double(lo) ? lo : (v >= double(hi) ? hi : convert<T>(v));
  } else {
    return CT_<T>(convert<T>(v));
  }
}

template <typename Dev>
void clipCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = opName(attrs);
  const ClipParam& p = attrs.get<ClipParam>();
  writeOrAccumulate<Dev>(ctx, req[0], out[0], op, [&](const TBlob& dst) {
    IST_TYPE_SWITCH_NUMERIC(dst.dtype, T, op, {
      DeviceKernel<Param2Map<clip, false>, Dev>::launch(ctx.run.stream, dst.size(), 1,
                                                        dst.data<T>(), in[0].data<T>(),
                                                        clipBound<T>(p.a_min),
                                                        clipBound<T>(p.a_max));
    });
  });
}

template <typename Dev>
void hardSigmoidCompute(const NodeAttrs& attrs, const OpContext& ctx,
                        const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                        const std::vector<TBlob>& out) {
  const char* op = opName(attrs);
  const HardSigmoidParam& p = attrs.get<HardSigmoidParam>();
  writeOrAccumulate<Dev>(ctx, req[0], out[0], op, [&](const TBlob& dst) {
    IST_TYPE_SWITCH_FLOAT(dst.dtype, T, op, {
      DeviceKernel<Param2Map<hard_sigmoid, false>, Dev>::launch(
          ctx.run.stream, dst.size(), CostOf<hard_sigmoid>::value, dst.data<T>(),
          in[0].data<T>(), CT_<T>(p.alpha), CT_<T>(p.beta));
    });
  });
}

// Cast(data, dtype) and _copyto (which converts when the destination's dtype differs).
template <typename Dev>
void castCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] != OpReq::kAddTo && in[0].dptr == out[0].dptr && in[0].dtype == out[0].dtype) return;
  const char* op = opName(attrs);
  writeOrAccumulate<Dev>(ctx, req[0], out[0], op,
                         [&](const TBlob& dst) { castInto<Dev>(ctx, in[0], dst, op); });
}

// where(condition, x, y). Selecting copies bits, so data moves as unsigned words of its width,
// and the condition is read through a type with the same zero test (see nonzero in maps.h).
template <typename Dev, bool Batch, typename W>
void launchWhere(const OpContext& ctx, const TBlob& cond, int64_t n, W* out, const W* x,
                 const W* y, int64_t M, const char* op) {
  switch (cond.dtype) {
#define IST_WHERE_COND(F, C)                                                                  \
  case DType::F:                                                                              \
    DeviceKernel<WhereMap<Batch, false>, Dev>::launch(ctx.run.stream, n, 1, out,              \
                                                      static_cast<const C*>(cond.dptr), x, y, \
                                                      M);                                     \
    break;
    IST_WHERE_COND(kBool, uint8_t)
    IST_WHERE_COND(kUint8, uint8_t)
    IST_WHERE_COND(kInt8, uint8_t)
    IST_WHERE_COND(kInt16, uint16_t)
    IST_WHERE_COND(kUint16, uint16_t)
    IST_WHERE_COND(kFloat16, HalfBits)
    IST_WHERE_COND(kBFloat16, HalfBits)
    IST_WHERE_COND(kInt32, uint32_t)
    IST_WHERE_COND(kUint32, uint32_t)
    IST_WHERE_COND(kFloat32, float)
    IST_WHERE_COND(kInt64, uint64_t)
    IST_WHERE_COND(kUint64, uint64_t)
    IST_WHERE_COND(kFloat64, double)
#undef IST_WHERE_COND
    default:
      throwUnsupportedDType(cond.dtype, op);
  }
}

template <typename Dev>
void whereCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = opName(attrs);
  const TBlob &cond = in[0], &x = in[1], &y = in[2];
  writeOrAccumulate<Dev>(ctx, req[0], out[0], op, [&](const TBlob& dst) {
    const int64_t n = dst.size();
    const int64_t M = cond.size() == n ? 1 : n / cond.size();
    auto run = [&](auto word) {
      using W = decltype(word);
      W* o = static_cast<W*>(dst.dptr);
      const W* px = static_cast<const W*>(x.dptr);
      const W* py = static_cast<const W*>(y.dptr);
      if (M == 1) launchWhere<Dev, false>(ctx, cond, n, o, px, py, M, op);
      else launchWhere<Dev, true>(ctx, cond, n, o, px, py, M, op);
    };
    switch (dtypeSize(dst.dtype)) {
      case 1: run(uint8_t()); break;
      case 2: run(uint16_t()); break;
      case 4: run(uint32_t()); break;
      case 8: run(uint64_t()); break;
      default: throwUnsupportedDType(dst.dtype, op);
    }
  });
}

// add_n(arg0, ..., argN-1): the first two inputs are summed into out, the rest accumulated.
template <typename Dev>
void addNCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const int64_t n = out[0].size();
  if (req[0] == OpReq::kNull || n == 0) return;
  const char* op = opName(attrs);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, op, {
    T* o = out[0].data<T>();
    size_t k = 0;
    if (req[0] != OpReq::kAddTo) {
      if (in.size() == 1) {
        if (in[0].dptr != out[0].dptr) {
          launchUnary<Dev, identity, false>(ctx, n, o, in[0].data<T>());
        }
        k = 1;
      } else {
        BroadcastGeom g;
        g.shape[0] = n;
        launchBinary<Dev, plus>(ctx, g, o, in[0].data<T>(), in[1].data<T>());
        k = 2;
      }
    }
    for (; k < in.size(); ++k) launchUnary<Dev, identity, true>(ctx, n, o, in[k].data<T>());
  });
}

// ---- FElemRow (op/registry.h): the row functions the CPU computes above run, for fusion ----------

// OP's row for dtype, unary or (Binary) binary; false for a dtype its compute rejects.
template <typename OP, int kTypes, bool Binary>
bool opElemRow(const NodeAttrs& attrs, int dtype, ElemRow* row) {
  if (!typeSetAccepts(kTypes, dtype)) return false;
  IST_ELEMWISE_TYPE_SWITCH(kTypes, DType(dtype), T, opName(attrs), {
    if constexpr (Binary) row->binary = &binaryRow<OP, false, T>;
    else row->unary = &unaryRow<OP, false, T>;
  });
  row->cost = CostOf<OP>::value;
  return true;
}

// The scalar converted to the dtype as scalarCompute does; an input promoted to another dtype
// (inferScalarDType) is not fusable, which the executor sees as differing dtypes.
template <typename OP, bool Reverse, int kTypes>
bool scalarElemRow(const NodeAttrs& attrs, int dtype, ElemRow* row) {
  if (!opElemRow<OP, kTypes, true>(attrs, dtype, row)) return false;
  const double scalar = attrs.get<ScalarParam>().scalar;
  IST_ELEMWISE_TYPE_SWITCH(kTypes, DType(dtype), T, opName(attrs), {
    const T s = convert<T>(scalar);
    static_assert(sizeof(T) <= sizeof(row->scalar), "scalar slot too small");
    std::memcpy(row->scalar, &s, sizeof(T));
  });
  row->hasScalar = true;
  row->reverse = Reverse;
  return true;
}

}  // namespace elem
}  // namespace ist
