// GPU computes of the fused optimizer updates: update_compute.h instantiated with Dev = gpu. The
// CPU kernels are the same templates with Dev = cpu (registered by the .cc files), so the CPU
// specs run this code's logic too.
#include "kernels/cuda/kernel_cuda.cuh"
#include "ops/optimizer/update_compute.h"

namespace ist {
namespace optim {
namespace optimizer_gpu {
namespace {

bool registerOptimizerGpu() {
  auto gpuFn = [](const char* name, FCompute fn) { OpRegistry::addCompute(name, Context::kGPU, std::move(fn)); };
  gpuFn("sgd_update", sgdUpdate<gpu, false>);
  gpuFn("mp_sgd_update", sgdUpdate<gpu, true>);
  gpuFn("sgd_mom_update", momUpdate<gpu, SgdMomMap, false>);
  gpuFn("mp_sgd_mom_update", momUpdate<gpu, SgdMomMap, true>);
  gpuFn("nag_mom_update", momUpdate<gpu, NagMomMap, false>);
  gpuFn("mp_nag_mom_update", momUpdate<gpu, NagMomMap, true>);
  gpuFn("signsgd_update", signSgdUpdate<gpu>);
  gpuFn("signum_update", signumUpdate<gpu>);
  gpuFn("adam_update", adamUpdate<gpu>);
  gpuFn("_adamw_update", adamWUpdate<gpu, false>);
  gpuFn("_mp_adamw_update", adamWUpdate<gpu, true>);
  gpuFn("lamb_update_phase1", lambPhase1<gpu, false>);
  gpuFn("lamb_update_phase2", lambPhase2<gpu, false>);
  gpuFn("mp_lamb_update_phase1", lambPhase1<gpu, true>);
  gpuFn("mp_lamb_update_phase2", lambPhase2<gpu, true>);
  gpuFn("rmsprop_update", rmspropUpdate<gpu>);
  gpuFn("rmspropalex_update", rmspropAlexUpdate<gpu>);
  gpuFn("ftrl_update", ftrlUpdate<gpu>);
  gpuFn("adagrad_update", adagradUpdate<gpu>);
  gpuFn("adadelta_update", adadeltaUpdate<gpu>);
  gpuFn("ftml_update", ftmlUpdate<gpu>);
  gpuFn("multi_sgd_update", multiSgdUpdate<gpu, MultiSGDParam, false, false, false>);
  gpuFn("multi_sgd_mom_update", multiSgdUpdate<gpu, MultiSGDMomParam, true, false, false>);
  gpuFn("multi_mp_sgd_update", multiSgdUpdate<gpu, MultiSGDParam, false, true, false>);
  gpuFn("multi_mp_sgd_mom_update", multiSgdUpdate<gpu, MultiSGDMomParam, true, true, false>);
  gpuFn("preloaded_multi_sgd_update", multiSgdUpdate<gpu, PreloadedMultiSGDParam, false, false, true>);
  gpuFn("preloaded_multi_sgd_mom_update", multiSgdUpdate<gpu, PreloadedMultiSGDMomParam, true, false, true>);
  gpuFn("preloaded_multi_mp_sgd_update", multiSgdUpdate<gpu, PreloadedMultiSGDParam, false, true, true>);
  gpuFn("preloaded_multi_mp_sgd_mom_update", multiSgdUpdate<gpu, PreloadedMultiSGDMomParam, true, true, true>);
  gpuFn("_multi_adamw_update", multiAdamWUpdate<gpu, false>);
  gpuFn("_multi_mp_adamw_update", multiAdamWUpdate<gpu, true>);
  gpuFn("_multi_lamb_update", multiLambUpdate<gpu, false>);
  gpuFn("_multi_mp_lamb_update", multiLambUpdate<gpu, true>);
  gpuFn("multi_lars", multiLars<gpu>);
  return true;
}

[[maybe_unused]] const bool kOptimizerGpuRegistered = registerOptimizerGpu();

}  // namespace
}  // namespace optimizer_gpu
}  // namespace optim
}  // namespace ist
