// GPU computes of im2col, col2im and _backward_im2col (im2col_op_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/nn/im2col_op_device.h"

namespace ist {
namespace im2col_op_gpu {
namespace {
using namespace im2colop;
const bool kReg = (attachDeviceComputes("im2col", im2colOpDev<gpu>, im2colOpDev<cpu>),
                   attachDeviceComputes("col2im", col2imOpDev<gpu>, col2imOpDev<cpu>),
                   attachDeviceComputes("_backward_im2col", namedCompute("_backward_im2col", im2colBackwardDev<gpu>),
                                        namedCompute("_backward_im2col", im2colBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace im2col_op_gpu
}  // namespace ist
