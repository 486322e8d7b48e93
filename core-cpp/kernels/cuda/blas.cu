// DeviceBlas<gpu>: GEMM on the GPU through cuBLAS loaded with dlopen, or the project's own kernels.
//
// cuBLAS is not linked: the addon must load where it is absent. At the first GEMM we look for
// libcublas in ISOTENSOR_CUBLAS (a file), the loader's standard paths and LD_LIBRARY_PATH, the CUDA
// toolkit folders, and Python's nvidia-cublas wheel folders (site-packages/nvidia/cu*/lib), and
// declare the few entry points we call. ISOTENSOR_NO_CUBLAS=1 forces the fallback kernels (tests).
// float32 runs in full float32 (no TF32), as PyTorch's default and the CPU do; float16/bfloat16 go
// through tensor cores with float32 accumulation; integer types use a 64-bit accumulator.
#include <dlfcn.h>
#include <library_types.h>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>
#include "base/json.h"
#include "base/error.h"
#include "base/half.h"
#include "kernels/cuda/blas_info.h"
#include "kernels/cuda/kernel_cuda.cuh"
#include "kernels/cuda/library_paths.h"

namespace ist {
namespace {

// ---- the cuBLAS entry points we use (prototypes declared here; no cuBLAS headers at build) ----
using cublasHandle_t = void*;
using cublasStatus_t = int;
constexpr int kOpN = 0, kOpT = 1;                     // cublasOperation_t
constexpr int kCompute32F = 68, kCompute64F = 70;    // cublasComputeType_t
constexpr int kGemmDefault = -1;                      // cublasGemmAlgo_t
using CreateFn = cublasStatus_t (*)(cublasHandle_t*);
using SetStreamFn = cublasStatus_t (*)(cublasHandle_t, cudaStream_t);
using GemmStridedBatchedExFn = cublasStatus_t (*)(cublasHandle_t, int, int, int, int, int, const void*,
                                                  const void*, cudaDataType, int, long long, const void*,
                                                  cudaDataType, int, long long, const void*, void*, cudaDataType,
                                                  int, long long, int, int, int);
using GetStatusStringFn = const char* (*)(cublasStatus_t);

struct Cublas {
  bool loaded = false;
  std::string path;
  CreateFn create = nullptr;
  SetStreamFn setStream = nullptr;
  GemmStridedBatchedExFn gemmStridedBatchedEx = nullptr;
  GetStatusStringFn statusString = nullptr;
  std::mutex mu;
  std::vector<cublasHandle_t> handles;  // one per device, made by its GPU worker
};

void* openLibrary(const std::string& path) {
  // cuBLAS needs cuBLASLt from its own folder; wheels may not carry an RPATH that finds it.
  preloadCompanions(path, {"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"});
  return dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
}

std::vector<std::string> candidatePaths() {
  return nvidiaLibraryCandidates("ISOTENSOR_CUBLAS", {"libcublas.so.13", "libcublas.so.12", "libcublas.so"},
                                 {"/nvidia/cublas/lib", "/nvidia/cu13/lib", "/nvidia/cu12/lib"});
}

Cublas& cublas() {
  static Cublas* lib = [] {
    auto* l = new Cublas();  // never destroyed: handles live as long as the process
    const char* off = std::getenv("ISOTENSOR_NO_CUBLAS");
    if (off && *off && std::string(off) != "0") return l;
    for (auto& path : candidatePaths()) {
      void* h = openLibrary(path);
      if (!h) continue;
      l->create = reinterpret_cast<CreateFn>(dlsym(h, "cublasCreate_v2"));
      l->setStream = reinterpret_cast<SetStreamFn>(dlsym(h, "cublasSetStream_v2"));
      l->gemmStridedBatchedEx = reinterpret_cast<GemmStridedBatchedExFn>(dlsym(h, "cublasGemmStridedBatchedEx"));
      l->statusString = reinterpret_cast<GetStatusStringFn>(dlsym(h, "cublasGetStatusString"));
      if (l->create && l->setStream && l->gemmStridedBatchedEx) {
        Dl_info info;
        l->path = dladdr(reinterpret_cast<void*>(l->create), &info) && info.dli_fname ? info.dli_fname : path;
        l->loaded = true;
        break;
      }
      dlclose(h);
    }
    return l;
  }();
  return *lib;
}

cublasHandle_t handleFor(Cublas& lib, void* stream, const char* op) {
  int dev = 0;
  cudaCheck(cudaGetDevice(&dev), "cudaGetDevice");
  cublasHandle_t h;
  {
    std::lock_guard<std::mutex> lk(lib.mu);
    if (static_cast<int>(lib.handles.size()) <= dev) lib.handles.resize(dev + 1, nullptr);
    if (!lib.handles[dev]) {
      cublasStatus_t st = lib.create(&lib.handles[dev]);
      IST_CHECK(st == 0, op, "ctx", "cublasCreate failed with status " << st);
    }
    h = lib.handles[dev];
  }
  lib.setStream(h, static_cast<cudaStream_t>(stream));
  return h;
}

bool cudaTypeOf(DType t, cudaDataType* out) {
  switch (t) {
    case DType::kFloat32: *out = CUDA_R_32F; return true;
    case DType::kFloat64: *out = CUDA_R_64F; return true;
    case DType::kFloat16: *out = CUDA_R_16F; return true;
    case DType::kBFloat16: *out = CUDA_R_16BF; return true;
    default: return false;
  }
}

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
bool gemmCublas(void* stream, const GemmArgs& g, const char* op) {
  Cublas& lib = cublas();
  cudaDataType type;
  if (!lib.loaded || !cudaTypeOf(g.dtype, &type)) return false;
  for (int64_t v : {g.M, g.N, g.K, g.lda, g.ldb, g.ldc, g.batch})
    if (v > INT_MAX) return false;
  cublasHandle_t h = handleFor(lib, stream, op);
  const bool dbl = g.dtype == DType::kFloat64;
  const double alphaD = g.alpha, betaD = g.beta;
  const float alphaF = static_cast<float>(g.alpha), betaF = static_cast<float>(g.beta);
  const void* alpha = dbl ? static_cast<const void*>(&alphaD) : &alphaF;
  const void* beta = dbl ? static_cast<const void*>(&betaD) : &betaF;
  cublasStatus_t st = lib.gemmStridedBatchedEx(
      h, g.transB ? kOpT : kOpN, g.transA ? kOpT : kOpN, int(g.N), int(g.M), int(g.K), alpha, g.B, type, int(g.ldb),
      g.strideB, g.A, type, int(g.lda), g.strideA, beta, g.C, type, int(g.ldc), g.strideC, int(g.batch),
      dbl ? kCompute64F : kCompute32F, kGemmDefault);
  IST_CHECK(st == 0, op, "data",
            "cuBLAS GEMM failed: " << (lib.statusString ? lib.statusString(st) : "status " + std::to_string(st)));
  return true;
}

// ---- fallback kernels ----
struct TiledArgs {
  bool transA, transB;
  int64_t M, N, K, lda, ldb, ldc, strideA, strideB, strideC, batch0;
  double alpha, beta;
};

constexpr int kBM = 64, kBN = 64, kBK = 16, kTM = 4, kTN = 4, kTiledThreads = (kBM / kTM) * (kBN / kTN);

template <typename Acc, typename T>
__device__ __forceinline__ Acc widen(T v) {
  return static_cast<Acc>(static_cast<typename ComputeType<T>::type>(v));
}

// 64x64 tiles of C per block, 4x4 per thread, operands staged through shared memory in Acc.
template <typename T, typename Acc>
__global__ void __launch_bounds__(kTiledThreads) gemmTiled(const T* A, const T* B, T* C, TiledArgs p) {
  __shared__ Acc As[kBK][kBM];
  __shared__ Acc Bs[kBK][kBN];
  const int64_t b = p.batch0 + blockIdx.z;
  A += b * p.strideA;
  B += b * p.strideB;
  C += b * p.strideC;
  const int tx = threadIdx.x % (kBN / kTN), ty = threadIdx.x / (kBN / kTN);
  const int64_t row0 = int64_t(blockIdx.y) * kBM, col0 = int64_t(blockIdx.x) * kBN;
  Acc acc[kTM][kTN];
  for (int m = 0; m < kTM; ++m)
    for (int n = 0; n < kTN; ++n) acc[m][n] = Acc(0);
  for (int64_t k0 = 0; k0 < p.K; k0 += kBK) {
    for (int e = threadIdx.x; e < kBM * kBK; e += kTiledThreads) {
      int i = e / kBK, kk = e % kBK;
      int64_t r = row0 + i, k = k0 + kk;
      As[kk][i] = (r < p.M && k < p.K) ? widen<Acc>(p.transA ? A[k * p.lda + r] : A[r * p.lda + k]) : Acc(0);
    }
    for (int e = threadIdx.x; e < kBK * kBN; e += kTiledThreads) {
      int kk = e / kBN, j = e % kBN;
      int64_t c = col0 + j, k = k0 + kk;
      Bs[kk][j] = (c < p.N && k < p.K) ? widen<Acc>(p.transB ? B[c * p.ldb + k] : B[k * p.ldb + c]) : Acc(0);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      Acc a[kTM], bb[kTN];
      for (int m = 0; m < kTM; ++m) a[m] = As[kk][ty * kTM + m];
      for (int n = 0; n < kTN; ++n) bb[n] = Bs[kk][tx * kTN + n];
      for (int m = 0; m < kTM; ++m)
        for (int n = 0; n < kTN; ++n) acc[m][n] += a[m] * bb[n];
    }
    __syncthreads();
  }
  for (int m = 0; m < kTM; ++m) {
    int64_t r = row0 + ty * kTM + m;
    if (r >= p.M) continue;
    for (int n = 0; n < kTN; ++n) {
      int64_t c = col0 + tx * kTN + n;
      if (c >= p.N) continue;
      Acc v = Acc(p.alpha) * acc[m][n];
      if (p.beta != 0) v += Acc(p.beta) * widen<Acc>(C[r * p.ldc + c]);
      C[r * p.ldc + c] = T(static_cast<typename ComputeType<T>::type>(v));
    }
  }
}

template <typename T, typename Acc>
void launchTiled(void* stream, const GemmArgs& g) {
  TiledArgs p{g.transA, g.transB, g.M, g.N, g.K, g.lda, g.ldb, g.ldc, g.strideA, g.strideB, g.strideC, 0,
              g.alpha, g.beta};
  dim3 grid(unsigned((g.N + kBN - 1) / kBN), unsigned((g.M + kBM - 1) / kBM), 1);
  for (int64_t b0 = 0; b0 < g.batch; b0 += 65535) {
    p.batch0 = b0;
    grid.z = unsigned(std::min<int64_t>(65535, g.batch - b0));
    gemmTiled<T, Acc><<<grid, kTiledThreads, 0, static_cast<cudaStream_t>(stream)>>>(
        static_cast<const T*>(g.A), static_cast<const T*>(g.B), static_cast<T*>(g.C), p);
    cudaCheck(cudaGetLastError(), "GEMM kernel launch");
  }
}

// Integer GEMM: one output per Map call, 64-bit accumulator, rounding like the CPU's integerGemm.
struct IntegerGemmMap {
  template <typename T>
  ISTX static void Map(int64_t idx, const T* A, const T* B, T* C, TiledArgs p) {
    using Acc = std::conditional_t<std::is_signed<T>::value, int64_t, uint64_t>;
    const int64_t per = p.M * p.N, b = idx / per, i = (idx % per) / p.N, j = idx % p.N;
    const T* a = A + b * p.strideA;
    const T* bm = B + b * p.strideB;
    T* c = C + b * p.strideC;
    Acc r = 0;
    for (int64_t k = 0; k < p.K; ++k)
      r += static_cast<Acc>(p.transA ? a[k * p.lda + i] : a[i * p.lda + k]) *
           static_cast<Acc>(p.transB ? bm[j * p.ldb + k] : bm[k * p.ldb + j]);
    if (p.alpha != 1) r = static_cast<Acc>(p.alpha * static_cast<double>(r));
    if (p.beta != 0)
      r += p.beta == 1 ? static_cast<Acc>(c[i * p.ldc + j]) : static_cast<Acc>(p.beta * static_cast<double>(c[i * p.ldc + j]));
    c[i * p.ldc + j] = static_cast<T>(r);
  }
};

void gemmFallback(void* stream, const GemmArgs& g, const char* op) {
  switch (g.dtype) {
    case DType::kFloat32: launchTiled<float, float>(stream, g); return;
    case DType::kFloat64: launchTiled<double, double>(stream, g); return;
    case DType::kFloat16: launchTiled<half_t, float>(stream, g); return;
    case DType::kBFloat16: launchTiled<bf16_t, float>(stream, g); return;
    default: break;
  }
  TiledArgs p{g.transA, g.transB, g.M, g.N, g.K, g.lda, g.ldb, g.ldc, g.strideA, g.strideB, g.strideC, 0,
              g.alpha, g.beta};
  auto run = [&](auto zero) {
    using T = decltype(zero);
    Kernel<IntegerGemmMap, gpu>::launch(stream, g.batch * g.M * g.N, static_cast<const T*>(g.A),
                                        static_cast<const T*>(g.B), static_cast<T*>(g.C), p);
  };
  switch (g.dtype) {
    case DType::kUint8: run(uint8_t()); return;
    case DType::kInt8: run(int8_t()); return;
    case DType::kInt16: run(int16_t()); return;
    case DType::kUint16: run(uint16_t()); return;
    case DType::kInt32: run(int32_t()); return;
    case DType::kUint32: run(uint32_t()); return;
    case DType::kInt64: run(int64_t()); return;
    case DType::kUint64: run(uint64_t()); return;
    default: throwUnsupportedDType(g.dtype, op);
  }
}

}  // namespace

void DeviceBlas<gpu>::gemm(void* stream, const GemmArgs& g, const char* op) {
  if (g.M <= 0 || g.N <= 0 || g.batch <= 0) return;
  if (g.K <= 0) {
    // C = beta * C: no product to add. Scale through the fallback with K = 0.
    gemmFallback(stream, g, op);
    return;
  }
  if (gemmCublas(stream, g, op)) return;
  gemmFallback(stream, g, op);
}

std::string blasLibrariesJSON(bool probe) {
  if (!probe) return "\"cublas\":false";
  Cublas& lib = cublas();
  return std::string("\"cublas\":") + (lib.loaded ? "true" : "false") + ",\"cublasPath\":" + jsonString(lib.path);
}

}  // namespace ist
