// Control-flow operators: registrations, their bodies' inference, unrolling, and MXNet's subgraph cut.
#include "graph/control_flow.h"
#include <algorithm>
#include <climits>
#include <unordered_map>
#include <unordered_set>
#include "base/error.h"
#include "graph/infer_graph.h"

namespace ist {

namespace {

// The registry's hidden count of variadic inputs (ops/nn/layer_util.h): MXNet counts these ops'
// inputs with num_args, which includes the subgraphs, so the count of real inputs is kept apart.
constexpr const char* kInputCount = "__num_optional_inputs__";

struct ForeachParam {
  int num_args = 0, num_outputs = 0, num_out_data = 0;
  Shape in_state_locs, in_data_locs, remain_locs;
  static void declare(ParamDecl<ForeachParam>& d) {
    d.field("num_args", &ForeachParam::num_args).range(1, INT_MAX).doc("Number of inputs.");
    d.field("num_outputs", &ForeachParam::num_outputs).range(0, INT_MAX).doc("The number of outputs of the subgraph.");
    d.field("num_out_data", &ForeachParam::num_out_data).range(0, INT_MAX).doc("The number of output data of the subgraph.");
    d.field("in_state_locs", &ForeachParam::in_state_locs).doc("The locations of loop states among the inputs.");
    d.field("in_data_locs", &ForeachParam::in_data_locs).doc("The locations of input data among the inputs.");
    d.field("remain_locs", &ForeachParam::remain_locs).doc("The locations of remaining data among the inputs.");
  }
};

struct WhileLoopParam {
  int num_args = 0, num_outputs = 0, num_out_data = 0, max_iterations = 0;
  Shape cond_input_locs, func_input_locs, func_var_locs;
  static void declare(ParamDecl<WhileLoopParam>& d) {
    d.field("num_args", &WhileLoopParam::num_args).range(2, INT_MAX).doc("Number of input arguments, including cond and func as two symbol inputs.");
    d.field("num_outputs", &WhileLoopParam::num_outputs).range(1, INT_MAX).doc("The number of outputs of the subgraph.");
    d.field("num_out_data", &WhileLoopParam::num_out_data).range(0, INT_MAX).doc("The number of outputs from the function body.");
    d.field("max_iterations", &WhileLoopParam::max_iterations).range(1, INT_MAX).doc("Maximum number of iterations.");
    d.field("cond_input_locs", &WhileLoopParam::cond_input_locs).doc("The locations of cond's inputs in the given inputs.");
    d.field("func_input_locs", &WhileLoopParam::func_input_locs).doc("The locations of func's inputs in the given inputs.");
    d.field("func_var_locs", &WhileLoopParam::func_var_locs).doc("The locations of loop_vars among func's inputs.");
  }
};

struct CondParam {
  int num_args = 0, num_outputs = 0;
  Shape cond_input_locs, then_input_locs, else_input_locs;
  static void declare(ParamDecl<CondParam>& d) {
    d.field("num_args", &CondParam::num_args).range(3, INT_MAX).doc("Number of input arguments, including cond, then and else as three symbol inputs.");
    d.field("num_outputs", &CondParam::num_outputs).range(1, INT_MAX).doc("The number of outputs of the subgraph.");
    d.field("cond_input_locs", &CondParam::cond_input_locs).doc("The locations of cond's inputs in the given inputs.");
    d.field("then_input_locs", &CondParam::then_input_locs).doc("The locations of then's inputs in the given inputs.");
    d.field("else_input_locs", &CondParam::else_input_locs).doc("The locations of else's inputs in the given inputs.");
  }
};

// Imperative calls have no bodies: MXNet's nd.contrib functions loop in the frontend instead.
template <typename T>
void refuseImperative(const NodeAttrs& attrs, std::vector<T>&, std::vector<T>&) {
  const std::string name = attrs.op ? attrs.op->name : "_foreach";
  throwError(name, "subgraph",
             "a control-flow op runs only inside a Symbol graph (sym.contrib.foreach / while_loop / cond); "
             "called on arrays, use nd.contrib.foreach / while_loop / cond");
}

template <typename P>
Op& registerControlFlow(const char* name, int graphs, const char* doc) {
  return OpRegistry::add(name)
      .describe(doc)
      .variadic("data", kInputCount)
      .optionalInputs({"data"},
                      [graphs](const NodeAttrs& a) {
                        std::vector<std::string> r;
                        for (int i = 0; i < a.get<P>().num_args - graphs; ++i) r.push_back("data" + std::to_string(i));
                        return r;
                      })
      .template params<P>()
      .numOutputs([](const NodeAttrs& a) { return a.get<P>().num_outputs; })
      .inferShape(refuseImperative<Shape>)
      .inferType(refuseImperative<int>);
}

[[maybe_unused]] const bool kRegistered = [] {
  registerControlFlow<ForeachParam>("_foreach", 1,
      "Runs a for loop over axis 0 of its data inputs with the body as a subgraph (MXNet's "
      "sym.contrib.foreach): outputs are the stacked step outputs, then the final loop states.");
  registerControlFlow<WhileLoopParam>("_while_loop", 2,
      "Runs a while loop with cond and func as subgraphs (MXNet's sym.contrib.while_loop): outputs are the "
      "step outputs stacked to max_iterations rows, then the final loop variables.");
  registerControlFlow<CondParam>("_cond", 3,
      "Runs then or else as a subgraph, by the value of cond (MXNet's sym.contrib.cond).");
  return true;
}();

// ---- inference ----

struct ShapeRule {
  using T = Shape;
  static T unknown() { return unknownShape(); }
  static bool merge(const T& a, const T& b, T* out) { return mergeShapes(a, b, out); }
  static bool known(const T& s) { return shapeIsKnown(s); }
  static std::string str(const T& s) { return partialShapeString(s); }
  static std::vector<T>& store(Graph& g) { return g.shapes; }
  static void infer(Graph& g) { inferShapes(g); }
  static const char* errorKey() { return "shape_error"; }
  // One step of a stacked value (axis 0 dropped) and back.
  static T step(const T& s) { return shapeRankKnown(s) && !s.empty() ? T(s.begin() + 1, s.end()) : unknown(); }
  static T stacked(const T& s, int64_t len) {
    if (!shapeRankKnown(s)) return unknown();
    T r{len};
    r.insert(r.end(), s.begin(), s.end());
    return r;
  }
};

struct TypeRule {
  using T = int;
  static T unknown() { return -1; }
  static bool merge(const T& a, const T& b, T* out) { return mergeDTypes(a, b, out); }
  static bool known(const T& t) { return t >= 0; }
  static std::string str(const T& t) { return partialDTypeString(t); }
  static std::vector<T>& store(Graph& g) { return g.dtypes; }
  static void infer(Graph& g) { inferTypes(g); }
  static const char* errorKey() { return "dtype_error"; }
  static T step(const T& t) { return t; }
  static T stacked(const T& t, int64_t) { return t; }
};

template <typename R>
void mergeOrThrow(typename R::T& into, const typename R::T& v, const std::string& op, const std::string& what) {
  typename R::T m;
  IST_CHECK(R::merge(into, v, &m), op, what, what << " is " << R::str(into) << " but its subgraph gives " << R::str(v));
  into = m;
}

// A body's inputs, in MXNet's order (the subgraph's list_inputs).
std::vector<NodePtr> bodyInputs(const std::vector<NodeEntry>& body) { return Symbol{body}.listInputs(Symbol::InputKind::kAll); }

// Infers `body` seeded with `in` (one value per body input) and `out` (one per body output) and
// writes back what it learnt. `strict`: a body that cannot be inferred is an error.
template <typename R>
void inferBody(const std::vector<NodeEntry>& body, std::vector<typename R::T>& in, std::vector<typename R::T>& out,
               bool strict, const std::string& op, const std::string& which) {
  Graph g = Graph::build(body);
  const std::vector<NodePtr> vars = bodyInputs(body);
  IST_CHECK(vars.size() == in.size(), op, which,
            "the subgraph has " << vars.size() << " input(s) but the locations give " << in.size());
  IST_CHECK(body.size() == out.size(), op, which,
            "the subgraph has " << body.size() << " output(s), expected " << out.size());
  auto& vals = R::store(g);
  vals.assign(g.numEntries(), R::unknown());
  for (size_t i = 0; i < vars.size(); ++i) vals[g.entryId(NodeEntry{vars[i], 0})] = in[i];
  for (size_t k = 0; k < body.size(); ++k) mergeOrThrow<R>(vals[g.entryId(body[k])], out[k], op, which + " output " + std::to_string(k));
  try {
    R::infer(g);
  } catch (const IsotensorError& e) {
    throwError(op, which, std::string("in its subgraph: ") + e.what());
  }
  const std::string err = g.template attr<std::string>(R::errorKey());
  if (strict && !err.empty()) throwError(op, which, "in its subgraph: " + err);
  for (size_t i = 0; i < vars.size(); ++i) in[i] = vals[g.entryId(NodeEntry{vars[i], 0})];
  for (size_t k = 0; k < body.size(); ++k) out[k] = vals[g.entryId(body[k])];
}

int locAt(const Shape& locs, size_t i, size_t bound, const std::string& op, const char* field) {
  const int64_t v = locs[i];
  IST_CHECK(v >= 0 && static_cast<size_t>(v) < bound, op, field,
            "location " << v << " is out of range for " << bound << " input(s)");
  return static_cast<int>(v);
}

template <typename R>
void inferForeach(const Node& n, std::vector<typename R::T>& in, std::vector<typename R::T>& out, bool strict) {
  using T = typename R::T;
  const std::string op = "_foreach";
  const auto& p = n.attrs.get<ForeachParam>();
  const size_t nd = p.in_data_locs.size(), ns = p.in_state_locs.size(), nr = p.remain_locs.size();
  IST_CHECK(nd + ns + nr == in.size(), op, "data",
            "the locations name " << nd + ns + nr << " input(s) but the node has " << in.size());
  IST_CHECK(p.num_out_data <= p.num_outputs && static_cast<size_t>(p.num_outputs - p.num_out_data) == ns, op,
            "num_outputs", "num_outputs " << p.num_outputs << " must be num_out_data " << p.num_out_data << " plus "
                                          << ns << " state(s)");
  const size_t nin = in.size(), nout = static_cast<size_t>(p.num_outputs);
  std::vector<int> loc(nin);
  for (size_t i = 0; i < nd; ++i) loc[i] = locAt(p.in_data_locs, i, nin, op, "in_data_locs");
  for (size_t j = 0; j < ns; ++j) loc[nd + j] = locAt(p.in_state_locs, j, nin, op, "in_state_locs");
  for (size_t k = 0; k < nr; ++k) loc[nd + ns + k] = locAt(p.remain_locs, k, nin, op, "remain_locs");
  // Steps: axis 0 of every data input (shapes only).
  int64_t steps = kUnknownDim;
  if constexpr (std::is_same_v<T, Shape>) {
    for (size_t i = 0; i < nd; ++i) {
      if (!shapeRankKnown(in[i])) continue;
      IST_CHECK(!in[i].empty(), op, "data" + std::to_string(i), "data must have at least one axis to loop over");
      if (in[i][0] == kUnknownDim) continue;
      IST_CHECK(steps == kUnknownDim || steps == in[i][0], op, "data" + std::to_string(i),
                "every data input must have the same length along axis 0; got " << steps << " and " << in[i][0]);
      steps = in[i][0];
    }
    for (size_t k = 0; k < static_cast<size_t>(p.num_out_data); ++k)
      if (shapeRankKnown(out[k]) && !out[k].empty() && out[k][0] != kUnknownDim && steps == kUnknownDim) steps = out[k][0];
  }
  std::vector<T> bin(nin, R::unknown()), bout(nout, R::unknown());
  for (size_t i = 0; i < nin; ++i) bin[loc[i]] = i < nd ? R::step(in[i]) : in[i];
  for (size_t k = 0; k < nout; ++k) bout[k] = k < static_cast<size_t>(p.num_out_data) ? R::step(out[k]) : out[k];
  // A state's value before and after a step agree: two passes carry what one side learnt to the other.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t j = 0; j < ns; ++j) {
      T& sIn = bin[loc[nd + j]];
      T& sOut = bout[p.num_out_data + j];
      mergeOrThrow<R>(sIn, sOut, op, "state " + std::to_string(j));
      sOut = sIn;
    }
    inferBody<R>(n.subgraphs[0], bin, bout, strict && pass == 1, op, "body");
  }
  for (size_t i = 0; i < nin; ++i) {
    T v = bin[loc[i]];
    if (i < nd) {
      if constexpr (std::is_same_v<T, Shape>) v = R::stacked(v, shapeRankKnown(in[i]) && !in[i].empty() ? in[i][0] : steps);
    }
    mergeOrThrow<R>(in[i], v, op, symbolInputName(n, i));
  }
  for (size_t k = 0; k < nout; ++k) {
    T v = k < static_cast<size_t>(p.num_out_data) ? R::stacked(bout[k], steps) : bout[k];
    mergeOrThrow<R>(out[k], v, op, "output " + std::to_string(k));
  }
}

