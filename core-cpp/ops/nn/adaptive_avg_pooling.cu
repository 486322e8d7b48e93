// GPU computes of _contrib_AdaptiveAvgPooling2D and its gradient (adaptive_avg_pooling_device.h),
// with their CPU twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/nn/adaptive_avg_pooling_device.h"

namespace ist {
namespace aapool {
namespace adaptive_avg_pooling_gpu {
namespace {
const bool kReg = (attachDeviceComputes(kOp, aapForwardDev<gpu>, aapForwardDev<cpu>),
                   attachDeviceComputes(kBack, namedCompute(kBack, aapBackwardDev<gpu>),
                                        namedCompute(kBack, aapBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace adaptive_avg_pooling_gpu
}  // namespace aapool
}  // namespace ist
