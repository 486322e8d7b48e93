// What the GPU GEMM found at run time, for runtimeInfo() (kernels/cuda/blas.cu).
#pragma once
#include <string>

namespace ist {

// JSON fragment: "cublas":true|false,"cublasPath":"..." (loads cuBLAS when probe is true).
std::string blasLibrariesJSON(bool probe);

}  // namespace ist
