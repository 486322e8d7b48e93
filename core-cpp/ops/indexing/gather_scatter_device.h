// gather_nd, scatter_nd, _scatter_set_nd, _backward_gather_nd: geometry, index checks and params
// (shared with gather_scatter.cc) and the device-generic computes (GPU kernels and their CPU twins,
// attached in gather_scatter.cu).
//
// Device path: one Map per index column computes its slice offset and flags a bad index; on a flag
// the indices are copied to the host and checked there by sliceOffsets, which throws the CPU's
// message. Scatters keep the CPU's "last duplicate wins": each addressed slice records the largest
// column that writes it (an atomic max), and only that column writes. _backward_gather_nd adds in
// the CPU's order without float atomics: see gatherBackwardComputeDev.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include "base/error.h"
#include "kernels/device.h"
#include "op/registry.h"
#include "ops/indexing/sorted_runs_device.h"

namespace ist {
namespace gsnd {

// The addressed array (data for gathers, the output for scatters) and the indices, split into
// N columns of M coordinates, each selecting K contiguous elements.
struct NdGeometry {
  int64_t M = 0, N = 1, K = 1;
  Shape sliceShape;  // shape of the addressed array minus its first M dims
};

// Checks indices against the addressed shape and returns the geometry and the value shape
// (Y..., addressed[M:]) that a gather produces / a scatter consumes.
inline NdGeometry ndGeometry(const Shape& addressed, const Shape& indices, const char* op, Shape* values) {
  IST_CHECK(!indices.empty(), op, "indices",
            "indices must have at least 1 dim (M, ...), got shape () for data shape "
                << shapeString(addressed));
  NdGeometry g;
  g.M = indices[0];
  IST_CHECK(g.M <= static_cast<int64_t>(addressed.size()), op, "indices",
            "indices of shape " << shapeString(indices) << " address " << g.M << " dims but the "
                                << (std::string(op) == "gather_nd" ? "data" : "output") << " shape "
                                << shapeString(addressed) << " has only " << addressed.size());
  for (size_t i = 1; i < indices.size(); ++i) g.N *= indices[i];
  g.sliceShape.assign(addressed.begin() + g.M, addressed.end());
  g.K = shapeSize(g.sliceShape);
  if (values) {
    values->assign(indices.begin() + 1, indices.end());
    values->insert(values->end(), g.sliceShape.begin(), g.sliceShape.end());
  }
  return g;
}

// Element offsets (in the addressed array) of the N selected slices.
inline std::vector<int64_t> sliceOffsets(const TBlob& idx, const Shape& addressed, const NdGeometry& g,
                                  const char* op) {
  const std::vector<int64_t> st = shapeStrides(addressed);
  std::vector<int64_t> off(static_cast<size_t>(g.N), 0);
  IST_TYPE_SWITCH_NUMERIC(idx.dtype, T, op, {
    using C = typename ComputeType<T>::type;
    const T* p = idx.data<T>();
    for (int64_t j = 0; j < g.M; ++j) {
      const int64_t dim = addressed[j];
      for (int64_t i = 0; i < g.N; ++i) {
        const double x = static_cast<double>(static_cast<C>(p[j * g.N + i]));
        IST_CHECK(std::isfinite(x), op, "indices",
                  "indices[" << j << ", " << i << "] is not finite");
        int64_t k = static_cast<int64_t>(x);
        IST_CHECK(k >= -dim && k < dim, op, "indices",
                  "index " << k << " at indices[" << j << ", " << i << "] is out of bounds for dim "
                           << j << " of size " << dim << " (shape " << shapeString(addressed) << ")");
        if (k < 0) k += dim;
        off[static_cast<size_t>(i)] += k * st[j];
      }
    }
  });
  return off;
}

struct ScatterNDParam {
  Shape shape;
  static void declare(ParamDecl<ScatterNDParam>& d) {
    d.field("shape", &ScatterNDParam::shape).doc("Shape of output.");
  }
};

constexpr int kMaxIndexDims = 32;

struct OffsetGeom {
  int64_t M = 0, N = 0;
  int64_t dims[kMaxIndexDims];
  int64_t strides[kMaxIndexDims];
};

// off[i] = element offset of column i's slice; *bad = 1 when an index is not finite or out of range.
struct NdOffsetKernel {
  template <typename T>
  ISTX static void Map(int64_t i, int64_t* off, int* bad, const T* p, OffsetGeom g) {
    using C = typename ComputeType<T>::type;
    int64_t o = 0;
    for (int64_t j = 0; j < g.M; ++j) {
      const int64_t dim = g.dims[j];
      const double x = static_cast<double>(static_cast<C>(p[j * g.N + i]));
      if (!(x == x) || x > 1.7976931348623157e308 || x < -1.7976931348623157e308 ||
          !(x >= -9.2e18 && x <= 9.2e18)) {
        *bad = 1;
        continue;
      }
      int64_t k = static_cast<int64_t>(x);
      if (!(k >= -dim && k < dim)) {
        *bad = 1;
        continue;
      }
      if (k < 0) k += dim;
      o += k * g.strides[j];
    }
    off[i] = o;
  }
};

// Slice offsets on the device (g.N of them into `off`); throws sliceOffsets' error for a bad index.
template <typename Dev>
void sliceOffsetsDev(const OpContext& ctx, const TBlob& idx, const Shape& addressed, const NdGeometry& g,
                     int64_t* off, const char* op) {
  IST_CHECK(g.M <= kMaxIndexDims, op, "indices", "indices address too many dims for the device kernel");
  OffsetGeom og;
  og.M = g.M;
  og.N = g.N;
  const std::vector<int64_t> st = shapeStrides(addressed);
  for (int j = 0; j < kMaxIndexDims; ++j) {
    og.dims[j] = j < g.M ? addressed[j] : 0;
    og.strides[j] = j < g.M ? st[j] : 0;
  }
  TempSpace<Dev> flag(ctx.run.stream, sizeof(int));
  DeviceMem<Dev>::zero(ctx.run.stream, flag.get(), sizeof(int));
  IST_TYPE_SWITCH_NUMERIC(idx.dtype, T, op, {
    DeviceKernel<NdOffsetKernel, Dev>::launch(ctx.run.stream, g.N, g.M + 1, off, flag.template as<int>(),
                                              idx.data<T>(), og);
  });
  int bad = 0;
  DeviceMem<Dev>::toHost(ctx.run.stream, &bad, flag.get(), sizeof(int));
  if (!bad) return;
  // Re-check on the host for the CPU's exact message.
  std::vector<char> host(static_cast<size_t>(idx.size()) * dtypeSize(idx.dtype));
  DeviceMem<Dev>::toHost(ctx.run.stream, host.data(), idx.dptr, host.size());
  TBlob h = idx;
  h.dptr = host.data();
  sliceOffsets(h, addressed, g, op);
  IST_CHECK(false, op, "indices", "an index is out of bounds");
}

template <typename T> ISTX void assignOrAdd(T& d, T v, bool add) {
  using C = typename ComputeType<T>::type;
  d = add ? T(C(d) + C(v)) : v;
}

// out[i * K + c] = (or +=) data[off[i] + c].
struct GatherNdKernel {
  template <typename T>
  ISTX static void Map(int64_t t, T* out, const T* data, const int64_t* off, int64_t K, bool add) {
    const int64_t i = t / K, c = t - i * K;
    assignOrAdd(out[t], data[off[i] + c], add);
  }
};

ISTX void atomicMaxU64(unsigned long long* p, unsigned long long v) {
#if defined(__CUDA_ARCH__)
  atomicMax(p, v);
#else
  unsigned long long old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (old < v && !__atomic_compare_exchange_n(p, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
#endif
}

// winner[off[i] / K] = max over the columns i addressing that slice of i + 1.
struct ScatterWinnerKernel {
  ISTX static void Map(int64_t i, unsigned long long* winner, const int64_t* off, int64_t K) {
    atomicMaxU64(winner + off[i] / K, static_cast<unsigned long long>(i + 1));
  }
};

// out[off[i] + c] = values[i * K + c] for the winning column of each slice.
struct ScatterSetKernel {
  template <typename T>
  ISTX static void Map(int64_t t, T* out, const T* values, const int64_t* off,
                       const unsigned long long* winner, int64_t K) {
    const int64_t i = t / K, c = t - i * K;
    if (winner[off[i] / K] != static_cast<unsigned long long>(i + 1)) return;
    out[off[i] + c] = values[t];
  }
};

struct AddIntoKernel {
  template <typename T>
  ISTX static void Map(int64_t i, T* o, const T* s) {
    using C = typename ComputeType<T>::type;
    o[i] = T(C(o[i]) + C(s[i]));
  }
};

template <typename Dev>
void gatherComputeDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const NdGeometry g = ndGeometry(in[0].shape, in[1].shape, "gather_nd", nullptr);
  TempSpace<Dev> offs(ctx.run.stream, static_cast<size_t>(g.N) * sizeof(int64_t));
  int64_t* off = offs.template as<int64_t>();
  sliceOffsetsDev<Dev>(ctx, in[1], in[0].shape, g, off, "gather_nd");
  IST_TYPE_SWITCH_ALL(in[0].dtype, T, "gather_nd", {
    DeviceKernel<GatherNdKernel, Dev>::launch(ctx.run.stream, g.N * g.K, 1, out[0].data<T>(), in[0].data<T>(),
                                              static_cast<const int64_t*>(off), g.K,
                                              req[0] == OpReq::kAddTo);
  });
}

// scatter_nd (data, indices) and _scatter_set_nd (lhs, rhs, indices): the values and indices
// inputs (shared with gather_scatter.cc).
struct ScatterInputs {
  bool setOp;
  const char* op;
  const TBlob& values;
  const TBlob& idx;
};
inline ScatterInputs scatterInputs(const NodeAttrs& attrs, const std::vector<TBlob>& in) {
  const bool setOp = attrs.op->name == "_scatter_set_nd";
  return {setOp, setOp ? "_scatter_set_nd" : "scatter_nd", setOp ? in[1] : in[0], setOp ? in[2] : in[1]};
}

template <typename Dev>
void scatterComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const ScatterInputs si = scatterInputs(attrs, in);
  const bool setOp = si.setOp;
  const char* op = si.op;
  const TBlob &values = si.values, &idx = si.idx;
  void* stream = ctx.run.stream;
  const size_t bytes = static_cast<size_t>(out[0].size()) * dtypeSize(out[0].dtype);
  TempSpace<Dev> tmp(stream, req[0] == OpReq::kAddTo ? bytes : 0);
  TBlob dst = out[0];
  if (req[0] == OpReq::kAddTo) dst.dptr = tmp.get();
  if (setOp) DeviceMem<Dev>::copy(stream, dst.dptr, in[0].dptr, bytes);
  else DeviceMem<Dev>::zero(stream, dst.dptr, bytes);
  const NdGeometry g = ndGeometry(dst.shape, idx.shape, op, nullptr);
  if (g.N * g.K > 0) {
    TempSpace<Dev> offs(stream, static_cast<size_t>(g.N) * sizeof(int64_t));
    int64_t* off = offs.template as<int64_t>();
    sliceOffsetsDev<Dev>(ctx, idx, dst.shape, g, off, op);
    const int64_t slices = dst.size() / g.K;
    TempSpace<Dev> win(stream, static_cast<size_t>(slices) * sizeof(unsigned long long));
    unsigned long long* winner = win.template as<unsigned long long>();
    DeviceMem<Dev>::zero(stream, winner, static_cast<size_t>(slices) * sizeof(unsigned long long));
    DeviceKernel<ScatterWinnerKernel, Dev>::launch(stream, g.N, 1, winner, static_cast<const int64_t*>(off), g.K);
    IST_TYPE_SWITCH_ALL(dst.dtype, T, op, {
      DeviceKernel<ScatterSetKernel, Dev>::launch(stream, g.N * g.K, 1, dst.data<T>(), values.data<T>(),
                                                  static_cast<const int64_t*>(off),
                                                  static_cast<const unsigned long long*>(winner), g.K);
    });
  }
  if (req[0] == OpReq::kAddTo) {
    IST_TYPE_SWITCH_NUMERIC(dst.dtype, T, op, {
      DeviceKernel<AddIntoKernel, Dev>::launch(stream, out[0].size(), 1, out[0].data<T>(),
                                               static_cast<const T*>(dst.dptr));
    });
  }
}

// ---- _backward_gather_nd: (out_grad, indices, data) -> data's shape, slices added ----
//
// The CPU adds the out_grad slices one column after another, so a slice indexed several times
// sums its gradients in column order; SortedRuns (sorted_runs_device.h) groups the columns by
// slice offset, in column order, and one Map per destination element adds its run.

// Element c of the run of equal offsets starting at sorted position p: out[keys[p] + c] += the
// run's og[cols[q] * K + c] in order, rounding each addition to T as the CPU does.
struct NdScatterAddRunsMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* out, const T* og, const int64_t* keys, const int64_t* cols, int64_t n,
                       int64_t K) {
    const int64_t p = t / K, c = t - p * K;
    if (!runStarts(keys, p)) return;
    using C = typename ComputeType<T>::type;
    T* dst = out + keys[p] + c;
    T acc = *dst;
    for (int64_t q = p; q < n && keys[q] == keys[p]; ++q) acc = T(C(acc) + C(og[cols[q] * K + c]));
    *dst = acc;
  }
};

template <typename Dev>
void gatherBackwardComputeDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                              const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  void* s = ctx.run.stream;
  if (req[0] != OpReq::kAddTo)
    DeviceMem<Dev>::zero(s, out[0].dptr, static_cast<size_t>(out[0].size()) * dtypeSize(out[0].dtype));
  if (in[0].size() == 0) return;
  const NdGeometry g = ndGeometry(in[2].shape, in[1].shape, "_backward_gather_nd", nullptr);
  TempSpace<Dev> offsets(s, static_cast<size_t>(g.N) * sizeof(int64_t));
  int64_t* off = offsets.template as<int64_t>();
  sliceOffsetsDev<Dev>(ctx, in[1], in[2].shape, g, off, "gather_nd");
  const SortedRuns<Dev> runs(s, off, g.N);
  const int64_t* keys = runs.keys();
  const int64_t* cols = runs.sources();
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_backward_gather_nd", {
    DeviceKernel<NdScatterAddRunsMap, Dev>::launch(s, g.N * g.K, 2, out[0].data<T>(), in[0].data<T>(),
                                                   keys, cols, g.N, g.K);
  });
}

}  // namespace gsnd
}  // namespace ist
