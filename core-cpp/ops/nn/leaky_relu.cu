// GPU computes of LeakyReLU and _backward_LeakyReLU (leaky_relu_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/leaky_relu_device.h"

namespace ist {
namespace leaky_relu_gpu {
namespace {
using namespace lreludev;
const bool kReg = (attachDeviceComputes("LeakyReLU", leakyForwardDev<gpu>, leakyForwardDev<cpu>),
                   attachDeviceComputes("_backward_LeakyReLU", leakyBackwardDev<gpu>, leakyBackwardDev<cpu>),
                   true);
}  // namespace
}  // namespace leaky_relu_gpu
}  // namespace ist
