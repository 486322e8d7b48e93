// GPU computes of Convolution and _backward_Convolution: cuDNN (kernels/cuda/cudnn.h) or the
// device-generic im2col + GEMM compute (convolution_device.h, also the CPU twin, op/device_compute.h),
// whichever ran faster on the first call for the geometry. cuDNN's per-call host cost makes the own
// kernels the faster choice for many batch-1 layers; cuDNN wins on large batches.
#include "kernels/cuda/kernel_cuda.cuh"
#include "kernels/cuda/timed_choice.h"
#include "op/device_compute.h"
#include "ops/nn/conv_cudnn.h"
#include "ops/nn/convolution_device.h"

namespace ist {
namespace convolution_detail {
namespace convolution_gpu {
namespace {

cudnn::ConvShape cudnnShape(const ConvolutionParam& p, const Shape& x, const Shape& y) {
  return conv::cudnnShapeOf(dimsOf(p, x, y), false);
}

void convComputeGpu(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<ConvolutionParam>();
  const DType dt = in[0].dtype;
  const cudnn::ConvShape s = cudnnShape(p, in[0].shape, out[0].shape);
  const cudnn::ConvTuning t = cudnn::convTuning(p.cudnn_tune, p.workspace);
  void* stream = ctx.run.stream;
  if (!conv::oneDtype(in, out) || !cudnn::convSupported(dt, s, p.cudnn_off) ||
      !cudnn::convReady(stream, dt, s, t, cudnn::kConvForward, kOp))
    return convComputeDev<gpu>(attrs, ctx, in, req, out);
  const auto viaCudnn = [&] {
    cudnn::convForward(stream, dt, s, t, in[0].dptr, in[1].dptr, out[0].dptr, req[0] == OpReq::kAddTo, kOp);
    if (!p.no_bias) {
      const Dims d = dimsOf(p, in[0].shape, out[0].shape);
      conv::floatOrDouble(dt, [&](auto v) {
        using T = decltype(v);
        conv::addBiasDev<gpu, T>(ctx, out[0].data<T>(), in[2].data<T>(), d.N, d.F, d.OS);
      });
    }
  };
  const auto own = [&] { convComputeDev<gpu>(attrs, ctx, in, req, out); };
  if (!t.measure || req[0] == OpReq::kAddTo) return viaCudnn();
  runFastestOnce("Convolution" + cudnn::convKey(dt, s, t), stream, {viaCudnn, own}, "Convolution cuDNN vs own");
}

// inputs: ograd, data, weight; outputs: d data, d weight, d bias (unless no_bias).
void convBackwardGpu(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  constexpr const char* op = "_backward_Convolution";
  const auto& p = attrs.get<ConvolutionParam>();
  const DType dt = in[0].dtype;
  const cudnn::ConvShape s = cudnnShape(p, in[1].shape, in[0].shape);
  const cudnn::ConvTuning t = cudnn::convTuning(p.cudnn_tune, p.workspace);
  void* stream = ctx.run.stream;
  const bool wantX = req[0] != OpReq::kNull, wantW = req[1] != OpReq::kNull;
  const unsigned dirs = (wantX ? cudnn::kConvBackwardData : 0u) | (wantW ? cudnn::kConvBackwardFilter : 0u);
  if (!conv::oneDtype(in, out) || !cudnn::convSupported(dt, s, p.cudnn_off) ||
      !cudnn::convReady(stream, dt, s, t, dirs, op))
    return convBackwardComputeDev<gpu>(attrs, ctx, in, req, out);
  const auto viaCudnn = [&] {
    if (wantW)
      cudnn::convBackwardFilter(stream, dt, s, t, in[1].dptr, in[0].dptr, out[1].dptr, req[1] == OpReq::kAddTo, op);
    if (wantX)
      cudnn::convBackwardData(stream, dt, s, t, in[2].dptr, in[0].dptr, out[0].dptr, req[0] == OpReq::kAddTo, op);
    if (!p.no_bias) {
      const Dims d = dimsOf(p, in[1].shape, in[0].shape);
      conv::floatOrDouble(dt, [&](auto v) {
        using T = decltype(v);
        conv::biasGradDev<gpu, T>(ctx, in[0].data<T>(), out[2].data<T>(), d.N, d.F, d.OS, req[2]);
      });
    }
  };
  const auto own = [&] { convBackwardComputeDev<gpu>(attrs, ctx, in, req, out); };
  if (!t.measure || conv::accumulates(req)) return viaCudnn();
  const std::string key = "_backward_Convolution" + std::to_string(dirs) + cudnn::convKey(dt, s, t);
  runFastestOnce(key, stream, {viaCudnn, own}, "_backward_Convolution cuDNN vs own");
}

[[maybe_unused]] const bool kRegistered =
    (attachDeviceComputes("Convolution", convComputeGpu, convComputeDev<cpu>),
     attachDeviceComputes("_backward_Convolution", convBackwardGpu, convBackwardComputeDev<cpu>), true);

}  // namespace
}  // namespace convolution_gpu
}  // namespace convolution_detail
}  // namespace ist
