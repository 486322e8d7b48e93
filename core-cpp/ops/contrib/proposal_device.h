// _contrib_Proposal / _contrib_MultiProposal (Faster R-CNN's RPN proposal layer): parameters, shape
// rule and the device-generic compute (GPU kernel and CPU twin in proposal.cu; the CPU op runs it too).
//
// The steps follow MXNet 1.9's proposal.cc / multi_proposal.cc, per image b:
//  1. anchors: MXNet's generate_anchors (base box (0, 0, stride-1, stride-1), ratios outer, scales
//     inner, its floor/round steps), shifted by (w, h) * feature_stride; row index h*W*A + w*A + a,
//     score = the foreground probability cls_prob[b, A + a, h, w];
//  2. decode with bbox_pred (centre/size deltas, or plain corner offsets with iou_loss), clip to
//     [0, im_w - 1] x [0, im_h - 1]; positions past im_info's size / feature_stride get score -1;
//  3. boxes narrower or lower than rpn_min_size * im_info[b, 2] are widened by half of it on every
//     side and get score -1 (kept, not removed, as in MXNet);
//  4. stable sort by score, descending (MXNet's GPU stable_sort_by_key; its CPU std::sort leaves the
//     order of equal scores unspecified), keep the first rpn_pre_nms_top_n;
//  5. greedy NMS with the +1-pixel IoU: a box is dropped when its IoU with a kept, higher-ranked box is
//     > threshold; stop after rpn_post_nms_top_n kept boxes;
//  6. output row i (of rpn_post_nms_top_n per image) = kept box i, or kept box i % kept when fewer
//     survived: [b, x1, y1, x2, y2], and its score in the second (hidden unless output_score) output.
// The NMS overlaps are a bit matrix computed in parallel (as MXNet's nms_kernel) and walked per image.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "kernels/device_util.h"
#include "op/params.h"
#include "op/registry.h"
#include "op/float_tuple.h"
#include "ops/contrib/box_common_device.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace proposal {

constexpr const char* kProposal = "_contrib_Proposal";
constexpr const char* kMultiProposal = "_contrib_MultiProposal";

struct ProposalParam {
  int rpn_pre_nms_top_n = 6000;
  int rpn_post_nms_top_n = 300;
  double threshold = 0.7;  // MXNet's float; kept as written so the default prints as 0.7, narrowed in use
  int rpn_min_size = 16;
  FloatTuple scales, ratios;
  int feature_stride = 16;
  bool output_score = false;
  bool iou_loss = false;
  static void declare(ParamDecl<ProposalParam>& d) {
    d.field("rpn_pre_nms_top_n", &ProposalParam::rpn_pre_nms_top_n).setDefault(6000)
        .doc("Number of top scoring boxes to keep before applying NMS to RPN proposals (<= 0: all).");
    d.field("rpn_post_nms_top_n", &ProposalParam::rpn_post_nms_top_n).setDefault(300)
        .doc("Number of top scoring boxes to keep after applying NMS to RPN proposals (the output rows per "
             "image).");
    d.field("threshold", &ProposalParam::threshold).setDefault(0.7)
        .doc("NMS value, above which (IoU) to suppress.");
    d.field("rpn_min_size", &ProposalParam::rpn_min_size).setDefault(16)
        .doc("Minimum height or width in proposal");
    d.field("scales", &ProposalParam::scales).setDefault(FloatTuple{{4.0, 8.0, 16.0, 32.0}})
        .doc("Used to generate anchor windows by enumerating scales");
    d.field("ratios", &ProposalParam::ratios).setDefault(FloatTuple{{0.5, 1.0, 2.0}})
        .doc("Used to generate anchor windows by enumerating ratios");
    d.field("feature_stride", &ProposalParam::feature_stride).setDefault(16)
        .doc("The size of the receptive field each unit in the convolution layer of the rpn,for example the "
             "product of all stride's prior to this layer.");
    d.field("output_score", &ProposalParam::output_score).setDefault(false).doc("Add score to outputs");
    d.field("iou_loss", &ProposalParam::iou_loss).setDefault(false).doc("Usage of IoU Loss");
  }
};

