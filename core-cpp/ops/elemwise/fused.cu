// GPU kernel of the executor's fused element-wise programs (fused_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "ops/elemwise/fused.h"
#include "ops/elemwise/fused_device.h"

namespace ist {
namespace fused_gpu {
namespace {

template <typename Dev>
void runFusedProgram(const ElemwiseProgram& p, const std::vector<TBlob>& in, const TBlob& out, void* stream) {
  FusedDeviceProgram d{};
  d.numSteps = static_cast<int>(p.steps.size());
  for (int k = 0; k < d.numSteps; ++k) {
    const ElemwiseProgram::Step& s = p.steps[static_cast<size_t>(k)];
    d.steps[k] = FusedDeviceProgram::Step{static_cast<int16_t>(s.deviceCode), static_cast<int8_t>(s.a),
                                          static_cast<int8_t>(s.b), static_cast<int8_t>(s.out), s.scalar};
  }
  for (size_t k = 0; k < in.size(); ++k) d.in[k] = static_cast<const float*>(in[k].dptr);
  DeviceKernel<FusedProgramMap, Dev>::launch(stream, out.size(), p.cost, static_cast<float*>(out.dptr), d);
}

const bool kReg = (setFusedProgramRunners(runFusedProgram<gpu>, runFusedProgram<cpu>), true);

}  // namespace
}  // namespace fused_gpu
}  // namespace ist
