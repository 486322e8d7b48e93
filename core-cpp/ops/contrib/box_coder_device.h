// _contrib_box_encode / _contrib_box_decode (MXNet 1.9's normalized centre-offset box coder): params,
// shape rules and the device-generic computes (GPU kernels and CPU twins attached in box_coder.cu;
// the CPU ops run them too). One thread per box.
//
// encode: for box i of batch b with samples[b, i] > 0.5, ref = refs[b, matches[b, i]] and anchor =
//   anchors[b, i] (both corner boxes), targets = ((ref_x - a_x) / a_w - means[0]) / stds[0],
//   ((ref_y - a_y) / a_h - means[1]) / stds[1], (log(ref_w / a_w) - means[2]) / stds[2],
//   (log(ref_h / a_h) - means[3]) / stds[3] and masks = 1; other boxes get targets 0 and masks 0.
//   MXNet reads refs out of bounds for a bad match; here a positive sample's match outside [0, M) is
//   an error (negative and ignored samples never read theirs).
// decode: for box i of batch b, with anchor = anchors[0, i] as centre (x, y, w, h) (converted from
//   corner with format='corner'): x = d0 * std0 * w + ax, y = d1 * std1 * h + ay, dw = d2 * std2,
//   dh = d3 * std3 (each first clipped to `clip` when clip > 0), out = corners of the box centred at
//   (x, y) of size (exp(dw) * w, exp(dh) * h). MXNet reads the anchors of batch 0 only.
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
#include "ops/contrib/box_common_device.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace box_coder_dev {

constexpr const char* kEnc = "_contrib_box_encode";
constexpr const char* kDec = "_contrib_box_decode";

struct BoxDecodeParam {
  float std0 = 1, std1 = 1, std2 = 1, std3 = 1, clip = -1;
  std::string format;
  static void declare(ParamDecl<BoxDecodeParam>& d) {
    d.field("std0", &BoxDecodeParam::std0).setDefault(1.0f).doc("value to be divided from the 1st encoded values");
    d.field("std1", &BoxDecodeParam::std1).setDefault(1.0f).doc("value to be divided from the 2nd encoded values");
    d.field("std2", &BoxDecodeParam::std2).setDefault(1.0f).doc("value to be divided from the 3rd encoded values");
    d.field("std3", &BoxDecodeParam::std3).setDefault(1.0f).doc("value to be divided from the 4th encoded values");
    d.field("clip", &BoxDecodeParam::clip).setDefault(-1.0f)
        .doc("If larger than 0, bounding box target will be clipped to this value.");
    d.field("format", &BoxDecodeParam::format).setDefault("center").values({"corner", "center"})
        .doc("The box encoding type. \n \"corner\" means boxes are encoded as [xmin, ymin, xmax, ymax], "
             "\"center\" means boxes are encodes as [x, y, width, height].");
  }
};

inline bool isBoxes(const Shape& s) { return s.size() == 3 && s[2] == 4; }

// Checks the known input shapes of box_encode against each other; returns the outputs' shape (the
// anchors') or an unknown shape. Fills in means and stds as (4,) when unknown.
inline Shape encodeShapes(std::vector<Shape>& in) {
  static const char* names[] = {"samples", "matches", "anchors", "refs", "means", "stds"};
  const Shape &sm = in[0], &mt = in[1], &an = in[2], &rf = in[3];
  if (shapeIsKnown(sm))
    IST_CHECK(sm.size() == 2, kEnc, "samples", "samples must be 2-D (B, N), got shape " << shapeString(sm));
  if (shapeIsKnown(mt))
    IST_CHECK(mt.size() == 2, kEnc, "matches", "matches must be 2-D (B, N), got shape " << shapeString(mt));
  if (shapeIsKnown(an))
    IST_CHECK(isBoxes(an), kEnc, "anchors", "anchors must have shape (B, N, 4), got " << shapeString(an));
  if (shapeIsKnown(rf))
    IST_CHECK(isBoxes(rf), kEnc, "refs", "refs must have shape (B, M, 4), got " << shapeString(rf));
  if (shapeIsKnown(an)) {
    const Shape bn{an[0], an[1]};
    for (int k = 0; k < 2; ++k)
      if (shapeIsKnown(in[k]))
        IST_CHECK(in[k] == bn, kEnc, names[k],
                  names[k] << " has shape " << shapeString(in[k]) << " but anchors of shape " << shapeString(an)
                           << " need " << shapeString(bn));
    if (shapeIsKnown(rf))
      IST_CHECK(rf[0] == an[0], kEnc, "refs",
                "refs has shape " << shapeString(rf) << " but anchors of shape " << shapeString(an) << " need "
                                  << an[0] << " batches");
  } else if (shapeIsKnown(sm) && shapeIsKnown(mt)) {
    IST_CHECK(sm == mt, kEnc, "matches",
              "matches has shape " << shapeString(mt) << " but samples has " << shapeString(sm));
  }
  for (int k = 4; k < 6; ++k) {
    if (!shapeIsKnown(in[k])) in[k] = Shape{4};
    IST_CHECK(in[k] == Shape{4}, kEnc, names[k], names[k] << " must have shape (4,), got " << shapeString(in[k]));
  }
  return shapeIsKnown(an) ? an : Shape{};
}

