// Convolutions through cuDNN, loaded with dlopen at run time (kernels/cuda/cudnn.cu).
//
// Only .cu files include this. Every entry point queues work on `stream` and throws IsotensorError
// naming `op` when cuDNN reports a failure; callers check convSupported() and convReady() first and otherwise run
// the project's own kernels (im2col + GEMM), which are also what the CPU twins test.
#pragma once
#include <cstdint>
#include <string>
#include "base/dtype.h"

namespace ist {
namespace cudnn {

// A cross-correlation in cuDNN's terms: x (N, C, in...), w (F, C/G, k...), y (N, F, out...),
// with nbSpatial (2 or 3) spatial dims; a 1-D convolution is given a unit height.
struct ConvShape {
  int nbSpatial = 2;
  int64_t N = 0, C = 0, F = 0, G = 1;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1}, dilate[3] = {1, 1, 1}, pad[3] = {0, 0, 0};
};

// How to pick algorithms: by timing cuDNN's leading suggestions on the first call that overwrites
// its output (MXNet's cudnn_tune "limited_workspace" and "fastest"; the ops also time cuDNN against
// their own kernels then), or cuDNN's first suggestion ("off"). workspaceBytes caps scratch memory.
struct ConvTuning {
  bool measure = true;
  size_t workspaceBytes = size_t(1) << 30;
};

// Whether cuDNN is loaded and usable for this case: float32/float64, sizes within int32, the
// output extent what cuDNN computes, and neither ISOTENSOR_NO_CUDNN=1 nor cudnn_off set.
bool convSupported(DType dtype, const ConvShape& s, bool cudnnOff);

// The tuning MXNet's cudnn_tune value and workspace (MB) ask for; ISOTENSOR_CUDNN_AUTOTUNE=0 turns
// measuring off by default, like MXNET_CUDNN_AUTOTUNE_DEFAULT.
ConvTuning convTuning(const std::string& cudnnTune, int64_t workspaceMB);

// Directions for convReady.
constexpr unsigned kConvForward = 1, kConvBackwardData = 2, kConvBackwardFilter = 4;

// Picks (once per device, dtype, geometry and tuning) an algorithm for each direction asked for;
// false when cuDNN has none within the workspace cap (nothing has been written: use own kernels).
bool convReady(void* stream, DType dtype, const ConvShape& s, const ConvTuning& t, unsigned directions,
               const char* op);

// Bytes naming the device, dtype, geometry and tuning: a key for decisions made once per case.
std::string convKey(DType dtype, const ConvShape& s, const ConvTuning& t);

// y (=|+=) conv(x, w).
void convForward(void* stream, DType dtype, const ConvShape& s, const ConvTuning& t, const void* x, const void* w,
                 void* y, bool accumulate, const char* op);
// dx (=|+=) the gradient of conv(x, w) with respect to x, given dy.
void convBackwardData(void* stream, DType dtype, const ConvShape& s, const ConvTuning& t, const void* w,
                      const void* dy, void* dx, bool accumulate, const char* op);
// dw (=|+=) the gradient with respect to w, given x and dy.
void convBackwardFilter(void* stream, DType dtype, const ConvShape& s, const ConvTuning& t, const void* x,
                        const void* dy, void* dw, bool accumulate, const char* op);

// JSON fragment for runtimeInfo(): "cudnn":true|false,"cudnnPath":"...","cudnnVersion":n.
std::string librariesJSON(bool probe);

}  // namespace cudnn
}  // namespace ist
