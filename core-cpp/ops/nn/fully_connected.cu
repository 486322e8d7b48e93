// GPU computes of FullyConnected and _backward_FullyConnected (fully_connected_device.h), with
// their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/fully_connected_device.h"

namespace ist {
namespace fully_connected_gpu {
namespace {
const bool kReg = (attachDeviceComputes("FullyConnected", fcdev::fcForwardDev<gpu>, fcdev::fcForwardDev<cpu>),
                   attachDeviceComputes("_backward_FullyConnected", fcdev::fcBackwardDev<gpu>,
                                        fcdev::fcBackwardDev<cpu>),
                   true);
}  // namespace
}  // namespace fully_connected_gpu
}  // namespace ist
