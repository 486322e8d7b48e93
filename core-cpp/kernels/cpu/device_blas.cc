// DeviceBlas<cpu>: the device-generic GEMM entry over the CPU's blocked SIMD GEMM.
#include "kernels/cpu/gemm.h"
#include "kernels/device.h"

namespace ist {

void DeviceBlas<cpu>::gemm(void* /*stream*/, const GemmArgs& g, const char* op) {
  if (g.batch == 1) {
    gemmDType(g.dtype, g.transA, g.transB, g.M, g.N, g.K, g.alpha, g.A, g.lda, g.B, g.ldb, g.beta, g.C, g.ldc, op);
  } else {
    gemmBatchedDType(g.dtype, g.batch, g.transA, g.transB, g.M, g.N, g.K, g.alpha, g.A, g.lda, g.strideA, g.B, g.ldb,
                     g.strideB, g.beta, g.C, g.ldc, g.strideC, op);
  }
}

}  // namespace ist
