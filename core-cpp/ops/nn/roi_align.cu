// GPU computes of _contrib_ROIAlign and _backward_ROIAlign (roi_align_device.h), with their CPU
// twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/nn/roi_align_device.h"

namespace ist {
namespace roialign {
namespace roi_align_gpu {
namespace {
const bool kReg = (attachDeviceComputes(kOp, raForwardDev<gpu>, raForwardDev<cpu>),
                   attachDeviceComputes(kBack, namedCompute(kBack, raBackwardDev<gpu>),
                                        namedCompute(kBack, raBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace roi_align_gpu
}  // namespace roialign
}  // namespace ist
