// MakeLoss's parameters (shared with loss.cc) and the device-generic computes of MakeLoss,
// make_loss, _backward_MakeLoss, softmax_cross_entropy and its backward op, attached in loss.cu.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace lossdev {

struct MakeLossParam {
  float grad_scale, valid_thresh;
  std::string normalization;
  static void declare(ParamDecl<MakeLossParam>& d) {
    d.field("grad_scale", &MakeLossParam::grad_scale).setDefault(1.0f)
        .doc("Gradient scale as a supplement to unary and binary operators");
    d.field("valid_thresh", &MakeLossParam::valid_thresh).setDefault(0.0f)
        .doc("clip each element in the array to 0 when it is less than ``valid_thresh``. This is used when "
             "``normalization`` is set to ``'valid'``.");
    d.field("normalization", &MakeLossParam::normalization)
        .setDefault("null")
        .values({"null", "batch", "valid"})
        .doc("If this is set to null, the output gradient will not be normalized. If this is set to batch, the "
             "output gradient will be divided by the batch size. If this is set to valid, the output gradient "
             "will be divided by the number of valid input elements.");
  }
};

struct AddIntoMap {
  template <typename T> ISTX static void Map(int64_t i, T* y, const T* x) {
    using C = dnd::CT<T>;
    y[i] = T(C(y[i]) + C(x[i]));
  }
};

// MakeLoss / make_loss forward: the identity.
template <typename Dev>
void copyComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || in[0].dptr == out[0].dptr) return;
  const int64_t n = in[0].size();
  if (req[0] != OpReq::kAddTo) {
    DeviceMem<Dev>::copy(ctx.run.stream, out[0].dptr, in[0].dptr, static_cast<size_t>(n) * dtypeSize(in[0].dtype));
    return;
  }
  IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, nn::opName(attrs, "MakeLoss"), {
    DeviceKernel<AddIntoMap, Dev>::launch(ctx.run.stream, n, 1, out[0].data<T>(), in[0].data<T>());
  });
}

// count[0] += 1 for every x[i] > thresh.
struct CountAboveMap {
  ISTX static void Map(int64_t i, double* count, const double* x, double thresh) {
    if (x[i] > thresh) deviceAtomicAdd(count, 1.0);
  }
};

struct FillPutMap {
  template <typename T> ISTX static void Map(int64_t i, T* g, double v, bool add) { dnd::putd(g + i, v, add); }
};

template <typename Dev>
void makeLossBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "_backward_MakeLoss";
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<MakeLossParam>();
  const int64_t n = in[0].size();
  void* s = ctx.run.stream;
  double v = p.grad_scale;
  if (p.normalization == "batch") {
    v /= in[0].shape.empty() ? 1.0 : static_cast<double>(in[0].shape[0] > 1 ? in[0].shape[0] : 1);
  } else if (p.normalization == "valid") {
    TempSpace<Dev> tmp(s, static_cast<size_t>(n + 1) * sizeof(double));
    double* x = tmp.template as<double>();
    double* count = x + n;
    DeviceMem<Dev>::zero(s, count, sizeof(double));
    dnd::readDoubles<Dev>(ctx, in[0], x, op);
    DeviceKernel<CountAboveMap, Dev>::launch(s, n, 2, count, static_cast<const double*>(x),
                                             static_cast<double>(p.valid_thresh));
    double valid = 0;
    DeviceMem<Dev>::toHost(s, &valid, count, sizeof(double));
    v /= valid > 1 ? valid : 1.0;
  }
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, op, {
    DeviceKernel<FillPutMap, Dev>::launch(s, n, 1, out[0].data<T>(), v, req[0] == OpReq::kAddTo);
  });
}

// ---- softmax_cross_entropy ----

// Row r of x (k entries): max and sum of exp(x - max), in double (rowSoftmax in loss.cc).
struct SceStatsMap {
  template <typename T> ISTX static void Map(int64_t r, double* mx, double* sum, const T* x, int64_t k) {
    const T* row = x + r * k;
    double m = k > 0 ? dnd::ldd(row[0]) : 0.0, s = 0;
    for (int64_t j = 1; j < k; ++j) {
      const double v = dnd::ldd(row[j]);
      m = m < v ? v : m;
    }
    for (int64_t j = 0; j < k; ++j) s += math::exp(dnd::ldd(row[j]) - m);
    mx[r] = m;
    sum[r] = s;
  }
};

