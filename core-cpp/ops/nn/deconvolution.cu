// GPU computes of Deconvolution and _backward_Deconvolution: cuDNN (the deconvolution is the data
// gradient of a convolution; ops/nn/conv_cudnn.h) or the device-generic compute
// (deconvolution_device.h, also the CPU twin), whichever ran faster on the first call (as
// convolution.cu does).
#include "kernels/cuda/kernel_cuda.cuh"
#include "kernels/cuda/timed_choice.h"
#include "op/device_compute.h"
#include "ops/nn/conv_cudnn.h"
#include "ops/nn/deconvolution_device.h"

namespace ist {
namespace deconvolution_detail {
namespace deconvolution_gpu {
namespace {

void deconvComputeGpu(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DeconvolutionParam>();
  const DType dt = in[0].dtype;
  const Dims d = dimsOf(p, in[0].shape, out[0].shape);
  const cudnn::ConvShape s = conv::cudnnShapeOf(d, true);
  const cudnn::ConvTuning t = cudnn::convTuning(p.cudnn_tune, p.workspace);
  void* stream = ctx.run.stream;
  if (!conv::oneDtype(in, out) || !cudnn::convSupported(dt, s, p.cudnn_off) ||
      !cudnn::convReady(stream, dt, s, t, cudnn::kConvBackwardData, kOp))
    return deconvComputeDev<gpu>(attrs, ctx, in, req, out);
  const auto viaCudnn = [&] {
    // y = the data gradient of the convolution y -> x, at x.
    cudnn::convBackwardData(stream, dt, s, t, in[1].dptr, in[0].dptr, out[0].dptr, req[0] == OpReq::kAddTo, kOp);
    if (!p.no_bias) {
      conv::floatOrDouble(dt, [&](auto v) {
        using T = decltype(v);
        conv::addBiasDev<gpu, T>(ctx, out[0].data<T>(), in[2].data<T>(), d.N, d.F, d.OS);
      });
    }
  };
  const auto own = [&] { deconvComputeDev<gpu>(attrs, ctx, in, req, out); };
  if (!t.measure || req[0] == OpReq::kAddTo) return viaCudnn();
  runFastestOnce("Deconvolution" + cudnn::convKey(dt, s, t), stream, {viaCudnn, own}, "Deconvolution cuDNN vs own");
}

// inputs: ograd, data, weight; outputs: d data, d weight, d bias (unless no_bias).
void deconvBackwardGpu(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  constexpr const char* op = "_backward_Deconvolution";
  const auto& p = attrs.get<DeconvolutionParam>();
  const DType dt = in[0].dtype;
  const Dims d = dimsOf(p, in[1].shape, in[0].shape);
  const cudnn::ConvShape s = conv::cudnnShapeOf(d, true);
  const cudnn::ConvTuning t = cudnn::convTuning(p.cudnn_tune, p.workspace);
  void* stream = ctx.run.stream;
  const bool wantX = req[0] != OpReq::kNull, wantW = req[1] != OpReq::kNull;
  const unsigned dirs = (wantX ? cudnn::kConvForward : 0u) | (wantW ? cudnn::kConvBackwardFilter : 0u);
  if (!conv::oneDtype(in, out) || !cudnn::convSupported(dt, s, p.cudnn_off) ||
      !cudnn::convReady(stream, dt, s, t, dirs, op))
    return deconvBackwardComputeDev<gpu>(attrs, ctx, in, req, out);
  const auto viaCudnn = [&] {
    // The convolution y -> x: d x = conv(d y, w); d w = its filter gradient with input d y and output x.
    if (wantX)
      cudnn::convForward(stream, dt, s, t, in[0].dptr, in[2].dptr, out[0].dptr, req[0] == OpReq::kAddTo, op);
    if (wantW)
      cudnn::convBackwardFilter(stream, dt, s, t, in[0].dptr, in[1].dptr, out[1].dptr, req[1] == OpReq::kAddTo, op);
    if (!p.no_bias) {
      conv::floatOrDouble(dt, [&](auto v) {
        using T = decltype(v);
        conv::biasGradDev<gpu, T>(ctx, in[0].data<T>(), out[2].data<T>(), d.N, d.F, d.OS, req[2]);
      });
    }
  };
  const auto own = [&] { deconvBackwardComputeDev<gpu>(attrs, ctx, in, req, out); };
  if (!t.measure || conv::accumulates(req)) return viaCudnn();
  const std::string key = "_backward_Deconvolution" + std::to_string(dirs) + cudnn::convKey(dt, s, t);
  runFastestOnce(key, stream, {viaCudnn, own}, "_backward_Deconvolution cuDNN vs own");
}

[[maybe_unused]] const bool kRegistered =
    (attachDeviceComputes("Deconvolution", deconvComputeGpu, deconvComputeDev<cpu>),
     attachDeviceComputes("_backward_Deconvolution", deconvBackwardGpu, deconvBackwardComputeDev<cpu>), true);

}  // namespace
}  // namespace deconvolution_gpu
}  // namespace deconvolution_detail
}  // namespace ist
