// GPU computes of take and _backward_take (take_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/indexing/take_device.h"

namespace ist {
namespace take_gpu {
namespace {
using namespace takedev;
const bool kReg = (attachDeviceComputes("take", takeDev<gpu>, takeDev<cpu>),
                   attachDeviceComputes("_backward_take", namedCompute("_backward_take", takeBackwardDev<gpu>),
                                        namedCompute("_backward_take", takeBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace take_gpu
}  // namespace ist
