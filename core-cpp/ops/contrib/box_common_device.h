// Box geometry shared by _contrib_box_iou and _contrib_box_nms (MXNet's bounding_box-common.h
// rules): the overlap of two boxes along one axis and a box's area, in "corner" or "center" format;
// and the stable per-thread index sort of box_nms, Proposal and bipartite_matching.
#pragma once
#include <cstdint>
#include <string>
#include "kernels/device.h"

namespace ist {
namespace boxes {

enum BoxFormat : int { kCorner = 0, kCenter = 1 };

inline int boxFormat(const std::string& s) { return s == "center" ? kCenter : kCorner; }

// Overlap along one axis of boxes a and b (a[0], a[2] are that axis' start and end in corner format,
// its centre and size in center format); never negative.
template <typename C>
ISTX C intersect1d(const C* a, const C* b, int fmt) {
  C left, right;
  if (fmt == kCorner) {
    left = a[0] > b[0] ? a[0] : b[0];
    right = a[2] < b[2] ? a[2] : b[2];
  } else {
    const C aw = a[2] / C(2), bw = b[2] / C(2);
    const C al = a[0] - aw, ar = a[0] + aw, bl = b[0] - bw, br = b[0] + bw;
    left = bl > al ? bl : al;
    right = br < ar ? br : ar;
  }
  const C w = right - left;
  return w > C(0) ? w : C(0);
}

// Width times height, 0 for a box with a negative side.
template <typename C>
ISTX C boxArea(const C* b, int fmt) {
  const C w = fmt == kCorner ? b[2] - b[0] : b[2];
  const C h = fmt == kCorner ? b[3] - b[1] : b[3];
  return (w < C(0) || h < C(0)) ? C(0) : w * h;
}

// The 4 coordinates at p, widened to the compute type.
template <typename C, typename T>
ISTX void loadBox(C* dst, const T* p) {
  for (int k = 0; k < 4; ++k) dst[k] = C(p[k]);
}

// Sorts order[0, m) in place by key(order[i]), descending and stable (equal keys keep their order, as
// MXNet's stable SortByKey), with a bottom-up merge sort through scratch (m entries). One device thread
// runs it; key must give a total order (map NaN to -inf) so the result stays a permutation.
template <typename Key>
ISTX void stableSortDescending(int64_t* order, int64_t* scratch, int64_t m, const Key& key) {
  int64_t* src = order;
  int64_t* dst = scratch;
  for (int64_t run = 1; run < m; run *= 2) {
    for (int64_t lo = 0; lo < m; lo += 2 * run) {
      const int64_t mid = lo + run < m ? lo + run : m, hi = lo + 2 * run < m ? lo + 2 * run : m;
      int64_t i = lo, j = mid, k = lo;
      // Only a strictly greater right key jumps ahead: ties keep the left (earlier) run first.
      while (i < mid && j < hi) dst[k++] = key(src[j]) > key(src[i]) ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    int64_t* t = src;
    src = dst;
    dst = t;
  }
  if (src != order)
    for (int64_t i = 0; i < m; ++i) order[i] = src[i];
}

}  // namespace boxes
}  // namespace ist
