// LU-based linalg ops (MXNet's la_op.cc): _linalg_inverse, _linalg_det, _linalg_logdet,
// _linalg_slogdet (aliases without the underscore). The determinant ops keep MXNet's hidden LU and
// pivot outputs, which their _backward_ ops turn into A^-T (Jacobi's formula).
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include "ops/linalg/la_common.h"

namespace ist {
namespace {

using la::MatView;

// ---- inverse ----

void inverseShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  la::checkMatrices(la::opName(attrs), "A", in[0], true);
  out[0] = in[0];
}

void inverseCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  IST_LA_SWITCH(in[0].dtype, T, op, {
    const T* a = in[0].data<T>();
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      const la::BatchFailure f = la::forEachMatrix(batch, 2 * la::cube(n), [&](int64_t b, bool par) {
        std::vector<T> lu(a + b * n * n, a + (b + 1) * n * n);
        std::vector<int32_t> piv(static_cast<size_t>(n));
        const MatView<T> LU = la::dense(lu.data(), n, n);
        const int64_t info = la::getrf(LU, piv.data(), par);
        if (info == 0) la::luInverse(LU, piv.data(), la::dense(o + b * n * n, n, n), par);
        return info;
      });
      la::checkNonsingularLU(op, s, f);
    });
  });
}

// B = A^-1: dA = -B^T dB B^T, composed of gemm2 (MXNet's inverse_backward).
std::vector<NodeEntry> inverseGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const NodeEntry B{n, 0};
  NodeEntry t = makeEntry("_linalg_gemm2", {og[0], B}, AttrDict{{"transpose_b", "True"}});
  return {makeEntry("_linalg_gemm2", {B, t}, AttrDict{{"transpose_a", "True"}, {"alpha", "-1"}})};
}

// ---- det, logdet, slogdet ----
//
// Outputs: the kNum visible values (det; logdet; sign and logabsdet), then LU (A's shape) and the
// int32 pivots (A's shape without the last axis), as MXNet's DetShape / DetType.

enum class DetKind { kDet, kLogDet, kSlogDet };

template <DetKind K> constexpr int numValues() { return K == DetKind::kSlogDet ? 2 : 1; }

template <DetKind K>
void detShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  la::checkMatrices(la::opName(attrs), "A", in[0], true);
  const Shape& s = in[0];
  const Shape v = s.size() == 2 ? Shape{1} : Shape(s.begin(), s.end() - 2);
  for (int i = 0; i < numValues<K>(); ++i) out[i] = v;
  out[numValues<K>()] = s;
  out[numValues<K>() + 1] = Shape(s.begin(), s.end() - 1);
}

template <DetKind K>
void detType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  std::vector<int> o(out.begin(), out.begin() + numValues<K>() + 1);
  la::floatType(attrs, in, o);
  if (in[0] < 0) return;
  for (size_t i = 0; i < o.size(); ++i) out[i] = o[i];
  out.back() = static_cast<int>(DType::kInt32);
}

template <typename T>
void storeValue(T* dst, OpReq req, T v) {
  if (req == OpReq::kNull) return;
  *dst = req == OpReq::kAddTo ? *dst + v : v;
}

template <DetKind K>
void detCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  constexpr int nv = numValues<K>();
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  IST_LA_SWITCH(in[0].dtype, T, op, {
    const T* a = in[0].data<T>();
    T* luOut = out[nv].data<T>();
    int32_t* pivOut = out[nv + 1].data<int32_t>();
    const bool keepLU = req[nv] != OpReq::kNull, keepPiv = req[nv + 1] != OpReq::kNull;
    la::forEachMatrix(batch, la::cube(n), [&](int64_t b, bool par) -> int64_t {
      // Factor in scratch space, so a skipped (kNull) LU or pivot output is never touched.
      std::vector<T> lu(a + b * n * n, a + (b + 1) * n * n);
      std::vector<int32_t> piv(static_cast<size_t>(n));
      const MatView<T> LU = la::dense(lu.data(), n, n);
      la::getrf(LU, piv.data(), par);
      T sign, logabs;
      la::luSignLogDet(LU, piv.data(), &sign, &logabs);
      if (K == DetKind::kDet) {
        storeValue(out[0].data<T>() + b, req[0], sign * std::exp(logabs));
      } else if (K == DetKind::kLogDet) {
        storeValue(out[0].data<T>() + b, req[0], std::log(sign) + logabs);
      } else {
        storeValue(out[0].data<T>() + b, req[0], sign);
        storeValue(out[1].data<T>() + b, req[1], logabs);
      }
      if (keepLU && n > 0) std::memcpy(luOut + b * n * n, lu.data(), sizeof(T) * n * n);
      if (keepPiv && n > 0) std::memcpy(pivOut + b * n, piv.data(), sizeof(int32_t) * n);
      return 0;
    });
  });
}

