// GEMM entry points: dtype handling, degenerate shapes, batching, ISA dispatch, and the generic
// (SSE2 natively, SIMD128 in WASM) instantiation of the blocked kernel.
#include "kernels/cpu/gemm.h"
#include <algorithm>
#include <cstring>
#include <new>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "kernels/cpu/gemm_impl.h"

// Register tile and cache blocks of the generic kernel (4 floats per vector). Overridable with -D
// for tuning runs of test/native/gemm_check.cpp. 4 x 8 measured best in V8 (Node 20): larger
// tiles (6x8, 8x8, 4x12, 6x12) run 30% slower there, as V8's register allocator starts spilling.
#ifndef IST_GEMM_GENERIC_MR
#define IST_GEMM_GENERIC_MR 4
#endif
#ifndef IST_GEMM_GENERIC_NV
#define IST_GEMM_GENERIC_NV 2
#endif
#ifndef IST_GEMM_GENERIC_MC
#define IST_GEMM_GENERIC_MC 128
#endif
#ifndef IST_GEMM_GENERIC_KC
#define IST_GEMM_GENERIC_KC 256
#endif
#ifndef IST_GEMM_GENERIC_NC
#define IST_GEMM_GENERIC_NC 2048
#endif

namespace ist {
namespace gemm_detail {

void* scratch(int slot, size_t bytes) {
  struct Buffer {
    void* ptr = nullptr;
    size_t cap = 0;
    ~Buffer() {
      if (ptr) ::operator delete(ptr, std::align_val_t(64));
    }
  };
  thread_local Buffer buffers[3];
  Buffer& b = buffers[slot];
  if (b.cap < bytes) {
    if (b.ptr) ::operator delete(b.ptr, std::align_val_t(64));
    b.cap = (bytes + 4095) & ~size_t(4095);
    b.ptr = ::operator new(b.cap, std::align_val_t(64));
  }
  return b.ptr;
}

#define IST_STR2(x) #x
#define IST_STR(x) IST_STR2(x)
const char* const kSgemmGenericName =
#if defined(__wasm__)
    "simd128 "
#else
    "sse2 "
#endif
    IST_STR(IST_GEMM_GENERIC_MR) "x" IST_STR(IST_GEMM_GENERIC_NV) "*4";

void sgemmGeneric(const Args<float>& g, bool parallel) {
  static constexpr Blocking kBlocking{IST_GEMM_GENERIC_MC, IST_GEMM_GENERIC_KC, IST_GEMM_GENERIC_NC};
  if (Gemv<float, 4>::run(g, parallel)) return;
  Driver<float, 4, IST_GEMM_GENERIC_MR, IST_GEMM_GENERIC_NV>::run(g, kBlocking, parallel);
}

void dgemmGeneric(const Args<double>& g, bool parallel) {
  static constexpr Blocking kBlocking{IST_GEMM_GENERIC_MC, IST_GEMM_GENERIC_KC / 2,
                                      IST_GEMM_GENERIC_NC};
  if (Gemv<double, 2>::run(g, parallel)) return;
  Driver<double, 2, IST_GEMM_GENERIC_MR, IST_GEMM_GENERIC_NV>::run(g, kBlocking, parallel);
}

namespace {

template <typename T>
void runOnIsa(CpuIsa isa, const Args<T>& g, bool parallel) {
  if constexpr (std::is_same_v<T, float>) {
#if defined(__x86_64__)
    if (isa == CpuIsa::kAvx512) return sgemmAvx512(g, parallel);
    if (isa == CpuIsa::kAvx2) return sgemmAvx2(g, parallel);
#endif
    (void)isa;
    sgemmGeneric(g, parallel);
  } else {
#if defined(__x86_64__)
    if (isa == CpuIsa::kAvx512) return dgemmAvx512(g, parallel);
    if (isa == CpuIsa::kAvx2) return dgemmAvx2(g, parallel);
#endif
    (void)isa;
    dgemmGeneric(g, parallel);
  }
}

// C = beta * C over an M x N block (K == 0 or alpha == 0); beta == 0 writes zeros.
template <typename T>
void scaleC(int64_t M, int64_t N, double beta, T* C, int64_t ldc) {
  using CT = typename ComputeType<T>::type;
  for (int64_t i = 0; i < M; ++i) {
    T* row = C + i * ldc;
    if (beta == 0) {
      for (int64_t j = 0; j < N; ++j) row[j] = T(CT(0));
    } else if (beta != 1) {
      for (int64_t j = 0; j < N; ++j) row[j] = T(CT(double(CT(row[j])) * beta));
    }
  }
}

// Copies op-layout storage (rows x cols with leading dimension ld) of a 16-bit float type into a
// dense float32 matrix.
template <typename T>
std::vector<float> widen(const T* src, int64_t rows, int64_t cols, int64_t ld, bool parallel) {
  std::vector<float> out(static_cast<size_t>(rows * cols));
  auto body = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      for (int64_t j = 0; j < cols; ++j) out[i * cols + j] = static_cast<float>(src[i * ld + j]);
  };
  if (parallel) parallelFor(rows, cols, body);
  else body(0, rows);
  return out;
}

// Integer GEMM: rows of C in parallel, each accumulated over k in a 64-bit accumulator.
template <typename T>
void integerGemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, double alpha,
                 const T* A, int64_t lda, const T* B, int64_t ldb, double beta, T* C, int64_t ldc,
                 bool parallel) {
  using Acc = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
  auto body = [&](int64_t ib, int64_t ie) {
    std::vector<Acc> acc(static_cast<size_t>(N));
    for (int64_t i = ib; i < ie; ++i) {
      std::fill(acc.begin(), acc.end(), Acc(0));
      for (int64_t k = 0; k < K; ++k) {
        const Acc a = static_cast<Acc>(transA ? A[k * lda + i] : A[i * lda + k]);
        if (a == 0) continue;
        if (!transB) {
          const T* b = B + k * ldb;
          for (int64_t j = 0; j < N; ++j) acc[j] += a * static_cast<Acc>(b[j]);
        } else {
          for (int64_t j = 0; j < N; ++j) acc[j] += a * static_cast<Acc>(B[j * ldb + k]);
        }
      }
      T* c = C + i * ldc;
      for (int64_t j = 0; j < N; ++j) {
        Acc r = acc[j];
        if (alpha != 1) r = static_cast<Acc>(alpha * static_cast<double>(r));
        if (beta != 0) r += beta == 1 ? static_cast<Acc>(c[j])
                                      : static_cast<Acc>(beta * static_cast<double>(c[j]));
        c[j] = static_cast<T>(r);
      }
    }
  };
  if (parallel) parallelFor(M, 2 * N * K + N, body);
  else body(0, M);
}

}  // namespace
}  // namespace gemm_detail

