// GPU computes of CTCLoss and _backward_ctc_loss (ctc_loss_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/ctc_loss_device.h"

namespace ist {
namespace ctc_loss_gpu {
namespace {
const bool kReg = (attachDeviceComputes("CTCLoss", ctcdev::ctcForwardDev<gpu>, ctcdev::ctcForwardDev<cpu>),
                   attachDeviceComputes("_backward_ctc_loss", ctcdev::ctcBackwardDev<gpu>,
                                        ctcdev::ctcBackwardDev<cpu>),
                   true);
}  // namespace
}  // namespace ctc_loss_gpu
}  // namespace ist
