// Standalone GEMM checker and timer: correctness against a double-precision reference, determinism
// across thread counts, and GFLOP/s per ISA. Not part of the library build.
//
// Native (the *.avx2.cc / *.avx512.cc files need their flags, as in the Makefile):
//   F="-O3 -std=c++17 -pthread -Icore-cpp -Icore-cpp/include"; K=core-cpp/kernels/cpu
//   g++ $F -c $K/gemm.avx2.cc -mavx2 -mfma -o /tmp/gemm.avx2.o
//   g++ $F -c $K/gemm.avx512.cc -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma -o /tmp/gemm.avx512.o
//   g++ $F test/native/gemm_check.cpp $K/gemm.cc $K/cpu_features.cc core-cpp/engine/thread_pool.cc \
//     core-cpp/base/base.cc /tmp/gemm.avx2.o /tmp/gemm.avx512.o -o /tmp/gemm_check
//   /tmp/gemm_check [--quick] [--no-bench | --bench-only] [--threads N] [--isa generic|avx2|avx512]
//                   [--shape M K N]... [--seconds S] [--trans-a] [--trans-b]
//   (ISOTENSOR_CPU_ISA=generic|avx2 also caps the ISA the correctness run uses.)
// WASM (single thread, SIMD128; acorn on NODE_PATH for -O1 and above):
//   em++ -O3 -msimd128 -std=c++17 -fexceptions -Icore-cpp -Icore-cpp/include test/native/gemm_check.cpp \
//     $K/gemm.cc $K/cpu_features.cc core-cpp/engine/thread_pool.cc core-cpp/base/base.cc \
//     -sALLOW_MEMORY_GROWTH=1 -o /tmp/gemm_check.js
//   node --no-experimental-fetch /tmp/gemm_check.js    (Node 20's fetch cannot read the .wasm file)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>
#include "engine/parallel_for.h"
#include "engine/thread_pool.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/gemm.h"

namespace ist {

// parallelFor on a pool owned by this program (the library's version starts the whole engine).
static std::unique_ptr<ThreadPool> gPool;
static int gThreads = 1;

void parallelFor(int64_t n, int64_t costPerItem, FunctionRef<void(int64_t, int64_t)> fn) {
  if (n <= 0) return;
  if (!gPool || gThreads <= 1) {
    fn(0, n);
    return;
  }
  gPool->parallelFor(n, costPerItem, fn);
}

int parallelThreads() { return gThreads; }

}  // namespace ist

using namespace ist;

static void setThreads(int n) {
  ist::gPool.reset();
  ist::gThreads = n;
  // The caller runs chunks too, so n - 1 workers give n runners.
  if (n > 1) ist::gPool.reset(new ThreadPool(n - 1));
}

static double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename T>
static void fillRandom(std::vector<T>& v, std::mt19937& rng) {
  std::uniform_real_distribution<double> d(-1, 1);
  for (auto& x : v) {
    if constexpr (std::is_unsigned_v<T>) x = static_cast<T>(int(std::fabs(d(rng)) * 5));
    else if constexpr (std::is_integral_v<T>) x = static_cast<T>(int(d(rng) * 5));
    else x = T(float(d(rng)));
  }
}

// Reference in double; A/B/C use the same storage conventions as gemm().
template <typename T>
static std::vector<double> reference(bool tA, bool tB, int64_t M, int64_t N, int64_t K, double alpha,
                                     const std::vector<T>& A, int64_t lda, const std::vector<T>& B,
                                     int64_t ldb, double beta, const std::vector<T>& C, int64_t ldc) {
  std::vector<double> out(size_t(M * ldc), 0.0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) {
        double a = double(tA ? A[k * lda + i] : A[i * lda + k]);
        double b = double(tB ? B[j * ldb + k] : B[k * ldb + j]);
        s += a * b;
      }
      out[i * ldc + j] = alpha * s + (beta != 0 ? beta * double(C[i * ldc + j]) : 0.0);
    }
  return out;
}

