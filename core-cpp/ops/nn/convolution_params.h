// Convolution's parameters and the geometry helpers its CPU compute (convolution.cc) and its
// device-generic compute (convolution_device.h) share.
#pragma once
#include <string>
#include "ops/nn/conv_common.h"

namespace ist {
namespace convolution_detail {

constexpr const char* kOp = "Convolution";

struct ConvolutionParam {
  Shape kernel, stride, dilate, pad;
  int num_filter = 0;
  int num_group = 1;
  int64_t workspace = 1024;
  bool no_bias = false;
  std::string cudnn_tune;
  bool cudnn_off = false;
  std::string layout;
  static void declare(ParamDecl<ConvolutionParam>& d) {
    d.field("kernel", &ConvolutionParam::kernel).doc("Convolution kernel size: (w,), (h, w) or (d, h, w).");
    d.field("stride", &ConvolutionParam::stride).setDefault(Shape{})
        .doc("Convolution stride: (w,), (h, w) or (d, h, w). Defaults to 1 for each dimension.");
    d.field("dilate", &ConvolutionParam::dilate).setDefault(Shape{})
        .doc("Convolution dilate: (w,), (h, w) or (d, h, w). Defaults to 1 for each dimension.");
    d.field("pad", &ConvolutionParam::pad).setDefault(Shape{})
        .doc("Zero pad for convolution: (w,), (h, w) or (d, h, w). Defaults to no padding.");
    d.field("num_filter", &ConvolutionParam::num_filter).range(1, 2147483647)
        .doc("Convolution filter (channel) number.");
    d.field("num_group", &ConvolutionParam::num_group).setDefault(1).range(1, 2147483647)
        .doc("Number of group partitions.");
    d.field("workspace", &ConvolutionParam::workspace).setDefault(int64_t(1024)).range(0, 9.0e18)
        .doc("Maximum temporary workspace allowed (MB); accepted for MXNet compatibility and ignored.");
    d.field("no_bias", &ConvolutionParam::no_bias).setDefault(false).doc("Whether to disable bias parameter.");
    d.field("cudnn_tune", &ConvolutionParam::cudnn_tune).setDefault("None")
        .values({"None", "fastest", "limited_workspace", "off"})
        .doc("Whether to pick convolution algo by running performance test (cuDNN only; ignored).");
    d.field("cudnn_off", &ConvolutionParam::cudnn_off).setDefault(false).doc("Turn off cudnn for this layer (ignored).");
    d.field("layout", &ConvolutionParam::layout).setDefault("None")
        .values({"None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC"})
        .doc("Set layout for input, output and weight. Empty for default layout: NCW for 1d, NCHW for 2d "
             "and NCDHW for 3d. NHWC and NDHWC are only supported on GPU.");
  }
};

// The parameters with defaults filled in and checked against each other.
struct ConvSpec {
  Shape kernel, stride, dilate, pad;
};

inline ConvSpec convSpec(const ConvolutionParam& p, const char* op) {
  IST_CHECK(p.kernel.size() >= 1 && p.kernel.size() <= 3, op, "kernel",
            "must have 1, 2 or 3 entries (1-D, 2-D or 3-D convolution), got " << shapeString(p.kernel));
  ConvSpec s;
  s.kernel = p.kernel;
  conv::checkAtLeast(s.kernel, 1, op, "kernel");
  s.stride = conv::expandTuple(p.stride, p.kernel, 1, op, "stride");
  conv::checkAtLeast(s.stride, 1, op, "stride");
  s.dilate = conv::expandTuple(p.dilate, p.kernel, 1, op, "dilate");
  conv::checkAtLeast(s.dilate, 1, op, "dilate");
  s.pad = conv::expandTuple(p.pad, p.kernel, 0, op, "pad");
  conv::checkAtLeast(s.pad, 0, op, "pad");
  conv::checkChannelFirstLayout(p.layout, p.kernel.size(), op);
  IST_CHECK(p.num_filter % p.num_group == 0, op, "num_group",
            "num_filter " << p.num_filter << " is not divisible by num_group " << p.num_group);
  return s;
}

// Output shape for data shape `d` (rank and channels already checked).
inline Shape convOutShape(const ConvolutionParam& p, const ConvSpec& s, const Shape& d, const char* op) {
  Shape o{d[0], p.num_filter};
  for (size_t i = 0; i < s.kernel.size(); ++i) {
    const int64_t padded = d[2 + i] + 2 * s.pad[i];
    const int64_t dk = conv::dilatedKernel(s.kernel[i], s.dilate[i]);
    IST_CHECK(dk <= padded, op, "kernel",
              "kernel " << shapeString(s.kernel) << " (dilated size " << dk << " along spatial axis " << i
                        << ") exceeds the padded input: data shape " << shapeString(d) << ", pad "
                        << shapeString(s.pad));
    o.push_back((padded - dk) / s.stride[i] + 1);
  }
  return o;
}

struct Dims {
  int64_t N, C, F, G, Cg, Fg, K, IS, OS;
  conv::Geom g;
};

inline Dims dimsOf(const ConvolutionParam& p, const Shape& x, const Shape& y) {
  const ConvSpec s = convSpec(p, kOp);
  Dims d;
  d.g = conv::makeGeom(Shape(x.begin() + 2, x.end()), Shape(y.begin() + 2, y.end()), s.kernel, s.stride,
                       s.dilate, s.pad);
  d.N = x[0];
  d.C = x[1];
  d.F = p.num_filter;
  d.G = p.num_group;
  d.Cg = d.C / d.G;
  d.Fg = d.F / d.G;
  d.K = d.g.kSize();
  d.IS = d.g.inSize();
  d.OS = d.g.outSize();
  return d;
}

}  // namespace convolution_detail
}  // namespace ist
