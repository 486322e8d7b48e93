// GPU computes of MakeLoss, make_loss, _backward_MakeLoss, softmax_cross_entropy and
// _backward_softmax_cross_entropy (loss_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/loss_device.h"

namespace ist {
namespace loss_gpu {
namespace {
using namespace lossdev;
const bool kReg = (attachDeviceComputes("MakeLoss", copyComputeDev<gpu>, copyComputeDev<cpu>),
                   attachDeviceComputes("make_loss", copyComputeDev<gpu>, copyComputeDev<cpu>),
                   attachDeviceComputes("_backward_MakeLoss", makeLossBackwardDev<gpu>, makeLossBackwardDev<cpu>),
                   attachDeviceComputes("softmax_cross_entropy", sceDev<gpu>, sceDev<cpu>),
                   attachDeviceComputes("_backward_softmax_cross_entropy", sceBackwardDev<gpu>,
                                        sceBackwardDev<cpu>),
                   true);
}  // namespace
}  // namespace loss_gpu
}  // namespace ist
