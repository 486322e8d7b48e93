// LRN: local response normalization across channels, out = x * (knorm + alpha / nsize *
// sum over the nsize-channel window of x^2) ^ -beta; the window sum term is a hidden output.
#include <cmath>
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

void lrnCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (in[0].size() == 0) return;
  const auto& p = attrs.get<LRNParam>();
  const Cols L = colsOf(in[0].shape);
  const double salpha = double(p.alpha) / p.nsize;
  const int64_t half = p.nsize / 2;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "LRN", {
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    T* norm = out[1].data<T>();
    parallelFor(L.n * L.s, L.c * 8, [&](int64_t b, int64_t e) {
      std::vector<double> sq(static_cast<size_t>(L.c)), win(sq.size());
      for (int64_t col = b; col < e; ++col) {
        const int64_t base = (col / L.s) * L.c * L.s + col % L.s;
        for (int64_t k = 0; k < L.c; ++k) {
          const double v = nn::load(x[base + k * L.s]);
          sq[static_cast<size_t>(k)] = v * v;
        }
        windowSum(sq, win, half);
        for (int64_t k = 0; k < L.c; ++k) {
          const int64_t i = base + k * L.s;
          const double nv = p.knorm + salpha * win[static_cast<size_t>(k)];
          norm[i] = nn::store<T>(nv);
          if (req[0] != OpReq::kNull) nn::put(y + i, nn::load(x[i]) * std::pow(nv, -double(p.beta)), req[0]);
        }
      }
    });
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
