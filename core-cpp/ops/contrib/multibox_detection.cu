// GPU compute of _contrib_MultiBoxDetection (multibox_detection_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/contrib/multibox_detection_device.h"

namespace ist {
namespace {
using namespace mboxdet;
const bool kReg = (attachDeviceComputes("_contrib_MultiBoxDetection", multiBoxDetectionDev<gpu>,
                                        multiBoxDetectionDev<cpu>),
                   true);
}  // namespace
}  // namespace ist
