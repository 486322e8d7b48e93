// take: gathers slices of `a` along `axis` at `indices` (MXNet's take, modes clip/wrap/raise), and
// its gradient _backward_take, which adds each out_grad slice back onto the row it came from.
#include <cmath>
#include <algorithm>
#include <cstring>
#include <vector>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "op/registry.h"
#include "op/backward_errors.h"
#include "ops/indexing/take_device.h"

namespace ist {
namespace {

using takedev::TakeParam;

void takeShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<TakeParam>();
  if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
  const Shape& a = in[0];
  IST_CHECK(!a.empty(), "take", "a", "cannot take from a 0-d array");
  int axis = normalizeAxis(p.axis, static_cast<int>(a.size()), "take");
  IST_CHECK(a[axis] > 0 || shapeSize(in[1]) == 0, "take", "a",
            "cannot take from an empty axis " << axis << " of shape " << shapeString(a));
  Shape o(a.begin(), a.begin() + axis);
  o.insert(o.end(), in[1].begin(), in[1].end());
  o.insert(o.end(), a.begin() + axis + 1, a.end());
  out[0] = o;
}

void takeType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  if (in[0] >= 0) out[0] = in[0];
}

// Reads index i of the indices blob as an integer, whatever its dtype.
int64_t indexAt(const TBlob& idx, int64_t i) {
  int64_t v = 0;
  IST_TYPE_SWITCH_NUMERIC(idx.dtype, T, "take", {
    using C = typename ComputeType<T>::type;
    C x = static_cast<C>(idx.data<T>()[i]);
    if constexpr (std::is_floating_point_v<C>) {
      if (!std::isfinite(static_cast<double>(x)))
        throwError("take", "indices", "index at position " + std::to_string(i) + " is not finite");
    }
    v = static_cast<int64_t>(x);
  });
  return v;
}

// The row of `a` each index selects, per mode.
std::vector<int64_t> resolveRows(const TBlob& idx, int64_t n, const TakeParam& p, int axis,
                                 const Shape& shape) {
  const int64_t m = idx.size();
  std::vector<int64_t> rows(static_cast<size_t>(m));
  for (int64_t j = 0; j < m; ++j) {
    int64_t k = indexAt(idx, j);
    if (p.mode == "raise") {
      IST_CHECK(k >= -n && k < n, "take", "indices",
                "index " << k << " is out of bounds for axis " << axis << " with size " << n << " of shape "
                         << shapeString(shape));
      if (k < 0) k += n;
    } else if (p.mode == "wrap") {
      k %= n;
      if (k < 0) k += n;
    } else {
      k = k < 0 ? 0 : (k >= n ? n - 1 : k);
    }
    rows[static_cast<size_t>(j)] = k;
  }
  return rows;
}

void takeCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<TakeParam>();
  const TBlob& a = in[0];
  const TBlob& idx = in[1];
  int axis = normalizeAxis(p.axis, a.ndim(), "take");
  int64_t outer = 1, inner = 1, n = a.shape[axis];
  for (int i = 0; i < axis; ++i) outer *= a.shape[i];
  for (int i = axis + 1; i < a.ndim(); ++i) inner *= a.shape[i];
  int64_t m = idx.size();
  const std::vector<int64_t> rows = resolveRows(idx, n, p, axis, a.shape);
  size_t es = dtypeSize(a.dtype), rowBytes = static_cast<size_t>(inner) * es;
  const char* src = static_cast<const char*>(a.dptr);
  char* dst = static_cast<char*>(out[0].dptr);
  bool add = req[0] == OpReq::kAddTo;
  parallelFor(outer * m, inner, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / m, j = t % m;
      const char* s = src + (static_cast<size_t>(o * n + rows[static_cast<size_t>(j)])) * rowBytes;
      char* d = dst + static_cast<size_t>(t) * rowBytes;
      if (!add) {
        memcpy(d, s, rowBytes);
      } else {
        IST_TYPE_SWITCH_NUMERIC(a.dtype, T, "take", {
          using C = typename ComputeType<T>::type;
          T* dd = reinterpret_cast<T*>(d);
          const T* ss = reinterpret_cast<const T*>(s);
          for (int64_t q = 0; q < inner; ++q) dd[q] = T(C(dd[q]) + C(ss[q]));
        });
      }
    }
  });
}