// Decode's output shape (data's), after checking data (B, N, 4) against anchors (A >= 1, N, 4).
inline Shape decodeShape(const Shape& d, const Shape& a) {
  IST_CHECK(isBoxes(d), kDec, "data", "data must have shape (B, N, 4), got " << shapeString(d));
  IST_CHECK(isBoxes(a) && a[0] >= 1 && a[1] == d[1], kDec, "anchors",
            "anchors has shape " << shapeString(a) << " but data of shape " << shapeString(d) << " needs (1, "
                                 << d[1] << ", 4)");
  return d;
}

// All inputs share one dtype (MXNet's ElemwiseType); fills the outputs' dtype.
inline void sameType(const char* op, const std::vector<std::string>& names, std::vector<int>& in,
                     std::vector<int>& out) {
  int t = -1;
  for (int v : in) if (t < 0 && v >= 0) t = v;
  for (int v : out) if (t < 0 && v >= 0) t = v;
  if (t < 0) return;
  for (size_t k = 0; k < in.size(); ++k) {
    IST_CHECK(in[k] < 0 || in[k] == t, op, names[k],
              names[k] << " has dtype " << dtypeName(static_cast<DType>(in[k])) << " but the other inputs have "
                       << dtypeName(static_cast<DType>(t)));
    in[k] = t;
  }
  for (int& v : out) v = t;
}

// Thread i = box i of the B * N. errors counts positive samples whose match is out of range.
struct EncodeMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* tgt, T* mask, const T* samples, const T* matches, const T* anchors,
                       const T* refs, const T* means, const T* stds, int64_t n, int64_t m, double* errors,
                       bool addT, bool addM) {
    using C = dnd::CT<T>;
    const bool valid = C(samples[i]) > C(0.5);
    C t[4] = {C(0), C(0), C(0), C(0)};
    if (valid) {
      const double mv = double(C(matches[i]));
      const int64_t k = (mv == mv && mv - mv == 0) ? truncInt64(mv) : -1;
      if (k < 0 || k >= m) {
        deviceAtomicAdd(errors, 1.0);
      } else {
        const T* r = refs + ((i / n) * m + k) * 4;
        const T* a = anchors + i * 4;
        const C rw = C(r[2]) - C(r[0]), rh = C(r[3]) - C(r[1]);
        const C rx = C(r[0]) + rw * C(0.5), ry = C(r[1]) + rh * C(0.5);
        const C aw = C(a[2]) - C(a[0]), ah = C(a[3]) - C(a[1]);
        const C ax = C(a[0]) + aw * C(0.5), ay = C(a[1]) + ah * C(0.5);
        t[0] = ((rx - ax) / aw - C(means[0])) / C(stds[0]);
        t[1] = ((ry - ay) / ah - C(means[1])) / C(stds[1]);
        t[2] = (C(log(rw / aw)) - C(means[2])) / C(stds[2]);
        t[3] = (C(log(rh / ah)) - C(means[3])) / C(stds[3]);
      }
    }
    for (int c = 0; c < 4; ++c) {
      putValue(tgt[i * 4 + c], T(t[c]), addT);
      putValue(mask[i * 4 + c], T(C(valid ? 1 : 0)), addM);
    }
  }
};