// Seeds a body's inputs from the node's inputs through `locs`, infers, and writes back.
template <typename R>
void inferMappedBody(const Node& n, const std::vector<NodeEntry>& body, const Shape& locs, const char* locsName,
                     std::vector<typename R::T>& in, std::vector<typename R::T>& bout, bool strict, const std::string& op,
                     const std::string& which) {
  std::vector<typename R::T> bin(locs.size());
  for (size_t i = 0; i < locs.size(); ++i) bin[i] = in[locAt(locs, i, in.size(), op, locsName)];
  inferBody<R>(body, bin, bout, strict, op, which);
  for (size_t i = 0; i < locs.size(); ++i) mergeOrThrow<R>(in[locs[i]], bin[i], op, symbolInputName(n, locs[i]));
}

template <typename R>
void inferWhileLoop(const Node& n, std::vector<typename R::T>& in, std::vector<typename R::T>& out, bool strict) {
  using T = typename R::T;
  const std::string op = "_while_loop";
  const auto& p = n.attrs.get<WhileLoopParam>();
  const size_t nv = p.func_var_locs.size(), nd = static_cast<size_t>(p.num_out_data);
  IST_CHECK(nd + nv == static_cast<size_t>(p.num_outputs), op, "num_outputs",
            "num_outputs " << p.num_outputs << " must be num_out_data " << nd << " plus " << nv << " loop variable(s)");
  std::vector<size_t> varInput(nv);  // the node input of each loop variable
  for (size_t j = 0; j < nv; ++j) {
    const int f = locAt(p.func_var_locs, j, p.func_input_locs.size(), op, "func_var_locs");
    varInput[j] = static_cast<size_t>(locAt(p.func_input_locs, f, in.size(), op, "func_input_locs"));
  }
  for (int pass = 0; pass < 2; ++pass) {
    const bool last = strict && pass == 1;
    std::vector<T> cout{R::unknown()};
    inferMappedBody<R>(n, n.subgraphs[0], p.cond_input_locs, "cond_input_locs", in, cout, last, op, "cond");
    std::vector<T> fout(p.num_outputs, R::unknown());
    for (size_t k = 0; k < nd; ++k) fout[k] = R::step(out[k]);
    for (size_t j = 0; j < nv; ++j) {
      mergeOrThrow<R>(in[varInput[j]], out[nd + j], op, "loop variable " + std::to_string(j));
      fout[nd + j] = in[varInput[j]];
    }
    inferMappedBody<R>(n, n.subgraphs[1], p.func_input_locs, "func_input_locs", in, fout, last, op, "func");
    for (size_t k = 0; k < nd; ++k) mergeOrThrow<R>(out[k], R::stacked(fout[k], p.max_iterations), op, "output " + std::to_string(k));
    for (size_t j = 0; j < nv; ++j) {
      mergeOrThrow<R>(in[varInput[j]], fout[nd + j], op, "loop variable " + std::to_string(j));
      mergeOrThrow<R>(out[nd + j], in[varInput[j]], op, "output " + std::to_string(nd + j));
    }
  }
}

