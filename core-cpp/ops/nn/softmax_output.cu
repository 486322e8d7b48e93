// GPU computes of SoftmaxOutput and _backward_SoftmaxOutput (softmax_output_device.h), with their
// CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/softmax_output_device.h"

namespace ist {
namespace softmax_output_gpu {
namespace {
using namespace smodev;
const bool kReg = (attachDeviceComputes("SoftmaxOutput", softmaxOutputDev<gpu>, softmaxOutputDev<cpu>),
                   attachDeviceComputes("_backward_SoftmaxOutput", softmaxOutputBackwardDev<gpu>,
                                        softmaxOutputBackwardDev<cpu>),
                   true);
}  // namespace
}  // namespace softmax_output_gpu
}  // namespace ist
