// _ravel_multi_index (ravel_multi_index) and _unravel_index (unravel_index): between multi-indices
// (one column of a (ndim, ...) array each) and flat row-major indices into an array of `shape`,
// NumPy's ravel_multi_index / unravel_index. shape[0] may be -1 (any leading extent). Indices are
// integers carried in the input's dtype; the output keeps that dtype. Out-of-range indices are
// errors (MXNet leaves them undefined). Index arithmetic has a zero gradient.
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/indexing/ravel_device.h"

namespace ist {
namespace {

using ravel::RavelParam;
using ravel::checkShapeParam;
using ravel::readIndices;

void writeIndices(const std::vector<int64_t>& v, const TBlob& out, OpReq req, const char* op) {
  IST_TYPE_SWITCH_NUMERIC(out.dtype, T, op, {
    using C = typename ComputeType<T>::type;
    T* o = out.data<T>();
    for (size_t i = 0; i < v.size(); ++i) {
      const T x = T(static_cast<C>(v[i]));
      o[i] = req == OpReq::kAddTo ? T(C(o[i]) + C(x)) : x;
    }
  });
}

void indexType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  IST_CHECK(in[0] != static_cast<int>(DType::kBool), attrs.op->name, "data",
            "indices must have a numeric dtype, got bool");
  if (in[0] >= 0) out[0] = in[0];
  else if (out[0] >= 0) in[0] = out[0];
}

// ---- _ravel_multi_index: (ndim, N...) -> (N...) ----

void ravelShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = "ravel_multi_index";
  const Shape& shape = attrs.get<RavelParam>().shape;
  checkShapeParam(shape, op);
  if (!shapeIsKnown(in[0])) return;
  const Shape& s = in[0];
  IST_CHECK(!s.empty() && s[0] == static_cast<int64_t>(shape.size()), op, "data",
            "data of shape " << shapeString(s) << " must hold one row per dim of shape "
                             << shapeString(shape) << ", i.e. have shape (" << shape.size() << ", ...)");
  out[0] = Shape(s.begin() + 1, s.end());
}

void ravelCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "ravel_multi_index";
  if (req[0] == OpReq::kNull) return;
  const Shape& shape = attrs.get<RavelParam>().shape;
  const int64_t n = out[0].size();
  writeIndices(ravel::ravelIndices(shape, readIndices(in[0], op), n, op), out[0], req[0], op);
}

IST_REGISTER_OP(_ravel_multi_index)
    .alias("ravel_multi_index")
    .describe("Converts a batch of index arrays into an array of flat indices. As in NumPy, a "
              "single multi-index is a column of the input: data of shape (len(shape), N...) "
              "gives N... flat indices. The leading dimension may be -1 (unspecified).\n\n"
              "Example: A = [[3, 6, 6], [4, 5, 1]]: ravel_multi_index(A, shape=(7, 6)) = "
              "[22, 41, 37]; ravel_multi_index(A, shape=(-1, 6)) = [22, 41, 37]")
    .inputs({"data"})
    .params<RavelParam>()
    .inferShape(ravelShape)
    .inferType(indexType)
    .compute(Context::kCPU, ravelCompute)
    .zeroGradient();

// ---- _unravel_index: (N...) -> (ndim, N...) ----

void unravelShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const Shape& shape = attrs.get<RavelParam>().shape;
  checkShapeParam(shape, "unravel_index");
  if (!shapeIsKnown(in[0])) return;
  Shape o{static_cast<int64_t>(shape.size())};
  o.insert(o.end(), in[0].begin(), in[0].end());
  out[0] = o;
}

void unravelCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "unravel_index";
  if (req[0] == OpReq::kNull) return;
  const Shape& shape = attrs.get<RavelParam>().shape;
  writeIndices(ravel::unravelIndices(shape, readIndices(in[0], op), op), out[0], req[0], op);
}

IST_REGISTER_OP(_unravel_index)
    .alias("unravel_index")
    .describe("Converts an array of flat indices into a batch of index arrays. As in NumPy, a "
              "single multi-index is a column of the output: N... flat indices give an array of "
              "shape (len(shape), N...). The leading dimension may be -1 (unspecified).\n\n"
              "Example: A = [22, 41, 37]: unravel_index(A, shape=(7, 6)) = [[3, 6, 6], [4, 5, 1]]; "
              "unravel_index(A, shape=(-1, 6)) = [[3, 6, 6], [4, 5, 1]]")
    .inputs({"data"})
    .params<RavelParam>()
    .inferShape(unravelShape)
    .inferType(indexType)
    .compute(Context::kCPU, unravelCompute)
    .zeroGradient();

}  // namespace
}  // namespace ist
