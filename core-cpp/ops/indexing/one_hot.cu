// GPU compute of one_hot (one_hot_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/indexing/one_hot_device.h"

namespace ist {
namespace one_hot_gpu {
namespace {
const bool kReg = (attachDeviceComputes("one_hot", onehotdev::oneHotDev<gpu>, onehotdev::oneHotDev<cpu>), true);
}  // namespace
}  // namespace one_hot_gpu
}  // namespace ist
