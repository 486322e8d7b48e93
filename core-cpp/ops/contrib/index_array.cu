// GPU compute of _contrib_index_array (index_array_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/contrib/index_array_device.h"

namespace ist {
namespace {
const bool kReg = (attachDeviceComputes("_contrib_index_array", indexarray::indexArrayDev<gpu>,
                                        indexarray::indexArrayDev<cpu>),
                   true);
}  // namespace
}  // namespace ist
