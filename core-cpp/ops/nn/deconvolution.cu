// GPU computes of Deconvolution and _backward_Deconvolution (deconvolution_device.h), with their
// CPU twins (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/deconvolution_device.h"

namespace ist {
namespace deconvolution_detail {
namespace {

[[maybe_unused]] const bool kRegistered =
    (attachDeviceComputes("Deconvolution", deconvComputeDev<gpu>, deconvComputeDev<cpu>),
     attachDeviceComputes("_backward_Deconvolution", deconvBackwardComputeDev<gpu>, deconvBackwardComputeDev<cpu>),
     true);

}  // namespace
}  // namespace deconvolution_detail
}  // namespace ist
