// Blocked triangular solve/multiply, Cholesky and LU on matrix views; GEMM (kernels/cpu/gemm.h)
// carries the trailing updates, small unblocked loops handle the diagonal blocks.
#include "ops/linalg/la_kernels.h"
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>
#include "kernels/cpu/gemm.h"

namespace ist {
namespace la {

template <typename T>
void gemmView(const MatView<T>& A, const MatView<T>& B, const MatView<T>& C, T alpha, T beta,
              bool par) {
  if (C.rows == 0 || C.cols == 0) return;
  if (C.t) {  // C^T = B^T A^T keeps the output row-major for GEMM
    gemmView(B.trans(), A.trans(), C.trans(), alpha, beta, par);
    return;
  }
  if (A.cols == 0) {  // empty inner dimension: C = beta * C
    for (int64_t i = 0; i < C.rows; ++i)
      for (int64_t j = 0; j < C.cols; ++j) C(i, j) = beta == T(0) ? T(0) : beta * C(i, j);
    return;
  }
  gemm<T>(A.t, B.t, C.rows, C.cols, A.cols, alpha, A.p, A.ld, B.p, B.ld, beta, C.p, C.ld, par);
}

namespace {

// Block starts 0, kBlock, 2 kBlock, ... below n.
std::vector<int64_t> blockStarts(int64_t n) {
  std::vector<int64_t> s;
  for (int64_t k = 0; k < n; k += kBlock) s.push_back(k);
  return s;
}

// Forward/back substitution on one diagonal block: B <- L^-1 B or U^-1 B.
template <typename T>
void trsmLeftUnblocked(const MatView<T>& A, bool lower, bool unit, const MatView<T>& B) {
  const int64_t n = A.rows, m = B.cols;
  if (!B.t) {  // rows of B are contiguous: row-oriented updates
    auto step = [&](int64_t i, int64_t j0, int64_t j1) {
      T* bi = &B(i, 0);
      for (int64_t j = j0; j < j1; ++j) {
        const T a = A(i, j);
        if (a == T(0)) continue;
        const T* bj = &B(j, 0);
        for (int64_t c = 0; c < m; ++c) bi[c] -= a * bj[c];
      }
      if (!unit) {
        const T d = A(i, i);
        for (int64_t c = 0; c < m; ++c) bi[c] /= d;
      }
    };
    if (lower) for (int64_t i = 0; i < n; ++i) step(i, 0, i);
    else for (int64_t i = n - 1; i >= 0; --i) step(i, i + 1, n);
    return;
  }
  // Columns of B are contiguous: one substitution per column.
  for (int64_t c = 0; c < m; ++c) {
    T* bc = &B(0, c);  // B(i, c) == bc[i]
    if (lower) {
      for (int64_t i = 0; i < n; ++i) {
        T s = bc[i];
        for (int64_t j = 0; j < i; ++j) s -= A(i, j) * bc[j];
        bc[i] = unit ? s : s / A(i, i);
      }
    } else {
      for (int64_t i = n - 1; i >= 0; --i) {
        T s = bc[i];
        for (int64_t j = i + 1; j < n; ++j) s -= A(i, j) * bc[j];
        bc[i] = unit ? s : s / A(i, i);
      }
    }
  }
}

// B <- A^-1 B for triangular A (already the effective op(A)).
template <typename T>
void trsmLeft(const MatView<T>& A, bool lower, bool unit, const MatView<T>& B, bool par) {
  const int64_t n = A.rows, m = B.cols;
  if (n == 0 || m == 0) return;
  const std::vector<int64_t> starts = blockStarts(n);
  if (lower) {
    for (int64_t k : starts) {
      const int64_t kb = std::min(kBlock, n - k), rest = n - k - kb;
      trsmLeftUnblocked(A.sub(k, k, kb, kb), true, unit, B.sub(k, 0, kb, m));
      if (rest > 0)
        gemmView(A.sub(k + kb, k, rest, kb), B.sub(k, 0, kb, m), B.sub(k + kb, 0, rest, m), T(-1),
                 T(1), par);
    }
  } else {
    for (auto it = starts.rbegin(); it != starts.rend(); ++it) {
      const int64_t k = *it, kb = std::min(kBlock, n - k);
      trsmLeftUnblocked(A.sub(k, k, kb, kb), false, unit, B.sub(k, 0, kb, m));
      if (k > 0)
        gemmView(A.sub(0, k, k, kb), B.sub(k, 0, kb, m), B.sub(0, 0, k, m), T(-1), T(1), par);
    }
  }
}

// In-place B <- A B on one diagonal block.
template <typename T>
void trmmLeftUnblocked(const MatView<T>& A, bool lower, const MatView<T>& B) {
  const int64_t n = A.rows, m = B.cols;
  // Lower: row i needs the old rows j < i, so go bottom-up; upper: top-down.
  auto row = [&](int64_t i, int64_t j0, int64_t j1) {
    const T d = A(i, i);
    for (int64_t c = 0; c < m; ++c) {
      T s = d * B(i, c);
      for (int64_t j = j0; j < j1; ++j) s += A(i, j) * B(j, c);
      B(i, c) = s;
    }
  };
  if (lower) for (int64_t i = n - 1; i >= 0; --i) row(i, 0, i);
  else for (int64_t i = 0; i < n; ++i) row(i, i + 1, n);
}

template <typename T>
void trmmLeft(const MatView<T>& A, bool lower, const MatView<T>& B, bool par) {
  const int64_t n = A.rows, m = B.cols;
  if (n == 0 || m == 0) return;
  const std::vector<int64_t> starts = blockStarts(n);
  if (lower) {
    // Block row k of the result reads block rows 0..k of B: finish from the bottom up.
    for (auto it = starts.rbegin(); it != starts.rend(); ++it) {
      const int64_t k = *it, kb = std::min(kBlock, n - k);
      trmmLeftUnblocked(A.sub(k, k, kb, kb), true, B.sub(k, 0, kb, m));
      if (k > 0)
        gemmView(A.sub(k, 0, kb, k), B.sub(0, 0, k, m), B.sub(k, 0, kb, m), T(1), T(1), par);
    }
  } else {
    for (int64_t k : starts) {
      const int64_t kb = std::min(kBlock, n - k), rest = n - k - kb;
      trmmLeftUnblocked(A.sub(k, k, kb, kb), false, B.sub(k, 0, kb, m));
      if (rest > 0)
        gemmView(A.sub(k, k + kb, kb, rest), B.sub(k + kb, 0, rest, m), B.sub(k, 0, kb, m), T(1),
                 T(1), par);
    }
  }
}

template <typename T>
void scale(const MatView<T>& B, T alpha) {
  if (alpha == T(1)) return;
  for (int64_t i = 0; i < B.rows; ++i)
    for (int64_t j = 0; j < B.cols; ++j) B(i, j) *= alpha;
}

// Cholesky of one diagonal block (lower, reading the lower triangle). Returns LAPACK's info.
template <typename T>
int64_t potrfUnblocked(const MatView<T>& A) {
  const int64_t n = A.rows;
  for (int64_t j = 0; j < n; ++j) {
    T s = A(j, j);
    for (int64_t k = 0; k < j; ++k) s -= A(j, k) * A(j, k);
    if (!(s > T(0))) return j + 1;  // also catches NaN
    const T d = std::sqrt(s);
    A(j, j) = d;
    for (int64_t i = j + 1; i < n; ++i) {
      T v = A(i, j);
      for (int64_t k = 0; k < j; ++k) v -= A(i, k) * A(j, k);
      A(i, j) = v / d;
    }
  }
  return 0;
}

}  // namespace

template <typename T>
void trsm(const MatView<T>& A, bool lower, bool transpose, bool rightside, bool unitDiag,
          const MatView<T>& B, T alpha, bool par) {
  scale(B, alpha);
  const MatView<T> opA = transpose ? A.trans() : A;
  const bool opLower = lower != transpose;
  // X op(A) = B  <=>  op(A)^T X^T = B^T
  if (!rightside) trsmLeft(opA, opLower, unitDiag, B, par);
  else trsmLeft(opA.trans(), !opLower, unitDiag, B.trans(), par);
}

template <typename T>
void trmm(const MatView<T>& A, bool lower, bool transpose, bool rightside, const MatView<T>& B,
          T alpha, bool par) {
  const MatView<T> opA = transpose ? A.trans() : A;
  const bool opLower = lower != transpose;
  if (!rightside) trmmLeft(opA, opLower, B, par);
  else trmmLeft(opA.trans(), !opLower, B.trans(), par);
  scale(B, alpha);
}

template <typename T>
int64_t potrf(const MatView<T>& A0, bool lower, bool par) {
  // The upper factor of A is the lower factor of A^T, read through a transposed view.
  const MatView<T> A = lower ? A0 : A0.trans();
  const int64_t n = A.rows;
  for (int64_t k = 0; k < n; k += kBlock) {
    const int64_t kb = std::min(kBlock, n - k), rest = n - k - kb;
    const int64_t info = potrfUnblocked(A.sub(k, k, kb, kb));
    if (info != 0) return k + info;
    if (rest == 0) break;
    const MatView<T> L11 = A.sub(k, k, kb, kb), L21 = A.sub(k + kb, k, rest, kb);
    // L21 = A21 L11^-T
    trsm(L11, true, true, true, false, L21, T(1), par);
    // A22 -= L21 L21^T, lower part only, one block row at a time.
    for (int64_t i = 0; i < rest; i += kBlock) {
      const int64_t ib = std::min(kBlock, rest - i);
      gemmView(L21.sub(i, 0, ib, kb), L21.sub(0, 0, i + ib, kb).trans(),
               A.sub(k + kb + i, k + kb, ib, i + ib), T(-1), T(1), par);
    }
  }
  return 0;
}

template <typename T>
int64_t getrf(const MatView<T>& A, int32_t* piv, bool par) {
  const int64_t n = A.rows;
  int64_t info = 0;
  for (int64_t k = 0; k < n; k += kBlock) {
    const int64_t kb = std::min(kBlock, n - k), end = k + kb, rest = n - end;
    // Panel factorization of columns [k, end) over rows [k, n); swaps move whole rows.
    for (int64_t j = k; j < end; ++j) {
      int64_t p = j;
      T best = std::abs(A(j, j));
      for (int64_t i = j + 1; i < n; ++i) {
        const T v = std::abs(A(i, j));
        if (v > best) { best = v; p = i; }
      }
      piv[j] = static_cast<int32_t>(p + 1);
      if (p != j)
        for (int64_t c = 0; c < n; ++c) std::swap(A(j, c), A(p, c));
      const T d = A(j, j);
      if (d != T(0)) {
        for (int64_t i = j + 1; i < n; ++i) A(i, j) /= d;
      } else if (info == 0) {
        info = j + 1;
      }
      for (int64_t i = j + 1; i < n; ++i) {
        const T l = A(i, j);
        if (l == T(0)) continue;
        for (int64_t c = j + 1; c < end; ++c) A(i, c) -= l * A(j, c);
      }
    }
    if (rest == 0) continue;
    // U12 = L11^-1 A12, then A22 -= L21 U12.
    trsmLeft(A.sub(k, k, kb, kb), true, true, A.sub(k, end, kb, rest), par);
    gemmView(A.sub(end, k, rest, kb), A.sub(k, end, kb, rest), A.sub(end, end, rest, rest), T(-1),
             T(1), par);
  }
  return info;
}

template <typename T>
void luInverse(const MatView<T>& LU, const int32_t* piv, const MatView<T>& X, bool par) {
  const int64_t n = LU.rows;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) X(i, j) = i == j ? T(1) : T(0);
  // A X = I  <=>  L U X = P I, P applying the recorded swaps in order.
  for (int64_t j = 0; j < n; ++j) {
    const int64_t p = piv[j] - 1;
    if (p != j)
      for (int64_t c = 0; c < n; ++c) std::swap(X(j, c), X(p, c));
  }
  trsmLeft(LU, true, true, X, par);
  trsmLeft(LU, false, false, X, par);
}

template <typename T>
void luSignLogDet(const MatView<T>& LU, const int32_t* piv, T* sign, T* logabsdet) {
  const int64_t n = LU.rows;
  int64_t swaps = 0;
  T s(1), l(0);
  for (int64_t j = 0; j < n; ++j) {
    swaps += piv[j] != j + 1;
    const T d = LU(j, j);
    s *= static_cast<T>((T(0) < d) - (d < T(0)));
    l += std::log(std::abs(d));
  }
  *sign = s == T(0) ? T(0) : (swaps % 2 == 1 ? -s : s);  // +0, not -0, for singular matrices
  *logabsdet = l;
}

#define IST_LA_INSTANTIATE(T)                                                                     \
  template void gemmView<T>(const MatView<T>&, const MatView<T>&, const MatView<T>&, T, T, bool); \
  template void trsm<T>(const MatView<T>&, bool, bool, bool, bool, const MatView<T>&, T, bool);   \
  template void trmm<T>(const MatView<T>&, bool, bool, bool, const MatView<T>&, T, bool);         \
  template int64_t potrf<T>(const MatView<T>&, bool, bool);                                       \
  template int64_t getrf<T>(const MatView<T>&, int32_t*, bool);                                   \
  template void luInverse<T>(const MatView<T>&, const int32_t*, const MatView<T>&, bool);         \
  template void luSignLogDet<T>(const MatView<T>&, const int32_t*, T*, T*);
IST_LA_INSTANTIATE(float)
IST_LA_INSTANTIATE(double)
#undef IST_LA_INSTANTIATE

}  // namespace la
}  // namespace ist
