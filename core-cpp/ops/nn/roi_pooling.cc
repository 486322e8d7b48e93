// ROIPooling (Fast R-CNN's region-of-interest max pooling) on the CPU, with MXNet's rounding: ROI
// corners are rounded half away from zero after scaling, malformed ROIs grow to 1x1, bin edges are
// floor/ceil of multiples of the bin size, clipped to the image; empty bins and ROIs naming a
// batch index outside the data give 0. A hidden int64 output keeps each output's argmax (a flat
// index into data, -1 for none) for the gradient _backward_ROIPooling, which routes each output
// gradient to its argmax. The ROIs get a zero gradient (as in MXNet).
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/roi_common.h"
#include "ops/nn/roi_pooling_params.h"

namespace ist {
namespace roiop {
namespace {

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
  checkRoiInputs(op, d, r);
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

template <typename T>
void forward(const ROIPoolingParam& p, const TBlob& data, const TBlob& rois, OpReq req, const TBlob& yb,
             const TBlob& ib) {
  using C = typename ComputeType<T>::type;
  const RoiGeom g{data.shape[0], data.shape[1], data.shape[2], data.shape[3], p.pooled_size[0], p.pooled_size[1]};
  const int64_t R = rois.shape[0];
  const T* x = data.data<T>();
  const T* rp = rois.data<T>();
  T* y = yb.data<T>();
  int64_t* arg = ib.data<int64_t>();
  parallelFor(R * g.Ch, g.PH * g.PW * 8, [&](int64_t b, int64_t e) {
    for (int64_t plane = b; plane < e; ++plane) {
      const int64_t r = plane / g.Ch, c = plane % g.Ch;
      const RoiBox box = roiop::roiBoxAt(rp + r * 5, p.spatial_scale, g);
      for (int64_t ph = 0; ph < g.PH; ++ph)
        for (int64_t pw = 0; pw < g.PW; ++pw) {
          const int64_t o = plane * g.PH * g.PW + ph * g.PW + pw;
          const C best = roiop::roiBinMax(x, box, c, ph, pw, g, &arg[o]);
          y[o] = req == OpReq::kAddTo ? T(static_cast<C>(y[o]) + best) : T(best);
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
}  // namespace roiop
}  // namespace ist