template <typename R>
void inferCond(const Node& n, std::vector<typename R::T>& in, std::vector<typename R::T>& out, bool strict) {
  const std::string op = "_cond";
  const auto& p = n.attrs.get<CondParam>();
  for (int pass = 0; pass < 2; ++pass) {
    const bool last = strict && pass == 1;
    std::vector<typename R::T> cout{R::unknown()};
    inferMappedBody<R>(n, n.subgraphs[0], p.cond_input_locs, "cond_input_locs", in, cout, last, op, "cond");
    std::vector<typename R::T> tout = out, eout = out;
    inferMappedBody<R>(n, n.subgraphs[1], p.then_input_locs, "then_input_locs", in, tout, last, op, "then");
    inferMappedBody<R>(n, n.subgraphs[2], p.else_input_locs, "else_input_locs", in, eout, last, op, "else");
    for (size_t k = 0; k < out.size(); ++k) {
      mergeOrThrow<R>(out[k], tout[k], op, "output " + std::to_string(k) + " (then)");
      mergeOrThrow<R>(out[k], eout[k], op, "output " + std::to_string(k) + " (else)");
    }
  }
}

template <typename R>
void inferControlFlow(const Node& n, std::vector<typename R::T>& in, std::vector<typename R::T>& out) {
  const Op& op = *n.attrs.op;
  const int graphs = controlFlowSubgraphCount(op);
  IST_CHECK(graphs > 0 && static_cast<int>(n.subgraphs.size()) == graphs, op.name, "subgraph",
            "node '" << n.name << "' has " << n.subgraphs.size() << " subgraph(s), expected " << graphs);
  bool strict = true;
  for (auto& v : in) strict &= R::known(v);
  if (op.name == "_foreach") inferForeach<R>(n, in, out, strict);
  else if (op.name == "_while_loop") inferWhileLoop<R>(n, in, out, strict);
  else inferCond<R>(n, in, out, strict);
}

