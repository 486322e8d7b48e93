// GPU compute of batch_take (batch_take_device.h), with its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/indexing/batch_take_device.h"

namespace ist {
namespace batch_take_gpu {
namespace {
using namespace batchtakedev;
const bool kReg = (attachDeviceComputes("batch_take", batchTakeDev<gpu>, batchTakeDev<cpu>), true);
}  // namespace
}  // namespace batch_take_gpu
}  // namespace ist
