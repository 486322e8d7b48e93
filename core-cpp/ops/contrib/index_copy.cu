// GPU compute of _contrib_index_copy (index_copy_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/contrib/index_copy_device.h"

namespace ist {
namespace {
const bool kReg = (attachDeviceComputes("_contrib_index_copy", indexcopy::indexCopyDev<gpu>,
                                        indexcopy::indexCopyDev<cpu>),
                   true);
}  // namespace
}  // namespace ist
