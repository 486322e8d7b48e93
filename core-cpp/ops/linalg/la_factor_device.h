// Device-generic factorisation ops (attached in la_factor.cu): Cholesky (_linalg_potrf, its
// gradient, _linalg_potri) and LU with partial pivoting (_linalg_inverse, _linalg_det/logdet/
// slogdet and their gradients).
//
// Both factorisations are right-looking, one column at a time over the whole batch: a kernel per
// matrix for the column's pivot (or square root), then kernels over the column and over the
// trailing submatrix. That is 3-4 launches per column, all parallel over the batch and the trailing
// elements; the CPU's blocked kernels compute the same factors up to rounding (LU may pick a
// different pivot between entries equal to rounding). Failures (a matrix that is not positive
// definite, a singular one) are flagged per matrix and read back, so the error names the first
// failing matrix of the batch with the CPU's message.
#pragma once
#include <cstdint>
#include <limits>
#include <vector>
#include "ops/linalg/la_device.h"

namespace ist {
namespace ladev {

// Element (i, k) of matrix b of a batch of n x n matrices, through the transpose when `t`.
template <typename T> ISTX T& at(T* p, int64_t b, int64_t n, bool t, int64_t i, int64_t k) {
  return t ? p[b * n * n + k * n + i] : p[b * n * n + i * n + k];
}

// ---- Cholesky, on the lower triangle of (t ? A^T : A) ----

struct CholPivotMap {  // per matrix: the diagonal of column j; info[b] = the first failing order
  template <typename T> ISTX static void Map(int64_t b, T* a, int64_t n, bool t, int64_t j, int64_t* info) {
    T& d = at(a, b, n, t, j, j);
    if (!(d > T(0)) && info[b] == 0) info[b] = j + 1;  // also catches NaN
    d = math::sqrt(d);
  }
};
struct CholColumnMap {  // over (b, i > j): L(i, j) = A(i, j) / L(j, j)
  template <typename T> ISTX static void Map(int64_t q, T* a, int64_t n, bool t, int64_t j) {
    const int64_t m = n - j - 1, b = q / m, i = j + 1 + q % m;
    at(a, b, n, t, i, j) /= at(a, b, n, t, j, j);
  }
};
struct CholUpdateMap {  // over (b, i > j, k > j): A(i, k) -= L(i, j) L(k, j) on the lower triangle
  template <typename T> ISTX static void Map(int64_t q, T* a, int64_t n, bool t, int64_t j) {
    const int64_t m = n - j - 1, b = q / (m * m), e = q % (m * m), i = j + 1 + e / m, k = j + 1 + e % m;
    if (k <= i) at(a, b, n, t, i, k) -= at(a, b, n, t, i, j) * at(a, b, n, t, k, j);
  }
};
struct ZeroOtherTriangleMap {  // keeps the lower (keepLower) or upper triangle
  template <typename T> ISTX static void Map(int64_t i, T* a, int64_t n, bool keepLower) {
    const int64_t e = i % (n * n), r = e / n, c = e % n;
    if (keepLower ? c > r : c < r) a[i] = T(0);
  }
};

// The first matrix whose flag is set (index -1: none); flags read back from the device.
template <typename Dev>
la::BatchFailure firstFailure(const OpContext& ctx, const int64_t* info, int64_t batch) {
  std::vector<int64_t> host(static_cast<size_t>(batch));
  DeviceMem<Dev>::toHost(ctx.run.stream, host.data(), info, host.size() * sizeof(int64_t));
  for (int64_t b = 0; b < batch; ++b)
    if (host[static_cast<size_t>(b)] != 0) return {b, host[static_cast<size_t>(b)]};
  return {};
}

template <typename Dev>
void potrfComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const bool lower = attrs.get<la::CholeskyParam>().lower;
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  void* st = ctx.run.stream;
  IST_LA_SWITCH(in[0].dtype, T, op, {
    writeResultDev<Dev, T>(ctx, out[0], req[0], [&](T* f) {
      TempSpace<Dev> tmp(st, static_cast<size_t>(batch) * sizeof(int64_t));
      int64_t* info = tmp.template as<int64_t>();
      DeviceMem<Dev>::copy(st, f, in[0].dptr, static_cast<size_t>(in[0].size()) * sizeof(T));
      DeviceMem<Dev>::zero(st, info, static_cast<size_t>(batch) * sizeof(int64_t));
      const bool t = !lower;  // the upper factor of A is the lower factor of A^T
      for (int64_t j = 0; j < n; ++j) {
        const int64_t m = n - j - 1;
        DeviceKernel<CholPivotMap, Dev>::launch(st, batch, 4, f, n, t, j, info);
        DeviceKernel<CholColumnMap, Dev>::launch(st, batch * m, 2, f, n, t, j);
        DeviceKernel<CholUpdateMap, Dev>::launch(st, batch * m * m, 2, f, n, t, j);
      }
      la::checkPositiveDefinite(op, s, firstFailure<Dev>(ctx, info, batch));
      DeviceKernel<ZeroOtherTriangleMap, Dev>::launch(st, in[0].size(), 1, f, n, lower);
    });
  });
}

// dA = 0.5 * L^-T * copyLTU(L^T * dL) * L^-1 (MXNet's potrf_backward; transposed for upper), as
// the CPU composes it: trmm, mirror, two solves.
template <typename Dev>
void potrfBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const bool lower = attrs.get<la::CholeskyParam>().lower;
  const Shape& s = in[1].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  IST_LA_SWITCH(in[1].dtype, T, op, {
    const T* L = static_cast<const T*>(in[1].dptr);
    writeResultDev<Dev, T>(ctx, out[0], req[0], [&](T* d) {
      trmmDev<Dev, T>(ctx, L, static_cast<const T*>(in[0].dptr), d, batch, n, n, n, lower, true, !lower, 1.0, op);
      DeviceKernel<SymmetrizeMap, Dev>::launch(ctx.run.stream, in[1].size(), 1, d, n, lower);
      trsmDev<Dev, T>(ctx, L, d, batch, n, n, n, lower, lower, false, false, T(1));
      trsmDev<Dev, T>(ctx, L, d, batch, n, n, n, lower, !lower, true, false, T(0.5));
    });
  });
}

