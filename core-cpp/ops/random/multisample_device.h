// Sampling with array-valued parameters (_sample_uniform, _sample_normal, _sample_gamma,
// _sample_exponential, _sample_poisson): params and the per-element kernel (shared with
// multisample_ops.cc) and the device-generic compute (GPU kernels and their CPU twins, attached in
// random.cu). Output element i uses Philox counter rngCounter + i and the parameters at
// i / size(shape), on every device.
#pragma once
#include <string>
#include <vector>
#include "base/error.h"
#include "kernels/device.h"
#include "op/registry.h"
#include "ops/random/samplers.h"

namespace ist {
namespace rnd {

struct MultiSampleParam {
  Shape shape;
  std::string dtype;
  static void declare(ParamDecl<MultiSampleParam>& d) {
    d.field("shape", &MultiSampleParam::shape)
        .setDefault(Shape{})
        .doc("Shape to be sampled from each random distribution.");
    d.field("dtype", &MultiSampleParam::dtype)
        .setDefault("None")
        .values({"None", "float16", "bfloat16", "float32", "float64"})
        .doc("DType of the output in case this can't be inferred. Defaults to float32 if not defined (dtype=None).");
  }
};

// Builds the sampler for one parameter element.
struct MakeUniform {
  ISTX static sampler::Uniform at(const double* a, const double* b, int64_t p) {
    return {static_cast<float>(a[p]), static_cast<float>(b[p])};
  }
};
struct MakeNormal {
  ISTX static sampler::Normal at(const double* a, const double* b, int64_t p) { return {a[p], b[p]}; }
};
struct MakeGamma {
  ISTX static sampler::Gamma at(const double* a, const double* b, int64_t p) { return {a[p], b[p]}; }
};
struct MakeExponential {
  ISTX static sampler::Exponential at(const double* a, const double*, int64_t p) { return {a[p]}; }
};
struct MakePoisson {
  ISTX static sampler::Poisson at(const double* a, const double*, int64_t p) { return {a[p]}; }
};

template <typename Make> struct MultiSampleKernel {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const double* a, const double* b, int64_t perParam, uint64_t key,
                  uint64_t counter, OpReq req) {
    PhiloxStream st(key, counter + static_cast<uint64_t>(i));
    T v = Make::at(a, b, i / perParam).template draw<T>(st);
    using C = typename ComputeType<T>::type;
    out[i] = req == OpReq::kAddTo ? T(static_cast<C>(static_cast<C>(out[i]) + static_cast<C>(v))) : v;
  }
};

// dst[i] = double(src[i]) through the compute type, as multisample_ops.cc's paramsAsDouble.
struct ParamToDoubleKernel {
  template <typename T>
  ISTX static void Map(int64_t i, double* dst, const T* src) {
    dst[i] = static_cast<double>(static_cast<typename ComputeType<T>::type>(src[i]));
  }
};

template <typename Dev>
void paramsAsDoubleDev(const OpContext& ctx, const TBlob& b, double* dst, const char* op) {
  IST_TYPE_SWITCH_FLOAT(b.dtype, DT, op, {
    DeviceKernel<ParamToDoubleKernel, Dev>::launch(ctx.run.stream, b.size(), 1, dst, b.data<DT>());
  });
}

template <typename Dev, typename Make>
void multiComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const char* op = attrs.op ? attrs.op->name.c_str() : "_sample";
  const int64_t np = in[0].size();
  TempSpace<Dev> tmp(ctx.run.stream, static_cast<size_t>(2 * np) * sizeof(double));
  double* a = tmp.template as<double>();
  double* b = a + np;
  paramsAsDoubleDev<Dev>(ctx, in[0], a, op);
  if (in.size() > 1) paramsAsDoubleDev<Dev>(ctx, in[1], b, op);
  else b = a;
  const int64_t perParam = out[0].size() / np;
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, DT, op,
                        DeviceKernel<MultiSampleKernel<Make>, Dev>::launch(ctx.run.stream, out[0].size(), 40,
                                                                           out[0].data<DT>(), static_cast<const double*>(a),
                                                                           static_cast<const double*>(b), perParam,
                                                                           ctx.rngKey, ctx.rngCounter, req[0]));
}

}  // namespace rnd
}  // namespace ist
