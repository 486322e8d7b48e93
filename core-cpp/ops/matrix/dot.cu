// GPU computes of dot, batch_dot and their backward ops (dot_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/matrix/dot_device.h"

namespace ist {
namespace dot_gpu {
namespace {
using namespace dotdev;
const bool kReg = (attachDeviceComputes("dot", dotForwardDev<gpu>, dotForwardDev<cpu>),
                   attachDeviceComputes("batch_dot", batchDotForwardDev<gpu>, batchDotForwardDev<cpu>),
                   attachDeviceComputes("_backward_dot", namedCompute("_backward_dot", dotBackwardDev<gpu, false>),
                                        namedCompute("_backward_dot", dotBackwardDev<cpu, false>)),
                   attachDeviceComputes("_backward_batch_dot",
                                        namedCompute("_backward_batch_dot", dotBackwardDev<gpu, true>),
                                        namedCompute("_backward_batch_dot", dotBackwardDev<cpu, true>)),
                   true);
}  // namespace
}  // namespace dot_gpu
}  // namespace ist