struct ZeroDiagonalMap {  // per matrix: info[b] = 1 + the first zero diagonal entry, or 0
  template <typename T> ISTX static void Map(int64_t b, const T* a, int64_t n, int64_t* info) {
    info[b] = 0;
    for (int64_t j = 0; j < n; ++j)
      if (a[b * n * n + j * (n + 1)] == T(0)) {
        info[b] = j + 1;
        return;
      }
  }
};
struct IdentityMap {
  template <typename T> ISTX static void Map(int64_t i, T* x, int64_t n) {
    const int64_t e = i % (n * n);
    x[i] = e / n == e % n ? T(1) : T(0);
  }
};

// out = (F F^T)^-1 from the triangular factor F: W = F^-1, then W^T W (lower) or W W^T (upper).
template <typename Dev>
void potriComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const bool lower = attrs.get<la::CholeskyParam>().lower;
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s), size = in[0].size();
  void* st = ctx.run.stream;
  IST_LA_SWITCH(in[0].dtype, T, op, {
    const T* F = static_cast<const T*>(in[0].dptr);
    writeResultDev<Dev, T>(ctx, out[0], req[0], [&](T* o) {
      ScratchLayout lay;
      const size_t infoAt = lay.add<int64_t>(batch), wAt = lay.add<T>(size);
      TempSpace<Dev> tmp(st, lay.bytes());
      int64_t* info = ScratchLayout::at<int64_t>(tmp.get(), infoAt);
      T* w = ScratchLayout::at<T>(tmp.get(), wAt);
      DeviceKernel<ZeroDiagonalMap, Dev>::launch(st, batch, n, F, n, info);
      la::checkTriangularFactor(op, s, firstFailure<Dev>(ctx, info, batch));
      DeviceKernel<IdentityMap, Dev>::launch(st, size, 1, w, n);
      trsmDev<Dev, T>(ctx, F, w, batch, n, n, n, lower, false, false, false, T(1));
      GemmArgs g;
      g.dtype = DTypeOf<T>::value;
      g.transA = lower;
      g.transB = !lower;
      g.M = n; g.N = n; g.K = n;
      g.A = w; g.lda = n; g.strideA = n * n;
      g.B = w; g.ldb = n; g.strideB = n * n;
      g.C = o; g.ldc = n; g.strideC = n * n;
      g.batch = batch;
      dnd::gemmDev<Dev>(ctx, g, op);
      DeviceKernel<SymmetrizeMap, Dev>::launch(st, size, 1, o, n, true);
    });
  });
}

