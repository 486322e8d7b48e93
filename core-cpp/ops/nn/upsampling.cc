// UpSampling: nearest-neighbour (one or more inputs, concatenated or summed along channels) and
// bilinear (MXNet's form: a Deconvolution with a user-supplied weight, kernel 2 * scale - scale % 2,
// stride scale, pad ceil((scale - 1) / 2), one filter per channel). Nearest's gradient is
// _backward_UpSampling (block sums); bilinear's is Deconvolution's.
#include "op/backward_errors.h"
#include "graph/node.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/upsampling_params.h"

namespace ist {
namespace upsampling_detail {
namespace {

void upShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<UpSamplingParam>();
  const Shape& d0 = in[0];
  if (!shapeIsKnown(d0)) return;
  IST_CHECK(d0.size() == 4, kOp, argName(p, 0),
            "expects a 4-D array (batch, channel, y, x), got shape " << shapeString(d0));
  Shape o{d0[0], 0, d0[2] * p.scale, d0[3] * p.scale};
  if (p.bilinear()) {
    IST_CHECK(in.size() == 2, kOp, "num_args",
              "bilinear upsampling takes 2 inputs (data, weight), got " << in.size());
    IST_CHECK(p.num_filter >= 1 && p.num_filter == d0[1], kOp, "num_filter",
              "bilinear upsampling needs num_filter equal to the channels of data " << shapeString(d0) << ", got "
                                                                                     << p.num_filter);
    const int64_t k = 2 * p.scale - p.scale % 2;
    conv::expectShape(in[1], Shape{d0[1], 1, k, k}, kOp, "weight", d0);
    o[1] = d0[1];
    out[0] = o;
    return;
  }
  for (size_t i = 0; i < in.size(); ++i) {
    const Shape& s = in[i];
    if (!shapeIsKnown(s)) return;
    const std::string arg = argName(p, i);
    IST_CHECK(s.size() == 4, kOp, arg, "expects a 4-D array (batch, channel, y, x), got shape " << shapeString(s));
    IST_CHECK(s[0] == d0[0], kOp, arg,
              "batch size of shape " << shapeString(s) << " does not match " << shapeString(d0));
    for (int a = 2; a < 4; ++a)
      IST_CHECK((s[a] > 0 && o[a] % s[a] == 0) || (s[a] == 0 && o[a] == 0), kOp, arg,
                "input of shape " << shapeString(s) << " does not divide the output size (" << o[2] << ", " << o[3]
                                  << ") set by " << shapeString(d0) << " and scale " << p.scale);
    if (p.multi_input_mode == "sum") {
      IST_CHECK(i == 0 || s[1] == o[1], kOp, arg,
                "multi_input_mode='sum' needs equal channels, got shape " << shapeString(s) << " and "
                                                                           << shapeString(d0));
      o[1] = s[1];
    } else {
      o[1] += s[1];
    }
  }
  out[0] = o;
}

void upType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const auto& p = attrs.get<UpSamplingParam>();
  std::vector<std::string> names;
  for (size_t i = 0; i < in.size(); ++i) names.push_back(argName(p, i));
  conv::inferFloatTypes(in, out, names, kOp);
}

template <typename T>
void nearestForward(const UpSamplingParam& p, const std::vector<TBlob>& in, OpReq req, const TBlob& yb) {
  const Shape& o = yb.shape;
  T* y = yb.data<T>();
  const int64_t OH = o[2], OW = o[3], OC = o[1];
  const bool sum = p.multi_input_mode == "sum";
  int64_t cofs = 0;
  for (size_t a = 0; a < in.size(); ++a) {
    const Shape& s = in[a].shape;
    const T* x = in[a].data<T>();
    int64_t sy, sx;
    scalesOf(s, o, p.scale, &sy, &sx);
    const int64_t C = s[1], H = s[2], W = s[3];
    // The first input writes (or adds, for kAddTo); later summed inputs add.
    const bool add = req == OpReq::kAddTo || (sum && a > 0);
    parallelFor(o[0] * C, OH * OW, [&](int64_t b, int64_t e) {
      for (int64_t plane = b; plane < e; ++plane) {
        const int64_t n = plane / C, c = plane % C;
        const T* xp = x + plane * H * W;
        T* yp = y + (n * OC + (sum ? 0 : cofs) + c) * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh) {
          const T* xr = xp + (oh / sy) * W;
          T* yr = yp + oh * OW;
          if (add) for (int64_t ow = 0; ow < OW; ++ow) yr[ow] += xr[ow / sx];
          else for (int64_t ow = 0; ow < OW; ++ow) yr[ow] = xr[ow / sx];
        }
      }
    });
    cofs += C;
  }
}

