// Device-generic (kernels/device.h) BatchNorm and _backward_BatchNorm, the same arithmetic as
// batch_norm.cc: per-channel statistics in double (two passes: mean, then mean squared deviation),
// the moving statistics updated in place in training, gather-style channel sums in backward.
// Included only from .cu files (ops/nn/normalization.cu).
#pragma once
#include <vector>
#include "kernels/channel_index.h"
#include "kernels/device_rows.h"
#include "ops/elemwise/functors.h"
#include "ops/nn/activation_device.h"
#include "ops/nn/norm_rows_device.h"

namespace ist {
namespace ndev {

// invstd[c] from var[c] (MXNet: zero variance with eps 0 gives 0 rather than inf).
struct BNInvStdMap {
  ISTX static void Map(int64_t c, const double* var, double* invstd, double eps) {
    invstd[c] = (var[c] == 0 && eps == 0) ? 0.0 : 1.0 / ::sqrt(var[c] + eps);
  }
};

struct BNForwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, const T* x, T* y, ChannelIndex channel, const double* gamma,
                       const double* beta, const double* mean, const double* invstd, bool fixGamma, OpReq req) {
    const int64_t c = channel(i);
    const double scale = invstd[c] * (fixGamma ? 1.0 : gamma[c]), shift = beta[c], mu = mean[c];
    dput(y + i, (ldd(x[i]) - mu) * scale + shift, req);
  }
};

// Channel c's inference affine from gamma, beta and the moving statistics, in double (MXNet: zero
// variance with eps 0 gives invstd 0 rather than inf).
struct BNInferAffine {
  double mean, invstd, scale, shift;
};
template <typename T>
ISTX BNInferAffine bnInferAffine(int64_t c, const T* gamma, const T* beta, const T* movMean, const T* movVar,
                                 double eps, bool fixGamma) {
  const double v = ldd(movVar[c]);
  const double is = (v == 0 && eps == 0) ? 0.0 : 1.0 / ::sqrt(v + eps);
  const double sc = is * (fixGamma ? 1.0 : ldd(gamma[c]));
  const double mu = ldd(movMean[c]);
  return {mu, is, sc, ldd(beta[c]) - mu * sc};
}

// x * scale + shift in x's compute type: float math for float32 and the 16-bit floats (GPUs run
// double at 1/2 to 1/64 of the float rate). One expression for every BatchNorm inference path, so
// the fused and unfused runs round alike.
template <typename T, typename C = typename ComputeType<T>::type>
ISTX T bnAffineValue(T x, C scale, C shift) {
  return static_cast<T>(static_cast<C>(x) * scale + shift);
}

// Inference's hidden outputs with statistics of x's dtype: channel c's mean (the moving mean) and
// inverse std into mean and invstd (either may be null: not requested), of the outputs' dtype O
// (float32 for float16 and bfloat16 data).
struct BNInferOutputsMap {
  template <typename T, typename O>
  ISTX static void Map(int64_t c, const T* gamma, const T* beta, const T* movMean, const T* movVar, double eps,
                       bool fixGamma, O* mean, OpReq meanReq, O* invstd, OpReq invstdReq) {
    const BNInferAffine a = bnInferAffine(c, gamma, beta, movMean, movVar, eps, fixGamma);
    if (mean) dput(mean + c, a.mean, meanReq);
    if (invstd) dput(invstd + c, a.invstd, invstdReq);
  }
};

