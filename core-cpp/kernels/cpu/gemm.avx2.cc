// The GEMM kernel instantiated for AVX2 + FMA (8 floats per vector); built with -mavx2 -mfma.
#if defined(__x86_64__)
#include "kernels/cpu/gemm_impl.h"

// 6 x 16 tile: 12 accumulators + 2 B vectors + 1 broadcast of the 16 ymm registers.
#ifndef IST_GEMM_AVX2_MR
#define IST_GEMM_AVX2_MR 6
#endif
#ifndef IST_GEMM_AVX2_NV
#define IST_GEMM_AVX2_NV 2
#endif
#ifndef IST_GEMM_AVX2_MC
#define IST_GEMM_AVX2_MC 144
#endif
#ifndef IST_GEMM_AVX2_KC
#define IST_GEMM_AVX2_KC 256
#endif
#ifndef IST_GEMM_AVX2_NC
#define IST_GEMM_AVX2_NC 2048
#endif

namespace ist {
namespace gemm_detail {

#define IST_STR2(x) #x
#define IST_STR(x) IST_STR2(x)
const char* const kSgemmAvx2Name = "avx2 " IST_STR(IST_GEMM_AVX2_MR) "x" IST_STR(IST_GEMM_AVX2_NV) "*8";

#if defined(__AVX2__) && defined(__FMA__)
void sgemmAvx2(const Args<float>& g, bool parallel) {
  static constexpr Blocking kBlocking{IST_GEMM_AVX2_MC, IST_GEMM_AVX2_KC, IST_GEMM_AVX2_NC};
  if (Gemv<float, 8>::run(g, parallel)) return;
  Driver<float, 8, IST_GEMM_AVX2_MR, IST_GEMM_AVX2_NV>::run(g, kBlocking, parallel);
}

void dgemmAvx2(const Args<double>& g, bool parallel) {
  static constexpr Blocking kBlocking{IST_GEMM_AVX2_MC, IST_GEMM_AVX2_KC / 2, IST_GEMM_AVX2_NC};
  if (Gemv<double, 4>::run(g, parallel)) return;
  Driver<double, 4, IST_GEMM_AVX2_MR, IST_GEMM_AVX2_NV>::run(g, kBlocking, parallel);
}
#else
// Built without the AVX2 flags (a build that does not special-case *.avx2.cc): stay correct.
void sgemmAvx2(const Args<float>& g, bool parallel) { sgemmGeneric(g, parallel); }
void dgemmAvx2(const Args<double>& g, bool parallel) { dgemmGeneric(g, parallel); }
#endif

}  // namespace gemm_detail
}  // namespace ist
#endif  // __x86_64__
