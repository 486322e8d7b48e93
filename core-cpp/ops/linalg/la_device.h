// Device-generic computes of the linalg ops that map onto index kernels and batched GEMMs (attached
// in la_ops.cu): diagonal/triangle packing, syrk, trmm, trsm, sumlogdiag and its gradient.
//
// The factorisations build on trsmDev/trmmDev: la_factor_device.h.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <vector>
#include "ops/elemwise/functors.h"
#include "ops/linalg/la_common.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace ladev {

template <typename T> ISTX void put(T* p, T v, bool add) { *p = add ? *p + v : v; }

// Index of matrix element (row, col) of an n x n matrix in the packed diagonal (kDiag) or
// triangle, or -1 outside it; MXNet's packing order (see diag_ops.cc's forEachPacked): the diagonal
// from its top-left, a lower triangle row by row, an upper one column by column.
struct Packing {
  int64_t k;  // |offset|
  bool diag, below, upper;  // below: offset < 0; upper: offset > 0, or offset 0 with lower=False

  ISTX int64_t index(int64_t row, int64_t col) const {
    if (diag) {
      if (below) return row - col == k ? col : -1;
      return col - row == k ? row : -1;
    }
    if (upper) {
      const int64_t r = col - k;
      return r >= 0 && row <= r ? r * (r + 1) / 2 + row : -1;
    }
    const int64_t r = row - k;
    return r >= 0 && col <= r ? r * (r + 1) / 2 + col : -1;
  }
};

inline Packing packingOf(const NodeAttrs& attrs, bool diag) {
  const int offset = diag ? attrs.get<la::DiagParam>().offset : attrs.get<la::TrianParam>().offset;
  const bool lower = diag ? true : attrs.get<la::TrianParam>().lower;
  return Packing{std::abs(static_cast<int64_t>(offset)), diag, offset < 0, offset > 0 || (offset == 0 && !lower)};
}

// Element i of a batch of n x n matrices; `per`: the packed length.
struct ExtractMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* packed, const T* a, Packing pk, int64_t n, int64_t per, bool add) {
    const int64_t b = i / (n * n), e = i % (n * n);
    const int64_t idx = pk.index(e / n, e % n);
    if (idx >= 0) put(packed + b * per + idx, a[i], add);
  }
};
struct MakeMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* o, const T* packed, Packing pk, int64_t n, int64_t per, bool add) {
    const int64_t b = i / (n * n), e = i % (n * n);
    const int64_t idx = pk.index(e / n, e % n);
    put(o + i, idx >= 0 ? packed[b * per + idx] : T(0), add);
  }
};

template <typename Dev, bool kExtract, bool kDiag>
void packComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const char* op = la::opName(attrs);
  const Packing pk = packingOf(attrs, kDiag);
  const TBlob& matrices = kExtract ? in[0] : out[0];
  const TBlob& packed = kExtract ? out[0] : in[0];
  const int64_t n = matrices.shape.back(), per = packed.shape.back();
  const bool add = req[0] == OpReq::kAddTo;
  void* s = ctx.run.stream;
  IST_LA_SWITCH(in[0].dtype, T, op, {
    if (kExtract) {
      DeviceKernel<ExtractMap, Dev>::launch(s, matrices.size(), 2, out[0].data<T>(),
                                            static_cast<const T*>(in[0].dptr), pk, n, per, add);
    } else {
      DeviceKernel<MakeMap, Dev>::launch(s, matrices.size(), 2, out[0].data<T>(),
                                         static_cast<const T*>(in[0].dptr), pk, n, per, add);
    }
  });
}

// Copies the strictly lower triangle of each m x m matrix onto the upper one (fromLower) or the
// reverse (exact symmetry).
struct SymmetrizeMap {
  template <typename T> ISTX static void Map(int64_t i, T* o, int64_t m, bool fromLower) {
    const int64_t b = i / (m * m), e = i % (m * m), r = e / m, c = e % m;
    if (fromLower ? r < c : r > c) o[i] = o[b * m * m + c * m + r];
  }
};

// The `lower` (or upper) triangle of each n x n matrix, zeros elsewhere.
struct TriangleMap {
  template <typename T> ISTX static void Map(int64_t i, T* o, const T* a, int64_t n, bool lower) {
    const int64_t e = i % (n * n), r = e / n, c = e % n;
    o[i] = (lower ? c <= r : c >= r) ? a[i] : T(0);
  }
};