template <typename T>
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, double alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, double beta, T* C, int64_t ldc, bool parallel) {
  using namespace gemm_detail;
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) {
    scaleC(M, N, beta, C, ldc);
    return;
  }
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    Args<T> g{transA, transB, M, N, K, T(alpha), A, lda, B, ldb, T(beta), C, ldc};
    runOnIsa(cpuIsa(), g, parallel);
  } else if constexpr (std::is_same_v<T, half_t> || std::is_same_v<T, bf16_t>) {
    // Widen to float32, multiply with the fast kernel, narrow (rounding once, like MXNet's
    // float16 dot with float32 accumulation).
    std::vector<float> a = transA ? widen(A, K, M, lda, parallel) : widen(A, M, K, lda, parallel);
    std::vector<float> b = transB ? widen(B, N, K, ldb, parallel) : widen(B, K, N, ldb, parallel);
    std::vector<float> c =
        beta != 0 ? widen(C, M, N, ldc, parallel) : std::vector<float>(size_t(M * N));
    Args<float> g{transA, transB, M, N, K, float(alpha), a.data(), transA ? M : K,
                  b.data(), transB ? K : N, float(beta), c.data(), N};
    runOnIsa(cpuIsa(), g, parallel);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = T(c[i * N + j]);
  } else {
    integerGemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, parallel);
  }
}

