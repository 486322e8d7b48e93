// Parameter structs (and small helpers) of BatchNorm, LayerNorm, InstanceNorm, GroupNorm and
// L2Normalization, shared by their CPU computes (.cc) and device computes (*_device.h).
#pragma once
#include <optional>
#include <string>
#include "ops/nn/layer_util.h"

namespace ist {

struct BatchNormParam {
  double eps;
  float momentum;
  bool fix_gamma, use_global_stats, output_mean_var;
  int axis;
  bool cudnn_off;
  std::optional<float> min_calib_range, max_calib_range;
  static void declare(ParamDecl<BatchNormParam>& d) {
    d.field("eps", &BatchNormParam::eps).setDefault(1e-3)
        .doc("Epsilon to prevent div 0. Must be no less than CUDNN_BN_MIN_EPSILON defined in cudnn.h when "
             "using cudnn (usually 1e-5)");
    d.field("momentum", &BatchNormParam::momentum).setDefault(0.9f).doc("Momentum for moving average");
    d.field("fix_gamma", &BatchNormParam::fix_gamma).setDefault(true).doc("Fix gamma while training");
    d.field("use_global_stats", &BatchNormParam::use_global_stats).setDefault(false)
        .doc("Whether use global moving statistics instead of local batch-norm. This will force change "
             "batch-norm into a scale shift operator.");
    d.field("output_mean_var", &BatchNormParam::output_mean_var).setDefault(false)
        .doc("Output the mean and inverse std ");
    d.field("axis", &BatchNormParam::axis).setDefault(1).doc("Specify which shape axis the channel is specified");
    d.field("cudnn_off", &BatchNormParam::cudnn_off).setDefault(false)
        .doc("Do not select CUDNN operator, if available");
    d.field("min_calib_range", &BatchNormParam::min_calib_range).setDefault(std::nullopt)
        .doc("The minimum scalar value in the form of float32 obtained through calibration (used by "
             "quantized batch norm; ignored here).");
    d.field("max_calib_range", &BatchNormParam::max_calib_range).setDefault(std::nullopt)
        .doc("The maximum scalar value in the form of float32 obtained through calibration (used by "
             "quantized batch norm; ignored here).");
  }
};

struct LayerNormParam {
  int axis;
  float eps;
  bool output_mean_var;
  static void declare(ParamDecl<LayerNormParam>& d) {
    d.field("axis", &LayerNormParam::axis).setDefault(-1)
        .doc("The axis to perform layer normalization. Usually, this should be be axis of the channel "
             "dimension. Negative values means indexing from right to left.");
    d.field("eps", &LayerNormParam::eps).setDefault(1e-5f).doc("An `epsilon` parameter to prevent division by 0.");
    d.field("output_mean_var", &LayerNormParam::output_mean_var).setDefault(false)
        .doc("Output the mean and std calculated along the given axis.");
  }
};

struct InstanceNormParam {
  float eps;
  static void declare(ParamDecl<InstanceNormParam>& d) {
    d.field("eps", &InstanceNormParam::eps).setDefault(1e-3f)
        .doc("An `epsilon` parameter to prevent division by 0.");
  }
};

struct GroupNormParam {
  int num_groups;
  float eps;
  bool output_mean_var;
  static void declare(ParamDecl<GroupNormParam>& d) {
    d.field("num_groups", &GroupNormParam::num_groups).setDefault(1).doc("Total number of groups.");
    d.field("eps", &GroupNormParam::eps).setDefault(1e-5f).doc("An `epsilon` parameter to prevent division by 0.");
    d.field("output_mean_var", &GroupNormParam::output_mean_var).setDefault(false)
        .doc("Output the mean and std calculated along the given axis.");
  }
};

struct L2NormalizationParam {
  float eps;
  std::string mode;
  static void declare(ParamDecl<L2NormalizationParam>& d) {
    d.field("eps", &L2NormalizationParam::eps).setDefault(1e-10f).doc("A small constant for numerical stability.");
    d.field("mode", &L2NormalizationParam::mode)
        .setDefault("instance")
        .values({"instance", "spatial", "channel"})
        .doc("Specify the dimension along which to compute L2 norm.");
  }
};

// The groups normalized together: (outer, n, inner) with the sum running over n.
// instance: (N, rest, 1); channel: (N, C, spatial); spatial: (N * C, spatial, 1).
inline nn::AxisSplit groupsOf(const std::string& mode, const Shape& d) {
  nn::AxisSplit s;
  const int64_t total = shapeSize(d);
  if (mode == "instance") {
    s.outer = d[0];
    s.n = d[0] == 0 ? 0 : total / d[0];
  } else if (mode == "channel") {
    s.outer = d[0];
    s.n = d[1];
    s.inner = d[0] * d[1] == 0 ? 0 : total / (d[0] * d[1]);
  } else {
    s.outer = d[0] * d[1];
    s.n = s.outer == 0 ? 0 : total / s.outer;
  }
  return s;
}

}  // namespace ist
