// GPU computes of _contrib_PSROIPooling and _backward__contrib_PSROIPooling (psroi_pooling_device.h),
// with their CPU twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/contrib/psroi_pooling_device.h"

namespace ist {
namespace psroi {
namespace psroi_pooling_gpu {
namespace {
const bool kReg = (attachDeviceComputes(kOp, psForwardDev<gpu>, psForwardDev<cpu>),
                   attachDeviceComputes(kBack, namedCompute(kBack, psBackwardDev<gpu>),
                                        namedCompute(kBack, psBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace psroi_pooling_gpu
}  // namespace psroi
}  // namespace ist
