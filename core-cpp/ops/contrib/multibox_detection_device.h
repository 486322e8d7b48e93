// _contrib_MultiBoxDetection: its parameters and shape rule (shared with multibox_detection.cc) and
// the device-generic compute (GPU kernels and CPU twins, attached in multibox_detection.cu).
//
// The steps follow MXNet 1.9's CPU MultiBoxDetectionForward, per batch:
//  1. per anchor, the best class j >= 1 (first of equal maxima; scores start at -1), reset to
//     background when its score < threshold; the box decoded from loc_pred with the variances
//     (centre offsets scaled by the anchor size, exp of the size terms), clamped to [0, 1] with clip.
//  2. the non-background anchors' rows [class - 1, score, x1, y1, x2, y2] written first, in anchor
//     order; every other output value is -1.
//  3. unless there are none or nms_threshold is outside (0, 1] (then the rows stay unsorted), the
//     valid rows are stably sorted by score, descending (equal scores keep anchor order); with
//     0 < nms_topk < valid count only the first nms_topk sorted rows are written back, and the rows
//     from nms_topk to the valid count keep their unsorted contents with class -1 (as MXNet leaves them).
//  4. greedy NMS over the first nkeep rows: a row is suppressed (class set to -1, other fields kept)
//     when its IoU with a kept higher-ranked row of the same class (any class with force_suppress) is
//     >= nms_threshold.
// background_id is accepted and, as in MXNet 1.9, not used: class 0 is always the background.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/contrib/multibox_params.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace mboxdet {

constexpr const char* kOp = "_contrib_MultiBoxDetection";

struct MultiBoxDetectionParam {
  bool clip = true;
  float threshold = 0.01f;
  int background_id = 0;
  float nms_threshold = 0.5f;
  bool force_suppress = false;
  FloatTuple variances;
  int nms_topk = -1;
  static void declare(ParamDecl<MultiBoxDetectionParam>& d) {
    d.field("clip", &MultiBoxDetectionParam::clip).setDefault(true).doc("Clip out-of-boundary boxes.");
    d.field("threshold", &MultiBoxDetectionParam::threshold).setDefault(0.01f)
        .doc("Threshold to be a positive prediction.");
    d.field("background_id", &MultiBoxDetectionParam::background_id).setDefault(0)
        .doc("Background id (accepted and unused, as in MXNet 1.9: class 0 is the background).");
    d.field("nms_threshold", &MultiBoxDetectionParam::nms_threshold).setDefault(0.5f)
        .doc("Non-maximum suppression threshold.");
    d.field("force_suppress", &MultiBoxDetectionParam::force_suppress).setDefault(false)
        .doc("Suppress all detections regardless of class_id.");
    d.field("variances", &MultiBoxDetectionParam::variances)
        .setDefault(FloatTuple{{0.1, 0.1, 0.2, 0.2}})
        .doc("Variances to be decoded from box regression output.");
    d.field("nms_topk", &MultiBoxDetectionParam::nms_topk).setDefault(-1)
        .doc("Keep maximum top k detections before nms, -1 for no limit.");
  }
};

// MXNet's shape checks (plus matching batch sizes and a non-empty anchor batch, which MXNet reads
// without checking); returns the output shape (batch, num_anchors, 6).
inline Shape detectionShape(const Shape& c, const Shape& l, const Shape& a, const MultiBoxDetectionParam& p) {
  IST_CHECK(c.size() == 3, kOp, "cls_prob",
            "cls_prob must be 3-D (batch, num_classes, num_anchors), got shape " << shapeString(c));
  IST_CHECK(l.size() == 2, kOp, "loc_pred",
            "loc_pred must be 2-D (batch, num_anchors * 4), got shape " << shapeString(l));
  IST_CHECK(a.size() == 3, kOp, "anchor", "anchor must be 3-D (1, num_anchors, 4), got shape " << shapeString(a));
  IST_CHECK(a[2] == 4, kOp, "anchor", "anchor's last dimension must be 4, got shape " << shapeString(a));
  IST_CHECK(a[1] > 0, kOp, "anchor", "the number of anchors must be > 0, got shape " << shapeString(a));
  IST_CHECK(a[0] > 0, kOp, "anchor", "anchor's first dimension must be > 0, got shape " << shapeString(a));
  IST_CHECK(c[2] == a[1], kOp, "cls_prob",
            "number of anchors mismatch: cls_prob has shape " << shapeString(c) << " and anchor "
                                                                << shapeString(a));
  IST_CHECK(l[1] == c[2] * 4, kOp, "loc_pred",
            "# anchors mismatch with # loc: loc_pred has shape " << shapeString(l) << " but cls_prob has "
                                                                 << shapeString(c) << " (needs num_anchors * 4)");
  IST_CHECK(l[0] == c[0], kOp, "loc_pred",
            "batch size mismatch: loc_pred has shape " << shapeString(l) << " and cls_prob " << shapeString(c));
  IST_CHECK(p.variances.size() == 4, kOp, "variances", "Variance size must be 4, got " << p.variances.size());
  return Shape{c[0], a[1], 6};
}

