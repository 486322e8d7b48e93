// GPU computes of _contrib_round_ste and _contrib_sign_ste (ste.cc): the element-wise round / sign
// kernels, with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/elemwise/compute.h"

namespace ist {
namespace ste_gpu {
namespace {
const bool kReg = (attachDeviceComputes("_contrib_round_ste", elem::unaryCompute<gpu, elem::round, elem::kNumericTypes>,
                                        elem::unaryCompute<cpu, elem::round, elem::kNumericTypes>),
                   attachDeviceComputes("_contrib_sign_ste", elem::unaryCompute<gpu, elem::sign, elem::kNumericTypes>,
                                        elem::unaryCompute<cpu, elem::sign, elem::kNumericTypes>),
                   true);
}  // namespace
}  // namespace ste_gpu
}  // namespace ist
