// GPU computes of Pooling and _backward_Pooling (pooling_device.h), with their CPU twins
// (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/pooling_device.h"

namespace ist {
namespace pooling_detail {
namespace pooling_gpu {
namespace {

[[maybe_unused]] const bool kRegistered =
    (attachDeviceComputes("Pooling", poolComputeDev<gpu>, poolComputeDev<cpu>),
     attachDeviceComputes("_backward_Pooling", poolBackwardComputeDev<gpu>, poolBackwardComputeDev<cpu>), true);

}  // namespace
}  // namespace pooling_gpu
}  // namespace pooling_detail
}  // namespace ist