struct DetGeometry {
  int64_t batches = 0, classes = 0, n = 0;
  float threshold = 0, nmsThreshold = 0, vx = 0, vy = 0, vw = 0, vh = 0;
  bool clip = true, force = false, sort = true;
  int topk = -1;
};

// Thread t = (batch, anchor): dec row [class - 1, score, x1, y1, x2, y2] (class -1: background).
struct DecodeMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* dec, const T* cls, const T* loc, const T* anchor, DetGeometry g) {
    using C = dnd::CT<T>;
    const int64_t b = t / g.n, i = t % g.n;
    const T* pc = cls + b * g.classes * g.n;
    C score = C(-1);
    int64_t id = 0;
    for (int64_t j = 1; j < g.classes; ++j) {
      const C v = C(pc[j * g.n + i]);
      if (v > score) {
        score = v;
        id = j;
      }
    }
    if (id > 0 && score < C(g.threshold)) id = 0;
    const T* an = anchor + i * 4;
    const T* lp = loc + (b * g.n + i) * 4;
    const C al = C(an[0]), at = C(an[1]), ar = C(an[2]), ab = C(an[3]);
    const C aw = ar - al, ah = ab - at;
    const C ax = (al + ar) / C(2), ay = (at + ab) / C(2);
    const C ox = C(lp[0]) * C(g.vx) * aw + ax;
    const C oy = C(lp[1]) * C(g.vy) * ah + ay;
    const C ow = C(exp(C(lp[2]) * C(g.vw))) * aw / C(2);
    const C oh = C(exp(C(lp[3]) * C(g.vh))) * ah / C(2);
    const C v[4] = {ox - ow, oy - oh, ox + ow, oy + oh};
    T* row = dec + t * 6;
    row[0] = T(C(id - 1));
    row[1] = T(score);
    for (int k = 0; k < 4; ++k) {
      C x = v[k];
      if (g.clip) x = x < C(0) ? C(0) : (x > C(1) ? C(1) : x);
      row[2 + k] = T(x);
    }
  }
};

// Per batch b: compact[b*n ..] = the valid anchors in anchor order, sorted[b*n ..] = them stably
// sorted by score (descending; bottom-up merge sort through work), count[b] = how many, keep[b] =
// the rows NMS runs over (0 when not sorting). Writes the output rows (out was filled with -1).
struct OrderMap {
  template <typename T>
  ISTX static void Map(int64_t b, T* out, const T* dec, int64_t* compact, int64_t* sorted, int64_t* work,
                       int64_t* keep, DetGeometry g) {
    using C = dnd::CT<T>;
    int64_t* cp = compact + b * g.n;
    int64_t m = 0;
    for (int64_t i = 0; i < g.n; ++i)
      if (C(dec[(b * g.n + i) * 6]) >= C(0)) cp[m++] = b * g.n + i;
    T* o = out + b * g.n * 6;
    if (m < 1 || !g.sort) {
      for (int64_t k = 0; k < m; ++k)
        for (int c = 0; c < 6; ++c) o[k * 6 + c] = dec[cp[k] * 6 + c];
      keep[b] = 0;
      return;
    }
    int64_t* src = sorted + b * g.n;
    int64_t* dst = work + b * g.n;
    for (int64_t k = 0; k < m; ++k) src[k] = cp[k];
    for (int64_t run = 1; run < m; run *= 2) {
      for (int64_t lo = 0; lo < m; lo += 2 * run) {
        const int64_t mid = lo + run < m ? lo + run : m, hi = lo + 2 * run < m ? lo + 2 * run : m;
        int64_t i = lo, j = mid, k = lo;
        while (i < mid && j < hi) {
          const C si = C(dec[src[i] * 6 + 1]), sj = C(dec[src[j] * 6 + 1]);
          dst[k++] = sj > si ? src[j++] : src[i++];  // ties: the earlier run first (stable)
        }
        while (i < mid) dst[k++] = src[i++];
        while (j < hi) dst[k++] = src[j++];
      }
      int64_t* t = src;
      src = dst;
      dst = t;
    }
    const int64_t nkeep = (g.topk > 0 && g.topk < m) ? g.topk : m;
    for (int64_t k = 0; k < nkeep; ++k)
      for (int c = 0; c < 6; ++c) o[k * 6 + c] = dec[src[k] * 6 + c];
    for (int64_t k = nkeep; k < m; ++k) {  // MXNet: marked -1, the unsorted row left in place
      o[k * 6] = T(C(-1));
      for (int c = 1; c < 6; ++c) o[k * 6 + c] = dec[cp[k] * 6 + c];
    }
    keep[b] = nkeep;
  }
};

