// The factorisations with two outputs (MXNet's la_op.cc): _linalg_gelqf (LQ, alias linalg_gelqf)
// and _linalg_syevd (symmetric eigendecomposition; MXNet registers no alias for it), with their
// hidden gradients _backward_linalg_gelqf and _backward_linalg_syevd, which take both output
// gradients and both outputs (MXNet's ElemwiseGradUseOut).
//
// The factorisations run decomp_kernels.h's per-matrix kernels, the batch spread over threads; the
// gradients compose the blocked trmm/trsm/GEMM kernels as MXNet's formulas do. decomp_device.h
// holds the device versions (decomp.cu).
#include <cstring>
#include <string>
#include <vector>
#include "ops/linalg/decomp_kernels.h"
#include "ops/linalg/la_common.h"

namespace ist {
namespace decomp_ops {
namespace {

using la::MatView;

// ---- shapes ----

// MXNet's LaLQFactShape: A (..., m, n) with m <= n; Q like A, L (..., m, m).
void gelqfShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const char* op = la::opName(attrs);
  const Shape& s = in[0];
  la::checkMatrices(op, "A", s, false);
  IST_CHECK(s[s.size() - 2] <= s.back(), op, "A",
            "needs at least as many columns as rows (an (..., m, n) input with m <= n; its LQ factorization "
            "has L of shape (..., m, m)), got shape " << shapeString(s));
  out[0] = s;
  Shape l(s.begin(), s.end() - 1);
  l.push_back(s[s.size() - 2]);
  out[1] = l;
}

// MXNet's LaEigFactShape: A (..., n, n); U like A, L (..., n).
void syevdShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  la::checkMatrices(la::opName(attrs), "A", in[0], true);
  out[0] = in[0];
  out[1] = Shape(in[0].begin(), in[0].end() - 1);
}

// `arg` of shape `got` must have shape `want`, which the forward output `from` implies.
void checkImplied(const char* op, const std::string& arg, const Shape& got, const Shape& want, const char* from,
                  const Shape& fromShape) {
  IST_CHECK(got == want, op, arg,
            "has shape " << shapeString(got) << " but " << from << " of shape " << shapeString(fromShape) << " needs "
                         << shapeString(want));
}

// (dQ, dL, Q, L) -> dA of Q's shape.
void gelqfBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  for (auto& s : in) if (!shapeIsKnown(s)) return;
  const char* op = la::opName(attrs);
  const Shape& q = in[2];
  la::checkMatrices(op, "Q", q, false);
  IST_CHECK(q[q.size() - 2] <= q.back(), op, "Q",
            "needs at least as many columns as rows (m <= n), got shape " << shapeString(q));
  Shape l(q.begin(), q.end() - 1);
  l.push_back(q[q.size() - 2]);
  checkImplied(op, "L", in[3], l, "Q", q);
  checkImplied(op, "dQ", in[0], q, "Q", q);
  checkImplied(op, "dL", in[1], l, "Q", q);
  out[0] = q;
}

// (dU, dL, U, L) -> dA of U's shape.
void syevdBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  for (auto& s : in) if (!shapeIsKnown(s)) return;
  const char* op = la::opName(attrs);
  const Shape& u = in[2];
  la::checkMatrices(op, "U", u, true);
  const Shape l(u.begin(), u.end() - 1);
  checkImplied(op, "L", in[3], l, "U", u);
  checkImplied(op, "dU", in[0], u, "U", u);
  checkImplied(op, "dL", in[1], l, "U", u);
  out[0] = u;
}

// ---- forward ----

// dst[0, count) (=|+=) src, per the request.
template <typename T>
void store(T* dst, const T* src, int64_t count, OpReq req) {
  if (req == OpReq::kNull) return;
  if (req == OpReq::kAddTo) {
    for (int64_t k = 0; k < count; ++k) dst[k] += src[k];
  } else if (count > 0) {
    std::memcpy(dst, src, static_cast<size_t>(count) * sizeof(T));
  }
}

void gelqfCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[0].shape;
  const int64_t m = s[s.size() - 2], n = s.back(), batch = la::batchOf(s);
  if (m == 0) return;
  IST_LA_SWITCH(in[0].dtype, T, op, {
    const T* a = in[0].data<T>();
    la::forEachMatrix(batch, 4 * m * m * n, [&](int64_t b, bool) -> int64_t {
      std::vector<T> work(static_cast<size_t>(decomp::lqScratch(m, n) + m * n + m * m));
      T* q = work.data() + decomp::lqScratch(m, n);
      T* l = q + m * n;
      decomp::lqFactor(a + b * m * n, m, n, work.data(), q, l);
      store(out[0].data<T>() + b * m * n, q, m * n, req[0]);
      store(out[1].data<T>() + b * m * m, l, m * m, req[1]);
      return 0;
    });
  });
}

void syevdCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  if (n == 0) return;
  IST_LA_SWITCH(in[0].dtype, T, op, {
    const T* a = in[0].data<T>();
    const la::BatchFailure f = la::forEachMatrix(batch, 30 * la::cube(n), [&](int64_t b, bool) -> int64_t {
      std::vector<T> work(static_cast<size_t>(decomp::eigenScratch(n) + n * n + n));
      T* u = work.data() + decomp::eigenScratch(n);
      T* lam = u + n * n;
      const int64_t code = decomp::symEigen(a + b * n * n, n, work.data(), u, lam);
      store(out[0].data<T>() + b * n * n, u, n * n, req[0]);
      store(out[1].data<T>() + b * n, lam, n, req[1]);
      return code;
    });
    decomp::checkEigenConverged(op, s, f);
  });
}

// ---- gradients ----

// Both output gradients (zeros for an unused output) and both outputs.
std::vector<NodeEntry> useOutputsGradient(const NodePtr& n, const std::vector<NodeEntry>& og,
                                          const char* backwardOp) {
  return {makeEntry(backwardOp, {og[0], og[1], NodeEntry{n, 0}, NodeEntry{n, 1}})};
}

// MXNet's gelqf_backward: dA = L^-T (dQ + copyLTU(M) Q) with M = L^T dL - dQ Q^T, copyLTU mirroring
// the lower triangle onto the upper one.
void gelqfBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[2].shape;
  const int64_t m = s[s.size() - 2], n = s.back(), batch = la::batchOf(s);
  if (out[0].size() == 0) return;
  IST_LA_SWITCH(in[2].dtype, T, op, {
    T* dQp = in[0].data<T>();
    T* dLp = in[1].data<T>();
    T* Qp = in[2].data<T>();
    T* Lp = in[3].data<T>();
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      la::forEachMatrix(batch, 6 * m * m * n, [&](int64_t b, bool par) -> int64_t {
        const MatView<T> L = la::dense(Lp + b * m * m, m, m);
        const MatView<T> Q = la::dense(Qp + b * m * n, m, n);
        const MatView<T> dQ = la::dense(dQp + b * m * n, m, n);
        std::vector<T> mbuf(dLp + b * m * m, dLp + (b + 1) * m * m);
        const MatView<T> M = la::dense(mbuf.data(), m, m);
        la::trmm(L, true, true, false, M, T(1), par);       // M = L^T dL
        la::gemmView(dQ, Q.trans(), M, T(-1), T(1), par);  // M -= dQ Q^T
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < i; ++j) M(j, i) = M(i, j);
        const MatView<T> D = la::dense(o + b * m * n, m, n);
        std::memcpy(D.p, dQ.p, static_cast<size_t>(m * n) * sizeof(T));
        la::gemmView(M, Q, D, T(1), T(1), par);              // dQ + M Q
        la::trsm(L, true, true, false, false, D, T(1), par);  // L^-T (...)
        return 0;
      });
    });
  });
}

