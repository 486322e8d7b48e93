// GPU presence registry filled in by the CUDA module when it is linked.
#include "base/gpu_info.h"

namespace ist {

namespace {
GpuInfo& info() {
  static GpuInfo g;
  return g;
}
}  // namespace

void setGpuInfo(const GpuInfo& g) { info() = g; }
int numGpus() { return info().count ? info().count() : 0; }
bool builtWithCuda() { return info().count != nullptr; }
const char* gpuLibrariesJSON() { return info().libraries ? info().libraries() : "\"cublas\":false,\"cudnn\":false"; }

void gpuSynchronize(int devId) {
  if (info().synchronize) info().synchronize(devId);
}
void gpuSynchronizeAll() {
  if (!info().synchronize) return;
  for (int d = 0, n = numGpus(); d < n; ++d) info().synchronize(d);
}

}  // namespace ist
