// Gradients of sort, topk and argsort, and the pair of ops they are built from:
// _take_along_axis (data[..., indices[..., j, ...], ...] along one axis, NumPy's take_along_axis)
// and its adjoint _backward_take_along_axis (out_grad added back at those places). Sorted values
// are data taken along the axis at the sorting indices, so their gradient scatters the output
// gradient back by the same indices (argsort/topk recompute them, stably, or topk's 'both'
// output supplies them). Index outputs and argsort have a zero gradient.
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "op/registry.h"
#include "op/backward_errors.h"
#include "ops/ordering/ordering_params.h"

namespace ist {
namespace ordering {
namespace {

// Index positions resolved into [0, n): negative counts from the end, others are errors.
std::vector<int64_t> resolve(const TBlob& idx, int64_t n, const char* op) {
  std::vector<int64_t> r(static_cast<size_t>(idx.size()));
  IST_TYPE_SWITCH_NUMERIC(idx.dtype, T, op, {
    const T* p = idx.data<T>();
    for (size_t i = 0; i < r.size(); ++i) {
      const double x = static_cast<double>(static_cast<typename ComputeType<T>::type>(p[i]));
      IST_CHECK(std::isfinite(x) && x >= -static_cast<double>(n) && x < static_cast<double>(n), op,
                "indices", "index " << x << " at position " << i << " is out of bounds for an axis of size " << n);
      const int64_t k = static_cast<int64_t>(x);
      r[i] = k < 0 ? k + n : k;
    }
  });
  return r;
}

template <typename T>
void takeAlong(const T* x, T* y, const std::vector<int64_t>& k, const AlongGeometry& g, bool add) {
  using C = typename ComputeType<T>::type;
  parallelFor(g.outer * g.m * g.inner, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / (g.m * g.inner), i = t % g.inner;
      const T v = x[(o * g.n + k[static_cast<size_t>(t)]) * g.inner + i];
      y[t] = add ? T(C(y[t]) + C(v)) : v;
    }
  });
}

template <typename T>
void scatterAlong(const T* og, T* dx, const std::vector<int64_t>& k, const AlongGeometry& g) {
  using C = typename ComputeType<T>::type;
  // Columns (outer, inner) are independent; within one, repeated indices add up in order.
  parallelFor(g.outer * g.inner, g.m, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const int64_t o = c / g.inner, i = c % g.inner;
      for (int64_t j = 0; j < g.m; ++j) {
        const int64_t t = (o * g.m + j) * g.inner + i;
        T& d = dx[(o * g.n + k[static_cast<size_t>(t)]) * g.inner + i];
        d = T(C(d) + C(og[t]));
      }
    }
  });
}

void alongType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  // inputs: (data, indices) or (out_grad, indices, data); the value dtype is shared.
  IST_CHECK(in[1] != static_cast<int>(DType::kBool), attrs.op->name, "indices",
            "indices must have a numeric dtype, got bool");
  int t = in[0] >= 0 ? in[0] : out[0];
  if (in.size() == 3 && t < 0) t = in[2];
  if (t < 0) return;
  in[0] = out[0] = t;
}

IST_REGISTER_OP(_take_along_axis)
    .describe("Takes values from data along an axis at the matching 1-d slices of indices "
              "(NumPy's take_along_axis; indices match data outside the axis). With axis None, "
              "data is flattened. Negative indices count from the end.")
    .inputs({"data", "indices"})
    .params<AlongAxisParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
      const AlongGeometry g = alongGeometry(in[0], in[1], attrs.get<AlongAxisParam>(), "_take_along_axis");
      IST_CHECK(g.n > 0 || shapeSize(in[1]) == 0, "_take_along_axis", "data",
                "cannot take from an empty axis of data shape " << shapeString(in[0]));
      out[0] = in[1];
    })
    .inferType(alongType)
    .compute(Context::kCPU,
             [](const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
               if (req[0] == OpReq::kNull || out[0].size() == 0) return;
               const AlongGeometry g = alongGeometry(in[0].shape, in[1].shape,
                                                     attrs.get<AlongAxisParam>(), "_take_along_axis");
               const std::vector<int64_t> k = resolve(in[1], g.n, "_take_along_axis");
               IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, "_take_along_axis", {
                 takeAlong<T>(in[0].data<T>(), out[0].data<T>(), k, g, req[0] == OpReq::kAddTo);
               });
             })
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{
          makeEntry("_backward_take_along_axis", {og[0], n->inputs[1], n->inputs[0]}, n->attrs.dict),
          NodeEntry{}};
    });