// ---- unrolling ----

struct Unroller {
  const Graph& g;

  // Ops the unrolled graph is made of.
  static NodePtr make(const std::string& op, std::vector<NodeEntry> in, AttrDict attrs, const std::string& name) {
    NodePtr n = makeNode(op, std::move(in), std::move(attrs));
    n->name = name;
    return n;
  }

  // One copy of `body` reading `inputs` (one per body input); returns its outputs.
  static std::vector<NodeEntry> instantiate(const std::vector<NodeEntry>& body, const std::vector<NodeEntry>& inputs,
                                            const std::string& prefix) {
    std::unordered_map<const Node*, NodeEntry> varEntry;
    const std::vector<NodePtr> vars = bodyInputs(body);
    for (size_t i = 0; i < vars.size(); ++i) varEntry[vars[i].get()] = inputs[i];
    std::unordered_map<const Node*, NodePtr> made;
    auto mapEntry = [&](const NodeEntry& e) {
      if (e.node->isVariable()) return varEntry.at(e.node.get());
      return NodeEntry{made.at(e.node.get()), e.index};
    };
    for (const NodePtr& src : topoSort(body)) {
      if (src->isVariable()) continue;
      auto c = std::make_shared<Node>();
      c->attrs = src->attrs;
      c->name = prefix + src->name;
      c->subgraphs = src->subgraphs;
      for (const NodeEntry& e : src->inputs) c->inputs.push_back(mapEntry(e));
      made[src.get()] = c;
    }
    std::vector<NodeEntry> outs;
    for (const NodeEntry& e : body) outs.push_back(mapEntry(e));
    return outs;
  }

