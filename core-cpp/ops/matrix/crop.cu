// GPU computes of Crop and _backward_Crop (crop_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/matrix/crop_device.h"

namespace ist {
namespace crop_gpu {
namespace {
using namespace cropdev;
const bool kReg = (attachDeviceComputes("Crop", cropDev<gpu>, cropDev<cpu>),
                   attachDeviceComputes("_backward_Crop", namedCompute("_backward_Crop", cropBackwardDev<gpu>),
                                        namedCompute("_backward_Crop", cropBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace crop_gpu
}  // namespace ist
