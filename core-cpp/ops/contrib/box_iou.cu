// GPU computes of _contrib_box_iou and _backward_contrib_box_iou (box_iou_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/contrib/box_iou_device.h"

namespace ist {
namespace {
using namespace boxiou;
const bool kReg = (attachDeviceComputes("_contrib_box_iou", boxIouDev<gpu>, boxIouDev<cpu>),
                   attachDeviceComputes("_backward_contrib_box_iou",
                                        namedCompute("_backward_contrib_box_iou", boxIouBackwardDev<gpu>),
                                        namedCompute("_backward_contrib_box_iou", boxIouBackwardDev<cpu>)),
                   true);
}  // namespace
}  // namespace ist
