// The per-matrix kernels of _linalg_gelqf and _linalg_syevd (decomp_ops.cc), written once as ISTX
// functions: the CPU computes call them matrix by matrix, the device computes (decomp_device.h) run
// them one matrix per thread. Both are plain sequential loops on one row-major matrix and its
// scratch, so every device gives the same factors up to the compilers' rounding.
//
// lqFactor: Householder LQ with LAPACK's conventions (gelq2 + orgl2, which MXNet calls): reflector
// i turns row i's part right of the diagonal into zeros, its diagonal becoming
// beta = -sign(alpha) * ||(alpha, x)|| (sign(+-0) the sign bit, as Fortran's SIGN); a row whose
// part right of the diagonal is exactly zero gets no reflector (tau = 0), its diagonal kept as is.
// So L's diagonal has LAPACK's signs, not necessarily positive ones (MXNet documents none other).
//
// symEigen: cyclic Jacobi rotations on the symmetric matrix whose lower triangle is read (MXNet's
// syevd reads the lower triangle), eigenvalues sorted ascending with the eigenvectors as rows, then
// MXNet's sign rule (SyevdEigenVecSigns): each row's entry of largest magnitude, the first of equal
// ones, is made positive. The sweeps are capped (kMaxSweeps); a finite matrix that has not
// converged by then is reported, and a matrix with a NaN or an infinity in its lower triangle gives
// NaN eigenvalues and eigenvectors (what LAPACK's dsyevd returns through OpenBLAS, as NumPy shows).
//
// Both scale the matrix by a power of two first (exact), so that sums of squares neither overflow
// nor underflow whatever the magnitude of the entries.
#pragma once
#include <math.h>
#include <cstdint>
#include <limits>
#include "base/macros.h"
#include "ops/linalg/la_common.h"

