// GPU presence as seen by the core: the CUDA module (kernels/cuda) installs the probe.
#pragma once

namespace ist {

struct GpuInfo {
  int (*count)() = nullptr;            // visible CUDA devices; never throws
  const char* (*libraries)() = nullptr;  // JSON fragment, e.g. "\"cublas\":true,\"cudnn\":false"
  void (*synchronize)(int devId) = nullptr;  // waits for the device's queued kernels; throws their error
};
void setGpuInfo(const GpuInfo& info);
// 0 when built without CUDA or no device is visible.
int numGpus();
bool builtWithCuda();
const char* gpuLibrariesJSON();
// Waits until GPU devId has finished every kernel and copy queued so far (no-op without CUDA).
// The engine counts a GPU op done once its kernels are queued, so waits on GPU arrays end here;
// an error a kernel raised asynchronously surfaces as IsotensorError.
void gpuSynchronize(int devId);
void gpuSynchronizeAll();

}  // namespace ist
