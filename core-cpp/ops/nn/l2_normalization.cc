// L2Normalization: divides by sqrt(sum(x^2) + eps) per instance, per channel vector or per spatial
// map; the norm is a hidden output kept for _backward_L2Normalization.
#include <cmath>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/norm_params.h"

namespace ist {
namespace {



void l2Shape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, "L2Normalization");  // also checks _backward_L2Normalization
  if (!shapeIsKnown(in[0])) return;
  const Shape& d = in[0];
  const std::string& mode = attrs.get<L2NormalizationParam>().mode;
  if (mode == "instance") {
    IST_CHECK(!d.empty(), op, "data", "expects data of rank >= 1, got shape ()");
    out[1] = Shape{d[0]};
  } else {
    IST_CHECK(d.size() >= 3, op, "data",
              "mode '" << mode << "' needs data of rank >= 3, got shape " << shapeString(d));
    if (mode == "channel") {
      out[1] = d;
      out[1][1] = 1;
    } else {
      out[1] = Shape{d[0], d[1]};
    }
  }
  out[0] = d;
}

void l2Type(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  nn::requireFloat(in[0], "L2Normalization", "data");
  if (in[0] >= 0) out[0] = out[1] = in[0];
}

void l2Compute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  // Empty data still writes the (possibly non-empty) statistics outputs.
  const auto& p = attrs.get<L2NormalizationParam>();
  const nn::AxisSplit s = groupsOf(p.mode, in[0].shape);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "L2Normalization", {
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    T* norm = out[1].data<T>();
    parallelFor(s.outer * s.inner, s.n * 4, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t base = (r / s.inner) * s.n * s.inner + r % s.inner;
        double sq = 0;
        for (int64_t j = 0; j < s.n; ++j) {
          const double v = nn::load(x[base + j * s.inner]);
          sq += v * v;
        }
        const double nv = std::sqrt(sq + p.eps);
        norm[r] = nn::store<T>(nv);
        if (req[0] == OpReq::kNull) continue;
        for (int64_t j = 0; j < s.n; ++j) {
          const int64_t i = base + j * s.inner;
          nn::put(y + i, nn::load(x[i]) / nv, req[0]);
        }
      }
    });
  });
}

// _backward_L2Normalization inputs: ograd, output, norm. dx = (og - y * sum(og * y)) / norm.
void l2Backward(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const nn::AxisSplit s = groupsOf(attrs.get<L2NormalizationParam>().mode, in[1].shape);
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_L2Normalization", {
    const T* gy = in[0].data<T>();
    const T* y = in[1].data<T>();
    const T* norm = in[2].data<T>();
    T* gx = out[0].data<T>();
    parallelFor(s.outer * s.inner, s.n * 4, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t base = (r / s.inner) * s.n * s.inner + r % s.inner;
        double dot = 0;
        for (int64_t j = 0; j < s.n; ++j) dot += nn::load(gy[base + j * s.inner]) * nn::load(y[base + j * s.inner]);
        const double nv = nn::load(norm[r]);
        for (int64_t j = 0; j < s.n; ++j) {
          const int64_t i = base + j * s.inner;
          nn::put(gx + i, (nn::load(gy[i]) - nn::load(y[i]) * dot) / nv, req[0]);
        }
      }
    });
  });
}

IST_REGISTER_OP(L2Normalization)
    .describe("Normalizes the input by its L2 norm, out = x / sqrt(sum(x^2) + eps), summing per instance "
              "(all axes but the first), per channel vector (axis 1, at each position of each sample) or "
              "per spatial map (the axes after 1, for each sample and channel).")
    .inputs({"data"})
    .params<L2NormalizationParam>()
    .numOutputs([](const NodeAttrs&) { return 2; })
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .inferShape(l2Shape)
    .inferType(l2Type)
    .compute(Context::kCPU, l2Compute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{
          makeEntry("_backward_L2Normalization", {og[0], NodeEntry{n, 0}, NodeEntry{n, 1}}, n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_L2Normalization)
    .describe("Gradient of L2Normalization.")
    .inputs({"ograd", "output", "norm"})
    .params<L2NormalizationParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      std::vector<Shape> fin{in[1]}, fout(2);
      l2Shape(attrs, fin, fout);
      nn::expectShape(in[0], in[1], "_backward_L2Normalization", "ograd");
      nn::expectShape(in[2], fout[1], "_backward_L2Normalization", "norm");
      out[0] = in[1];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = nn::unifyFloat(in, {"ograd", "output", "norm"}, "_backward_L2Normalization");
      if (t >= 0) out[0] = t;
    })
    .compute(Context::kCPU, l2Backward);

}  // namespace
}  // namespace ist
