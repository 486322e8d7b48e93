// GPU compute of _histogram (histogram_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/reduce/histogram_device.h"

namespace ist {
namespace histogram_gpu {
namespace {
const bool kReg = (attachDeviceComputes("_histogram", histdev::histogramDev<gpu>, histdev::histogramDev<cpu>), true);
}  // namespace
}  // namespace histogram_gpu
}  // namespace ist
