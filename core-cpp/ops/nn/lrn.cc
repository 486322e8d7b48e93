// LRN: local response normalization across channels, out = x * (knorm + alpha / nsize *
// sum over the nsize-channel window of x^2) ^ -beta; the window sum term is a hidden output.
#include <algorithm>
#include <cmath>
#include <vector>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/lrn_params.h"

namespace ist {
namespace {

using lrnop::Cols;
using lrnop::colsOf;
using lrnop::LRNParam;

void lrnShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, "LRN");  // also checks _backward_LRN
  const int ns = attrs.get<LRNParam>().nsize;
  IST_CHECK(ns >= 1 && ns % 2 == 1, op, "nsize", "must be a positive odd number, got " << ns);
  if (!shapeIsKnown(in[0])) return;
  IST_CHECK(in[0].size() >= 3, op, "data",
            "expects data of rank >= 3 (batch, channel, spatial...), got shape " << shapeString(in[0]));
  out[0] = out[1] = in[0];
}

void lrnType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  nn::requireFloat(in[0], "LRN", "data");
  if (in[0] >= 0) out[0] = out[1] = in[0];
}

// out[c] = sum of v[c'] for |c' - c| <= half (zero padded), over one channel column.
inline void windowSum(const std::vector<double>& v, std::vector<double>& out, int64_t half) {
  const int64_t c = static_cast<int64_t>(v.size());
  double acc = 0;
  for (int64_t j = 0; j < std::min(c, half); ++j) acc += v[static_cast<size_t>(j)];
  for (int64_t k = 0; k < c; ++k) {
    if (k + half < c) acc += v[static_cast<size_t>(k + half)];
    if (k - half - 1 >= 0) acc -= v[static_cast<size_t>(k - half - 1)];
    out[static_cast<size_t>(k)] = acc;
  }
}

// One (image, channel) row of the forward at a time, vectorised along the row: the window's squares
// summed channel by channel in order, then the norm and x * norm^-beta, in the compute type (float for
// float32/16-bit floats, double for float64). Beta 0.75 (AlexNet, GoogLeNet, ONNX's default) is
// 1 / (sqrt(n) * sqrt(sqrt(n))): correctly rounded square roots instead of a pow per element.
template <typename T>
void lrnForward(const LRNParam& p, const T* x, T* y, T* norm, const Cols& L, OpReq req) {
  using C = typename ComputeType<T>::type;
  const C knorm = C(p.knorm), salpha = C(double(p.alpha) / p.nsize), negBeta = C(-double(p.beta));
  const bool threeQuarters = p.beta == 0.75f;
  const int64_t half = p.nsize / 2;
  parallelFor(L.n * L.c, L.s * (p.nsize + 6), [&](int64_t b, int64_t e) {
    std::vector<C> acc(static_cast<size_t>(L.s));
    for (int64_t row = b; row < e; ++row) {
      const int64_t k = row % L.c;
      const T* xn = x + (row - k) * L.s;  // the image's first channel
      C* a = acc.data();
      std::fill(acc.begin(), acc.end(), C(0));
      for (int64_t c = std::max<int64_t>(0, k - half); c <= std::min(L.c - 1, k + half); ++c) {
        const T* xr = xn + c * L.s;
        for (int64_t i = 0; i < L.s; ++i) {
          const C v = static_cast<C>(xr[i]);
          a[i] += v * v;
        }
      }
      const T* xk = xn + k * L.s;
      T* nk = norm + row * L.s;
      T* yk = y + row * L.s;
      for (int64_t i = 0; i < L.s; ++i) {
        a[i] = knorm + salpha * a[i];
        nk[i] = static_cast<T>(a[i]);
      }
      if (threeQuarters) {  // (separate loops: a pow call in the loop would keep it scalar)
        for (int64_t i = 0; i < L.s; ++i) a[i] = C(1) / (std::sqrt(a[i]) * std::sqrt(std::sqrt(a[i])));
      } else {
        for (int64_t i = 0; i < L.s; ++i) a[i] = std::pow(a[i], negBeta);
      }
      if (req == OpReq::kNull) continue;
      if (req == OpReq::kAddTo) {
        for (int64_t i = 0; i < L.s; ++i) yk[i] = static_cast<T>(static_cast<C>(yk[i]) + static_cast<C>(xk[i]) * a[i]);
      } else {
        for (int64_t i = 0; i < L.s; ++i) yk[i] = static_cast<T>(static_cast<C>(xk[i]) * a[i]);
      }
    }
  });
}

void lrnCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (in[0].size() == 0) return;
  const auto& p = attrs.get<LRNParam>();
  const Cols L = colsOf(in[0].shape);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "LRN", {
    lrnForward<T>(p, in[0].data<T>(), out[0].data<T>(), out[1].data<T>(), L, req[0]);
  });
}

// _backward_LRN inputs: ograd, data, norm.
// dx = og * norm^-beta - 2 beta alpha / nsize * x * windowsum(og * x * norm^(-beta - 1)).
void lrnBackward(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<LRNParam>();
  const Cols L = colsOf(in[1].shape);
  const double salpha = double(p.alpha) / p.nsize, beta = p.beta;
  const int64_t half = p.nsize / 2;
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_LRN", {
    const T* gy = in[0].data<T>();
    const T* x = in[1].data<T>();
    const T* norm = in[2].data<T>();
    T* gx = out[0].data<T>();
    parallelFor(L.n * L.s, L.c * 10, [&](int64_t b, int64_t e) {
      std::vector<double> t(static_cast<size_t>(L.c)), win(t.size());
      for (int64_t col = b; col < e; ++col) {
        const int64_t base = (col / L.s) * L.c * L.s + col % L.s;
        for (int64_t k = 0; k < L.c; ++k) {
          const int64_t i = base + k * L.s;
          t[static_cast<size_t>(k)] = nn::load(gy[i]) * nn::load(x[i]) * std::pow(nn::load(norm[i]), -beta - 1.0);
        }
        windowSum(t, win, half);
        for (int64_t k = 0; k < L.c; ++k) {
          const int64_t i = base + k * L.s;
          const double g = nn::load(gy[i]) * std::pow(nn::load(norm[i]), -beta) -
                           2.0 * beta * salpha * nn::load(x[i]) * win[static_cast<size_t>(k)];
          nn::put(gx + i, g, req[0]);
        }
      }
    });
  });
}

IST_REGISTER_OP(LRN)
    .describe("Applies local response normalization across channels: out[c] = x[c] / (knorm + alpha / nsize "
              "* sum(x[c']^2 for |c' - c| <= nsize / 2)) ^ beta (nsize odd; data (N, C, spatial...)).")
    .inputs({"data"})
    .params<LRNParam>()
    .numOutputs([](const NodeAttrs&) { return 2; })
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .inferShape(lrnShape)
    .inferType(lrnType)
    .compute(Context::kCPU, lrnCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("_backward_LRN", {og[0], n->inputs[0], NodeEntry{n, 1}}, n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_LRN)
    .describe("Gradient of LRN.")
    .inputs({"ograd", "data", "norm"})
    .params<LRNParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      std::vector<Shape> fin{in[1]}, fout(2);
      lrnShape(attrs, fin, fout);
      nn::expectShape(in[0], in[1], "_backward_LRN", "ograd");
      nn::expectShape(in[2], in[1], "_backward_LRN", "norm");
      out[0] = in[1];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = nn::unifyFloat(in, {"ograd", "data", "norm"}, "_backward_LRN");
      if (t >= 0) out[0] = t;
    })
    .compute(Context::kCPU, lrnBackward);

}  // namespace
}  // namespace ist
