// GPU compute of Dropout (dropout_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/dropout_device.h"

namespace ist {
namespace dropout_gpu {
namespace {
const bool kReg = (attachDeviceComputes("Dropout", dropdev::dropoutDev<gpu>, dropdev::dropoutDev<cpu>), true);
}  // namespace
}  // namespace dropout_gpu
}  // namespace ist
