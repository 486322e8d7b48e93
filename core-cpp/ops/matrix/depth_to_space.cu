// GPU computes of depth_to_space and space_to_depth (registered in transpose.cc), written once
// for Dev = gpu and their CPU twins (op/device_compute.h): one Map call per output element reads
// its source element (the permutations transpose.cc describes with strided views).
#include <type_traits>
#include <vector>
#include "base/dtype.h"
#include "kernels/cuda/kernel_cuda.cuh"
#include "kernels/device_util.h"
#include "op/device_compute.h"
#include "op/registry.h"
#include "ops/matrix/transpose_device.h"

namespace ist {
namespace depth_to_space_detail {
namespace depth_to_space_gpu {
namespace {

// (N, C, H, W) -> (N, C / b^2, H * b, W * b): out[n, c, h*b + bh, w*b + bw] = in[n, (bh*b + bw) * C/b^2 + c, h, w].
struct DepthToSpaceMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, int64_t C, int64_t H, int64_t W, int64_t b, bool add) {
    const int64_t Cb = C / (b * b), OH = H * b, OW = W * b;
    const int64_t ow = i % OW, oh = (i / OW) % OH, c = (i / (OW * OH)) % Cb, n = i / (OW * OH * Cb);
    const int64_t h = oh / b, bh = oh % b, w = ow / b, bw = ow % b;
    putValue(y[i], x[((n * C + (bh * b + bw) * Cb + c) * H + h) * W + w], add);
  }
};

// (N, C, H, W) -> (N, C * b^2, H / b, W / b): out[n, (bh*b + bw) * C + c, h, w] = in[n, c, h*b + bh, w*b + bw].
struct SpaceToDepthMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, int64_t C, int64_t H, int64_t W, int64_t b, bool add) {
    const int64_t OH = H / b, OW = W / b, OC = C * b * b;
    const int64_t w = i % OW, h = (i / OW) % OH, oc = (i / (OW * OH)) % OC, n = i / (OW * OH * OC);
    const int64_t bh = oc / (b * C), bw = (oc / C) % b, c = oc % C;
    putValue(y[i], x[((n * C + c) * H + h * b + bh) * W + w * b + bw], add);
  }
};

template <typename Dev, typename M>
void blockCompute(const char* op, const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const Shape& s = in[0].shape;
  const int64_t b = attrs.get<mat::BlockSizeParam>().block_size;
  IST_TYPE_SWITCH_ALL(in[0].dtype, T, op, {
    DeviceKernel<M, Dev>::launch(ctx.run.stream, out[0].size(), 1, out[0].data<T>(), in[0].data<T>(), s[1], s[2],
                                 s[3], b, req[0] == OpReq::kAddTo);
  });
}

template <typename Dev>
void depthToSpaceDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  blockCompute<Dev, DepthToSpaceMap>("depth_to_space", attrs, ctx, in, req, out);
}

template <typename Dev>
void spaceToDepthDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  blockCompute<Dev, SpaceToDepthMap>("space_to_depth", attrs, ctx, in, req, out);
}

[[maybe_unused]] const bool kRegistered =
    (attachDeviceComputes("depth_to_space", depthToSpaceDev<gpu>, depthToSpaceDev<cpu>),
     attachDeviceComputes("space_to_depth", spaceToDepthDev<gpu>, spaceToDepthDev<cpu>), true);

}  // namespace
}  // namespace depth_to_space_gpu
}  // namespace depth_to_space_detail
}  // namespace ist
