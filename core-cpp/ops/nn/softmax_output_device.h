// SoftmaxOutput's parameters and layout (shared with softmax_output.cc) and the device-generic
// computes of SoftmaxOutput and _backward_SoftmaxOutput, attached in softmax_output.cu.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "base/shape.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace smodev {

struct SoftmaxOutputParam {
  float grad_scale, ignore_label;
  bool multi_output, use_ignore, preserve_shape;
  std::string normalization;
  bool out_grad;
  float smooth_alpha;
  static void declare(ParamDecl<SoftmaxOutputParam>& d) {
    d.field("grad_scale", &SoftmaxOutputParam::grad_scale).setDefault(1.0f)
        .doc("Scales the gradient by a float factor.");
    d.field("ignore_label", &SoftmaxOutputParam::ignore_label).setDefault(-1.0f)
        .doc("The instances whose `labels` == `ignore_label` will be ignored during backward, if "
             "`use_ignore` is set to ``true``).");
    d.field("multi_output", &SoftmaxOutputParam::multi_output).setDefault(false)
        .doc("If set to ``true``, the softmax function will be computed along axis ``1``. This is applied "
             "when the shape of input array differs from the shape of label array.");
    d.field("use_ignore", &SoftmaxOutputParam::use_ignore).setDefault(false)
        .doc("If set to ``true``, the `ignore_label` value will not contribute to the backward gradient.");
    d.field("preserve_shape", &SoftmaxOutputParam::preserve_shape).setDefault(false)
        .doc("If set to ``true``, the softmax function will be computed along the last axis (``-1``).");
    d.field("normalization", &SoftmaxOutputParam::normalization)
        .setDefault("null")
        .values({"null", "batch", "valid"})
        .doc("Normalizes the gradient.");
    d.field("out_grad", &SoftmaxOutputParam::out_grad).setDefault(false)
        .doc("Multiplies gradient with output gradient element-wise.");
    d.field("smooth_alpha", &SoftmaxOutputParam::smooth_alpha).setDefault(0.0f).range(0.0, 1.0)
        .doc("Constant for computing a label smoothed version of cross-entropy for the backwards pass. "
             "This constant gets subtracted from the one-hot encoding of the gold label and distributed "
             "uniformly to all other labels.");
  }
};

// The data seen as (rows, k, inner): softmax runs over k, `inner` apart.
struct Layout {
  int64_t rows = 1, k = 1, inner = 1;
};
inline Layout layoutOf(const SoftmaxOutputParam& p, const Shape& d) {
  Layout l;
  const int64_t total = shapeSize(d);
  if (p.multi_output) {  // (n, k, rest)
    l.rows = d[0];
    l.k = d[1];
    l.inner = l.rows * l.k == 0 ? 0 : total / (l.rows * l.k);
  } else if (p.preserve_shape || d.size() <= 1) {  // (prod(leading), last)
    l.k = d.empty() ? 1 : d.back();
    l.rows = l.k == 0 ? 0 : total / l.k;
  } else {  // (n, prod(rest))
    l.rows = d[0];
    l.k = l.rows == 0 ? 0 : total / l.rows;
  }
  return l;
}

// The gradient's weights, shared by softmax_output.cc and the device twin: scale is grad_scale
// over the normalization count (countIgnored(), the labels equal to ignore_label, is asked for
// only under "valid"); alpha is label smoothing's (MXNet's multi_output path has none) and other
// the weight each other class gets.
struct SmoWeights {
  double scale, alpha, other;
};
template <typename CountIgnored>
inline SmoWeights smoWeights(const SoftmaxOutputParam& p, const Layout& l, int64_t nLabels,
                             const CountIgnored& countIgnored) {
  int64_t valid = nLabels;
  if (p.normalization == "batch") {
    valid = p.multi_output ? l.rows : nLabels;
  } else if (p.normalization == "valid") {
    valid -= countIgnored();
    valid = valid == 0 ? 1 : valid;
  } else {
    valid = 1;
  }
  double scale = p.grad_scale / static_cast<double>(valid);
  if (p.multi_output && p.normalization != "valid") scale /= static_cast<double>(l.inner);
  const double alpha = p.multi_output ? 0.0 : p.smooth_alpha;
  const double other = l.k > 1 ? alpha / static_cast<double>(l.k - 1) : 0.0;
  return {scale, alpha, other};
}

// Element e of data laid out as (rows, k, inner): its softmax row r and position j along it.
struct SmoGeom {
  int64_t k, inner;
  ISTX int64_t base(int64_t r) const { return (r / inner) * k * inner + r % inner; }
  ISTX void locate(int64_t e, int64_t* r, int64_t* j) const {
    const int64_t o = e / (k * inner), rem = e % (k * inner);
    *j = rem / inner;
    *r = o * inner + rem % inner;
  }
};

struct SmoStatsMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t r, C* mxOut, C* sumOut, const T* x, SmoGeom g) {
    const int64_t base = g.base(r);
    C mx = C(x[base]);
    for (int64_t j = 1; j < g.k; ++j) {
      const C v = C(x[base + j * g.inner]);
      mx = mx < v ? v : mx;
    }
    C sum = 0;
    for (int64_t j = 0; j < g.k; ++j) sum += math::exp(C(x[base + j * g.inner]) - mx);
    mxOut[r] = mx;
    sumOut[r] = sum;
  }
};

