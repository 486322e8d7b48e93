// GPU compute of _contrib_arange_like (arange_like_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/contrib/arange_like_device.h"

namespace ist {
namespace {
const bool kReg = (attachDeviceComputes("_contrib_arange_like", arangelike::rangeLikeDev<gpu>,
                                        arangelike::rangeLikeDev<cpu>),
                   true);
}  // namespace
}  // namespace ist
