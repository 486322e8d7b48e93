// ROIPooling (Fast R-CNN's region-of-interest max pooling) on the CPU, with MXNet's rounding: ROI
// corners are rounded half away from zero after scaling, malformed ROIs grow to 1x1, bin edges are
// floor/ceil of multiples of the bin size, clipped to the image; empty bins and ROIs naming a
// batch index outside the data give 0. A hidden int64 output keeps each output's argmax (a flat
// index into data, -1 for none) for the gradient _backward_ROIPooling, which routes each output
// gradient to its argmax. The ROIs get a zero gradient (as in MXNet).
#include <cfloat>
#include <cmath>
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/conv_common.h"

namespace ist {
namespace {

constexpr const char* kOp = "ROIPooling";
constexpr const char* kBack = "_backward_ROIPooling";

struct ROIPoolingParam {
  Shape pooled_size;
  float spatial_scale = 1;
  static void declare(ParamDecl<ROIPoolingParam>& d) {
    d.field("pooled_size", &ROIPoolingParam::pooled_size).doc("ROI pooling output shape (h,w) ");
    d.field("spatial_scale", &ROIPoolingParam::spatial_scale).range(0.0, 1.0)
        .doc("Ratio of input feature map height (or w) to raw image height (or w). Equals the reciprocal of total "
             "stride in convolutional layers");
  }
};

void checkParams(const ROIPoolingParam& p, const char* op) {
  IST_CHECK(p.pooled_size.size() == 2 && p.pooled_size[0] > 0 && p.pooled_size[1] > 0, op, "pooled_size",
            "must be (h, w) with h, w > 0, got " << shapeString(p.pooled_size));
}

// Inputs data (N, C, H, W) and rois (R, 5); outputs (R, C, ph, pw) twice (values, argmax).
void roiShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<ROIPoolingParam>();
  const char* op = nn::opName(attrs, kOp);
  checkParams(p, op);
  const Shape &d = in[0], &r = in[1];
  if (shapeIsKnown(d))
    IST_CHECK(d.size() == 4, op, "data", "expects a 4-D feature map (batch, channel, H, W), got shape " << shapeString(d));
  if (shapeIsKnown(r))
    IST_CHECK(r.size() == 2 && r[1] == 5, op, "rois",
              "expects a 2-D array (num_rois, 5) of [batch_index, x1, y1, x2, y2] rows, got shape " << shapeString(r));
  if (!shapeIsKnown(d) || !shapeIsKnown(r)) return;
  out[0] = Shape{r[0], d[1], p.pooled_size[0], p.pooled_size[1]};
  if (out.size() > 1) out[1] = out[0];
}

void roiType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const char* op = nn::opName(attrs, kOp);
  const int t = nn::unifyFloat(in, {"data", "rois"}, op);
  if (t >= 0) out[0] = t;
  if (out.size() > 1) out[1] = static_cast<int>(DType::kInt64);
}

// The pooling window of one ROI, in data pixels.
struct RoiBox {
  int64_t batch = -1;  // -1: index outside the data
  int64_t h0 = 0, w0 = 0;
  double binH = 1, binW = 1;
};

// MXNet's arithmetic in the input's compute type (float for float32/16, double for float64).
template <typename C> RoiBox roiBox(const C* roi, float scale, int64_t N, int64_t ph, int64_t pw) {
  RoiBox b;
  const C s = static_cast<C>(scale);
  const int64_t x1 = static_cast<int64_t>(std::round(roi[1] * s)), y1 = static_cast<int64_t>(std::round(roi[2] * s));
  const int64_t x2 = static_cast<int64_t>(std::round(roi[3] * s)), y2 = static_cast<int64_t>(std::round(roi[4] * s));
  const C bi = std::trunc(roi[0]);  // MXNet casts to int: -0.5 is image 0
  if (bi >= C(0) && bi < static_cast<C>(N)) b.batch = static_cast<int64_t>(bi);
  b.h0 = y1;
  b.w0 = x1;
  b.binH = static_cast<double>(static_cast<C>(std::max<int64_t>(y2 - y1 + 1, 1)) / static_cast<C>(ph));
  b.binW = static_cast<double>(static_cast<C>(std::max<int64_t>(x2 - x1 + 1, 1)) / static_cast<C>(pw));
  return b;
}

// [start, end) of bin i along a side of `size` pixels from `origin`, clipped.
template <typename C> void binRange(int64_t i, double bin, int64_t origin, int64_t size, int64_t* s, int64_t* e) {
  const C b = static_cast<C>(bin);
  const int64_t lo = static_cast<int64_t>(std::floor(static_cast<C>(i) * b));
  const int64_t hi = static_cast<int64_t>(std::ceil(static_cast<C>(i + 1) * b));
  *s = std::min(std::max(lo + origin, int64_t(0)), size);
  *e = std::min(std::max(hi + origin, int64_t(0)), size);
}

bool finiteCoords(double v) { return std::isfinite(v) && std::fabs(v) < 9.0e15; }

