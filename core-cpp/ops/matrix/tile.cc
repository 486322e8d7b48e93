// Repetition: tile (whole array repeated along each axis) and repeat (each element repeated),
// both strided copies whose source strides are 0 along the repeated axes. Their gradients
// (_backward_tile, _backward_repeat) sum the output gradient, read as the same interleaved view,
// over the repeated axes (reduce/reduce_kernel.h); the gradient of those is tile/repeat again.
#include <algorithm>
#include <optional>
#include <string>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "op/backward_errors.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/tile_device.h"
#include "ops/reduce/reduce_kernel.h"

namespace ist {
namespace {

// grad = og (contiguous, seen as `view`) summed over the dims in `mask`.
void sumView(const TBlob& og, const TBlob& grad, const Shape& view, const std::vector<bool>& mask,
             OpReq req, const char* op) {
  IST_TYPE_SWITCH_NUMERIC(og.dtype, T, op, {
    reduce::reduceAxes<reduce::SumR<T>>(og.data<T>(), view, mask, grad.data<T>(), req);
  });
}

// Backward ops take (out_grad, data) and return data's shape and dtype.
void backwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  int t = in[0] >= 0 ? in[0] : out[0];
  if (t < 0) return;
  in[0] = out[0] = t;
}

void checkOutGrad(const Shape& og, const Shape& expect, const Shape& data, const char* op) {
  IST_CHECK(og == expect, op, "out_grad",
            "out_grad has shape " << shapeString(og) << " but the forward output for data "
                                  << shapeString(data) << " has shape " << shapeString(expect));
}

// The gradient of a forward op: backward(og, data); and of a backward op: forward(g).
FGradient toBackward(const std::string& backwardOp) {
  return [backwardOp](const NodePtr& n, const std::vector<NodeEntry>& og) {
    return std::vector<NodeEntry>{makeEntry(backwardOp, {og[0], n->inputs[0]}, n->attrs.dict)};
  };
}
FGradient toForward(const std::string& forwardOp) {
  return [forwardOp](const NodePtr& n, const std::vector<NodeEntry>& g) {
    return std::vector<NodeEntry>{makeEntry(forwardOp, {g[0]}, n->attrs.dict), NodeEntry{}};
  };
}

// ---- tile ----

using mat::TileParam;
using mat::tileAligned;

void tileShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const Shape& reps = attrs.get<TileParam>().reps;
  for (size_t i = 0; i < reps.size(); ++i)
    IST_CHECK(reps[i] >= 0, "tile", "reps", "reps " << shapeString(reps) << " has a negative entry");
  Shape a, r;
  tileAligned(in[0], reps, &a, &r);
  Shape o(a.size());
  for (size_t i = 0; i < a.size(); ++i) o[i] = a[i] * r[i];
  out[0] = o;
}

void tileCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  Shape view;
  std::vector<int64_t> src;
  mat::tileCopyView(in[0].shape, attrs.get<TileParam>().reps, &view, &src);
  copyStrided(in[0].dtype, view, out[0].dptr, contiguousStrides(view), in[0].dptr, src, req[0], "tile");
}

IST_REGISTER_OP(tile)
    .describe("Repeats the whole array `reps` times along each axis.")
    .inputs({"data"})
    .params<TileParam>()
    .inferShape(tileShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, tileCompute)
    .gradient(toBackward("_backward_tile"));

IST_REGISTER_OP(_backward_tile)
    .describe("Gradient of tile: out_grad summed over the repetitions, shaped like data.")
    .inputs({"out_grad", "data"})
    .params<TileParam>()
    .inferShape(namedShape("_backward_tile", [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      std::vector<Shape> d{in[1]}, o(1);
      tileShape(attrs, d, o);
      if (shapeIsKnown(in[0])) checkOutGrad(in[0], o[0], in[1], "_backward_tile");
      out[0] = in[1];
    }))
    .inferType(backwardType)
    .compute(Context::kCPU,
             namedCompute("_backward_tile", [](const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
               Shape view;
               std::vector<bool> mask;
               mat::tileSumView(in[1].shape, attrs.get<TileParam>().reps, &view, &mask);
               sumView(in[0], out[0], view, mask, req[0], "_backward_tile");
             }))
    .gradient(toForward("tile"));

// ---- repeat ----

using mat::RepeatParam;
using mat::repeatGeometry;

void repeatShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const auto& p = attrs.get<RepeatParam>();
  int64_t outer, n, inner;
  int axis;
  repeatGeometry(in[0], p, &outer, &n, &inner, &axis);
  if (axis < 0) {
    out[0] = Shape{n * p.repeats};
    return;
  }
  Shape o = in[0];
  o[axis] *= p.repeats;
  out[0] = o;
}

void repeatCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  std::vector<int64_t> src;
  const Shape view = mat::repeatView(in[0].shape, attrs.get<RepeatParam>(), &src);
  copyStrided(in[0].dtype, view, out[0].dptr, contiguousStrides(view), in[0].dptr, src, req[0], "repeat");
}

IST_REGISTER_OP(repeat)
    .describe("Repeats each element `repeats` times along `axis` (of the flattened array when axis "
              "is None).")
    .inputs({"data"})
    .params<RepeatParam>()
    .inferShape(repeatShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, repeatCompute)
    .gradient(toBackward("_backward_repeat"));

IST_REGISTER_OP(_backward_repeat)
    .describe("Gradient of repeat: out_grad summed over each element's repetitions, shaped like "
              "data.")
    .inputs({"out_grad", "data"})
    .params<RepeatParam>()
    .inferShape(namedShape("_backward_repeat", [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      std::vector<Shape> d{in[1]}, o(1);
      repeatShape(attrs, d, o);
      if (shapeIsKnown(in[0])) checkOutGrad(in[0], o[0], in[1], "_backward_repeat");
      out[0] = in[1];
    }))
    .inferType(backwardType)
    .compute(Context::kCPU,
             namedCompute("_backward_repeat", [](const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
               sumView(in[0], out[0], mat::repeatView(in[1].shape, attrs.get<RepeatParam>(), nullptr),
                       {false, false, true, false}, req[0], "_backward_repeat");
             }))
    .gradient(toForward("repeat"));

}  // namespace
}  // namespace ist
