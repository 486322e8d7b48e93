// GPU computes of _slice_assign and _slice_assign_scalar (slice_assign_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/matrix/slice_assign_device.h"

namespace ist {
namespace slice_assign_gpu {
namespace {
const bool kReg = (attachDeviceComputes(sliceassign::kAssign, sliceassign::sliceAssignDev<gpu>,
                                        sliceassign::sliceAssignDev<cpu>),
                   attachDeviceComputes(sliceassign::kAssignScalar, sliceassign::sliceAssignScalarDev<gpu>,
                                        sliceassign::sliceAssignScalarDev<cpu>),
                   true);
}  // namespace
}  // namespace slice_assign_gpu
}  // namespace ist
