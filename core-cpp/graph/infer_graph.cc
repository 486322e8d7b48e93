// Shape/dtype inference to a fixed point: alternate forward and backward sweeps applying each op's
// rule to its entries, merging partial knowledge, until a sweep changes nothing.
#include "graph/infer_graph.h"
#include "graph/control_flow.h"
#include "graph/symbol.h"
#include <sstream>
#include <type_traits>

namespace ist {

namespace {

std::string nodeLabel(const Node& n) {
  return "node '" + n.name + "' (" + (n.isVariable() ? std::string("variable") : n.attrs.op->name) + ")";
}

struct ShapeTraits {
  using T = Shape;
  static const char* what() { return "shape"; }
  static T unknown() { return unknownShape(); }
  static bool known(const T& s) { return shapeIsKnown(s); }
  static std::string str(const T& s) { return partialShapeString(s); }
  static bool merge(const T& a, const T& b, T* out) { return mergeShapes(a, b, out); }
  static bool hasFn(const Op& op) { return static_cast<bool>(op.inferShapeFn); }
  static void call(const Node& n, std::vector<T>& in, std::vector<T>& out) {
    if (controlFlowSubgraphCount(*n.attrs.op) > 0) inferControlFlowShapes(n, in, out);  // the bodies' inference
    else n.attrs.op->inferShapeFn(n.attrs, in, out);
  }
  // A variable's declared shape (MXNet writes unknown dims as 0).
  static bool hint(const Node& n, T* out) {
    auto it = n.attrs.dict.find("__shape__");
    if (it == n.attrs.dict.end()) return false;
    Shape s = paramparse::parseShape(it->second, n.name.c_str(), "__shape__");
    if (s.empty()) return false;  // MXNet 1.x: "()" is an unknown shape, not a scalar
    for (auto& d : s) if (d == 0) d = kUnknownDim;
    *out = s;
    return true;
  }
  static std::vector<T>& store(Graph& g) { return g.shapes; }
  static const char* unknownKey() { return "shape_num_unknown"; }
  static const char* errorKey() { return "shape_error"; }
};

struct TypeTraits {
  using T = int;
  static const char* what() { return "dtype"; }
  static T unknown() { return -1; }
  static bool known(const T& t) { return t >= 0; }
  static std::string str(const T& t) { return partialDTypeString(t); }
  static bool merge(const T& a, const T& b, T* out) { return mergeDTypes(a, b, out); }
  static bool hasFn(const Op& op) { return static_cast<bool>(op.inferTypeFn); }
  static void call(const Node& n, std::vector<T>& in, std::vector<T>& out) {
    if (controlFlowSubgraphCount(*n.attrs.op) > 0) inferControlFlowTypes(n, in, out);
    else n.attrs.op->inferTypeFn(n.attrs, in, out);
  }
  static bool hint(const Node& n, T* out) {
    auto it = n.attrs.dict.find("__dtype__");
    if (it == n.attrs.dict.end()) return false;
    const std::string& v = it->second;
    bool numeric = !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
    *out = numeric ? static_cast<int>(paramparse::parseInt(v, n.name.c_str(), "__dtype__"))
                   : static_cast<int>(dtypeFromName(v, n.name.c_str(), "__dtype__"));
    IST_CHECK(dtypeIsValid(*out), n.name, "__dtype__", "unknown dtype flag " << v);
    return true;
  }
  static std::vector<T>& store(Graph& g) { return g.dtypes; }
  static const char* unknownKey() { return "dtype_num_unknown"; }
  static const char* errorKey() { return "dtype_error"; }
};

// Op rules infer from fully known inputs. For inputs with some unknown dims (MXNet's 0s) the rule
// runs twice with different stand-ins for those dims; what both runs agree on (a weight's shape, an
// output's channel count) is known, what differs stays unknown. A rule rejecting the stand-ins
// (divisibility, fixed target shapes) teaches nothing. Returns false when no probe succeeded.
bool probeShapes(const Node& n, const std::vector<Shape>& in, uint32_t nOut, std::vector<Shape>* agreedIn,
                 std::vector<Shape>* agreedOut) {
  bool partial = false;
  for (auto& s : in) partial |= shapeRankKnown(s) && !shapeIsKnown(s);
  if (!partial) return false;
  static const int64_t kStandIns[][2] = {{512, 768}, {360, 840}};
  auto agree = [](const Shape& a, const Shape& b) {
    if (!shapeRankKnown(a) || !shapeRankKnown(b) || a.size() != b.size()) return unknownShape();
    Shape r = a;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i]) r[i] = kUnknownDim;
    return r;
  };
  for (auto& pair : kStandIns) {
    std::vector<Shape> ins[2], outs[2];
    bool ok = true;
    for (int k = 0; k < 2 && ok; ++k) {
      ins[k] = in;
      for (auto& s : ins[k])
        if (shapeRankKnown(s))
          for (auto& d : s)
            if (d == kUnknownDim) d = pair[k];
      outs[k].assign(nOut, unknownShape());
      try {
        n.attrs.op->inferShapeFn(n.attrs, ins[k], outs[k]);
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok) continue;
    agreedIn->clear();
    agreedOut->clear();
    for (size_t i = 0; i < in.size(); ++i) agreedIn->push_back(agree(ins[0][i], ins[1][i]));
    for (uint32_t o = 0; o < nOut; ++o) agreedOut->push_back(agree(outs[0][o], outs[1][o]));
    return true;
  }
  return false;
}

template <typename Traits>
std::string describeInputsWith(const Graph& g, const Node& n, const std::vector<typename Traits::T>& vals) {
  std::string r;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    r += (i ? ", " : "") + symbolInputName(n, i) + " ";
    r += n.inputs[i].node ? Traits::str(vals[g.entryId(n.inputs[i])]) : "none";
  }
  return r;
}

