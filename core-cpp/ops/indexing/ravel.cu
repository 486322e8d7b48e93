// GPU kernels of _ravel_multi_index and _unravel_index and their CPU twins: the device-generic
// computes of ravel_device.h, attached with attachDeviceComputes.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/indexing/ravel_device.h"

namespace ist {
namespace ravel {
namespace ravel_gpu {
namespace {

bool registerRavelGpu() {
  attachDeviceComputes("_ravel_multi_index", ravelComputeDev<gpu>, ravelComputeDev<cpu>);
  attachDeviceComputes("_unravel_index", unravelComputeDev<gpu>, unravelComputeDev<cpu>);
  return true;
}

[[maybe_unused]] const bool kRavelGpuRegistered = registerRavelGpu();

}  // namespace
}  // namespace ravel_gpu
}  // namespace ravel
}  // namespace ist
