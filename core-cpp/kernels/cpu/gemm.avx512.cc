// The GEMM kernel instantiated for AVX-512 (16 floats per vector); built with -mavx512f ... -mfma.
#if defined(__x86_64__)
#include "kernels/cpu/gemm_impl.h"

// 8 x 48 tile: 24 accumulators + 3 B vectors + 1 broadcast of the 32 zmm registers (14 x 32 and
// 12 x 32 measured the same on Zen 4; fewer broadcasts per FMA suit two-FMA-unit Intel parts).
#ifndef IST_GEMM_AVX512_MR
#define IST_GEMM_AVX512_MR 8
#endif
#ifndef IST_GEMM_AVX512_NV
#define IST_GEMM_AVX512_NV 3
#endif
#ifndef IST_GEMM_AVX512_MC
#define IST_GEMM_AVX512_MC 128
#endif
#ifndef IST_GEMM_AVX512_KC
#define IST_GEMM_AVX512_KC 256
#endif
#ifndef IST_GEMM_AVX512_NC
#define IST_GEMM_AVX512_NC 2048
#endif

namespace ist {
namespace gemm_detail {

#define IST_STR2(x) #x
#define IST_STR(x) IST_STR2(x)
const char* const kSgemmAvx512Name =
    "avx512 " IST_STR(IST_GEMM_AVX512_MR) "x" IST_STR(IST_GEMM_AVX512_NV) "*16";

#if defined(__AVX512F__)
void sgemmAvx512(const Args<float>& g, bool parallel) {
  static constexpr Blocking kBlocking{IST_GEMM_AVX512_MC, IST_GEMM_AVX512_KC, IST_GEMM_AVX512_NC};
  if (Gemv<float, 16>::run(g, parallel)) return;
  Driver<float, 16, IST_GEMM_AVX512_MR, IST_GEMM_AVX512_NV>::run(g, kBlocking, parallel);
}

void dgemmAvx512(const Args<double>& g, bool parallel) {
  static constexpr Blocking kBlocking{IST_GEMM_AVX512_MC, IST_GEMM_AVX512_KC / 2,
                                      IST_GEMM_AVX512_NC};
  if (Gemv<double, 8>::run(g, parallel)) return;
  Driver<double, 8, IST_GEMM_AVX512_MR, IST_GEMM_AVX512_NV>::run(g, kBlocking, parallel);
}
#else
// Built without the AVX-512 flags: fall back to the next best kernel this file's neighbours have.
void sgemmAvx512(const Args<float>& g, bool parallel) { sgemmAvx2(g, parallel); }
void dgemmAvx512(const Args<double>& g, bool parallel) { dgemmAvx2(g, parallel); }
#endif

}  // namespace gemm_detail
}  // namespace ist
#endif  // __x86_64__
