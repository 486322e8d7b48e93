// GPU computes of the normalization layers (BatchNorm, LayerNorm, InstanceNorm, GroupNorm,
// L2Normalization and their backward ops), attached with their CPU twins to the ops the nn/*.cc
// files register, and the executor's fused Convolution -> BatchNorm epilogue. The computes live in
// batch_norm_device.h, norm_rows_device.h and l2_normalization_device.h.
#include "graph/fuse_conv_bn.h"
#include "kernels/cuda/device_rows_cuda.cuh"
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/nn/batch_norm_device.h"
#include "ops/nn/l2_normalization_device.h"
#include "ops/nn/norm_rows_device.h"

namespace ist {
namespace ndev {
namespace normalization_gpu {
namespace {

void registerNormalizationGpu() {
#define IST_ATTACH(name, fn) attachDeviceComputes(name, fn<gpu>, fn<cpu>)
  IST_ATTACH("BatchNorm", batchNormCompute);
  IST_ATTACH("_backward_BatchNorm", batchNormBackward);
  IST_ATTACH("LayerNorm", layerNormCompute);
  IST_ATTACH("_backward_LayerNorm", layerNormBackward);
  IST_ATTACH("InstanceNorm", instanceNormCompute);
  IST_ATTACH("_backward_InstanceNorm", instanceNormBackward);
  IST_ATTACH("GroupNorm", groupNormCompute);
  IST_ATTACH("_backward_GroupNorm", groupNormBackward);
  IST_ATTACH("L2Normalization", l2Compute);
  IST_ATTACH("_backward_L2Normalization", l2Backward);
#undef IST_ATTACH
  attachBatchNormEpilogue(batchNormInferenceInPlace<gpu>, batchNormInferenceInPlace<cpu>);
}

[[maybe_unused]] const bool kNormalizationGpuRegistered = (registerNormalizationGpu(), true);

}  // namespace
}  // namespace normalization_gpu
}  // namespace ndev
}  // namespace ist
