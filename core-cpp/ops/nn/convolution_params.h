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
  const conv::WindowSpec w = conv::windowSpec(p.kernel, p.stride, p.dilate, p.pad, op, "convolution");
  conv::checkLayoutAndGroups(p.layout, p.kernel.size(), p.num_filter, p.num_group, op);
  return ConvSpec{w.kernel, w.stride, w.dilate, w.pad};
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

using conv::Dims;

inline Dims dimsOf(const ConvolutionParam& p, const Shape& x, const Shape& y) {
  const ConvSpec s = convSpec(p, kOp);
  return conv::dimsOf(x, p.num_filter, p.num_group,
                      conv::makeGeom(Shape(x.begin() + 2, x.end()), Shape(y.begin() + 2, y.end()), s.kernel,
                                     s.stride, s.dilate, s.pad),
                      false);
}

}  // namespace convolution_detail

// y (req) = Convolution(data, weight) with `p` on the CPU, no bias: the forward path with its phase
// planes and Winograd, for ops whose work is a convolution (Deconvolution's data gradient).
// Defined in convolution.cc.
template <typename T>
void convolutionForward(const convolution_detail::ConvolutionParam& p, const TBlob& data, const TBlob& weight,
                        OpReq req, const TBlob& y);

}  // namespace ist