namespace ist {
namespace decomp {

ISTX float sqrtOf(float x) { return ::sqrtf(x); }
ISTX double sqrtOf(double x) { return ::sqrt(x); }
ISTX float absOf(float x) { return ::fabsf(x); }
ISTX double absOf(double x) { return ::fabs(x); }
ISTX float frexpOf(float x, int* e) { return ::frexpf(x, e); }
ISTX double frexpOf(double x, int* e) { return ::frexp(x, e); }
ISTX float ldexpOf(float x, int e) { return ::ldexpf(x, e); }
ISTX double ldexpOf(double x, int e) { return ::ldexp(x, e); }
ISTX float copySignOf(float x, float s) { return ::copysignf(x, s); }
ISTX double copySignOf(double x, double s) { return ::copysign(x, s); }

template <typename T> ISTX bool isFinite(T x) { return absOf(x) <= std::numeric_limits<T>::max(); }

// The exponent e with max |v_k| = f * 2^e, f in [0.5, 1) (0 for a zero matrix); `finite` false when
// some value is NaN or infinite. `stride`: 0 for a dense run of `count` values, otherwise the
// values are the lower triangle of an n x n matrix with n = stride.
template <typename T>
ISTX int scaleExponent(const T* v, int64_t count, int64_t stride, bool* finite) {
  T maxabs(0);
  *finite = true;
  for (int64_t k = 0; k < count; ++k) {
    if (stride > 0 && k % stride > k / stride) continue;  // the upper triangle is not read
    const T a = absOf(v[k]);
    if (!isFinite(a)) *finite = false;
    else if (a > maxabs) maxabs = a;
  }
  int e = 0;
  if (*finite && maxabs > T(0)) frexpOf(maxabs, &e);
  return e;
}

// ---- LQ: a (m x n, m <= n) = L (m x m, lower) * Q (m x n, orthonormal rows) ----

// Scratch of one matrix: w (m x n, the reflectors) and tau (m).
// x <- x (I - tau v v^T) for a row x of length n and a reflector v with v_i = 1 and nothing before i.
template <typename T>
ISTX void reflectRow(T* x, const T* v, T tau, int64_t i, int64_t n) {
  T dot = x[i];
  for (int64_t j = i + 1; j < n; ++j) dot += x[j] * v[j];
  dot *= tau;
  x[i] -= dot;
  for (int64_t j = i + 1; j < n; ++j) x[j] -= dot * v[j];
}

ISTX int64_t lqScratch(int64_t m, int64_t n) { return m * n + m; }

template <typename T>
ISTX void lqFactor(const T* a, int64_t m, int64_t n, T* scratch, T* q, T* l) {
  T* w = scratch;
  T* tau = scratch + m * n;
  bool finite = true;
  const int e = scaleExponent(a, m * n, 0, &finite);
  if (!finite) {  // LAPACK's reflections spread a NaN or an infinity over the whole factorisation
    const T nan = std::numeric_limits<T>::quiet_NaN();
    for (int64_t k = 0; k < m * n; ++k) q[k] = nan;
    for (int64_t r = 0; r < m; ++r)
      for (int64_t c = 0; c < m; ++c) l[r * m + c] = c <= r ? nan : T(0);
    return;
  }
  for (int64_t k = 0; k < m * n; ++k) w[k] = ldexpOf(a[k], -e);
  // gelq2: reflector i from row i, applied to the rows below it.
  for (int64_t i = 0; i < m; ++i) {
    T* v = w + i * n;
    const T alpha = v[i];
    T xmax(0);
    for (int64_t j = i + 1; j < n; ++j) xmax = absOf(v[j]) > xmax ? absOf(v[j]) : xmax;
    if (xmax == T(0)) {
      tau[i] = T(0);
      continue;
    }
    const T s = absOf(alpha) > xmax ? absOf(alpha) : xmax;
    T ss(0);
    for (int64_t j = i + 1; j < n; ++j) {
      const T t = v[j] / s;
      ss += t * t;
    }
    const T ta = alpha / s;
    const T beta = -copySignOf(s * sqrtOf(ta * ta + ss), alpha);
    tau[i] = (beta - alpha) / beta;
    const T inv = T(1) / (alpha - beta);
    for (int64_t j = i + 1; j < n; ++j) v[j] *= inv;
    v[i] = beta;
    for (int64_t r = i + 1; r < m; ++r) reflectRow(w + r * n, v, tau[i], i, n);
  }
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c < m; ++c) l[r * m + c] = c <= r ? ldexpOf(w[r * n + c], e) : T(0);
  // orgl2: Q = the first m rows of H(m-1) ... H(0), built from the last reflector back. Before
  // H(i) is applied, rows r < i are still unit rows with no weight on columns >= i, so only rows
  // i.. change.
  for (int64_t k = 0; k < m * n; ++k) q[k] = T(0);
  for (int64_t r = 0; r < m; ++r) q[r * n + r] = T(1);
  for (int64_t i = m - 1; i >= 0; --i) {
    if (tau[i] == T(0)) continue;
    const T* v = w + i * n;
    for (int64_t r = i; r < m; ++r) reflectRow(q + r * n, v, tau[i], i, n);
  }
}

// ---- symmetric eigendecomposition: A = U^T diag(lam) U ----

// Cyclic sweeps before a matrix counts as not converging: Jacobi converges quadratically, in
// about 5-15 sweeps for any size the ops see.
constexpr int kMaxSweeps = 100;

// Scratch of one matrix: w (n x n).
ISTX int64_t eigenScratch(int64_t n) { return n * n; }

// Returns 0, or kMaxSweeps + 1 when the rotations did not converge (u and lam are then written
// from where they stopped).
template <typename T>
ISTX int64_t symEigen(const T* a, int64_t n, T* w, T* u, T* lam) {
  bool finite = true;
  const int e = scaleExponent(a, n * n, n, &finite);
  if (!finite) {
    const T nan = std::numeric_limits<T>::quiet_NaN();
    for (int64_t k = 0; k < n * n; ++k) u[k] = nan;
    for (int64_t k = 0; k < n; ++k) lam[k] = nan;
    return 0;
  }
  T norm2(0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      const T v = ldexpOf(a[i * n + j], -e);
      w[i * n + j] = v;
      w[j * n + i] = v;
      norm2 += i == j ? v * v : T(2) * v * v;
    }
  for (int64_t k = 0; k < n * n; ++k) u[k] = k / n == k % n ? T(1) : T(0);
  const T eps = std::numeric_limits<T>::epsilon();
  const T tol = eps * eps * norm2;
  int64_t failed = kMaxSweeps + 1;
  for (int sweep = 0; sweep <= kMaxSweeps; ++sweep) {
    T off(0);
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) off += w[p * n + q] * w[p * n + q];
    if (off <= tol) {
      failed = 0;
      break;
    }
    if (sweep == kMaxSweeps) break;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        const T apq = w[p * n + q];
        if (apq == T(0)) continue;
        const T app = w[p * n + p], aqq = w[q * n + q];
        // The rotation (c, s) = (1, t) / sqrt(1 + t^2) with t the smaller root of
        // t^2 + 2 theta t - 1 = 0 zeroes A(p, q) (Golub & Van Loan's symmetric Schur step).
        const T theta = (aqq - app) / (T(2) * apq);
        const T at = absOf(theta);
        T t;
        if (at > T(1) / eps) {  // 1 + theta^2 would round to theta^2 (or overflow)
          t = T(0.5) / theta;
        } else {
          t = T(1) / (at + sqrtOf(T(1) + at * at));
          if (theta < T(0)) t = -t;
        }
        const T c = T(1) / sqrtOf(T(1) + t * t), s = t * c;
        w[p * n + p] = app - t * apq;
        w[q * n + q] = aqq + t * apq;
        w[p * n + q] = w[q * n + p] = T(0);
        for (int64_t k = 0; k < n; ++k) {
          if (k == p || k == q) continue;
          const T akp = w[k * n + p], akq = w[k * n + q];
          w[k * n + p] = w[p * n + k] = c * akp - s * akq;
          w[k * n + q] = w[q * n + k] = s * akp + c * akq;
        }
        T* up = u + p * n;
        T* uq = u + q * n;
        for (int64_t k = 0; k < n; ++k) {
          const T x = up[k], y = uq[k];
          up[k] = c * x - s * y;
          uq[k] = s * x + c * y;
        }
      }
  }
  // Ascending eigenvalues (selection sort; the first of equal ones stays first), rows along.
  for (int64_t i = 0; i < n; ++i) lam[i] = w[i * n + i];
  for (int64_t i = 0; i < n; ++i) {
    int64_t k = i;
    for (int64_t j = i + 1; j < n; ++j)
      if (lam[j] < lam[k]) k = j;
    if (k == i) continue;
    const T d = lam[i];
    lam[i] = lam[k];
    lam[k] = d;
    for (int64_t c = 0; c < n; ++c) {
      const T x = u[i * n + c];
      u[i * n + c] = u[k * n + c];
      u[k * n + c] = x;
    }
  }
  for (int64_t i = 0; i < n; ++i) lam[i] = ldexpOf(lam[i], e);
  // MXNet's SyevdEigenVecSigns: the first entry of largest magnitude of each row is positive.
  for (int64_t i = 0; i < n; ++i) {
    T* row = u + i * n;
    int64_t k = 0;
    for (int64_t c = 1; c < n; ++c)
      if (absOf(row[c]) > absOf(row[k])) k = c;
    if (row[k] < T(0))
      for (int64_t c = 0; c < n; ++c) row[c] = -row[c];
  }
  return failed;
}