static int gFailures = 0;

template <typename T>
static void checkCase(const char* tname, bool tA, bool tB, int64_t M, int64_t N, int64_t K,
                      double alpha, double beta, int pad, double tol, std::mt19937& rng) {
  const int64_t lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
  std::vector<T> A(size_t((tA ? K : M) * lda + 1)), B(size_t((tB ? N : K) * ldb + 1)),
      C(size_t(M * ldc + 1));
  fillRandom(A, rng);
  fillRandom(B, rng);
  fillRandom(C, rng);
  if (beta == 0 && !std::is_integral_v<T>)
    for (auto& c : C) c = T(NAN);  // beta == 0 must never read C
  std::vector<double> ref = reference(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  std::vector<T> got = C;
  gemm<T>(tA, tB, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, got.data(), ldc, true);
  double worst = 0;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double r = ref[i * ldc + j], g = double(got[i * ldc + j]);
      double err = std::fabs(r - g) / (1.0 + std::fabs(r));
      if (!(err <= worst)) worst = err;
    }
  // Padding columns must be untouched.
  bool padOk = true;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = N; j < ldc; ++j)
      padOk &= std::memcmp(&got[i * ldc + j], &C[i * ldc + j], sizeof(T)) == 0;
  if (!(worst <= tol * std::sqrt(double(K) + 1)) || !padOk) {
    ++gFailures;
    std::printf("FAIL %s tA=%d tB=%d M=%lld N=%lld K=%lld alpha=%g beta=%g pad=%d err=%g padOk=%d\n",
                tname, tA, tB, (long long)M, (long long)N, (long long)K, alpha, beta, pad, worst,
                padOk);
  }
}

