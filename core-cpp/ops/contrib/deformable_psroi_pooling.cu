// GPU computes of _contrib_DeformablePSROIPooling and _backward__contrib_DeformablePSROIPooling
// (deformable_psroi_pooling_device.h), with their CPU twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/contrib/deformable_psroi_pooling_device.h"

namespace ist {
namespace dpsroi {
namespace deformable_psroi_pooling_gpu {
namespace {
const bool kReg = (attachDeviceComputes(kOp, dpForwardDev<gpu>, dpForwardDev<cpu>),
                   attachDeviceComputes(kBack, namedCompute(kBack, dpBackwardDev<gpu>),
                                        namedCompute(kBack, dpBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace deformable_psroi_pooling_gpu
}  // namespace dpsroi
}  // namespace ist
