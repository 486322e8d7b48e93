// GPU kernels of the layout family (transpose, SwapAxis, Concat, stack, SliceChannel, slice*,
// tile, repeat, reverse, the reshape family, shape_array / size_array, diag) and their CPU twins:
// the device-generic computes of the *_device.h headers, attached with attachDeviceComputes
// (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/backward_errors.h"
#include "op/device_compute.h"
#include "ops/matrix/concat_device.h"
#include "ops/matrix/diag_device.h"
#include "ops/matrix/reshape_device.h"
#include "ops/matrix/reverse_device.h"
#include "ops/matrix/slice_device.h"
#include "ops/matrix/split_device.h"
#include "ops/matrix/tile_device.h"
#include "ops/matrix/transpose_device.h"

namespace ist {
namespace mat {
namespace matrix_gpu {
namespace {

// Attaches F<gpu> and its CPU twin F<cpu>; backward ops are wrapped in namedCompute as in the .cc.
#define IST_ATTACH(name, F) attachDeviceComputes(name, F<gpu>, F<cpu>)
#define IST_ATTACH_NAMED(name, F) \
  attachDeviceComputes(name, namedCompute(name, F<gpu>), namedCompute(name, F<cpu>))

bool registerMatrixGpu() {
  IST_ATTACH("transpose", transposeComputeDev);
  IST_ATTACH("SwapAxis", swapAxisComputeDev);
  IST_ATTACH("Concat", concatComputeDev);
  IST_ATTACH_NAMED("_backward_Concat", concatBackwardComputeDev);
  IST_ATTACH("stack", stackComputeDev);
  IST_ATTACH("SliceChannel", splitComputeDev);
  IST_ATTACH("slice", sliceComputeDev);
  IST_ATTACH_NAMED("_backward_slice", sliceBackwardComputeDev);
  IST_ATTACH("slice_axis", sliceAxisComputeDev);
  IST_ATTACH_NAMED("_backward_slice_axis", sliceAxisBackwardComputeDev);
  IST_ATTACH("slice_like", sliceLikeComputeDev);
  IST_ATTACH_NAMED("_backward_slice_like", sliceLikeBackwardComputeDev);
  IST_ATTACH("tile", tileComputeDev);
  IST_ATTACH_NAMED("_backward_tile", tileBackwardComputeDev);
  IST_ATTACH("repeat", repeatComputeDev);
  IST_ATTACH_NAMED("_backward_repeat", repeatBackwardComputeDev);
  IST_ATTACH("reverse", reverseComputeDev);
  for (const char* op : {"Reshape", "Flatten", "expand_dims", "squeeze", "reshape_like"})
    IST_ATTACH(op, sameDataComputeDev);
  IST_ATTACH("shape_array", shapeArrayComputeDev);
  IST_ATTACH("size_array", shapeArrayComputeDev);
  IST_ATTACH("diag", diagComputeDev);
  IST_ATTACH_NAMED("_backward_diag", diagBackwardComputeDev);
  return true;
}

#undef IST_ATTACH
#undef IST_ATTACH_NAMED

[[maybe_unused]] const bool kMatrixGpuRegistered = registerMatrixGpu();

}  // namespace
}  // namespace matrix_gpu
}  // namespace mat
}  // namespace ist