// BatchNorm inference with statistics of x's dtype, y = x * scale + shift (bnAffineValue), then,
// when the executor fuses them (graph/fuse_conv_bn.h; there y is x, in place), elemwise_add's
// residual[i] and Activation's relu: rows of (image, channel) with the channel's scale and shift
// computed once per row, one pass and no scratch memory.
struct BNInferRowMap {
  template <typename C> struct State { C scale, shift; };
  template <typename T>
  ISTX static State<CT<T>> Row(int64_t r, const T*, T*, int64_t channels, const T* gamma, const T* beta,
                               const T* movMean, const T* movVar, double eps, bool fixGamma, OpReq, bool, const T*) {
    const BNInferAffine a = bnInferAffine(r % channels, gamma, beta, movMean, movVar, eps, fixGamma);
    return {static_cast<CT<T>>(a.scale), static_cast<CT<T>>(a.shift)};
  }
  template <typename T>
  ISTX static void Map(const State<CT<T>>& st, int64_t i, const T* x, T* y, int64_t, const T*, const T*, const T*,
                       const T*, double, bool, OpReq req, bool relu, const T* residual) {
    using C = CT<T>;
    if (req == OpReq::kAddTo) {
      y[i] = static_cast<T>(static_cast<C>(y[i]) + (static_cast<C>(x[i]) * st.scale + st.shift));
      return;
    }
    T v = bnAffineValue(x[i], st.scale, st.shift);
    if (residual) v = elem::plus::Map(v, residual[i]);
    y[i] = relu ? static_cast<T>(actdev::activateDev<actdev::Act::kRelu>(static_cast<C>(v))) : v;
  }
};

struct FillMap {
  template <typename T> ISTX static void Map(int64_t i, T* dst, double v, OpReq req) { dput(dst + i, v, req); }
};

// moving = moving * momentum + batch * (1 - momentum), in place.
struct BNMovingMap {
  template <typename T> ISTX static void Map(int64_t c, T* moving, const double* batch, float momentum) {
    moving[c] = std_<T>(ldd(moving[c]) * momentum + batch[c] * (1.0 - momentum));
  }
};

inline nn::AxisSplit bnChannels(const BatchNormParam& p, const Shape& d) {
  return nn::splitAt(d, nn::checkAxis(p.axis, d, "BatchNorm"));
}

// BatchNorm inference over the (image, channel) rows of x into y (BNInferRowMap); params: gamma,
// beta, moving mean and moving variance, of x's dtype T; residual: y's shape, or null.
template <typename Dev, typename T>
void bnInferRows(void* stream, const nn::AxisSplit& L, const T* x, T* y, const TBlob* params, const BatchNormParam& p,
                 OpReq req, bool relu, const T* residual = nullptr) {
  DeviceRowKernel<BNInferRowMap, Dev>::launch(stream, L.outer * L.n, L.inner, 2, x, y, L.n, params[0].data<T>(),
                                              params[1].data<T>(), params[2].data<T>(), params[3].data<T>(),
                                              static_cast<double>(p.eps), p.fix_gamma, req, relu, residual);
}

// y (N, C, ...) = relu?(BatchNorm inference of y (+ residual)) in place; params: gamma, beta,
// moving mean and variance, all of y's floating dtype (findConvBatchNorm checks it, and that the
// residual, when there is one, has y's shape and dtype).
template <typename Dev>
void batchNormInferenceInPlace(void* stream, const BatchNormParam& p, bool relu, const std::vector<TBlob>& params,
                               const TBlob& y, const TBlob* residual) {
  IST_TYPE_SWITCH_FLOAT(y.dtype, T, "BatchNorm", {
    T* v = y.data<T>();
    bnInferRows<Dev, T>(stream, bnChannels(p, y.shape), v, v, params.data(), p, OpReq::kWriteTo, relu,
                        residual ? residual->data<T>() : nullptr);
  });
}

