// GPU compute of _contrib_MultiBoxPrior (multibox_prior_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/contrib/multibox_prior_device.h"

namespace ist {
namespace {
using namespace mboxprior;
const bool kReg = (attachDeviceComputes("_contrib_MultiBoxPrior", multiBoxPriorDev<gpu>, multiBoxPriorDev<cpu>), true);
}  // namespace
}  // namespace ist