// _backward_linalg_<det>: (out_grad, values..., LU, pivot) -> dA = g * A^-T, with g = out_grad *
// det for det and out_grad otherwise; zero where the determinant is zero (MXNet's
// StopZeroDetGrad: no gradient for singular matrices).
template <DetKind K>
void detBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  for (auto& s : in) if (!shapeIsKnown(s)) return;
  const char* op = la::opName(attrs);
  const Shape& lu = in[in.size() - 2];
  la::checkMatrices(op, "LU", lu, true);
  const Shape v = lu.size() == 2 ? Shape{1} : Shape(lu.begin(), lu.end() - 2);
  const std::vector<std::string>& names = attrs.op->inputNames;
  for (size_t i = 0; i + 2 < in.size(); ++i)
    IST_CHECK(in[i] == v, op, names[i],
              "has shape " << shapeString(in[i]) << " but LU " << shapeString(lu)
                           << " needs one value per matrix, shape " << shapeString(v));
  const Shape piv(lu.begin(), lu.end() - 1);
  IST_CHECK(in.back() == piv, op, "pivot",
            "has shape " << shapeString(in.back()) << " but LU " << shapeString(lu)
                         << " needs pivots of shape " << shapeString(piv));
  out[0] = lu;
}

template <DetKind K>
void detBackwardType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  IST_CHECK(in.back() < 0 || in.back() == static_cast<int>(DType::kInt32), la::opName(attrs), "pivot",
            "must be int32, got " << dtypeName(DType(in.back())));
  std::vector<int> f(in.begin(), in.end() - 1);
  la::floatType(attrs, f, out);
  for (size_t i = 0; i < f.size(); ++i) in[i] = f[i];
  in.back() = static_cast<int>(DType::kInt32);
}

// Pivots come from getrf, but the backward ops are callable directly: out-of-range ones are
// rejected instead of indexing outside the matrix.
bool pivotsValid(const int32_t* piv, int64_t n) {
  for (int64_t j = 0; j < n; ++j)
    if (piv[j] < 1 || piv[j] > n) return false;
  return true;
}

template <DetKind K>
void detBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const TBlob& luBlob = in[in.size() - 2];
  const Shape& s = luBlob.shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  IST_LA_SWITCH(luBlob.dtype, T, op, {
    const T* g = in[0].data<T>();
    // det for kDet, logdet for kLogDet, logabsdet for kSlogDet: tells singular matrices apart.
    const T* v = in[K == DetKind::kSlogDet ? 2 : 1].data<T>();
    T* lu = luBlob.data<T>();
    const int32_t* piv = in.back().data<int32_t>();
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      const la::BatchFailure f = la::forEachMatrix(batch, 2 * la::cube(n), [&](int64_t b, bool par) -> int64_t {
        if (!pivotsValid(piv + b * n, n)) return 1;
        const MatView<T> O = la::dense(o + b * n * n, n, n);
        const bool singular = K == DetKind::kDet ? v[b] == T(0)
                                                 : v[b] == -std::numeric_limits<T>::infinity();
        if (singular) {
          for (int64_t i = 0; i < n * n; ++i) O.p[i] = T(0);
          return 0;
        }
        std::vector<T> inv(static_cast<size_t>(n * n));
        const MatView<T> X = la::dense(inv.data(), n, n);
        la::luInverse(la::dense(lu + b * n * n, n, n), piv + b * n, X, par);
        const T scale = K == DetKind::kDet ? g[b] * v[b] : g[b];
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j) O(i, j) = scale * X(j, i);
        return 0;
      });
      la::checkPivots(op, s, f);
    });
  });
}

// MXNet's ReduceDetGrad: the backward op takes the last visible output's gradient and every output.
template <DetKind K>
std::vector<NodeEntry> detGradient(const NodePtr& n, const std::vector<NodeEntry>& og,
                                   const std::string& backwardOp) {
  constexpr int nv = numValues<K>();
  std::vector<NodeEntry> ins{og[nv - 1]};
  for (int i = 0; i < nv + 2; ++i) ins.push_back(NodeEntry{n, static_cast<uint32_t>(i)});
  return {makeEntry(backwardOp, ins)};
}

