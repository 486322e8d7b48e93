// Device-generic computes of _linalg_gelqf and _linalg_syevd and their gradients (attached in
// decomp.cu, with their CPU twins).
//
// The factorisations run one matrix per thread (decomp_kernels.h's lqFactor and symEigen, a Map
// over the batch), each in its own slice of one scratch allocation, and store the outputs with
// their requests. The gradients are MXNet's formulas over batched GEMMs and the family's device
// trmm/trsm (la_device.h), as potrf's gradient is.
#pragma once
#include <cstdint>
#include <vector>
#include "ops/linalg/decomp_kernels.h"
#include "ops/linalg/la_factor_device.h"

namespace ist {
namespace decomp {

// Per matrix b: Q and L of a (batch, m, n) into scratch, then stored.
struct LqMap {
  template <typename T>
  ISTX static void Map(int64_t b, const T* a, T* qOut, T* lOut, int64_t m, int64_t n, T* scratch, bool wantQ,
                       bool addQ, bool wantL, bool addL) {
    T* s = scratch + b * (lqScratch(m, n) + m * n + m * m);
    T* q = s + lqScratch(m, n);
    T* l = q + m * n;
    lqFactor(a + b * m * n, m, n, s, q, l);
    if (wantQ)
      for (int64_t k = 0; k < m * n; ++k) ladev::put(qOut + b * m * n + k, q[k], addQ);
    if (wantL)
      for (int64_t k = 0; k < m * m; ++k) ladev::put(lOut + b * m * m + k, l[k], addL);
  }
};

// Per matrix b: U and the eigenvalues of a (batch, n, n) into scratch, then stored; info[b] is
// symEigen's failure code.
struct EigenMap {
  template <typename T>
  ISTX static void Map(int64_t b, const T* a, T* uOut, T* lOut, int64_t n, T* scratch, int64_t* info, bool wantU,
                       bool addU, bool wantL, bool addL) {
    T* w = scratch + b * (eigenScratch(n) + n * n + n);
    T* u = w + eigenScratch(n);
    T* lam = u + n * n;
    info[b] = symEigen(a + b * n * n, n, w, u, lam);
    if (wantU)
      for (int64_t k = 0; k < n * n; ++k) ladev::put(uOut + b * n * n + k, u[k], addU);
    if (wantL)
      for (int64_t k = 0; k < n; ++k) ladev::put(lOut + b * n + k, lam[k], addL);
  }
};

// Y of syevd's gradient, element i of a batch of n x n matrices.
struct SyevdGradMiddleMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, const T* lam, const T* dlam, int64_t n) {
    const int64_t b = i / (n * n), e = i % (n * n);
    y[i] = syevdGradMiddle(x + b * n * n, lam + b * n, dlam + b * n, n, e / n, e % n);
  }
};

template <typename Dev>
void gelqfComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[0].shape;
  const int64_t m = s[s.size() - 2], n = s.back(), batch = la::batchOf(s);
  if (batch == 0 || m == 0) return;
  IST_LA_SWITCH(in[0].dtype, T, op, {
    const int64_t per = lqScratch(m, n) + m * n + m * m;
    TempSpace<Dev> tmp(ctx.run.stream, static_cast<size_t>(batch * per) * sizeof(T));
    DeviceKernel<LqMap, Dev>::launch(ctx.run.stream, batch, 4 * m * m * n + 1, static_cast<const T*>(in[0].dptr),
                                     out[0].data<T>(), out[1].data<T>(), m, n, tmp.template as<T>(),
                                     req[0] != OpReq::kNull, req[0] == OpReq::kAddTo, req[1] != OpReq::kNull,
                                     req[1] == OpReq::kAddTo);
  });
}

template <typename Dev>
void syevdComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  if (batch == 0 || n == 0) return;
  IST_LA_SWITCH(in[0].dtype, T, op, {
    ScratchLayout lay;
    const size_t infoAt = lay.add<int64_t>(batch), workAt = lay.add<T>(batch * (eigenScratch(n) + n * n + n));
    TempSpace<Dev> tmp(ctx.run.stream, lay.bytes());
    int64_t* info = ScratchLayout::at<int64_t>(tmp.get(), infoAt);
    DeviceKernel<EigenMap, Dev>::launch(ctx.run.stream, batch, 30 * n * n * n + 1, static_cast<const T*>(in[0].dptr),
                                        out[0].data<T>(), out[1].data<T>(), n,
                                        ScratchLayout::at<T>(tmp.get(), workAt), info, req[0] != OpReq::kNull,
                                        req[0] == OpReq::kAddTo, req[1] != OpReq::kNull, req[1] == OpReq::kAddTo);
    checkEigenConverged(op, s, ladev::firstFailure<Dev>(ctx, info, batch));
  });
}