// ---- LU with partial pivoting (LAPACK getrf's conventions: 1-based pivots, info = first zero U_jj) ----

struct LuPivotMap {  // per matrix: the largest |A(i, j)|, i >= j (the first of equals), recorded
  template <typename T>
  ISTX static void Map(int64_t b, const T* a, int64_t n, int64_t j, int32_t* piv, int64_t* info) {
    int64_t p = j;
    T best = math::fabs(a[b * n * n + j * n + j]);
    for (int64_t i = j + 1; i < n; ++i) {
      const T v = math::fabs(a[b * n * n + i * n + j]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    piv[b * n + j] = static_cast<int32_t>(p + 1);
    if (a[b * n * n + p * n + j] == T(0) && info[b] == 0) info[b] = j + 1;
  }
};
struct LuSwapMap {  // over (b, c): rows j and piv - 1 of column c exchanged
  template <typename T> ISTX static void Map(int64_t q, T* a, int64_t n, int64_t j, const int32_t* piv) {
    const int64_t b = q / n, c = q % n, p = piv[b * n + j] - 1;
    if (p == j) return;
    T* m = a + b * n * n;
    const T v = m[j * n + c];
    m[j * n + c] = m[p * n + c];
    m[p * n + c] = v;
  }
};
struct LuColumnMap {  // over (b, i > j): L(i, j) = A(i, j) / U(j, j) unless U(j, j) is zero
  template <typename T> ISTX static void Map(int64_t q, T* a, int64_t n, int64_t j) {
    const int64_t m = n - j - 1, b = q / m, i = j + 1 + q % m;
    T* mat = a + b * n * n;
    const T d = mat[j * n + j];
    if (d != T(0)) mat[i * n + j] /= d;
  }
};
struct LuUpdateMap {  // over (b, i > j, c > j): A(i, c) -= L(i, j) U(j, c), skipping L(i, j) == 0
  template <typename T> ISTX static void Map(int64_t q, T* a, int64_t n, int64_t j) {
    const int64_t m = n - j - 1, b = q / (m * m), e = q % (m * m), i = j + 1 + e / m, c = j + 1 + e % m;
    T* mat = a + b * n * n;
    const T l = mat[i * n + j];
    if (l != T(0)) mat[i * n + c] -= l * mat[j * n + c];
  }
};

// LU of a batch in place (lu holds A on entry); piv (batch, n) int32; info (batch) zeroed here.
template <typename Dev, typename T>
void getrfDev(const OpContext& ctx, T* lu, int32_t* piv, int64_t* info, int64_t batch, int64_t n) {
  void* st = ctx.run.stream;
  DeviceMem<Dev>::zero(st, info, static_cast<size_t>(batch) * sizeof(int64_t));
  for (int64_t j = 0; j < n; ++j) {
    const int64_t m = n - j - 1;
    DeviceKernel<LuPivotMap, Dev>::launch(st, batch, 2 * (n - j), static_cast<const T*>(lu), n, j, piv, info);
    DeviceKernel<LuSwapMap, Dev>::launch(st, batch * n, 2, lu, n, j, static_cast<const int32_t*>(piv));
    DeviceKernel<LuColumnMap, Dev>::launch(st, batch * m, 2, lu, n, j);
    DeviceKernel<LuUpdateMap, Dev>::launch(st, batch * m * m, 2, lu, n, j);
  }
}

struct PermuteRowsMap {  // over (b, c): the recorded row swaps applied in order to column c of x
  template <typename T> ISTX static void Map(int64_t q, T* x, int64_t n, const int32_t* piv) {
    const int64_t b = q / n, c = q % n;
    T* m = x + b * n * n;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t p = piv[b * n + j] - 1;
      if (p == j) continue;
      const T v = m[j * n + c];
      m[j * n + c] = m[p * n + c];
      m[p * n + c] = v;
    }
  }
};

// x = A^-1 from getrf's LU and pivots: L U X = P I.
template <typename Dev, typename T>
void luInverseDev(const OpContext& ctx, const T* lu, const int32_t* piv, T* x, int64_t batch, int64_t n) {
  DeviceKernel<IdentityMap, Dev>::launch(ctx.run.stream, batch * n * n, 1, x, n);
  DeviceKernel<PermuteRowsMap, Dev>::launch(ctx.run.stream, batch * n, n, x, n, piv);
  trsmDev<Dev, T>(ctx, lu, x, batch, n, n, n, true, false, false, true, T(1));
  trsmDev<Dev, T>(ctx, lu, x, batch, n, n, n, false, false, false, false, T(1));
}

template <typename Dev>
void inverseComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s), size = in[0].size();
  IST_LA_SWITCH(in[0].dtype, T, op, {
    writeResultDev<Dev, T>(ctx, out[0], req[0], [&](T* x) {
      ScratchLayout lay;
      const size_t infoAt = lay.add<int64_t>(batch), luAt = lay.add<T>(size), pivAt = lay.add<int32_t>(batch * n);
      TempSpace<Dev> tmp(ctx.run.stream, lay.bytes());
      int64_t* info = ScratchLayout::at<int64_t>(tmp.get(), infoAt);
      T* lu = ScratchLayout::at<T>(tmp.get(), luAt);
      int32_t* piv = ScratchLayout::at<int32_t>(tmp.get(), pivAt);
      DeviceMem<Dev>::copy(ctx.run.stream, lu, in[0].dptr, static_cast<size_t>(size) * sizeof(T));
      getrfDev<Dev, T>(ctx, lu, piv, info, batch, n);
      la::checkNonsingularLU(op, s, firstFailure<Dev>(ctx, info, batch));
      luInverseDev<Dev, T>(ctx, lu, piv, x, batch, n);
    });
  });
}

