// GPU computes of the linalg packing, syrk, trmm, trsm and sumlogdiag ops (la_device.h), with
// their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/linalg/la_device.h"

namespace ist {
namespace la_ops_gpu {
namespace {
using namespace ladev;
const bool kReg =
    (attachDeviceComputes("_linalg_extractdiag", packComputeDev<gpu, true, true>, packComputeDev<cpu, true, true>),
     attachDeviceComputes("_linalg_makediag", packComputeDev<gpu, false, true>, packComputeDev<cpu, false, true>),
     attachDeviceComputes("_linalg_extracttrian", packComputeDev<gpu, true, false>, packComputeDev<cpu, true, false>),
     attachDeviceComputes("_linalg_maketrian", packComputeDev<gpu, false, false>, packComputeDev<cpu, false, false>),
     attachDeviceComputes("_linalg_syrk", syrkComputeDev<gpu>, syrkComputeDev<cpu>),
     attachDeviceComputes("_linalg_trmm", triangComputeDev<gpu, false>, triangComputeDev<cpu, false>),
     attachDeviceComputes("_linalg_trsm", triangComputeDev<gpu, true>, triangComputeDev<cpu, true>),
     attachDeviceComputes("_linalg_sumlogdiag", sumlogdiagComputeDev<gpu>, sumlogdiagComputeDev<cpu>),
     attachDeviceComputes("_backward_linalg_sumlogdiag", sumlogdiagBackwardDev<gpu>, sumlogdiagBackwardDev<cpu>),
     true);
}  // namespace
}  // namespace la_ops_gpu
}  // namespace ist