ISTX int64_t sceLabel(double v) { return (v == v && v - v == 0) ? static_cast<int64_t>(v) : -1; }  // finite

// term[r] = log(max(p[label], 1e-8)).
struct SceTermMap {
  template <typename T>
  ISTX static void Map(int64_t r, double* term, const T* x, const double* mx, const double* sum, const double* label,
                       int64_t k) {
    const int64_t c = sceLabel(label[r]);
    const double pc = (c >= 0 && c < k) ? math::exp(dnd::ldd(x[r * k + c]) - mx[r]) / sum[r] : 0.0;
    term[r] = math::log(pc > 1e-8 ? pc : 1e-8);
  }
};

// out[0] (=|+=) -sum of the terms, summed in row order.
struct SceSumMap {
  template <typename T> ISTX static void Map(int64_t, T* out, const double* term, int64_t n, bool add) {
    double loss = 0;
    for (int64_t r = 0; r < n; ++r) loss -= term[r];
    dnd::putd(out, loss, add);
  }
};

template <typename Dev>
void sceDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
            const std::vector<TBlob>& out) {
  const char* op = "softmax_cross_entropy";
  if (req[0] == OpReq::kNull) return;
  const int64_t n = in[0].shape[0], k = in[0].shape[1];
  void* s = ctx.run.stream;
  TempSpace<Dev> tmp(s, static_cast<size_t>(4 * n + 1) * sizeof(double));
  double* mx = tmp.template as<double>();
  double* sum = mx + n;
  double* label = sum + n;
  double* term = label + n;
  dnd::readDoubles<Dev>(ctx, in[1], label, op);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, op, {
    const T* x = in[0].data<T>();
    DeviceKernel<SceStatsMap, Dev>::launch(s, n, k * 8, mx, sum, x, k);
    DeviceKernel<SceTermMap, Dev>::launch(s, n, 20, term, x, static_cast<const double*>(mx),
                                          static_cast<const double*>(sum), static_cast<const double*>(label), k);
  });
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, T, op, {
    DeviceKernel<SceSumMap, Dev>::launch(s, 1, n, out[0].data<T>(), static_cast<const double*>(term), n,
                                         req[0] == OpReq::kAddTo);
  });
}

// d(data) = ograd * (softmax(data) - one_hot(label)).
struct SceGradMap {
  template <typename T>
  ISTX static void Map(int64_t e, T* gx, const T* x, const double* mx, const double* sum, const double* label,
                       const double* scale, int64_t k, bool add) {
    const int64_t r = e / k, j = e % k;
    const int64_t c = sceLabel(label[r]);
    const double pj = math::exp(dnd::ldd(x[e]) - mx[r]) / sum[r];
    dnd::putd(gx + e, (pj - (j == c ? 1.0 : 0.0)) * scale[0], add);
  }
};

// _backward_softmax_cross_entropy inputs: ograd (shape (1,)), data, label.
template <typename Dev>
void sceBackwardDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "_backward_softmax_cross_entropy";
  if (req[0] == OpReq::kNull) return;
  const int64_t n = in[1].shape[0], k = in[1].shape[1];
  void* s = ctx.run.stream;
  TempSpace<Dev> tmp(s, static_cast<size_t>(3 * n + 1) * sizeof(double));
  double* mx = tmp.template as<double>();
  double* sum = mx + n;
  double* label = sum + n;
  double* scale = label + n;
  // ograd[0] as a double (readDoubles of its first element only).
  TBlob og = in[0];
  og.shape = Shape{1};
  dnd::readDoubles<Dev>(ctx, og, scale, op);
  dnd::readDoubles<Dev>(ctx, in[2], label, op);
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, op, {
    const T* x = in[1].data<T>();
    DeviceKernel<SceStatsMap, Dev>::launch(s, n, k * 8, mx, sum, x, k);
    DeviceKernel<SceGradMap, Dev>::launch(s, n * k, 12, out[0].data<T>(), x, static_cast<const double*>(mx),
                                          static_cast<const double*>(sum), static_cast<const double*>(label),
                                          static_cast<const double*>(scale), k, req[0] == OpReq::kAddTo);
  });
}

}  // namespace lossdev
}  // namespace ist