IST_REGISTER_OP(take)
    .describe("Takes elements from an input array along the given axis (out-of-range indices per `mode`).")
    .inputs({"a", "indices"})
    .params<TakeParam>()
    .inferShape(takeShape)
    .inferType(takeType)
    .compute(Context::kCPU, takeCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{
          makeEntry("_backward_take", {og[0], n->inputs[1], n->inputs[0]}, n->attrs.dict), NodeEntry{}};
    });

// ---- _backward_take: (out_grad, indices, a) -> a's shape ----

template <typename T>
void scatterRows(const T* g, T* da, const std::vector<int64_t>& rows, int64_t outer, int64_t n,
                 int64_t inner) {
  using C = typename ComputeType<T>::type;
  const int64_t m = static_cast<int64_t>(rows.size());
  // Columns (o, c) are independent; repeated indices add into the same row, so each task owns a
  // range of columns and walks every index.
  parallelFor(outer * inner, m, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e;) {
      const int64_t o = t / inner, c0 = t % inner, c1 = std::min(inner, c0 + (e - t));
      for (int64_t j = 0; j < m; ++j) {
        const T* src = g + (o * m + j) * inner;
        T* dst = da + (o * n + rows[static_cast<size_t>(j)]) * inner;
        for (int64_t c = c0; c < c1; ++c) dst[c] = T(C(dst[c]) + C(src[c]));
      }
      t += c1 - c0;
    }
  });
}

void takeBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<TakeParam>();
  const TBlob& a = in[2];
  if (req[0] != OpReq::kAddTo)
    memset(out[0].dptr, 0, static_cast<size_t>(out[0].size()) * dtypeSize(out[0].dtype));
  const int axis = normalizeAxis(p.axis, a.ndim(), "take");
  int64_t outer = 1, inner = 1, n = a.shape[axis];
  for (int i = 0; i < axis; ++i) outer *= a.shape[i];
  for (int i = axis + 1; i < a.ndim(); ++i) inner *= a.shape[i];
  if (outer * inner * in[1].size() == 0) return;
  const std::vector<int64_t> rows = resolveRows(in[1], n, p, axis, a.shape);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_backward_take", {
    scatterRows<T>(in[0].data<T>(), out[0].data<T>(), rows, outer, n, inner);
  });
}

IST_REGISTER_OP(_backward_take)
    .describe("Gradient of take with respect to `a`: out_grad slices added onto the rows of zeros "
              "shaped like `a` that the indices selected.")
    .inputs({"out_grad", "indices", "a"})
    .params<TakeParam>()
    .inferShape(namedShape("_backward_take", [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1]) || !shapeIsKnown(in[2])) return;
      std::vector<Shape> fin{in[2], in[1]}, fout(1);
      takeShape(attrs, fin, fout);
      if (shapeIsKnown(in[0]))
        IST_CHECK(in[0] == fout[0], "_backward_take", "out_grad",
                  "out_grad has shape " << shapeString(in[0]) << " but take from "
                                        << shapeString(in[2]) << " at indices " << shapeString(in[1])
                                        << " gives " << shapeString(fout[0]));
      out[0] = in[2];
    }))
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      int t = in[0] >= 0 ? in[0] : (in[2] >= 0 ? in[2] : out[0]);
      if (t < 0) return;
      in[0] = out[0] = t;
    })
    .compute(Context::kCPU, namedCompute("_backward_take", takeBackwardCompute))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      return std::vector<NodeEntry>{makeEntry("take", {g[0], n->inputs[1]}, n->attrs.dict), NodeEntry{},
                                    NodeEntry{}};
    });

}  // namespace
}  // namespace ist
