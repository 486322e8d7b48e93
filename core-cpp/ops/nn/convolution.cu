// GPU computes of Convolution and _backward_Convolution (convolution_device.h), with their CPU
// twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/convolution_device.h"

namespace ist {
namespace convolution_detail {
namespace {

[[maybe_unused]] const bool kRegistered =
    (attachDeviceComputes("Convolution", convComputeDev<gpu>, convComputeDev<cpu>),
     attachDeviceComputes("_backward_Convolution", convBackwardComputeDev<gpu>, convBackwardComputeDev<cpu>), true);

}  // namespace
}  // namespace convolution_detail
}  // namespace ist
