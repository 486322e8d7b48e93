// GPU computes of amp_cast and amp_multicast (amp_cast_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/elemwise/amp_cast_device.h"

namespace ist {
namespace amp_cast_gpu {
namespace {
using namespace ampdev;
const bool kReg = (attachDeviceComputes("amp_cast", ampCastDev<gpu>, ampCastDev<cpu>),
                   attachDeviceComputes("amp_multicast", ampCastDev<gpu>, ampCastDev<cpu>), true);
}  // namespace
}  // namespace amp_cast_gpu
}  // namespace ist