template <typename T>
void gemmBatched(int64_t batch, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                 double alpha, const T* A, int64_t lda, int64_t strideA, const T* B, int64_t ldb,
                 int64_t strideB, double beta, T* C, int64_t ldc, int64_t strideC) {
  if (batch <= 0) return;
  // Many small products: one per task. Few large ones: each product uses every thread. Either way
  // each product runs the same arithmetic, so the split never changes results.
  if (batch > 1 && batch >= parallelThreads()) {
    parallelFor(batch, 2 * M * N * std::max<int64_t>(K, 1), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        gemm<T>(transA, transB, M, N, K, alpha, A + i * strideA, lda, B + i * strideB, ldb, beta,
                C + i * strideC, ldc, false);
    });
  } else {
    for (int64_t i = 0; i < batch; ++i)
      gemm<T>(transA, transB, M, N, K, alpha, A + i * strideA, lda, B + i * strideB, ldb, beta,
              C + i * strideC, ldc, true);
  }
}

template <typename T>
void gemmFromSource(bool transA, int64_t M, int64_t N, int64_t K, double alpha, const T* A, int64_t lda,
                    const GemmBSource<T>& source, double beta, T* C, int64_t ldc, bool parallel) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "float32 and float64 only");
  gemm_detail::Args<T> g{transA, false, M, N, K, T(alpha), A, lda, nullptr, 0, T(beta), C, ldc};
  g.bSource = &source;
  gemm_detail::runOnIsa(cpuIsa(), g, parallel);
}
template void gemmFromSource<float>(bool, int64_t, int64_t, int64_t, double, const float*, int64_t,
                                    const GemmBSource<float>&, double, float*, int64_t, bool);
template void gemmFromSource<double>(bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                                     const GemmBSource<double>&, double, double*, int64_t, bool);

namespace {
// The panels start at the first 64-byte boundary of the caller's buffer (the kernel's aligned loads).
template <typename T> T* alignedPanels(T* p) {
  return reinterpret_cast<T*>((reinterpret_cast<uintptr_t>(p) + 63) & ~uintptr_t(63));
}
}  // namespace

template <typename T>
void gemmPackB(bool transB, int64_t K, int64_t N, const T* B, int64_t ldb, T* packed) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "float32 and float64 only");
  gemm_detail::Args<T> g{false, transB, 1, N, K, T(1), nullptr, 0, B, ldb, T(0), nullptr, 0};
  g.packOut = alignedPanels(packed);
  gemm_detail::runOnIsa(cpuIsa(), g, false);
}

template <typename T>
void gemmPackedB(bool transA, int64_t M, int64_t N, int64_t K, double alpha, const T* A, int64_t lda, const T* packed,
                 double beta, T* C, int64_t ldc, bool parallel) {
  gemm_detail::Args<T> g{transA, false, M, N, K, T(alpha), A, lda, nullptr, 0, T(beta), C, ldc};
  g.packedB = alignedPanels(const_cast<T*>(packed));
  gemm_detail::runOnIsa(cpuIsa(), g, parallel);
}
template <typename T>
void gemmPackA(bool transA, int64_t M, int64_t K, const T* A, int64_t lda, T* packed) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "float32 and float64 only");
  gemm_detail::Args<T> g{transA, false, M, 1, K, T(1), A, lda, nullptr, 0, T(0), nullptr, 0};
  g.packOutA = alignedPanels(packed);
  gemm_detail::runOnIsa(cpuIsa(), g, false);
}

template <typename T>
void gemmPackedA(int64_t M, int64_t N, int64_t K, double alpha, const T* packed, bool transB, const T* B, int64_t ldb,
                 double beta, T* C, int64_t ldc, bool parallel, const GemmBSource<T>* source) {
  gemm_detail::Args<T> g{false, transB, M, N, K, T(alpha), nullptr, 0, B, ldb, T(beta), C, ldc};
  g.packedA = alignedPanels(const_cast<T*>(packed));
  g.bSource = source;
  gemm_detail::runOnIsa(cpuIsa(), g, parallel);
}
template void gemmPackA<float>(bool, int64_t, int64_t, const float*, int64_t, float*);
template void gemmPackA<double>(bool, int64_t, int64_t, const double*, int64_t, double*);
template void gemmPackedA<float>(int64_t, int64_t, int64_t, double, const float*, bool, const float*, int64_t, double,
                                 float*, int64_t, bool, const GemmBSource<float>*);
