// _contrib_box_nms: its parameters and shape rule (shared with box_nms.cc) and the device-generic
// computes of it and of _backward_contrib_box_nms (GPU kernels and CPU twins, attached in box_nms.cu).
//
// The steps follow MXNet 1.9's BoxNMSForward: per batch, keep the boxes with score > valid_thresh
// (and, with id_index >= 0, class id != background_id), stable-sort them by score, descending (equal
// scores keep their input order, as MXNet's stable SortByKey does), run NMS over the first topk of
// them (a box is dropped when its IoU with a kept, higher-ranked box of the same class, or of any
// class with force_suppress, is > overlap_thresh), and write the kept boxes first, the rest -1. The
// hidden second output records, per output row, the flat input row (batch * num_box + box) it came
// from, or -1; the backward scatters out_grad's rows back through it.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/contrib/box_common_device.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace boxnms {

constexpr const char* kOp = "_contrib_box_nms";

struct BoxNMSParam {
  float overlap_thresh = 0.5f;
  float valid_thresh = 0;
  int topk = -1;
  int coord_start = 2;
  int score_index = 1;
  int id_index = -1;
  int background_id = -1;
  bool force_suppress = false;
  std::string in_format, out_format;
  static void declare(ParamDecl<BoxNMSParam>& d) {
    d.field("overlap_thresh", &BoxNMSParam::overlap_thresh).setDefault(0.5f)
        .doc("Overlapping(IoU) threshold to suppress object with smaller score.");
    d.field("valid_thresh", &BoxNMSParam::valid_thresh).setDefault(0.0f)
        .doc("Filter input boxes to those whose scores greater than valid_thresh.");
    d.field("topk", &BoxNMSParam::topk).setDefault(-1)
        .doc("Apply nms to topk boxes with descending scores, -1 to no restriction.");
    d.field("coord_start", &BoxNMSParam::coord_start).setDefault(2)
        .doc("Start index of the consecutive 4 coordinates.");
    d.field("score_index", &BoxNMSParam::score_index).setDefault(1).doc("Index of the scores/confidence of boxes.");
    d.field("id_index", &BoxNMSParam::id_index).setDefault(-1)
        .doc("Optional, index of the class categories, -1 to disable.");
    d.field("background_id", &BoxNMSParam::background_id).setDefault(-1)
        .doc("Optional, id of the background class which will be ignored in nms.");
    d.field("force_suppress", &BoxNMSParam::force_suppress).setDefault(false)
        .doc("Optional, if set false and id_index is provided, nms will only apply to boxes belongs to "
             "the same category");
    d.field("in_format", &BoxNMSParam::in_format).setDefault("corner").values({"corner", "center"})
        .doc("The input box encoding type. \n \"corner\" means boxes are encoded as [xmin, ymin, xmax, ymax], "
             "\"center\" means boxes are encodes as [x, y, width, height].");
    d.field("out_format", &BoxNMSParam::out_format).setDefault("corner").values({"corner", "center"})
        .doc("The output box encoding type. \n \"corner\" means boxes are encoded as [xmin, ymin, xmax, ymax], "
             "\"center\" means boxes are encodes as [x, y, width, height].");
  }
};

// MXNet's BoxNMSShape checks; returns the hidden record's shape (data's with the last dim 1).
inline Shape boxNmsCheck(const Shape& s, const BoxNMSParam& p) {
  IST_CHECK(s.size() >= 2, kOp, "data",
            "data must have at least 2 dimensions (..., num_box, box_width), got shape " << shapeString(s));
  const int64_t width = s.back();
  const int64_t expected = p.id_index >= 0 ? 6 : 5;
  IST_CHECK(width >= expected, kOp, "data",
            "the last dimension of data (shape " << shapeString(s) << ") must have at least " << expected
                << " elements (score, 4 coordinates" << (p.id_index >= 0 ? ", class id" : "") << ")");
  const int cs = p.coord_start, ce = p.coord_start + 3;
  IST_CHECK(p.score_index >= 0 && p.score_index < width, kOp, "score_index",
            "score_index " << p.score_index << " is out of range [0, " << width << ") for data of shape "
                           << shapeString(s));
  IST_CHECK(cs >= 0 && ce < width, kOp, "coord_start",
            "coordinates [" << cs << ", " << ce << "] are out of range [0, " << width << ") for data of shape "
                            << shapeString(s));
  IST_CHECK(p.score_index < cs || p.score_index > ce, kOp, "score_index",
            "score_index " << p.score_index << " overlaps the coordinates [" << cs << ", " << ce << "]");
  if (p.id_index >= 0) {
    IST_CHECK(p.id_index < width, kOp, "id_index",
              "id_index " << p.id_index << " is out of range [0, " << width << ") for data of shape "
                          << shapeString(s));
    IST_CHECK(p.id_index < cs || p.id_index > ce, kOp, "id_index",
              "id_index " << p.id_index << " overlaps the coordinates [" << cs << ", " << ce << "]");
    IST_CHECK(p.id_index != p.score_index, kOp, "id_index",
              "id_index " << p.id_index << " is the same as score_index");
  }
  Shape r = s;
  r.back() = 1;
  return r;
}

