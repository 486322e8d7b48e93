// LeakyReLU: the leaky, prelu, rrelu, elu, selu and gelu activations, and _backward_LeakyReLU.
#include <cmath>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "kernels/philox.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/leaky_relu_device.h"

namespace ist {
namespace {

using lreludev::LeakyReLUParam;
using lreludev::Kind;
using lreludev::kindOf;
using lreludev::GammaLayout;
using lreludev::gammaLayout;
using lreludev::PReLUPlan;
using lreludev::preluPlan;
using lreludev::leakyValue;
using lreludev::leakyDerivative;

void checkOptional(const NodeAttrs& attrs, Kind k, const char* op) {
  const int extra = nn::optionalInputs(attrs);
  if (k == Kind::kPReLU) {
    IST_CHECK(extra == 1, op, "gamma",
              "act_type 'prelu' takes inputs (data, gamma); got " << 1 + extra << " input(s)");
  } else {
    IST_CHECK(extra == 0, op, "gamma",
              "only act_type 'prelu' takes a gamma input; act_type '" << attrs.get<LeakyReLUParam>().act_type
                                                                       << "' takes data alone");
  }
}

void leakyShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const Kind k = kindOf(attrs.get<LeakyReLUParam>().act_type);
  checkOptional(attrs, k, "LeakyReLU");
  if (!shapeIsKnown(in[0])) return;
  if (k == Kind::kPReLU) {
    IST_CHECK(!in[0].empty(), "LeakyReLU", "data", "prelu needs data of rank >= 1, got shape ()");
    if (!shapeRankKnown(in[1])) in[1] = Shape{in[0].size() > 1 ? in[0][1] : in[0][0]};
    if (shapeIsKnown(in[1])) gammaLayout(in[1], in[0], "LeakyReLU");
  }
  for (auto& o : out) o = in[0];
}

void leakyType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  int t = nn::unifyFloat(in, {"data", "gamma"}, "LeakyReLU");
  if (t < 0) t = out[0];
  if (t < 0) return;
  for (auto& o : out) o = t;
}

// The element-wise kinds (not prelu / rrelu): one branch-free loop per kind.
template <Kind K, typename T> void leakyAll(const T* x, T* y, int64_t n, float slope, bool add) {
  using C = typename ComputeType<T>::type;
  const C s = C(slope);
  parallelFor(n, K == Kind::kLeaky ? 1 : 20, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const C v = leakyValue<K, C>(C(x[i]), s);
      y[i] = add ? T(C(y[i]) + v) : T(v);
    }
  });
}

template <Kind K, typename T>
void leakyGradAll(const T* gy, const T* x, const T* mask, T* gx, int64_t n, float slope, OpReq req) {
  using C = typename ComputeType<T>::type;
  const C s = C(slope);
  parallelFor(n, K == Kind::kLeaky ? 2 : 24, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const C d = leakyDerivative<K, C>(C(x[i]), mask ? C(mask[i]) : s);
      nn::put(gx + i, double(C(gy[i]) * d), req);
    }
  });
}

void leakyCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<LeakyReLUParam>();
  const Kind k = kindOf(p.act_type);
  const int64_t n = in[0].size();
  if (n == 0) return;
  const bool add = req[0] == OpReq::kAddTo;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "LeakyReLU", {
    using C = typename ComputeType<T>::type;
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    auto write = [&](int64_t i, C v) { y[i] = add ? T(C(y[i]) + v) : T(v); };
    if (k == Kind::kPReLU) {
      const PReLUPlan plan = preluPlan(in[0].shape, in[1].shape, "LeakyReLU");
      const T* g = in[1].data<T>();
      parallelFor(plan.d0 * plan.d1, plan.inner * 2, [&](int64_t b, int64_t e) {
        for (int64_t blk = b; blk < e; ++blk) {
          const C slope = C(g[plan.gammaIndex(blk)]);
          for (int64_t j = blk * plan.inner, end = j + plan.inner; j < end; ++j) {
            const C v = C(x[j]);
            write(j, v > C(0) ? v : v * slope);
          }
        }
      });
    } else if (k == Kind::kRReLU) {
      // Training draws one slope per element in [lower, upper); inference uses their mean.
      T* mask = out[1].data<T>();
      const C lo = C(p.lower_bound), span = C(p.upper_bound - p.lower_bound);
      const bool train = ctx.isTrain;
      const C mid = C((p.lower_bound + p.upper_bound) / 2.0f);
      parallelFor(n, 20, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          C s = mid;
          if (train) {
            PhiloxStream rs(ctx.rngKey, ctx.rngCounter + static_cast<uint64_t>(i));
            s = lo + span * C(rs.uniformFloat());
          }
          mask[i] = T(s);
          const C v = C(x[i]);
          write(i, v > C(0) ? v : v * C(mask[i]));
        }
      });
    } else if (k == Kind::kELU) {
      leakyAll<Kind::kELU>(x, y, n, p.slope, add);
    } else if (k == Kind::kSELU) {
      leakyAll<Kind::kSELU>(x, y, n, p.slope, add);
    } else if (k == Kind::kGELU) {
      leakyAll<Kind::kGELU>(x, y, n, p.slope, add);
    } else {
      leakyAll<Kind::kLeaky>(x, y, n, p.slope, add);
    }
  });
}

// _backward_LeakyReLU inputs: ograd, data, then gamma (prelu) or mask (rrelu).
// Outputs: data gradient, and gamma's for prelu. Derivatives use the input, so they are exact
// for every slope (MXNet derives some from the output).
void leakyBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = "_backward_LeakyReLU";
  const Kind k = kindOf(attrs.get<LeakyReLUParam>().act_type);
  const bool prelu = k == Kind::kPReLU, rrelu = k == Kind::kRReLU;
  nn::expectOptional(attrs, 2, prelu || rrelu ? 1 : 0,
                     prelu ? "ograd, data, gamma" : (rrelu ? "ograd, data, mask" : "ograd, data"), op);
  if (!shapeIsKnown(in[1])) return;
  nn::expectShape(in[0], in[1], op, "ograd");
  if (rrelu) nn::expectShape(in[2], in[1], op, "mask");
  if (prelu) {
    IST_CHECK(!in[1].empty(), op, "data", "prelu needs data of rank >= 1, got shape ()");
    if (shapeIsKnown(in[2])) gammaLayout(in[2], in[1], op);
    out[1] = in[2];
  }
  out[0] = in[1];
}

void leakyBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"ograd", "data", "gamma"}, "_backward_LeakyReLU");
  if (t >= 0)
    for (auto& o : out) o = t;
}

void leakyBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<LeakyReLUParam>();
  const Kind k = kindOf(p.act_type);
  const int64_t n = in[1].size();
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_LeakyReLU", {
    using C = typename ComputeType<T>::type;
    const T* gy = in[0].data<T>();
    const T* x = in[1].data<T>();
    T* gx = out[0].data<T>();
    if (k == Kind::kPReLU) {
      const PReLUPlan plan = preluPlan(in[1].shape, in[2].shape, "_backward_LeakyReLU");
      const T* g = in[2].data<T>();
      const int64_t blocks = plan.d0 * plan.d1;
      std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
      parallelFor(blocks, plan.inner * 3, [&](int64_t b, int64_t e) {
        for (int64_t blk = b; blk < e; ++blk) {
          const C slope = C(g[plan.gammaIndex(blk)]);
          double acc = 0;
          for (int64_t j = blk * plan.inner, end = j + plan.inner; j < end; ++j) {
            const C v = C(x[j]), d = C(gy[j]);
            if (req[0] != OpReq::kNull) nn::put(gx + j, v > C(0) ? d : d * slope, req[0]);
            if (!(v > C(0))) acc += double(d) * double(v);
          }
          partial[static_cast<size_t>(blk)] = acc;
        }
      });
      if (out.size() > 1 && req[1] != OpReq::kNull) {
        const int64_t ng = in[2].size();
        std::vector<double> gg(static_cast<size_t>(ng), 0.0);
        for (int64_t blk = 0; blk < blocks; ++blk) gg[static_cast<size_t>(plan.gammaIndex(blk))] += partial[blk];
        T* gout = out[1].data<T>();
        for (int64_t j = 0; j < ng; ++j) nn::put(gout + j, gg[static_cast<size_t>(j)], req[1]);
      }
      return;
    }
    if (req[0] == OpReq::kNull) return;
    switch (k) {
      case Kind::kRReLU: leakyGradAll<Kind::kRReLU>(gy, x, in[2].data<T>(), gx, n, p.slope, req[0]); break;
      case Kind::kELU: leakyGradAll<Kind::kELU>(gy, x, static_cast<const T*>(nullptr), gx, n, p.slope, req[0]); break;
      case Kind::kSELU: leakyGradAll<Kind::kSELU>(gy, x, static_cast<const T*>(nullptr), gx, n, p.slope, req[0]); break;
      case Kind::kGELU: leakyGradAll<Kind::kGELU>(gy, x, static_cast<const T*>(nullptr), gx, n, p.slope, req[0]); break;
      default: leakyGradAll<Kind::kLeaky>(gy, x, static_cast<const T*>(nullptr), gx, n, p.slope, req[0]); break;
    }
  });
}

std::vector<NodeEntry> leakyGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const Kind k = kindOf(n->attrs.get<LeakyReLUParam>().act_type);
  AttrDict attrs = nn::backwardAttrs(n->attrs);
  std::vector<NodeEntry> ins{og[0], n->inputs[0]};
  if (k == Kind::kPReLU) ins.push_back(n->inputs[1]);
  if (k == Kind::kRReLU) ins.push_back(NodeEntry{n, 1});
  NodePtr b = makeNode("_backward_LeakyReLU", ins, attrs);
  if (k == Kind::kPReLU) return {NodeEntry{b, 0}, NodeEntry{b, 1}};
  return {NodeEntry{b, 0}};
}

IST_REGISTER_OP(LeakyReLU)
    .alias("_npx_leaky_relu")
    .describe("Applies a leaky rectified linear unit variant element-wise: leaky x > 0 ? x : slope * x; "
              "prelu the same with a learned slope `gamma` (shape (C,) along axis 1, or broadcastable "
              "over axes 0 and 1); rrelu a slope drawn uniformly from [lower_bound, upper_bound) per "
              "element in training and their mean in inference; elu x > 0 ? x : slope * (exp(x) - 1); "
              "selu lambda * (x > 0 ? x : alpha * (exp(x) - 1)); gelu 0.5 x (1 + erf(x / sqrt(2))).")
    .inputs({"data"})
    .variadic("gamma", nn::kOptionalCount)
    .optionalInput("gamma", [](const NodeAttrs& a) { return kindOf(a.get<LeakyReLUParam>().act_type) == Kind::kPReLU; })
    .params<LeakyReLUParam>()
    .numOutputs([](const NodeAttrs& a) { return kindOf(a.get<LeakyReLUParam>().act_type) == Kind::kRReLU ? 2 : 1; })
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .inferShape(leakyShape)
    .inferType(leakyType)
    .setRandom()
    .compute(Context::kCPU, leakyCompute)
    .gradient(leakyGradient);

IST_REGISTER_OP(_backward_LeakyReLU)
    .describe("Gradient of LeakyReLU.")
    .inputs({"ograd", "data"})
    .variadic("extra", nn::kOptionalCount)
    .params<LeakyReLUParam>()
    .numOutputs([](const NodeAttrs& a) { return kindOf(a.get<LeakyReLUParam>().act_type) == Kind::kPReLU ? 2 : 1; })
    .inferShape(leakyBackwardShape)
    .inferType(leakyBackwardType)
    .compute(Context::kCPU, leakyBackwardCompute);

}  // namespace
}  // namespace ist
