// CPU feature detection (x86-64 via the compiler's cpuid helpers; everything else is generic).
#include "kernels/cpu/cpu_features.h"
#include <cstdlib>
#include <cstring>

namespace ist {

bool cpuSupports(CpuIsa isa) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  static const bool avx512 = [] {
    __builtin_cpu_init();
    // F for the arithmetic, BW/DQ/VL because the file is compiled with them (the compiler may use them).
    return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  }();
  switch (isa) {
    case CpuIsa::kGeneric: return true;
    case CpuIsa::kAvx2: return avx2;
    case CpuIsa::kAvx512: return avx512;
  }
  return false;
#else
  return isa == CpuIsa::kGeneric;
#endif
}

CpuIsa cpuIsa() {
  static const CpuIsa best = [] {
    CpuIsa isa = CpuIsa::kGeneric;
    if (cpuSupports(CpuIsa::kAvx2)) isa = CpuIsa::kAvx2;
    if (cpuSupports(CpuIsa::kAvx512)) isa = CpuIsa::kAvx512;
    if (const char* env = std::getenv("ISOTENSOR_CPU_ISA")) {
      CpuIsa want = isa;
      if (!std::strcmp(env, "generic") || !std::strcmp(env, "sse2")) want = CpuIsa::kGeneric;
      else if (!std::strcmp(env, "avx2")) want = CpuIsa::kAvx2;
      else if (!std::strcmp(env, "avx512")) want = CpuIsa::kAvx512;
      if (static_cast<int>(want) < static_cast<int>(isa)) isa = want;
    }
    return isa;
  }();
  return best;
}

const char* cpuIsaName(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx2: return "avx2";
    case CpuIsa::kAvx512: return "avx512";
    default: break;
  }
#if defined(__wasm_simd128__)
  return "simd128";
#elif defined(__wasm__)
  return "wasm";
#elif defined(__x86_64__)
  return "sse2";
#else
  return "generic";
#endif
}

}  // namespace ist
