// GPU kernels of gather_nd, scatter_nd, _scatter_set_nd and _backward_gather_nd and their CPU twins:
// the device-generic computes of gather_scatter_device.h, attached with attachDeviceComputes.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/indexing/gather_scatter_device.h"

namespace ist {
namespace gsnd {
namespace gather_scatter_gpu {
namespace {

bool registerGatherScatterGpu() {
  attachDeviceComputes("gather_nd", gatherComputeDev<gpu>, gatherComputeDev<cpu>);
  attachDeviceComputes("scatter_nd", scatterComputeDev<gpu>, scatterComputeDev<cpu>);
  attachDeviceComputes("_scatter_set_nd", scatterComputeDev<gpu>, scatterComputeDev<cpu>);
  // Named as in gather_scatter.cc, so index errors read "_backward_gather_nd: gather_nd: ...".
  attachDeviceComputes("_backward_gather_nd", namedCompute("_backward_gather_nd", gatherBackwardComputeDev<gpu>),
                       namedCompute("_backward_gather_nd", gatherBackwardComputeDev<cpu>));
  return true;
}

[[maybe_unused]] const bool kGatherScatterGpuRegistered = registerGatherScatterGpu();

}  // namespace
}  // namespace gather_scatter_gpu
}  // namespace gsnd
}  // namespace ist
