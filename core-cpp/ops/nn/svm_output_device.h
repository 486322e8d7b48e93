// SVMOutput's parameters (shared with svm_output.cc) and the device-generic computes of SVMOutput
// (identity) and _backward_SVMOutput (the L1- or L2-SVM hinge gradient), attached in svm_output.cu.
#pragma once
#include <cstdint>
#include <vector>
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace svmdev {

struct SVMOutputParam {
  float margin = 1.0f;
  float regularization_coefficient = 1.0f;
  bool use_linear = false;
  static void declare(ParamDecl<SVMOutputParam>& d) {
    d.field("margin", &SVMOutputParam::margin).setDefault(1.0f)
        .doc("The loss function penalizes outputs that lie outside this margin. Default margin is 1.");
    d.field("regularization_coefficient", &SVMOutputParam::regularization_coefficient).setDefault(1.0f)
        .doc("Scale the coefficient responsible for balacing coefficient size and error tradeoff");
    d.field("use_linear", &SVMOutputParam::use_linear).setDefault(false)
        .doc("If set true, uses L1-SVM objective function. Default uses L2-SVM objective");
  }
};

struct SVMForwardMap {
  template <typename T> ISTX static void Map(int64_t i, T* y, const T* x, bool add) {
    dnd::putd(y + i, dnd::ldd(x[i]), add);
  }
};

// Element i of the (rows, classes) output: the class of its row's label (truncated, as MXNet's
// static_cast<int>) gets the hinge term of its score, the other classes that of minus theirs.
struct SVMBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* gx, const T* y, const double* label, int64_t classes, double margin,
                       double reg, bool linear, bool add) {
    const int64_t row = i / classes, x = i % classes;
    const double o = dnd::ldd(y[i]);
    double g;
    if (dnd::truncInt64(label[row]) == x) {
      g = linear ? (margin > o ? -reg : 0.0) : (margin > o ? -2.0 * reg * (margin - o) : 0.0);
    } else {
      g = linear ? (margin > -o ? reg : 0.0) : (margin > -o ? 2.0 * reg * (margin + o) : 0.0);
    }
    dnd::putd(gx + i, g, add);
  }
};

template <typename Dev>
void svmOutputDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  if (req[0] != OpReq::kAddTo && in[0].dptr == out[0].dptr) return;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "SVMOutput", {
    DeviceKernel<SVMForwardMap, Dev>::launch(ctx.run.stream, in[0].size(), 1, out[0].data<T>(), in[0].data<T>(),
                                             req[0] == OpReq::kAddTo);
  });
}

// _backward_SVMOutput inputs: label, output (MXNet's backward dependencies). Output: the data gradient.
template <typename Dev>
void svmOutputBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const TBlob &label = in[0], &y = in[1];
  const auto& p = attrs.get<SVMOutputParam>();
  const int64_t n = y.size(), classes = y.shape.empty() ? 1 : y.shape.back();
  void* s = ctx.run.stream;
  TempSpace<Dev> lab(s, static_cast<size_t>(label.size()) * sizeof(double));
  dnd::readDoubles<Dev>(ctx, label, lab.template as<double>(), "_backward_SVMOutput");
  IST_TYPE_SWITCH_FLOAT(y.dtype, T, "_backward_SVMOutput", {
    DeviceKernel<SVMBackwardMap, Dev>::launch(s, n, 2, out[0].data<T>(), y.data<T>(),
                                              static_cast<const double*>(lab.template as<double>()), classes,
                                              double(p.margin), double(p.regularization_coefficient),
                                              p.use_linear, req[0] == OpReq::kAddTo);
  });
}

}  // namespace svmdev
}  // namespace ist
