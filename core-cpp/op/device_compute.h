// How computes reach each device: GPU kernels, their CPU twins, and host staging for the rest.
//
// A family whose GPU kernel is a device-generic template (kernels/device.h) attaches it twice from
// its .cu file: the gpu instantiation for Context::kGPU, and the cpu instantiation as the "GPU
// kernel on CPU" twin. With ISOTENSOR_GPU_KERNELS_ON_CPU=1 CPU calls run the twins instead of the
// CPU kernels, so the ordinary test suite checks the GPU code path's logic on machines without a
// GPU. An op with no GPU kernel still runs on gpu(n): Op::computeFor wraps its CPU compute in
// host staging (op/host_staging.h), which copies inputs to the host and results back.
#pragma once
#include <string>
#include "op/registry.h"

namespace ist {

// Registration-only device type of the CPU twins (never a Context's devType).
constexpr int kGpuKernelOnCpu = 3;

// True when ISOTENSOR_GPU_KERNELS_ON_CPU is set to a non-empty value other than "0" (read once).
bool gpuKernelsOnCpu();

// Attaches gpuFn for GPUs and cpuTwin as its CPU twin, to op `name` (registered or not yet).
void attachDeviceComputes(const std::string& name, FCompute gpuFn, FCompute cpuTwin);

// How op runs on a GPU in this build: "kernel", "staged" (host staging around its CPU compute),
// or "none" (no CUDA in the build, or no compute at all).
const char* gpuPath(const Op& op);

}  // namespace ist