// The sizes every step works with.
struct ProposalGeometry {
  int64_t n = 0, anchors = 0, height = 0, width = 0;
  int64_t count = 0;    // anchors * height * width boxes per image
  int64_t pre = 0;      // boxes kept after the sort
  int64_t post = 0;     // at most this many kept by NMS: min(rpn_post_nms_top_n, pre)
  int64_t outRows = 0;  // output rows per image: rpn_post_nms_top_n
  int64_t words = 0;    // 64-bit words of one NMS mask row
  int64_t stride = 16;
  int64_t minSize = 16;
  float threshold = 0.7f;
  bool iouLoss = false;
};

// MXNet's shape checks (made explicit); returns the geometry. multi: _contrib_MultiProposal (any
// batch), else _contrib_Proposal (batch 1 only, as MXNet's "multiple images each device" check).
inline ProposalGeometry proposalGeometry(const Shape& cls, const ProposalParam& p, bool multi) {
  const char* op = multi ? kMultiProposal : kProposal;
  IST_CHECK(!p.scales.v.empty(), op, "scales", "scales must not be empty");
  IST_CHECK(!p.ratios.v.empty(), op, "ratios", "ratios must not be empty");
  IST_CHECK(p.feature_stride >= 1, op, "feature_stride", "feature_stride must be >= 1, got " << p.feature_stride);
  IST_CHECK(p.rpn_post_nms_top_n >= 0, op, "rpn_post_nms_top_n",
            "rpn_post_nms_top_n must be >= 0, got " << p.rpn_post_nms_top_n);
  IST_CHECK(cls.size() == 4, op, "cls_prob",
            "cls_prob must be 4-D (batch, 2 * num_anchors, height, width), got shape " << shapeString(cls));
  const int64_t a = static_cast<int64_t>(p.scales.size() * p.ratios.size());
  IST_CHECK(cls[1] == 2 * a, op, "cls_prob",
            "cls_prob of shape " << shapeString(cls) << " has " << cls[1] << " channels, but " << p.ratios.size()
                                 << " ratios x " << p.scales.size() << " scales = " << a
                                 << " anchors need 2 * " << a << " = " << 2 * a);
  if (!multi)
    IST_CHECK(cls[0] == 1, op, "cls_prob",
              "Sorry, multiple images each device is not implemented: _contrib_Proposal takes batch size 1, "
              "got cls_prob of shape " << shapeString(cls) << " (use _contrib_MultiProposal)");
  ProposalGeometry g;
  g.n = cls[0];
  g.anchors = a;
  g.height = cls[2];
  g.width = cls[3];
  g.count = a * g.height * g.width;
  IST_CHECK(g.count > 0 || g.n == 0 || p.rpn_post_nms_top_n == 0, op, "cls_prob",
            "cls_prob of shape " << shapeString(cls) << " gives no anchor positions to propose from");
  g.pre = p.rpn_pre_nms_top_n > 0 ? p.rpn_pre_nms_top_n : g.count;
  if (g.pre > g.count) g.pre = g.count;
  g.post = p.rpn_post_nms_top_n < g.pre ? p.rpn_post_nms_top_n : g.pre;
  g.outRows = p.rpn_post_nms_top_n;
  g.words = (g.pre + 63) / 64;
  g.stride = p.feature_stride;
  g.minSize = p.rpn_min_size;
  g.threshold = static_cast<float>(p.threshold);
  g.iouLoss = p.iou_loss;
  return g;
}

// Checks bbox_pred and im_info against cls_prob (either may be unknown: -> filled in); returns the
// output shapes' row count.
inline int64_t proposalShapes(std::vector<Shape>& in, const ProposalParam& p, bool multi) {
  const char* op = multi ? kMultiProposal : kProposal;
  const Shape& cls = in[0];
  const ProposalGeometry g = proposalGeometry(cls, p, multi);
  const Shape bbox{cls[0], 2 * cls[1], cls[2], cls[3]};
  const Shape info{cls[0], 3};
  if (shapeIsKnown(in[1]))
    IST_CHECK(in[1] == bbox, op, "bbox_pred",
              "bbox_pred has shape " << shapeString(in[1]) << " but cls_prob of shape " << shapeString(cls)
                                     << " needs " << shapeString(bbox) << " (4 deltas per anchor)");
  else
    in[1] = bbox;
  if (shapeIsKnown(in[2]))
    IST_CHECK(in[2] == info, op, "im_info",
              "im_info has shape " << shapeString(in[2]) << " but cls_prob of shape " << shapeString(cls)
                                   << " needs " << shapeString(info) << " (height, width, scale per image)");
  else
    in[2] = info;
  return g.n * g.outRows;
}

