// Loss heads: MakeLoss (identity forward, constant scaled gradient), make_loss (identity forward,
// gradient of ones) and softmax_cross_entropy (summed cross entropy of softmax(data) and labels).
#include <algorithm>
#include <cmath>
#include <cstring>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/loss_device.h"

namespace ist {
namespace {

// ---- MakeLoss ----

using lossdev::MakeLossParam;

void sameNumericType(const char* op, std::vector<int>& in, std::vector<int>& out) {
  if (in[0] < 0) return;
  IST_CHECK(in[0] != static_cast<int>(DType::kBool), op, "data", "expects a numeric array, got bool");
  out[0] = in[0];
}

void copyCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || in[0].dptr == out[0].dptr) return;
  const int64_t n = in[0].size();
  if (req[0] != OpReq::kAddTo) {
    memcpy(out[0].dptr, in[0].dptr, static_cast<size_t>(n) * dtypeSize(in[0].dtype));
    return;
  }
  IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, nn::opName(attrs, "MakeLoss"), {
    using C = typename ComputeType<T>::type;
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    for (int64_t i = 0; i < n; ++i) y[i] = T(C(y[i]) + C(x[i]));
  });
}

// _backward_MakeLoss input: data. d(data) = grad_scale / (1, batch size, or the number of elements
// above valid_thresh, at least 1), whatever the head gradient (a loss head).
void makeLossBackward(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "_backward_MakeLoss";
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<MakeLossParam>();
  const int64_t n = in[0].size();
  double v = p.grad_scale;
  if (p.normalization == "batch") {
    v /= in[0].shape.empty() ? 1.0 : static_cast<double>(std::max<int64_t>(in[0].shape[0], 1));
  } else if (p.normalization == "valid") {
    int64_t valid = 0;
    for (int64_t i = 0; i < n; ++i) valid += nn::readAsDouble(in[0], i, op) > p.valid_thresh ? 1 : 0;
    v /= static_cast<double>(std::max<int64_t>(valid, 1));
  }
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, op, {
    T* g = out[0].data<T>();
    for (int64_t i = 0; i < n; ++i) nn::put(g + i, v, req[0]);
  });
}

IST_REGISTER_OP(MakeLoss)
    .describe("Makes the input a loss head: the forward output is the input; the gradient is grad_scale "
              "(divided by the batch size with normalization 'batch', or by the number of elements greater "
              "than valid_thresh with 'valid') regardless of the incoming gradient.")
    .inputs({"data"})
    .params<MakeLossParam>()
    .inferShape(inferSameShape)
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) { sameNumericType("MakeLoss", in, out); })
    .inplace(0, 0)
    .compute(Context::kCPU, copyCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>&) {
      return std::vector<NodeEntry>{makeEntry("_backward_MakeLoss", {n->inputs[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_MakeLoss)
    .describe("Gradient of MakeLoss.")
    .inputs({"data"})
    .params<MakeLossParam>()
    .inferShape(inferSameShape)
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      sameNumericType("_backward_MakeLoss", in, out);
    })
    .compute(Context::kCPU, makeLossBackward);

IST_REGISTER_OP(make_loss)
    .describe("Makes the input a loss head: the forward output is the input and its gradient is 1 "
              "everywhere, whatever the incoming gradient.")
    .inputs({"data"})
    .inferShape(inferSameShape)
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) { sameNumericType("make_loss", in, out); })
    .inplace(0, 0)
    .compute(Context::kCPU, copyCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>&) {
      return std::vector<NodeEntry>{makeEntry("ones_like", {n->inputs[0]})};
    });

// ---- softmax_cross_entropy ----

// Shared with the backward op (its inputs 1 and 2 are data and label).
void sceShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, "softmax_cross_entropy");
  if (shapeIsKnown(in[0]))
    IST_CHECK(in[0].size() == 2, op, "data", "expects 2-D data (batch, classes), got shape " << shapeString(in[0]));
  if (shapeIsKnown(in[1]))
    IST_CHECK(in[1].size() == 1, op, "label", "expects a 1-D label (batch,), got shape " << shapeString(in[1]));
  if (shapeIsKnown(in[0]) && shapeIsKnown(in[1]))
    IST_CHECK(in[0][0] == in[1][0], op, "label",
              "has " << in[1][0] << " entries for data of shape " << shapeString(in[0]) << " (label shape "
                     << shapeString(in[1]) << ")");
  out[0] = Shape{1};
}

