// GPU computes of GridGenerator, BilinearSampler, SpatialTransformer and their gradient ops
// (spatial_device.h), with their CPU twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/spatial_device.h"

namespace ist {
namespace spatialop {
namespace spatial_gpu {
namespace {

[[maybe_unused]] const bool kRegistered =
    (attachDeviceComputes(kGG, ggComputeDev<gpu>, ggComputeDev<cpu>),
     attachDeviceComputes(kGGB, ggBackwardComputeDev<gpu>, ggBackwardComputeDev<cpu>),
     attachDeviceComputes(kBS, bsComputeDev<gpu>, bsComputeDev<cpu>),
     attachDeviceComputes(kBSB, bsBackwardComputeDev<gpu>, bsBackwardComputeDev<cpu>),
     attachDeviceComputes(kST, stComputeDev<gpu>, stComputeDev<cpu>), true);

}  // namespace
}  // namespace spatial_gpu
}  // namespace spatialop
}  // namespace ist