// Runs fn(T* dst) writing a whole result, honouring req (kAddTo: into scratch, then added): the
// device counterpart of la::writeResult.
template <typename Dev, typename T, typename Fn>
void writeResultDev(const OpContext& ctx, const TBlob& out, OpReq req, Fn&& fn) {
  if (req == OpReq::kNull) return;
  if (req != OpReq::kAddTo) {
    fn(out.data<T>());
    return;
  }
  TempSpace<Dev> tmp(ctx.run.stream, static_cast<size_t>(out.size()) * sizeof(T));
  fn(tmp.template as<T>());
  DeviceKernel<dnd::AddToMap, Dev>::launch(ctx.run.stream, out.size(), 1, out.data<T>(),
                                           static_cast<const T*>(tmp.template as<T>()));
}

// out = alpha A A^T (or alpha A^T A), made exactly symmetric from its lower triangle as MXNet does.
template <typename Dev>
void syrkComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const auto& p = attrs.get<la::SyrkParam>();
  const Shape& sh = in[0].shape;
  const int64_t r = sh[sh.size() - 2], c = sh.back(), batch = la::batchOf(sh), m = p.transpose ? c : r;
  IST_LA_SWITCH(in[0].dtype, T, op, {
    writeResultDev<Dev, T>(ctx, out[0], req[0], [&](T* o) {
      GemmArgs g;
      g.dtype = DTypeOf<T>::value;
      g.transA = p.transpose;
      g.transB = !p.transpose;
      g.M = m; g.N = m; g.K = p.transpose ? r : c;
      g.alpha = p.alpha;
      g.A = in[0].dptr; g.lda = c; g.strideA = r * c;
      g.B = in[0].dptr; g.ldb = c; g.strideB = r * c;
      g.C = o; g.ldc = m; g.strideC = m * m;
      g.batch = batch;
      dnd::gemmDev<Dev>(ctx, g, op);
      DeviceKernel<SymmetrizeMap, Dev>::launch(ctx.run.stream, batch * m * m, 1, o, m, true);
    });
  });
}

// out = alpha op(A) B or alpha B op(A) for a batch of n x n matrices A of which only the `lower`
// (or upper) triangle counts, and r x c matrices B: the triangle copied out (zeros elsewhere), then
// one batched GEMM. out must not overlap a or b.
template <typename Dev, typename T>
void trmmDev(const OpContext& ctx, const T* a, const T* b, T* out, int64_t batch, int64_t n, int64_t r, int64_t c,
             bool lower, bool transpose, bool rightside, double alpha, const char* op) {
  TempSpace<Dev> tmp(ctx.run.stream, static_cast<size_t>(batch * n * n) * sizeof(T));
  T* tri = tmp.template as<T>();
  DeviceKernel<TriangleMap, Dev>::launch(ctx.run.stream, batch * n * n, 1, tri, a, n, lower);
  GemmArgs g;
  g.dtype = DTypeOf<T>::value;
  g.M = r; g.N = c; g.K = n;
  g.alpha = alpha;
  if (rightside) {  // B (r x c) . op(A) (c x c)
    g.A = b; g.lda = c; g.strideA = r * c;
    g.B = tri; g.ldb = n; g.strideB = n * n; g.transB = transpose;
  } else {  // op(A) (r x r) . B (r x c)
    g.A = tri; g.lda = n; g.strideA = n * n; g.transA = transpose;
    g.B = b; g.ldb = c; g.strideB = r * c;
  }
  g.C = out; g.ldc = c; g.strideC = r * c;
  g.batch = batch;
  dnd::gemmDev<Dev>(ctx, g, op);
}

// One right-hand side of a triangular solve, by substitution: x = alpha op(A)^-1 b where the
// vector is column j of B (rightside false) or row j of B (rightside true, solving op(A)^T x^T =
// alpha b^T). Element (i, k) of op(A) (or of its transpose for the right side) is read through
// (ta ? A[k, i] : A[i, k]); `forward`: the effective matrix is lower triangular; `unit`: its
// diagonal is taken as ones.
struct TrsmMap {
  template <typename T>
  ISTX static void Map(int64_t v, T* x, const T* a, int64_t n, int64_t vecs, int64_t stride, int64_t step,
                       bool ta, bool forward, bool unit, T alpha) {
    const int64_t b = v / vecs, j = v % vecs;
    const T* A = a + b * n * n;
    // Element q of this right-hand side lives at X[q * stride + j * step] of matrix b.
    T* X = x + b * n * vecs + j * step;
    for (int64_t s = 0; s < n; ++s) {
      const int64_t i = forward ? s : n - 1 - s;
      // The s unknowns solved before this one: 0 .. i-1 going forward, i+1 .. n-1 going back.
      const int64_t k0 = forward ? 0 : i + 1;
      T acc = alpha * X[i * stride];
      for (int64_t q = 0; q < s; ++q) {
        const int64_t k = k0 + q;
        acc -= (ta ? A[k * n + i] : A[i * n + k]) * X[k * stride];
      }
      X[i * stride] = unit ? acc : acc / A[i * n + i];
    }
  }
};

