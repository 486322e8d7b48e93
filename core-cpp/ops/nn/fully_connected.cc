// FullyConnected: out = data . weight^T + bias on the SIMD GEMM, flattening all but the first axis
// (flatten=True) or applying to the last axis only (flatten=False); gradient _backward_FullyConnected.
#include "kernels/cpu/gemm.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/fully_connected_device.h"

namespace ist {
namespace {

constexpr const char* kOp = "FullyConnected";

using fcdev::FullyConnectedParam;
using fcdev::matrixOf;

void fcShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<FullyConnectedParam>();
  conv::checkBiasInputs(in.size(), p.no_bias, kOp);
  const Shape& d = in[0];
  if (!shapeIsKnown(d)) return;
  IST_CHECK(!d.empty(), kOp, "data", "expects an array of rank >= 1, got a 0-d array of shape " << shapeString(d));
  int64_t rows, cols;
  matrixOf(d, p.flatten, &rows, &cols);
  conv::expectShape(in[1], Shape{p.num_hidden, cols}, kOp, "weight", d);
  if (!p.no_bias) {
    Shape& b = in[2];
    // MXNet also accepts a (num_hidden, 1) bias.
    if (!(shapeIsKnown(b) && b.size() == 2 && b[0] == p.num_hidden && b[1] == 1))
      conv::expectShape(b, Shape{p.num_hidden}, kOp, "bias", d);
  }
  if (p.flatten) {
    out[0] = Shape{d[0], p.num_hidden};
  } else {
    out[0] = d;
    out[0].back() = p.num_hidden;
  }
}

void fcType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"data", "weight", "bias"}, kOp);
}

template <typename T>
void forward(const FullyConnectedParam& p, const std::vector<TBlob>& in, OpReq req, const TBlob& y) {
  int64_t M, K;
  matrixOf(in[0].shape, p.flatten, &M, &K);
  const int64_t H = p.num_hidden;
  T* out = y.data<T>();
  gemm<T>(false, true, M, H, K, 1.0, in[0].data<T>(), K, in[1].data<T>(), K, req == OpReq::kAddTo ? 1.0 : 0.0,
          out, H);
  if (p.no_bias) return;
  const T* b = in[2].data<T>();
  parallelFor(M, H, [&](int64_t lo, int64_t hi) {
    for (int64_t m = lo; m < hi; ++m)
      for (int64_t h = 0; h < H; ++h) out[m * H + h] += b[h];
  });
}

void fcCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<FullyConnectedParam>();
  conv::runWidened(kOp, in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) forward<float>(p, i, req[0], o[0]);
    else forward<double>(p, i, req[0], o[0]);
  });
}

// inputs: ograd (M, H), data (M, K), weight (H, K); outputs d data, d weight, d bias.
template <typename T>
void backward(const FullyConnectedParam& p, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
              const std::vector<TBlob>& out) {
  int64_t M, K;
  matrixOf(in[1].shape, p.flatten, &M, &K);
  const int64_t H = p.num_hidden;
  const T* og = in[0].data<T>();
  auto beta = [&](int i) { return req[i] == OpReq::kAddTo ? 1.0 : 0.0; };
  if (req[0] != OpReq::kNull)
    gemm<T>(false, false, M, K, H, 1.0, og, H, in[2].data<T>(), K, beta(0), out[0].data<T>(), K);
  if (req[1] != OpReq::kNull)
    gemm<T>(true, false, H, K, M, 1.0, og, H, in[1].data<T>(), K, beta(1), out[1].data<T>(), K);
  if (!p.no_bias && req[2] != OpReq::kNull) {
    // Column sums of og: rows accumulate in order, so results do not depend on the thread count.
    T* gb = out[2].data<T>();
    std::vector<double> acc(static_cast<size_t>(H), 0.0);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t h = 0; h < H; ++h) acc[h] += og[m * H + h];
    for (int64_t h = 0; h < H; ++h) gb[h] = req[2] == OpReq::kAddTo ? T(gb[h] + acc[h]) : T(acc[h]);
  }
}

void fcBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<FullyConnectedParam>();
  conv::runWidened("_backward_FullyConnected", in, req, out,
                   [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
                     if (i[0].dtype == DType::kFloat32) backward<float>(p, i, req, o);
                     else backward<double>(p, i, req, o);
                   });
}

void fcBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<FullyConnectedParam>();
  std::vector<Shape> fin{in[1], in[2]};
  if (!p.no_bias) fin.push_back(Shape{p.num_hidden});
  checkAgainstForward("_backward_FullyConnected", fcShape, attrs, {in[0]}, fin);
  out[0] = in[1];
  out[1] = in[2];
  if (!p.no_bias) out[2] = Shape{p.num_hidden};
}

void fcBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"ograd", "data", "weight"}, "_backward_FullyConnected");
}

std::vector<NodeEntry> fcGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  AttrDict attrs = nn::backwardAttrs(n->attrs);
  NodePtr b = makeNode("_backward_FullyConnected", {og[0], n->inputs[0], n->inputs[1]}, attrs);
  if (n->attrs.get<FullyConnectedParam>().no_bias) return {NodeEntry{b, 0}, NodeEntry{b, 1}};
  return {NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}};
}

IST_REGISTER_OP(FullyConnected)
    .describe("Applies a linear transformation: out = data . weight^T + bias. With flatten=True, data of shape "
              "(b, x1, ..., xn) is seen as (b, x1 * ... * xn) and the output is (b, num_hidden); with "
              "flatten=False the transform applies to the last axis: (x1, ..., xn, k) -> (x1, ..., xn, num_hidden). "
              "weight is (num_hidden, k); pass bias (num_hidden,) as the third input unless no_bias is set.")
    .inputs({"data", "weight"})
    .variadic("bias", nn::kOptionalCount)
    .optionalInput("bias", [](const NodeAttrs& a) { return !a.get<FullyConnectedParam>().no_bias; })
    .params<FullyConnectedParam>()
    .inferShape(fcShape)
    .inferType(fcType)
    .compute(Context::kCPU, fcCompute)
    .gradient(fcGradient);

IST_REGISTER_OP(_backward_FullyConnected)
    .describe("Gradient of FullyConnected: d data, d weight and (unless no_bias) d bias.")
    .inputs({"ograd", "data", "weight"})
    .params<FullyConnectedParam>()
    .numOutputs([](const NodeAttrs& a) { return a.get<FullyConnectedParam>().no_bias ? 2 : 3; })
    .inferShape(fcBackwardShape)
    .inferType(fcBackwardType)
    .compute(Context::kCPU, fcBackwardCompute);

}  // namespace
}  // namespace ist
