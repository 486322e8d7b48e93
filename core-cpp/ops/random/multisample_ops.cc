// Sampling with array-valued parameters (MXNet's multisample_op): _sample_uniform(low, high),
// _sample_normal(mu, sigma), _sample_gamma(alpha, beta), _sample_exponential(lam),
// _sample_poisson(lam). Each parameter element p draws `shape` samples, so the output shape is
// the parameters' shape + shape. Output element i uses Philox counter rngCounter + i and the
// parameters at i / size(shape), so the numbers match the scalar ops element for element.
#include <vector>
#include "kernels/cpu/kernel_cpu.h"
#include "op/registry.h"
#include "ops/random/samplers.h"
#include "ops/random/multisample_device.h"
#include "ops/random/sampler_lanes.h"

namespace ist {
namespace multisample_ops {
namespace {

using rnd::MultiSampleParam;

const char* opName(const NodeAttrs& attrs) { return attrs.op ? attrs.op->name.c_str() : "_sample"; }

void multiShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<MultiSampleParam>();
  const char* op = opName(attrs);
  for (int64_t d : p.shape)
    IST_CHECK(d > 0, op, "shape", "dimensions must be positive, got " << shapeString(p.shape));
  const Shape* known = nullptr;
  for (auto& s : in) if (shapeIsKnown(s)) { known = &s; break; }
  if (!known) return;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!shapeIsKnown(in[i])) { in[i] = *known; continue; }
    IST_CHECK(in[i] == *known, op, attrs.op ? attrs.op->inputNames[i] : "input",
              "parameter shapes differ: " << shapeString(in[i]) << " and " << shapeString(*known));
  }
  Shape o = *known;
  o.insert(o.end(), p.shape.begin(), p.shape.end());
  out[0] = o;
}

void multiType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const auto& p = attrs.get<MultiSampleParam>();
  const char* op = opName(attrs);
  std::vector<int> noOut;
  inferSameType(attrs, in, noOut);  // the parameters share one dtype
  for (int t : in)
    if (t >= 0)
      IST_CHECK(dtypeIsFloat(static_cast<DType>(t)), op, attrs.op ? attrs.op->inputNames[0] : "input",
                "parameters must be a float type, got " << dtypeName(static_cast<DType>(t)));
  if (p.dtype != "None") out[0] = static_cast<int>(dtypeFromName(p.dtype, op));
  else if (out[0] < 0) out[0] = static_cast<int>(DType::kFloat32);
  IST_CHECK(dtypeIsFloat(static_cast<DType>(out[0])), op, "dtype", "output dtype must be a float type");
}

std::vector<double> paramsAsDouble(const TBlob& b, const char* op) {
  std::vector<double> v(static_cast<size_t>(b.size()));
  IST_TYPE_SWITCH_FLOAT(b.dtype, DT, op, {
    const DT* p = b.data<DT>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(static_cast<typename ComputeType<DT>::type>(p[i]));
  });
  return v;
}

using rnd::MakeUniform;
using rnd::MakeNormal;
using rnd::MakeGamma;
using rnd::MakeExponential;
using rnd::MakePoisson;
using rnd::MultiSampleKernel;

template <typename Make>
void multiCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const char* op = opName(attrs);
  std::vector<double> a = paramsAsDouble(in[0], op);
  std::vector<double> b = in.size() > 1 ? paramsAsDouble(in[1], op) : a;
  const int64_t perParam = out[0].size() / in[0].size();
  using S = decltype(Make::at(a.data(), b.data(), 0));
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, DT, op, {
    if constexpr (sampler::LaneDrawOf<S, DT>::kHas) {  // several elements at a time (sampler_lanes.h)
      sampler::laneSample([&](int64_t i) { return Make::at(a.data(), b.data(), i / perParam); }, ctx.rngKey,
                          ctx.rngCounter, out[0].data<DT>(), out[0].size(), req[0]);
    } else {
      Kernel<MultiSampleKernel<Make>, cpu>::launchCost(out[0].size(), 40, out[0].data<DT>(), a.data(), b.data(),
                                                       perParam, ctx.rngKey, ctx.rngCounter, req[0]);
    }
  });
}

#define IST_MULTISAMPLE_OP(distr, Make, names, text) \
  IST_REGISTER_OP(_sample_##distr)                   \
      .alias("sample_" #distr)                       \
      .describe(text)                                \
      .inputs(names)                                 \
      .params<MultiSampleParam>()                    \
      .setRandom()                                   \
      .inferShape(multiShape)                        \
      .inferType(multiType)                          \
      .compute(Context::kCPU, multiCompute<Make>)

IST_MULTISAMPLE_OP(uniform, MakeUniform, std::vector<std::string>({"low", "high"}),
                   "Draws `shape` uniform samples over [low, high) for each element of low/high.");
IST_MULTISAMPLE_OP(normal, MakeNormal, std::vector<std::string>({"mu", "sigma"}),
                   "Draws `shape` normal samples with mean mu and standard deviation sigma for each element.");
IST_MULTISAMPLE_OP(gamma, MakeGamma, std::vector<std::string>({"alpha", "beta"}),
                   "Draws `shape` gamma samples with shape alpha and scale beta for each element.");
IST_MULTISAMPLE_OP(exponential, MakeExponential, std::vector<std::string>({"lam"}),
                   "Draws `shape` exponential samples with rate lam for each element.");
IST_MULTISAMPLE_OP(poisson, MakePoisson, std::vector<std::string>({"lam"}),
                   "Draws `shape` Poisson samples with rate lam for each element (as floats).");

#undef IST_MULTISAMPLE_OP

}  // namespace
}  // namespace multisample_ops
}  // namespace ist
