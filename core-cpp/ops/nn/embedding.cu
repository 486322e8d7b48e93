// GPU computes of Embedding and _backward_Embedding (embedding_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/embedding_device.h"

namespace ist {
namespace embedding_gpu {
namespace {
using namespace embdev;
const bool kReg = (attachDeviceComputes("Embedding", embeddingDev<gpu>, embeddingDev<cpu>),
                   attachDeviceComputes("_backward_Embedding", embeddingBackwardDev<gpu>, embeddingBackwardDev<cpu>),
                   true);
}  // namespace
}  // namespace embedding_gpu
}  // namespace ist