// _backward_linalg_gelqf: (dQ, dL, Q, L) -> dA = L^-T (dQ + copyLTU(M) Q), M = L^T dL - dQ Q^T, as
// MXNet's gelqf_backward composes it: trmm, gemm, mirror of the lower triangle, gemm, trsm.
template <typename Dev>
void gelqfBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[2].shape;
  const int64_t m = s[s.size() - 2], n = s.back(), batch = la::batchOf(s);
  if (out[0].size() == 0) return;
  void* st = ctx.run.stream;
  IST_LA_SWITCH(in[2].dtype, T, op, {
    const T* dQ = static_cast<const T*>(in[0].dptr);
    const T* Q = static_cast<const T*>(in[2].dptr);
    const T* L = static_cast<const T*>(in[3].dptr);
    ladev::writeResultDev<Dev, T>(ctx, out[0], req[0], [&](T* dA) {
      TempSpace<Dev> tmp(st, static_cast<size_t>(batch * m * m) * sizeof(T));
      T* M = tmp.template as<T>();
      ladev::trmmDev<Dev, T>(ctx, L, static_cast<const T*>(in[1].dptr), M, batch, m, m, m, true, true, false, 1.0,
                             op);
      GemmArgs g;  // M -= dQ Q^T
      g.dtype = DTypeOf<T>::value;
      g.transB = true;
      g.M = m; g.N = m; g.K = n;
      g.alpha = -1; g.beta = 1;
      g.A = dQ; g.lda = n; g.strideA = m * n;
      g.B = Q; g.ldb = n; g.strideB = m * n;
      g.C = M; g.ldc = m; g.strideC = m * m;
      g.batch = batch;
      dnd::gemmDev<Dev>(ctx, g, op);
      DeviceKernel<ladev::SymmetrizeMap, Dev>::launch(st, batch * m * m, 1, M, m, true);
      DeviceMem<Dev>::copy(st, dA, dQ, static_cast<size_t>(batch * m * n) * sizeof(T));
      GemmArgs h;  // dA += M Q
      h.dtype = DTypeOf<T>::value;
      h.M = m; h.N = n; h.K = m;
      h.alpha = 1; h.beta = 1;
      h.A = M; h.lda = m; h.strideA = m * m;
      h.B = Q; h.ldb = n; h.strideB = m * n;
      h.C = dA; h.ldc = n; h.strideC = m * n;
      h.batch = batch;
      dnd::gemmDev<Dev>(ctx, h, op);
      ladev::trsmDev<Dev, T>(ctx, L, dA, batch, m, m, n, true, true, false, false, T(1));
    });
  });
}

// _backward_linalg_syevd: (dU, dL, U, L) -> dA = U^T Y U, Y from X = dU U^T (syevdGradMiddle).
template <typename Dev>
void syevdBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[2].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  if (out[0].size() == 0) return;
  void* st = ctx.run.stream;
  IST_LA_SWITCH(in[2].dtype, T, op, {
    const T* U = static_cast<const T*>(in[2].dptr);
    ladev::writeResultDev<Dev, T>(ctx, out[0], req[0], [&](T* dA) {
      ScratchLayout lay;
      const size_t xAt = lay.add<T>(batch * n * n), yAt = lay.add<T>(batch * n * n);
      TempSpace<Dev> tmp(st, lay.bytes());
      T* X = ScratchLayout::at<T>(tmp.get(), xAt);
      T* Y = ScratchLayout::at<T>(tmp.get(), yAt);
      GemmArgs g;
      g.dtype = DTypeOf<T>::value;
      g.M = n; g.N = n; g.K = n;
      g.lda = n; g.ldb = n; g.ldc = n;
      g.strideA = n * n; g.strideB = n * n; g.strideC = n * n;
      g.batch = batch;
      GemmArgs x = g;  // X = dU U^T
      x.transB = true;
      x.A = in[0].dptr; x.B = U; x.C = X;
      dnd::gemmDev<Dev>(ctx, x, op);
      DeviceKernel<SyevdGradMiddleMap, Dev>::launch(st, batch * n * n, 4, Y, static_cast<const T*>(X),
                                                    static_cast<const T*>(in[3].dptr),
                                                    static_cast<const T*>(in[1].dptr), n);
      GemmArgs t = g;  // X = U^T Y
      t.transA = true;
      t.A = U; t.B = Y; t.C = X;
      dnd::gemmDev<Dev>(ctx, t, op);
      GemmArgs d = g;  // dA = X U
      d.A = X; d.B = U; d.C = dA;
      dnd::gemmDev<Dev>(ctx, d, op);
    });
  });
}

}  // namespace decomp
}  // namespace ist