template <typename Dev>
void batchNormCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "BatchNorm";
  const auto& p = attrs.get<BatchNormParam>();
  const nn::AxisSplit L = bnChannels(p, in[0].shape);
  const int64_t C = L.n, m = L.outer * L.inner;
  const bool batchStats = ctx.isTrain && !p.use_global_stats;
  void* s = ctx.run.stream;
  bool sameTypes = true;
  for (int k = 1; k < 5; ++k) sameTypes = sameTypes && in[k].dtype == in[0].dtype;
  if (!batchStats && sameTypes) {  // the moving statistics in x's dtype: two passes, no scratch memory
    IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, op, {
      const T *g = in[1].data<T>(), *b = in[2].data<T>(), *mm = in[3].data<T>(), *mv = in[4].data<T>();
      const double eps = static_cast<double>(p.eps);
      if (req[1] != OpReq::kNull || req[2] != OpReq::kNull) {
        IST_TYPE_SWITCH_FLOAT(out[1].dtype, O, op, {
          DeviceKernel<BNInferOutputsMap, Dev>::launch(s, C, 8, g, b, mm, mv, eps, p.fix_gamma,
                                                       req[1] != OpReq::kNull ? out[1].data<O>() : nullptr, req[1],
                                                       req[2] != OpReq::kNull ? out[2].data<O>() : nullptr, req[2]);
        });
      }
      if (req[0] != OpReq::kNull) bnInferRows<Dev, T>(s, L, in[0].data<T>(), out[0].data<T>(), &in[1], p, req[0], false);
    });
    if (req[3] != OpReq::kNull) {
      IST_TYPE_SWITCH_FLOAT(out[3].dtype, T, op, {
        DeviceKernel<FillMap, Dev>::launch(s, out[3].size(), 1, out[3].data<T>(), 0.0, req[3]);
      });
    }
    return;
  }
  TempSpace<Dev> tmp(s, size_t(C > 0 ? C : 1) * 5 * sizeof(double));
  double* gamma = tmp.template as<double>();
  double* beta = gamma + C;
  double* mean = beta + C;
  double* var = mean + C;
  double* invstd = var + C;
  toDoubles<Dev>(ctx, in[1], gamma, op);
  toDoubles<Dev>(ctx, in[2], beta, op);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, op, {
    const T* x = in[0].data<T>();
    if (batchStats) {
      const rdev::RGeom g = rdev::makeRGeom(Shape{L.outer, C, L.inner}, {true, false, true}, op);
      rdev::mapReduce<Dev, DSum>(ctx, g, LoadX<T>{x}, StoreDiv{mean, double(m)});
      rdev::mapReduce<Dev, DSum>(ctx, g, LoadCenteredSq<T>{x, mean}, StoreDiv{var, double(m)});
    } else {
      toDoubles<Dev>(ctx, in[3], mean, op);
      toDoubles<Dev>(ctx, in[4], var, op);
    }
    DeviceKernel<BNInvStdMap, Dev>::launch(s, C, 4, static_cast<const double*>(var), invstd, p.eps);
    if (req[0] != OpReq::kNull)
      DeviceKernel<BNForwardMap, Dev>::launch(s, in[0].size(), 4, x, out[0].data<T>(),
                                              ChannelIndex(in[0].size(), C, L.inner), static_cast<const double*>(gamma),
                                              static_cast<const double*>(beta), static_cast<const double*>(mean),
                                              static_cast<const double*>(invstd), p.fix_gamma, req[0]);
  });
  fromDoubles<Dev>(ctx, out[1], mean, req[1], op);
  fromDoubles<Dev>(ctx, out[2], invstd, req[2], op);
  if (req[3] != OpReq::kNull) {
    IST_TYPE_SWITCH_FLOAT(out[3].dtype, T, op, {
      DeviceKernel<FillMap, Dev>::launch(s, out[3].size(), 1, out[3].data<T>(), batchStats ? 1.0 : 0.0, req[3]);
    });
  }
  if (batchStats && m > 0) {
    for (int k = 3; k < 5; ++k) {
      const double* batch = k == 3 ? mean : var;
      IST_TYPE_SWITCH_FLOAT(in[k].dtype, T, op, {
        DeviceKernel<BNMovingMap, Dev>::launch(s, in[k].size(), 4, in[k].data<T>(), batch, p.momentum);
      });
    }
  }
}

// Element 0 of a numeric blob, read to the host.
struct FirstAsDoubleMap {
  template <typename T> ISTX static void Map(int64_t, const T* src, double* dst) {
    dst[0] = static_cast<double>(static_cast<CT<T>>(src[0]));
  }
};