static void correctness(bool quick) {
  std::mt19937 rng(42);
  const int64_t sizes[] = {1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 33, 64, 67, 129};
  int cases = 0;
  for (bool tA : {false, true})
    for (bool tB : {false, true})
      for (int64_t M : sizes)
        for (int64_t N : sizes) {
          if (quick && (M % 2 == 0 || N % 3 == 0)) continue;
          int64_t K = sizes[(M * 7 + N * 3) % 14] + (M + N) % 5;
          double alpha = (M + N) % 3 == 0 ? 1.0 : 0.5;
          double beta = (M * N) % 3 == 0 ? 0.0 : ((M * N) % 3 == 1 ? 1.0 : -0.75);
          checkCase<float>("f32", tA, tB, M, N, K, alpha, beta, int((M + N) % 3), 2e-6, rng);
          ++cases;
        }
  // Large enough for several cache blocks in every direction, odd edges, and K blocking.
  for (bool tA : {false, true})
    for (bool tB : {false, true}) {
      checkCase<float>("f32", tA, tB, 301, 2111, 517, 1.0, 0.0, 3, 2e-6, rng);
      checkCase<float>("f32", tA, tB, 1, 777, 1031, 1.0, 0.5, 0, 2e-6, rng);
      checkCase<float>("f32", tA, tB, 555, 1, 1031, 2.0, 0.0, 1, 2e-6, rng);
      // Tall and narrow: a last column panel narrower than the tile, K blocked in two.
      checkCase<float>("f32", tA, tB, 515, 5, 300, 1.0, -0.75, 2, 2e-6, rng);
      checkCase<float>("f32", tA, tB, 515, 49, 300, 0.5, 0.0, 1, 2e-6, rng);
      checkCase<double>("f64", tA, tB, 515, 49, 300, 1.0, 1.0, 0, 1e-14, rng);
      checkCase<double>("f64", tA, tB, 133, 259, 300, 1.0, 0.5, 2, 1e-14, rng);
      checkCase<double>("f64", tA, tB, 1, 33, 17, 1.0, 0.0, 0, 1e-14, rng);
      checkCase<half_t>("f16", tA, tB, 37, 41, 43, 1.0, 0.0, 1, 2e-3, rng);
      checkCase<bf16_t>("bf16", tA, tB, 37, 41, 43, 1.0, 1.0, 0, 1.6e-2, rng);
      checkCase<int32_t>("i32", tA, tB, 29, 31, 37, 1.0, 1.0, 1, 0, rng);
      checkCase<uint8_t>("u8", tA, tB, 9, 10, 11, 1.0, 0.0, 0, 0, rng);
      checkCase<float>("f32 K=0", tA, tB, 5, 6, 0, 1.0, 0.5, 1, 0, rng);
      cases += 13;
    }
  // a prepacked B (gemmPackB + gemmPackedB) gives the same bits as gemm()
  for (bool tA : {false, true})
    for (bool tB : {false, true})
      for (auto mnk : {std::vector<int64_t>{32, 1024, 256}, {7, 49, 300}, {65, 17, 531}, {2, 3, 1}}) {
        const int64_t M = mnk[0], N = mnk[1], K = mnk[2];
        std::vector<float> A(M * K), B(K * N), C1(M * N), C2(M * N), P(gemmPackedBSize(K, N));
        fillRandom(A, rng);
        fillRandom(B, rng);
        fillRandom(C1, rng);
        C2 = C1;
        const int64_t lda = tA ? M : K, ldb = tB ? K : N;
        gemm<float>(tA, tB, M, N, K, 0.5, A.data(), lda, B.data(), ldb, 1.0, C1.data(), N, true);
        gemmPackB<float>(tB, K, N, B.data(), ldb, P.data());
        gemmPackedB<float>(tA, M, N, K, 0.5, A.data(), lda, P.data(), 1.0, C2.data(), N, true);
        if (std::memcmp(C1.data(), C2.data(), C1.size() * 4)) {
          ++gFailures;
          std::printf("FAIL packed B differs: tA=%d tB=%d M=%lld N=%lld K=%lld\n", tA, tB, (long long)M,
                      (long long)N, (long long)K);
        }
        ++cases;
      }
  // a prepacked A (gemmPackA + gemmPackedA, B stored or from a source) gives the bits of gemm() and
  // gemmFromSource() whenever M > 1 and N > 1, including thin last panels and ragged row panels
  for (bool tA : {false, true})
    for (bool tB : {false, true})
      for (auto mnk : {std::vector<int64_t>{64, 3136, 576}, {7, 49, 300}, {65, 17, 531}, {2, 3, 1}, {512, 5, 4608}}) {
        const int64_t M = mnk[0], N = mnk[1], K = mnk[2];
        std::vector<float> A(M * K), B(K * N), C1(M * N), C2(M * N), C3(M * N), C4(M * N), P(gemmPackedASize(M, K));
        fillRandom(A, rng);
        fillRandom(B, rng);
        fillRandom(C1, rng);
        C2 = C3 = C4 = C1;
        const int64_t lda = tA ? M : K, ldb = tB ? K : N;
        gemm<float>(tA, tB, M, N, K, 0.5, A.data(), lda, B.data(), ldb, 1.0, C1.data(), N, true);
        gemmPackA<float>(tA, M, K, A.data(), lda, P.data());
        gemmPackedA<float>(M, N, K, 0.5, P.data(), tB, B.data(), ldb, 1.0, C2.data(), N, true);
        struct Src {
          const float* B;
          int64_t ldb;
          bool tB;
        } src{B.data(), ldb, tB};
        const GemmBSource<float> source{[](const void* c, int64_t k0, int64_t kc, int64_t j0, int64_t cols, int width,
                                           float* dst) {
                                          const Src* s = static_cast<const Src*>(c);
                                          for (int64_t k = 0; k < kc; ++k)
                                            for (int j = 0; j < width; ++j)
                                              dst[k * width + j] = j >= cols ? 0.f
                                                                   : s->tB ? s->B[(j0 + j) * s->ldb + k0 + k]
                                                                           : s->B[(k0 + k) * s->ldb + j0 + j];
                                        },
                                        &src};
        if (!tB) gemmFromSource<float>(tA, M, N, K, 0.5, A.data(), lda, source, 1.0, C3.data(), N, true);
        else C3 = C1;
        gemmPackedA<float>(M, N, K, 0.5, P.data(), false, nullptr, 0, 1.0, C4.data(), N, true, &source);
        if (std::memcmp(C1.data(), C2.data(), C1.size() * 4) || std::memcmp(C1.data(), C3.data(), C1.size() * 4) ||
            std::memcmp(C1.data(), C4.data(), C1.size() * 4)) {
          ++gFailures;
          std::printf("FAIL packed A differs: tA=%d tB=%d M=%lld N=%lld K=%lld\n", tA, tB, (long long)M,
                      (long long)N, (long long)K);
        }
        ++cases;
      }
  // a last panel of a few columns (Driver::thinTile) gives the bits of the same columns computed
  // inside a full-width panel: the first N columns of a 64-column product (N = 1 is the GEMV path)
  for (int64_t N : {2, 3, 4, 49, 50, 51, 52}) {
    const int64_t M = 77, K = 600, NW = 64;
    std::vector<float> A(M * K), B(K * NW), C1(M * N), C2(M * NW);
    fillRandom(A, rng);
    fillRandom(B, rng);
    std::vector<float> Bn(K * N);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < N; ++j) Bn[k * N + j] = B[k * NW + j];
    gemm<float>(false, false, M, N, K, 1.0, A.data(), K, Bn.data(), N, 0.0, C1.data(), N, true);
    gemm<float>(false, false, M, NW, K, 1.0, A.data(), K, B.data(), NW, 0.0, C2.data(), NW, true);
    for (int64_t i = 0; i < M; ++i)
      if (std::memcmp(C1.data() + i * N, C2.data() + i * NW, N * 4)) {
        ++gFailures;
        std::printf("FAIL thin panel differs: N=%lld row %lld\n", (long long)N, (long long)i);
        break;
      }
    ++cases;
  }
  // batched vs. one by one
  {
    const int64_t batch = 7, M = 19, N = 23, K = 29;
    std::vector<float> A(batch * M * K), B(batch * K * N), C(batch * M * N), C1(batch * M * N);
    fillRandom(A, rng);
    fillRandom(B, rng);
    gemmBatched<float>(batch, false, true, M, N, K, 1.0, A.data(), K, M * K, B.data(), K, K * N, 0.0,
                       C.data(), N, M * N);
    for (int64_t b = 0; b < batch; ++b)
      gemm<float>(false, true, M, N, K, 1.0, A.data() + b * M * K, K, B.data() + b * K * N, K, 0.0,
                  C1.data() + b * M * N, N, true);
    if (std::memcmp(C.data(), C1.data(), C.size() * 4)) {
      ++gFailures;
      std::printf("FAIL batched differs from single products\n");
    }
    ++cases;
  }
  std::printf("correctness (%s, %d threads): %d cases, %d failures\n", gemmKernelName(cpuIsa()),
              parallelThreads(), cases, gFailures);
}

