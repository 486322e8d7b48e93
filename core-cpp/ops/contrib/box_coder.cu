// GPU computes of _contrib_box_encode and _contrib_box_decode (box_coder_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/contrib/box_coder_device.h"

namespace ist {
namespace box_coder_gpu {
namespace {
const bool kReg = (attachDeviceComputes("_contrib_box_encode", box_coder_dev::encodeDev<gpu>,
                                        box_coder_dev::encodeDev<cpu>),
                   attachDeviceComputes("_contrib_box_decode", box_coder_dev::decodeDev<gpu>,
                                        box_coder_dev::decodeDev<cpu>),
                   true);
}  // namespace
}  // namespace box_coder_gpu
}  // namespace ist
