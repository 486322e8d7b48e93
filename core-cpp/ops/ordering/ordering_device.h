// The device-generic computes of sort, argsort, topk, _take_along_axis and
// _backward_take_along_axis, attached in ordering.cu for GPUs and as their CPU twins.
//
// Sorting: every row of the OrderPlan is copied into scratch as (key, position) items, padded to
// the next power of two with items that sort last, and ordered by a bitonic sorting network under
// the shared total order (ordering_compare.h); each compare-exchange pass is one DeviceKernel
// launch over the item pairs of all rows. The order being total, the network's result is exactly
// the stable order the CPU kernel gives, with no data-dependent control flow. Gather kernels then
// write the first k items of each row as values, indices (one instance per index dtype) and mask.
#pragma once
#include <cstdint>
#include <sstream>
#include <vector>
#include "base/error.h"
#include "ops/indexing/index_scratch_device.h"
#include "ops/nn/dense_device_util.h"
#include "ops/ordering/ordering_compare.h"
#include "ops/ordering/ordering_kernel.h"
#include "ops/ordering/ordering_params.h"

namespace ist {
namespace ordering {
namespace dev {

using dnd::CT;

// Strict order of two items of one row; positions >= n are the padding, after every real item.
template <typename C, typename P>
ISTX bool itemBefore(C ak, P ap, C bk, P bp, P n, bool ascend) {
  const bool aPad = ap >= n, bPad = bp >= n;
  if (aPad || bPad) return aPad == bPad ? ap < bp : bPad;
  return ascend ? orderBefore<true, C, P>(ak, ap, bk, bp) : orderBefore<false, C, P>(ak, ap, bk, bp);
}

// Item t = r * len + j: element j of row r (row r = o * inner + i is strided by inner along the
// axis), or padding for j >= n.
struct LoadItemsMap {
  template <typename T, typename C, typename P>
  ISTX static void Map(int64_t t, C* keys, P* pos, const T* x, int64_t len, int64_t n, int64_t inner) {
    const int64_t r = t / len, j = t - r * len;
    const int64_t o = r / inner, i = r - o * inner;
    keys[t] = j < n ? static_cast<C>(x[(o * n + j) * inner + i]) : C(0);
    pos[t] = static_cast<P>(j);
  }
};

// One compare-exchange pass of the bitonic network: pair t joins items lo and lo + stride of its
// row. Within each block of `block` items the pair is put in order forwards when lo's block bit
// is clear and backwards otherwise, which merges bitonic runs; the passes with block == len sort
// each whole row forwards.
struct BitonicStepMap {
  template <typename C, typename P>
  ISTX static void Map(int64_t t, C* keys, P* pos, int64_t len, int64_t block, int64_t stride, P n,
                       bool ascend) {
    const int64_t half = len / 2;
    const int64_t r = t / half, p = t - r * half;
    const int64_t lo = ((p & ~(stride - 1)) << 1) | (p & (stride - 1));  // stride is a power of two
    const int64_t a = r * len + lo, b = a + stride;
    const bool forward = (lo & block) == 0;
    // Items are distinct under the total order, so "b before a" decides both directions.
    if (itemBefore<C, P>(keys[b], pos[b], keys[a], pos[a], n, ascend) == forward) {
      const C k = keys[a];
      keys[a] = keys[b];
      keys[b] = k;
      const P q = pos[a];
      pos[a] = pos[b];
      pos[b] = q;
    }
  }
};

// Output element t = (r, j < k) lives at (o, j, i) of the ordered shape.
ISTX int64_t orderedAt(int64_t t, int64_t k, int64_t inner, int64_t* r, int64_t* j) {
  *r = t / k;
  *j = t - *r * k;
  const int64_t o = *r / inner, i = *r - o * inner;
  return (o * k + *j) * inner + i;
}

struct WriteValuesMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t t, T* vals, const C* keys, int64_t len, int64_t k, int64_t inner, bool add) {
    int64_t r, j;
    const int64_t at = orderedAt(t, k, inner, &r, &j);
    vals[at] = assignOrAdd<T, C>(vals[at], keys[r * len + j], add);
  }
};

struct WriteIndicesMap {
  template <typename I, typename P>
  ISTX static void Map(int64_t t, I* idx, const P* pos, int64_t len, int64_t k, int64_t inner, bool add) {
    int64_t r, j;
    const int64_t at = orderedAt(t, k, inner, &r, &j);
    idx[at] = assignOrAdd<I, CT<I>>(idx[at], static_cast<CT<I>>(static_cast<int64_t>(pos[r * len + j])), add);
  }
};

// The selected element's own place in the input's shape gets a 1; places differ within a row, so
// concurrent items never write the same element.
struct WriteMaskMap {
  template <typename T, typename P>
  ISTX static void Map(int64_t t, T* mask, const P* pos, int64_t len, int64_t n, int64_t k, int64_t inner,
                       bool add) {
    const int64_t r = t / k, j = t - r * k;
    const int64_t o = r / inner, i = r - o * inner;
    const int64_t m = (o * n + static_cast<int64_t>(pos[r * len + j])) * inner + i;
    mask[m] = assignOrAdd<T, CT<T>>(mask[m], CT<T>(1), add);
  }
};

template <typename Dev, typename T, typename P>
void orderRowsDev(void* s, const TBlob& x, const OrderPlan& plan, bool ascend, const OrderOutputs& out,
                  const char* op) {
  using C = CT<T>;
  const int64_t n = plan.n, k = plan.k, inner = plan.inner, rows = plan.outer * plan.inner;
  const bool addM = out.maskReq == OpReq::kAddTo;
  // All-zero bits are 0 in every numeric dtype (half and bfloat16 included).
  if (out.mask && !addM) DeviceMem<Dev>::zero(s, out.mask->dptr, static_cast<size_t>(x.size()) * sizeof(T));
  if (rows == 0 || k == 0) return;
  int64_t len = 1;
  while (len < n) len *= 2;
  const int64_t items = rows * len;
  const size_t keyBytes = (static_cast<size_t>(items) * sizeof(C) + 15) / 16 * 16;
  TempSpace<Dev> mem(s, keyBytes + static_cast<size_t>(items) * sizeof(P));
  C* keys = mem.template as<C>();
  P* pos = reinterpret_cast<P*>(mem.template as<unsigned char>() + keyBytes);
  DeviceKernel<LoadItemsMap, Dev>::launch(s, items, 2, keys, pos, x.data<T>(), len, n, inner);
  for (int64_t block = 2; block <= len; block *= 2)
    for (int64_t stride = block / 2; stride >= 1; stride /= 2)
      DeviceKernel<BitonicStepMap, Dev>::launch(s, items / 2, 8, keys, pos, len, block, stride, static_cast<P>(n),
                                                ascend);
  const int64_t kept = rows * k;
  if (out.values)
    DeviceKernel<WriteValuesMap, Dev>::launch(s, kept, 2, out.values->data<T>(), static_cast<const C*>(keys), len, k,
                                              inner, out.valuesReq == OpReq::kAddTo);
  if (out.indices)
    IST_TYPE_SWITCH_NUMERIC(out.indices->dtype, I, op, {
      DeviceKernel<WriteIndicesMap, Dev>::launch(s, kept, 2, out.indices->data<I>(), static_cast<const P*>(pos), len,
                                                 k, inner, out.indicesReq == OpReq::kAddTo);
    });
  if (out.mask)
    DeviceKernel<WriteMaskMap, Dev>::launch(s, kept, 2, out.mask->data<T>(), static_cast<const P*>(pos), len, n, k,
                                            inner, addM);
}

// runOrdering of ordering_kernel.h on device memory.
template <typename Dev>
void runOrderingDev(const OpContext& ctx, const TBlob& x, const OrderPlan& plan, bool ascend,
                    const OrderOutputs& given, const char* op) {
  OrderOutputs out = given;
  if (out.valuesReq == OpReq::kNull) out.values = nullptr;
  if (out.indicesReq == OpReq::kNull) out.indices = nullptr;
  if (out.maskReq == OpReq::kNull) out.mask = nullptr;
  if (!out.values && !out.indices && !out.mask) return;
  IST_TYPE_SWITCH_NUMERIC(x.dtype, T, op, {
    // 32-bit positions whenever the padded row's positions fit: a row of n <= 2^31 pads to at
    // most 2^31 items (the CPU kernel, which does not pad, can go up to 2^32 - 1).
    if (plan.n <= (int64_t{1} << 31)) orderRowsDev<Dev, T, uint32_t>(ctx.run.stream, x, plan, ascend, out, op);
    else orderRowsDev<Dev, T, int64_t>(ctx.run.stream, x, plan, ascend, out, op);
  });
}

template <typename Dev>
void sortDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
             const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<SortParam>();
  OrderOutputs o;
  o.values = &out[0];
  o.valuesReq = req[0];
  runOrderingDev<Dev>(ctx, in[0], makePlan(in[0].shape, p.axis, 0, "sort"), p.is_ascend, o, "sort");
}

