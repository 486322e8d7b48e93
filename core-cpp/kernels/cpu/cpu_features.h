// Which x86 vector extensions this CPU runs, for run-time dispatch of hot kernels.
#pragma once

namespace ist {

// Ordered from least to most capable; kGeneric is SSE2 on x86-64 and SIMD128 in WASM.
enum class CpuIsa : int { kGeneric = 0, kAvx2 = 1, kAvx512 = 2 };

// The best ISA both this CPU (and its OS) and this build support. Checked once. The environment
// variable ISOTENSOR_CPU_ISA=generic|avx2|avx512 lowers it (for tests and benchmarks); it never
// raises it above what the CPU has.
CpuIsa cpuIsa();
const char* cpuIsaName(CpuIsa isa);
// Whether the CPU can run `isa` (kGeneric always).
bool cpuSupports(CpuIsa isa);

}  // namespace ist