template <typename T>
void forward(const ROIPoolingParam& p, const TBlob& data, const TBlob& rois, OpReq req, const TBlob& yb,
             const TBlob& ib) {
  using C = typename ComputeType<T>::type;
  const int64_t N = data.shape[0], Ch = data.shape[1], H = data.shape[2], W = data.shape[3];
  const int64_t R = rois.shape[0], PH = p.pooled_size[0], PW = p.pooled_size[1];
  const T* x = data.data<T>();
  const T* rp = rois.data<T>();
  T* y = yb.data<T>();
  int64_t* arg = ib.data<int64_t>();
  parallelFor(R * Ch, PH * PW * 8, [&](int64_t b, int64_t e) {
    for (int64_t plane = b; plane < e; ++plane) {
      const int64_t r = plane / Ch, c = plane % Ch;
      C roi[5];
      bool ok = true;
      for (int k = 0; k < 5; ++k) {
        roi[k] = static_cast<C>(rp[r * 5 + k]);
        ok &= finiteCoords(static_cast<double>(roi[k]) * (k ? p.spatial_scale : 1.0f));
      }
      const RoiBox box = ok ? roiBox<C>(roi, p.spatial_scale, N, PH, PW) : RoiBox{};
      const T* img = box.batch >= 0 ? x + (box.batch * Ch + c) * H * W : x;
      for (int64_t ph = 0; ph < PH; ++ph)
        for (int64_t pw = 0; pw < PW; ++pw) {
          int64_t hs, he, ws, we;
          binRange<C>(ph, box.binH, box.h0, H, &hs, &he);
          binRange<C>(pw, box.binW, box.w0, W, &ws, &we);
          C best = -FLT_MAX;
          int64_t where = -1;
          if (box.batch < 0 || he <= hs || we <= ws) {
            best = 0;
          } else {
            for (int64_t h = hs; h < he; ++h)
              for (int64_t w = ws; w < we; ++w) {
                const C v = static_cast<C>(img[h * W + w]);
                if (v > best) {
                  best = v;
                  where = (box.batch * Ch + c) * H * W + h * W + w;
                }
              }
          }
          const int64_t o = plane * PH * PW + ph * PW + pw;
          y[o] = req == OpReq::kAddTo ? T(static_cast<C>(y[o]) + best) : T(best);
          arg[o] = where;
        }
    }
  });
}

void roiCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                const std::vector<TBlob>& out) {
  const auto& p = attrs.get<ROIPoolingParam>();
  if (req[0] == OpReq::kNull && req[1] == OpReq::kNull) return;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, forward<T>(p, in[0], in[1], req[0], out[0], out[1]));
}

// _backward_ROIPooling inputs: ograd, data (for its shape), rois, argmax; outputs: d data.
void roiBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  checkAgainstForward(kBack, roiShape, attrs, {in[0], in[3]}, {in[1], in[2]});
  out[0] = in[1];
}

void roiBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  std::vector<int> ft{in[0], in[1], in[2]};
  const int t = nn::unifyFloat(ft, {"ograd", "data", "rois"}, kBack);
  if (in[3] >= 0)
    IST_CHECK(in[3] == static_cast<int>(DType::kInt64), kBack, "argmax",
              "expects the int64 argmax output of ROIPooling, got " << dtypeName(static_cast<DType>(in[3])));
  if (t >= 0) out[0] = t;
}

template <typename T>
void backward(const TBlob& og, const TBlob& arg, OpReq req, const TBlob& gx) {
  using C = typename ComputeType<T>::type;
  const int64_t Ch = gx.shape[1], HW = gx.shape[2] * gx.shape[3];
  const int64_t R = og.shape[0], P = og.shape[2] * og.shape[3], total = gx.size();
  const T* g = og.data<T>();
  const int64_t* a = arg.data<int64_t>();
  T* d = gx.data<T>();
  if (req != OpReq::kAddTo) std::fill(d, d + total, T(0));
  // Channel c of every ROI lands only in channel c of the data: channels run in parallel, ROIs in
  // order, so the sums do not depend on the thread count.
  parallelFor(Ch, R * P, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c)
      for (int64_t r = 0; r < R; ++r)
        for (int64_t i = 0; i < P; ++i) {
          const int64_t o = (r * Ch + c) * P + i, at = a[o];
          if (at < 0) continue;
          // A hand-made argmax array must still point into this channel of the data.
          if (at >= total || (at / HW) % Ch != c) continue;
          d[at] = T(static_cast<C>(d[at]) + static_cast<C>(g[o]));
        }
  });
}

void roiBackwardCompute(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kBack, backward<T>(in[0], in[3], req[0], out[0]));
}

IST_REGISTER_OP(ROIPooling)
    .alias("_npx_roi_pooling")
    .describe("Performs region of interest (ROI) max pooling: for each row [batch_index, x1, y1, x2, y2] of rois "
              "(corners in image pixels, scaled by spatial_scale and rounded), the region of data "
              "(batch, channel, H, W) is split into pooled_size (h, w) bins and each bin is max pooled, giving "
              "(num_rois, channel, h, w). Empty bins and invalid batch indices give 0.")
    .inputs({"data", "rois"})
    .numOutputs([](const NodeAttrs&) { return 2; })  // output, maxidx (a count, not names: TS then returns
                                                     // the one visible array even though params are required)
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .params<ROIPoolingParam>()
    .inferShape(roiShape)
    .inferType(roiType)
    .compute(Context::kCPU, roiCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{
          makeEntry(kBack, {og[0], n->inputs[0], n->inputs[1], NodeEntry{n, 1}}, n->attrs.dict),
          makeEntry("zeros_like", {n->inputs[1]})};
    });

IST_REGISTER_OP(_backward_ROIPooling)
    .describe("Gradient of ROIPooling with respect to data: each output gradient is added at its argmax.")
    .inputs({"ograd", "data", "rois", "argmax"})
    .params<ROIPoolingParam>()
    .inferShape(roiBackwardShape)
    .inferType(roiBackwardType)
    .compute(Context::kCPU, roiBackwardCompute);

}  // namespace
}  // namespace ist
