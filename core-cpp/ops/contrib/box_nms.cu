// GPU computes of _contrib_box_nms and _backward_contrib_box_nms (box_nms_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/contrib/box_nms_device.h"

namespace ist {
namespace {
using namespace boxnms;
const bool kReg = (attachDeviceComputes("_contrib_box_nms", boxNmsDev<gpu>, boxNmsDev<cpu>),
                   attachDeviceComputes("_backward_contrib_box_nms",
                                        namedCompute("_backward_contrib_box_nms", boxNmsBackwardDev<gpu>),
                                        namedCompute("_backward_contrib_box_nms", boxNmsBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace ist
