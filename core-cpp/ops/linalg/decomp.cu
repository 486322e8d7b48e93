// GPU computes of _linalg_gelqf, _linalg_syevd and their gradients (decomp_device.h), with their CPU
// twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/linalg/decomp_device.h"

namespace ist {
namespace decomp_gpu {
namespace {
const bool kReg =
    (attachDeviceComputes("_linalg_gelqf", decomp::gelqfComputeDev<gpu>, decomp::gelqfComputeDev<cpu>),
     attachDeviceComputes("_backward_linalg_gelqf", decomp::gelqfBackwardDev<gpu>, decomp::gelqfBackwardDev<cpu>),
     attachDeviceComputes("_linalg_syevd", decomp::syevdComputeDev<gpu>, decomp::syevdComputeDev<cpu>),
     attachDeviceComputes("_backward_linalg_syevd", decomp::syevdBackwardDev<gpu>, decomp::syevdBackwardDev<cpu>),
     true);
}  // namespace
}  // namespace decomp_gpu
}  // namespace ist