struct NmsGeometry {
  int64_t batches = 1, n = 0, width = 0;
  int64_t topk = 0;  // per batch, min(n, topk) or n
  int score, coord, id, fmt;
  int64_t background;
  bool force;
  float overlap;
};

inline NmsGeometry nmsGeometry(const Shape& s, const BoxNMSParam& p) {
  boxNmsCheck(s, p);
  NmsGeometry g;
  for (size_t i = 0; i + 2 < s.size(); ++i) g.batches *= s[i];
  g.n = s[s.size() - 2];
  g.width = s.back();
  g.topk = p.topk < 0 ? g.n : std::min<int64_t>(g.n, p.topk);
  g.score = p.score_index;
  g.coord = p.coord_start;
  g.id = p.id_index;
  g.fmt = boxes::boxFormat(p.in_format);
  g.background = p.background_id;
  g.force = p.force_suppress;
  g.overlap = p.overlap_thresh;
  return g;
}

// The sort key of a flat row: its score in the compute type.
template <typename T> struct RowScoreKey {
  const T* x;
  int64_t width, score;
  ISTX dnd::CT<T> operator()(int64_t row) const { return dnd::CT<T>(x[row * width + score]); }
};

// Per batch b: order[b*n .. b*n + count[b]) = the valid boxes' flat rows, stably sorted by score
// (descending).
struct SortValidMap {
  template <typename T>
  ISTX static void Map(int64_t b, int64_t* order, int64_t* tmp, int64_t* count, const T* x, NmsGeometry g,
                       T validThresh, T background) {
    using C = dnd::CT<T>;
    int64_t* o = order + b * g.n;
    int64_t m = 0;
    for (int64_t i = 0; i < g.n; ++i) {
      const T* row = x + (b * g.n + i) * g.width;
      bool ok = C(row[g.score]) > C(validThresh);
      if (g.id >= 0) ok = ok && C(row[g.id]) != C(background);
      if (ok) o[m++] = b * g.n + i;
    }
    count[b] = m;
    boxes::stableSortDescending(o, tmp + b * g.n, m, RowScoreKey<T>{x, g.width, g.score});
  }
};

// One reference position `ref` of every batch against the later candidates (MXNet's nms_impl): a
// candidate still alive is suppressed (order entry set to -1) when the reference is alive, of the same
// class unless forced, and their IoU exceeds overlap_thresh. Thread t = (batch, candidate).
struct SuppressMap {
  template <typename T>
  ISTX static void Map(int64_t t, int64_t* order, const int64_t* count, const T* x, NmsGeometry g, int64_t ref,
                       int64_t workers) {
    using C = dnd::CT<T>;
    const int64_t b = t / workers, pos = t % workers + ref + 1;
    const int64_t limit = count[b] < g.topk ? count[b] : g.topk;
    if (ref >= limit || pos >= limit) return;
    int64_t* o = order + b * g.n;
    if (o[ref] < 0 || o[pos] < 0) return;
    const T* rr = x + o[ref] * g.width;
    const T* pr = x + o[pos] * g.width;
    if (!g.force && g.id >= 0 && dnd::truncInt64(double(C(rr[g.id]))) != dnd::truncInt64(double(C(pr[g.id]))))
      return;
    C a[4], c[4];
    boxes::loadBox(a, rr + g.coord);
    boxes::loadBox(c, pr + g.coord);
    const C inter = boxes::intersect1d(a, c, g.fmt) * boxes::intersect1d(a + 1, c + 1, g.fmt);
    const C iou = inter / (boxes::boxArea(a, g.fmt) + boxes::boxArea(c, g.fmt) - inter);
    if (iou > C(g.overlap)) o[pos] = -1;
  }
};

// Per batch: out rows = the surviving candidates in rank order, then -1; record = their flat input rows.
// out and record were filled with -1 beforehand.
struct AssignMap {
  template <typename T>
  ISTX static void Map(int64_t b, T* out, T* record, const T* x, const int64_t* order, const int64_t* count,
                       NmsGeometry g) {
    const int64_t limit = count[b] < g.topk ? count[b] : g.topk;
    int64_t k = 0;
    for (int64_t j = 0; j < limit; ++j) {
      const int64_t src = order[b * g.n + j];
      if (src < 0) continue;
      const int64_t dst = b * g.n + k;
      for (int64_t c = 0; c < g.width; ++c) out[dst * g.width + c] = x[src * g.width + c];
      record[dst] = T(dnd::CT<T>(src));
      ++k;
    }
  }
};

