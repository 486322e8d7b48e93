// GPU computes of Correlation and _backward_Correlation (correlation_device.h), with their CPU
// twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/nn/correlation_device.h"

namespace ist {
namespace correlation_gpu {
namespace {
const bool kReg =
    (attachDeviceComputes(correlation::kOp, correlation::corrForwardDev<gpu>, correlation::corrForwardDev<cpu>),
     attachDeviceComputes(correlation::kBack, namedCompute(correlation::kBack, correlation::corrBackwardDev<gpu>),
                          namedCompute(correlation::kBack, correlation::corrBackwardDev<cpu>)),
     true);
}  // namespace
}  // namespace correlation_gpu
}  // namespace ist
