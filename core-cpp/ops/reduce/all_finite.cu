// GPU computes of all_finite, multi_all_finite and multi_sum_sq (all_finite_device.h), with their
// CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/reduce/all_finite_device.h"

namespace ist {
namespace all_finite_gpu {
namespace {
using namespace finitedev;
const bool kReg = (attachDeviceComputes("all_finite", allFiniteDev<gpu, false>, allFiniteDev<cpu, false>),
                   attachDeviceComputes("multi_all_finite", allFiniteDev<gpu, true>, allFiniteDev<cpu, true>),
                   attachDeviceComputes("multi_sum_sq", multiSumSqDev<gpu>, multiSumSqDev<cpu>), true);
}  // namespace
}  // namespace all_finite_gpu
}  // namespace ist