// x = alpha op(A)^-1 x or alpha x op(A)^-1 in place, for a batch of n x n matrices A (only the
// `lower` or upper triangle read, the diagonal taken as ones when `unit`) and r x c matrices x: a
// thread per right-hand side (column of x for the left side, row for the right side).
template <typename Dev, typename T>
void trsmDev(const OpContext& ctx, const T* a, T* x, int64_t batch, int64_t n, int64_t r, int64_t c, bool lower,
             bool transpose, bool rightside, bool unit, T alpha) {
  // Left: op(A) x = alpha b, op(A) lower iff lower != transpose. Right: X op(A) = alpha B, i.e.
  // op(A)^T x = alpha b per row, op(A)^T lower iff lower == transpose.
  const bool ta = rightside ? !transpose : transpose;
  const bool forward = ta ? !lower : lower;
  if (rightside)
    DeviceKernel<TrsmMap, Dev>::launch(ctx.run.stream, batch * r, 2 * n * n, x, a, n, r, int64_t(1), c, ta, forward,
                                       unit, alpha);
  else
    DeviceKernel<TrsmMap, Dev>::launch(ctx.run.stream, batch * c, 2 * n * n, x, a, n, c, c, int64_t(1), ta, forward,
                                       unit, alpha);
}

// _linalg_trsm (kSolve) and _linalg_trmm: out = alpha op(A)^-1 B / alpha op(A) B, or with B on the left.
template <typename Dev, bool kSolve>
void triangComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const auto& p = attrs.get<la::TriangParam>();
  const Shape &sa = in[0].shape, &sb = in[1].shape;
  const int64_t n = sa.back(), r = sb[sb.size() - 2], c = sb.back(), batch = la::batchOf(sa);
  IST_LA_SWITCH(in[0].dtype, T, op, {
    const T* a = static_cast<const T*>(in[0].dptr);
    const T* b = static_cast<const T*>(in[1].dptr);
    writeResultDev<Dev, T>(ctx, out[0], req[0], [&](T* o) {
      if (!kSolve) return trmmDev<Dev, T>(ctx, a, b, o, batch, n, r, c, p.lower, p.transpose, p.rightside, p.alpha, op);
      DeviceMem<Dev>::copy(ctx.run.stream, o, b, static_cast<size_t>(in[1].size()) * sizeof(T));
      trsmDev<Dev, T>(ctx, a, o, batch, n, r, c, p.lower, p.transpose, p.rightside, false, T(p.alpha));
    });
  });
}

// out[b] = sum of log A_jj over matrix b, in the matrix's type and order (as the CPU).
struct SumLogDiagMap {
  template <typename T> ISTX static void Map(int64_t b, T* o, const T* a, int64_t n, bool add) {
    T sum(0);
    for (int64_t j = 0; j < n; ++j) sum += math::log(a[b * n * n + j * (n + 1)]);
    put(o + b, sum, add);
  }
};

// dA = diag(dB / A_ii).
struct SumLogDiagGradMap {
  template <typename T> ISTX static void Map(int64_t i, T* o, const T* g, const T* a, int64_t n, bool add) {
    const int64_t b = i / (n * n), e = i % (n * n);
    put(o + i, e / n == e % n ? g[b] / a[i] : T(0), add);
  }
};

template <typename Dev>
void sumlogdiagComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const char* op = la::opName(attrs);
  const int64_t n = in[0].shape.back(), batch = la::batchOf(in[0].shape);
  IST_LA_SWITCH(in[0].dtype, T, op, {
    DeviceKernel<SumLogDiagMap, Dev>::launch(ctx.run.stream, batch, 20 * n, out[0].data<T>(),
                                             static_cast<const T*>(in[0].dptr), n, req[0] == OpReq::kAddTo);
  });
}

template <typename Dev>
void sumlogdiagBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                           const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const char* op = la::opName(attrs);
  const int64_t n = in[1].shape.back();
  IST_LA_SWITCH(in[1].dtype, T, op, {
    DeviceKernel<SumLogDiagGradMap, Dev>::launch(ctx.run.stream, in[1].size(), 2, out[0].data<T>(),
                                                 static_cast<const T*>(in[0].dptr), static_cast<const T*>(in[1].dptr),
                                                 n, req[0] == OpReq::kAddTo);
  });
}

}  // namespace ladev
}  // namespace ist
