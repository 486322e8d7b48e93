// GPU compute of _contrib_allclose (allclose_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/contrib/allclose_device.h"

namespace ist {
namespace {
using namespace allclose;
const bool kReg = (attachDeviceComputes(kOp, allcloseDev<gpu>, allcloseDev<cpu>), true);
}  // namespace
}  // namespace ist