// Raised alike by the CPU compute and the device ones: symEigen's non-convergence (f.index: the
// first matrix that failed, -1 for none).
inline void checkEigenConverged(const char* op, const Shape& s, const la::BatchFailure& f) {
  IST_CHECK(f.index < 0, op, "A",
            "the eigenvalue iteration did not converge for " << la::batchItem(s, f.index) << " (" << kMaxSweeps
                                                             << " Jacobi sweeps; input shape " << shapeString(s)
                                                             << ")");
}

// ---- the gradient of syevd (MXNet's syevd_backward) ----
//
// dA = U^T Y U with X = dU U^T and Y symmetric: Y(i, i) = dL(i) and, for i > j,
// Y(i, j) = Y(j, i) = (X(i, j) - X(j, i)) / (2 max(L(i) - L(j), floor)), the eigengap floored at
// MXNet's 1e-30 (float32) or 1e-100 (float64).
ISTX float eigenGapFloor(float) { return 1e-30f; }
ISTX double eigenGapFloor(double) { return 1e-100; }

// Y(r, c) of one matrix: x = X (n x n), lam = L, dlam = dL (n each).
template <typename T>
ISTX T syevdGradMiddle(const T* x, const T* lam, const T* dlam, int64_t n, int64_t r, int64_t c) {
  if (r == c) return dlam[r];
  const int64_t i = r > c ? r : c, j = r > c ? c : r;
  T denom = lam[i] - lam[j];
  if (denom < eigenGapFloor(T(0))) denom = eigenGapFloor(T(0));
  denom *= T(2);
  return (x[i * n + j] - x[j * n + i]) / denom;
}

}  // namespace decomp
}  // namespace ist
