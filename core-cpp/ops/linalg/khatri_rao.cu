// GPU kernels of khatri_rao and _backward_khatri_rao and their CPU twins: the device-generic
// computes of khatri_rao_device.h, attached with attachDeviceComputes.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/linalg/khatri_rao_device.h"

namespace ist {
namespace krdev {
namespace khatri_rao_gpu {
namespace {

bool registerKhatriRaoGpu() {
  attachDeviceComputes("khatri_rao", khatriRaoComputeDev<gpu>, khatriRaoComputeDev<cpu>);
  attachDeviceComputes("_backward_khatri_rao", khatriRaoBackwardComputeDev<gpu>, khatriRaoBackwardComputeDev<cpu>);
  return true;
}

[[maybe_unused]] const bool kKhatriRaoGpuRegistered = registerKhatriRaoGpu();

}  // namespace
}  // namespace khatri_rao_gpu
}  // namespace krdev
}  // namespace ist
