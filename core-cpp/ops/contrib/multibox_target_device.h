// _contrib_MultiBoxTarget: its parameters and shape rule (shared with multibox_target.cc) and the
// device-generic compute (GPU kernels and CPU twins, attached in multibox_target.cu).
//
// The steps follow MXNet 1.9's CPU MultiBoxTargetForward, per batch:
//  1. IoU of every anchor with every label box (0 where the union is 0), kept in the data dtype.
//  2. the valid labels are the rows before the first one with class -1 (whose other 4 fields must be
//     -1 too).
//  3. bipartite matching: repeatedly the best (IoU > 1e-6) unmatched anchor / unmatched label pair,
//     the first in (anchor, label) order on ties, becomes positive.
//  4. with overlap_threshold > 0, every other anchor's best label (first of equal maxima) is recorded,
//     and the anchor becomes positive when that IoU > overlap_threshold.
//  5. with negative_mining_ratio > 0: floor(num_positive * ratio) negatives (at most the non-positive
//     anchors) are the anchors with best IoU < negative_mining_thresh and the lowest background
//     softmax probability (stable: equal ones in anchor order); too few candidates is an error, as in
//     MXNet. Otherwise every non-positive anchor is negative.
//  6. positives: cls_target = label class + 1, loc_mask 1, loc_target the box encoded against the
//     anchor with the variances (float arithmetic); negatives: cls_target 0; the rest keep
//     cls_target = ignore_label; loc_target and loc_mask are 0 elsewhere. A batch without valid labels
//     is all ignore_label. minimum_negative_samples is accepted and, as in MXNet 1.9, not used.
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
namespace mboxtarget {

constexpr const char* kOp = "_contrib_MultiBoxTarget";

struct MultiBoxTargetParam {
  float overlap_threshold = 0.5f;
  float ignore_label = -1.f;
  float negative_mining_ratio = -1.f;
  float negative_mining_thresh = 0.5f;
  int minimum_negative_samples = 0;
  FloatTuple variances;
  static void declare(ParamDecl<MultiBoxTargetParam>& d) {
    d.field("overlap_threshold", &MultiBoxTargetParam::overlap_threshold).setDefault(0.5f)
        .doc("Anchor-GT overlap threshold to be regarded as a positive match.");
    d.field("ignore_label", &MultiBoxTargetParam::ignore_label).setDefault(-1.0f).doc("Label for ignored anchors.");
    d.field("negative_mining_ratio", &MultiBoxTargetParam::negative_mining_ratio).setDefault(-1.0f)
        .doc("Max negative to positive samples ratio, use -1 to disable mining");
    d.field("negative_mining_thresh", &MultiBoxTargetParam::negative_mining_thresh).setDefault(0.5f)
        .doc("Threshold used for negative mining.");
    d.field("minimum_negative_samples", &MultiBoxTargetParam::minimum_negative_samples).setDefault(0)
        .doc("Minimum number of negative samples (accepted and unused, as in MXNet 1.9).");
    d.field("variances", &MultiBoxTargetParam::variances).setDefault(FloatTuple{{0.1, 0.1, 0.2, 0.2}})
        .doc("Variances to be encoded in box regression target.");
  }
};

// MXNet's shape checks (plus matching batch sizes and, when mining, at least one class, which MXNet
// reads without checking); returns {loc_target, loc_mask, cls_target} shapes.
inline std::vector<Shape> targetShapes(const Shape& a, const Shape& l, const Shape& c, const MultiBoxTargetParam& p) {
  IST_CHECK(a.size() == 3, kOp, "anchor",
            "Anchor should be batch shared N*4 tensor (1, num_anchors, 4), got shape " << shapeString(a));
  IST_CHECK(a[0] == 1, kOp, "anchor",
            "Anchors are shared across batches, first dimension should be 1, got shape " << shapeString(a));
  IST_CHECK(a[1] > 0, kOp, "anchor", "Number boxes should be greater than 0, got shape " << shapeString(a));
  IST_CHECK(a[2] == 4, kOp, "anchor",
            "Box dimension should be 4: [xmin, ymin, xmax, ymax], got shape " << shapeString(a));
  IST_CHECK(l.size() == 3, kOp, "label",
            "Label should be [batch, num_labels, label_width] tensor, got shape " << shapeString(l));
  IST_CHECK(l[1] > 0, kOp, "label", "Padded label should be greater than 0, got shape " << shapeString(l));
  IST_CHECK(l[2] >= 5, kOp, "label",
            "Label width should be greater than or equal to 5, got shape " << shapeString(l));
  IST_CHECK(c.size() == 3, kOp, "cls_pred",
            "Prediction: [batch, num_classes, num_anchors], got shape " << shapeString(c));
  IST_CHECK(c[2] == a[1], kOp, "cls_pred",
            "Number of anchors mismatch: cls_pred has shape " << shapeString(c) << " and anchor " << shapeString(a));
  IST_CHECK(c[0] == l[0], kOp, "cls_pred",
            "batch size mismatch: cls_pred has shape " << shapeString(c) << " and label " << shapeString(l));
  if (p.negative_mining_ratio > 0)
    IST_CHECK(c[1] > 0, kOp, "cls_pred",
              "negative mining needs at least one class in cls_pred, got shape " << shapeString(c));
  IST_CHECK(p.variances.size() == 4, kOp, "variances", "variances must have 4 entries, got " << p.variances.size());
  return {Shape{l[0], a[1] * 4}, Shape{l[0], a[1] * 4}, Shape{l[0], a[1]}};
}

struct TargetGeometry {
  int64_t batches = 0, n = 0, labels = 0, width = 0, classes = 0;
  float overlap = 0, ignore = 0, ratio = 0, mineThresh = 0, vx = 0, vy = 0, vw = 0, vh = 0;
};

// Thread t = (batch, anchor, label): IoU in T (MXNet's safe_divide: 0 over a zero union), as float.
struct OverlapMap {
  template <typename T>
  ISTX static void Map(int64_t t, float* ov, const T* anchor, const T* label, TargetGeometry g) {
    using C = dnd::CT<T>;
    const int64_t k = t % g.labels, j = (t / g.labels) % g.n, b = t / (g.labels * g.n);
    const T* a = anchor + j * 4;
    const T* l = label + (b * g.labels + k) * g.width + 1;
    const C l1 = C(a[0]), t1 = C(a[1]), r1 = C(a[2]), b1 = C(a[3]);
    const C l2 = C(l[0]), t2 = C(l[1]), r2 = C(l[2]), b2 = C(l[3]);
    const C wr = r1 < r2 ? r1 : r2, wl = l1 > l2 ? l1 : l2;
    const C hb = b1 < b2 ? b1 : b2, ht = t1 > t2 ? t1 : t2;
    const C w = wr - wl > C(0) ? wr - wl : C(0);
    const C h = hb - ht > C(0) ? hb - ht : C(0);
    const T inter = T(w * h);
    const T uni = T((r1 - l1) * (b1 - t1) + (r2 - l2) * (b2 - t2) - C(inter));
    const T iou = C(uni) == C(0) ? T(C(0)) : T(C(inter) / C(uni));
    ov[t] = float(C(iou));
  }
};

struct Scratch {
  float* ov;          // (B, N, L) IoUs
  float* matchIou;    // (B, N), -1 = none
  int32_t* matchGt;   // (B, N), -1 = none
  int32_t* flags;     // (B, N): 1 positive, 0 negative, -1 ignored
  int32_t* gtFlags;   // (B, L)
  float* key;         // (B, N) mining sort keys
  int32_t* idx;       // (B, N) mining candidates
  int32_t* work;      // (B, N) merge buffer
  int64_t* err;       // (B): 0 fine, 1 malformed padding row, 2 too few negative candidates
};

// Per batch b, sequential (MXNet's loops): matching, mining and the targets. Outputs were filled
// beforehand (loc_target 0, loc_mask 0, cls_target ignore_label).
struct MatchMap {
  template <typename T>
  ISTX static void Map(int64_t b, T* locT, T* locM, T* clsT, const T* anchor, const T* label, const T* cls,
                       Scratch sc, TargetGeometry g) {
    using C = dnd::CT<T>;
    const T* lb = label + b * g.labels * g.width;
    const float* ov = sc.ov + b * g.n * g.labels;
    int64_t valid = 0;
    for (int64_t i = 0; i < g.labels; ++i) {
      const T* row = lb + i * g.width;
      if (float(C(row[0])) == -1.0f) {
        for (int k = 1; k < 5; ++k)
          if (float(C(row[k])) != -1.0f) sc.err[b] = 1;
        break;
      }
      ++valid;
    }
    if (sc.err[b] != 0 || valid == 0) return;
    float* mIou = sc.matchIou + b * g.n;
    int32_t* mGt = sc.matchGt + b * g.n;
    int32_t* flags = sc.flags + b * g.n;
    int32_t* gtf = sc.gtFlags + b * g.labels;
    for (int64_t j = 0; j < g.n; ++j) {
      mIou[j] = -1.0f;
      mGt[j] = -1;
      flags[j] = -1;
    }
    for (int64_t k = 0; k < valid; ++k) gtf[k] = 0;
    int64_t positive = 0;
    // 3. bipartite matching
    for (;;) {
      bool open = false;
      for (int64_t k = 0; k < valid; ++k) open = open || gtf[k] == 0;
      if (!open) break;
      int64_t bestA = -1, bestG = -1;
      float best = 1e-6f;
      for (int64_t j = 0; j < g.n; ++j) {
        if (flags[j] == 1) continue;
        for (int64_t k = 0; k < valid; ++k) {
          if (gtf[k]) continue;
          const float iou = ov[j * g.labels + k];
          if (iou > best) {
            bestA = j;
            bestG = k;
            best = iou;
          }
        }
      }
      if (bestA < 0) break;
      mIou[bestA] = best;
      mGt[bestA] = static_cast<int32_t>(bestG);
      ++positive;
      gtf[bestG] = 1;
      flags[bestA] = 1;
    }
    // 4. threshold matching
    if (g.overlap > 0) {
      for (int64_t j = 0; j < g.n; ++j) {
        if (flags[j] == 1) continue;
        int64_t bg = -1;
        float mx = -1.0f;
        for (int64_t k = 0; k < valid; ++k) {
          const float iou = ov[j * g.labels + k];
          if (iou > mx) {
            bg = k;
            mx = iou;
          }
        }
        if (bg != -1) {
          mIou[j] = mx;
          mGt[j] = static_cast<int32_t>(bg);
          if (mx > g.overlap) {
            ++positive;
            gtf[bg] = 1;
            flags[j] = 1;
          }
        }
      }
    }
    // 5. negatives
    if (g.ratio > 0) {
      int64_t negative = static_cast<int64_t>(static_cast<int>(positive * g.ratio));
      if (negative > g.n - positive) negative = g.n - positive;
      if (negative > 0) {
        const T* pc = cls + b * g.classes * g.n;
        float* key = sc.key + b * g.n;
        int32_t* src = sc.idx + b * g.n;
        int32_t* dst = sc.work + b * g.n;
        int64_t m = 0;
        for (int64_t j = 0; j < g.n; ++j) {
          if (flags[j] == 1) continue;
          if (mIou[j] < 0) {
            int64_t bg = -1;
            float mx = -1.0f;
            for (int64_t k = 0; k < valid; ++k) {
              const float iou = ov[j * g.labels + k];
              if (iou > mx) {
                bg = k;
                mx = iou;
              }
            }
            if (bg != -1) {
              mIou[j] = mx;
              mGt[j] = static_cast<int32_t>(bg);
            }
          }
          if (mIou[j] < g.mineThresh && flags[j] == -1) {
            C mv = C(pc[j]);
            for (int64_t k = 1; k < g.classes; ++k) {
              const C v = C(pc[j + g.n * k]);
              if (v > mv) mv = v;
            }
            C sum = C(0);
            for (int64_t k = 0; k < g.classes; ++k) sum = C(T(sum + C(T(exp(C(pc[j + g.n * k]) - mv)))));
            const C prob = C(T(C(T(exp(C(pc[j]) - mv))) / sum));
            key[j] = float(-prob);
            src[m++] = static_cast<int32_t>(j);
          }
        }
        if (m < negative) {
          sc.err[b] = 2;
          return;
        }
        // Stable sort by key, descending (the lowest background probability first).
        for (int64_t run = 1; run < m; run *= 2) {
          for (int64_t lo = 0; lo < m; lo += 2 * run) {
            const int64_t mid = lo + run < m ? lo + run : m, hi = lo + 2 * run < m ? lo + 2 * run : m;
            int64_t i = lo, jj = mid, k = lo;
            while (i < mid && jj < hi) dst[k++] = key[src[jj]] > key[src[i]] ? src[jj++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (jj < hi) dst[k++] = src[jj++];
          }
          int32_t* t = src;
          src = dst;
          dst = t;
        }
        for (int64_t i = 0; i < negative; ++i) flags[src[i]] = 0;
      }
    } else {
      for (int64_t j = 0; j < g.n; ++j)
        if (flags[j] != 1) flags[j] = 0;
    }
    // 6. targets
    for (int64_t j = 0; j < g.n; ++j) {
      const int64_t o = b * g.n + j;
      if (flags[j] == 1) {
        const T* gt = lb + g.width * mGt[j];
        clsT[o] = T(C(gt[0]) + C(1));
        for (int k = 0; k < 4; ++k) locM[o * 4 + k] = T(C(1));
        const T* an = anchor + j * 4;
        const float al = float(C(an[0])), at = float(C(an[1])), ar = float(C(an[2])), ab = float(C(an[3]));
        const float aw = ar - al, ah = ab - at;
        const float ax = (al + ar) * 0.5f, ay = (at + ab) * 0.5f;
        const float gl = float(C(gt[1])), gtp = float(C(gt[2])), gr = float(C(gt[3])), gb = float(C(gt[4]));
        const float gw = gr - gl, gh = gb - gtp;
        const float gx = (gl + gr) * 0.5f, gy = (gtp + gb) * 0.5f;
        locT[o * 4] = T(C((gx - ax) / aw / g.vx));
        locT[o * 4 + 1] = T(C((gy - ay) / ah / g.vy));
        locT[o * 4 + 2] = T(C(logf(gw / aw) / g.vw));
        locT[o * 4 + 3] = T(C(logf(gh / ah) / g.vh));
      } else if (flags[j] == 0) {
        clsT[o] = T(C(0));
      }
    }
  }
};

struct FillMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* p, T v) { p[i] = v; }
};

