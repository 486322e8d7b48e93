// _ravel_multi_index / _unravel_index: the shape parameter, index reading and checks (shared with
// ravel.cc) and the device-generic computes (GPU kernels and their CPU twins, attached in ravel.cu).
//
// Device path: one Map per multi-index (ravel) or flat index (unravel) converts it into int64
// scratch and flags a bad index (not finite, out of bounds); a second Map writes the scratch in
// the output dtype with the request. On a flag nothing is written: the input is copied to the
// host and checked by the CPU's own code, which throws its exact message.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "kernels/device.h"
#include "kernels/device_util.h"
#include "op/registry.h"

namespace ist {
namespace ravel {

struct RavelParam {
  Shape shape;
  static void declare(ParamDecl<RavelParam>& d) {
    d.field("shape", &RavelParam::shape)
        .setDefault(Shape{})
        .doc("Shape of the array into which the multi-indices apply; the leading dimension may be "
             "-1 (unspecified).");
  }
};

inline void checkShapeParam(const Shape& s, const char* op) {
  IST_CHECK(!s.empty(), op, "shape", "the shape parameter is empty; give the array's shape");
  for (size_t i = 0; i < s.size(); ++i)
    IST_CHECK(s[i] >= 0 || (i == 0 && s[i] == -1), op, "shape",
              "shape " << shapeString(s) << " has an invalid dim " << s[i] << " at " << i
                       << " (only the first may be -1)");
}

// Reads element i of an index blob as an integer, rejecting non-finite values.
inline std::vector<int64_t> readIndices(const TBlob& b, const char* op) {
  std::vector<int64_t> r(static_cast<size_t>(b.size()));
  IST_TYPE_SWITCH_NUMERIC(b.dtype, T, op, {
    const T* p = b.data<T>();
    for (size_t i = 0; i < r.size(); ++i) {
      const double x = static_cast<double>(static_cast<typename ComputeType<T>::type>(p[i]));
      IST_CHECK(std::isfinite(x), op, "data", "index at position " << i << " is not finite");
      r[i] = static_cast<int64_t>(x);
    }
  });
  return r;
}

// Flat indices of the n columns of idx (shape.size() rows), each coordinate checked.
inline std::vector<int64_t> ravelIndices(const Shape& shape, const std::vector<int64_t>& idx, int64_t n,
                                         const char* op) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  std::vector<int64_t> flat(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t r = 0;
    for (int64_t j = 0; j < nd; ++j) {
      const int64_t k = idx[static_cast<size_t>(j * n + i)];
      IST_CHECK(k >= 0 && (k < shape[j] || (j == 0 && shape[0] == -1)), op, "data",
                "index " << k << " (row " << j << ", column " << i << ") is out of bounds for dim "
                         << j << " of shape " << shapeString(shape));
      r = r * (j == 0 ? 1 : shape[j]) + k;
    }
    flat[static_cast<size_t>(i)] = r;
  }
  return flat;
}

// Elements of `shape` (its leading dim excluded when it is -1).
inline int64_t unravelTotal(const Shape& shape) {
  int64_t total = 1;
  for (size_t j = 1; j < shape.size(); ++j) total *= shape[j];
  if (shape[0] != -1) total *= shape[0];
  return total;
}

// Multi-indices (shape.size() rows of idx.size() columns) of the flat indices idx, each checked.
inline std::vector<int64_t> unravelIndices(const Shape& shape, const std::vector<int64_t>& idx, const char* op) {
  const int64_t nd = static_cast<int64_t>(shape.size()), n = static_cast<int64_t>(idx.size());
  const int64_t total = unravelTotal(shape);
  const bool open = shape[0] == -1;
  std::vector<int64_t> multi(static_cast<size_t>(nd * n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t v = idx[static_cast<size_t>(i)];
    IST_CHECK(v >= 0 && (open || v < total), op, "data",
              "index " << v << " at position " << i << " is out of bounds for shape " << shapeString(shape)
                       << (open ? "" : " (" + std::to_string(total) + " elements)"));
    for (int64_t j = nd - 1; j > 0; --j) {
      multi[static_cast<size_t>(j * n + i)] = shape[j] ? v % shape[j] : 0;
      v = shape[j] ? v / shape[j] : 0;
    }
    multi[static_cast<size_t>(i)] = v;
  }
  return multi;
}

// ---- device-generic computes ----

// The shape reaches device memory as kernel arguments, kDimChunk dims a launch (DeviceMem copies
// only device memory), so any number of dims works.
constexpr int kDimChunk = 16;
struct DimChunk {
  int64_t v[kDimChunk];
};
struct StoreDimsMap {
  ISTX static void Map(int64_t i, int64_t* dst, DimChunk c) { dst[i] = c.v[i]; }
};

// p[i] as readIndices reads it into *k; false when it is not finite.
template <typename T>
ISTX bool indexAt(const T* p, int64_t i, int64_t* k) {
  const double x = static_cast<double>(static_cast<typename ComputeType<T>::type>(p[i]));
  if (!(x - x == 0)) return false;
  *k = truncInt64(x);  // x86's conversion, as the CPU's static_cast gives
  return true;
}

// flat[i] = the flat index of column i of idx (nd rows of n); *bad = 1 for a bad coordinate.
struct RavelMap {
  template <typename T>
  ISTX static void Map(int64_t i, int64_t* flat, int* bad, const T* idx, const int64_t* dims, int64_t nd,
                       int64_t n) {
    uint64_t r = 0;  // unsigned, so an overflow wraps as the CPU's int64 arithmetic does
    for (int64_t j = 0; j < nd; ++j) {
      int64_t k;
      if (!indexAt(idx, j * n + i, &k) || !(k >= 0 && (k < dims[j] || (j == 0 && dims[0] == -1)))) {
        *bad = 1;
        return;
      }
      r = r * static_cast<uint64_t>(j == 0 ? 1 : dims[j]) + static_cast<uint64_t>(k);
    }
    flat[i] = static_cast<int64_t>(r);
  }
};

// multi[j * n + i] = coordinate j of flat index idx[i]; *bad = 1 when it is out of bounds.
struct UnravelMap {
  template <typename T>
  ISTX static void Map(int64_t i, int64_t* multi, int* bad, const T* idx, const int64_t* dims, int64_t nd,
                       int64_t n, int64_t total) {
    int64_t v;
    if (!indexAt(idx, i, &v) || !(v >= 0 && (dims[0] == -1 || v < total))) {
      *bad = 1;
      return;
    }
    for (int64_t j = nd - 1; j > 0; --j) {
      multi[j * n + i] = dims[j] ? v % dims[j] : 0;
      v = dims[j] ? v / dims[j] : 0;
    }
    multi[i] = v;
  }
};

// out[i] = (or +=) v[i] in out's dtype, as ravel.cc's writeIndices.
struct WriteIndicesMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const int64_t* v, bool add) {
    using C = typename ComputeType<T>::type;
    const T x = T(static_cast<C>(v[i]));
    out[i] = add ? T(C(out[i]) + C(x)) : x;
  }
};