  static std::string tuple(const Shape& s) { return shapeString(s); }

  // where(mask, a, b) with a one-element mask broadcast to a's shape.
  static NodeEntry select(const NodeEntry& mask, const NodeEntry& a, const NodeEntry& b, size_t rank,
                          const std::string& name) {
    NodeEntry m = mask;
    if (rank > 0) {
      m = NodeEntry{make("Reshape", {m}, {{"shape", tuple(Shape(rank, 1))}}, name + "_mask"), 0};
      m = NodeEntry{make("broadcast_like", {m, a}, {}, name + "_mask_like"), 0};
    }
    return NodeEntry{make("where", {m, a, b}, {}, name + "_select"), 0};
  }

  // Refuses a condition body whose output (given the node's input shapes through `locs`) is not
  // one element: MXNet reads it as a scalar.
  void checkCondition(const Node& n, const Shape& locs) const {
    std::vector<Shape> in;
    for (int64_t l : locs) in.push_back(g.shapes[g.entryId(n.inputs[l])]);
    std::vector<Shape> out{unknownShape()};
    inferBody<ShapeRule>(n.subgraphs[0], in, out, true, n.attrs.op->name, "cond");
    IST_CHECK(shapeIsKnown(out[0]) && shapeSize(out[0]) == 1, n.attrs.op->name, "cond",
              "node '" << n.name << "': the condition must have exactly one element, got shape "
                       << ShapeRule::str(out[0]));
  }

