// GPU computes of the Cholesky and LU ops (la_factor_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/linalg/la_factor_device.h"

namespace ist {
namespace la_factor_gpu {
namespace {
using namespace ladev;
const bool kReg =
    (attachDeviceComputes("_linalg_potrf", potrfComputeDev<gpu>, potrfComputeDev<cpu>),
     attachDeviceComputes("_backward_linalg_potrf", potrfBackwardDev<gpu>, potrfBackwardDev<cpu>),
     attachDeviceComputes("_linalg_potri", potriComputeDev<gpu>, potriComputeDev<cpu>),
     attachDeviceComputes("_linalg_inverse", inverseComputeDev<gpu>, inverseComputeDev<cpu>),
     attachDeviceComputes("_linalg_det", detComputeDev<gpu, DetKind::kDet>, detComputeDev<cpu, DetKind::kDet>),
     attachDeviceComputes("_linalg_logdet", detComputeDev<gpu, DetKind::kLogDet>, detComputeDev<cpu, DetKind::kLogDet>),
     attachDeviceComputes("_linalg_slogdet", detComputeDev<gpu, DetKind::kSlogDet>,
                          detComputeDev<cpu, DetKind::kSlogDet>),
     attachDeviceComputes("_backward_linalg_det", detBackwardDev<gpu, DetKind::kDet>,
                          detBackwardDev<cpu, DetKind::kDet>),
     attachDeviceComputes("_backward_linalg_logdet", detBackwardDev<gpu, DetKind::kLogDet>,
                          detBackwardDev<cpu, DetKind::kLogDet>),
     attachDeviceComputes("_backward_linalg_slogdet", detBackwardDev<gpu, DetKind::kSlogDet>,
                          detBackwardDev<cpu, DetKind::kSlogDet>),
     true);
}  // namespace
}  // namespace la_factor_gpu
}  // namespace ist
