// GPU computes of pick and _backward_pick (pick_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/indexing/pick_device.h"

namespace ist {
namespace pick_gpu {
namespace {
using namespace pickdev;
const bool kReg = (attachDeviceComputes("pick", pickDev<gpu>, pickDev<cpu>),
                   attachDeviceComputes("_backward_pick", namedCompute("_backward_pick", pickBackwardDev<gpu>),
                                        namedCompute("_backward_pick", pickBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace pick_gpu
}  // namespace ist
