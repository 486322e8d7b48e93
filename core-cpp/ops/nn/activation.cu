// GPU compute of Activation (activation_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/activation_device.h"

namespace ist {
namespace activation_gpu {
namespace {
const bool kReg = (attachDeviceComputes("Activation", actdev::activationDev<gpu>, actdev::activationDev<cpu>), true);
}  // namespace
}  // namespace activation_gpu
}  // namespace ist
