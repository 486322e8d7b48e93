// GPU computes of _contrib_BilinearResize2D and its gradient (bilinear_resize_device.h), with their
// CPU twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/nn/bilinear_resize_device.h"

namespace ist {
namespace bresize {
namespace bilinear_resize_gpu {
namespace {
const bool kReg = (attachDeviceComputes(kOp, resizeForwardDev<gpu>, resizeForwardDev<cpu>),
                   attachDeviceComputes(kBack, namedCompute(kBack, resizeBackwardDev<gpu>),
                                        namedCompute(kBack, resizeBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace bilinear_resize_gpu
}  // namespace bresize
}  // namespace ist