// Same shape with 1 and with 2 threads must agree bit for bit.
static void determinism() {
  std::mt19937 rng(7);
  const int64_t M = 333, N = 1111, K = 777;
  std::vector<float> A(M * K), B(K * N), C1(M * N), C2(M * N);
  fillRandom(A, rng);
  fillRandom(B, rng);
  setThreads(1);
  gemm<float>(false, false, M, N, K, 1.0, A.data(), K, B.data(), N, 0.0, C1.data(), N, true);
  setThreads(2);
  gemm<float>(false, false, M, N, K, 1.0, A.data(), K, B.data(), N, 0.0, C2.data(), N, true);
  bool same = std::memcmp(C1.data(), C2.data(), C1.size() * 4) == 0;
  if (!same) ++gFailures;
  std::printf("determinism 1 vs 2 threads: %s\n", same ? "identical" : "DIFFERENT");
}

static double bench(CpuIsa isa, bool tA, bool tB, int64_t M, int64_t K, int64_t N, double seconds) {
  std::mt19937 rng(1);
  std::vector<float> A(M * K), B(K * N), C(M * N);
  fillRandom(A, rng);
  fillRandom(B, rng);
  const int64_t lda = tA ? M : K, ldb = tB ? K : N;
  sgemmOnIsa(isa, tA, tB, M, N, K, 1.f, A.data(), lda, B.data(), ldb, 0.f, C.data(), N);
  double best = 1e30, spent = 0;
  int runs = 0;
  while ((spent < seconds || runs < 3) && runs < 1000) {
    double t0 = now();
    sgemmOnIsa(isa, tA, tB, M, N, K, 1.f, A.data(), lda, B.data(), ldb, 0.f, C.data(), N);
    double dt = now() - t0;
    spent += dt;
    best = std::min(best, dt);
    ++runs;
  }
  return 2.0 * M * N * K / best / 1e9;
}