// MXNet's syevd_backward: dA = U^T Y U, Y from X = dU U^T, L and dL (decomp::syevdGradMiddle).
void syevdBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[2].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  if (out[0].size() == 0) return;
  IST_LA_SWITCH(in[2].dtype, T, op, {
    T* dUp = in[0].data<T>();
    const T* dLp = in[1].data<T>();
    T* Up = in[2].data<T>();
    const T* Lp = in[3].data<T>();
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      la::forEachMatrix(batch, 6 * la::cube(n), [&](int64_t b, bool par) -> int64_t {
        const MatView<T> U = la::dense(Up + b * n * n, n, n);
        std::vector<T> xbuf(static_cast<size_t>(n * n)), ybuf(static_cast<size_t>(n * n));
        const MatView<T> X = la::dense(xbuf.data(), n, n), Y = la::dense(ybuf.data(), n, n);
        la::gemmView(la::dense(dUp + b * n * n, n, n), U.trans(), X, T(1), T(0), par);
        for (int64_t r = 0; r < n; ++r)
          for (int64_t c = 0; c < n; ++c) Y(r, c) = decomp::syevdGradMiddle(X.p, Lp + b * n, dLp + b * n, n, r, c);
        la::gemmView(U.trans(), Y, X, T(1), T(0), par);
        la::gemmView(X, U, la::dense(o + b * n * n, n, n), T(1), T(0), par);
        return 0;
      });
    });
  });
}

// ---- registrations ----

IST_REGISTER_OP(_linalg_gelqf)
    .alias("linalg_gelqf")
    .describe(
        "LQ factorization of a general matrix: A (..., m, n) with m <= n (and full rank m) gives Q (..., m, n) "
        "with orthonormal rows (Q Q^T = I) and L (..., m, m) lower triangular, the upper triangle zero, with "
        "A = L Q; outputs (Q, L). LAPACK's gelqf + orglq conventions (Householder reflections), so L's "
        "diagonal entries may be negative. Batched over the leading axes. float32 and float64 only.")
    .inputs({"A"})
    // Outputs Q, L: MXNet declares no output names, so list_outputs says outputN.
    .outputs({"output0", "output1"})
    .inferShape(gelqfShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, gelqfCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return useOutputsGradient(n, og, "_backward_linalg_gelqf");
    });

IST_REGISTER_OP(_backward_linalg_gelqf)
    .describe("Gradient of _linalg_gelqf: (dQ, dL, Q, L) -> L^-T (dQ + copyLTU(L^T dL - dQ Q^T) Q).")
    .inputs({"dQ", "dL", "Q", "L"})
    .inferShape(gelqfBackwardShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, gelqfBackwardCompute);

IST_REGISTER_OP(_linalg_syevd)
    .describe(
        "Eigendecomposition of a symmetric matrix: A (..., n, n), of which only the lower triangle is read, "
        "gives U (..., n, n) whose rows are orthonormal eigenvectors and L (..., n) the eigenvalues in "
        "ascending order, with A = U^T diag(L) U; outputs (U, L). The sign of each row of U makes its entry of "
        "largest magnitude (the first of equal ones) positive, as MXNet does. A NaN or infinity in the lower "
        "triangle gives NaN outputs. Gradients need distinct, well separated eigenvalues. Batched over the "
        "leading axes. float32 and float64 only.")
    .inputs({"A"})
    // Outputs U, L: MXNet declares no output names, so list_outputs says outputN.
    .outputs({"output0", "output1"})
    .inferShape(syevdShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, syevdCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return useOutputsGradient(n, og, "_backward_linalg_syevd");
    });

IST_REGISTER_OP(_backward_linalg_syevd)
    .describe(
        "Gradient of _linalg_syevd: (dU, dL, U, L) -> U^T Y U with Y(i, i) = dL(i) and, for i != j, "
        "Y(i, j) = (X(i, j) - X(j, i)) / (2 (L(i) - L(j))) for i > j (mirrored), X = dU U^T, the eigengap "
        "floored at 1e-30 (float32) or 1e-100 (float64).")
    .inputs({"dU", "dL", "U", "L"})
    .inferShape(syevdBackwardShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, syevdBackwardCompute);

}  // namespace
}  // namespace decomp_ops
}  // namespace ist
