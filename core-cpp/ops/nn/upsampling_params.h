// UpSampling's parameters and the helpers its CPU compute (upsampling.cc) and its device-generic
// compute (upsampling_device.h) share.
#pragma once
#include <string>
#include "ops/nn/conv_common.h"

namespace ist {
namespace upsampling_detail {

constexpr const char* kOp = "UpSampling";

struct UpSamplingParam {
  int scale = 1;
  int num_filter = 0;
  std::string sample_type, multi_input_mode;
  int num_args = 1;
  int64_t workspace = 512;
  static void declare(ParamDecl<UpSamplingParam>& d) {
    d.field("scale", &UpSamplingParam::scale).range(1, 2147483647).doc("Up sampling scale.");
    d.field("num_filter", &UpSamplingParam::num_filter).setDefault(0).range(0, 2147483647)
        .doc("Input filter. Only used by bilinear sample_type. Since bilinear upsampling uses deconvolution, "
             "num_filters is set to the number of channels.");
    d.field("sample_type", &UpSamplingParam::sample_type).values({"bilinear", "nearest"}).doc("upsampling method");
    d.field("multi_input_mode", &UpSamplingParam::multi_input_mode).setDefault("concat").values({"concat", "sum"})
        .doc("How to handle multiple input. concat means concatenate upsampled images along the channel "
             "dimension. sum means add all images together, only available for nearest neighbor upsampling.");
    d.field("num_args", &UpSamplingParam::num_args).range(1, 2147483647)
        .doc("Number of inputs to be upsampled. For nearest neighbor upsampling, this can be 1-N; the size of "
             "output will be (scale*h_0,scale*w_0) and all other inputs will be upsampled to the same size. For "
             "bilinear upsampling this must be 2; 1 input and 1 weight.");
    d.field("workspace", &UpSamplingParam::workspace).setDefault(int64_t(512)).range(0, 9.0e18)
        .doc("Tmp workspace for deconvolution (MB); ignored.");
  }
  bool bilinear() const { return sample_type == "bilinear"; }
};

inline std::string argName(const UpSamplingParam& p, size_t i) {
  if (p.bilinear()) return i == 0 ? "data" : "weight";
  return "arg" + std::to_string(i);
}

// The Deconvolution attributes bilinear upsampling runs with (MXNet's GetDeconvolutionParam).
inline AttrDict deconvAttrs(const UpSamplingParam& p) {
  const int k = 2 * p.scale - p.scale % 2, pad = (p.scale - 1 + 1) / 2;  // ceil((scale - 1) / 2)
  auto pair = [](int v) { return "(" + std::to_string(v) + ", " + std::to_string(v) + ")"; };
  return {{"kernel", pair(k)},   {"stride", pair(p.scale)}, {"pad", pair(pad)},
          {"dilate", pair(1)},   {"num_filter", std::to_string(p.num_filter)},
          {"num_group", std::to_string(p.num_filter)}, {"no_bias", "True"}};
}

// Per-input nearest scale along y and x (the output is an exact multiple of each input).
inline void scalesOf(const Shape& s, const Shape& o, int scale, int64_t* sy, int64_t* sx) {
  *sy = s[2] > 0 ? o[2] / s[2] : scale;
  *sx = s[3] > 0 ? o[3] / s[3] : scale;
}

}  // namespace upsampling_detail
}  // namespace ist
