// GPU compute of _contrib_bipartite_matching (bipartite_matching_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/contrib/bipartite_matching_device.h"

namespace ist {
namespace bipartite_matching_gpu {
namespace {
const bool kReg = (attachDeviceComputes("_contrib_bipartite_matching", bipartite_dev::matchingDev<gpu>,
                                        bipartite_dev::matchingDev<cpu>),
                   true);
}  // namespace
}  // namespace bipartite_matching_gpu
}  // namespace ist
