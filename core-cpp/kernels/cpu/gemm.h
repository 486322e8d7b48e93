// GEMM on the CPU: C = alpha * op(A) * op(B) + beta * C for row-major matrices, every numeric dtype.
//
// float32 and float64 run a Goto/BLIS-style blocked kernel (packed panels, cache blocking, a
// register-blocked micro-kernel written once with portable SIMD and instantiated for SIMD128/SSE2,
// AVX2 and AVX-512, chosen at run time). float16/bfloat16 convert to float32 around it; integer
// types use a plain loop in a wide accumulator. Work is split over blocks of C with parallelFor and
// never along K, so every element is summed in the same order whatever the thread count: results
// are deterministic for a given shape and ISA.
#pragma once
#include <cstdint>
#include "base/dtype.h"
#include "kernels/cpu/cpu_features.h"

namespace ist {

// op(A) is M x K and op(B) is K x N; transA means A is stored K x M (lda >= M), otherwise M x K
// (lda >= K); likewise for B. ldc >= N. beta == 0 never reads C (it may hold NaN garbage).
// `parallel` lets it use parallelFor; pass false when the caller already runs in parallel.
template <typename T>
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, double alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, double beta, T* C, int64_t ldc, bool parallel = true);

// `batch` independent GEMMs; matrix b of each operand starts at ptr + b * stride (elements).
template <typename T>
void gemmBatched(int64_t batch, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                 double alpha, const T* A, int64_t lda, int64_t strideA, const T* B, int64_t ldb,
                 int64_t strideB, double beta, T* C, int64_t ldc, int64_t strideC);

// Dtype-erased entry used by operators (numeric dtypes; bool is rejected naming `op`).
void gemmDType(DType dtype, bool transA, bool transB, int64_t M, int64_t N, int64_t K, double alpha,
               const void* A, int64_t lda, const void* B, int64_t ldb, double beta, void* C,
               int64_t ldc, const char* op);
void gemmBatchedDType(DType dtype, int64_t batch, bool transA, bool transB, int64_t M, int64_t N,
                      int64_t K, double alpha, const void* A, int64_t lda, int64_t strideA,
                      const void* B, int64_t ldb, int64_t strideB, double beta, void* C, int64_t ldc,
                      int64_t strideC, const char* op);

// op(B) produced on demand instead of stored (the convolution's column matrix, made from the image
// while the GEMM packs it). fill(ctx, k0, kc, j0, cols, width, dst) writes rows k0 .. k0+kc and
// columns j0 .. j0+cols of op(B) into dst, row-major with `width` (>= cols) columns, zeros in
// columns cols .. width. It is called from several threads at once on disjoint blocks.
template <typename T>
struct GemmBSource {
  void (*fill)(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t cols, int width, T* dst);
  const void* ctx;
};

// C = alpha * op(A) * B + beta * C with B (K x N) from `source` (float32 and float64; M, N, K > 0).
template <typename T>
void gemmFromSource(bool transA, int64_t M, int64_t N, int64_t K, double alpha, const T* A, int64_t lda,
                    const GemmBSource<T>& source, double beta, T* C, int64_t ldc, bool parallel = true);

// A B operand used by many products (a recurrent weight, once per time step) packed once:
// gemmPackB writes op(B) (K x N) in the kernel's panel layout into `packed`, which must hold
// gemmPackedBSize(K, N) elements; gemmPackedB then computes C = alpha * op(A) * op(B) + beta * C
// from it. Same results as gemm(). float32 and float64; M, N, K > 0; same process (the layout
// belongs to the CPU's kernel). Any alignment of `packed`: both align it up to 64 bytes.
inline int64_t gemmPackedBSize(int64_t K, int64_t N) { return K * (N + 16) + 16; }  // + 64-byte alignment
template <typename T>
void gemmPackB(bool transB, int64_t K, int64_t N, const T* B, int64_t ldb, T* packed);
template <typename T>
void gemmPackedB(bool transA, int64_t M, int64_t N, int64_t K, double alpha, const T* A, int64_t lda, const T* packed,
                 double beta, T* C, int64_t ldc, bool parallel = true);

// The same for an A operand used by many products (a convolution's weights, kept prepared by an
// inference executor): gemmPackA writes op(A) (M x K) into `packed` (gemmPackedASize(M, K)
// elements); gemmPackedA computes C = alpha * op(A) * op(B) + beta * C from it, with op(B) stored
// or, given `source`, made on demand. Bit for bit gemm() / gemmFromSource() when M > 1 and N > 1
// (a matrix-vector product does not pack, so it sums in another order). float32 and float64;
// M, N, K > 0; same process.
inline int64_t gemmPackedASize(int64_t M, int64_t K) { return (M + 16) * K + 16; }  // MR <= 16, alignment
template <typename T>
void gemmPackA(bool transA, int64_t M, int64_t K, const T* A, int64_t lda, T* packed);
template <typename T>
void gemmPackedA(int64_t M, int64_t N, int64_t K, double alpha, const T* packed, bool transB, const T* B, int64_t ldb,
                 double beta, T* C, int64_t ldc, bool parallel = true, const GemmBSource<T>* source = nullptr);

// For benchmarks and tests: float32 GEMM on an explicit ISA (must be supported, see cpuSupports),
// and a description of the kernel an ISA uses, e.g. "avx2 6x16".
void sgemmOnIsa(CpuIsa isa, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                int64_t ldc, bool parallel = true);
const char* gemmKernelName(CpuIsa isa);

}  // namespace ist