// (anchor, label, cls_pred) -> (loc_target, loc_mask, cls_target).
template <typename Dev>
void multiBoxTargetDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<MultiBoxTargetParam>();
  targetShapes(in[0].shape, in[1].shape, in[2].shape, p);
  for (int i = 0; i < 3; ++i)
    IST_CHECK(req[i] != OpReq::kAddTo, kOp, "output", "adding into the outputs (kAddTo) is not supported");
  TargetGeometry g;
  g.batches = in[1].shape[0];
  g.n = in[0].shape[1];
  g.labels = in[1].shape[1];
  g.width = in[1].shape[2];
  g.classes = in[2].shape[1];
  g.overlap = p.overlap_threshold;
  g.ignore = p.ignore_label;
  g.ratio = p.negative_mining_ratio;
  g.mineThresh = p.negative_mining_thresh;
  g.vx = p.variances[0];
  g.vy = p.variances[1];
  g.vw = p.variances[2];
  g.vh = p.variances[3];
  if (g.ratio > 0)
    IST_CHECK(g.mineThresh > 0, kOp, "negative_mining_thresh",
              "must be > 0 when negative_mining_ratio > 0, got " << p.negative_mining_thresh);
  if (g.batches == 0) return;
  void* s = ctx.run.stream;
  const int64_t rows = g.batches * g.n;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    using C = dnd::CT<T>;
    T* locT = out[0].data<T>();
    T* locM = out[1].data<T>();
    T* clsT = out[2].data<T>();
    DeviceKernel<FillMap, Dev>::launch(s, rows * 4, 1, locT, T(C(0)));
    DeviceKernel<FillMap, Dev>::launch(s, rows * 4, 1, locM, T(C(0)));
    DeviceKernel<FillMap, Dev>::launch(s, rows, 1, clsT, T(C(p.ignore_label)));
    ScratchLayout lay;
    const size_t oOv = lay.add<float>(rows * g.labels), oMi = lay.add<float>(rows), oMg = lay.add<int32_t>(rows),
                 oFl = lay.add<int32_t>(rows), oGf = lay.add<int32_t>(g.batches * g.labels),
                 oKey = lay.add<float>(rows), oIdx = lay.add<int32_t>(rows), oWork = lay.add<int32_t>(rows),
                 oErr = lay.add<int64_t>(g.batches);
    TempSpace<Dev> tmp(s, lay.bytes());
    void* base = tmp.get();
    Scratch sc{ScratchLayout::at<float>(base, oOv),    ScratchLayout::at<float>(base, oMi),
               ScratchLayout::at<int32_t>(base, oMg),  ScratchLayout::at<int32_t>(base, oFl),
               ScratchLayout::at<int32_t>(base, oGf),  ScratchLayout::at<float>(base, oKey),
               ScratchLayout::at<int32_t>(base, oIdx), ScratchLayout::at<int32_t>(base, oWork),
               ScratchLayout::at<int64_t>(base, oErr)};
    DeviceMem<Dev>::zero(s, sc.err, static_cast<size_t>(g.batches) * sizeof(int64_t));
    DeviceKernel<OverlapMap, Dev>::launch(s, rows * g.labels, 24, sc.ov, in[0].data<T>(), in[1].data<T>(), g);
    DeviceKernel<MatchMap, Dev>::launch(s, g.batches, g.n * g.labels * 8, locT, locM, clsT, in[0].data<T>(),
                                        in[1].data<T>(), in[2].data<T>(), sc, g);
    std::vector<int64_t> err(static_cast<size_t>(g.batches));
    DeviceMem<Dev>::toHost(s, err.data(), sc.err, err.size() * sizeof(int64_t));
    for (int64_t b = 0; b < g.batches; ++b) {
      IST_CHECK(err[b] != 1, kOp, "label",
                "batch " << b << ": a padding label row (class -1) must have all of its first 5 values -1");
      IST_CHECK(err[b] != 2, kOp, "cls_pred",
                "batch " << b << ": fewer negative-mining candidates (best IoU < negative_mining_thresh) than the "
                         << "negatives requested by negative_mining_ratio");
    }
  });
}

}  // namespace mboxtarget
}  // namespace ist