// inputs: ograd, then the forward inputs (for their shapes); outputs: one gradient per input.
template <typename T>
void nearestBackward(const UpSamplingParam& p, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                     const std::vector<TBlob>& out) {
  const Shape& o = in[0].shape;
  const T* og = in[0].data<T>();
  const int64_t OH = o[2], OW = o[3], OC = o[1];
  const bool sum = p.multi_input_mode == "sum";
  int64_t cofs = 0;
  for (size_t a = 0; a < out.size(); ++a) {
    const Shape& s = out[a].shape;
    const int64_t C = s[1], H = s[2], W = s[3];
    if (req[a] != OpReq::kNull) {
      int64_t sy, sx;
      scalesOf(s, o, p.scale, &sy, &sx);
      T* dx = out[a].data<T>();
      const bool add = req[a] == OpReq::kAddTo;
      parallelFor(o[0] * C, OH * OW, [&](int64_t b, int64_t e) {
        for (int64_t plane = b; plane < e; ++plane) {
          const int64_t n = plane / C, c = plane % C;
          const T* gp = og + (n * OC + (sum ? 0 : cofs) + c) * OH * OW;
          T* dp = dx + plane * H * W;
          for (int64_t h = 0; h < H; ++h)
            for (int64_t w = 0; w < W; ++w) {
              T acc = 0;
              for (int64_t i = 0; i < sy; ++i)
                for (int64_t j = 0; j < sx; ++j) acc += gp[(h * sy + i) * OW + w * sx + j];
              dp[h * W + w] = add ? dp[h * W + w] + acc : acc;
            }
        }
      });
    }
    cofs += C;
  }
}

void upCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<UpSamplingParam>();
  if (p.bilinear()) {
    const Op& deconv = OpRegistry::get("Deconvolution");
    (*deconv.computeFor(Context::kCPU))(deconv.parseAttrs(deconvAttrs(p)), ctx, in, req, out);
    return;
  }
  conv::runWidened(kOp, in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) nearestForward<float>(p, i, req[0], o[0]);
    else nearestForward<double>(p, i, req[0], o[0]);
  });
}

void upBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<UpSamplingParam>();
  conv::runWidened("_backward_UpSampling", in, req, out,
                   [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
                     if (i[0].dtype == DType::kFloat32) nearestBackward<float>(p, i, req, o);
                     else nearestBackward<double>(p, i, req, o);
                   });
}

void upBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  checkAgainstForward("_backward_UpSampling", upShape, attrs, {in[0]}, std::vector<Shape>(in.begin() + 1, in.end()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = in[i + 1];
}

void upBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  std::vector<std::string> names{"ograd"};
  for (size_t i = 1; i < in.size(); ++i) names.push_back("data");
  conv::inferFloatTypes(in, out, names, "_backward_UpSampling");
}

std::vector<NodeEntry> upGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const auto& p = n->attrs.get<UpSamplingParam>();
  if (p.bilinear()) {
    NodePtr b = makeNode("_backward_Deconvolution", {og[0], n->inputs[0], n->inputs[1]}, deconvAttrs(p));
    return {NodeEntry{b, 0}, NodeEntry{b, 1}};
  }
  std::vector<NodeEntry> ins{og[0]};
  ins.insert(ins.end(), n->inputs.begin(), n->inputs.end());
  NodePtr b = makeNode("_backward_UpSampling", ins, n->attrs.dict);
  std::vector<NodeEntry> r;
  for (size_t i = 0; i < n->inputs.size(); ++i) r.push_back(NodeEntry{b, static_cast<uint32_t>(i)});
  return r;
}

IST_REGISTER_OP(UpSampling)
    .describe("Upsamples the given input data. nearest: each input of shape (N, C_i, h_i, w_i) is repeated up "
              "to (scale * h_0, scale * w_0) and the results are concatenated along channels (or summed with "
              "multi_input_mode='sum'). bilinear: inputs (data, weight), weight of shape (C, 1, k, k) with "
              "k = 2 * scale - scale % 2 (usually from the Bilinear initializer) and num_filter = C; computed as "
              "a grouped Deconvolution with stride scale and pad ceil((scale - 1) / 2).")
    .variadic("data", "num_args")
    .params<UpSamplingParam>()
    .inferShape(upShape)
    .inferType(upType)
    .compute(Context::kCPU, upCompute)
    .gradient(upGradient);

IST_REGISTER_OP(_backward_UpSampling)
    .describe("Gradient of nearest UpSampling: each input's gradient sums the output gradient over its blocks.")
    .inputs({"ograd"})
    .variadic("data", "num_args")
    .params<UpSamplingParam>()
    .numOutputs([](const NodeAttrs& a) { return a.get<UpSamplingParam>().num_args; })
    .inferShape(upBackwardShape)
    .inferType(upBackwardType)
    .compute(Context::kCPU, upBackwardCompute);

}  // namespace
}  // namespace upsampling_detail
}  // namespace ist
