// GPU computes of ROIPooling and _backward_ROIPooling (roi_pooling_device.h), with their CPU twins
// (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/roi_pooling_device.h"

namespace ist {
namespace roiop {
namespace {
const bool kReg = (attachDeviceComputes("ROIPooling", roiForwardDev<gpu>, roiForwardDev<cpu>),
                   attachDeviceComputes("_backward_ROIPooling", roiBackwardDev<gpu>, roiBackwardDev<cpu>), true);
}  // namespace
}  // namespace roiop
}  // namespace ist
