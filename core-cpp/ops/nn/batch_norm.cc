// BatchNorm: per-channel normalization with batch statistics in training (updating moving_mean and
// moving_var in place) and the moving statistics in inference or with use_global_stats.
//
// Outputs: output; mean and var, which hold the mean and the *inverse std* used (as in MXNet,
// visible with output_mean_var); and a hidden one-element flag saying whether batch statistics were
// used, so _backward_BatchNorm applies the matching formula whatever mode backward runs in.
#include <cmath>
#include <optional>
#include <type_traits>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "ops/nn/channel_affine.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/norm_params.h"

namespace ist {
namespace {


const std::vector<std::string> kInputNames{"data", "gamma", "beta", "moving_mean", "moving_var"};

void batchNormShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = "BatchNorm";
  if (!shapeIsKnown(in[0])) return;
  const Shape& d = in[0];
  IST_CHECK(!d.empty(), op, "data", "expects data of rank >= 1, got shape ()");
  const int axis = nn::checkAxis(attrs.get<BatchNormParam>().axis, d, op);
  const int64_t c = d[axis];
  for (size_t i = 1; i < 5; ++i) nn::expectVector(in[i], c, op, kInputNames[i].c_str(), d);
  out[0] = d;
  out[1] = out[2] = Shape{c};
  out[3] = Shape{1};
}

// Parameters and statistics are float32 for float16/bfloat16 data (MXNet's rule), else data's dtype;
// given ones may be any float type.
void batchNormType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const char* op = "BatchNorm";
  if (in[0] < 0) return;
  nn::requireFloat(in[0], op, "data");
  const DType dt = static_cast<DType>(in[0]);
  const int param = (dt == DType::kFloat16 || dt == DType::kBFloat16) ? static_cast<int>(DType::kFloat32) : in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i] < 0) in[i] = param;
    nn::requireFloat(in[i], op, kInputNames[i].c_str());
  }
  out[0] = in[0];
  out[1] = out[2] = out[3] = param;
}

struct Channels {
  int64_t outer, c, inner;
  int64_t count() const { return outer * inner; }  // items per channel
};
Channels channelsOf(const BatchNormParam& p, const Shape& d) {
  const nn::AxisSplit s = nn::splitAt(d, nn::checkAxis(p.axis, d, "BatchNorm"));
  return Channels{s.outer, s.n, s.inner};
}

// Calls f(index) for every element of channel ch.
template <typename F> inline void forChannel(const Channels& L, int64_t ch, F&& f) {
  for (int64_t o = 0; o < L.outer; ++o) {
    const int64_t base = (o * L.c + ch) * L.inner;
    for (int64_t i = 0; i < L.inner; ++i) f(base + i);
  }
}

// y = (x - mu) * scale + shift over one contiguous run, in T's own arithmetic: the loop vectorises,
// where the per-element path through double (kept for the 16-bit floats) ran ~7x slower.
template <typename T>
void normalizeRun(const T* x, T* y, int64_t n, T mu, T scale, T shift, bool addTo) {
  if (addTo) {
    for (int64_t i = 0; i < n; ++i) y[i] += (x[i] - mu) * scale + shift;
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mu) * scale + shift;
  }
}

// MXNet: zero variance with eps 0 gives invstd 0 rather than inf.
inline double invStd(double var, double eps) { return (var == 0 && eps == 0) ? 0.0 : 1.0 / std::sqrt(var + eps); }
// The factor normalised values are multiplied by (fix_gamma: gamma is 1).
inline double normScale(const BatchNormParam& p, double invstd, double gamma) {
  return invstd * (p.fix_gamma ? 1.0 : gamma);
}

void batchNormCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "BatchNorm";
  const auto& p = attrs.get<BatchNormParam>();
  const Channels L = channelsOf(p, in[0].shape);
  const bool batchStats = ctx.isTrain && !p.use_global_stats;
  const std::vector<double> gamma = nn::toDoubles(in[1], op), beta = nn::toDoubles(in[2], op);
  std::vector<double> mean = nn::toDoubles(in[3], op), var = nn::toDoubles(in[4], op);
  std::vector<double> invstd(static_cast<size_t>(L.c));
  const int64_t m = L.count();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, op, {
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    parallelFor(L.c, m * 8, [&](int64_t b, int64_t e) {
      for (int64_t ch = b; ch < e; ++ch) {
        const size_t c = static_cast<size_t>(ch);
        if (batchStats) {
          double sum = 0, sq = 0;
          forChannel(L, ch, [&](int64_t i) { sum += nn::load(x[i]); });
          const double mu = m > 0 ? sum / static_cast<double>(m) : 0.0;
          forChannel(L, ch, [&](int64_t i) {
            const double v = nn::load(x[i]) - mu;
            sq += v * v;
          });
          mean[c] = mu;
          var[c] = m > 0 ? sq / static_cast<double>(m) : 0.0;
        }
        invstd[c] = invStd(var[c], p.eps);
        if (req[0] == OpReq::kNull) continue;
        const double scale = normScale(p, invstd[c], gamma[c]), shift = beta[c], mu = mean[c];
        if constexpr (std::is_same<T, float>::value || std::is_same<T, double>::value) {
          for (int64_t o = 0; o < L.outer; ++o) {
            const int64_t base = (o * L.c + ch) * L.inner;
            normalizeRun(x + base, y + base, L.inner, static_cast<T>(mu), static_cast<T>(scale), static_cast<T>(shift),
                         req[0] == OpReq::kAddTo);
          }
        } else {
          forChannel(L, ch, [&](int64_t i) { nn::put(y + i, (nn::load(x[i]) - mu) * scale + shift, req[0]); });
        }
      }
    });
  });
  nn::fromDoubles(out[1], mean, req[1], op);
  nn::fromDoubles(out[2], invstd, req[2], op);
  nn::fromDoubles(out[3], {batchStats ? 1.0 : 0.0}, req[3], op);
  if (batchStats && m > 0) {  // moving = moving * momentum + batch * (1 - momentum), in place
    std::vector<double> mm = nn::toDoubles(in[3], op), mv = nn::toDoubles(in[4], op);
    for (size_t c = 0; c < mm.size(); ++c) {
      mm[c] = mm[c] * p.momentum + mean[c] * (1.0 - p.momentum);
      mv[c] = mv[c] * p.momentum + var[c] * (1.0 - p.momentum);
    }
    nn::fromDoubles(in[3], mm, OpReq::kWriteTo, op);
    nn::fromDoubles(in[4], mv, OpReq::kWriteTo, op);
  }
}

// _backward_BatchNorm inputs: ograd, data, gamma, mean, invstd, flag. Outputs: d(data), d(gamma),
// d(beta). With batch statistics dx = (og - mean(og) - xc * invstd^2 * mean(og * xc)) * invstd * g
// (xc = x - mean); with fixed statistics dx = og * invstd * g.
void batchNormBackward(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "_backward_BatchNorm";
  const auto& p = attrs.get<BatchNormParam>();
  const Channels L = channelsOf(p, in[1].shape);
  const std::vector<double> gamma = nn::toDoubles(in[2], op), mean = nn::toDoubles(in[3], op),
                            invstd = nn::toDoubles(in[4], op);
  const bool batchStats = nn::readAsDouble(in[5], 0, op) > 0.5;
  const int64_t m = L.count();
  std::vector<double> dgamma(static_cast<size_t>(L.c)), dbeta(static_cast<size_t>(L.c));
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, op, {
    const T* gy = in[0].data<T>();
    const T* x = in[1].data<T>();
    T* gx = out[0].data<T>();
    parallelFor(L.c, m * 8, [&](int64_t b, int64_t e) {
      for (int64_t ch = b; ch < e; ++ch) {
        const size_t c = static_cast<size_t>(ch);
        const double mu = mean[c], is = invstd[c], w = p.fix_gamma ? 1.0 : gamma[c];
        double sumG = 0, dot = 0;
        forChannel(L, ch, [&](int64_t i) {
          const double g = nn::load(gy[i]);
          sumG += g;
          dot += (nn::load(x[i]) - mu) * g;
        });
        dgamma[c] = p.fix_gamma ? 0.0 : dot * is;
        dbeta[c] = sumG;
        if (req[0] == OpReq::kNull) continue;
        if (batchStats && m > 0) {
          const double k = dot * is * is / static_cast<double>(m), gm = sumG / static_cast<double>(m);
          forChannel(L, ch, [&](int64_t i) {
            nn::put(gx + i, (nn::load(gy[i]) - gm - (nn::load(x[i]) - mu) * k) * is * w, req[0]);
          });
        } else {
          forChannel(L, ch, [&](int64_t i) { nn::put(gx + i, nn::load(gy[i]) * is * w, req[0]); });
        }
      }
    });
  });
  nn::fromDoubles(out[1], dgamma, req[1], op);
  nn::fromDoubles(out[2], dbeta, req[2], op);
}

void batchNormBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = "_backward_BatchNorm";
  if (!shapeIsKnown(in[1])) return;
  const Shape& d = in[1];
  IST_CHECK(!d.empty(), op, "data", "expects data of rank >= 1, got shape ()");
  const int64_t c = d[nn::checkAxis(attrs.get<BatchNormParam>().axis, d, op)];
  nn::expectShape(in[0], d, op, "ograd");
  const char* names[] = {"gamma", "mean", "var"};
  for (size_t i = 2; i < 5; ++i) nn::expectShape(in[i], Shape{c}, op, names[i - 2]);
  nn::expectShape(in[5], Shape{1}, op, "batch_stats");
  out[0] = d;
  out[1] = out[2] = Shape{c};
}

void batchNormBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const char* op = "_backward_BatchNorm";
  std::vector<int> xt{in[0], in[1]};
  const int t = nn::unifyFloat(xt, {"ograd", "data"}, op);
  const char* names[] = {"gamma", "mean", "var", "batch_stats"};
  for (size_t i = 2; i < 6; ++i) nn::requireFloat(in[i], op, names[i - 2]);
  if (t >= 0) out[0] = t;
  if (in[2] >= 0) out[1] = out[2] = in[2];
}

IST_REGISTER_OP(BatchNorm)
    .alias("_npx_batch_norm")
    .describe("Batch normalization: out = (x - mean) / sqrt(var + eps) * gamma + beta per channel (`axis`). "
              "In training (and not use_global_stats) mean and var are the batch's and moving_mean / "
              "moving_var are updated in place: moving = moving * momentum + batch * (1 - momentum); "
              "otherwise the moving statistics are used. fix_gamma treats gamma as 1. With output_mean_var "
              "it also returns the mean and the inverse std used.")
    .inputs({"data", "gamma", "beta", "moving_mean", "moving_var"})
    .params<BatchNormParam>()
    .numOutputs([](const NodeAttrs&) { return 4; })
    .numVisibleOutputs([](const NodeAttrs& a) { return a.get<BatchNormParam>().output_mean_var ? 3 : 1; })
    .mutateInputs({3, 4})
    .inferShape(batchNormShape)
    .inferType(batchNormType)
    .compute(Context::kCPU, batchNormCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      NodePtr b = makeNode("_backward_BatchNorm",
                           {og[0], n->inputs[0], n->inputs[1], NodeEntry{n, 1}, NodeEntry{n, 2}, NodeEntry{n, 3}},
                           n->attrs.dict);
      return std::vector<NodeEntry>{NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}, NodeEntry{}, NodeEntry{}};
    });

IST_REGISTER_OP(_backward_BatchNorm)
    .describe("Gradient of BatchNorm.")
    .inputs({"ograd", "data", "gamma", "mean", "var", "batch_stats"})
    .params<BatchNormParam>()
    .numOutputs([](const NodeAttrs&) { return 3; })
    .inferShape(batchNormBackwardShape)
    .inferType(batchNormBackwardType)
    .compute(Context::kCPU, batchNormBackward);

}  // namespace

template <typename T>
ChannelAffine<T> batchNormInferenceAffine(const BatchNormParam& p, const TBlob& gamma, const TBlob& beta,
                                          const TBlob& mean, const TBlob& var) {
  const char* op = "BatchNorm";
  const std::vector<double> g = nn::toDoubles(gamma, op), b = nn::toDoubles(beta, op), m = nn::toDoubles(mean, op),
                            v = nn::toDoubles(var, op);
  ChannelAffine<T> a;
  for (size_t c = 0; c < m.size(); ++c) {
    // The same doubles as batchNormCompute, rounded to T as it passes them to normalizeRun.
    a.mu.push_back(static_cast<T>(m[c]));
    a.scale.push_back(static_cast<T>(normScale(p, invStd(v[c], p.eps), g[c])));
    a.shift.push_back(static_cast<T>(b[c]));
  }
  return a;
}
template ChannelAffine<float> batchNormInferenceAffine<float>(const BatchNormParam&, const TBlob&, const TBlob&,
                                                              const TBlob&, const TBlob&);
template ChannelAffine<double> batchNormInferenceAffine<double>(const BatchNormParam&, const TBlob&, const TBlob&,
                                                                const TBlob&, const TBlob&);

}  // namespace ist