IST_REGISTER_OP(_backward_take_along_axis)
    .describe("Gradient of _take_along_axis with respect to data: out_grad added at the indexed "
              "places of zeros shaped like data.")
    .inputs({"out_grad", "indices", "data"})
    .params<AlongAxisParam>()
    .inferShape(namedShape("_backward_take_along_axis", [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1]) || !shapeIsKnown(in[2])) return;
      alongGeometry(in[2], in[1], attrs.get<AlongAxisParam>(), "_backward_take_along_axis");
      if (shapeIsKnown(in[0]))
        IST_CHECK(in[0] == in[1], "_backward_take_along_axis", "out_grad",
                  "out_grad has shape " << shapeString(in[0]) << " but indices have shape "
                                        << shapeString(in[1]));
      out[0] = in[2];
    }))
    .inferType(alongType)
    .compute(Context::kCPU,
             namedCompute("_backward_take_along_axis", [](const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
               if (req[0] == OpReq::kNull) return;
               if (req[0] != OpReq::kAddTo)
                 std::memset(out[0].dptr, 0, static_cast<size_t>(out[0].size()) * dtypeSize(out[0].dtype));
               if (in[0].size() == 0) return;
               const AlongGeometry g = alongGeometry(in[2].shape, in[1].shape,
                                                     attrs.get<AlongAxisParam>(), "_backward_take_along_axis");
               const std::vector<int64_t> k = resolve(in[1], g.n, "_backward_take_along_axis");
               IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_backward_take_along_axis", {
                 scatterAlong<T>(in[0].data<T>(), out[0].data<T>(), k, g);
               });
             }))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      return std::vector<NodeEntry>{makeEntry("_take_along_axis", {g[0], n->inputs[1]}, n->attrs.dict),
                                    NodeEntry{}, NodeEntry{}};
    });

// The `axis` attribute of a sort/topk node, as _take_along_axis reads it (both default to -1).
AttrDict axisOf(const NodePtr& n) {
  AttrDict d;
  auto it = n->attrs.dict.find("axis");
  if (it != n->attrs.dict.end()) d["axis"] = it->second;
  return d;
}

// d data = og scattered back along the axis by the indices that ordered the data.
NodeEntry scatterBack(const NodePtr& n, const NodeEntry& og, const NodeEntry& indices) {
  return makeEntry("_backward_take_along_axis", {og, indices, n->inputs[0]}, axisOf(n));
}

[[maybe_unused]] const bool kRegistered = [] {
  OpRegistry::setGradient("sort", [](const NodePtr& n, const std::vector<NodeEntry>& og) {
    AttrDict d = n->attrs.dict;
    d["dtype"] = "int64";
    NodeEntry idx = makeEntry("argsort", {n->inputs[0]}, d);
    return std::vector<NodeEntry>{scatterBack(n, og[0], idx)};
  });
  OpRegistry::setGradient("topk", [](const NodePtr& n, const std::vector<NodeEntry>& og) {
    const RetTyp rt = retTypOf(n->attrs.get<TopKParam>());
    if (rt == RetTyp::kIndices || rt == RetTyp::kMask) return std::vector<NodeEntry>{NodeEntry{}};
    NodeEntry idx;
    if (rt == RetTyp::kBoth) {
      idx = NodeEntry{n, 1};
    } else {
      AttrDict d = n->attrs.dict;
      d["ret_typ"] = "indices";
      d["dtype"] = "int64";
      idx = makeEntry("topk", {n->inputs[0]}, d);
    }
    return std::vector<NodeEntry>{scatterBack(n, og[0], idx)};
  });
  OpRegistry::setGradient("argsort", [](const NodePtr& n, const std::vector<NodeEntry>&) {
    return std::vector<NodeEntry>(n->inputs.size());
  });
  return true;
}();

}  // namespace
}  // namespace ordering
}  // namespace ist
