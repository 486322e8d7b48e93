// Dense linear-algebra kernels on one matrix (float, double): the BLAS-3/LAPACK routines MXNet's
// linalg ops call (trsm, trmm, potrf, potri, getrf, LU inverse), blocked over kernels/cpu/gemm.h.
//
// Matrices are views: element (i, j) lives at p[i * ld + j], or at p[j * ld + i] for a transposed
// view (t == true). Transposes, right-side solves and the "upper" variants thus become view flips
// that map straight onto GEMM's transpose flags instead of copies.
#pragma once
#include <cstdint>

namespace ist {
namespace la {

template <typename T>
struct MatView {
  T* p = nullptr;
  int64_t rows = 0, cols = 0, ld = 0;
  bool t = false;

  T& operator()(int64_t i, int64_t j) const { return t ? p[j * ld + i] : p[i * ld + j]; }
  MatView sub(int64_t i, int64_t j, int64_t r, int64_t c) const {
    return {t ? p + j * ld + i : p + i * ld + j, r, c, ld, t};
  }
  MatView trans() const { return {p, cols, rows, ld, !t}; }
};

// A dense row-major rows x cols matrix view.
template <typename T>
MatView<T> dense(T* p, int64_t rows, int64_t cols) {
  return {p, rows, cols, cols, false};
}

// Block size of the blocked factorizations and solves: GEMM does the O(n^3) part above it.
constexpr int64_t kBlock = 64;

// C = alpha * A * B + beta * C (beta == 0 never reads C). `par`: GEMM may use parallelFor (false
// when the caller already runs batch items in parallel).
template <typename T>
void gemmView(const MatView<T>& A, const MatView<T>& B, const MatView<T>& C, T alpha, T beta,
              bool par);

// B <- alpha * op(A)^-1 * B (rightside false) or alpha * B * op(A)^-1 (rightside true), op(A) = A
// or A^T. A is square; only its `lower` (or upper) triangle is read, its diagonal taken as ones
// when `unitDiag`. A zero diagonal gives inf/NaN, as BLAS does.
template <typename T>
void trsm(const MatView<T>& A, bool lower, bool transpose, bool rightside, bool unitDiag,
          const MatView<T>& B, T alpha, bool par);

// B <- alpha * op(A) * B (rightside false) or alpha * B * op(A) (rightside true), A triangular
// with only its `lower` (or upper) triangle read.
template <typename T>
void trmm(const MatView<T>& A, bool lower, bool transpose, bool rightside, const MatView<T>& B,
          T alpha, bool par);

// In-place Cholesky factorization of the symmetric positive-definite matrix A, reading only its
// `lower` (A = L L^T) or upper (A = U^T U) triangle and writing the factor there; the other
// triangle is left as it was. Returns 0, or k >= 1 when the leading minor of order k is not
// positive definite (LAPACK's info).
template <typename T>
int64_t potrf(const MatView<T>& A, bool lower, bool par);

// In-place LU factorization with partial pivoting, P A = L U (L unit lower, U upper, both stored
// in A). piv[j] is the 1-based row swapped with row j at step j (LAPACK getrf convention).
// Returns 0, or j >= 1 when U(j-1, j-1) is exactly zero (the factorization still completes).
template <typename T>
int64_t getrf(const MatView<T>& A, int32_t* piv, bool par);

// X = A^-1 from getrf's LU and pivots (X is n x n, distinct from LU).
template <typename T>
void luInverse(const MatView<T>& LU, const int32_t* piv, const MatView<T>& X, bool par);

// sign(det A) and log|det A| from getrf's output (MXNet's SignedLogDet).
template <typename T>
void luSignLogDet(const MatView<T>& LU, const int32_t* piv, T* sign, T* logabsdet);

// Runs fn(b, par) for every b in [0, batch): batch items in parallel when there are several and
// each is small, otherwise one after another with `par` letting the kernels themselves go parallel.
// `flopsPerItem` is the rough cost of one item. fn returns a failure code (0: fine); the failure of
// the lowest batch index is returned as {index, code}, or {-1, 0}.
struct BatchFailure {
  int64_t index = -1;
  int64_t code = 0;
};
template <typename Fn>
BatchFailure forEachMatrix(int64_t batch, int64_t flopsPerItem, Fn&& fn);

// n³: the flop scale of an n×n factorisation or solve, for forEachMatrix.
inline int64_t cube(int64_t n) { return n * n * n; }

}  // namespace la
}  // namespace ist

#include "ops/linalg/la_batch-inl.h"
