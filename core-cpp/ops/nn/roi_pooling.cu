// GPU computes of ROIPooling and _backward_ROIPooling (roi_pooling_device.h), with their CPU twins
// (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/roi_pooling_device.h"

namespace ist {
namespace roiop {
namespace roi_pooling_gpu {
namespace {
const bool kReg = (attachDeviceComputes("ROIPooling", roiForwardDev<gpu>, roiForwardDev<cpu>),
                   attachDeviceComputes("_backward_ROIPooling", roiBackwardDev<gpu>, roiBackwardDev<cpu>), true);
}  // namespace
}  // namespace roi_pooling_gpu
}  // namespace roiop
}  // namespace ist
