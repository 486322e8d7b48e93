// GPU computes of _contrib_fft and _contrib_ifft (fft_device.h), with their CPU twins.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/contrib/fft_device.h"

namespace ist {
namespace fft_gpu {
namespace {
const bool kReg = (attachDeviceComputes(fftop::kFft, fftop::fftDev<gpu>, fftop::fftDev<cpu>),
                   attachDeviceComputes(fftop::kIfft, fftop::ifftDev<gpu>, fftop::ifftDev<cpu>), true);
}  // namespace
}  // namespace fft_gpu
}  // namespace ist