template <typename Traits>
void inferAttr(Graph& g) {
  using T = typename Traits::T;
  std::vector<T>& vals = Traits::store(g);
  const uint32_t numEntries = g.numEntries();
  if (vals.size() != numEntries) vals.assign(numEntries, Traits::unknown());

  // Merges `cand` into entry `eid`; a conflict throws naming the node's argument and both values
  // (or, for a probe's guess, is ignored).
  auto mergeInto = [&](uint32_t eid, const T& cand, const Node& n, const std::string& arg, bool strict = true) -> bool {
    T merged;
    if (!Traits::merge(vals[eid], cand, &merged)) {
      if (!strict) return false;
      std::ostringstream os;
      os << nodeLabel(n) << ": inferred " << Traits::what() << " " << Traits::str(cand) << " conflicts with "
         << Traits::str(vals[eid]);
      if (!n.isVariable()) os << " [inputs: " << describeInputsWith<Traits>(g, n, vals) << "]";
      throwError(n.isVariable() ? n.name : n.attrs.op->name, arg, os.str());
    }
    if (merged == vals[eid]) return false;
    vals[eid] = merged;
    return true;
  };

  for (uint32_t nid = 0; nid < g.nodes.size(); ++nid) {
    const Node& n = *g.nodes[nid];
    T h;
    if (n.isVariable() && Traits::hint(n, &h)) mergeInto(g.entryBase[nid], h, n, Traits::what());
  }

  // Errors of ops that failed while some of their inputs were unknown, by node (retried each sweep).
  std::vector<std::string> deferred(g.nodes.size());
  auto visit = [&](uint32_t nid) -> bool {
    const Node& n = *g.nodes[nid];
    if (n.isVariable() || !Traits::hasFn(*n.attrs.op)) return false;
    const uint32_t nOut = g.entryBase[nid + 1] - g.entryBase[nid];
    std::vector<T> in(n.inputs.size()), out(nOut);
    bool allInputsKnown = true;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      in[i] = n.inputs[i].node ? vals[g.entryId(n.inputs[i])] : Traits::unknown();
      allInputsKnown &= Traits::known(in[i]);
    }
    for (uint32_t o = 0; o < nOut; ++o) out[o] = vals[g.entryBase[nid] + o];
    const std::vector<T> given = in;
    bool changed = false;
    try {
      Traits::call(n, in, out);
      deferred[nid].clear();
      for (size_t i = 0; i < n.inputs.size(); ++i)
        if (n.inputs[i].node) changed |= mergeInto(g.entryId(n.inputs[i]), in[i], n, symbolInputName(n, i));
      for (uint32_t o = 0; o < nOut; ++o) changed |= mergeInto(g.entryBase[nid] + o, out[o], n, "output");
    } catch (const std::exception& e) {
      std::string msg = std::string(e.what()) + " [" + nodeLabel(n) + "; inputs: " +
                        describeInputsWith<Traits>(g, n, vals) + "]";
      if (allInputsKnown) throw IsotensorError(msg);
      deferred[nid] = msg;
    }
    if constexpr (std::is_same_v<T, Shape>) {
      std::vector<Shape> pin, pout;
      if (!allInputsKnown && probeShapes(n, given, nOut, &pin, &pout)) {
        for (size_t i = 0; i < n.inputs.size(); ++i)
          if (n.inputs[i].node) changed |= mergeInto(g.entryId(n.inputs[i]), pin[i], n, symbolInputName(n, i), false);
        for (uint32_t o = 0; o < nOut; ++o) changed |= mergeInto(g.entryBase[nid] + o, pout[o], n, "output", false);
      }
    }
    return changed;
  };

  const uint32_t numNodes = static_cast<uint32_t>(g.nodes.size());
  for (bool changed = true; changed;) {
    changed = false;
    for (uint32_t nid = 0; nid < numNodes; ++nid) changed |= visit(nid);
    for (uint32_t nid = numNodes; nid-- > 0;) changed |= visit(nid);
  }

  size_t numUnknown = 0;
  for (auto& v : vals) numUnknown += Traits::known(v) ? 0 : 1;
  g.setAttr<size_t>(Traits::unknownKey(), numUnknown);
  std::string firstError;
  for (auto& d : deferred)
    if (!d.empty()) { firstError = d; break; }
  g.setAttr<std::string>(Traits::errorKey(), firstError);
}