// The A base anchors (x1, y1, x2, y2), computed in float as MXNet's GenerateAnchors does.
inline std::vector<float> baseAnchors(const ProposalParam& p) {
  std::vector<float> r;
  const float base[4] = {0.0f, 0.0f, static_cast<float>(p.feature_stride - 1.0),
                         static_cast<float>(p.feature_stride - 1.0)};
  const float w = base[2] - base[0] + 1.0f, h = base[3] - base[1] + 1.0f;
  const float xc = static_cast<float>(base[0] + 0.5 * (w - 1.0f));
  const float yc = static_cast<float>(base[1] + 0.5 * (h - 1.0f));
  const float size = w * h;
  for (size_t j = 0; j < p.ratios.size(); ++j) {
    for (size_t k = 0; k < p.scales.size(); ++k) {
      const float ratio = p.ratios[j], scale = p.scales[k];
      const float sizeRatios = std::floor(size / ratio);
      const float nw = std::floor(std::sqrt(sizeRatios) + 0.5f) * scale;
      const float nh = std::floor((nw / scale * ratio) + 0.5f) * scale;
      r.push_back(xc - 0.5f * (nw - 1.0f));
      r.push_back(yc - 0.5f * (nh - 1.0f));
      r.push_back(xc + 0.5f * (nw - 1.0f));
      r.push_back(yc + 0.5f * (nh - 1.0f));
    }
  }
  return r;
}

// std::min / std::max as MXNet calls them (a NaN first argument passes through min, max(NaN, 0) = NaN).
template <typename C> ISTX C pmin(C a, C b) { return b < a ? b : a; }
template <typename C> ISTX C pmax(C a, C b) { return a < b ? b : a; }

// The number of feature rows (or columns) an image extent covers: int(extent / stride), at least 0.
template <typename C> ISTX int64_t realExtent(C extent, int64_t stride) {
  const C q = extent / C(stride);
  return q > C(0) ? static_cast<int64_t>(q) : 0;
}

// anchors[a * 4 + k] = v[k] (one anchor; the base anchors are a handful of values made on the host).
struct SetAnchorMap {
  template <typename C>
  ISTX static void Map(int64_t k, C* anchors, int64_t a, C x1, C y1, C x2, C y2) {
    anchors[a * 4 + k] = k == 0 ? x1 : (k == 1 ? y1 : (k == 2 ? x2 : y2));
  }
};

