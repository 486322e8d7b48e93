// Repetition: tile (whole array repeated along each axis) and repeat (each element repeated),
// both strided copies whose source strides are 0 along the repeated axes.
#include <algorithm>
#include <optional>
#include <string>
#include "base/error.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"

namespace ist {
namespace {

// ---- tile ----

struct TileParam {
  Shape reps;
  static void declare(ParamDecl<TileParam>& d) {
    d.field("reps", &TileParam::reps)
        .doc("The number of times to repeat the array along each axis. With d = len(reps), the "
             "result has max(d, a.ndim) dims: a is promoted by prepending axes of size 1, or reps "
             "by prepending 1s.");
  }
};

// Input and reps aligned to the same rank (both padded with leading 1s).
void tileAligned(const Shape& s, const Shape& reps, Shape* in, Shape* r) {
  const size_t nd = std::max(s.size(), reps.size());
  in->assign(nd - s.size(), 1);
  in->insert(in->end(), s.begin(), s.end());
  r->assign(nd - reps.size(), 1);
  r->insert(r->end(), reps.begin(), reps.end());
}

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
  Shape a, r;
  tileAligned(in[0].shape, attrs.get<TileParam>().reps, &a, &r);
  // Output viewed as (r0, a0, r1, a1, ...): stride 0 over each r_i, the input's stride over a_i.
  const std::vector<int64_t> as = contiguousStrides(a);
  Shape view;
  std::vector<int64_t> src;
  for (size_t i = 0; i < a.size(); ++i) {
    view.push_back(r[i]);
    src.push_back(0);
    view.push_back(a[i]);
    src.push_back(as[i]);
  }
  copyStrided(in[0].dtype, view, out[0].dptr, contiguousStrides(view), in[0].dptr, src, req[0], "tile");
}

IST_REGISTER_OP(tile)
    .describe("Repeats the whole array `reps` times along each axis.")
    .inputs({"data"})
    .params<TileParam>()
    .inferShape(tileShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, tileCompute);

// ---- repeat ----

struct RepeatParam {
  int repeats = 1;
  std::optional<int> axis;
  static void declare(ParamDecl<RepeatParam>& d) {
    d.field("repeats", &RepeatParam::repeats).doc("The number of repetitions for each element.");
    d.field("axis", &RepeatParam::axis)
        .setDefault(std::nullopt)
        .doc("The axis along which to repeat values (negative counts from the end). By default the "
             "input is flattened and a flat array returned.");
  }
};

// The input as (outer, n, inner) around the repeated axis (the flattened array when axis is None).
void repeatGeometry(const Shape& s, const RepeatParam& p, int64_t* outer, int64_t* n, int64_t* inner,
                    int* axisOut) {
  IST_CHECK(p.repeats >= 0, "repeat", "repeats", "repeats cannot be negative, got " << p.repeats);
  *outer = 1;
  *inner = 1;
  if (!p.axis) {
    *n = shapeSize(s);
    *axisOut = -1;
    return;
  }
  const int axis = normalizeAxis(*p.axis, static_cast<int>(s.size()), "repeat", "axis");
  for (int i = 0; i < axis; ++i) *outer *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i) *inner *= s[i];
  *n = s[axis];
  *axisOut = axis;
}

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
  const auto& p = attrs.get<RepeatParam>();
  int64_t outer, n, inner;
  int axis;
  repeatGeometry(in[0].shape, p, &outer, &n, &inner, &axis);
  // Output viewed as (outer, n, repeats, inner); the source does not move over `repeats`.
  const Shape view{outer, n, static_cast<int64_t>(p.repeats), inner};
  copyStrided(in[0].dtype, view, out[0].dptr, contiguousStrides(view), in[0].dptr,
              {n * inner, inner, 0, 1}, req[0], "repeat");
}

IST_REGISTER_OP(repeat)
    .describe("Repeats each element `repeats` times along `axis` (of the flattened array when axis "
              "is None).")
    .inputs({"data"})
    .params<RepeatParam>()
    .inferShape(repeatShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, repeatCompute);

}  // namespace
}  // namespace ist