  // The condition as 0/1 in its own dtype.
  static NodeEntry truth(const NodeEntry& c, const std::string& name) {
    return NodeEntry{make("_not_equal_scalar", {c}, {{"scalar", "0"}}, name + "truth"), 0};
  }

  // The entries of `in` at `locs`, in order.
  static std::vector<NodeEntry> pick(const std::vector<NodeEntry>& in, const Shape& locs) {
    std::vector<NodeEntry> r;
    for (int64_t l : locs) r.push_back(in[l]);
    return r;
  }

  std::vector<NodeEntry> foreach(const Node& n, const std::vector<NodeEntry>& in) const {
    const auto& p = n.attrs.get<ForeachParam>();
    const size_t nd = p.in_data_locs.size(), ns = p.in_state_locs.size(), nr = p.remain_locs.size();
    const Shape& first = g.shapes[g.entryId(n.inputs[0])];
    const int64_t steps = first[0];
    IST_CHECK(steps > 0, "_foreach", "data0",
              "node '" << n.name << "': data has length 0 along axis 0 (shape " << shapeString(first)
                       << "); foreach needs at least one step");
    std::vector<NodePtr> slices(nd);
    for (size_t i = 0; i < nd; ++i)
      slices[i] = make("SliceChannel", {in[i]},
                       {{"num_outputs", std::to_string(steps)}, {"axis", "0"}, {"squeeze_axis", "1"}},
                       n.name + "_data" + std::to_string(i) + "_steps");
    std::vector<NodeEntry> states(in.begin() + nd, in.begin() + nd + ns);
    std::vector<std::vector<NodeEntry>> stepOuts(p.num_out_data);
    for (int64_t t = 0; t < steps; ++t) {
      std::vector<NodeEntry> bin(nd + ns + nr);
      for (size_t i = 0; i < nd; ++i) bin[p.in_data_locs[i]] = NodeEntry{slices[i], static_cast<uint32_t>(t)};
      for (size_t j = 0; j < ns; ++j) bin[p.in_state_locs[j]] = states[j];
      for (size_t k = 0; k < nr; ++k) bin[p.remain_locs[k]] = in[nd + ns + k];
      std::vector<NodeEntry> outs = instantiate(n.subgraphs[0], bin, n.name + "_step" + std::to_string(t) + "_");
      for (int k = 0; k < p.num_out_data; ++k) stepOuts[k].push_back(outs[k]);
      for (size_t j = 0; j < ns; ++j) states[j] = outs[p.num_out_data + j];
    }
    std::vector<NodeEntry> r;
    for (int k = 0; k < p.num_out_data; ++k)
      r.push_back(NodeEntry{make("stack", stepOuts[k], {{"axis", "0"}, {"num_args", std::to_string(steps)}},
                                 n.name + "_output" + std::to_string(k)), 0});
    for (auto& s : states) r.push_back(s);
    return r;
  }