// Steps 1-3 for box t = b * count + (h * W + w) * A + a: props[t] = (x1, y1, x2, y2, score).
struct DecodeMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t t, C* props, const C* anchors, const T* cls, const T* bbox, const T* info,
                       ProposalGeometry g) {
    const int64_t b = t / g.count, index = t % g.count;
    const int64_t a = index % g.anchors, w = (index / g.anchors) % g.width, h = index / (g.width * g.anchors);
    const int64_t A = g.anchors, H = g.height, W = g.width;
    const C x1 = anchors[a * 4 + 0] + C(w * g.stride), y1 = anchors[a * 4 + 1] + C(h * g.stride);
    const C x2 = anchors[a * 4 + 2] + C(w * g.stride), y2 = anchors[a * 4 + 3] + C(h * g.stride);
    C score = C(cls[((b * 2 * A + A + a) * H + h) * W + w]);
    const T* d = bbox + ((b * 4 * A + a * 4) * H + h) * W + w;
    const int64_t plane = H * W;
    const C d0 = C(d[0]), d1 = C(d[plane]), d2 = C(d[2 * plane]), d3 = C(d[3 * plane]);
    const C imH = C(info[b * 3]), imW = C(info[b * 3 + 1]), imScale = C(info[b * 3 + 2]);
    C px1, py1, px2, py2;
    if (g.iouLoss) {
      px1 = x1 + d0;
      py1 = y1 + d1;
      px2 = x2 + d2;
      py2 = y2 + d3;
    } else {
      const C bw = x2 - x1 + C(1), bh = y2 - y1 + C(1);
      const C cx = x1 + C(0.5) * (bw - C(1)), cy = y1 + C(0.5) * (bh - C(1));
      // Separately rounded products and sums: the GPU must not fuse them (see hostAdd).
      const C pcx = hostAdd(hostMul(d0, bw), cx), pcy = hostAdd(hostMul(d1, bh), cy);
      const C pw = hostMul(C(exp(d2)), bw), ph = hostMul(C(exp(d3)), bh);
      const C hw = hostMul(C(0.5), pw - C(1)), hh = hostMul(C(0.5), ph - C(1));
      px1 = pcx - hw;
      py1 = pcy - hh;
      px2 = pcx + hw;
      py2 = pcy + hh;
    }
    px1 = pmax(pmin(px1, imW - C(1)), C(0));
    py1 = pmax(pmin(py1, imH - C(1)), C(0));
    px2 = pmax(pmin(px2, imW - C(1)), C(0));
    py2 = pmax(pmin(py2, imH - C(1)), C(0));
    if (h >= realExtent(imH, g.stride) || w >= realExtent(imW, g.stride)) score = C(-1);
    const C minSize = C(g.minSize) * imScale;
    const C iw = px2 - px1 + C(1), ih = py2 - py1 + C(1);
    if (iw < minSize || ih < minSize) {
      const C half = minSize / C(2);
      px1 -= half;
      py1 -= half;
      px2 += half;
      py2 += half;
      score = C(-1);
    }
    C* o = props + t * 5;
    o[0] = px1;
    o[1] = py1;
    o[2] = px2;
    o[3] = py2;
    o[4] = score;
  }
};

// Sort key of a box: its score, NaN ranked last (a total order, so the sort stays a permutation).
template <typename C> ISTX C sortKey(const C* props, int64_t row) {
  const C s = props[row * 5 + 4];
  return s == s ? s : C(-INFINITY);
}

// The sort key of image b's row: its score, NaN last.
template <typename C> struct ScoreKey {
  const C* props;
  ISTX C operator()(int64_t row) const { return sortKey(props, row); }
};

// Step 4 for image b: order[b*count ..] = 0 .. count-1 stably sorted by score, descending.
struct SortMap {
  template <typename C>
  ISTX static void Map(int64_t b, int64_t* order, int64_t* tmp, const C* props, ProposalGeometry g) {
    const int64_t m = g.count;
    int64_t* o = order + b * m;
    for (int64_t i = 0; i < m; ++i) o[i] = i;
    boxes::stableSortDescending(o, tmp + b * m, m, ScoreKey<C>{props + b * m * 5});
  }
};

// ordered[b, i] = props[b, order[b, i]] for the first pre ranks. Thread t = b * pre + i.
struct GatherMap {
  template <typename C>
  ISTX static void Map(int64_t t, C* ordered, const C* props, const int64_t* order, ProposalGeometry g) {
    const int64_t b = t / g.pre, i = t % g.pre;
    const C* s = props + (b * g.count + order[b * g.count + i]) * 5;
    for (int k = 0; k < 5; ++k) ordered[t * 5 + k] = s[k];
  }
};

// Bit (j % 64) of mask[b, i, j / 64] = box j (> i) overlaps box i by more than threshold, with MXNet's
// +1-pixel IoU. Thread t = (b, i, word).
struct OverlapMaskMap {
  template <typename C>
  ISTX static void Map(int64_t t, uint64_t* mask, const C* ordered, ProposalGeometry g) {
    const int64_t wd = t % g.words, i = (t / g.words) % g.pre, b = t / (g.words * g.pre);
    const C* bi = ordered + (b * g.pre + i) * 5;
    const C areaI = hostMul(bi[2] - bi[0] + C(1), bi[3] - bi[1] + C(1));
    uint64_t bits = 0;
    const int64_t lo = wd * 64 > i + 1 ? wd * 64 : i + 1, hi = wd * 64 + 64 < g.pre ? wd * 64 + 64 : g.pre;
    for (int64_t j = lo; j < hi; ++j) {
      const C* bj = ordered + (b * g.pre + j) * 5;
      const C areaJ = hostMul(bj[2] - bj[0] + C(1), bj[3] - bj[1] + C(1));
      const C xx1 = pmax(bi[0], bj[0]), yy1 = pmax(bi[1], bj[1]);
      const C xx2 = pmin(bi[2], bj[2]), yy2 = pmin(bi[3], bj[3]);
      const C w = pmax(C(0), xx2 - xx1 + C(1)), h = pmax(C(0), yy2 - yy1 + C(1));
      const C inter = hostMul(w, h);
      const C ovr = inter / (hostAdd(areaI, areaJ) - inter);
      if (ovr > C(g.threshold)) bits |= uint64_t(1) << (j - wd * 64);
    }
    mask[t] = bits;
  }
};

