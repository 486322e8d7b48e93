// Device-generic twins of strided_copy.h (copyStrided / copyContiguous) and of the view sum that
// _backward_tile / _backward_repeat use (reduce::reduceAxes with SumR), written once for Dev = cpu
// and Dev = gpu (kernels/device.h). One Map call per destination element: the element's offsets on
// both sides come from its multi-index over the simplified dims, so no two calls write the same
// element and results do not depend on how the work is split.
#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>
#include "base/dtype.h"
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"

namespace ist {
namespace mat {

constexpr int kMaxCopyDims = 8;

// A simplified copy: dims outer to inner, element strides of both sides.
struct CopyGeom {
  int nd = 0;
  int64_t shape[kMaxCopyDims];
  int64_t dst[kMaxCopyDims];
  int64_t src[kMaxCopyDims];
};

template <typename E, bool kAdd>
struct StridedCopyMap {
  ISTX static void Map(int64_t i, E* dst, const E* src, CopyGeom g) {
    int64_t d = 0, s = 0, r = i;
    for (int k = g.nd - 1; k >= 0; --k) {
      const int64_t q = r / g.shape[k];
      const int64_t idx = r - q * g.shape[k];
      r = q;
      d += idx * g.dst[k];
      s += idx * g.src[k];
    }
    if constexpr (kAdd) {
      using C = typename ComputeType<E>::type;
      dst[d] = E(C(dst[d]) + C(src[s]));
    } else {
      dst[d] = src[s];
    }
  }
};

// The simplification of copyStrided and copyStridedDev: size-1 dims dropped, dims merged where both sides step
// over them as over one longer dim. Returns false for an empty copy.
inline bool simplifyCopy(const Shape& shape, const std::vector<int64_t>& ds,
                         const std::vector<int64_t>& ss, std::vector<int64_t>* oShape,
                         std::vector<int64_t>* oDst, std::vector<int64_t>* oSrc) {
  for (int64_t d : shape)
    if (d == 0) return false;
  std::vector<int64_t> rs, rd, rsrc;  // inner first
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    if (!rs.empty() && ds[i] == rd.back() * rs.back() && ss[i] == rsrc.back() * rs.back()) {
      rs.back() *= shape[i];
      continue;
    }
    rs.push_back(shape[i]);
    rd.push_back(ds[i]);
    rsrc.push_back(ss[i]);
  }
  oShape->assign(rs.rbegin(), rs.rend());
  oDst->assign(rd.rbegin(), rd.rend());
  oSrc->assign(rsrc.rbegin(), rsrc.rend());
  return true;
}

// Launches dims [first, end) of a simplified plan; leading dims beyond kMaxCopyDims are looped
// here on the host (one launch per index).
template <typename Dev, typename E, bool kAdd>
void launchCopyPlan(void* stream, const std::vector<int64_t>& shape, const std::vector<int64_t>& dst,
                    const std::vector<int64_t>& src, size_t first, E* d, const E* s) {
  const size_t nd = shape.size() - first;
  if (nd > static_cast<size_t>(kMaxCopyDims)) {
    for (int64_t k = 0; k < shape[first]; ++k)
      launchCopyPlan<Dev, E, kAdd>(stream, shape, dst, src, first + 1, d + k * dst[first],
                                   s + k * src[first]);
    return;
  }
  CopyGeom g;
  g.nd = static_cast<int>(nd);
  int64_t n = 1;
  for (size_t k = 0; k < nd; ++k) {
    g.shape[k] = shape[first + k];
    g.dst[k] = dst[first + k];
    g.src[k] = src[first + k];
    n *= g.shape[k];
  }
  for (size_t k = nd; k < static_cast<size_t>(kMaxCopyDims); ++k) g.shape[k] = g.dst[k] = g.src[k] = 0;
  DeviceKernel<StridedCopyMap<E, kAdd>, Dev>::launch(stream, n, 1, d, s, g);
}

// dst[i] = src[i] (kWriteTo, kWriteInplace) or dst[i] += src[i] (kAddTo) for every index i of
// `shape`; kNull does nothing. Same contract as copyStrided.
template <typename Dev>
void copyStridedDev(const OpContext& ctx, DType dtype, const Shape& shape, void* dst,
                    const std::vector<int64_t>& dstStrides, const void* src,
                    const std::vector<int64_t>& srcStrides, OpReq req, const char* op) {
  if (req == OpReq::kNull) return;
  std::vector<int64_t> ps, pd, psrc;
  if (!simplifyCopy(shape, dstStrides, srcStrides, &ps, &pd, &psrc)) return;
  void* stream = ctx.run.stream;
  if (req == OpReq::kAddTo) {
    IST_TYPE_SWITCH_ALL(dtype, DT, op, {
      launchCopyPlan<Dev, DT, true>(stream, ps, pd, psrc, 0, static_cast<DT*>(dst),
                                    static_cast<const DT*>(src));
    });
    return;
  }
  switch (dtypeSize(dtype)) {
    case 1:
      launchCopyPlan<Dev, uint8_t, false>(stream, ps, pd, psrc, 0, static_cast<uint8_t*>(dst),
                                          static_cast<const uint8_t*>(src));
      break;
    case 2:
      launchCopyPlan<Dev, uint16_t, false>(stream, ps, pd, psrc, 0, static_cast<uint16_t*>(dst),
                                           static_cast<const uint16_t*>(src));
      break;
    case 4:
      launchCopyPlan<Dev, uint32_t, false>(stream, ps, pd, psrc, 0, static_cast<uint32_t*>(dst),
                                           static_cast<const uint32_t*>(src));
      break;
    case 8:
      launchCopyPlan<Dev, uint64_t, false>(stream, ps, pd, psrc, 0, static_cast<uint64_t*>(dst),
                                           static_cast<const uint64_t*>(src));
      break;
    default: throwUnsupportedDType(dtype, op);
  }
}

// The contiguous case: n elements; a same-pointer kWriteTo/kWriteInplace is a no-op.
template <typename Dev>
void copyContiguousDev(const OpContext& ctx, DType dtype, int64_t n, void* dst, const void* src,
                       OpReq req, const char* op) {
  if (req == OpReq::kNull || n <= 0) return;
  if (req != OpReq::kAddTo) {
    if (dst == src) return;
    DeviceMem<Dev>::copy(ctx.run.stream, dst, src, static_cast<size_t>(n) * dtypeSize(dtype));
    return;
  }
  copyStridedDev<Dev>(ctx, dtype, Shape{n}, dst, {1}, src, {1}, req, op);
}

// Byte offset helpers.
inline char* byteAt(void* p, int64_t elems, DType t) {
  return static_cast<char*>(p) + elems * static_cast<int64_t>(dtypeSize(t));
}
inline const char* byteAt(const void* p, int64_t elems, DType t) {
  return static_cast<const char*>(p) + elems * static_cast<int64_t>(dtypeSize(t));
}

// copyStrided and copyStridedDev<Dev> as callables of one signature, for host-side plans shared by a
// .cc compute and its device twin: copy(dtype, shape, dst, dstStrides, src, srcStrides, req, op).
struct HostCopy {
  void operator()(DType dtype, const Shape& shape, void* dst, const std::vector<int64_t>& dstStrides,
                  const void* src, const std::vector<int64_t>& srcStrides, OpReq req, const char* op) const {
    copyStrided(dtype, shape, dst, dstStrides, src, srcStrides, req, op);
  }
};
template <typename Dev>
struct DevCopy {
  const OpContext& ctx;
  void operator()(DType dtype, const Shape& shape, void* dst, const std::vector<int64_t>& dstStrides,
                  const void* src, const std::vector<int64_t>& srcStrides, OpReq req, const char* op) const {
    copyStridedDev<Dev>(ctx, dtype, shape, dst, dstStrides, src, srcStrides, req, op);
  }
};

// Shape s seen as (outer, s[axis], inner) around the normalized `dim`; returns the axis.
inline int splitAtAxis(const Shape& s, int dim, const char* op, const char* arg, int64_t& outer,
                       int64_t& inner) {
  const int axis = normalizeAxis(dim, static_cast<int>(s.size()), op, arg);
  outer = 1;
  inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
  return axis;
}

// ---- view sum: out (the kept dims, row-major) = x (contiguous, shape `view`) summed over `mask` ----

constexpr int kMaxSumDims = 32;

struct SumGeom {
  int nk = 0, nr = 0;
  int64_t kShape[kMaxSumDims], kStride[kMaxSumDims];
  int64_t rShape[kMaxSumDims], rStride[kMaxSumDims];
  int64_t numRed = 1;
};

// The value reduce::SumR accumulates and stores: double for float types, wrapped uint64 for
// integers (finished as int64 for signed types).
template <typename T>
struct SumTraits {
  using C = typename ComputeType<T>::type;
  static constexpr bool kFloat = !std::is_same_v<C, T> || std::is_floating_point_v<T>;
  using Acc = std::conditional_t<kFloat, double, uint64_t>;
  ISTX static Acc load(T x) {
    if constexpr (kFloat) {
      return static_cast<double>(static_cast<C>(x));
    } else if constexpr (std::is_signed_v<T>) {
      return static_cast<uint64_t>(static_cast<int64_t>(x));
    } else {
      return static_cast<uint64_t>(x);
    }
  }
  using Fin = std::conditional_t<kFloat, double, std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;
  template <typename V> ISTX static T castOut(V v) {
    if constexpr (std::is_same_v<T, half_t> || std::is_same_v<T, bf16_t>) return T(static_cast<float>(v));
    else if constexpr (std::is_same_v<T, bool>) return v != V(0);
    else return static_cast<T>(v);
  }
};

// Input offset of output element o (its kept multi-index).
ISTX int64_t viewSumBase(const SumGeom& g, int64_t o) {
  int64_t base = 0;
  for (int k = g.nk - 1; k >= 0; --k) {
    const int64_t q = o / g.kShape[k];
    base += (o - q * g.kShape[k]) * g.kStride[k];
    o = q;
  }
  return base;
}

// Sum of the reduced elements [t0, t1) of the output whose input offset is `base`.
template <typename T>
ISTX typename SumTraits<T>::Acc viewSumFold(const SumGeom& g, const T* x, int64_t base, int64_t t0, int64_t t1) {
  using Tr = SumTraits<T>;
  typename Tr::Acc acc = typename Tr::Acc(0);
  for (int64_t t = t0; t < t1; ++t) {
    int64_t off = base, rr = t;
    for (int k = g.nr - 1; k >= 0; --k) {
      const int64_t q = rr / g.rShape[k];
      off += (rr - q * g.rShape[k]) * g.rStride[k];
      rr = q;
    }
    acc = acc + Tr::load(x[off]);
  }
  return acc;
}

template <typename T>
ISTX void viewSumStore(T* out, int64_t o, typename SumTraits<T>::Acc acc, OpReq req) {
  using Tr = SumTraits<T>;
  using Fin = typename Tr::Fin;
  const Fin v = static_cast<Fin>(acc);
  if (req == OpReq::kAddTo) {
    out[o] = Tr::template castOut<Fin>(static_cast<Fin>(static_cast<typename Tr::C>(out[o])) + v);
  } else {
    out[o] = Tr::template castOut<Fin>(v);
  }
}

// One call per output: the whole fold.
template <typename T>
struct ViewSumMap {
  ISTX static void Map(int64_t o, T* out, const T* x, SumGeom g, OpReq req) {
    viewSumStore(out, o, viewSumFold(g, x, viewSumBase(g, o), 0, g.numRed), req);
  }
};

// Few outputs, long folds: call k folds block k % nb of output k / nb into partial[k]...
constexpr int64_t kSumBlock = 4096;
template <typename T>
struct ViewSumPartialMap {
  ISTX static void Map(int64_t k, typename SumTraits<T>::Acc* partial, const T* x, SumGeom g, int64_t nb) {
    const int64_t o = k / nb, b = k - o * nb;
    const int64_t t0 = b * kSumBlock, t1 = t0 + kSumBlock < g.numRed ? t0 + kSumBlock : g.numRed;
    partial[k] = viewSumFold(g, x, viewSumBase(g, o), t0, t1);
  }
};
// ... then one call per output adds its nb partials in block order.
template <typename T>
struct ViewSumCombineMap {
  ISTX static void Map(int64_t o, T* out, const typename SumTraits<T>::Acc* partial, int64_t nb, OpReq req) {
    typename SumTraits<T>::Acc acc = partial[o * nb];
    for (int64_t b = 1; b < nb; ++b) acc = acc + partial[o * nb + b];
    viewSumStore(out, o, acc, req);
  }
};

// Numeric dtypes only (as the CPU's IST_TYPE_SWITCH_NUMERIC).
template <typename Dev>
void sumViewDev(const OpContext& ctx, const TBlob& og, const TBlob& grad, const Shape& view,
                const std::vector<bool>& mask, OpReq req, const char* op) {
  if (req == OpReq::kNull) return;
  // A zero-length kept dim: no outputs. A zero-length reduced dim: every output is the empty
  // sum 0 (the reduced dims are then dropped).
  bool emptyFold = false;
  for (size_t i = 0; i < view.size(); ++i) {
    if (view[i] != 0) continue;
    if (!mask[i]) return;
    emptyFold = true;
  }
  // Drop size-1 dims, merge adjacent dims of the same kind.
  std::vector<int64_t> dims;
  std::vector<bool> red;
  for (size_t i = 0; i < view.size(); ++i) {
    if (view[i] == 1 || (emptyFold && mask[i])) continue;
    if (!dims.empty() && red.back() == mask[i]) {
      dims.back() *= view[i];
    } else {
      dims.push_back(view[i]);
      red.push_back(mask[i]);
    }
  }
  SumGeom g;
  int64_t stride = 1, numOut = 1;
  std::vector<int64_t> strides(dims.size());
  for (int i = static_cast<int>(dims.size()) - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= dims[i];
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    if (red[i]) {
      IST_CHECK(g.nr < kMaxSumDims, op, "out_grad", "too many dims for the device kernel");
      g.rShape[g.nr] = dims[i];
      g.rStride[g.nr++] = strides[i];
      g.numRed *= dims[i];
    } else {
      IST_CHECK(g.nk < kMaxSumDims, op, "out_grad", "too many dims for the device kernel");
      g.kShape[g.nk] = dims[i];
      g.kStride[g.nk++] = strides[i];
      numOut *= dims[i];
    }
  }
  if (emptyFold) g.numRed = 0;
  for (int k = g.nr; k < kMaxSumDims; ++k) g.rShape[k] = g.rStride[k] = 0;
  for (int k = g.nk; k < kMaxSumDims; ++k) g.kShape[k] = g.kStride[k] = 0;
  const bool split = g.numRed > 2 * kSumBlock && numOut < 4096;
  IST_TYPE_SWITCH_NUMERIC(og.dtype, T, op, {
    if (!split) {
      DeviceKernel<ViewSumMap<T>, Dev>::launch(ctx.run.stream, numOut, g.numRed + 1, grad.data<T>(),
                                               og.data<T>(), g, req);
    } else {
      using Acc = typename SumTraits<T>::Acc;
      const int64_t nb = (g.numRed + kSumBlock - 1) / kSumBlock;
      TempSpace<Dev> partial(ctx.run.stream, static_cast<size_t>(numOut * nb) * sizeof(Acc));
      DeviceKernel<ViewSumPartialMap<T>, Dev>::launch(ctx.run.stream, numOut * nb, kSumBlock,
                                                      partial.template as<Acc>(), og.data<T>(), g, nb);
      DeviceKernel<ViewSumCombineMap<T>, Dev>::launch(ctx.run.stream, numOut, nb, grad.data<T>(),
                                                      static_cast<const Acc*>(partial.template as<Acc>()), nb,
                                                      req);
    }
  });
}

}  // namespace mat
}  // namespace ist
