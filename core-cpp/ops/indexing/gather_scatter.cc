// N-d gathers and scatters: gather_nd, scatter_nd, _scatter_set_nd, and gather_nd's gradient
// _backward_gather_nd (a scatter that adds).
//
// indices has shape (M, Y...): column i (all of Y flattened) addresses data[indices[:, i]], a
// slice of the data's trailing dims data.shape[M:] (K elements). gather_nd gives (Y..., data.shape[M:]);
// scatter_nd is its reverse into zeros of `shape`. Negative indices count from the end; an index
// outside [-dim, dim) is an error naming its position.
#include <cmath>
#include <cstring>
#include <string>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "op/registry.h"
#include "op/backward_errors.h"
#include "ops/indexing/gather_scatter_device.h"

namespace ist {
namespace {

using gsnd::NdGeometry;
using gsnd::ndGeometry;
using gsnd::sliceOffsets;

template <typename T> inline void assign(T& d, T v, bool add) {
  using C = typename ComputeType<T>::type;
  d = add ? T(C(d) + C(v)) : v;
}

// out[i] (K elements) = data at off[i].
template <typename T>
void gatherTyped(const T* data, T* out, const std::vector<int64_t>& off, int64_t K, bool add) {
  parallelFor(static_cast<int64_t>(off.size()), K, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      for (int64_t c = 0; c < K; ++c) assign(out[i * K + c], data[off[static_cast<size_t>(i)] + c], add);
  });
}

// out at off[i] = (or +=) values[i], in index order (later duplicates win when assigning).
template <typename T>
void scatterTyped(const T* values, T* out, const std::vector<int64_t>& off, int64_t K, bool add) {
  for (size_t i = 0; i < off.size(); ++i)
    for (int64_t c = 0; c < K; ++c) assign(out[off[i] + c], values[static_cast<int64_t>(i) * K + c], add);
}

void zeroFill(const TBlob& b) {
  std::memset(b.dptr, 0, static_cast<size_t>(b.size()) * dtypeSize(b.dtype));
}

void indicesNotBool(int t, const char* op) {
  IST_CHECK(t != static_cast<int>(DType::kBool), op, "indices",
            "indices must have a numeric dtype, got bool");
}

// ---- gather_nd ----

void gatherShape(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
  Shape o;
  ndGeometry(in[0], in[1], "gather_nd", &o);
  out[0] = o;
}

void gatherCompute(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const NdGeometry g = ndGeometry(in[0].shape, in[1].shape, "gather_nd", nullptr);
  const std::vector<int64_t> off = sliceOffsets(in[1], in[0].shape, g, "gather_nd");
  IST_TYPE_SWITCH_ALL(in[0].dtype, T, "gather_nd", {
    gatherTyped<T>(in[0].data<T>(), out[0].data<T>(), off, g.K, req[0] == OpReq::kAddTo);
  });
}

IST_REGISTER_OP(gather_nd)
    .describe("Gathers elements or slices from data into an array of shape (Y..., "
              "data.shape[M:]) given indices of shape (M, Y...): output[y...] = "
              "data[indices[0, y...], ..., indices[M-1, y...]]. Negative indices count from the "
              "end.\n\n"
              "Example: data = [[0, 1], [2, 3]], indices = [[1, 1, 0], [0, 1, 0]]: "
              "gather_nd(data, indices) = [2, 3, 0]")
    .inputs({"data", "indices"})
    .inferShape(gatherShape)
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      indicesNotBool(in[1], "gather_nd");
      if (in[0] >= 0) out[0] = in[0];
      else if (out[0] >= 0) in[0] = out[0];
    })
    .compute(Context::kCPU, gatherCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("_backward_gather_nd", {og[0], n->inputs[1], n->inputs[0]}),
                                    NodeEntry{}};
    });

// ---- _backward_gather_nd: (out_grad, indices, data) -> data's shape, slices added ----

IST_REGISTER_OP(_backward_gather_nd)
    .describe("Gradient of gather_nd with respect to data: out_grad slices added at the indexed "
              "places of zeros shaped like data (repeated indices accumulate).")
    .inputs({"out_grad", "indices", "data"})
    .inferShape(namedShape("_backward_gather_nd", [](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1]) || !shapeIsKnown(in[2])) return;
      Shape v;
      ndGeometry(in[2], in[1], "_backward_gather_nd", &v);
      if (shapeIsKnown(in[0]))
        IST_CHECK(in[0] == v, "_backward_gather_nd", "out_grad",
                  "out_grad has shape " << shapeString(in[0]) << " but gather_nd from "
                                        << shapeString(in[2]) << " gives " << shapeString(v));
      out[0] = in[2];
    }))
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      int t = in[0] >= 0 ? in[0] : (in[2] >= 0 ? in[2] : out[0]);
      if (t < 0) return;
      in[0] = out[0] = t;
    })
    .compute(Context::kCPU,
             namedCompute("_backward_gather_nd", [](const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
               if (req[0] == OpReq::kNull) return;
               if (req[0] != OpReq::kAddTo) zeroFill(out[0]);
               if (in[0].size() == 0) return;
               const NdGeometry g = ndGeometry(in[2].shape, in[1].shape, "_backward_gather_nd", nullptr);
               const std::vector<int64_t> off = sliceOffsets(in[1], in[2].shape, g, "gather_nd");
               IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_backward_gather_nd", {
                 scatterTyped<T>(in[0].data<T>(), out[0].data<T>(), off, g.K, true);
               });
             }))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      return std::vector<NodeEntry>{makeEntry("gather_nd", {g[0], n->inputs[1]}), NodeEntry{}, NodeEntry{}};
    });

// ---- scatter_nd / _scatter_set_nd ----

using gsnd::ScatterNDParam;

