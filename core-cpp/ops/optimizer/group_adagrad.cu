// GPU computes of _contrib_group_adagrad_update and reset_arrays (group_adagrad_device.h), with
// their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/optimizer/group_adagrad_device.h"

namespace ist {
namespace group_adagrad_gpu {
namespace {
const bool kReg = (attachDeviceComputes(groupada::kGroupAdagrad, groupada::groupAdagradDev<gpu>,
                                        groupada::groupAdagradDev<cpu>),
                   attachDeviceComputes(groupada::kReset, groupada::resetArraysDev<gpu>,
                                        groupada::resetArraysDev<cpu>),
                   true);
}  // namespace
}  // namespace group_adagrad_gpu
}  // namespace ist
