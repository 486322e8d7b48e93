// GPU computes of SVMOutput and _backward_SVMOutput (svm_output_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/nn/svm_output_device.h"

namespace ist {
namespace svm_output_gpu {
namespace {
using namespace svmdev;
const bool kReg = (attachDeviceComputes("SVMOutput", svmOutputDev<gpu>, svmOutputDev<cpu>),
                   attachDeviceComputes("_backward_SVMOutput",
                                        namedCompute("_backward_SVMOutput", svmOutputBackwardDev<gpu>),
                                        namedCompute("_backward_SVMOutput", svmOutputBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace svm_output_gpu
}  // namespace ist