// Step 5 for image b: walk the ranks, keeping each box no kept box suppressed, until post are kept.
// removed (words per image) starts zeroed.
struct NmsWalkMap {
  ISTX static void Map(int64_t b, int64_t* keep, int64_t* kept, uint64_t* removed, const uint64_t* mask,
                       ProposalGeometry g) {
    uint64_t* rm = removed + b * g.words;
    int64_t k = 0;
    for (int64_t i = 0; i < g.pre && k < g.post; ++i) {
      if ((rm[i / 64] >> (i % 64)) & 1) continue;
      keep[b * g.post + k++] = i;
      const uint64_t* row = mask + (b * g.pre + i) * g.words;
      for (int64_t w = i / 64; w < g.words; ++w) rm[w] |= row[w];
    }
    kept[b] = k;
  }
};

// Step 6: output row t = b * outRows + i from kept box i (cycling when fewer were kept).
struct OutputMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t t, T* out, T* score, const C* ordered, const int64_t* keep, const int64_t* kept,
                       ProposalGeometry g) {
    const int64_t b = t / g.outRows, i = t % g.outRows, k = kept[b];
    const int64_t src = keep[b * g.post + (i < k ? i : i % k)];
    const C* r = ordered + (b * g.pre + src) * 5;
    out[t * 5] = T(C(b));
    for (int c = 0; c < 4; ++c) out[t * 5 + 1 + c] = T(r[c]);
    if (score) score[t] = T(r[4]);
  }
};

// im_info's rows checked on the host: finite, and within the feature map (MXNet's CHECK_GE(height,
// real_height) / (width, real_width)).
template <typename T>
void checkImInfo(const std::vector<T>& info, const ProposalGeometry& g, const char* op) {
  for (int64_t b = 0; b < g.n; ++b) {
    const T h = info[b * 3], w = info[b * 3 + 1], s = info[b * 3 + 2];
    IST_CHECK(std::isfinite(static_cast<double>(h)) && std::isfinite(static_cast<double>(w)) &&
                  std::isfinite(static_cast<double>(s)),
              op, "im_info", "im_info[" << b << "] = (" << h << ", " << w << ", " << s << ") must be finite");
    const T qh = h / T(g.stride), qw = w / T(g.stride);
    IST_CHECK(qh < T(g.height + 1), op, "im_info",
              "im_info[" << b << "] gives image height " << h << ", i.e. " << std::floor(static_cast<double>(qh))
                         << " rows at feature_stride " << g.stride << ", but cls_prob has only " << g.height
                         << " rows");
    IST_CHECK(qw < T(g.width + 1), op, "im_info",
              "im_info[" << b << "] gives image width " << w << ", i.e. " << std::floor(static_cast<double>(qw))
                         << " columns at feature_stride " << g.stride << ", but cls_prob has only " << g.width
                         << " columns");
  }
}

