// GPU kernels of the creation ops and their CPU twins: the device-generic computes of
// init_device.h, attached with attachDeviceComputes (op/device_compute.h).
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/init/init_device.h"

namespace ist {
namespace init {
namespace init_gpu {
namespace {

bool registerInitGpu() {
  attachDeviceComputes("_zeros", constantComputeDev<gpu, 0>, constantComputeDev<cpu, 0>);
  attachDeviceComputes("_ones", constantComputeDev<gpu, 1>, constantComputeDev<cpu, 1>);
  attachDeviceComputes("zeros_like", constantComputeDev<gpu, 0>, constantComputeDev<cpu, 0>);
  attachDeviceComputes("ones_like", constantComputeDev<gpu, 1>, constantComputeDev<cpu, 1>);
  attachDeviceComputes("_full", fullComputeDev<gpu>, fullComputeDev<cpu>);
  attachDeviceComputes("_npi_full_like", fullLikeComputeDev<gpu>, fullLikeComputeDev<cpu>);
  attachDeviceComputes("_arange", rangeComputeDev<gpu>, rangeComputeDev<cpu>);
  attachDeviceComputes("_linspace", linspaceComputeDev<gpu>, linspaceComputeDev<cpu>);
  attachDeviceComputes("_eye", eyeComputeDev<gpu>, eyeComputeDev<cpu>);
  return true;
}

[[maybe_unused]] const bool kInitGpuRegistered = registerInitGpu();

}  // namespace
}  // namespace init_gpu
}  // namespace init
}  // namespace ist