template <typename Dev>
void argsortDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<ArgSortParam>();
  OrderOutputs o;
  o.indices = &out[0];
  o.indicesReq = req[0];
  runOrderingDev<Dev>(ctx, in[0], makePlan(in[0].shape, p.axis, 0, "argsort"), p.is_ascend, o, "argsort");
}

template <typename Dev>
void topkDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
             const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<TopKParam>();
  const OrderPlan plan = makePlan(in[0].shape, p.axis, p.k, "topk");
  const OrderOutputs o = topkOutputs(p, req, out);
  runOrderingDev<Dev>(ctx, in[0], plan, p.is_ascend, o, "topk");
}

// --- _take_along_axis and _backward_take_along_axis ---

// k[t] = index t resolved into [0, n) (negative counts from the end); ones outside [-n, n), NaN
// and infinities included, are flagged in bad[t] and counted in errors[0].
struct AlongResolveMap {
  ISTX static void Map(int64_t t, int64_t* k, int8_t* bad, double* errors, const double* idx, int64_t n) {
    const double x = idx[t], dn = static_cast<double>(n);
    if (!(x >= -dn && x < dn)) {
      bad[t] = 1;
      k[t] = 0;
      deviceAtomicAdd(errors, 1.0);
      return;
    }
    bad[t] = 0;
    const int64_t v = static_cast<int64_t>(x);
    k[t] = v < 0 ? v + n : v;
  }
};

