// GPU computes of _contrib_ModulatedDeformableConvolution and its backward
// (deformable_convolution_device.h), with their CPU twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/nn/deformable_convolution_device.h"

namespace ist {
namespace modulated_deformable_convolution_gpu {
namespace {
using deformconv::ModulatedDeformableConvolutionParam;
const bool kReg =
    (attachDeviceComputes(deformconv::kOpV2,
                          deformconv::dcForwardCompute<ModulatedDeformableConvolutionParam, true, gpu>,
                          deformconv::dcForwardCompute<ModulatedDeformableConvolutionParam, true, cpu>),
     attachDeviceComputes(
         deformconv::kBackV2,
         namedCompute(deformconv::kBackV2, deformconv::dcBackwardCompute<ModulatedDeformableConvolutionParam, true, gpu>),
         namedCompute(deformconv::kBackV2, deformconv::dcBackwardCompute<ModulatedDeformableConvolutionParam, true, cpu>)),
     true);
}  // namespace
}  // namespace modulated_deformable_convolution_gpu
}  // namespace ist
