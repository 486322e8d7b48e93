// tile / repeat and their gradients: params and geometry (shared with tile.cc) and the
// device-generic computes (GPU kernels and their CPU twins, attached in matrix.cu).
#pragma once
#include <algorithm>
#include <optional>
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/strided_copy_device.h"

namespace ist {
namespace mat {

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
inline void tileAligned(const Shape& s, const Shape& reps, Shape* in, Shape* r) {
  const size_t nd = std::max(s.size(), reps.size());
  in->assign(nd - s.size(), 1);
  in->insert(in->end(), s.begin(), s.end());
  r->assign(nd - reps.size(), 1);
  r->insert(r->end(), reps.begin(), reps.end());
}

// tile's output viewed as (r0, a0, r1, a1, ...): stride 0 over each r_i, the input's stride over a_i.
inline void tileCopyView(const Shape& s, const Shape& reps, Shape* view, std::vector<int64_t>* src) {
  Shape a, r;
  tileAligned(s, reps, &a, &r);
  const std::vector<int64_t> as = contiguousStrides(a);
  for (size_t i = 0; i < a.size(); ++i) {
    view->push_back(r[i]);
    src->push_back(0);
    view->push_back(a[i]);
    src->push_back(as[i]);
  }
}

// The same view for tile's gradient, with the repetition dims (summed over) marked in mask.
inline void tileSumView(const Shape& s, const Shape& reps, Shape* view, std::vector<bool>* mask) {
  Shape a, r;
  tileAligned(s, reps, &a, &r);
  for (size_t i = 0; i < a.size(); ++i) {
    view->push_back(r[i]);
    mask->push_back(true);
    view->push_back(a[i]);
    mask->push_back(false);
  }
}

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
inline void repeatGeometry(const Shape& s, const RepeatParam& p, int64_t* outer, int64_t* n, int64_t* inner,
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

// repeat's output viewed as (outer, n, repeats, inner) around the repeated axis; src gets the
// input's strides over it (it does not move over `repeats`).
inline Shape repeatView(const Shape& s, const RepeatParam& p, std::vector<int64_t>* src) {
  int64_t outer, n, inner;
  int axis;
  repeatGeometry(s, p, &outer, &n, &inner, &axis);
  if (src) *src = {n * inner, inner, 0, 1};
  return Shape{outer, n, static_cast<int64_t>(p.repeats), inner};
}

template <typename Dev>
void tileComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  Shape view;
  std::vector<int64_t> src;
  tileCopyView(in[0].shape, attrs.get<TileParam>().reps, &view, &src);
  copyStridedDev<Dev>(ctx, in[0].dtype, view, out[0].dptr, contiguousStrides(view), in[0].dptr, src, req[0],
                      "tile");
}

template <typename Dev>
void tileBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                            const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  Shape view;
  std::vector<bool> mask;
  tileSumView(in[1].shape, attrs.get<TileParam>().reps, &view, &mask);
  sumViewDev<Dev>(ctx, in[0], out[0], view, mask, req[0], "_backward_tile");
}

template <typename Dev>
void repeatComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  std::vector<int64_t> src;
  const Shape view = repeatView(in[0].shape, attrs.get<RepeatParam>(), &src);
  copyStridedDev<Dev>(ctx, in[0].dtype, view, out[0].dptr, contiguousStrides(view), in[0].dptr, src, req[0],
                      "repeat");
}

template <typename Dev>
void repeatBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                              const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  sumViewDev<Dev>(ctx, in[0], out[0], repeatView(in[1].shape, attrs.get<RepeatParam>(), nullptr),
                  {false, false, true, false}, req[0], "_backward_repeat");
}

}  // namespace mat
}  // namespace ist