enum class DetKind { kDet, kLogDet, kSlogDet };

// Per matrix: sign and log|det| from the LU's diagonal and the pivots' parity (la::luSignLogDet),
// stored as the op's values.
struct SignLogDetMap {
  template <typename T>
  ISTX static void Map(int64_t b, const T* lu, const int32_t* piv, int64_t n, int kind, T* v0, T* v1, bool add0,
                       bool add1, bool want0, bool want1) {
    int64_t swaps = 0;
    T sg(1), l(0);
    for (int64_t j = 0; j < n; ++j) {
      swaps += piv[b * n + j] != j + 1;
      const T d = lu[b * n * n + j * (n + 1)];
      sg *= static_cast<T>((T(0) < d) - (d < T(0)));
      l += math::log(math::fabs(d));
    }
    const T sign = sg == T(0) ? T(0) : (swaps % 2 == 1 ? -sg : sg);
    if (kind == static_cast<int>(DetKind::kDet)) {
      if (want0) put(v0 + b, sign * math::exp(l), add0);
    } else if (kind == static_cast<int>(DetKind::kLogDet)) {
      if (want0) put(v0 + b, math::log(sign) + l, add0);
    } else {
      if (want0) put(v0 + b, sign, add0);
      if (want1) put(v1 + b, l, add1);
    }
  }
};