// One reference row `ref` of every batch against the later rows (MXNet's greedy loop, whose inner
// loop only changes rows after ref): thread t = (batch, candidate).
struct SuppressMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* out, const int64_t* keep, DetGeometry g, int64_t ref, int64_t workers) {
    using C = dnd::CT<T>;
    const int64_t b = t / workers, pos = t % workers + ref + 1;
    if (ref >= keep[b] || pos >= keep[b]) return;
    const T* a = out + (b * g.n + ref) * 6;
    T* r = out + (b * g.n + pos) * 6;
    const C ca = C(a[0]), cr = C(r[0]);
    if (ca < C(0) || cr < C(0)) return;
    if (!g.force && !(ca == cr)) return;
    const C a0 = C(a[2]), a1 = C(a[3]), a2 = C(a[4]), a3 = C(a[5]);
    const C b0 = C(r[2]), b1 = C(r[3]), b2 = C(r[4]), b3 = C(r[5]);
    const C wl = a0 > b0 ? a0 : b0, wr = a2 < b2 ? a2 : b2;
    const C ht = a1 > b1 ? a1 : b1, hb = a3 < b3 ? a3 : b3;
    const C w = wr - wl > C(0) ? wr - wl : C(0);
    const C h = hb - ht > C(0) ? hb - ht : C(0);
    const C inter = w * h;
    const C u = (a2 - a0) * (a3 - a1) + (b2 - b0) * (b3 - b1) - inter;
    const C iou = u <= C(0) ? C(0) : inter / u;
    if (iou >= C(g.nmsThreshold)) r[0] = T(C(-1));
  }
};

struct FillMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* p, T v) { p[i] = v; }
};

// (cls_prob, loc_pred, anchor) -> out.
template <typename Dev>
void multiBoxDetectionDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<MultiBoxDetectionParam>();
  const Shape os = detectionShape(in[0].shape, in[1].shape, in[2].shape, p);
  IST_CHECK(req[0] != OpReq::kAddTo, kOp, "output", "adding into the output (kAddTo) is not supported");
  if (req[0] == OpReq::kNull) return;
  DetGeometry g;
  g.batches = os[0];
  g.classes = in[0].shape[1];
  g.n = os[1];
  g.threshold = p.threshold;
  g.nmsThreshold = p.nms_threshold;
  g.vx = p.variances[0];
  g.vy = p.variances[1];
  g.vw = p.variances[2];
  g.vh = p.variances[3];
  g.clip = p.clip;
  g.force = p.force_suppress;
  g.sort = !(p.nms_threshold <= 0 || p.nms_threshold > 1);
  g.topk = p.nms_topk;
  const int64_t rows = g.batches * g.n;
  if (rows == 0) return;
  void* s = ctx.run.stream;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    T* y = out[0].data<T>();
    ScratchLayout lay;
    const size_t oDec = lay.add<T>(rows * 6), oCompact = lay.add<int64_t>(rows), oSorted = lay.add<int64_t>(rows),
                 oWork = lay.add<int64_t>(rows), oKeep = lay.add<int64_t>(g.batches);
    TempSpace<Dev> tmp(s, lay.bytes());
    T* dec = ScratchLayout::at<T>(tmp.get(), oDec);
    int64_t* compact = ScratchLayout::at<int64_t>(tmp.get(), oCompact);
    int64_t* sorted = ScratchLayout::at<int64_t>(tmp.get(), oSorted);
    int64_t* work = ScratchLayout::at<int64_t>(tmp.get(), oWork);
    int64_t* keep = ScratchLayout::at<int64_t>(tmp.get(), oKeep);
    DeviceKernel<DecodeMap, Dev>::launch(s, rows, 32 + g.classes, dec, in[0].data<T>(), in[1].data<T>(),
                                         in[2].data<T>(), g);
    DeviceKernel<FillMap, Dev>::launch(s, rows * 6, 1, y, T(dnd::CT<T>(-1)));
    DeviceKernel<OrderMap, Dev>::launch(s, g.batches, g.n * 16, y, static_cast<const T*>(dec), compact, sorted,
                                        work, keep, g);
    // keep[b] <= min(n, nms_topk) bounds the reference rows.
    const int64_t limit = (g.topk > 0 && g.topk < g.n) ? g.topk : g.n;
    if (g.sort)
      for (int64_t ref = 0; ref + 1 < limit; ++ref) {
        const int64_t workers = limit - ref - 1;
        DeviceKernel<SuppressMap, Dev>::launch(s, g.batches * workers, 16, y, static_cast<const int64_t*>(keep), g,
                                               ref, workers);
      }
  });
}

}  // namespace mboxdet
}  // namespace ist
