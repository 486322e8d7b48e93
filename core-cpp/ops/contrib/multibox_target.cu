// GPU compute of _contrib_MultiBoxTarget (multibox_target_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/contrib/multibox_target_device.h"

namespace ist {
namespace {
using namespace mboxtarget;
const bool kReg = (attachDeviceComputes("_contrib_MultiBoxTarget", multiBoxTargetDev<gpu>, multiBoxTargetDev<cpu>),
                   true);
}  // namespace
}  // namespace ist
