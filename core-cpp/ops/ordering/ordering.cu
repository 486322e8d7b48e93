// GPU computes of sort, argsort, topk, _take_along_axis and _backward_take_along_axis
// (ordering_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/ordering/ordering_device.h"

namespace ist {
namespace ordering {
namespace ordering_gpu {
namespace {
using namespace dev;
const bool kReg = (attachDeviceComputes("sort", sortDev<gpu>, sortDev<cpu>),
                   attachDeviceComputes("argsort", argsortDev<gpu>, argsortDev<cpu>),
                   attachDeviceComputes("topk", topkDev<gpu>, topkDev<cpu>),
                   attachDeviceComputes("_take_along_axis", takeAlongDev<gpu>, takeAlongDev<cpu>),
                   attachDeviceComputes("_backward_take_along_axis",
                                        namedCompute("_backward_take_along_axis", takeAlongBackwardDev<gpu>),
                                        namedCompute("_backward_take_along_axis", takeAlongBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace ordering_gpu
}  // namespace ordering
}  // namespace ist
