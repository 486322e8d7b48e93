// GPU computes of Pad and _backward_Pad (pad_device.h), with their CPU twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/matrix/pad_device.h"

namespace ist {
namespace pad_detail {
namespace pad_gpu {
namespace {

[[maybe_unused]] const bool kRegistered =
    (attachDeviceComputes("Pad", padComputeDev<gpu>, padComputeDev<cpu>),
     attachDeviceComputes("_backward_Pad", padBackwardComputeDev<gpu>, padBackwardComputeDev<cpu>), true);

}  // namespace
}  // namespace pad_gpu
}  // namespace pad_detail
}  // namespace ist
