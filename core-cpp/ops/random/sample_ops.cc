// Random sampling ops (MXNet's src/operator/random/sample_op.*): _random_uniform, _random_normal,
// _random_gamma, _random_exponential, _random_poisson, _random_randint, and the *_like forms
// that take their shape and dtype from an input. Element i draws from Philox counter
// rngCounter + i (kernels/philox.h), so results do not depend on threads or backend.
#include <cmath>
#include <limits>
#include "kernels/cpu/kernel_cpu.h"
#include "op/registry.h"
#include "ops/random/samplers.h"
#include "ops/random/sample_device.h"
#include "ops/random/sampler_lanes.h"

namespace ist {
namespace sample_ops {
namespace {

using rnd::UniformDist;
using rnd::NormalDist;
using rnd::GammaDist;
using rnd::ExponentialDist;
using rnd::PoissonDist;
using rnd::SampleParam;
using rnd::SampleLikeParam;
using rnd::RandIntParam;

const char* opName(const NodeAttrs& attrs) { return attrs.op ? attrs.op->name.c_str() : "random"; }

using rnd::SampleKernel;

// --- inference ---

template <typename P>
void sampleShape(const NodeAttrs& attrs, std::vector<Shape>&, std::vector<Shape>& out) {
  const auto& p = attrs.get<P>();
  const char* op = opName(attrs);
  p.validate(op);
  for (int64_t d : p.shape)
    IST_CHECK(d >= 0, op, "shape", "negative dimension " << d << " in shape " << shapeString(p.shape));
  if (!p.ctx.empty()) Context::parse(p.ctx, op);
  if (p.shape.empty() && shapeIsKnown(out[0])) return;
  out[0] = p.shape;
}

// dtype None: the output's known dtype (Symbol), else the default.
void resolveSampleType(const std::string& dtype, DType fallback, bool integer, std::vector<int>& out,
                       const char* op) {
  if (dtype != "None") out[0] = static_cast<int>(dtypeFromName(dtype, op));
  else if (out[0] < 0) out[0] = static_cast<int>(fallback);
  DType t = static_cast<DType>(out[0]);
  if (integer) {
    IST_CHECK(t == DType::kInt32 || t == DType::kInt64, op, "dtype",
              "output dtype must be int32 or int64, got " << dtypeName(t));
  } else {
    IST_CHECK(dtypeIsFloat(t), op, "dtype", "output dtype must be a float type, got " << dtypeName(t));
  }
}

template <typename P>
void sampleType(const NodeAttrs& attrs, std::vector<int>&, std::vector<int>& out) {
  resolveSampleType(attrs.get<P>().dtype, DType::kFloat32, false, out, opName(attrs));
}

template <typename P>
void sampleLikeShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  attrs.get<P>().validate(opName(attrs));
  inferSameShape(attrs, in, out);
}

void sampleLikeType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  inferSameType(attrs, in, out);
  if (out[0] >= 0)
    IST_CHECK(dtypeIsFloat(static_cast<DType>(out[0])), opName(attrs), "data",
              "input dtype must be a float type, got " << dtypeName(static_cast<DType>(out[0])));
}

void randIntShape(const NodeAttrs& attrs, std::vector<Shape>&, std::vector<Shape>& out) {
  const auto& p = attrs.get<RandIntParam>();
  IST_CHECK(p.high > p.low, "_random_randint", "high", "high (" << p.high << ") must be > low (" << p.low << ")");
  for (int64_t d : p.shape)
    IST_CHECK(d >= 0, "_random_randint", "shape", "negative dimension " << d << " in shape " << shapeString(p.shape));
  if (!p.ctx.empty()) Context::parse(p.ctx, "_random_randint");
  if (p.shape.empty() && shapeIsKnown(out[0])) return;
  out[0] = p.shape;
}

void randIntType(const NodeAttrs& attrs, std::vector<int>&, std::vector<int>& out) {
  const auto& p = attrs.get<RandIntParam>();
  resolveSampleType(p.dtype, DType::kInt32, true, out, "_random_randint");
  if (static_cast<DType>(out[0]) == DType::kInt32) {
    IST_CHECK(p.low >= INT32_MIN, "_random_randint", "low", "low " << p.low << " does not fit in int32");
    IST_CHECK(p.high - 1 <= INT32_MAX, "_random_randint", "high", "high " << p.high << " does not fit in int32");
  }
}

// --- compute ---

template <typename P>
void sampleCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  auto s = attrs.get<P>().sampler();
  using S = decltype(s);
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, DT, opName(attrs), {
    if constexpr (sampler::LaneDrawOf<S, DT>::kHas) {  // several elements at a time (sampler_lanes.h)
      sampler::laneSample([&](int64_t) -> const S& { return s; }, ctx.rngKey, ctx.rngCounter, out[0].data<DT>(),
                          out[0].size(), req[0]);
    } else {
      Kernel<SampleKernel<S>, cpu>::launchCost(out[0].size(), 40, out[0].data<DT>(), ctx.rngKey, ctx.rngCounter, s,
                                               req[0]);
    }
  });
}

void randIntCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<RandIntParam>();
  sampler::RandInt s{p.low, static_cast<uint64_t>(p.high) - static_cast<uint64_t>(p.low)};
  using K = Kernel<SampleKernel<sampler::RandInt>, cpu>;
  if (out[0].dtype == DType::kInt32) {
    K::launchCost(out[0].size(), 20, out[0].data<int32_t>(), ctx.rngKey, ctx.rngCounter, s, req[0]);
  } else {
    IST_CHECK(out[0].dtype == DType::kInt64, "_random_randint", "dtype", "output dtype must be int32 or int64");
    K::launchCost(out[0].size(), 20, out[0].data<int64_t>(), ctx.rngKey, ctx.rngCounter, s, req[0]);
  }
}

#define IST_SAMPLE_OP(name, Dist, text)               \
  IST_REGISTER_OP(name)                               \
      .describe(text)                                 \
      .params<SampleParam<Dist>>()                    \
      .setCreation()                                  \
      .setRandom()                                    \
      .inferShape(sampleShape<SampleParam<Dist>>)     \
      .inferType(sampleType<SampleParam<Dist>>)       \
      .compute(Context::kCPU, sampleCompute<SampleParam<Dist>>)

#define IST_SAMPLE_LIKE_OP(name, Dist, text)              \
  IST_REGISTER_OP(name)                                   \
      .describe(text)                                     \
      .inputs({"data"})                                   \
      .params<SampleLikeParam<Dist>>()                    \
      .setRandom()                                        \
      .inferShape(sampleLikeShape<SampleLikeParam<Dist>>) \
      .inferType(sampleLikeType)                          \
      .compute(Context::kCPU, sampleCompute<SampleLikeParam<Dist>>)

IST_SAMPLE_OP(_random_uniform, UniformDist,
              "Draws samples from a uniform distribution over [low, high).\n\n"
              "Example: uniform(low=0, high=1, shape=(2,2))")
    .alias("uniform")
    .alias("random_uniform");
IST_SAMPLE_OP(_random_normal, NormalDist,
              "Draws samples from a normal (Gaussian) distribution with mean loc and standard deviation scale.")
    .alias("normal")
    .alias("random_normal");
IST_SAMPLE_OP(_random_gamma, GammaDist,
              "Draws samples from a gamma distribution with shape alpha and scale beta.")
    .alias("random_gamma");
IST_SAMPLE_OP(_random_exponential, ExponentialDist,
              "Draws samples from an exponential distribution with rate lam.")
    .alias("random_exponential");
IST_SAMPLE_OP(_random_poisson, PoissonDist,
              "Draws samples from a Poisson distribution with rate lam (returned as floats).")
    .alias("random_poisson");

IST_SAMPLE_LIKE_OP(_random_uniform_like, UniformDist,
                   "Draws uniform samples over [low, high) with the shape and dtype of the input.");
IST_SAMPLE_LIKE_OP(_random_normal_like, NormalDist,
                   "Draws normal samples with the shape and dtype of the input.");
IST_SAMPLE_LIKE_OP(_random_gamma_like, GammaDist,
                   "Draws gamma samples with the shape and dtype of the input.");
IST_SAMPLE_LIKE_OP(_random_exponential_like, ExponentialDist,
                   "Draws exponential samples with the shape and dtype of the input.");
IST_SAMPLE_LIKE_OP(_random_poisson_like, PoissonDist,
                   "Draws Poisson samples with the shape and dtype of the input.");

#undef IST_SAMPLE_OP
#undef IST_SAMPLE_LIKE_OP

IST_REGISTER_OP(_random_randint)
    .alias("random_randint")
    .describe("Draws integers uniformly from [low, high).\n\nExample: randint(low=0, high=5, shape=(2,2))")
    .params<RandIntParam>()
    .setCreation()
    .setRandom()
    .inferShape(randIntShape)
    .inferType(randIntType)
    .compute(Context::kCPU, randIntCompute);

}  // namespace
}  // namespace sample_ops
}  // namespace ist
