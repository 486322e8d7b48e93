// GPU computes of _linalg_gemm and _linalg_gemm2 (gemm_ops_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/linalg/gemm_ops_device.h"

namespace ist {
namespace gemm_ops_gpu {
namespace {
using namespace gemmdev;
const bool kReg = (attachDeviceComputes("_linalg_gemm", gemmComputeDev<gpu, la::GemmParam>,
                                        gemmComputeDev<cpu, la::GemmParam>),
                   attachDeviceComputes("_linalg_gemm2", gemmComputeDev<gpu, la::Gemm2Param>,
                                        gemmComputeDev<cpu, la::Gemm2Param>),
                   true);
}  // namespace
}  // namespace gemm_ops_gpu
}  // namespace ist
