// Slicing: slice (crop), slice_axis, slice_like, all strided copies of a view of the input. Their
// gradients (_backward_slice, _backward_slice_axis, _backward_slice_like) write the output
// gradient into that view of a zero array; the gradient of those is the forward slice again.
#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>
#include <cstring>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "op/backward_errors.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/slice_device.h"

namespace ist {

namespace {

using mat::SliceView;

// out = in[view], every dim.
void sliceCopy(const TBlob& in, const TBlob& out, const SliceView& v, OpReq req, const char* op) {
  std::vector<int64_t> src;
  const int64_t offset = mat::viewStrides(in.shape, v, &src);
  if (shapeSize(v.shape) == 0) return;
  const char* base = mat::byteAt(static_cast<const void*>(in.dptr), offset, in.dtype);
  copyStrided(in.dtype, v.shape, out.dptr, contiguousStrides(v.shape), base, src, req, op);
}

// grad = zeros of the input's shape with og written into the view (added to it for kAddTo).
void sliceScatter(const TBlob& og, const TBlob& grad, const SliceView& v, OpReq req, const char* op) {
  if (req == OpReq::kNull) return;
  if (req != OpReq::kAddTo)
    std::memset(grad.dptr, 0, static_cast<size_t>(grad.size()) * dtypeSize(grad.dtype));
  if (shapeSize(v.shape) == 0) return;
  std::vector<int64_t> dst;
  const int64_t offset = mat::viewStrides(grad.shape, v, &dst);
  char* base = mat::byteAt(grad.dptr, offset, grad.dtype);
  copyStrided(grad.dtype, v.shape, base, dst, og.dptr, contiguousStrides(v.shape),
              req == OpReq::kAddTo ? OpReq::kAddTo : OpReq::kWriteTo, op);
}

// Backward ops take (out_grad, data) and return data's shape; out_grad must have the view's.
void checkGradShape(const Shape& og, const SliceView& v, const Shape& data, const char* op) {
  IST_CHECK(og == v.shape, op, "out_grad",
            "out_grad has shape " << shapeString(og) << " but slicing data of shape "
                                  << shapeString(data) << " gives " << shapeString(v.shape));
}

// Gradient of a forward slicing op: the backward op on (og, data), none for other inputs.
FGradient sliceGradient(const std::string& backwardOp) {
  return [backwardOp](const NodePtr& n, const std::vector<NodeEntry>& og) {
    std::vector<NodeEntry> g(n->inputs.size());
    g[0] = makeEntry(backwardOp, {og[0], n->inputs[0]}, n->attrs.dict);
    return g;
  };
}

// Gradient of a backward op: the forward slice of the incoming gradient; none for data.
FGradient sliceOfGradient(const std::string& forwardOp) {
  return [forwardOp](const NodePtr& n, const std::vector<NodeEntry>& g) {
    return std::vector<NodeEntry>{makeEntry(forwardOp, {g[0]}, n->attrs.dict), NodeEntry{}};
  };
}

// ---- slice ----

using mat::SliceParam;
using mat::sliceView;

void sliceShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  out[0] = sliceView(in[0], attrs.get<SliceParam>()).shape;
}

void sliceCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  sliceCopy(in[0], out[0], sliceView(in[0].shape, attrs.get<SliceParam>()), req[0], "slice");
}

IST_REGISTER_OP(slice)
    .alias("crop")
    .describe("Slices a region of the array: for each axis i < len(begin), elements begin[i], "
              "begin[i] + step[i], ... up to end[i] (exclusive); other axes are kept whole.")
    .inputs({"data"})
    .params<SliceParam>()
    .inferShape(sliceShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, sliceCompute)
    .gradient(sliceGradient("_backward_slice"));

void gradOfDataType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  int t = in[0] >= 0 ? in[0] : out[0];
  if (t < 0) return;
  in[0] = out[0] = t;
}