  std::vector<NodeEntry> whileLoop(const Node& n, const std::vector<NodeEntry>& in) const {
    const auto& p = n.attrs.get<WhileLoopParam>();
    const size_t nv = p.func_var_locs.size(), nd = static_cast<size_t>(p.num_out_data);
    const uint32_t nid = g.nodeId(&n);
    std::vector<size_t> varInput(nv);
    for (size_t j = 0; j < nv; ++j) varInput[j] = static_cast<size_t>(p.func_input_locs[p.func_var_locs[j]]);
    checkCondition(n, p.cond_input_locs);
    std::vector<NodeEntry> cur = in;  // node inputs with loop variables at their current values
    std::vector<std::vector<NodeEntry>> stepOuts(nd);
    NodeEntry active;
    for (int k = 0; k < p.max_iterations; ++k) {
      const std::string prefix = n.name + "_step" + std::to_string(k) + "_";
      std::vector<NodeEntry> condIn = pick(cur, p.cond_input_locs);
      NodeEntry t = truth(instantiate(n.subgraphs[0], condIn, prefix + "cond_")[0], prefix);
      active = k == 0 ? t : NodeEntry{make("broadcast_mul", {active, t}, {}, prefix + "active"), 0};
      std::vector<NodeEntry> f = instantiate(n.subgraphs[1], pick(cur, p.func_input_locs), prefix + "func_");
      for (size_t o = 0; o < nd; ++o) {
        const size_t rank = g.shapes[g.entryBase[nid] + o].size() - 1;
        NodeEntry zero{make("zeros_like", {f[o]}, {}, prefix + "zero" + std::to_string(o)), 0};
        stepOuts[o].push_back(select(active, f[o], zero, rank, prefix + "out" + std::to_string(o)));
      }
      for (size_t j = 0; j < nv; ++j) {
        const size_t rank = g.shapes[g.entryId(n.inputs[varInput[j]])].size();
        cur[varInput[j]] = select(active, f[nd + j], cur[varInput[j]], rank, prefix + "var" + std::to_string(j));
      }
    }
    std::vector<NodeEntry> r;
    for (size_t o = 0; o < nd; ++o)
      r.push_back(NodeEntry{make("stack", stepOuts[o], {{"axis", "0"}, {"num_args", std::to_string(p.max_iterations)}},
                                 n.name + "_output" + std::to_string(o)), 0});
    for (size_t j = 0; j < nv; ++j) r.push_back(cur[varInput[j]]);
    return r;
  }

  std::vector<NodeEntry> cond(const Node& n, const std::vector<NodeEntry>& in) const {
    const auto& p = n.attrs.get<CondParam>();
    const uint32_t nid = g.nodeId(&n);
    checkCondition(n, p.cond_input_locs);
    NodeEntry t = truth(instantiate(n.subgraphs[0], pick(in, p.cond_input_locs), n.name + "_cond_")[0], n.name + "_");
    std::vector<NodeEntry> a = instantiate(n.subgraphs[1], pick(in, p.then_input_locs), n.name + "_then_");
    std::vector<NodeEntry> b = instantiate(n.subgraphs[2], pick(in, p.else_input_locs), n.name + "_else_");
    std::vector<NodeEntry> r;
    for (int k = 0; k < p.num_outputs; ++k)
      r.push_back(select(t, a[k], b[k], g.shapes[g.entryBase[nid] + k].size(), n.name + "_output" + std::to_string(k)));
    return r;
  }
};

}  // namespace

