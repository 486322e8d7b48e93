// SoftmaxOutput (alias Softmax): softmax forward; its gradient is the cross-entropy gradient
// (output - one_hot(label)), which ignores the head gradient unless out_grad is set (a loss layer).
#include <algorithm>
#include <cmath>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/softmax_output_device.h"

namespace ist {
namespace {

using smodev::SoftmaxOutputParam;
using smodev::Layout;
using smodev::layoutOf;

// Shared with _backward_SoftmaxOutput (inputs data or output, then label).
void softmaxOutputShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, "SoftmaxOutput");
  const auto& p = attrs.get<SoftmaxOutputParam>();
  if (!shapeIsKnown(in[0])) return;
  const Shape& d = in[0];
  out[0] = d;
  if (shapeRankKnown(in[1]) && in[1] == d) return;  // probabilities as labels
  if (p.multi_output) {
    IST_CHECK(d.size() >= 2, op, "data", "multi_output needs data of rank >= 2, got shape " << shapeString(d));
    const int64_t rest = d[0] * d[1] == 0 ? 0 : shapeSize(d) / (d[0] * d[1]);
    Shape l1{d[0], rest}, l2{d[0]}, l3 = d;
    for (size_t i = 2; i < d.size(); ++i) l2.push_back(d[i]);
    l3[1] = 1;
    if (!shapeRankKnown(in[1])) {
      in[1] = l1;
      return;
    }
    IST_CHECK(in[1] == l1 || in[1] == l2 || in[1] == l3, op, "label",
              "expected shape " << shapeString(l1) << ", " << shapeString(l2) << " or " << shapeString(d)
                                << " for data of shape " << shapeString(d) << ", got " << shapeString(in[1]));
    return;
  }
  IST_CHECK(!d.empty(), op, "data", "expects data of rank >= 1, got shape ()");
  Shape ls(d.begin(), d.end() - 1);
  if (!shapeRankKnown(in[1])) {
    in[1] = ls;
    return;
  }
  IST_CHECK(in[1] == ls, op, "label",
            "expected shape " << shapeString(ls) << " (or the data's shape " << shapeString(d)
                              << " for probability labels), got " << shapeString(in[1]));
}

void softmaxOutputType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  nn::requireFloat(in[0], "SoftmaxOutput", "data");
  if (in[1] >= 0)
    IST_CHECK(in[1] != static_cast<int>(DType::kBool), "SoftmaxOutput", "label", "expects a numeric array, got bool");
  if (in[0] < 0) return;
  if (in[1] < 0) in[1] = in[0];  // labels of any numeric dtype are read as numbers
  out[0] = in[0];
}

template <typename T>
void softmaxRows(const T* x, T* y, Layout l, OpReq req) {
  using C = typename ComputeType<T>::type;
  parallelFor(l.rows * l.inner, l.k * 12, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t base = (r / l.inner) * l.k * l.inner + r % l.inner;
      C mx = C(x[base]);
      for (int64_t j = 1; j < l.k; ++j) mx = std::max(mx, C(x[base + j * l.inner]));
      C sum = 0;
      for (int64_t j = 0; j < l.k; ++j) sum += std::exp(C(x[base + j * l.inner]) - mx);
      for (int64_t j = 0; j < l.k; ++j) {
        const int64_t i = base + j * l.inner;
        nn::put(y + i, double(std::exp(C(x[i]) - mx) / sum), req);
      }
    }
  });
}

void softmaxOutputCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || in[0].size() == 0) return;
  const Layout l = layoutOf(attrs.get<SoftmaxOutputParam>(), in[0].shape);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "SoftmaxOutput", {
    softmaxRows<T>(in[0].data<T>(), out[0].data<T>(), l, req[0]);
  });
}

// _backward_SoftmaxOutput inputs: ograd (used with out_grad), output, label.
void softmaxOutputBackward(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                           const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "_backward_SoftmaxOutput";
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<SoftmaxOutputParam>();
  const TBlob &gy = in[0], &y = in[1], &label = in[2];
  const int64_t total = y.size();
  IST_TYPE_SWITCH_FLOAT(y.dtype, T, op, {
    const T* yp = y.data<T>();
    const T* gp = gy.data<T>();
    T* gx = out[0].data<T>();
    auto headGrad = [&](int64_t i) { return p.out_grad ? nn::load(gp[i]) : 1.0; };
    if (label.shape == y.shape) {  // probability labels: (output - label) * grad_scale
      parallelFor(total, 4, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          nn::put(gx + i, (nn::load(yp[i]) - nn::readAsDouble(label, i, op)) * p.grad_scale * headGrad(i), req[0]);
      });
      return;
    }
    const Layout l = layoutOf(p, y.shape);
    const int ignore = static_cast<int>(p.ignore_label);
    // Labels per row position: (rows, inner) for multi_output, one per row otherwise.
    const int64_t nLabels = label.size();
    const smodev::SmoWeights w = smodev::smoWeights(p, l, nLabels, [&] {
      int64_t ignored = 0;
      for (int64_t i = 0; i < nLabels; ++i)
        if (static_cast<int>(nn::readAsDouble(label, i, op)) == ignore) ++ignored;
      return ignored;
    });
    const double scale = w.scale, alpha = w.alpha, other = w.other;
    parallelFor(l.rows * l.inner, l.k * 4, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t base = (r / l.inner) * l.k * l.inner + r % l.inner;
        const int cls = static_cast<int>(nn::readAsDouble(label, r, op));
        const bool ignored = p.use_ignore && cls == ignore;
        for (int64_t j = 0; j < l.k; ++j) {
          const int64_t i = base + j * l.inner;
          double g = 0;
          if (!ignored) {
            g = nn::load(yp[i]) - (j == cls ? 1.0 - alpha : other);
            g *= scale * headGrad(i);
          }
          nn::put(gx + i, g, req[0]);
        }
      }
    });
  });
}

IST_REGISTER_OP(SoftmaxOutput)
    .alias("Softmax")
    .describe("Computes the softmax of the input (over axis 1 with multi_output, over the last axis with "
              "preserve_shape, else over all axes but the first). Its gradient is that of the cross-entropy "
              "loss, output - one_hot(label) (or output - label for probability labels), scaled by "
              "grad_scale and the normalization; the incoming gradient is ignored unless out_grad is set.")
    .inputs({"data", "label"})
    .params<SoftmaxOutputParam>()
    .inferShape(softmaxOutputShape)
    .inferType(softmaxOutputType)
    .compute(Context::kCPU, softmaxOutputCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{
          makeEntry("_backward_SoftmaxOutput", {og[0], NodeEntry{n, 0}, n->inputs[1]}, n->attrs.dict), NodeEntry{}};
    });

IST_REGISTER_OP(_backward_SoftmaxOutput)
    .describe("Gradient of SoftmaxOutput.")
    .inputs({"ograd", "output", "label"})
    .params<SoftmaxOutputParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      nn::expectShape(in[0], in[1], "_backward_SoftmaxOutput", "ograd");
      std::vector<Shape> fin{in[1], in[2]}, fout(1);
      softmaxOutputShape(attrs, fin, fout);
      out[0] = in[1];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const char* op = "_backward_SoftmaxOutput";
      std::vector<int> yt{in[0], in[1]};
      const int t = nn::unifyFloat(yt, {"ograd", "output"}, op);
      nn::requireNumeric(in[2], op, "label");
      if (t >= 0) out[0] = t;
    })
    .compute(Context::kCPU, softmaxOutputBackward);

}  // namespace
}  // namespace ist
