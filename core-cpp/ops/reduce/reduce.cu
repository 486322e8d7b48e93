// GPU computes of the reduction family (ops/reduce/reduce_device.h), attached with their CPU twins
// to the ops the reduce/*.cc files register.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/reduce/reduce_device.h"

namespace ist {
namespace rdev {
namespace reduce_gpu {
namespace {

void registerReduceGpu() {
#define IST_ATTACH(name, fn) attachDeviceComputes(name, fn<gpu>, fn<cpu>)
#define IST_ATTACH_K(name, fn, K) attachDeviceComputes(name, fn<gpu, K>, fn<cpu, K>)
  IST_ATTACH_K("sum", reduceCompute, Kind::kSum);
  IST_ATTACH_K("mean", reduceCompute, Kind::kMean);
  IST_ATTACH_K("prod", reduceCompute, Kind::kProd);
  IST_ATTACH_K("max", reduceCompute, Kind::kMax);
  IST_ATTACH_K("min", reduceCompute, Kind::kMin);
  IST_ATTACH_K("nansum", reduceCompute, Kind::kNanSum);
  IST_ATTACH_K("nanprod", reduceCompute, Kind::kNanProd);
  IST_ATTACH("norm", normCompute);
  IST_ATTACH_K("argmax", searchCompute, true);
  IST_ATTACH_K("argmin", searchCompute, false);
  IST_ATTACH("argmax_channel", argmaxChannelCompute);
  IST_ATTACH("broadcast_to", broadcastCompute);
  IST_ATTACH("broadcast_axis", broadcastCompute);
  IST_ATTACH("broadcast_like", broadcastCompute);
  IST_ATTACH("_reduce_sum_like", sumLikeCompute);
  IST_ATTACH("_broadcast_reduced", broadcastReducedCompute);
  IST_ATTACH("moments", momentsCompute);
  IST_ATTACH("cumsum", cumsumCompute);
  IST_ATTACH("_backward_cumsum", backwardCumsumCompute);
#undef IST_ATTACH
#undef IST_ATTACH_K
}

[[maybe_unused]] const bool kReduceGpuRegistered = (registerReduceGpu(), true);

}  // namespace
}  // namespace reduce_gpu
}  // namespace rdev
}  // namespace ist
