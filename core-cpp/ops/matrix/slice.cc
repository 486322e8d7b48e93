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

namespace ist {

// slice's begin/end/step: a tuple whose entries may be None, e.g. "(0, None, -1)".
using OptIntTuple = std::vector<std::optional<int64_t>>;

namespace paramparse {
template <>
struct Codec<OptIntTuple> {
  static const char* type() { return "tuple of (int or None)"; }
  static OptIntTuple parse(const std::string& s, const char* op, const char* field) {
    OptIntTuple r;
    std::string body;
    for (char c : s)
      if (!std::isspace(static_cast<unsigned char>(c))) body += c;
    if (!body.empty() && (body.front() == '(' || body.front() == '[')) {
      IST_CHECK(body.size() >= 2 && (body.back() == ')' || body.back() == ']'), op, field,
                "cannot parse '" << s << "' as a tuple of int or None");
      body = body.substr(1, body.size() - 2);
    }
    size_t pos = 0;
    while (pos < body.size()) {
      size_t comma = body.find(',', pos);
      std::string item = body.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      pos = comma == std::string::npos ? body.size() : comma + 1;
      if (item.empty() && pos >= body.size() && comma != std::string::npos) break;  // "(1,)"
      IST_CHECK(!item.empty(), op, field, "empty entry in '" << s << "'");
      if (item == "None" || item == "none" || item == "null") {
        r.push_back(std::nullopt);
      } else {
        r.push_back(parseInt(item, op, field));
      }
    }
    return r;
  }
  static std::string format(const OptIntTuple& v) {
    std::string r = "(";
    for (size_t i = 0; i < v.size(); ++i)
      r += (i ? ", " : "") + (v[i] ? std::to_string(*v[i]) : std::string("None"));
    return r + (v.size() == 1 ? ",)" : ")");
  }
};
}  // namespace paramparse

namespace {

// A view of the input: per-dim start and step, and the output shape.
struct SliceView {
  std::vector<int64_t> begin, step;
  Shape shape;
};

// out = in[view], every dim.
void sliceCopy(const TBlob& in, const TBlob& out, const SliceView& v, OpReq req, const char* op) {
  const std::vector<int64_t> is = contiguousStrides(in.shape);
  int64_t offset = 0;
  std::vector<int64_t> src(is.size());
  for (size_t i = 0; i < is.size(); ++i) {
    offset += v.begin[i] * is[i];
    src[i] = v.step[i] * is[i];
  }
  if (shapeSize(v.shape) == 0) return;
  const char* base =
      static_cast<const char*>(in.dptr) + offset * static_cast<int64_t>(dtypeSize(in.dtype));
  copyStrided(in.dtype, v.shape, out.dptr, contiguousStrides(v.shape), base, src, req, op);
}

// grad = zeros of the input's shape with og written into the view (added to it for kAddTo).
void sliceScatter(const TBlob& og, const TBlob& grad, const SliceView& v, OpReq req, const char* op) {
  if (req == OpReq::kNull) return;
  if (req != OpReq::kAddTo)
    std::memset(grad.dptr, 0, static_cast<size_t>(grad.size()) * dtypeSize(grad.dtype));
  if (shapeSize(v.shape) == 0) return;
  const std::vector<int64_t> gs = contiguousStrides(grad.shape);
  int64_t offset = 0;
  std::vector<int64_t> dst(gs.size());
  for (size_t i = 0; i < gs.size(); ++i) {
    offset += v.begin[i] * gs[i];
    dst[i] = v.step[i] * gs[i];
  }
  char* base = static_cast<char*>(grad.dptr) + offset * static_cast<int64_t>(dtypeSize(grad.dtype));
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

struct SliceParam {
  OptIntTuple begin, end, step;
  static void declare(ParamDecl<SliceParam>& d) {
    d.field("begin", &SliceParam::begin)
        .doc("Starting indices for the slice, per axis from the first (negative counts from the "
             "end; None is the start in the step's direction).");
    d.field("end", &SliceParam::end)
        .doc("Ending indices (exclusive) for the slice (negative counts from the end; None is the "
             "end in the step's direction).");
    d.field("step", &SliceParam::step)
        .setDefault(OptIntTuple{})
        .doc("Step for each sliced axis (default 1; negative walks backwards; never 0).");
  }
};

// MXNet's rule: begin must land inside the axis, end within [0, len] (or -1 before the start with
// a negative step), and an empty result (begin == end) is an error.
SliceView sliceView(const Shape& s, const SliceParam& p) {
  const char* op = "slice";
  const int nd = static_cast<int>(s.size());
  IST_CHECK(nd > 0, op, "data", "cannot slice a 0-d array");
  IST_CHECK(p.begin.size() == p.end.size(), op, "end",
            "begin and end must have the same length, got " << p.begin.size() << " and " << p.end.size());
  IST_CHECK(static_cast<int>(p.begin.size()) <= nd, op, "begin",
            "slices " << p.begin.size() << " axes of an array of shape " << shapeString(s));
  IST_CHECK(p.step.empty() || p.step.size() == p.begin.size(), op, "step",
            "step must be empty or as long as begin (" << p.begin.size() << "), got " << p.step.size());
  SliceView v;
  v.begin.assign(nd, 0);
  v.step.assign(nd, 1);
  v.shape = s;
  for (size_t i = 0; i < p.begin.size(); ++i) {
    const int64_t st = !p.step.empty() && p.step[i] ? *p.step[i] : 1;
    IST_CHECK(st != 0, op, "step", "step[" << i << "] cannot be 0");
    const int64_t len = s[i];
    int64_t b = 0, e = 0;
    if (len > 0) {
      b = p.begin[i] ? *p.begin[i] : (st < 0 ? len - 1 : 0);
      e = p.end[i] ? *p.end[i] : (st < 0 ? -1 : len);
      if (b < 0) b += len;
      IST_CHECK(b >= 0 && b < len, op, "begin",
                "begin[" << i << "]=" << (p.begin[i] ? *p.begin[i] : b) << " is out of range for axis "
                         << i << " of shape " << shapeString(s));
      if (e < 0 && p.end[i]) e += len;
      IST_CHECK(e >= -1 && e <= len && (e >= 0 || !p.end[i]), op, "end",
                "end[" << i << "]=" << *p.end[i] << " is out of range for axis " << i << " of shape "
                       << shapeString(s));
      IST_CHECK(b != e, op, "end",
                "begin[" << i << "] = end[" << i << "] = " << e << " gives an empty slice of shape "
                         << shapeString(s) << ", which MXNet does not support");
      if (st > 0) {
        IST_CHECK(b < e, op, "end",
                  "begin[" << i << "]=" << b << " is not before end[" << i << "]=" << e
                           << " for step " << st);
        v.shape[i] = (e - b - 1) / st + 1;
      } else {
        IST_CHECK(e < b, op, "end",
                  "begin[" << i << "]=" << b << " is not after end[" << i << "]=" << e
                           << " for step " << st);
        v.shape[i] = (b - e - 1) / (-st) + 1;
      }
    }
    v.begin[i] = b;
    v.step[i] = st;
  }
  return v;
}

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

struct SliceAxisParam {
  int axis = 0;
  int64_t begin = 0;
  std::optional<int64_t> end;
  static void declare(ParamDecl<SliceAxisParam>& d) {
    d.field("axis", &SliceAxisParam::axis)
        .doc("Axis along which to be sliced; negative counts from the end.");
    d.field("begin", &SliceAxisParam::begin)
        .doc("The beginning index along the axis (negative counts from the end).");
    d.field("end", &SliceAxisParam::end)
        .doc("The ending index along the axis, exclusive (negative counts from the end; None is the "
             "axis length).");
  }
};

SliceView sliceAxisView(const Shape& s, const SliceAxisParam& p) {
  const char* op = "slice_axis";
  const int nd = static_cast<int>(s.size());
  const int axis = normalizeAxis(p.axis, nd, op, "axis");
  const int64_t len = s[axis];
  int64_t b = p.begin, e = p.end ? *p.end : len;
  if (b < 0) b += len;
  if (e < 0) e += len;
  if (len == 0) b = e = 0;
  IST_CHECK(b >= 0 && b <= len, op, "begin",
            "begin=" << p.begin << " is out of range for axis " << axis << " of shape "
                     << shapeString(s));
  IST_CHECK(e >= 0 && e <= len, op, "end",
            "end=" << (p.end ? *p.end : len) << " is out of range for axis " << axis << " of shape "
                   << shapeString(s));
  IST_CHECK(b < e || len == 0, op, "end",
            "begin=" << p.begin << " must be before end=" << (p.end ? *p.end : len) << " on axis " << axis
                     << " of shape " << shapeString(s));
  SliceView v;
  v.begin.assign(nd, 0);
  v.step.assign(nd, 1);
  v.shape = s;
  v.begin[axis] = b;
  v.shape[axis] = e - b;
  return v;
}

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

struct SliceLikeParam {
  Shape axes;
  static void declare(ParamDecl<SliceLikeParam>& d) {
    d.field("axes", &SliceLikeParam::axes)
        .setDefault(Shape{})
        .doc("Axes to slice to shape_like's sizes (all axes when empty, which needs equal ranks).");
  }
};

SliceView sliceLikeView(const Shape& s, const Shape& like, const SliceLikeParam& p) {
  const char* op = "slice_like";
  const int nd = static_cast<int>(s.size());
  SliceView v;
  v.begin.assign(nd, 0);
  v.step.assign(nd, 1);
  v.shape = s;
  auto cut = [&](int axis) {
    IST_CHECK(axis < static_cast<int>(like.size()), op, "shape_like",
              "axis " << axis << " is past the dims of shape_like " << shapeString(like));
    IST_CHECK(like[axis] <= s[axis], op, "shape_like",
              "shape_like " << shapeString(like) << " is larger than data " << shapeString(s)
                            << " on axis " << axis);
    v.shape[axis] = like[axis];
  };
  if (p.axes.empty()) {
    IST_CHECK(like.size() == s.size(), op, "shape_like",
              "without axes, data " << shapeString(s) << " and shape_like " << shapeString(like)
                                    << " need the same number of dims");
    for (int i = 0; i < nd; ++i) cut(i);
  } else {
    for (int64_t a : p.axes) cut(normalizeAxis(a, nd, op, "axes"));
  }
  return v;
}

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
