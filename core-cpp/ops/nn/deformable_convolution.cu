// GPU computes of _contrib_DeformableConvolution and _backward_DeformableConvolution
// (deformable_convolution_device.h), with their CPU twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/nn/deformable_convolution_device.h"

namespace ist {
namespace deformable_convolution_gpu {
namespace {
using deformconv::DeformableConvolutionParam;
const bool kReg =
    (attachDeviceComputes(deformconv::kOpV1, deformconv::dcForwardCompute<DeformableConvolutionParam, false, gpu>,
                          deformconv::dcForwardCompute<DeformableConvolutionParam, false, cpu>),
     attachDeviceComputes(
         deformconv::kBackV1,
         namedCompute(deformconv::kBackV1, deformconv::dcBackwardCompute<DeformableConvolutionParam, false, gpu>),
         namedCompute(deformconv::kBackV1, deformconv::dcBackwardCompute<DeformableConvolutionParam, false, cpu>)),
     true);
}  // namespace
}  // namespace deformable_convolution_gpu
}  // namespace ist