// The resolved indices on the device; the first bad one in index order raises the CPU kernel's error.
template <typename Dev>
const int64_t* resolveAlongDev(const OpContext& ctx, IndexScratch<Dev>& r, const TBlob& idx, int64_t n,
                               const char* op) {
  void* s = ctx.run.stream;
  const int64_t m = idx.size();
  if (m == 0) return r.k();
  dnd::readDoubles<Dev>(ctx, idx, r.idx(), op);
  DeviceMem<Dev>::zero(s, r.errors(), sizeof(double));
  DeviceKernel<AlongResolveMap, Dev>::launch(s, m, 4, r.k(), r.bad(), r.errors(), static_cast<const double*>(r.idx()), n);
  double errors = 0;
  DeviceMem<Dev>::toHost(s, &errors, r.errors(), sizeof(double));
  if (errors == 0) return r.k();
  std::vector<int8_t> bad(static_cast<size_t>(m));
  DeviceMem<Dev>::toHost(s, bad.data(), r.bad(), static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) {
    if (!bad[static_cast<size_t>(i)]) continue;
    double x = 0;
    DeviceMem<Dev>::toHost(s, &x, r.idx() + i, sizeof(double));
    std::ostringstream msg;
    msg << "index " << x << " at position " << i << " is out of bounds for an axis of size " << n;
    throwError(op, "indices", msg.str());
  }
  return r.k();
}

struct TakeAlongMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* y, const T* x, const int64_t* k, AlongGeometry g, bool add) {
    using C = CT<T>;
    const int64_t o = t / (g.m * g.inner), i = t % g.inner;
    const T v = x[(o * g.n + k[t]) * g.inner + i];
    y[t] = add ? T(C(y[t]) + C(v)) : v;
  }
};

// One (outer, inner) column per call: repeated indices add up in index order, as on the CPU, so
// the sums are deterministic and equal to its bits.
struct ScatterAlongMap {
  template <typename T>
  ISTX static void Map(int64_t c, T* dx, const T* og, const int64_t* k, AlongGeometry g) {
    using C = CT<T>;
    const int64_t o = c / g.inner, i = c % g.inner;
    for (int64_t j = 0; j < g.m; ++j) {
      const int64_t t = (o * g.m + j) * g.inner + i;
      T& d = dx[(o * g.n + k[t]) * g.inner + i];
      d = T(C(d) + C(og[t]));
    }
  }
};

template <typename Dev>
void takeAlongDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const char* op = "_take_along_axis";
  const AlongGeometry g = alongGeometry(in[0].shape, in[1].shape, attrs.get<AlongAxisParam>(), op);
  void* s = ctx.run.stream;
  IndexScratch<Dev> r(s, in[1].size());
  const int64_t* k = resolveAlongDev<Dev>(ctx, r, in[1], g.n, op);
  IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, op, {
    DeviceKernel<TakeAlongMap, Dev>::launch(s, out[0].size(), 2, out[0].data<T>(), in[0].data<T>(), k, g,
                                            req[0] == OpReq::kAddTo);
  });
}

// (out_grad, indices, data) -> data's shape.
template <typename Dev>
void takeAlongBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  if (req[0] != OpReq::kAddTo) dnd::zeroBlob<Dev>(ctx, out[0]);
  if (in[0].size() == 0) return;
  const char* op = "_backward_take_along_axis";
  const AlongGeometry g = alongGeometry(in[2].shape, in[1].shape, attrs.get<AlongAxisParam>(), op);
  void* s = ctx.run.stream;
  IndexScratch<Dev> r(s, in[1].size());
  const int64_t* k = resolveAlongDev<Dev>(ctx, r, in[1], g.n, op);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, op, {
    DeviceKernel<ScatterAlongMap, Dev>::launch(s, g.outer * g.inner, g.m, out[0].data<T>(), in[0].data<T>(), k, g);
  });
}

}  // namespace dev
}  // namespace ordering
}  // namespace ist