void sceType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const char* op = "softmax_cross_entropy";
  nn::requireFloat(in[0], op, "data");
  if (in[1] >= 0) IST_CHECK(in[1] != static_cast<int>(DType::kBool), op, "label", "expects a numeric array, got bool");
  if (in[0] >= 0) out[0] = in[0];
}

// Softmax of row r of x into p (k entries).
template <typename T> void rowSoftmax(const T* x, int64_t k, double* p) {
  double mx = k > 0 ? nn::load(x[0]) : 0.0, sum = 0;
  for (int64_t j = 1; j < k; ++j) mx = std::max(mx, nn::load(x[j]));
  for (int64_t j = 0; j < k; ++j) sum += (p[j] = std::exp(nn::load(x[j]) - mx));
  for (int64_t j = 0; j < k; ++j) p[j] /= sum;
}

inline int64_t labelAt(const TBlob& label, int64_t r, const char* op) {
  const double v = nn::readAsDouble(label, r, op);
  return std::isfinite(v) ? static_cast<int64_t>(v) : -1;
}

void sceCompute(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                const std::vector<TBlob>& out) {
  const char* op = "softmax_cross_entropy";
  if (req[0] == OpReq::kNull) return;
  const int64_t n = in[0].shape[0], k = in[0].shape[1];
  double loss = 0;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, op, {
    const T* x = in[0].data<T>();
    std::vector<double> p(static_cast<size_t>(k));
    for (int64_t r = 0; r < n; ++r) {
      rowSoftmax(x + r * k, k, p.data());
      const int64_t c = labelAt(in[1], r, op);
      const double pc = (c >= 0 && c < k) ? p[static_cast<size_t>(c)] : 0.0;
      loss -= std::log(std::max(pc, 1e-8));  // MXNet clamps the probability at 1e-8
    }
  });
  nn::fromDoubles(out[0], {loss}, req[0], op);
}

// _backward_softmax_cross_entropy inputs: ograd (shape (1,)), data, label.
// d(data) = ograd * (softmax(data) - one_hot(label)).
void sceBackward(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                 const std::vector<TBlob>& out) {
  const char* op = "_backward_softmax_cross_entropy";
  if (req[0] == OpReq::kNull) return;
  const int64_t n = in[1].shape[0], k = in[1].shape[1];
  const double scale = nn::readAsDouble(in[0], 0, op);
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, op, {
    const T* x = in[1].data<T>();
    T* gx = out[0].data<T>();
    parallelFor(n, k * 12, [&](int64_t b, int64_t e) {
      std::vector<double> p(static_cast<size_t>(k));
      for (int64_t r = b; r < e; ++r) {
        rowSoftmax(x + r * k, k, p.data());
        const int64_t c = labelAt(in[2], r, op);
        for (int64_t j = 0; j < k; ++j)
          nn::put(gx + r * k + j, (p[static_cast<size_t>(j)] - (j == c ? 1.0 : 0.0)) * scale, req[0]);
      }
    });
  });
}

IST_REGISTER_OP(softmax_cross_entropy)
    .describe("Computes the cross entropy of softmax(data) and integer labels, summed over the batch: "
              "-sum_i log(softmax(data[i])[label[i]]); data (batch, classes), label (batch,), output shape (1,).")
    .inputs({"data", "label"})
    .inferShape(sceShape)
    .inferType(sceType)
    .compute(Context::kCPU, sceCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{
          makeEntry("_backward_softmax_cross_entropy", {og[0], n->inputs[0], n->inputs[1]}), NodeEntry{}};
    });

IST_REGISTER_OP(_backward_softmax_cross_entropy)
    .describe("Gradient of softmax_cross_entropy with respect to data.")
    .inputs({"ograd", "data", "label"})
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      std::vector<Shape> fin{in[1], in[2]}, fout(1);
      sceShape(attrs, fin, fout);
      nn::expectShape(in[0], Shape{1}, "_backward_softmax_cross_entropy", "ograd");
      out[0] = in[1];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const char* op = "_backward_softmax_cross_entropy";
      std::vector<int> xt{in[0], in[1]};
      const int t = nn::unifyFloat(xt, {"ograd", "data"}, op);
      nn::requireNumeric(in[2], op, "label");
      if (t >= 0) out[0] = t;
    })
    .compute(Context::kCPU, sceBackward);

}  // namespace
}  // namespace ist
