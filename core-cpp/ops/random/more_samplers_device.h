// Negative binomial samplers (_random_negative_binomial, _random_generalized_negative_binomial,
// their *_like forms and _sample_* forms): samplers, params and kernels (shared with
// more_samplers.cc) and the device-generic computes (GPU kernels and their CPU twins, attached in
// random.cu). Each element reads only its own Philox stream (rngCounter + i), rejection loops
// included, so the GPU gives the CPU's numbers.
#pragma once
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "kernels/device.h"
#include "op/registry.h"
#include "ops/random/multisample_device.h"
#include "ops/random/samplers.h"

#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
namespace ist {
namespace rndnb {

// NB(k, p); invalid parameters (k < 0, p outside (0, 1], NaN) give NaN.
struct NegBinomial {
  double k, p;
  ISTX double sample(PhiloxStream& st) const {
    if (!(k >= 0.0 && p > 0.0 && p <= 1.0)) return 0.0 / 0.0;
    if (k == 0.0 || p == 1.0) return 0.0;
    const double lam = sampler::Gamma{k, detmath::div(detmath::sub(1.0, p), p)}.sample(st);
    return sampler::Poisson{lam}.sample(st);
  }
  template <typename T> ISTX T draw(PhiloxStream& st) const {
    return T(static_cast<typename ComputeType<T>::type>(sample(st)));
  }
};

// GNB(mu, alpha); invalid parameters (negative, NaN) give NaN.
struct GenNegBinomial {
  double mu, alpha;
  ISTX double sample(PhiloxStream& st) const {
    if (!(mu >= 0.0 && alpha >= 0.0)) return 0.0 / 0.0;
    double lam = mu;
    if (alpha > 0.0 && mu > 0.0)
      lam = sampler::Gamma{detmath::div(1.0, alpha), detmath::mul(alpha, mu)}.sample(st);
    return sampler::Poisson{lam}.sample(st);
  }
  template <typename T> ISTX T draw(PhiloxStream& st) const {
    return T(static_cast<typename ComputeType<T>::type>(sample(st)));
  }
};

template <typename S> struct SampleKernel {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, uint64_t key, uint64_t counter, S s, OpReq req) {
    PhiloxStream st(key, counter + static_cast<uint64_t>(i));
    const T v = s.template draw<T>(st);
    using C = typename ComputeType<T>::type;
    out[i] = req == OpReq::kAddTo ? T(static_cast<C>(static_cast<C>(out[i]) + static_cast<C>(v))) : v;
  }
};

struct NegBinomialDist {
  int k = 1;
  float p = 1;
  template <typename P> static void declare(ParamDecl<P>& d) {
    d.template field<int>("k", &P::k).setDefault(1).doc("Limit of unsuccessful experiments.");
    d.template field<float>("p", &P::p).setDefault(1.0f).doc("Failure probability in each experiment.");
  }
  void validate(const char* op) const {
    IST_CHECK(k >= 0, op, "k", "k must be non-negative, got " << k);
    IST_CHECK(p > 0 && p <= 1, op, "p", "p must be in (0, 1], got " << p);
  }
  NegBinomial sampler() const { return {static_cast<double>(k), static_cast<double>(p)}; }
};

struct GenNegBinomialDist {
  float mu = 1, alpha = 1;
  template <typename P> static void declare(ParamDecl<P>& d) {
    d.template field<float>("mu", &P::mu).setDefault(1.0f).doc("Mean of the negative binomial distribution.");
    d.template field<float>("alpha", &P::alpha).setDefault(1.0f)
        .doc("Alpha (dispersion) parameter of the negative binomial distribution.");
  }
  void validate(const char* op) const {
    IST_CHECK(mu >= 0 && std::isfinite(mu), op, "mu", "mu must be finite and non-negative, got " << mu);
    IST_CHECK(alpha >= 0 && std::isfinite(alpha), op, "alpha", "alpha must be finite and non-negative, got " << alpha);
  }
  GenNegBinomial sampler() const { return {mu, alpha}; }
};

inline const std::vector<std::string> kNbFloatDTypes = {"None", "float32", "float64", "float16", "bfloat16"};

template <typename Dist> struct SampleParam : Dist {
  Shape shape;
  std::string ctx, dtype;
  static void declare(ParamDecl<SampleParam>& d) {
    Dist::template declare<SampleParam>(d);
    d.field("shape", &SampleParam::shape).setDefault(Shape{}).doc("Shape of the output.");
    d.field("ctx", &SampleParam::ctx).setDefault("")
        .doc("Context of output, in format [cpu|gpu](n). Only used for imperative calls.");
    d.field("dtype", &SampleParam::dtype).setDefault("None").values(kNbFloatDTypes)
        .doc("DType of the output in case this can't be inferred. Defaults to float32 if not defined (dtype=None).");
  }
};
template <typename Dist> struct SampleLikeParam : Dist {
  static void declare(ParamDecl<SampleLikeParam>& d) { Dist::template declare<SampleLikeParam>(d); }
};

struct MultiSampleParam {
  Shape shape;
  std::string dtype;
  static void declare(ParamDecl<MultiSampleParam>& d) {
    d.field("shape", &MultiSampleParam::shape).setDefault(Shape{})
        .doc("Shape to be sampled from each random distribution.");
    d.field("dtype", &MultiSampleParam::dtype).setDefault("None")
        .values({"None", "float16", "bfloat16", "float32", "float64"})
        .doc("DType of the output in case this can't be inferred. Defaults to float32 if not defined (dtype=None).");
  }
};

template <typename S> struct MultiSampleKernel {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const double* a, const double* b, int64_t perParam, uint64_t key,
                  uint64_t counter, OpReq req) {
    PhiloxStream st(key, counter + static_cast<uint64_t>(i));
    const T v = S{a[i / perParam], b[i / perParam]}.template draw<T>(st);
    using C = typename ComputeType<T>::type;
    out[i] = req == OpReq::kAddTo ? T(static_cast<C>(static_cast<C>(out[i]) + static_cast<C>(v))) : v;
  }
};

inline const char* nbOpName(const NodeAttrs& attrs, const char* fallback) {
  return attrs.op ? attrs.op->name.c_str() : fallback;
}

template <typename Dev, typename P>
void nbSampleComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto s = attrs.get<P>().sampler();
  using S = std::decay_t<decltype(s)>;
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, DT, nbOpName(attrs, "_random"),
                        DeviceKernel<SampleKernel<S>, Dev>::launch(ctx.run.stream, out[0].size(), 80,
                                                                   out[0].data<DT>(), ctx.rngKey,
                                                                   ctx.rngCounter, s, req[0]));
}

template <typename Dev, typename S>
void nbMultiComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const char* op = nbOpName(attrs, "_sample");
  const int64_t np = in[0].size();
  TempSpace<Dev> tmp(ctx.run.stream, static_cast<size_t>(2 * np) * sizeof(double));
  double* a = tmp.template as<double>();
  double* b = a + np;
  rnd::paramsAsDoubleDev<Dev>(ctx, in[0], a, op);
  rnd::paramsAsDoubleDev<Dev>(ctx, in[1], b, op);
  const int64_t perParam = out[0].size() / np;
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, DT, op,
                        DeviceKernel<MultiSampleKernel<S>, Dev>::launch(ctx.run.stream, out[0].size(), 80,
                                                                        out[0].data<DT>(), static_cast<const double*>(a),
                                                                        static_cast<const double*>(b), perParam,
                                                                        ctx.rngKey, ctx.rngCounter, req[0]));
}

}  // namespace rndnb
}  // namespace ist
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC pop_options
#endif
