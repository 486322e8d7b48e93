// Kernel<OP, Dev>::launch(n, args...) calls OP::Map(i, args...) for i in [0, n) on a device.
//
// The pattern of MXNet's Kernel<OP, xpu>: an op's per-element math is written
// once as a struct with an ISTX static Map(), and the CPU/WASM launcher
// (kernels/cpu/kernel_cpu.h) and the CUDA launcher (kernels/cuda/kernel_cuda.cuh)
// both instantiate it.
#pragma once
#include <cstdint>
#include "base/macros.h"

namespace ist {

struct cpu { static constexpr int kDevType = 1; };
struct gpu { static constexpr int kDevType = 2; };

template <typename OP, typename Dev> struct Kernel;

}  // namespace ist