// (x - mean[o]) * og
template <typename T> struct LoadCenteredProd {
  const T* x;
  const T* og;
  const double* center;
  ISTX double operator()(int64_t off, int64_t o, int64_t) const {
    return (ldd(x[off]) - center[o]) * ldd(og[off]);
  }
};

struct BNGammaGradMap {
  ISTX static void Map(int64_t c, const double* dot, const double* invstd, double* dgamma, bool fixGamma) {
    dgamma[c] = fixGamma ? 0.0 : dot[c] * invstd[c];
  }
};

struct BNBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, const T* gy, const T* x, T* gx, ChannelIndex channel, const double* gamma,
                       const double* mean, const double* invstd, const double* sumG, const double* dot, bool fixGamma,
                       bool full, double m, OpReq req) {
    const int64_t c = channel(i);
    const double mu = mean[c], is = invstd[c], w = fixGamma ? 1.0 : gamma[c];
    if (full) {
      const double k = dot[c] * is * is / m, gm = sumG[c] / m;
      dput(gx + i, (ldd(gy[i]) - gm - (ldd(x[i]) - mu) * k) * is * w, req);
    } else {
      dput(gx + i, ldd(gy[i]) * is * w, req);
    }
  }
};

template <typename Dev>
void batchNormBackward(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "_backward_BatchNorm";
  const auto& p = attrs.get<BatchNormParam>();
  const nn::AxisSplit L = bnChannels(p, in[1].shape);
  const int64_t C = L.n, m = L.outer * L.inner;
  void* s = ctx.run.stream;
  TempSpace<Dev> tmp(s, (size_t(C > 0 ? C : 1) * 6 + 1) * sizeof(double));
  double* gamma = tmp.template as<double>();
  double* mean = gamma + C;
  double* invstd = mean + C;
  double* sumG = invstd + C;
  double* dot = sumG + C;
  double* dgamma = dot + C;
  double* flag = dgamma + C;
  toDoubles<Dev>(ctx, in[2], gamma, op);
  toDoubles<Dev>(ctx, in[3], mean, op);
  toDoubles<Dev>(ctx, in[4], invstd, op);
  IST_TYPE_SWITCH_NUMERIC(in[5].dtype, T, op, {
    DeviceKernel<FirstAsDoubleMap, Dev>::launch(s, 1, 1, in[5].data<T>(), flag);
  });
  double flagHost = 0;
  DeviceMem<Dev>::toHost(s, &flagHost, flag, sizeof(double));
  const bool batchStats = flagHost > 0.5;
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, op, {
    const T* gy = in[0].data<T>();
    const T* x = in[1].data<T>();
    const rdev::RGeom g = rdev::makeRGeom(Shape{L.outer, C, L.inner}, {true, false, true}, op);
    rdev::mapReduce<Dev, DSum>(ctx, g, LoadX<T>{gy}, StoreDiv{sumG, 1.0});
    rdev::mapReduce<Dev, DSum>(ctx, g, LoadCenteredProd<T>{x, gy, mean}, StoreDiv{dot, 1.0});
    if (req[0] != OpReq::kNull)
      DeviceKernel<BNBackwardMap, Dev>::launch(s, in[1].size(), 8, gy, x, out[0].data<T>(), ChannelIndex(in[1].size(), C, L.inner),
                                               static_cast<const double*>(gamma), static_cast<const double*>(mean),
                                               static_cast<const double*>(invstd), static_cast<const double*>(sumG),
                                               static_cast<const double*>(dot), p.fix_gamma, batchStats && m > 0,
                                               double(m), req[0]);
  });
  DeviceKernel<BNGammaGradMap, Dev>::launch(s, C, 1, static_cast<const double*>(dot),
                                            static_cast<const double*>(invstd), dgamma, p.fix_gamma);
  fromDoubles<Dev>(ctx, out[1], dgamma, req[1], op);
  fromDoubles<Dev>(ctx, out[2], sumG, req[2], op);
}

}  // namespace ndev
}  // namespace ist
