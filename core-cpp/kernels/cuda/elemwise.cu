// GPU computes of the elementwise family: ops/elemwise/compute.h instantiated with Dev = gpu and
// attached to the ops that the .cc files register (see ops/elemwise/register.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "ops/elemwise/compute.h"
#include "ops/elemwise/op_list.h"
#include "ops/elemwise/round_to_format.h"
#include "ops/elemwise/register.h"

namespace ist {
namespace elem {

void registerElemwiseGpu() {
  using Dev = gpu;
#define IST_GPU_UNARY(name, functor, types, doc, aliases) \
  attachGpuCompute(#name, unaryCompute<Dev, functor, k##types##Types>);
#define IST_GPU_BINARY(name, functor, types, doc, aliases) \
  attachGpuCompute(#name, binaryCompute<Dev, functor, k##types##Types>);
#define IST_GPU_SCALAR(name, functor, reverse, types, doc, aliases) \
  attachGpuCompute(#name, scalarCompute<Dev, functor, reverse, k##types##Types>);
#define IST_GPU_MISC(name, compute) attachGpuCompute(#name, compute);
  IST_ELEMWISE_UNARY_OPS(IST_GPU_UNARY)
  IST_ELEMWISE_BINARY_OPS(IST_GPU_BINARY)
  IST_BROADCAST_BINARY_OPS(IST_GPU_BINARY)
  IST_SCALAR_OPS(IST_GPU_SCALAR)
  IST_ELEMWISE_MISC_OPS(IST_GPU_MISC)
#undef IST_GPU_UNARY
#undef IST_GPU_BINARY
#undef IST_GPU_SCALAR
#undef IST_GPU_MISC
}

namespace {
[[maybe_unused]] const bool kElemwiseGpuRegistered = (registerElemwiseGpu(), true);
}  // namespace

}  // namespace elem
}  // namespace ist
