// GPU kernels of the random samplers and their CPU twins: the device-generic computes of
// sample_device.h, multisample_device.h, more_samplers_device.h, multinomial_device.h and
// shuffle_device.h, attached with attachDeviceComputes (op/device_compute.h). Every element owns
// its Philox counter (rngCounter + i) and reads its own words (rejection samplers too), so the GPU
// reproduces the CPU's numbers exactly.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/random/more_samplers_device.h"
#include "ops/random/multinomial_device.h"
#include "ops/random/multisample_device.h"
#include "ops/random/sample_device.h"
#include "ops/random/shuffle_device.h"

namespace ist {
namespace rnd {
namespace random_gpu {
namespace {

template <typename Dist>
void attachSample(const char* name, const char* likeName) {
  attachDeviceComputes(name, sampleComputeDev<gpu, SampleParam<Dist>>, sampleComputeDev<cpu, SampleParam<Dist>>);
  attachDeviceComputes(likeName, sampleComputeDev<gpu, SampleLikeParam<Dist>>,
                       sampleComputeDev<cpu, SampleLikeParam<Dist>>);
}

template <typename Make>
void attachMulti(const char* name) {
  attachDeviceComputes(name, multiComputeDev<gpu, Make>, multiComputeDev<cpu, Make>);
}

bool registerRandomGpu() {
  attachSample<UniformDist>("_random_uniform", "_random_uniform_like");
  attachSample<NormalDist>("_random_normal", "_random_normal_like");
  attachSample<GammaDist>("_random_gamma", "_random_gamma_like");
  attachSample<ExponentialDist>("_random_exponential", "_random_exponential_like");
  attachSample<PoissonDist>("_random_poisson", "_random_poisson_like");
  attachDeviceComputes("_random_randint", randIntComputeDev<gpu>, randIntComputeDev<cpu>);
  attachMulti<MakeUniform>("_sample_uniform");
  attachMulti<MakeNormal>("_sample_normal");
  attachMulti<MakeGamma>("_sample_gamma");
  attachMulti<MakeExponential>("_sample_exponential");
  attachMulti<MakePoisson>("_sample_poisson");
  using rndnb::GenNegBinomial;
  using rndnb::GenNegBinomialDist;
  using rndnb::NegBinomial;
  using rndnb::NegBinomialDist;
  attachDeviceComputes("_random_negative_binomial", rndnb::nbSampleComputeDev<gpu, rndnb::SampleParam<NegBinomialDist>>,
                       rndnb::nbSampleComputeDev<cpu, rndnb::SampleParam<NegBinomialDist>>);
  attachDeviceComputes("_random_negative_binomial_like",
                       rndnb::nbSampleComputeDev<gpu, rndnb::SampleLikeParam<NegBinomialDist>>,
                       rndnb::nbSampleComputeDev<cpu, rndnb::SampleLikeParam<NegBinomialDist>>);
  attachDeviceComputes("_random_generalized_negative_binomial",
                       rndnb::nbSampleComputeDev<gpu, rndnb::SampleParam<GenNegBinomialDist>>,
                       rndnb::nbSampleComputeDev<cpu, rndnb::SampleParam<GenNegBinomialDist>>);
  attachDeviceComputes("_random_generalized_negative_binomial_like",
                       rndnb::nbSampleComputeDev<gpu, rndnb::SampleLikeParam<GenNegBinomialDist>>,
                       rndnb::nbSampleComputeDev<cpu, rndnb::SampleLikeParam<GenNegBinomialDist>>);
  attachDeviceComputes("_sample_negative_binomial", rndnb::nbMultiComputeDev<gpu, NegBinomial>,
                       rndnb::nbMultiComputeDev<cpu, NegBinomial>);
  attachDeviceComputes("_sample_generalized_negative_binomial", rndnb::nbMultiComputeDev<gpu, GenNegBinomial>,
                       rndnb::nbMultiComputeDev<cpu, GenNegBinomial>);
  attachDeviceComputes("_sample_multinomial", multinomialComputeDev<gpu>, multinomialComputeDev<cpu>);
  attachDeviceComputes("_backward_sample_multinomial", multinomialBackwardDev<gpu>, multinomialBackwardDev<cpu>);
  attachDeviceComputes("_shuffle", shuffleComputeDev<gpu>, shuffleComputeDev<cpu>);
  return true;
}

[[maybe_unused]] const bool kRandomGpuRegistered = registerRandomGpu();

}  // namespace
}  // namespace random_gpu
}  // namespace rnd
}  // namespace ist
