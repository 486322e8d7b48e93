// GPU computes of UpSampling and _backward_UpSampling (upsampling_device.h), with their CPU twins
// (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/upsampling_device.h"

namespace ist {
namespace upsampling_detail {
namespace upsampling_gpu {
namespace {

[[maybe_unused]] const bool kRegistered =
    (attachDeviceComputes("UpSampling", upComputeDev<gpu>, upComputeDev<cpu>),
     attachDeviceComputes("_backward_UpSampling", upBackwardComputeDev<gpu>, upBackwardComputeDev<cpu>), true);

}  // namespace
}  // namespace upsampling_gpu
}  // namespace upsampling_detail
}  // namespace ist
