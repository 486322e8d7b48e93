// Random sampling ops with scalar parameters (_random_uniform, _random_normal, _random_gamma,
// _random_exponential, _random_poisson, _random_randint and the *_like forms): params and the
// per-element kernel (shared with sample_ops.cc) and the device-generic computes (GPU kernels and
// their CPU twins, attached in random.cu). Element i draws from Philox counter rngCounter + i on
// every device, so the GPU gives the CPU's numbers for the same seed.
#pragma once
#include <cmath>
#include <limits>
#include <string>
#include <vector>
#include "base/error.h"
#include "kernels/device.h"
#include "op/registry.h"
#include "ops/random/op_seed.h"
#include "ops/random/samplers.h"

namespace ist {
namespace rnd {

inline const std::vector<std::string> kFloatDTypes = {"None", "float32", "float64", "float16", "bfloat16"};
inline const char* const kCtxDoc = "Context of output, in format [cpu|gpu](n). Only used for imperative calls.";

// The fields every no-input sampler has after its distribution parameters.
template <typename P>
inline void declareOutput(ParamDecl<P>& d, const std::vector<std::string>& dtypes, const char* dtypeDoc) {
  d.field("shape", &P::shape).setDefault(Shape{}).doc("Shape of the output.");
  d.field("ctx", &P::ctx).setDefault("").doc(kCtxDoc);
  d.field("dtype", &P::dtype).setDefault("None").values(dtypes).doc(dtypeDoc);
}
inline const char* const kFloatDTypeDoc = "DType of the output in case this can't be inferred. Defaults to float32 if not defined (dtype=None).";

// Distribution parameters (shared by the op and its *_like form) and their checks.
struct UniformDist {
  float low = 0, high = 1;
  template <typename P> static void declare(ParamDecl<P>& d) {
    d.template field<float>("low", &P::low).setDefault(0.0f).doc("Lower bound of the distribution.");
    d.template field<float>("high", &P::high).setDefault(1.0f).doc("Upper bound of the distribution.");
  }
  void validate(const char* op) const {
    IST_CHECK(high >= low, op, "high", "high (" << high << ") must be >= low (" << low << ")");
  }
  sampler::Uniform sampler() const { return {low, high}; }
};

struct NormalDist {
  float loc = 0, scale = 1;
  template <typename P> static void declare(ParamDecl<P>& d) {
    d.template field<float>("loc", &P::loc).setDefault(0.0f).doc("Mean of the distribution.");
    d.template field<float>("scale", &P::scale).setDefault(1.0f).doc("Standard deviation of the distribution.");
  }
  void validate(const char* op) const {
    IST_CHECK(scale >= 0, op, "scale", "scale must be non-negative, got " << scale);
  }
  sampler::Normal sampler() const { return {loc, scale}; }
};

struct GammaDist {
  float alpha = 1, beta = 1;
  template <typename P> static void declare(ParamDecl<P>& d) {
    d.template field<float>("alpha", &P::alpha).setDefault(1.0f).doc("Alpha parameter (shape) of the gamma distribution.");
    d.template field<float>("beta", &P::beta).setDefault(1.0f).doc("Beta parameter (scale) of the gamma distribution.");
  }
  void validate(const char* op) const {
    IST_CHECK(alpha > 0, op, "alpha", "alpha must be positive, got " << alpha);
    IST_CHECK(beta > 0, op, "beta", "beta must be positive, got " << beta);
  }
  sampler::Gamma sampler() const { return {alpha, beta}; }
};

struct ExponentialDist {
  float lam = 1;
  template <typename P> static void declare(ParamDecl<P>& d) {
    d.template field<float>("lam", &P::lam).setDefault(1.0f).doc("Lambda parameter (rate) of the exponential distribution.");
  }
  void validate(const char* op) const { IST_CHECK(lam > 0, op, "lam", "lam must be positive, got " << lam); }
  sampler::Exponential sampler() const { return {lam}; }
};

struct PoissonDist {
  float lam = 1;
  template <typename P> static void declare(ParamDecl<P>& d) {
    d.template field<float>("lam", &P::lam).setDefault(1.0f).doc("Lambda parameter (rate) of the Poisson distribution.");
  }
  void validate(const char* op) const {
    IST_CHECK(lam >= 0 && std::isfinite(lam), op, "lam", "lam must be finite and non-negative, got " << lam);
  }
  sampler::Poisson sampler() const { return {lam}; }
};

// The op's parameters: the distribution's, then shape/ctx/dtype.
template <typename Dist> struct SampleParam : Dist {
  Shape shape;
  std::string ctx, dtype;
  int64_t seed = -1;
  static void declare(ParamDecl<SampleParam>& d) {
    Dist::template declare<SampleParam>(d);
    declareOutput(d, kFloatDTypes, kFloatDTypeDoc);
    declareSeed(d);
  }
};
template <typename Dist> struct SampleLikeParam : Dist {
  int64_t seed = -1;
  static void declare(ParamDecl<SampleLikeParam>& d) {
    Dist::template declare<SampleLikeParam>(d);
    declareSeed(d);
  }
};

struct RandIntParam {
  int64_t low = 0, high = 0;
  Shape shape;
  std::string ctx, dtype;
  static void declare(ParamDecl<RandIntParam>& d) {
    d.field("low", &RandIntParam::low).doc("Lower bound of the distribution.");
    d.field("high", &RandIntParam::high).doc("Upper bound of the distribution (excluded).");
    declareOutput(d, {"None", "int32", "int64"},
                  "DType of the output in case this can't be inferred. Defaults to int32 if not defined (dtype=None).");
  }
};

template <typename S> struct SampleKernel {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, uint64_t key, uint64_t counter, S s, OpReq req) {
    PhiloxStream st(key, counter + static_cast<uint64_t>(i));
    T v = s.template draw<T>(st);
    if (req == OpReq::kAddTo) {
      using C = typename ComputeType<T>::type;
      out[i] = T(static_cast<C>(static_cast<C>(out[i]) + static_cast<C>(v)));
    } else {
      out[i] = v;
    }
  }
};

inline const char* sampleOpName(const NodeAttrs& attrs) { return attrs.op ? attrs.op->name.c_str() : "random"; }

template <typename Dev, typename P>
void sampleComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  auto s = attrs.get<P>().sampler();
  using S = decltype(s);
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, DT, sampleOpName(attrs),
                        DeviceKernel<SampleKernel<S>, Dev>::launch(ctx.run.stream, out[0].size(), 40,
                                                                   out[0].data<DT>(), ctx.rngKey,
                                                                   ctx.rngCounter, s, req[0]));
}

template <typename Dev>
void randIntComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<RandIntParam>();
  sampler::RandInt s{p.low, static_cast<uint64_t>(p.high) - static_cast<uint64_t>(p.low)};
  using K = DeviceKernel<SampleKernel<sampler::RandInt>, Dev>;
  if (out[0].dtype == DType::kInt32) {
    K::launch(ctx.run.stream, out[0].size(), 20, out[0].data<int32_t>(), ctx.rngKey, ctx.rngCounter, s, req[0]);
  } else {
    IST_CHECK(out[0].dtype == DType::kInt64, "_random_randint", "dtype", "output dtype must be int32 or int64");
    K::launch(ctx.run.stream, out[0].size(), 20, out[0].data<int64_t>(), ctx.rngKey, ctx.rngCounter, s, req[0]);
  }
}

}  // namespace rnd
}  // namespace ist