// data must have shape (Y..., shape[M:]) for indices (M, Y...).
void checkScatter(const Shape& data, const Shape& indices, const Shape& shape, const char* op,
                  const char* dataArg) {
  Shape v;
  ndGeometry(shape, indices, op, &v);
  IST_CHECK(data == v, op, dataArg,
            dataArg << " has shape " << shapeString(data) << " but indices " << shapeString(indices)
                    << " into an output of shape " << shapeString(shape) << " need "
                    << shapeString(v));
}

void scatterCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const gsnd::ScatterInputs si = gsnd::scatterInputs(attrs, in);
  const bool setOp = si.setOp;
  const char* op = si.op;
  const TBlob &values = si.values, &idx = si.idx;
  // kAddTo adds the scattered array (zeros or lhs with the updates) to the output.
  std::vector<char> tmp;
  TBlob dst = out[0];
  if (req[0] == OpReq::kAddTo) {
    tmp.resize(static_cast<size_t>(out[0].size()) * dtypeSize(out[0].dtype));
    dst.dptr = tmp.data();
  }
  if (setOp) {
    if (dst.dptr != in[0].dptr)
      std::memcpy(dst.dptr, in[0].dptr, static_cast<size_t>(dst.size()) * dtypeSize(dst.dtype));
  } else {
    zeroFill(dst);
  }
  const NdGeometry g = ndGeometry(dst.shape, idx.shape, op, nullptr);
  if (g.N * g.K > 0) {
    const std::vector<int64_t> off = sliceOffsets(idx, dst.shape, g, op);
    IST_TYPE_SWITCH_ALL(dst.dtype, T, op, {
      const T* v = values.data<T>();
      T* o = dst.data<T>();
      for (size_t i = 0; i < off.size(); ++i)
        for (int64_t c = 0; c < g.K; ++c) o[off[i] + c] = v[static_cast<int64_t>(i) * g.K + c];
    });
  }
  if (req[0] == OpReq::kAddTo) {
    IST_TYPE_SWITCH_NUMERIC(dst.dtype, T, op, {
      using C = typename ComputeType<T>::type;
      const T* s = dst.data<T>();
      T* o = out[0].data<T>();
      for (int64_t i = 0; i < out[0].size(); ++i) o[i] = T(C(o[i]) + C(s[i]));
    });
  }
}

IST_REGISTER_OP(scatter_nd)
    .describe("Scatters data into a new array of shape `shape` (zeros elsewhere): "
              "output[indices[0, y...], ..., indices[M-1, y...]] = data[y...]. The reverse of "
              "gather_nd; with repeated indices the last one written wins.\n\n"
              "Example: data = [2, 3, 0], indices = [[1, 1, 0], [0, 1, 0]], shape = (2, 2): "
              "scatter_nd(data, indices, shape) = [[0, 0], [2, 3]]")
    .inputs({"data", "indices"})
    .params<ScatterNDParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      const Shape& shape = attrs.get<ScatterNDParam>().shape;
      for (int64_t d : shape)
        IST_CHECK(d >= 0, "scatter_nd", "shape", "shape " << shapeString(shape) << " has a negative dim");
      if (shapeIsKnown(in[0]) && shapeIsKnown(in[1])) checkScatter(in[0], in[1], shape, "scatter_nd", "data");
      out[0] = shape;
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      indicesNotBool(in[1], "scatter_nd");
      if (in[0] >= 0) out[0] = in[0];
      else if (out[0] >= 0) in[0] = out[0];
    })
    .compute(Context::kCPU, scatterCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("gather_nd", {og[0], n->inputs[1]}), NodeEntry{}};
    });

IST_REGISTER_OP(_scatter_set_nd)
    .describe("Like scatter_nd, but the elements not indexed keep lhs's values: output = lhs with "
              "output[indices[:, y...]] = rhs[y...]. `shape` must be lhs's shape.\n\n"
              "Example: lhs = [[1, 1], [1, 1]], rhs = [2, 3, 0], indices = [[1, 1, 0], [0, 1, 0]]: "
              "_scatter_set_nd(lhs, rhs, indices, shape=(2, 2)) = [[0, 1], [2, 3]]")
    .inputs({"lhs", "rhs", "indices"})
    .params<ScatterNDParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      const Shape& shape = attrs.get<ScatterNDParam>().shape;
      if (shapeIsKnown(in[0]))
        IST_CHECK(in[0] == shape, "_scatter_set_nd", "shape",
                  "shape " << shapeString(shape) << " differs from lhs's shape " << shapeString(in[0]));
      if (shapeIsKnown(in[1]) && shapeIsKnown(in[2]))
        checkScatter(in[1], in[2], shape, "_scatter_set_nd", "rhs");
      out[0] = shape;
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      indicesNotBool(in[2], "_scatter_set_nd");
      int t = in[0] >= 0 ? in[0] : (in[1] >= 0 ? in[1] : out[0]);
      if (t < 0) return;
      if (in[1] >= 0)
        IST_CHECK(in[1] == t, "_scatter_set_nd", "rhs",
                  "rhs is " << dtypeName(DType(in[1])) << " but lhs is " << dtypeName(DType(t)));
      in[0] = in[1] = out[0] = t;
    })
    .inplace(0, 0)
    .compute(Context::kCPU, scatterCompute)
    // lhs: og with the overwritten places zeroed; rhs: og at those places.
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      NodeEntry zeros = makeEntry("zeros_like", {n->inputs[1]});
      return std::vector<NodeEntry>{makeEntry("_scatter_set_nd", {og[0], zeros, n->inputs[2]}, n->attrs.dict),
                                    makeEntry("gather_nd", {og[0], n->inputs[2]}), NodeEntry{}};
    });

}  // namespace
}  // namespace ist