const bool kInferPassesRegistered = [] {
  registerPass("InferShape", [](Graph g) { inferShapes(g); return g; });
  registerPass("InferType", [](Graph g) { inferTypes(g); return g; });
  return true;
}();

}  // namespace

bool mergeShapes(const Shape& a, const Shape& b, Shape* out) {
  if (!shapeRankKnown(a)) { *out = b; return true; }
  if (!shapeRankKnown(b)) { *out = a; return true; }
  if (a.size() != b.size()) return false;
  Shape r = a;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == kUnknownDim) r[i] = b[i];
    else if (b[i] != kUnknownDim && a[i] != b[i]) return false;
  }
  *out = r;
  return true;
}

bool mergeDTypes(int a, int b, int* out) {
  if (a < 0) { *out = b; return true; }
  if (b < 0 || a == b) { *out = a; return true; }
  return false;
}

std::string partialShapeString(const Shape& s) { return shapeRankKnown(s) ? shapeString(s) : std::string("?"); }

std::string partialDTypeString(int t) {
  return t >= 0 && dtypeIsValid(t) ? dtypeName(static_cast<DType>(t)) : "?";
}

void inferShapes(Graph& g) { inferAttr<ShapeTraits>(g); }
void inferTypes(Graph& g) { inferAttr<TypeTraits>(g); }

std::string describeNodeInputs(const Graph& g, const Node& n) {
  if (n.isVariable()) return "";
  std::string r;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    r += (i ? ", " : "") + symbolInputName(n, i);
    if (!n.inputs[i].node) { r += " none"; continue; }
    uint32_t e = g.entryId(n.inputs[i]);
    if (e < g.shapes.size()) r += " " + ShapeTraits::str(g.shapes[e]);
    if (e < g.dtypes.size()) r += " " + TypeTraits::str(g.dtypes[e]);
  }
  return r;
}

}  // namespace ist
