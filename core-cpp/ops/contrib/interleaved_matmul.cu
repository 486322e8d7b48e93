// GPU computes of the _contrib_interleaved_matmul_* attention products and their backward ops
// (interleaved_matmul_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/contrib/interleaved_matmul_device.h"

namespace ist {
namespace {
using namespace imm;
const bool kReg =
    (attachDeviceComputes(kSelfQk, selfQkDev<gpu>, selfQkDev<cpu>),
     attachDeviceComputes(kSelfVal, selfValDev<gpu>, selfValDev<cpu>),
     attachDeviceComputes(kEncQk, encQkDev<gpu>, encQkDev<cpu>),
     attachDeviceComputes(kEncVal, encValDev<gpu>, encValDev<cpu>),
     attachDeviceComputes("_backward_interleaved_matmul_selfatt_qk",
                          namedCompute("_backward_interleaved_matmul_selfatt_qk", selfQkBackwardDev<gpu>),
                          namedCompute("_backward_interleaved_matmul_selfatt_qk", selfQkBackwardDev<cpu>)),
     attachDeviceComputes("_backward_interleaved_matmul_selfatt_valatt",
                          namedCompute("_backward_interleaved_matmul_selfatt_valatt", selfValBackwardDev<gpu>),
                          namedCompute("_backward_interleaved_matmul_selfatt_valatt", selfValBackwardDev<cpu>)),
     attachDeviceComputes("_backward_interleaved_matmul_encdec_qk",
                          namedCompute("_backward_interleaved_matmul_encdec_qk", encQkBackwardDev<gpu>),
                          namedCompute("_backward_interleaved_matmul_encdec_qk", encQkBackwardDev<cpu>)),
     attachDeviceComputes("_backward_interleaved_matmul_encdec_valatt",
                          namedCompute("_backward_interleaved_matmul_encdec_valatt", encValBackwardDev<gpu>),
                          namedCompute("_backward_interleaved_matmul_encdec_valatt", encValBackwardDev<cpu>)),
     true);
}  // namespace
}  // namespace ist
