// Activation: relu, sigmoid, tanh, softrelu, softsign (MXNet's act_type), element-wise.
// The gradient is composed from element-wise ops, so higher-order gradients come for free.
#include <cmath>
#include <type_traits>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "ops/nn/activation_device.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace {

using actdev::Act;
using actdev::ActivationParam;
using actdev::actOf;

template <Act A, typename C> inline C activate(C a) {
  if constexpr (A == Act::kRelu) {
    return !(a <= C(0)) ? a : C(0);  // NaN propagates, as in MXNet
  } else if constexpr (A == Act::kSigmoid) {
    return C(1) / (C(1) + std::exp(-a));
  } else if constexpr (A == Act::kTanh) {
    return std::tanh(a);
  } else if constexpr (A == Act::kSoftRelu) {
    return a > C(20) ? a : std::log1p(std::exp(a));  // exact in float above 20
  } else {
    return a / (C(1) + std::fabs(a));
  }
}

// One row per act_type and dtype, so each inner loop is branch-free. The rows are also the
// executor's fused element-wise steps (activationElemRow).
template <Act A, typename T> void activateRow(int64_t n, void* yv, const void* xv) {
  using C = typename ComputeType<T>::type;
  const T* x = static_cast<const T*>(xv);
  T* y = static_cast<T*>(yv);
  IST_SAME_INDEX_LOOP for (int64_t i = 0; i < n; ++i) y[i] = T(activate<A, C>(C(x[i])));  // y may be x
}

template <Act A> constexpr int64_t kActCost = A == Act::kRelu ? 1 : 16;

template <Act A, typename T> void activateAll(const T* x, T* y, int64_t n, bool add) {
  using C = typename ComputeType<T>::type;
  parallelFor(n, kActCost<A>, [&](int64_t b, int64_t e) {
    if (add) {
      IST_SAME_INDEX_LOOP for (int64_t i = b; i < e; ++i) y[i] = T(C(y[i]) + activate<A, C>(C(x[i])));
    } else {
      activateRow<A, T>(e - b, y + b, x + b);
    }
  });
}

// Calls f(std::integral_constant<Act, A>) for the act_type a, so each A gets its own loops.
template <typename F> void withAct(Act a, F&& f) {
  switch (a) {
    case Act::kRelu: return f(std::integral_constant<Act, Act::kRelu>{});
    case Act::kSigmoid: return f(std::integral_constant<Act, Act::kSigmoid>{});
    case Act::kTanh: return f(std::integral_constant<Act, Act::kTanh>{});
    case Act::kSoftRelu: return f(std::integral_constant<Act, Act::kSoftRelu>{});
    case Act::kSoftSign: return f(std::integral_constant<Act, Act::kSoftSign>{});
  }
}

bool activationElemRow(const NodeAttrs& attrs, int dtype, ElemRow* row) {
  if (dtype < 0 || !dtypeIsFloat(DType(dtype))) return false;
  IST_TYPE_SWITCH_FLOAT(DType(dtype), T, "Activation", {
    withAct(actOf(attrs.get<ActivationParam>().act_type), [&](auto a) {
      row->unary = &activateRow<decltype(a)::value, T>;
      row->cost = kActCost<decltype(a)::value>;
    });
  });
  return true;
}

void activationType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  int t = in[0] >= 0 ? in[0] : out[0];
  if (t < 0) return;
  nn::requireFloat(t, "Activation", "data");
  in[0] = out[0] = t;
}

void activationCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const int64_t n = in[0].size();
  const bool add = req[0] == OpReq::kAddTo;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "Activation", {
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    withAct(actOf(attrs.get<ActivationParam>().act_type),
            [&](auto a) { activateAll<decltype(a)::value>(x, y, n, add); });
  });
}

const AttrDict kZero{{"scalar", "0"}, {"is_int", "False"}};
const AttrDict kOne{{"scalar", "1"}, {"is_int", "False"}};

// d(out)/d(data) times the head gradient, from the forward output (or input for softrelu, softsign).
std::vector<NodeEntry> activationGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const NodeEntry x = n->inputs[0], y{n, 0};
  NodeEntry local;
  switch (actOf(n->attrs.get<ActivationParam>().act_type)) {
    case Act::kRelu:
      local = makeEntry("_greater_scalar", {y}, kZero);
      break;
    case Act::kSigmoid:  // y (1 - y)
      local = makeEntry("elemwise_mul", {y, makeEntry("_rminus_scalar", {y}, kOne)});
      break;
    case Act::kTanh:  // 1 - y^2
      local = makeEntry("_rminus_scalar", {makeEntry("square", {y})}, kOne);
      break;
    case Act::kSoftRelu:  // sigmoid(x)
      local = makeEntry("sigmoid", {x});
      break;
    case Act::kSoftSign:  // 1 / (1 + |x|)^2
      return {makeEntry("elemwise_div",
                        {og[0], makeEntry("square", {makeEntry("_plus_scalar", {makeEntry("abs", {x})}, kOne)})})};
  }
  return {makeEntry("elemwise_mul", {og[0], local})};
}

IST_REGISTER_OP(Activation)
    .alias("_npx_activation")
    .describe("Applies an activation function element-wise to the input: relu max(x, 0), sigmoid "
              "1 / (1 + exp(-x)), tanh, softrelu log(1 + exp(x)), softsign x / (1 + |x|).")
    .inputs({"data"})
    .params<ActivationParam>()
    .inferShape(inferSameShape)
    .inferType(activationType)
    .inplace(0, 0)
    .compute(Context::kCPU, activationCompute)
    .elemRow(&activationElemRow)
    .gradient(activationGradient);

}  // namespace
}  // namespace ist
