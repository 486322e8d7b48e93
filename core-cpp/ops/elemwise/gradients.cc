// Gradients of the elementwise ops, as graphs of registered ops (see FGradient in op/registry.h).
//
// Each gradient is written with differentiable forward ops wherever one exists, so gradients of
// gradients work (d/dx of og * cos(x) is again a graph of registered ops). Gradients of the
// broadcast_* ops are summed back to each input's shape with _reduce_sum_like (ops/reduce).
#include <cmath>
#include <string>
#include "graph/node.h"
#include "ops/elemwise/elemwise_params.h"
#include "ops/elemwise/op_list.h"

namespace ist {
namespace {

using Entries = std::vector<NodeEntry>;
constexpr double kPi = 3.14159265358979323846;

NodeEntry in(const NodePtr& n, size_t i) { return n->inputs[i]; }
NodeEntry out(const NodePtr& n) { return NodeEntry{n, 0}; }

NodeEntry op1(const char* op, const NodeEntry& a) { return makeEntry(op, {a}); }
NodeEntry op2(const char* op, const NodeEntry& a, const NodeEntry& b) { return makeEntry(op, {a, b}); }
// An array-with-scalar op; is_int keeps its default (it only matters for integer arrays).
NodeEntry scalarOp(const char* op, const NodeEntry& a, double s) {
  return makeEntry(op, {a}, AttrDict{{"scalar", paramparse::formatDouble(s)}});
}
NodeEntry mulS(const NodeEntry& a, double s) { return scalarOp("_mul_scalar", a, s); }
NodeEntry mul(const NodeEntry& a, const NodeEntry& b) { return op2("elemwise_mul", a, b); }
NodeEntry div(const NodeEntry& a, const NodeEntry& b) { return op2("elemwise_div", a, b); }

// 1 - x^2 and 1 + x^2, the pieces of the inverse trigonometric derivatives.
NodeEntry oneMinusSq(const NodeEntry& x) { return scalarOp("_rminus_scalar", op1("square", x), 1); }
NodeEntry onePlusSq(const NodeEntry& x) { return scalarOp("_plus_scalar", op1("square", x), 1); }

double scalarOf(const NodePtr& n) { return n->attrs.get<ScalarParam>().scalar; }

Entries zeroGrad(const NodePtr& n, const Entries&) { return Entries(n->inputs.size()); }

// A unary gradient og * f(x, y): `f` builds the local derivative from the input x and output y.
template <typename F> void unary(const char* name, F f) {
  OpRegistry::setGradient(name, [f](const NodePtr& n, const Entries& og) {
    return Entries{mul(og[0], f(in(n, 0), out(n)))};
  });
}

// Same-shape (elemwise_*, _mod, ...) or broadcasting (broadcast_*) arithmetic for the binary
// gradients, so one definition serves both forms.
struct Arith {
  bool bcast;
  NodeEntry pick(const char* same, const char* broadcast, const NodeEntry& a, const NodeEntry& b) const {
    return op2(bcast ? broadcast : same, a, b);
  }
  NodeEntry add(const NodeEntry& a, const NodeEntry& b) const { return pick("elemwise_add", "broadcast_add", a, b); }
  NodeEntry mul(const NodeEntry& a, const NodeEntry& b) const { return pick("elemwise_mul", "broadcast_mul", a, b); }
  NodeEntry div(const NodeEntry& a, const NodeEntry& b) const { return pick("elemwise_div", "broadcast_div", a, b); }
  NodeEntry pow(const NodeEntry& a, const NodeEntry& b) const { return pick("_power", "broadcast_power", a, b); }
  NodeEntry ge(const NodeEntry& a, const NodeEntry& b) const {
    return pick("_greater_equal", "broadcast_greater_equal", a, b);
  }
  NodeEntry gt(const NodeEntry& a, const NodeEntry& b) const { return pick("_greater", "broadcast_greater", a, b); }
  NodeEntry le(const NodeEntry& a, const NodeEntry& b) const {
    return pick("_lesser_equal", "broadcast_lesser_equal", a, b);
  }
  NodeEntry lt(const NodeEntry& a, const NodeEntry& b) const { return pick("_lesser", "broadcast_lesser", a, b); }
  // A gradient of the output's shape, summed down to input `like`'s shape.
  NodeEntry fit(const NodeEntry& g, const NodeEntry& like) const {
    return bcast ? op2("_reduce_sum_like", g, like) : g;
  }
};

// Registers `gradFn(n, og, arith)` for the same-shape op and its broadcasting twin.
template <typename F> void binary(const char* elemwiseName, const char* broadcastName, F f) {
  for (bool bcast : {false, true}) {
    const char* name = bcast ? broadcastName : elemwiseName;
    if (!name) continue;
    OpRegistry::setGradient(name, [f, bcast](const NodePtr& n, const Entries& og) {
      const Arith A{bcast};
      const NodeEntry l = in(n, 0), r = in(n, 1);
      auto [gl, gr] = f(A, og[0], l, r, out(n));
      return Entries{A.fit(gl, l), A.fit(gr, r)};
    });
  }
}

// A scalar-op gradient og * f(n, x, y).
template <typename F> void scalar(const char* name, F f) {
  OpRegistry::setGradient(name, [f](const NodePtr& n, const Entries& og) {
    return Entries{mul(og[0], f(n, in(n, 0), out(n)))};
  });
}

void registerUnary() {
  OpRegistry::setGradient("negative", [](const NodePtr&, const Entries& og) {
    return Entries{op1("negative", og[0])};
  });
  unary("abs", [](NodeEntry x, NodeEntry) { return op1("sign", x); });
  unary("exp", [](NodeEntry, NodeEntry y) { return y; });
  unary("expm1", [](NodeEntry x, NodeEntry) { return op1("exp", x); });
  unary("log", [](NodeEntry x, NodeEntry) { return op1("reciprocal", x); });
  unary("log1p", [](NodeEntry x, NodeEntry) { return op1("reciprocal", scalarOp("_plus_scalar", x, 1)); });
  unary("log2", [](NodeEntry x, NodeEntry) { return op1("reciprocal", mulS(x, std::log(2.0))); });
  unary("log10", [](NodeEntry x, NodeEntry) { return op1("reciprocal", mulS(x, std::log(10.0))); });
  unary("sqrt", [](NodeEntry, NodeEntry y) { return op1("reciprocal", mulS(y, 2)); });
  unary("rsqrt", [](NodeEntry x, NodeEntry y) { return mulS(div(y, x), -0.5); });              // -x^-1.5 / 2
  unary("cbrt", [](NodeEntry, NodeEntry y) { return op1("reciprocal", mulS(op1("square", y), 3)); });
  unary("rcbrt", [](NodeEntry x, NodeEntry y) { return mulS(div(y, x), -1.0 / 3); });         // -x^(-4/3) / 3
  unary("square", [](NodeEntry x, NodeEntry) { return mulS(x, 2); });
  unary("reciprocal", [](NodeEntry, NodeEntry y) { return op1("negative", op1("square", y)); });
  unary("relu", [](NodeEntry, NodeEntry y) { return scalarOp("_greater_scalar", y, 0); });
  unary("sigmoid", [](NodeEntry, NodeEntry y) { return mul(y, scalarOp("_rminus_scalar", y, 1)); });
  unary("tanh", [](NodeEntry, NodeEntry y) { return scalarOp("_rminus_scalar", op1("square", y), 1); });
  unary("softsign", [](NodeEntry x, NodeEntry) {
    return op1("reciprocal", op1("square", scalarOp("_plus_scalar", op1("abs", x), 1)));
  });
  unary("sin", [](NodeEntry x, NodeEntry) { return op1("cos", x); });
  unary("cos", [](NodeEntry x, NodeEntry) { return op1("negative", op1("sin", x)); });
  unary("tan", [](NodeEntry, NodeEntry y) { return scalarOp("_plus_scalar", op1("square", y), 1); });
  unary("arcsin", [](NodeEntry x, NodeEntry) { return op1("rsqrt", oneMinusSq(x)); });
  unary("arccos", [](NodeEntry x, NodeEntry) {
    return op1("negative", op1("rsqrt", oneMinusSq(x)));
  });
  unary("arctan", [](NodeEntry x, NodeEntry) { return op1("reciprocal", onePlusSq(x)); });
  unary("sinh", [](NodeEntry x, NodeEntry) { return op1("cosh", x); });
  unary("cosh", [](NodeEntry x, NodeEntry) { return op1("sinh", x); });
  unary("arcsinh", [](NodeEntry x, NodeEntry) { return op1("rsqrt", onePlusSq(x)); });
  unary("arccosh", [](NodeEntry x, NodeEntry) {
    return op1("rsqrt", scalarOp("_minus_scalar", op1("square", x), 1));
  });
  unary("arctanh", [](NodeEntry x, NodeEntry) { return op1("reciprocal", oneMinusSq(x)); });
  for (auto [name, c] : {std::pair{"degrees", 180 / kPi}, std::pair{"radians", kPi / 180}})
    OpRegistry::setGradient(name, [c = c](const NodePtr&, const Entries& og) { return Entries{mulS(og[0], c)}; });
  // erf' = 2/sqrt(pi) exp(-x^2); erfinv' = sqrt(pi)/2 exp(erfinv(x)^2).
  unary("erf", [](NodeEntry x, NodeEntry) {
    return mulS(op1("exp", op1("negative", op1("square", x))), 2 / std::sqrt(kPi));
  });
  unary("erfinv", [](NodeEntry, NodeEntry y) { return mulS(op1("exp", op1("square", y)), std::sqrt(kPi) / 2); });
  // gamma' = gamma psi, gammaln' = psi, psi' = psi1 (_digamma, _trigamma); the chain stops at
  // _trigamma, which has no gradient: gamma and gammaln differentiate twice.
  unary("gamma", [](NodeEntry x, NodeEntry y) { return mul(y, op1("_digamma", x)); });
  unary("gammaln", [](NodeEntry x, NodeEntry) { return op1("_digamma", x); });
  unary("_digamma", [](NodeEntry x, NodeEntry) { return op1("_trigamma", x); });

  // Piecewise constant: zero almost everywhere.
  for (const char* name : {"sign", "floor", "ceil", "round", "rint", "trunc", "fix", "logical_not", "isnan",
                           "isinf", "isfinite", "round_to_format"})
    OpRegistry::setGradient(name, zeroGrad);
}

void registerBinary() {
  binary("elemwise_add", "broadcast_add", [](const Arith&, NodeEntry g, NodeEntry, NodeEntry, NodeEntry) {
    return std::pair{g, g};
  });
  binary("elemwise_sub", "broadcast_sub", [](const Arith&, NodeEntry g, NodeEntry, NodeEntry, NodeEntry) {
    return std::pair{g, op1("negative", g)};
  });
  binary("elemwise_mul", "broadcast_mul", [](const Arith& A, NodeEntry g, NodeEntry l, NodeEntry r, NodeEntry) {
    return std::pair{A.mul(g, r), A.mul(g, l)};
  });
  // d(l/r) = g/r, -g (l/r) / r.
  binary("elemwise_div", "broadcast_div", [](const Arith& A, NodeEntry g, NodeEntry, NodeEntry r, NodeEntry y) {
    return std::pair{A.div(g, r), op1("negative", A.mul(g, A.div(y, r)))};
  });
  // l mod r = l - floor(l/r) r.
  binary("_mod", "broadcast_mod", [](const Arith& A, NodeEntry g, NodeEntry l, NodeEntry r, NodeEntry) {
    return std::pair{g, A.mul(g, op1("negative", op1("floor", A.div(l, r))))};
  });
  // d(l^r) = r l^(r-1), l^r log(l).
  binary("_power", "broadcast_power", [](const Arith& A, NodeEntry g, NodeEntry l, NodeEntry r, NodeEntry y) {
    const NodeEntry dl = A.mul(r, A.pow(l, scalarOp("_minus_scalar", r, 1)));
    return std::pair{A.mul(g, dl), A.mul(g, A.mul(y, op1("log", l)))};
  });
  // Ties go to lhs, as MXNet's maximum_grad / minimum_grad.
  binary("_maximum", "broadcast_maximum", [](const Arith& A, NodeEntry g, NodeEntry l, NodeEntry r, NodeEntry) {
    return std::pair{A.mul(g, A.ge(l, r)), A.mul(g, A.lt(l, r))};
  });
  binary("_minimum", "broadcast_minimum", [](const Arith& A, NodeEntry g, NodeEntry l, NodeEntry r, NodeEntry) {
    return std::pair{A.mul(g, A.le(l, r)), A.mul(g, A.gt(l, r))};
  });
  binary("_hypot", "broadcast_hypot", [](const Arith& A, NodeEntry g, NodeEntry l, NodeEntry r, NodeEntry y) {
    return std::pair{A.mul(g, A.div(l, y)), A.mul(g, A.div(r, y))};
  });
  // d atan2(l, r) = (r, -l) / (l^2 + r^2).
  binary(nullptr, "arctan2", [](const Arith& A, NodeEntry g, NodeEntry l, NodeEntry r, NodeEntry) {
    const NodeEntry gs = A.div(g, A.add(op1("square", l), op1("square", r)));
    return std::pair{A.mul(gs, r), op1("negative", A.mul(gs, l))};
  });
  for (const char* name : {"_equal", "_not_equal", "_greater", "_greater_equal", "_lesser", "_lesser_equal",
                           "_logical_and", "_logical_or", "_logical_xor", "broadcast_equal", "broadcast_not_equal",
                           "broadcast_greater", "broadcast_greater_equal", "broadcast_lesser",
                           "broadcast_lesser_equal", "broadcast_logical_and", "broadcast_logical_or",
                           "broadcast_logical_xor"})
    OpRegistry::setGradient(name, zeroGrad);
}

void registerScalar() {
  for (const char* name : {"_plus_scalar", "_minus_scalar", "_mod_scalar"})
    OpRegistry::setGradient(name, [](const NodePtr&, const Entries& og) { return Entries{og[0]}; });
  OpRegistry::setGradient("_rminus_scalar", [](const NodePtr&, const Entries& og) {
    return Entries{op1("negative", og[0])};
  });
  // og * s and og / s: the forward op's own attributes (scalar, is_int) apply to og.
  for (const char* name : {"_mul_scalar", "_div_scalar"})
    OpRegistry::setGradient(name, [name](const NodePtr& n, const Entries& og) {
      return Entries{makeEntry(name, {og[0]}, n->attrs.dict)};
    });
  scalar("_rdiv_scalar", [](const NodePtr&, NodeEntry x, NodeEntry y) { return op1("negative", div(y, x)); });
  scalar("_rmod_scalar", [](const NodePtr& n, NodeEntry x, NodeEntry) {
    return op1("negative", op1("floor", scalarOp("_rdiv_scalar", x, scalarOf(n))));
  });
  scalar("_power_scalar", [](const NodePtr& n, NodeEntry x, NodeEntry) {
    const double s = scalarOf(n);
    return mulS(scalarOp("_power_scalar", x, s - 1), s);
  });
  scalar("_rpower_scalar", [](const NodePtr& n, NodeEntry, NodeEntry y) { return mulS(y, std::log(scalarOf(n))); });
  scalar("_maximum_scalar", [](const NodePtr& n, NodeEntry x, NodeEntry) {
    return scalarOp("_greater_equal_scalar", x, scalarOf(n));
  });
  scalar("_minimum_scalar", [](const NodePtr& n, NodeEntry x, NodeEntry) {
    return scalarOp("_lesser_equal_scalar", x, scalarOf(n));
  });
  scalar("_hypot_scalar", [](const NodePtr&, NodeEntry x, NodeEntry y) { return div(x, y); });
  // d atan2(x, s) = s / (x^2 + s^2); d atan2(s, x) = -s / (x^2 + s^2).
  scalar("_arctan2_scalar", [](const NodePtr& n, NodeEntry x, NodeEntry) {
    const double s = scalarOf(n);
    return op1("reciprocal", mulS(scalarOp("_plus_scalar", op1("square", x), s * s), 1 / s));
  });
  scalar("_rarctan2_scalar", [](const NodePtr& n, NodeEntry x, NodeEntry) {
    const double s = scalarOf(n);
    return op1("reciprocal", mulS(scalarOp("_plus_scalar", op1("square", x), s * s), -1 / s));
  });
  // smooth_l1' = clip(sigma^2 x, -1, 1).
  scalar("smooth_l1", [](const NodePtr& n, NodeEntry x, NodeEntry) {
    const double s = scalarOf(n);
    return makeEntry("clip", {mulS(x, s * s)}, AttrDict{{"a_min", "-1"}, {"a_max", "1"}});
  });
  for (const char* name : {"_equal_scalar", "_not_equal_scalar", "_greater_scalar", "_greater_equal_scalar",
                           "_lesser_scalar", "_lesser_equal_scalar", "_logical_and_scalar", "_logical_or_scalar",
                           "_logical_xor_scalar"})
    OpRegistry::setGradient(name, zeroGrad);
}

void registerMisc() {
  OpRegistry::setGradient("_copy", [](const NodePtr&, const Entries& og) { return Entries{og[0]}; });
  OpRegistry::setGradient("BlockGrad", zeroGrad);
  OpRegistry::setGradient("add_n", [](const NodePtr& n, const Entries& og) {
    return Entries(n->inputs.size(), og[0]);
  });
  // Inside [a_min, a_max] (bounds included, as MXNet) the gradient passes.
  OpRegistry::setGradient("clip", [](const NodePtr& n, const Entries& og) {
    const NodeEntry x = in(n, 0);
    const ClipParam& p = n->attrs.get<ClipParam>();
    const NodeEntry inside =
        mul(scalarOp("_greater_equal_scalar", x, p.a_min), scalarOp("_lesser_equal_scalar", x, p.a_max));
    return Entries{mul(og[0], inside)};
  });
  // The condition gets none; x and y get og where they were picked.
  OpRegistry::setGradient("where", [](const NodePtr& n, const Entries& og) {
    const NodeEntry c = in(n, 0), zero = op1("zeros_like", og[0]);
    return Entries{NodeEntry{}, makeEntry("where", {c, og[0], zero}), makeEntry("where", {c, zero, og[0]})};
  });
  // Casts send the gradient back in the input's dtype.
  for (const char* name : {"Cast", "_copyto"})
    OpRegistry::setGradient(name, [](const NodePtr& n, const Entries& og) {
      return Entries{op2("_cast_like", og[0], in(n, 0))};
    });
  OpRegistry::setGradient("_cast_like", [](const NodePtr& n, const Entries& og) {
    return Entries{op2("_cast_like", og[0], in(n, 0)), NodeEntry{}};
  });
  // hard_sigmoid' = alpha where 0 < y < 1.
  OpRegistry::setGradient("hard_sigmoid", [](const NodePtr& n, const Entries& og) {
    const NodeEntry y = out(n);
    const NodeEntry inside = mul(scalarOp("_greater_scalar", y, 0), scalarOp("_lesser_scalar", y, 1));
    return Entries{mul(og[0], mulS(inside, n->attrs.get<HardSigmoidParam>().alpha))};
  });
}

[[maybe_unused]] const bool kRegistered = [] {
  registerUnary();
  registerBinary();
  registerScalar();
  registerMisc();
  return true;
}();

}  // namespace
}  // namespace ist
