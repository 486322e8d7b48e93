// Deconvolution's parameters and the geometry helpers its CPU compute (deconvolution.cc) and its
// device-generic compute (deconvolution_device.h) share.
#pragma once
#include <string>
#include "ops/nn/conv_common.h"

namespace ist {
namespace deconvolution_detail {

constexpr const char* kOp = "Deconvolution";

struct DeconvolutionParam {
  Shape kernel, stride, dilate, pad, adj, target_shape;
  int num_filter = 0;
  int num_group = 1;
  int64_t workspace = 512;
  bool no_bias = true;
  std::string cudnn_tune;
  bool cudnn_off = false;
  std::string layout;
  static void declare(ParamDecl<DeconvolutionParam>& d) {
    d.field("kernel", &DeconvolutionParam::kernel)
        .doc("Deconvolution kernel size: (w,), (h, w) or (d, h, w). This is same as the kernel size used for "
             "the corresponding convolution.");
    d.field("stride", &DeconvolutionParam::stride).setDefault(Shape{})
        .doc("The stride used for the corresponding convolution: (w,), (h, w) or (d, h, w). Defaults to 1 "
             "for each dimension.");
    d.field("dilate", &DeconvolutionParam::dilate).setDefault(Shape{})
        .doc("Dilation factor for each dimension of the input: (w,), (h, w) or (d, h, w). Defaults to 1 for "
             "each dimension.");
    d.field("pad", &DeconvolutionParam::pad).setDefault(Shape{})
        .doc("The amount of implicit zero padding added during convolution for each dimension of the "
             "input: (w,), (h, w) or (d, h, w). If `target_shape` is set, `pad` is ignored and a padding "
             "that generates the target shape is used. Defaults to no padding.");
    d.field("adj", &DeconvolutionParam::adj).setDefault(Shape{})
        .doc("Adjustment for output shape: (w,), (h, w) or (d, h, w). If `target_shape` is set, `adj` is "
             "ignored and computed accordingly.");
    d.field("target_shape", &DeconvolutionParam::target_shape).setDefault(Shape{})
        .doc("Shape of the output tensor: (w,), (h, w) or (d, h, w).");
    d.field("num_filter", &DeconvolutionParam::num_filter).range(1, 2147483647).doc("Number of output filters.");
    d.field("num_group", &DeconvolutionParam::num_group).setDefault(1).range(1, 2147483647)
        .doc("Number of groups partition.");
    d.field("workspace", &DeconvolutionParam::workspace).setDefault(int64_t(512)).range(0, 9.0e18)
        .doc("Maximum temporary workspace allowed (MB); accepted for MXNet compatibility and ignored.");
    d.field("no_bias", &DeconvolutionParam::no_bias).setDefault(true).doc("Whether to disable bias parameter.");
    d.field("cudnn_tune", &DeconvolutionParam::cudnn_tune).setDefault("None")
        .values({"None", "fastest", "limited_workspace", "off"})
        .doc("Whether to pick convolution algorithm by running performance test (cuDNN only; ignored).");
    d.field("cudnn_off", &DeconvolutionParam::cudnn_off).setDefault(false).doc("Turn off cudnn for this layer (ignored).");
    d.field("layout", &DeconvolutionParam::layout).setDefault("None")
        .values({"None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC"})
        .doc("Set layout for input, output and weight. Empty for default layout, NCW for 1d, NCHW for 2d and "
             "NCDHW for 3d. NHWC and NDHWC are only supported on GPU.");
  }
};

// Parameters with defaults filled in; pad/adj as used (derived from target_shape when it is set).
struct DeconvSpec {
  Shape kernel, stride, dilate, pad, adj;
  bool hasTarget = false;
};

inline DeconvSpec specNoData(const DeconvolutionParam& p, const char* op) {
  const conv::WindowSpec w = conv::windowSpec(p.kernel, p.stride, p.dilate, p.pad, op, "deconvolution");
  DeconvSpec s;
  s.kernel = w.kernel;
  s.stride = w.stride;
  s.dilate = w.dilate;
  s.pad = w.pad;
  s.adj = conv::expandTuple(p.adj, p.kernel, 0, op, "adj");
  conv::checkAtLeast(s.adj, 0, op, "adj");
  if (!p.target_shape.empty()) {
    conv::expandTuple(p.target_shape, p.kernel, 0, op, "target_shape");
    conv::checkAtLeast(p.target_shape, 0, op, "target_shape");
    for (int64_t t : p.target_shape) s.hasTarget |= t != 0;
  }
  conv::checkLayoutAndGroups(p.layout, p.kernel.size(), p.num_filter, p.num_group, op);
  return s;
}

// With target_shape: MXNet's InferPad (the total trim split as evenly as possible, the odd unit
// going to adj). Then checks adj < stride and computes the output shape of data shape `d`.
inline Shape deconvOutShape(const DeconvolutionParam& p, DeconvSpec& s, const Shape& d, const char* op) {
  Shape o{d[0], p.num_filter};
  for (size_t i = 0; i < s.kernel.size(); ++i) {
    const int64_t dk = conv::dilatedKernel(s.kernel[i], s.dilate[i]);
    const int64_t full = s.stride[i] * (d[2 + i] - 1) + dk;
    if (s.hasTarget) {
      IST_CHECK(full >= p.target_shape[i], op, "target_shape",
                "target_shape " << shapeString(p.target_shape) << " is too big for data of shape " << shapeString(d)
                                << " (at most " << full << " along spatial axis " << i << ")");
      const int64_t trim = full - p.target_shape[i];
      s.adj[i] = trim % 2;
      s.pad[i] = (trim + 1) / 2;
    }
    IST_CHECK(s.adj[i] < s.stride[i], op, "adj",
              "adj " << shapeString(s.adj) << " must be smaller than stride " << shapeString(s.stride)
                     << (s.hasTarget ? " (adj derived from target_shape " + shapeString(p.target_shape) + ")" : ""));
    const int64_t len = full - 2 * s.pad[i] + s.adj[i];
    IST_CHECK(len >= 0, op, "pad",
              "pad " << shapeString(s.pad) << " leaves no output for data of shape " << shapeString(d)
                     << " and kernel " << shapeString(s.kernel));
    o.push_back(len);
  }
  return o;
}

// The geometry sweeps the output y (the "image") with windows at the input's positions (the
// columns), exactly the convolution that maps y back to x.
using conv::Dims;

inline Dims dimsOf(const DeconvolutionParam& p, const Shape& x, const Shape& y) {
  DeconvSpec s = specNoData(p, kOp);
  deconvOutShape(p, s, x, kOp);  // fills pad/adj from target_shape
  return conv::dimsOf(x, p.num_filter, p.num_group,
                      conv::makeGeom(Shape(y.begin() + 2, y.end()), Shape(x.begin() + 2, x.end()), s.kernel,
                                     s.stride, s.dilate, s.pad),
                      true);
}

}  // namespace deconvolution_detail
}  // namespace ist
