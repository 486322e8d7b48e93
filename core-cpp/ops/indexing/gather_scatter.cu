// GPU kernels of gather_nd, scatter_nd and _scatter_set_nd and their CPU twins: the
// device-generic computes of gather_scatter_device.h, attached with attachDeviceComputes.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/indexing/gather_scatter_device.h"

namespace ist {
namespace gsnd {
namespace {

bool registerGatherScatterGpu() {
  attachDeviceComputes("gather_nd", gatherComputeDev<gpu>, gatherComputeDev<cpu>);
  attachDeviceComputes("scatter_nd", scatterComputeDev<gpu>, scatterComputeDev<cpu>);
  attachDeviceComputes("_scatter_set_nd", scatterComputeDev<gpu>, scatterComputeDev<cpu>);
  return true;
}

[[maybe_unused]] const bool kGatherScatterGpuRegistered = registerGatherScatterGpu();

}  // namespace
}  // namespace gsnd
}  // namespace ist
