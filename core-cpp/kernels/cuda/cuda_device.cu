// The CUDA device runtime: device count, the raw allocator under the GPU pool, and host/device copies.
//
// Every GPU op and copy goes to the legacy default stream of its device, so GPU
// work runs in push order and a device->host cudaMemcpy waits for the kernels
// before it; the engine's per-GPU worker keeps that order. cudart is linked
// statically, so a machine without a driver simply reports zero devices.
#include <cuda_runtime.h>
#include <string>
#include "base/error.h"
#include "base/gpu_info.h"
#include "kernels/cuda/blas_info.h"
#include "kernels/cuda/cudnn.h"
#include "engine/engine_impl.h"
#include "ndarray/ndarray.h"
#include "storage/storage.h"

namespace ist {
namespace {

int cudaDeviceCount() {
  static int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky "no driver" error
      return 0;
    }
    return n;
  }();
  return count;
}

void checkCuda(cudaError_t e, const char* what, int dev) {
  if (e != cudaSuccess) {
    cudaGetLastError();
    throwError(what, "ctx", "gpu(" + std::to_string(dev) + "): " + cudaGetErrorString(e));
  }
}

void* cudaAlloc(int dev, size_t bytes) {
  checkCuda(cudaSetDevice(dev), "storage", dev);
  void* p = nullptr;
  checkCuda(cudaMalloc(&p, bytes ? bytes : 1), "storage", dev);
  return p;
}

void cudaRelease(int dev, void* p) {
  cudaSetDevice(dev);
  cudaFree(p);
}

void cudaCopy(void* dst, const void* src, size_t bytes, int kind, int dev, void* /*stream*/) {
  // Device to device uses cudaMemcpyDefault: with unified addressing it also copies between GPUs.
  static const cudaMemcpyKind kinds[] = {cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDefault};
  checkCuda(cudaSetDevice(dev), "copyto", dev);
  checkCuda(cudaMemcpy(dst, src, bytes, kinds[kind]), "copyto", dev);
}

const char* cudaLibraries() {
  // cuBLAS and cuDNN are loaded with dlopen when they exist (only probed where a GPU is).
  static std::string json;
  const bool probe = cudaDeviceCount() > 0;
  json = blasLibrariesJSON(probe) + "," + cudnn::librariesJSON(probe);
  return json.c_str();
}

// Each GPU worker thread binds its device once; kernels then use the default stream (null).
void* bindGpuWorker(int dev) {
  cudaSetDevice(dev);
  // TempSpace uses cudaMallocAsync: keep freed blocks in the device's pool instead of returning
  // them to the driver at every synchronisation.
  cudaMemPool_t pool;
  if (cudaDeviceGetDefaultMemPool(&pool, dev) == cudaSuccess) {
    uint64_t keep = UINT64_MAX;
    cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
  }
  cudaGetLastError();
  return nullptr;
}

void cudaSynchronize(int dev) {
  checkCuda(cudaSetDevice(dev), "waitall", dev);
  checkCuda(cudaDeviceSynchronize(), "waitall", dev);
}

struct CudaModule {
  CudaModule() {
    GpuInfo info;
    info.count = cudaDeviceCount;
    info.libraries = cudaLibraries;
    info.synchronize = cudaSynchronize;
    setGpuInfo(info);
    setGpuAllocator(DeviceAllocator{cudaAlloc, cudaRelease});
    setDeviceCopier(DeviceCopier{cudaCopy});
    setGpuWorkerInit(bindGpuWorker);
  }
};
const CudaModule gCudaModule;

}  // namespace
}  // namespace ist
