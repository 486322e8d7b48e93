// slice / slice_axis / slice_like and their gradients: params and views (shared with slice.cc)
// and the device-generic computes (GPU kernels and their CPU twins, attached in matrix.cu).
#pragma once
#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/strided_copy_device.h"

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

namespace mat {

// A view of the input: per-dim start and step, and the output shape.
struct SliceView {
  std::vector<int64_t> begin, step;
  Shape shape;
};

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
inline SliceView sliceView(const Shape& s, const SliceParam& p) {
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

inline SliceView sliceAxisView(const Shape& s, const SliceAxisParam& p) {
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

struct SliceLikeParam {
  Shape axes;
  static void declare(ParamDecl<SliceLikeParam>& d) {
    d.field("axes", &SliceLikeParam::axes)
        .setDefault(Shape{})
        .doc("Axes to slice to shape_like's sizes (all axes when empty, which needs equal ranks).");
  }
};

inline SliceView sliceLikeView(const Shape& s, const Shape& like, const SliceLikeParam& p) {
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

// The view in a contiguous array of shape `full`: its element strides, and the offset (returned)
// of its first element.
inline int64_t viewStrides(const Shape& full, const SliceView& v, std::vector<int64_t>* strides) {
  const std::vector<int64_t> fs = contiguousStrides(full);
  int64_t offset = 0;
  strides->assign(fs.size(), 0);
  for (size_t i = 0; i < fs.size(); ++i) {
    offset += v.begin[i] * fs[i];
    (*strides)[i] = v.step[i] * fs[i];
  }
  return offset;
}

// out = in[view], every dim.
template <typename Dev>
void sliceCopyDev(const OpContext& ctx, const TBlob& in, const TBlob& out, const SliceView& v, OpReq req,
                  const char* op) {
  std::vector<int64_t> src;
  const int64_t offset = viewStrides(in.shape, v, &src);
  if (shapeSize(v.shape) == 0) return;
  const char* base = byteAt(static_cast<const void*>(in.dptr), offset, in.dtype);
  copyStridedDev<Dev>(ctx, in.dtype, v.shape, out.dptr, contiguousStrides(v.shape), base, src, req, op);
}

// grad = zeros of the input's shape with og written into the view (added to it for kAddTo).
template <typename Dev>
void sliceScatterDev(const OpContext& ctx, const TBlob& og, const TBlob& grad, const SliceView& v,
                     OpReq req, const char* op) {
  if (req == OpReq::kNull) return;
  if (req != OpReq::kAddTo)
    DeviceMem<Dev>::zero(ctx.run.stream, grad.dptr, static_cast<size_t>(grad.size()) * dtypeSize(grad.dtype));
  if (shapeSize(v.shape) == 0) return;
  std::vector<int64_t> dst;
  const int64_t offset = viewStrides(grad.shape, v, &dst);
  char* base = byteAt(grad.dptr, offset, grad.dtype);
  copyStridedDev<Dev>(ctx, grad.dtype, v.shape, base, dst, og.dptr, contiguousStrides(v.shape),
                      req == OpReq::kAddTo ? OpReq::kAddTo : OpReq::kWriteTo, op);
}

template <typename Dev>
void sliceComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  sliceCopyDev<Dev>(ctx, in[0], out[0], sliceView(in[0].shape, attrs.get<SliceParam>()), req[0], "slice");
}

template <typename Dev>
void sliceBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                             const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  sliceScatterDev<Dev>(ctx, in[0], out[0], sliceView(in[1].shape, attrs.get<SliceParam>()), req[0],
                       "_backward_slice");
}

template <typename Dev>
void sliceAxisComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  sliceCopyDev<Dev>(ctx, in[0], out[0], sliceAxisView(in[0].shape, attrs.get<SliceAxisParam>()), req[0],
                    "slice_axis");
}

template <typename Dev>
void sliceAxisBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  sliceScatterDev<Dev>(ctx, in[0], out[0], sliceAxisView(in[1].shape, attrs.get<SliceAxisParam>()), req[0],
                       "_backward_slice_axis");
}

template <typename Dev>
void sliceLikeComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  sliceCopyDev<Dev>(ctx, in[0], out[0], sliceLikeView(in[0].shape, in[1].shape, attrs.get<SliceLikeParam>()),
                    req[0], "slice_like");
}

template <typename Dev>
void sliceLikeBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  sliceScatterDev<Dev>(ctx, in[0], out[0],
                       sliceLikeView(in[1].shape, in[0].shape, attrs.get<SliceLikeParam>()), req[0],
                       "_backward_slice_like");
}

}  // namespace mat
}  // namespace ist