// MXNet's corner_to_center / center_to_corner on every output row, skipping rows whose first
// coordinate is negative (the -1 fill; MXNet skips real boxes with a negative first coordinate too).
struct ConvertMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, NmsGeometry g, bool toCenter) {
    using C = dnd::CT<T>;
    T* p = out + i * g.width + g.coord;
    if (C(p[0]) < C(0)) return;
    const C a = C(p[0]), b = C(p[1]), c = C(p[2]), d = C(p[3]);
    if (toCenter) {
      p[0] = T((a + c) / C(2));
      p[1] = T((b + d) / C(2));
      p[2] = T(c - a);
      p[3] = T(d - b);
    } else {
      const C hw = c / C(2), hh = d / C(2);
      p[0] = T(a - hw);
      p[1] = T(b - hh);
      p[2] = T(a + hw);
      p[3] = T(b + hh);
    }
  }
};

struct FillMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* p, T v) { p[i] = v; }
};

struct RangeMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* p) { p[i] = T(dnd::CT<T>(i)); }
};

// (data) -> (out, record).
template <typename Dev>
void boxNmsDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<BoxNMSParam>();
  const NmsGeometry g = nmsGeometry(in[0].shape, p);
  IST_CHECK(req[0] != OpReq::kAddTo && req[1] != OpReq::kAddTo, kOp, "output",
            "adding into the outputs (kAddTo) is not supported");
  void* s = ctx.run.stream;
  const int64_t rows = g.batches * g.n;
  if (rows == 0) return;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    T* y = out[0].data<T>();
    T* rec = out[1].data<T>();
    const T* x = in[0].data<T>();
    if (g.topk < 1) {  // MXNet: out = data, record = 0, 1, 2, ...
      DeviceMem<Dev>::copy(s, y, x, static_cast<size_t>(in[0].size()) * sizeof(T));
      DeviceKernel<RangeMap, Dev>::launch(s, rows, 1, rec);
      return;
    }
    ScratchLayout lay;
    const size_t oOrder = lay.add<int64_t>(rows), oTmp = lay.add<int64_t>(rows), oCount = lay.add<int64_t>(g.batches);
    TempSpace<Dev> tmp(s, lay.bytes());
    int64_t* order = ScratchLayout::at<int64_t>(tmp.get(), oOrder);
    int64_t* work = ScratchLayout::at<int64_t>(tmp.get(), oTmp);
    int64_t* count = ScratchLayout::at<int64_t>(tmp.get(), oCount);
    DeviceKernel<SortValidMap, Dev>::launch(s, g.batches, g.n * 8, order, work, count, x, g,
                                            T(dnd::CT<T>(p.valid_thresh)), T(dnd::CT<T>(p.background_id)));
    for (int64_t ref = 0; ref + 1 < g.topk; ++ref) {
      const int64_t workers = g.topk - ref - 1;
      DeviceKernel<SuppressMap, Dev>::launch(s, g.batches * workers, 16, order, static_cast<const int64_t*>(count), x,
                                             g, ref, workers);
    }
    DeviceKernel<FillMap, Dev>::launch(s, out[0].size(), 1, y, T(dnd::CT<T>(-1)));
    DeviceKernel<FillMap, Dev>::launch(s, rows, 1, rec, T(dnd::CT<T>(-1)));
    DeviceKernel<AssignMap, Dev>::launch(s, g.batches, g.topk * g.width, y, rec, x,
                                         static_cast<const int64_t*>(order), static_cast<const int64_t*>(count), g);
    const int outFmt = boxes::boxFormat(p.out_format);
    if (outFmt != g.fmt) DeviceKernel<ConvertMap, Dev>::launch(s, rows, 4, y, g, outFmt == boxes::kCenter);
  });
}

// in_grad[record[i]] row = out_grad row i (rows never recorded get 0). Thread t = one element.
struct ScatterBackMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* dx, const T* og, const T* record, int64_t width, bool add) {
    using C = dnd::CT<T>;
    const int64_t i = t / width, c = t % width;
    const double r = double(C(record[i]));
    if (!(r >= 0)) return;
    T& d = dx[dnd::truncInt64(r) * width + c];
    d = add ? T(C(d) + C(og[t])) : og[t];
  }
};

// (out_grad, output, record) -> data's shape.
template <typename Dev>
void boxNmsBackwardDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  if (req[0] != OpReq::kAddTo) dnd::zeroBlob<Dev>(ctx, out[0]);
  if (out[0].size() == 0) return;
  const int64_t width = out[0].shape.back();
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, T, "_backward_contrib_box_nms", {
    DeviceKernel<ScatterBackMap, Dev>::launch(ctx.run.stream, out[0].size(), 2, out[0].data<T>(), in[0].data<T>(),
                                              in[2].data<T>(), width, req[0] == OpReq::kAddTo);
  });
}

}  // namespace boxnms
}  // namespace ist