IST_REGISTER_OP(_linalg_inverse)
    .alias("linalg_inverse")
    .describe(
        "Computes the inverse of a square matrix (LU factorization with partial pivoting); batched "
        "over the leading axes. A singular matrix raises an error. float32 and float64 only.")
    .inputs({"A"})
    .inferShape(inverseShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, inverseCompute)
    .gradient(inverseGradient);

IST_REGISTER_OP(_linalg_det)
    .alias("linalg_det")
    .describe(
        "Computes the determinant of a square matrix (shape (1,) for one matrix, the batch shape "
        "for a batch), from an LU factorization with partial pivoting. The gradient is zero for "
        "singular matrices. float32 and float64 only.")
    .inputs({"A"})
    // The value, then the hidden LU and pivots; left unnamed (one "output") so that the generated
    // function returns one NDArray, as MXNet's does.
    .numOutputs([](const NodeAttrs&) { return 3; })
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .inferShape(detShape<DetKind::kDet>)
    .inferType(detType<DetKind::kDet>)
    .compute(Context::kCPU, detCompute<DetKind::kDet>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return detGradient<DetKind::kDet>(n, og, "_backward_linalg_det");
    });

IST_REGISTER_OP(_linalg_logdet)
    .alias("linalg_logdet")
    .describe(
        "Computes the log of the determinant of a square matrix: -inf for a singular matrix, NaN "
        "for a negative determinant. float32 and float64 only.")
    .inputs({"A"})
    // The value, then the hidden LU and pivots; left unnamed (one "output") so that the generated
    // function returns one NDArray, as MXNet's does.
    .numOutputs([](const NodeAttrs&) { return 3; })
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .inferShape(detShape<DetKind::kLogDet>)
    .inferType(detType<DetKind::kLogDet>)
    .compute(Context::kCPU, detCompute<DetKind::kLogDet>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return detGradient<DetKind::kLogDet>(n, og, "_backward_linalg_logdet");
    });

IST_REGISTER_OP(_linalg_slogdet)
    .alias("linalg_slogdet")
    .describe(
        "Computes the sign and the log of the absolute value of the determinant of a square "
        "matrix: two outputs, sign (-1, 0 or 1) and logabsdet (-inf for a singular matrix). Only "
        "logabsdet has a gradient. float32 and float64 only.")
    .inputs({"A"})
    // Outputs sign, logabsdet, hidden LU, pivot: MXNet declares no output names, so list_outputs says outputN.
    .outputs({"output0", "output1", "output2", "output3"})
    .numVisibleOutputs([](const NodeAttrs&) { return 2; })
    .inferShape(detShape<DetKind::kSlogDet>)
    .inferType(detType<DetKind::kSlogDet>)
    .compute(Context::kCPU, detCompute<DetKind::kSlogDet>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return detGradient<DetKind::kSlogDet>(n, og, "_backward_linalg_slogdet");
    });

IST_REGISTER_OP(_backward_linalg_det)
    .describe("Gradient of _linalg_det: (out_grad, det, LU, pivot) -> out_grad * det * A^-T.")
    .inputs({"out_grad", "det", "LU", "pivot"})
    .inferShape(detBackwardShape<DetKind::kDet>)
    .inferType(detBackwardType<DetKind::kDet>)
    .compute(Context::kCPU, detBackwardCompute<DetKind::kDet>);

IST_REGISTER_OP(_backward_linalg_logdet)
    .describe("Gradient of _linalg_logdet: (out_grad, logdet, LU, pivot) -> out_grad * A^-T.")
    .inputs({"out_grad", "logdet", "LU", "pivot"})
    .inferShape(detBackwardShape<DetKind::kLogDet>)
    .inferType(detBackwardType<DetKind::kLogDet>)
    .compute(Context::kCPU, detBackwardCompute<DetKind::kLogDet>);

IST_REGISTER_OP(_backward_linalg_slogdet)
    .describe(
        "Gradient of _linalg_slogdet: (logabsdet_grad, sign, logabsdet, LU, pivot) -> "
        "logabsdet_grad * A^-T.")
    .inputs({"out_grad", "sign", "logabsdet", "LU", "pivot"})
    .inferShape(detBackwardShape<DetKind::kSlogDet>)
    .inferType(detBackwardType<DetKind::kSlogDet>)
    .compute(Context::kCPU, detBackwardCompute<DetKind::kSlogDet>);

}  // namespace
}  // namespace ist