// (samples, matches, anchors, refs, means, stds) -> (targets, masks).
template <typename Dev>
void encodeDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
               const std::vector<TBlob>& out) {
  std::vector<Shape> s;
  for (const auto& b : in) s.push_back(b.shape);
  encodeShapes(s);
  const int64_t boxes = in[0].size(), n = in[2].shape[1], m = in[3].shape[1];
  if (boxes == 0) return;
  void* st = ctx.run.stream;
  TempSpace<Dev> err(st, sizeof(double));
  double* errors = err.template as<double>();
  DeviceMem<Dev>::zero(st, errors, sizeof(double));
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kEnc, {
    // A kNull output still gets written: the kernel writes both, so write into scratch.
    TempSpace<Dev> spare(st, static_cast<size_t>(boxes) * 4 * sizeof(T));
    T* tgt = req[0] == OpReq::kNull ? spare.template as<T>() : out[0].data<T>();
    T* mask = req[1] == OpReq::kNull ? spare.template as<T>() : out[1].data<T>();
    DeviceKernel<EncodeMap, Dev>::launch(st, boxes, 40, tgt, mask, in[0].data<T>(), in[1].data<T>(), in[2].data<T>(),
                                         in[3].data<T>(), in[4].data<T>(), in[5].data<T>(), n, m, errors,
                                         req[0] == OpReq::kAddTo, req[1] == OpReq::kAddTo);
    double bad = 0;
    DeviceMem<Dev>::toHost(st, &bad, errors, sizeof(double));
    if (bad != 0) {
      std::vector<T> sm(static_cast<size_t>(boxes)), mt(static_cast<size_t>(boxes));
      DeviceMem<Dev>::toHost(st, sm.data(), in[0].data<T>(), sm.size() * sizeof(T));
      DeviceMem<Dev>::toHost(st, mt.data(), in[1].data<T>(), mt.size() * sizeof(T));
      for (int64_t i = 0; i < boxes; ++i) {
        const double mv = ldd(mt[static_cast<size_t>(i)]);
        if (ldd(sm[static_cast<size_t>(i)]) > 0.5 && !(std::isfinite(mv) && mv > -1 && mv < double(m)))
          throwError(kEnc, "matches",
                     "match " + paramparse::formatDouble(mv) + " of positive sample (" + std::to_string(i / n) +
                         ", " + std::to_string(i % n) + ") is out of range for refs of shape " +
                         shapeString(in[3].shape) + " (valid: 0 to " + std::to_string(m - 1) + ")");
      }
    }
  });
}

// Thread i = box i of the B * N; the parameters come rounded to T as in MXNet.
template <bool Corner, bool Clip>
struct DecodeMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const T* x, const T* anchors, T s0, T s1, T s2, T s3, T clip, int64_t n,
                       bool add) {
    using C = dnd::CT<T>;
    const T* a = anchors + (i % n) * 4;
    C ax = C(a[0]), ay = C(a[1]), aw = C(a[2]), ah = C(a[3]);
    if (Corner) {
      aw = aw - ax;
      ah = ah - ay;
      ax = ax + aw * C(0.5);
      ay = ay + ah * C(0.5);
    }
    const T* d = x + i * 4;
    const C ox = C(d[0]) * C(s0) * aw + ax, oy = C(d[1]) * C(s1) * ah + ay;
    C dw = C(d[2]) * C(s2), dh = C(d[3]) * C(s3);
    if (Clip) {
      dw = dw < C(clip) ? dw : C(clip);
      dh = dh < C(clip) ? dh : C(clip);
    }
    const C ow = C(exp(dw)) * aw * C(0.5), oh = C(exp(dh)) * ah * C(0.5);
    T* o = out + i * 4;
    putValue(o[0], T(ox - ow), add);
    putValue(o[1], T(oy - oh), add);
    putValue(o[2], T(ox + ow), add);
    putValue(o[3], T(oy + oh), add);
  }
};

// (data, anchors) -> out.
template <typename Dev>
void decodeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<BoxDecodeParam>();
  decodeShape(in[0].shape, in[1].shape);
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const int64_t boxes = in[0].size() / 4, n = in[0].shape[1];
  const bool corner = boxes::boxFormat(p.format) == boxes::kCorner, clip = p.clip > 0;
  void* st = ctx.run.stream;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kDec, {
    using C = dnd::CT<T>;
    const T s0 = T(C(p.std0)), s1 = T(C(p.std1)), s2 = T(C(p.std2)), s3 = T(C(p.std3)), cl = T(C(p.clip));
    const bool add = req[0] == OpReq::kAddTo;
    T* y = out[0].data<T>();
    const T* x = in[0].data<T>();
    const T* a = in[1].data<T>();
    if (corner && clip) DeviceKernel<DecodeMap<true, true>, Dev>::launch(st, boxes, 30, y, x, a, s0, s1, s2, s3, cl, n, add);
    else if (corner) DeviceKernel<DecodeMap<true, false>, Dev>::launch(st, boxes, 30, y, x, a, s0, s1, s2, s3, cl, n, add);
    else if (clip) DeviceKernel<DecodeMap<false, true>, Dev>::launch(st, boxes, 30, y, x, a, s0, s1, s2, s3, cl, n, add);
    else DeviceKernel<DecodeMap<false, false>, Dev>::launch(st, boxes, 30, y, x, a, s0, s1, s2, s3, cl, n, add);
  });
}

}  // namespace box_coder_dev
}  // namespace ist