// Device scratch: the shape's dims, `count` int64 results and the bad-index flag.
template <typename Dev>
struct RavelScratch {
  int64_t nd, count;
  TempSpace<Dev> mem;
  RavelScratch(void* s, const Shape& shape, int64_t count_)
      : nd(static_cast<int64_t>(shape.size())),
        count(count_),
        mem(s, static_cast<size_t>(nd + count + 1) * sizeof(int64_t)) {
    for (size_t b = 0; b < shape.size(); b += kDimChunk) {
      DimChunk c{};
      const size_t m = std::min<size_t>(kDimChunk, shape.size() - b);
      for (size_t j = 0; j < m; ++j) c.v[j] = shape[b + j];
      DeviceKernel<StoreDimsMap, Dev>::launch(s, static_cast<int64_t>(m), 1, dims() + b, c);
    }
    DeviceMem<Dev>::zero(s, bad(), sizeof(int));
  }
  int64_t* dims() const { return mem.template as<int64_t>(); }
  int64_t* values() const { return dims() + nd; }
  int* bad() const { return reinterpret_cast<int*>(values() + count); }
};

// Throws the CPU's error when the flag is set: `check` re-runs the CPU's checks on a host copy of in.
template <typename Dev, typename Check>
void throwIfBad(void* s, const int* badFlag, const TBlob& in, const char* op, Check&& check) {
  int bad = 0;
  DeviceMem<Dev>::toHost(s, &bad, badFlag, sizeof(int));
  if (!bad) return;
  std::vector<char> host(static_cast<size_t>(in.size()) * dtypeSize(in.dtype));
  DeviceMem<Dev>::toHost(s, host.data(), in.dptr, host.size());
  TBlob h = in;
  h.dptr = host.data();
  check(h);
  IST_CHECK(false, op, "data", "an index is out of bounds");
}

template <typename Dev>
void writeIndicesDev(void* s, const int64_t* v, const TBlob& out, OpReq req, const char* op) {
  IST_TYPE_SWITCH_NUMERIC(out.dtype, T, op, {
    DeviceKernel<WriteIndicesMap, Dev>::launch(s, out.size(), 1, out.data<T>(), v, req == OpReq::kAddTo);
  });
}

template <typename Dev>
void ravelComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "ravel_multi_index";
  if (req[0] == OpReq::kNull) return;
  const Shape& shape = attrs.get<RavelParam>().shape;
  const int64_t nd = static_cast<int64_t>(shape.size()), n = out[0].size();
  void* s = ctx.run.stream;
  RavelScratch<Dev> w(s, shape, n);
  IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, op, {
    DeviceKernel<RavelMap, Dev>::launch(s, n, 2 * nd, w.values(), w.bad(), in[0].data<T>(),
                                        static_cast<const int64_t*>(w.dims()), nd, n);
  });
  throwIfBad<Dev>(s, w.bad(), in[0], op, [&](const TBlob& h) { ravelIndices(shape, readIndices(h, op), n, op); });
  writeIndicesDev<Dev>(s, w.values(), out[0], req[0], op);
}

template <typename Dev>
void unravelComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "unravel_index";
  if (req[0] == OpReq::kNull) return;
  const Shape& shape = attrs.get<RavelParam>().shape;
  const int64_t nd = static_cast<int64_t>(shape.size()), n = in[0].size();
  void* s = ctx.run.stream;
  RavelScratch<Dev> w(s, shape, nd * n);
  IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, op, {
    DeviceKernel<UnravelMap, Dev>::launch(s, n, 2 * nd, w.values(), w.bad(), in[0].data<T>(),
                                          static_cast<const int64_t*>(w.dims()), nd, n, unravelTotal(shape));
  });
  throwIfBad<Dev>(s, w.bad(), in[0], op, [&](const TBlob& h) { unravelIndices(shape, readIndices(h, op), op); });
  writeIndicesDev<Dev>(s, w.values(), out[0], req[0], op);
}

}  // namespace ravel
}  // namespace ist