int main(int argc, char** argv) {
  bool quick = false, benchOnly = false, noBench = false;
  int onlyThreads = 0;
  double seconds = 1.0;
  std::vector<CpuIsa> isas;
  std::vector<std::vector<int64_t>> shapes;
  bool benchTA = false, benchTB = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--bench-only") benchOnly = true;
    else if (a == "--no-bench") noBench = true;
    else if (a == "--trans-a") benchTA = true;
    else if (a == "--trans-b") benchTB = true;
    else if (a == "--threads" && i + 1 < argc) onlyThreads = std::atoi(argv[++i]);
    else if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (a == "--shape" && i + 3 < argc) {
      shapes.push_back({std::atoll(argv[i + 1]), std::atoll(argv[i + 2]), std::atoll(argv[i + 3])});
      i += 3;
    } else if (a == "--isa" && i + 1 < argc) {
      std::string s = argv[++i];
      isas.push_back(s == "avx512" ? CpuIsa::kAvx512 : s == "avx2" ? CpuIsa::kAvx2 : CpuIsa::kGeneric);
    } else {
      std::printf("unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  std::printf("cpu isa: %s, kernel %s\n", cpuIsaName(cpuIsa()), gemmKernelName(cpuIsa()));
  if (!benchOnly) {
    setThreads(1);
    correctness(quick);
#if !defined(__EMSCRIPTEN__)
    setThreads(2);
    correctness(true);
    determinism();
#endif
  }
  if (noBench) return gFailures ? 1 : 0;
  if (isas.empty())
    for (CpuIsa isa : {CpuIsa::kGeneric, CpuIsa::kAvx2, CpuIsa::kAvx512})
      if (cpuSupports(isa)) isas.push_back(isa);
  if (shapes.empty()) shapes = {{256, 1024, 2048}, {2048, 2048, 2048}, {64, 64, 64}, {1, 1024, 1024}};
#if defined(__EMSCRIPTEN__)
  const int threadCounts[] = {1};
#else
  const int threadCounts[] = {1, 2};
#endif
  for (int threads : threadCounts) {
    if (onlyThreads && threads != onlyThreads) continue;
    setThreads(threads);
    for (CpuIsa isa : isas)
      for (auto& s : shapes) {
        double g = bench(isa, benchTA, benchTB, s[0], s[1], s[2], seconds);
        std::printf("threads=%d %-16s M,K,N=%lld,%lld,%lld: %.1f GFLOP/s\n", threads,
                    gemmKernelName(isa), (long long)s[0], (long long)s[1], (long long)s[2], g);
        std::fflush(stdout);
      }
  }
  return gFailures ? 1 : 0;
}
