// Gradients of the reductions and broadcasts, as graphs of registered ops (FGradient in op/registry.h).
//
// A reduction's output gradient is spread back over its input with _broadcast_reduced (with
// normalize for mean); a broadcast's gradient is summed back with _reduce_sum_like. Both are
// differentiable, so these gradients differentiate again.
#include <string>
#include "graph/node.h"
#include "ops/reduce/reduce_axes.h"

namespace ist {
namespace {

using Entries = std::vector<NodeEntry>;

NodeEntry in(const NodePtr& n, size_t i) { return n->inputs[i]; }
NodeEntry op1(const char* op, const NodeEntry& a) { return makeEntry(op, {a}); }
NodeEntry op2(const char* op, const NodeEntry& a, const NodeEntry& b) { return makeEntry(op, {a, b}); }
NodeEntry mul(const NodeEntry& a, const NodeEntry& b) { return op2("elemwise_mul", a, b); }
NodeEntry div(const NodeEntry& a, const NodeEntry& b) { return op2("elemwise_div", a, b); }

Entries zeroGrad(const NodePtr& n, const Entries&) { return Entries(n->inputs.size()); }

// The _broadcast_reduced attributes undoing node n's reduction: its axis/keepdims/exclude
// (`axisKey` names the axis param: "axis", or "axes" for moments).
AttrDict spreadAttrs(const NodePtr& n, bool normalize, const char* axisKey = "axis") {
  AttrDict a;
  const AttrDict& d = n->attrs.dict;
  if (auto it = d.find(axisKey); it != d.end()) a["axis"] = it->second;
  for (const char* k : {"keepdims", "exclude"})
    if (auto it = d.find(k); it != d.end()) a[k] = it->second;
  if (normalize) a["normalize"] = "True";
  return a;
}

// v (shaped like n's output) repeated over the reduced axes to the shape of x = n's input.
NodeEntry spread(const NodePtr& n, const NodeEntry& v, bool normalize = false, const char* axisKey = "axis") {
  return makeEntry("_broadcast_reduced", {v, in(n, 0)}, spreadAttrs(n, normalize, axisKey));
}

// The reduction that is the transpose of _broadcast_reduced node n: sum, or mean with normalize.
NodeEntry fold(const NodePtr& n, const NodeEntry& v) {
  AttrDict a = n->attrs.dict;
  const bool normalize =
      a.count("normalize") && paramparse::parseBool(a["normalize"], "_broadcast_reduced", "normalize");
  a.erase("normalize");
  return makeEntry(normalize ? "mean" : "sum", {v}, a);
}

[[maybe_unused]] const bool kRegistered = [] {
  for (const char* name : {"sum", "mean"}) {
    const bool normalize = std::string(name) == "mean";
    OpRegistry::setGradient(name, [normalize](const NodePtr& n, const Entries& og) {
      return Entries{spread(n, og[0], normalize)};
    });
  }
  // NaNs were skipped, so they get no gradient.
  OpRegistry::setGradient("nansum", [](const NodePtr& n, const Entries& og) {
    const NodeEntry x = in(n, 0);
    return Entries{mul(spread(n, og[0]), op2("_equal", x, x))};
  });
  // d prod / dx_i = prod / x_i, as MXNet (NaN where x_i = 0 and the product is 0).
  OpRegistry::setGradient("prod", [](const NodePtr& n, const Entries& og) {
    const NodeEntry x = in(n, 0);
    return Entries{mul(spread(n, og[0]), div(spread(n, NodeEntry{n, 0}), x))};
  });
  OpRegistry::setGradient("nanprod", [](const NodePtr& n, const Entries& og) {
    const NodeEntry x = in(n, 0);
    const NodeEntry g = mul(spread(n, og[0]), div(spread(n, NodeEntry{n, 0}), x));
    return Entries{makeEntry("where", {op2("_equal", x, x), g, op1("zeros_like", x)})};
  });
  // Every element equal to the extreme gets the gradient (ties share it fully, as MXNet).
  for (const char* name : {"max", "min"})
    OpRegistry::setGradient(name, [](const NodePtr& n, const Entries& og) {
      const NodeEntry x = in(n, 0);
      return Entries{mul(spread(n, og[0]), op2("_equal", x, spread(n, NodeEntry{n, 0})))};
    });
  // norm: ord 1 -> sign(x); ord 2 -> x / norm. out_dtype may differ: cast back to x's dtype.
  OpRegistry::setGradient("norm", [](const NodePtr& n, const Entries& og) {
    const NodeEntry x = in(n, 0);
    const NodeEntry g = spread(n, op2("_cast_like", og[0], x));
    if (n->attrs.get<NormParam>().ord == 1) return Entries{mul(g, op1("sign", x))};
    return Entries{mul(g, div(x, spread(n, op2("_cast_like", NodeEntry{n, 0}, x))))};
  });
  // moments: d mean = og_m / N; d var = og_v * 2 (x - mean) / N.
  OpRegistry::setGradient("moments", [](const NodePtr& n, const Entries& og) {
    const NodeEntry x = in(n, 0);
    const NodeEntry dev = op2("elemwise_sub", x, spread(n, NodeEntry{n, 0}, false, "axes"));
    const NodeEntry gv = mul(makeEntry("_mul_scalar", {dev}, AttrDict{{"scalar", "2"}}),
                             spread(n, og[1], true, "axes"));
    return Entries{op2("elemwise_add", spread(n, og[0], true, "axes"), gv)};
  });
  OpRegistry::setGradient("_broadcast_reduced", [](const NodePtr& n, const Entries& og) {
    return Entries{fold(n, og[0]), NodeEntry{}};
  });

  for (const char* name : {"broadcast_to", "broadcast_axis"})
    OpRegistry::setGradient(name, [](const NodePtr& n, const Entries& og) {
      return Entries{op2("_reduce_sum_like", og[0], in(n, 0))};
    });
  OpRegistry::setGradient("broadcast_like", [](const NodePtr& n, const Entries& og) {
    return Entries{op2("_reduce_sum_like", og[0], in(n, 0)), NodeEntry{}};
  });
  // The transpose of summing down to like's shape is broadcasting back up to data's.
  OpRegistry::setGradient("_reduce_sum_like", [](const NodePtr& n, const Entries& og) {
    return Entries{op2("broadcast_add", op1("zeros_like", in(n, 0)), og[0]), NodeEntry{}};
  });

  OpRegistry::setGradient("cumsum", [](const NodePtr& n, const Entries& og) {
    AttrDict a;
    if (auto it = n->attrs.dict.find("axis"); it != n->attrs.dict.end()) a["axis"] = it->second;
    return Entries{makeEntry("_backward_cumsum", {og[0], in(n, 0)}, a)};
  });
  // The transpose of the suffix scan is the prefix scan, in ograd's dtype.
  OpRegistry::setGradient("_backward_cumsum", [](const NodePtr& n, const Entries& og) {
    const NodeEntry scanned = makeEntry("cumsum", {og[0]}, n->attrs.dict);
    return Entries{op2("_cast_like", scanned, in(n, 0)), NodeEntry{}};
  });

  for (const char* name : {"argmax", "argmin", "argmax_channel"}) OpRegistry::setGradient(name, zeroGrad);
  return true;
}();

}  // namespace
}  // namespace ist