template <typename T, typename Dev>
void proposalTyped(const OpContext& ctx, const ProposalParam& p, const ProposalGeometry& g, const std::vector<TBlob>& in,
                   T* out, T* score, const char* op) {
  using C = dnd::CT<T>;
  void* s = ctx.run.stream;
  const T* cls = in[0].data<T>();
  const T* bbox = in[1].data<T>();
  const T* info = in[2].data<T>();
  std::vector<T> hostInfo(static_cast<size_t>(g.n * 3));
  DeviceMem<Dev>::toHost(s, hostInfo.data(), info, hostInfo.size() * sizeof(T));
  checkImInfo(hostInfo, g, op);

  ScratchLayout lay;
  const size_t oAnchors = lay.add<C>(g.anchors * 4), oProps = lay.add<C>(g.n * g.count * 5),
               oOrder = lay.add<int64_t>(g.n * g.count), oTmp = lay.add<int64_t>(g.n * g.count),
               oOrdered = lay.add<C>(g.n * g.pre * 5), oMask = lay.add<uint64_t>(g.n * g.pre * g.words),
               oRemoved = lay.add<uint64_t>(g.n * g.words), oKeep = lay.add<int64_t>(g.n * g.post),
               oKept = lay.add<int64_t>(g.n);
  TempSpace<Dev> tmp(s, lay.bytes());
  C* anchors = ScratchLayout::at<C>(tmp.get(), oAnchors);
  C* props = ScratchLayout::at<C>(tmp.get(), oProps);
  int64_t* order = ScratchLayout::at<int64_t>(tmp.get(), oOrder);
  int64_t* work = ScratchLayout::at<int64_t>(tmp.get(), oTmp);
  C* ordered = ScratchLayout::at<C>(tmp.get(), oOrdered);
  uint64_t* mask = ScratchLayout::at<uint64_t>(tmp.get(), oMask);
  uint64_t* removed = ScratchLayout::at<uint64_t>(tmp.get(), oRemoved);
  int64_t* keep = ScratchLayout::at<int64_t>(tmp.get(), oKeep);
  int64_t* kept = ScratchLayout::at<int64_t>(tmp.get(), oKept);

  const std::vector<float> base = baseAnchors(p);
  for (int64_t a = 0; a < g.anchors; ++a)
    DeviceKernel<SetAnchorMap, Dev>::launch(s, 4, 1, anchors, a, C(base[a * 4]), C(base[a * 4 + 1]),
                                            C(base[a * 4 + 2]), C(base[a * 4 + 3]));
  DeviceKernel<DecodeMap, Dev>::launch(s, g.n * g.count, 40, props, static_cast<const C*>(anchors), cls, bbox, info,
                                       g);
  DeviceKernel<SortMap, Dev>::launch(s, g.n, g.count * 32, order, work, static_cast<const C*>(props), g);
  DeviceKernel<GatherMap, Dev>::launch(s, g.n * g.pre, 5, ordered, static_cast<const C*>(props),
                                       static_cast<const int64_t*>(order), g);
  DeviceKernel<OverlapMaskMap, Dev>::launch(s, g.n * g.pre * g.words, 64 * 12, mask, static_cast<const C*>(ordered),
                                            g);
  DeviceMem<Dev>::zero(s, removed, static_cast<size_t>(g.n * g.words) * sizeof(uint64_t));
  DeviceKernel<NmsWalkMap, Dev>::launch(s, g.n, g.pre * 4, keep, kept, removed, static_cast<const uint64_t*>(mask),
                                        g);
  DeviceKernel<OutputMap, Dev>::launch(s, g.n * g.outRows, 8, out, score, static_cast<const C*>(ordered),
                                       static_cast<const int64_t*>(keep), static_cast<const int64_t*>(kept), g);
}

// (cls_prob, bbox_pred, im_info) -> (output rois, score).
template <bool Multi, typename Dev>
void proposalDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = Multi ? kMultiProposal : kProposal;
  const auto& p = attrs.get<ProposalParam>();
  const ProposalGeometry g = proposalGeometry(in[0].shape, p, Multi);
  IST_CHECK(req[0] != OpReq::kAddTo && req[1] != OpReq::kAddTo, op, "output",
            "adding into the outputs (kAddTo) is not supported");
  if ((req[0] == OpReq::kNull && req[1] == OpReq::kNull) || g.n == 0 || g.outRows == 0) return;
  if (in[0].dtype == DType::kFloat32) {
    proposalTyped<float, Dev>(ctx, p, g, in, out[0].data<float>(),
                              req[1] == OpReq::kNull ? nullptr : out[1].data<float>(), op);
  } else if (in[0].dtype == DType::kFloat64) {
    proposalTyped<double, Dev>(ctx, p, g, in, out[0].data<double>(),
                               req[1] == OpReq::kNull ? nullptr : out[1].data<double>(), op);
  } else {
    throwError(op, "cls_prob", std::string("cls_prob must be float32 or float64, got ") + dtypeName(in[0].dtype));
  }
}

}  // namespace proposal
}  // namespace ist
