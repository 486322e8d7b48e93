// pick: one element per position along `axis`, chosen by an index array (MXNet's pick, modes
// clip/wrap), and its gradient _backward_pick, which writes out_grad back at the picked places.
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "op/registry.h"
#include "op/backward_errors.h"
#include "ops/indexing/pick_device.h"

namespace ist {
namespace {

using pickdev::PickParam;
using pickdev::PickGeometry;
using pickdev::pickGeometry;

// The output shape; checks the index shape (data's shape without the axis, or with it as 1).
Shape pickShapeOf(const Shape& data, const Shape& index, const PickParam& p) {
  const PickGeometry g = pickGeometry(data, p);
  Shape dropped = data, kept = data;
  dropped.erase(dropped.begin() + g.axis);
  kept[g.axis] = 1;
  IST_CHECK(index == dropped || index == kept, "pick", "index",
            "index has shape " << shapeString(index) << " but data of shape " << shapeString(data)
                               << " picked along axis " << g.axis << " needs " << shapeString(dropped)
                               << " or " << shapeString(kept));
  IST_CHECK(g.n > 0 || shapeSize(dropped) == 0, "pick", "data",
            "cannot pick from the empty axis " << g.axis << " of shape " << shapeString(data));
  return p.keepdims ? kept : dropped;
}

// Index i of the index blob, resolved per mode into [0, n).
int64_t pickIndex(const TBlob& idx, int64_t i, int64_t n, bool wrap) {
  int64_t k = 0;
  IST_TYPE_SWITCH_NUMERIC(idx.dtype, T, "pick", {
    using C = typename ComputeType<T>::type;
    const double x = static_cast<double>(static_cast<C>(idx.data<T>()[i]));
    if (!std::isfinite(x))
      throwError("pick", "index", "index at position " + std::to_string(i) + " is not finite");
    k = static_cast<int64_t>(x);
  });
  if (wrap) {
    k %= n;
    return k < 0 ? k + n : k;
  }
  return k < 0 ? 0 : (k >= n ? n - 1 : k);
}

std::vector<int64_t> resolveIndices(const TBlob& idx, int64_t n, const PickParam& p) {
  std::vector<int64_t> r(static_cast<size_t>(idx.size()));
  for (int64_t i = 0; i < idx.size(); ++i) r[static_cast<size_t>(i)] = pickIndex(idx, i, n, p.mode == "wrap");
  return r;
}

template <typename T>
void pickTyped(const T* x, T* y, const std::vector<int64_t>& k, const PickGeometry& g, bool add) {
  using C = typename ComputeType<T>::type;
  parallelFor(g.outer * g.inner, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / g.inner, i = t % g.inner;
      const T v = x[(o * g.n + k[static_cast<size_t>(t)]) * g.inner + i];
      y[t] = add ? T(C(y[t]) + C(v)) : v;
    }
  });
}

template <typename T>
void pickBackwardTyped(const T* og, T* dx, const std::vector<int64_t>& k, const PickGeometry& g) {
  using C = typename ComputeType<T>::type;
  // Each (outer, inner) position receives exactly one value, so positions run in parallel.
  parallelFor(g.outer * g.inner, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / g.inner, i = t % g.inner;
      T& d = dx[(o * g.n + k[static_cast<size_t>(t)]) * g.inner + i];
      d = T(C(d) + C(og[t]));
    }
  });
}

void pickCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<PickParam>();
  const PickGeometry g = pickGeometry(in[0].shape, p);
  const std::vector<int64_t> k = resolveIndices(in[1], g.n, p);
  IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, "pick", {
    pickTyped<T>(in[0].data<T>(), out[0].data<T>(), k, g, req[0] == OpReq::kAddTo);
  });
}

// (out_grad, index, data) -> data's shape.
void pickBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  if (req[0] != OpReq::kAddTo)
    std::memset(out[0].dptr, 0, static_cast<size_t>(out[0].size()) * dtypeSize(out[0].dtype));
  if (in[0].size() == 0) return;
  const auto& p = attrs.get<PickParam>();
  const PickGeometry g = pickGeometry(in[2].shape, p);
  const std::vector<int64_t> k = resolveIndices(in[1], g.n, p);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_backward_pick", {
    pickBackwardTyped<T>(in[0].data<T>(), out[0].data<T>(), k, g);
  });
}

void pickType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  IST_CHECK(in[1] != static_cast<int>(DType::kBool), "pick", "index",
            "index must have a numeric dtype, got bool");
  if (in[0] >= 0) out[0] = in[0];
  else if (out[0] >= 0) in[0] = out[0];
}

IST_REGISTER_OP(pick)
    .describe("Picks elements from an input array according to the input indices along the "
              "given axis: out[i, j] = data[i, index[i, j], j] around `axis`. Out-of-range "
              "indices are clipped or wrapped per `mode`.\n\n"
              "Example: x = [[1, 2], [3, 4], [5, 6]]: pick(x, index=[0, 1], axis=0) = [1, 4]; "
              "pick(x, index=[0, 1, 0], axis=1) = [1, 4, 5]; with keepdims=True, [[1], [4], [5]]")
    .inputs({"data", "index"})
    .params<PickParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
      out[0] = pickShapeOf(in[0], in[1], attrs.get<PickParam>());
    })
    .inferType(pickType)
    .compute(Context::kCPU, pickCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{
          makeEntry("_backward_pick", {og[0], n->inputs[1], n->inputs[0]}, n->attrs.dict), NodeEntry{}};
    });

IST_REGISTER_OP(_backward_pick)
    .describe("Gradient of pick with respect to data: out_grad written at the picked places of "
              "zeros shaped like data.")
    .inputs({"out_grad", "index", "data"})
    .params<PickParam>()
    .inferShape(namedShape("_backward_pick", [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1]) || !shapeIsKnown(in[2])) return;
      const Shape o = pickShapeOf(in[2], in[1], attrs.get<PickParam>());
      if (shapeIsKnown(in[0]))
        IST_CHECK(in[0] == o, "_backward_pick", "out_grad",
                  "out_grad has shape " << shapeString(in[0]) << " but pick from "
                                        << shapeString(in[2]) << " gives " << shapeString(o));
      out[0] = in[2];
    }))
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      int t = in[0] >= 0 ? in[0] : (in[2] >= 0 ? in[2] : out[0]);
      if (t < 0) return;
      in[0] = out[0] = t;
    })
    .compute(Context::kCPU, namedCompute("_backward_pick", pickBackwardCompute))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      return std::vector<NodeEntry>{makeEntry("pick", {g[0], n->inputs[1]}, n->attrs.dict), NodeEntry{},
                                    NodeEntry{}};
    });

}  // namespace
}  // namespace ist