IST_REGISTER_OP(_backward_slice)
    .describe("Gradient of slice: out_grad written into the sliced region of zeros shaped like data.")
    .inputs({"out_grad", "data"})
    .params<SliceParam>()
    .inferShape(namedShape("_backward_slice", [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      const SliceView v = sliceView(in[1], attrs.get<SliceParam>());
      if (shapeIsKnown(in[0])) checkGradShape(in[0], v, in[1], "_backward_slice");
      out[0] = in[1];
    }))
    .inferType(gradOfDataType)
    .compute(Context::kCPU,
             namedCompute("_backward_slice", [](const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
               sliceScatter(in[0], out[0], sliceView(in[1].shape, attrs.get<SliceParam>()), req[0],
                            "_backward_slice");
             }))
    .gradient(sliceOfGradient("slice"));

// ---- slice_axis ----

using mat::SliceAxisParam;
using mat::sliceAxisView;

void sliceAxisShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  out[0] = sliceAxisView(in[0], attrs.get<SliceAxisParam>()).shape;
}

void sliceAxisCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  sliceCopy(in[0], out[0], sliceAxisView(in[0].shape, attrs.get<SliceAxisParam>()), req[0], "slice_axis");
}

IST_REGISTER_OP(slice_axis)
    .describe("Slices along one axis: elements begin .. end (exclusive) of `axis`.")
    .inputs({"data"})
    .params<SliceAxisParam>()
    .inferShape(sliceAxisShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, sliceAxisCompute)
    .gradient(sliceGradient("_backward_slice_axis"));

IST_REGISTER_OP(_backward_slice_axis)
    .describe("Gradient of slice_axis: out_grad written into the sliced region of zeros shaped "
              "like data.")
    .inputs({"out_grad", "data"})
    .params<SliceAxisParam>()
    .inferShape(namedShape("_backward_slice_axis", [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      const SliceView v = sliceAxisView(in[1], attrs.get<SliceAxisParam>());
      if (shapeIsKnown(in[0])) checkGradShape(in[0], v, in[1], "_backward_slice_axis");
      out[0] = in[1];
    }))
    .inferType(gradOfDataType)
    .compute(Context::kCPU,
             namedCompute("_backward_slice_axis", [](const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
               sliceScatter(in[0], out[0], sliceAxisView(in[1].shape, attrs.get<SliceAxisParam>()),
                            req[0], "_backward_slice_axis");
             }))
    .gradient(sliceOfGradient("slice_axis"));

// ---- slice_like ----

using mat::SliceLikeParam;
using mat::sliceLikeView;

void sliceLikeShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
  out[0] = sliceLikeView(in[0], in[1], attrs.get<SliceLikeParam>()).shape;
}

void sliceLikeType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  if (in[0] >= 0) out[0] = in[0];
}

void sliceLikeCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  sliceCopy(in[0], out[0], sliceLikeView(in[0].shape, in[1].shape, attrs.get<SliceLikeParam>()),
            req[0], "slice_like");
}

IST_REGISTER_OP(slice_like)
    .describe("Slices data to the shape of shape_like (from index 0) on `axes`, or on every axis.")
    .inputs({"data", "shape_like"})
    .params<SliceLikeParam>()
    .inferShape(sliceLikeShape)
    .inferType(sliceLikeType)
    .compute(Context::kCPU, sliceLikeCompute)
    .gradient(sliceGradient("_backward_slice_like"));

// The slice_like region starts at 0 on every axis, so out_grad's own shape is the view.
IST_REGISTER_OP(_backward_slice_like)
    .describe("Gradient of slice_like: out_grad written into the leading corner of zeros shaped "
              "like data.")
    .inputs({"out_grad", "data"})
    .params<SliceLikeParam>()
    .inferShape(namedShape("_backward_slice_like", [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
      const SliceView v = sliceLikeView(in[1], in[0], attrs.get<SliceLikeParam>());
      checkGradShape(in[0], v, in[1], "_backward_slice_like");
      out[0] = in[1];
    }))
    .inferType(gradOfDataType)
    .compute(Context::kCPU,
             namedCompute("_backward_slice_like", [](const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
               sliceScatter(in[0], out[0],
                            sliceLikeView(in[1].shape, in[0].shape, attrs.get<SliceLikeParam>()),
                            req[0], "_backward_slice_like");
             }))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      return std::vector<NodeEntry>{makeEntry("slice_like", {g[0], n->inputs[0]}, n->attrs.dict),
                                    NodeEntry{}};
    });

}  // namespace
}  // namespace ist
