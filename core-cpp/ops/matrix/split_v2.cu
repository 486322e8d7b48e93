// GPU compute of _split_v2 (split_v2_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/matrix/split_v2_device.h"

namespace ist {
namespace split_v2_gpu {
namespace {
const bool kReg = (attachDeviceComputes("_split_v2", mat::splitV2Dev<gpu>, mat::splitV2Dev<cpu>), true);
}  // namespace
}  // namespace split_v2_gpu
}  // namespace ist
