// GPU computes of LRN and _backward_LRN (lrn_device.h), with their CPU twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/lrn_device.h"

namespace ist {
namespace lrnop {
namespace lrn_gpu {
namespace {
const bool kReg = (attachDeviceComputes("LRN", lrnForwardDev<gpu>, lrnForwardDev<cpu>),
                   attachDeviceComputes("_backward_LRN", lrnBackwardDev<gpu>, lrnBackwardDev<cpu>), true);
}  // namespace
}  // namespace lrn_gpu
}  // namespace lrnop
}  // namespace ist
