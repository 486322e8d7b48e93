// GPU computes of softmax, log_softmax, softmin, SoftmaxActivation and their backward ops
// (softmax_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/softmax_device.h"

namespace ist {
namespace softmax_gpu {
namespace {
using namespace smdev;
const bool kReg =
    (attachDeviceComputes("softmax", softmaxComputeDev<gpu, kSoftmax>, softmaxComputeDev<cpu, kSoftmax>),
     attachDeviceComputes("log_softmax", softmaxComputeDev<gpu, kLogSoftmax>, softmaxComputeDev<cpu, kLogSoftmax>),
     attachDeviceComputes("softmin", softmaxComputeDev<gpu, kSoftmin>, softmaxComputeDev<cpu, kSoftmin>),
     attachDeviceComputes("_backward_softmax", softmaxBackwardComputeDev<gpu, kSoftmax>,
                          softmaxBackwardComputeDev<cpu, kSoftmax>),
     attachDeviceComputes("_backward_log_softmax", softmaxBackwardComputeDev<gpu, kLogSoftmax>,
                          softmaxBackwardComputeDev<cpu, kLogSoftmax>),
     attachDeviceComputes("_backward_softmin", softmaxBackwardComputeDev<gpu, kSoftmin>,
                          softmaxBackwardComputeDev<cpu, kSoftmin>),
     attachDeviceComputes("SoftmaxActivation", softmaxActivationDev<gpu>, softmaxActivationDev<cpu>),
     attachDeviceComputes("_backward_SoftmaxActivation", softmaxActivationBackwardDev<gpu>,
                          softmaxActivationBackwardDev<cpu>),
     true);
}  // namespace
}  // namespace softmax_gpu
}  // namespace ist