int controlFlowSubgraphCount(const Op& op) {
  // Inference asks for every node on every sweep: compare records, not names.
  static const Op* const ops[3] = {OpRegistry::find("_foreach"), OpRegistry::find("_while_loop"),
                                   OpRegistry::find("_cond")};
  for (int i = 0; i < 3; ++i)
    if (&op == ops[i]) return i + 1;
  return 0;
}

void inferControlFlowShapes(const Node& n, std::vector<Shape>& in, std::vector<Shape>& out) {
  inferControlFlow<ShapeRule>(n, in, out);
}

void inferControlFlowTypes(const Node& n, std::vector<int>& in, std::vector<int>& out) {
  inferControlFlow<TypeRule>(n, in, out);
}

bool hasControlFlow(const Graph& g) {
  for (const NodePtr& n : g.nodes)
    if (!n->subgraphs.empty()) return true;
  return false;
}

std::vector<NodeEntry> lowerControlFlow(const Graph& g) {
  Unroller u{g};
  std::vector<std::vector<NodeEntry>> mapped(g.nodes.size());
  for (uint32_t nid = 0; nid < g.nodes.size(); ++nid) {
    const NodePtr& n = g.nodes[nid];
    const uint32_t nOut = g.entryBase[nid + 1] - g.entryBase[nid];
    if (n->isVariable()) {
      mapped[nid] = {NodeEntry{n, 0}};
      continue;
    }
    std::vector<NodeEntry> in;
    bool changed = false;
    for (const NodeEntry& e : n->inputs) {
      in.push_back(mapped[g.nodeId(e.node.get())][e.index]);
      changed |= !(in.back() == e);
    }
    if (!n->subgraphs.empty()) {
      const std::string& op = n->attrs.op->name;
      // The operator report counts a control-flow op once per bind: it never runs as itself.
      n->attrs.op->countCall(n->inputs.empty() ? -1 : g.dtypes[g.entryId(n->inputs[0])]);
      mapped[nid] = op == "_foreach" ? u.foreach(*n, in) : op == "_while_loop" ? u.whileLoop(*n, in) : u.cond(*n, in);
      continue;
    }
    NodePtr m = n;
    if (changed) {
      m = std::make_shared<Node>();
      m->attrs = n->attrs;
      m->name = n->name;
      m->inputs = std::move(in);
    }
    for (uint32_t o = 0; o < nOut; ++o) mapped[nid].push_back(NodeEntry{m, o});
  }
  std::vector<NodeEntry> heads;
  for (const NodeEntry& e : g.outputs) heads.push_back(mapped[g.nodeId(e.node.get())][e.index]);
  return heads;
}

Symbol cutSubgraph(Symbol& g) {
  Symbol cut;
  if (g.outputs.empty()) return cut;
  const char* key = "__subgraph_name__";
  auto it = g.outputs[0].node->attrs.dict.find(key);
  if (it == g.outputs[0].node->attrs.dict.end()) return cut;
  const std::string sub = it->second;
  auto inside = [&](const Node& n) {
    auto f = n.attrs.dict.find(key);
    return f != n.attrs.dict.end() && f->second == sub;
  };
  std::vector<NodeEntry*> edges;
  for (const NodePtr& n : topoSort(g.outputs)) {
    if (!inside(*n)) continue;
    for (NodeEntry& e : n->inputs)
      if (!inside(*e.node)) edges.push_back(&e);
  }
  std::vector<std::pair<NodeEntry, NodePtr>> made;  // cut entry -> its variable
  for (NodeEntry* e : edges) {
    cut.outputs.push_back(*e);
    NodePtr var;
    for (auto& m : made)
      if (m.first == *e) var = m.second;
    if (!var) {
      var = makeVariable(Symbol{{*e}}.listOutputNames()[0]);
      made.emplace_back(*e, var);
    }
    *e = NodeEntry{var, 0};
  }
  return cut;
}

}  // namespace ist
