// GPU computes of Pooling_v1 and _backward_Pooling_v1 (legacy_layers_device.h), with their CPU twins.
// Convolution_v1 and BatchNorm_v1 run Convolution's and BatchNorm's GPU computes (legacy_layers.cc).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/nn/legacy_layers_device.h"

namespace ist {
namespace legacy_layers_gpu {
namespace {

[[maybe_unused]] const bool kRegistered =
    (attachDeviceComputes("Pooling_v1", legacy_pool::poolV1Dev<gpu>, legacy_pool::poolV1Dev<cpu>),
     attachDeviceComputes("_backward_Pooling_v1",
                          namedCompute("_backward_Pooling_v1", legacy_pool::poolV1BackwardDev<gpu>),
                          namedCompute("_backward_Pooling_v1", legacy_pool::poolV1BackwardDev<cpu>)),
     true);

}  // namespace
}  // namespace legacy_layers_gpu
}  // namespace ist
