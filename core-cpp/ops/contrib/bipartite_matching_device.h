// _contrib_bipartite_matching (MXNet 1.9): params, shape rule and the device-generic compute (GPU
// kernel and CPU twin attached in bipartite_matching.cu; the CPU op runs it too).
//
// Per batch item (one thread each, as MXNet's kernel): the N * M scores sorted stably by score,
// descending (ascending with is_ascend; equal scores keep their row-major order, as MXNet's stable
// SortByKey), then walked greedily: a pair whose row and column are both free is matched when its
// score is > threshold (< threshold with is_ascend), and the walk stops at the first free pair that
// fails it. As in MXNet the walk stops only once the match count exceeds topk (topk > 0), so it makes
// topk + 1 matches at most. row marker (..., N) = the matched column or -1; column marker (..., M) = the
// matched row or -1. NaN scores sort last.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/contrib/box_common_device.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace bipartite_dev {

constexpr const char* kOp = "_contrib_bipartite_matching";

struct BipartiteMatchingParam {
  bool is_ascend = false;
  float threshold = 0;
  int topk = -1;
  static void declare(ParamDecl<BipartiteMatchingParam>& d) {
    d.field("is_ascend", &BipartiteMatchingParam::is_ascend).setDefault(false)
        .doc("Use ascend order for scores instead of descending. Please set threshold accordingly.");
    d.field("threshold", &BipartiteMatchingParam::threshold)
        .doc("Ignore matching when score < thresh, if is_ascend=false, or ignore score > thresh, if "
             "is_ascend=true.");
    d.field("topk", &BipartiteMatchingParam::topk).setDefault(-1)
        .doc("Limit the number of matches to topk, set -1 for no limit");
  }
};

// Checks data (..., N, M); returns the two marker shapes.
inline std::vector<Shape> matchingShapes(const Shape& d) {
  IST_CHECK(d.size() >= 2, kOp, "data",
            "the score matrix data must have at least 2 dimensions (..., N, M), got shape " << shapeString(d));
  Shape rows(d.begin(), d.end() - 1), cols = rows;
  cols.back() = d.back();
  return {rows, cols};
}

// The descending sort key of a pair: its score (negated with is_ascend), NaN last.
template <typename T> struct MatchKey {
  const T* score;
  bool ascend;
  ISTX dnd::CT<T> operator()(int64_t i) const {
    using C = dnd::CT<T>;
    const C v = C(score[i]);
    if (v != v) return C(-INFINITY);
    return ascend ? -v : v;
  }
};

// Thread b = one batch item: sort its pairs into order (scratch tmp), then the greedy walk.
struct MatchMap {
  template <typename T>
  ISTX static void Map(int64_t b, T* rowm, T* colm, int64_t* order, int64_t* tmp, const T* x, int64_t n, int64_t m,
                       float threshold, bool ascend, int topk) {
    using C = dnd::CT<T>;
    const int64_t s = n * m;
    const T* sc = x + b * s;
    int64_t* o = order + b * s;
    T* rm = rowm + b * n;
    T* cm = colm + b * m;
    for (int64_t r = 0; r < n; ++r) rm[r] = T(C(-1));
    for (int64_t c = 0; c < m; ++c) cm[c] = T(C(-1));
    for (int64_t i = 0; i < s; ++i) o[i] = i;
    boxes::stableSortDescending(o, tmp + b * s, s, MatchKey<T>{sc, ascend});
    const C thr = C(threshold);
    int64_t count = 0;
    for (int64_t j = 0; j < s; ++j) {
      const int64_t idx = o[j], r = idx / m, c = idx % m;
      if (!(C(rm[r]) == C(-1) && C(cm[c]) == C(-1))) continue;
      const C v = C(sc[idx]);
      if (!(ascend ? v < thr : v > thr)) break;  // the rest scores worse
      rm[r] = T(C(c));
      cm[c] = T(C(r));
      if (topk > 0 && ++count > topk) break;
    }
  }
};

// (data) -> (row marker, column marker).
template <typename Dev>
void matchingDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<BipartiteMatchingParam>();
  matchingShapes(in[0].shape);
  IST_CHECK(req[0] != OpReq::kAddTo && req[1] != OpReq::kAddTo, kOp, "output",
            "adding into the outputs (kAddTo) is not supported");
  const Shape& d = in[0].shape;
  const int64_t n = d[d.size() - 2], m = d.back();
  const int64_t batches = n * m > 0 ? in[0].size() / (n * m) : shapeSize(Shape(d.begin(), d.end() - 2));
  if (batches == 0 || (n == 0 && m == 0)) return;
  void* s = ctx.run.stream;
  const int64_t pairs = batches * n * m;
  ScratchLayout lay;
  const size_t oOrder = lay.add<int64_t>(pairs), oTmp = lay.add<int64_t>(pairs);
  TempSpace<Dev> tmp(s, lay.bytes());
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    // Markers of a kNull output go to scratch: the kernel writes both.
    ScratchLayout spareLay;
    const size_t oR = spareLay.add<T>(batches * n), oC = spareLay.add<T>(batches * m);
    TempSpace<Dev> spare(s, spareLay.bytes());
    T* rm = req[0] == OpReq::kNull ? ScratchLayout::at<T>(spare.get(), oR) : out[0].data<T>();
    T* cm = req[1] == OpReq::kNull ? ScratchLayout::at<T>(spare.get(), oC) : out[1].data<T>();
    DeviceKernel<MatchMap, Dev>::launch(s, batches, (n * m + 1) * 24, rm, cm, ScratchLayout::at<int64_t>(tmp.get(), oOrder),
                                        ScratchLayout::at<int64_t>(tmp.get(), oTmp), in[0].data<T>(), n, m,
                                        p.threshold, p.is_ascend, p.topk);
  });
}

}  // namespace bipartite_dev
}  // namespace ist