template void gemmPackedA<double>(int64_t, int64_t, int64_t, double, const double*, bool, const double*, int64_t,
                                  double, double*, int64_t, bool, const GemmBSource<double>*);
template void gemmPackB<float>(bool, int64_t, int64_t, const float*, int64_t, float*);
template void gemmPackB<double>(bool, int64_t, int64_t, const double*, int64_t, double*);
template void gemmPackedB<float>(bool, int64_t, int64_t, int64_t, double, const float*, int64_t, const float*, double,
                                 float*, int64_t, bool);
template void gemmPackedB<double>(bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                                  double, double*, int64_t, bool);

#define IST_GEMM_INSTANTIATE(T)                                                                   \
  template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, double, const T*, int64_t,         \
                        const T*, int64_t, double, T*, int64_t, bool);                            \
  template void gemmBatched<T>(int64_t, bool, bool, int64_t, int64_t, int64_t, double, const T*, \
                               int64_t, int64_t, const T*, int64_t, int64_t, double, T*, int64_t, \
                               int64_t);
IST_GEMM_INSTANTIATE(float)
IST_GEMM_INSTANTIATE(double)
IST_GEMM_INSTANTIATE(half_t)
IST_GEMM_INSTANTIATE(bf16_t)
IST_GEMM_INSTANTIATE(uint8_t)
IST_GEMM_INSTANTIATE(int8_t)
IST_GEMM_INSTANTIATE(int16_t)
IST_GEMM_INSTANTIATE(uint16_t)
IST_GEMM_INSTANTIATE(int32_t)
IST_GEMM_INSTANTIATE(uint32_t)
IST_GEMM_INSTANTIATE(int64_t)
IST_GEMM_INSTANTIATE(uint64_t)
#undef IST_GEMM_INSTANTIATE

void gemmDType(DType dtype, bool transA, bool transB, int64_t M, int64_t N, int64_t K, double alpha,
               const void* A, int64_t lda, const void* B, int64_t ldb, double beta, void* C,
               int64_t ldc, const char* op) {
  IST_TYPE_SWITCH_NUMERIC(dtype, DT, op, {
    gemm<DT>(transA, transB, M, N, K, alpha, static_cast<const DT*>(A), lda,
             static_cast<const DT*>(B), ldb, beta, static_cast<DT*>(C), ldc, true);
  });
}

void gemmBatchedDType(DType dtype, int64_t batch, bool transA, bool transB, int64_t M, int64_t N,
                      int64_t K, double alpha, const void* A, int64_t lda, int64_t strideA,
                      const void* B, int64_t ldb, int64_t strideB, double beta, void* C, int64_t ldc,
                      int64_t strideC, const char* op) {
  IST_TYPE_SWITCH_NUMERIC(dtype, DT, op, {
    gemmBatched<DT>(batch, transA, transB, M, N, K, alpha, static_cast<const DT*>(A), lda, strideA,
                    static_cast<const DT*>(B), ldb, strideB, beta, static_cast<DT*>(C), ldc,
                    strideC);
  });
}

void sgemmOnIsa(CpuIsa isa, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                int64_t ldc, bool parallel) {
  using namespace gemm_detail;
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) {
    scaleC(M, N, beta, C, ldc);
    return;
  }
  IST_CHECK(cpuSupports(isa), "gemm", "isa", "this CPU does not support " << cpuIsaName(isa));
  Args<float> g{transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
  runOnIsa(isa, g, parallel);
}

const char* gemmKernelName(CpuIsa isa) {
  using namespace gemm_detail;
#if defined(__x86_64__)
  if (isa == CpuIsa::kAvx512) return kSgemmAvx512Name;
  if (isa == CpuIsa::kAvx2) return kSgemmAvx2Name;
#endif
  (void)isa;
  return kSgemmGenericName;
}

}  // namespace ist
