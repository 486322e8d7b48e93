// Row sorting for sort/argsort/topk on the CPU (GPUs and their CPU twins: ordering_device.h).
// The comparison is a total order (NaN largest, equal keys by position), so std::sort and
// std::partial_sort both give exactly the stable order NumPy's kind='stable' gives, and every
// backend and thread count agrees.
#include "ops/ordering/ordering_kernel.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>
#include "engine/parallel_for.h"
#include "ops/ordering/ordering_compare.h"

namespace ist {
namespace ordering {
namespace {

// A key with its position along the row; P is uint32_t whenever rows are short enough, which
// halves the bytes the sort moves.
template <typename C, typename P> struct Item {
  C key;
  P pos;
};

// Strict "a comes first", by the shared total order (ordering_compare.h).
template <bool kAscend, typename C, typename P> struct Before {
  bool operator()(const Item<C, P>& a, const Item<C, P>& b) const {
    return orderBefore<kAscend, C, P>(a.key, a.pos, b.key, b.pos);
  }
};

// Index outputs may have any numeric dtype; one writer per dtype, picked once per call, keeps
// the kernel's instances to one per input dtype.
using PutIndex = void (*)(void* base, int64_t at, int64_t index, bool add);
template <typename I> void putIndex(void* base, int64_t at, int64_t index, bool add) {
  using C = typename ComputeType<I>::type;
  I* p = static_cast<I*>(base) + at;
  *p = assignOrAdd<I, C>(*p, static_cast<C>(index), add);
}

template <typename T, bool kAscend, typename P>
void orderTyped(const TBlob& x, const OrderPlan& plan, const OrderOutputs& out, PutIndex put) {
  using C = typename ComputeType<T>::type;
  using It = Item<C, P>;
  const T* src = x.data<T>();
  const int64_t n = plan.n, k = plan.k, inner = plan.inner, rows = plan.outer * plan.inner;
  T* vals = out.values ? out.values->data<T>() : nullptr;
  void* idx = out.indices ? out.indices->dptr : nullptr;
  T* mask = out.mask ? out.mask->data<T>() : nullptr;
  const bool addV = out.valuesReq == OpReq::kAddTo, addI = out.indicesReq == OpReq::kAddTo,
             addM = out.maskReq == OpReq::kAddTo;
  // All-zero bits are 0 in every numeric dtype (half and bfloat16 included).
  if (mask && !addM) std::memset(static_cast<void*>(mask), 0, static_cast<size_t>(x.size()) * sizeof(T));
  if (rows == 0 || k == 0) return;
  // A partial sort only pays off when few elements are kept (MXNet's CPU rule).
  const bool fullSort = k * 8 > n;
  const int64_t cost = n * (2 + static_cast<int64_t>(std::log2(static_cast<double>(n) + 1.0)));
  parallelFor(rows, cost, [&](int64_t r0, int64_t r1) {
    std::vector<It> items(static_cast<size_t>(n));
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t o = r / inner, i = r % inner;
      const T* row = src + o * n * inner + i;
      for (int64_t j = 0; j < n; ++j) items[j] = It{static_cast<C>(row[j * inner]), static_cast<P>(j)};
      if (fullSort) std::sort(items.begin(), items.end(), Before<kAscend, C, P>());
      else std::partial_sort(items.begin(), items.begin() + k, items.end(), Before<kAscend, C, P>());
      const int64_t base = o * k * inner + i;
      for (int64_t j = 0; j < k; ++j) {
        const It& it = items[j];
        const int64_t at = base + j * inner;
        if (vals) vals[at] = assignOrAdd<T, C>(vals[at], it.key, addV);
        if (idx) put(idx, at, static_cast<int64_t>(it.pos), addI);
        if (mask) {
          const int64_t m = (o * n + static_cast<int64_t>(it.pos)) * inner + i;
          mask[m] = assignOrAdd<T, C>(mask[m], C(1), addM);
        }
      }
    }
  });
}

template <typename T, bool kAscend>
void orderRows(const TBlob& x, const OrderPlan& plan, const OrderOutputs& out, PutIndex put) {
  if (plan.n <= static_cast<int64_t>(UINT32_MAX)) orderTyped<T, kAscend, uint32_t>(x, plan, out, put);
  else orderTyped<T, kAscend, int64_t>(x, plan, out, put);
}

}  // namespace

void runOrdering(const TBlob& x, const OrderPlan& plan, bool ascend, const OrderOutputs& given,
                 const char* op) {
  OrderOutputs out = given;
  if (out.valuesReq == OpReq::kNull) out.values = nullptr;
  if (out.indicesReq == OpReq::kNull) out.indices = nullptr;
  if (out.maskReq == OpReq::kNull) out.mask = nullptr;
  if (!out.values && !out.indices && !out.mask) return;
  PutIndex put = nullptr;
  if (out.indices) IST_TYPE_SWITCH_NUMERIC(out.indices->dtype, I, op, put = &putIndex<I>);
  IST_TYPE_SWITCH_NUMERIC(x.dtype, T, op, {
    if (ascend) orderRows<T, true>(x, plan, out, put);
    else orderRows<T, false>(x, plan, out, put);
  });
}

}  // namespace ordering
}  // namespace ist