// Outputs: the values (det; logdet; sign and logabsdet), then the LU and the int32 pivots.
template <typename Dev, DetKind K>
void detComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  constexpr int nv = K == DetKind::kSlogDet ? 2 : 1;
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s), size = in[0].size();
  void* st = ctx.run.stream;
  IST_LA_SWITCH(in[0].dtype, T, op, {
    // Factor in scratch, so a skipped (kNull) LU or pivot output is never touched.
    ScratchLayout lay;
    const size_t infoAt = lay.add<int64_t>(batch), luAt = lay.add<T>(size), pivAt = lay.add<int32_t>(batch * n);
    TempSpace<Dev> tmp(st, lay.bytes());
    int64_t* info = ScratchLayout::at<int64_t>(tmp.get(), infoAt);
    T* lu = ScratchLayout::at<T>(tmp.get(), luAt);
    int32_t* piv = ScratchLayout::at<int32_t>(tmp.get(), pivAt);
    DeviceMem<Dev>::copy(st, lu, in[0].dptr, static_cast<size_t>(size) * sizeof(T));
    getrfDev<Dev, T>(ctx, lu, piv, info, batch, n);
    T* v1 = nv == 2 ? out[1].data<T>() : nullptr;
    DeviceKernel<SignLogDetMap, Dev>::launch(st, batch, 20 * n, static_cast<const T*>(lu),
                                             static_cast<const int32_t*>(piv), n, static_cast<int>(K), out[0].data<T>(),
                                             v1, req[0] == OpReq::kAddTo, nv == 2 && req[1] == OpReq::kAddTo,
                                             req[0] != OpReq::kNull, nv == 2 && req[1] != OpReq::kNull);
    if (req[nv] != OpReq::kNull)
      DeviceMem<Dev>::copy(st, out[nv].dptr, lu, static_cast<size_t>(size) * sizeof(T));
    if (req[nv + 1] != OpReq::kNull)
      DeviceMem<Dev>::copy(st, out[nv + 1].dptr, piv, static_cast<size_t>(batch * n) * sizeof(int32_t));
  });
}

struct PivotCheckMap {  // per matrix: 1 when a pivot is not a 1-based row index in [1, n]
  ISTX static void Map(int64_t b, const int32_t* piv, int64_t n, int64_t* info) {
    info[b] = 0;
    for (int64_t j = 0; j < n; ++j)
      if (piv[b * n + j] < 1 || piv[b * n + j] > n) info[b] = 1;
  }
};

// dA = scale_b * (A^-1)^T with scale = out_grad * det (det) or out_grad; zero for singular matrices.
struct DetGradMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* o, const T* inv, const T* g, const T* v, int64_t n, int kind, bool add) {
    const int64_t b = i / (n * n), e = i % (n * n), r = e / n, c = e % n;
    const bool singular = kind == static_cast<int>(DetKind::kDet) ? v[b] == T(0)
                                                                  : v[b] == -std::numeric_limits<T>::infinity();
    const T scale = kind == static_cast<int>(DetKind::kDet) ? g[b] * v[b] : g[b];
    put(o + i, singular ? T(0) : scale * inv[b * n * n + c * n + r], add);
  }
};

// _backward_linalg_<det>: (out_grad, values..., LU, pivot) -> dA (Jacobi's formula).
template <typename Dev, DetKind K>
void detBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const char* op = la::opName(attrs);
  const TBlob& luBlob = in[in.size() - 2];
  const Shape& s = luBlob.shape;
  const int64_t n = s.back(), batch = la::batchOf(s), size = luBlob.size();
  void* st = ctx.run.stream;
  IST_LA_SWITCH(luBlob.dtype, T, op, {
    const int32_t* piv = static_cast<const int32_t*>(in.back().dptr);
    ScratchLayout lay;
    const size_t infoAt = lay.add<int64_t>(batch), invAt = lay.add<T>(size);
    TempSpace<Dev> tmp(st, lay.bytes());
    int64_t* info = ScratchLayout::at<int64_t>(tmp.get(), infoAt);
    T* inv = ScratchLayout::at<T>(tmp.get(), invAt);
    // Pivots come from getrf, but the op is callable directly: check them before indexing with them.
    DeviceKernel<PivotCheckMap, Dev>::launch(st, batch, n, piv, n, info);
    la::checkPivots(op, s, firstFailure<Dev>(ctx, info, batch));
    luInverseDev<Dev, T>(ctx, static_cast<const T*>(luBlob.dptr), piv, inv, batch, n);
    // det for kDet, logdet for kLogDet, logabsdet for kSlogDet: tells singular matrices apart.
    const T* v = static_cast<const T*>(in[K == DetKind::kSlogDet ? 2 : 1].dptr);
    DeviceKernel<DetGradMap, Dev>::launch(st, size, 2, out[0].data<T>(), static_cast<const T*>(inv),
                                          static_cast<const T*>(in[0].dptr), v, n, static_cast<int>(K),
                                          req[0] == OpReq::kAddTo);
  });
}

}  // namespace ladev
}  // namespace ist
