// GPU computes of RNN and _backward_RNN (rnn_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/rnn_device.h"

namespace ist {
namespace rnn_gpu {
namespace {
const bool kReg = (attachDeviceComputes("RNN", rnndev::rnnForwardDev<gpu>, rnndev::rnnForwardDev<cpu>),
                   attachDeviceComputes("_backward_RNN", rnndev::rnnBackwardDev<gpu>, rnndev::rnnBackwardDev<cpu>),
                   true);
}  // namespace
}  // namespace rnn_gpu
}  // namespace ist
