// GPU computes of _contrib_boolean_mask and _backward_contrib_boolean_mask (boolean_mask_device.h), with
// their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/contrib/boolean_mask_device.h"

namespace ist {
namespace boolean_mask_gpu {
namespace {
const bool kReg = (attachDeviceComputes(boolmask::kOp, boolmask::booleanMaskDev<gpu>, boolmask::booleanMaskDev<cpu>),
                   attachDeviceComputes(boolmask::kBackOp,
                                        namedCompute(boolmask::kBackOp, boolmask::booleanMaskBackwardDev<gpu>),
                                        namedCompute(boolmask::kBackOp, boolmask::booleanMaskBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace boolean_mask_gpu
}  // namespace ist