struct SmoOutMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t e, T* y, const T* x, const C* mx, const C* sum, SmoGeom g, bool add) {
    int64_t r, j;
    g.locate(e, &r, &j);
    dnd::putd(y + e, double(math::exp(C(x[e]) - mx[r]) / sum[r]), add);
  }
};

template <typename Dev>
void softmaxOutputDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || in[0].size() == 0) return;
  const Layout l = layoutOf(attrs.get<SoftmaxOutputParam>(), in[0].shape);
  const SmoGeom g{l.k, l.inner};
  const int64_t rows = l.rows * l.inner;
  void* s = ctx.run.stream;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "SoftmaxOutput", {
    using C = dnd::CT<T>;
    TempSpace<Dev> stats(s, static_cast<size_t>(rows) * 2 * sizeof(C));
    C* mx = stats.template as<C>();
    C* sum = mx + rows;
    DeviceKernel<SmoStatsMap, Dev>::launch(s, rows, l.k * 8, mx, sum, in[0].data<T>(), g);
    DeviceKernel<SmoOutMap, Dev>::launch(s, in[0].size(), 12, out[0].data<T>(), in[0].data<T>(),
                                         static_cast<const C*>(mx), static_cast<const C*>(sum), g,
                                         req[0] == OpReq::kAddTo);
  });
}

// Probability labels: (output - label) * grad_scale (* ograd with out_grad).
struct SmoProbGradMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* gx, const T* y, const T* gy, const double* label, float gradScale, bool outGrad,
                       bool add) {
    const double hg = outGrad ? dnd::ldd(gy[i]) : 1.0;
    dnd::putd(gx + i, (dnd::ldd(y[i]) - label[i]) * gradScale * hg, add);
  }
};

// count[0] += 1 for every label whose integer value is `ignore`.
struct CountIgnoredMap {
  ISTX static void Map(int64_t i, double* count, const double* label, int ignore) {
    if (dnd::truncInt(label[i]) == ignore) deviceAtomicAdd(count, 1.0);
  }
};

struct SmoGradMap {
  template <typename T>
  ISTX static void Map(int64_t e, T* gx, const T* y, const T* gy, const double* label, SmoGeom g, double scale,
                       double alpha, double other, bool useIgnore, int ignore, bool outGrad, bool add) {
    int64_t r, j;
    g.locate(e, &r, &j);
    const int cls = dnd::truncInt(label[r]);
    const bool ignored = useIgnore && cls == ignore;
    double v = 0;
    if (!ignored) {
      v = dnd::ldd(y[e]) - (j == cls ? 1.0 - alpha : other);
      v *= scale * (outGrad ? dnd::ldd(gy[e]) : 1.0);
    }
    dnd::putd(gx + e, v, add);
  }
};

// _backward_SoftmaxOutput inputs: ograd (used with out_grad), output, label.
template <typename Dev>
void softmaxOutputBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                              const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "_backward_SoftmaxOutput";
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<SoftmaxOutputParam>();
  const TBlob &gy = in[0], &y = in[1], &label = in[2];
  const int64_t total = y.size();
  void* s = ctx.run.stream;
  const bool add = req[0] == OpReq::kAddTo;
  const int64_t nLabels = label.size();
  TempSpace<Dev> lab(s, static_cast<size_t>(nLabels + 1) * sizeof(double));
  double* labels = lab.template as<double>();
  dnd::readDoubles<Dev>(ctx, label, labels, op);
  IST_TYPE_SWITCH_FLOAT(y.dtype, T, op, {
    if (label.shape == y.shape) {
      DeviceKernel<SmoProbGradMap, Dev>::launch(s, total, 4, out[0].data<T>(), y.data<T>(), gy.data<T>(),
                                                static_cast<const double*>(labels), p.grad_scale, p.out_grad, add);
      return;
    }
    const Layout l = layoutOf(p, y.shape);
    const int ignore = static_cast<int>(p.ignore_label);
    const SmoWeights w = smoWeights(p, l, nLabels, [&] {
      double* count = labels + nLabels;
      DeviceMem<Dev>::zero(s, count, sizeof(double));
      DeviceKernel<CountIgnoredMap, Dev>::launch(s, nLabels, 2, count, static_cast<const double*>(labels), ignore);
      double ignored = 0;
      DeviceMem<Dev>::toHost(s, &ignored, count, sizeof(double));
      return static_cast<int64_t>(ignored);
    });
    const double scale = w.scale, alpha = w.alpha, other = w.other;
    DeviceKernel<SmoGradMap, Dev>::launch(s, total, 4, out[0].data<T>(), y.data<T>(), gy.data<T>(),
                                          static_cast<const double*>(labels), SmoGeom{l.k, l.inner}, scale, alpha,
                                          other, p.use_ignore, ignore, p.out_grad, add);
  });
}

}  // namespace smodev
}  // namespace ist
