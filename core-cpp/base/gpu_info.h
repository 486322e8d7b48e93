// GPU presence as seen by the core: the CUDA module (kernels/cuda) installs the probe.
#pragma once

namespace ist {

struct GpuInfo {
  int (*count)() = nullptr;            // visible CUDA devices; never throws
  const char* (*libraries)() = nullptr;  // JSON fragment, e.g. "\"cublas\":true,\"cudnn\":false"
};
void setGpuInfo(const GpuInfo& info);
// 0 when built without CUDA or no device is visible.
int numGpus();
bool builtWithCuda();
const char* gpuLibrariesJSON();

}  // namespace ist
