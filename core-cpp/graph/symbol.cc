// Symbol construction, composition and introspection with MXNet 1.9's semantics (nnvm/src/core/symbolic.cc).
#include "graph/symbol.h"
#include "graph/control_flow.h"
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include "base/error.h"

namespace ist {

namespace {

// The registry wires optional trailing inputs (bias, gamma, length, ...) as a variadic tail counted
// by this hidden attribute (ops/nn/layer_util.h). MXNet has no such key: it never reaches JSON or
// the attributes users see.
constexpr const char* kOptionalCount = "__num_optional_inputs__";


bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string opNameOf(const Node& n) { return n.isVariable() ? std::string("null") : n.attrs.op->name; }

// A parameter's value on a node: the string given, else the registered default.
std::string paramValue(const Node& n, const std::string& key) {
  auto it = n.attrs.dict.find(key);
  if (it != n.attrs.dict.end()) return it->second;
  for (const auto& f : n.attrs.op->schema->fields())
    if (f.name == key) return f.defaultValue;
  return "";
}

// Optional inputs MXNet lists for the node's parameters (FListInputNames of each op).
std::vector<std::string> optionalInputNames(const Node& n) {
  const Op& op = *n.attrs.op;
  if (op.optionalInputsFn) {
    if (n.attrs.parsed) return op.optionalInputsFn(n.attrs);
    // A node still being read from JSON (its old-style keys moved first): parse a copy; bad values
    // are reported when the node itself is parsed.
    try {
      return op.optionalInputsFn(op.parseAttrs(n.attrs.dict));
    } catch (const IsotensorError&) {
      return {};
    }
  }
  // Any other op with optional inputs: as many as the node has, named after the registry's tail.
  std::vector<std::string> r;
  auto it = n.attrs.dict.find(kOptionalCount);
  int count = it == n.attrs.dict.end() ? 0 : std::atoi(it->second.c_str());
  for (int i = 0; i < count; ++i) r.push_back(n.attrs.op->variadicInput + std::to_string(i));
  return r;
}

// Output names MXNet gives ops whose registry record keeps only "output" (FListOutputNames).
const std::map<std::string, std::vector<std::string>>& mxnetOutputNames() {
  static const std::map<std::string, std::vector<std::string>> names = {
      {"BatchNorm", {"output", "mean", "var"}},         {"Dropout", {"output", "mask"}},
      {"LayerNorm", {"output", "mean", "std"}},         {"GroupNorm", {"output", "mean", "std"}},
      {"InstanceNorm", {"output", "mean", "var"}},      {"L2Normalization", {"output", "norm"}},
      {"LRN", {"output", "tmp_norm"}},                  {"LeakyReLU", {"output", "mask"}},
      {"ROIPooling", {"output", "maxidx"}},
      {"RNN", {"output", "state_output", "statecell_output"}},  {"Pooling", {"output", "workspace"}},
  };
  return names;
}

}  // namespace

// MXNet's hidden attribute keys: "lr_mult" given to an op or a variable is stored as "__lr_mult__"
// (src/c_api/c_api_symbolic.cc kHiddenKeys).
const char* const kSymbolHiddenKeys[5] = {"ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage"};

void symbolSetInputVarAttrs(const Node& n) {
  const std::string& op = n.attrs.op->name;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    Node& var = *n.inputs[i].node;
    if (!var.isVariable() || var.attrs.dict.count("__init__")) continue;
    if (op == "BatchNorm" || op == "BatchNorm_v1" || op == "_contrib_SyncBatchNorm" ||
        op == "_contrib_BatchNormWithReLU") {
      if (i == 3) var.attrs.dict["__init__"] = "[\"zero\", {}]";
      if (i == 4) var.attrs.dict["__init__"] = "[\"one\", {}]";
    } else if (op == "LeakyReLU") {
      if (i == 1) var.attrs.dict["__init__"] = "[\"Constant\", {\"value\": 0.25}]";
    } else if (op == "IdentityAttachKLSparseReg") {
      if (i == 1) var.attrs.dict["__init__"] = "[\"zero\", {}]";
    }
  }
}

namespace {

// MXNet 1.9's release builds (pip, Linux/macOS/Windows) use oneDNN (MKLDNN), whose max pooling has a
// second, hidden "workspace" output (src/operator/nn/pooling.cc GetNumOutputs): the files those
// builds write count it in node_row_ptr, so ours do too.
bool mkldnnPoolingWorkspace(const Node& n) {
  if (paramValue(n, "pool_type") != "max") return false;
  const std::string kernel = paramValue(n, "kernel");
  const size_t nd = kernel.empty() ? 0 : paramparse::parseShape(kernel, "Pooling", "kernel").size();
  const std::string layout = paramValue(n, "layout");
  const bool layoutOk = layout.empty() || layout == "None" || layout == "NCW" || layout == "NCHW" || layout == "NCDHW";
  return nd >= 1 && nd <= 3 && layoutOk;
}

std::string defaultVarName(const std::string& opName, const std::string& arg) {
  return opName.empty() ? arg : opName + "_" + arg;
}


// nnvm's DFSVisit: every node reachable from heads, inputs first.
void dfsVisit(const std::vector<NodeEntry>& heads, const std::function<void(const NodePtr&)>& fn) {
  for (const NodePtr& n : topoSort(heads)) fn(n);
}

}  // namespace

// ---- MXNet's view of an op node ----

std::vector<std::string> symbolInputNames(const Node& n) {
  if (n.isVariable()) return {};
  const Op& op = *n.attrs.op;
  std::vector<std::string> names = op.inputNames;
  if (op.variadicInput.empty()) return names;
  if (op.variadicCount == kOptionalCount) {
    for (auto& s : optionalInputNames(n)) names.push_back(s);
    return names;
  }
  int count = 0;
  auto it = n.attrs.dict.find(op.variadicCount);
  if (it != n.attrs.dict.end())
    count = static_cast<int>(paramparse::parseInt(it->second, op.name.c_str(), op.variadicCount.c_str()));
  for (int i = 0; i < count; ++i) names.push_back("arg" + std::to_string(i));
  return names;
}

std::string symbolInputName(const Node& n, size_t i) {
  std::vector<std::string> names = symbolInputNames(n);
  return i < names.size() ? names[i] : "input" + std::to_string(i);
}

int symbolNumOutputs(const Node& n) {
  if (n.isVariable()) return 1;
  const std::string& op = n.attrs.op->name;
  // MXNet's BatchNorm has three outputs and RNN only its visible ones; the registry keeps one
  // more for the gradient. JSON's node_row_ptr counts MXNet's.
  if (op == "BatchNorm") return 3;
  if (op == "RNN") return n.attrs.op->numVisibleOutputs(n.attrs);
  if (op == "Pooling") return mkldnnPoolingWorkspace(n) ? 2 : 1;
  return n.attrs.op->numOutputs(n.attrs);
}

int symbolNumVisibleOutputs(const Node& n) {
  if (n.isVariable()) return 1;
  return std::min(n.attrs.op->numVisibleOutputs(n.attrs), symbolNumOutputs(n));
}

std::string symbolOutputName(const Node& n, int index) {
  const Op& op = *n.attrs.op;
  auto it = mxnetOutputNames().find(op.name);
  if (it != mxnetOutputNames().end() && index < static_cast<int>(it->second.size())) return it->second[index];
  const int count = symbolNumOutputs(n);
  if (op.outputNames.size() > 1 && index < static_cast<int>(op.outputNames.size())) return op.outputNames[index];
  return count == 1 ? std::string("output") : "output" + std::to_string(index);
}

std::vector<int> symbolMutableInputs(const Node& n) {
  if (n.isVariable()) return {};
  return n.attrs.op->mutableInputs;
}

AttrDict symbolVisibleAttrs(const Node& n) {
  AttrDict d = n.attrs.dict;
  d.erase(kOptionalCount);
  return d;
}

void symbolFinishNode(Node& n) {
  if (n.isVariable()) return;
  const Op& op = *n.attrs.op;
  AttrDict dict = n.attrs.dict;
  if (!op.variadicInput.empty()) {
    const int extra = static_cast<int>(n.inputs.size()) - static_cast<int>(op.inputNames.size());
    if (op.variadicCount == kOptionalCount) {
      dict.erase(kOptionalCount);
      if (extra > 0) dict[kOptionalCount] = std::to_string(extra);
    } else if (!dict.count(op.variadicCount)) {
      dict[op.variadicCount] = std::to_string(std::max(extra, 0));
    }
  }
  try {
    n.attrs = op.parseAttrs(dict);
  } catch (const IsotensorError& e) {
    throw IsotensorError(std::string(e.what()) + " (node '" + n.name + "')");
  }
}

// ---- construction ----

Symbol Symbol::variable(const std::string& name) {
  Symbol s;
  s.outputs.push_back(NodeEntry{makeVariable(name), 0});
  return s;
}

Symbol Symbol::atomic(const std::string& opName, const AttrDict& attrs) {
  const Op& op = OpRegistry::get(opName);
  AttrDict dict;
  for (const auto& kv : attrs) {
    std::string key = kv.first;
    for (const char* hk : kSymbolHiddenKeys) {
      const std::string k = hk;
      if (key.rfind(k) == 0) {
        key = "__" + key + "__";
        break;
      }
      if (key.size() > k.size() && endsWith(key, k) && key[key.size() - k.size() - 1] == '_' &&
          key.compare(0, 2, "__") != 0) {
        const std::string arg = key.substr(0, key.size() - k.size() - 1);
        throwError(op.name, key,
                   "setting variable attributes with " + key + " is deprecated; create the variable with " + k +
                       "=" + kv.second + " instead and pass it as " + arg);
      }
    }
    IST_CHECK(key != kOptionalCount, op.name, key, "reserved attribute");
    dict[key] = kv.second;
  }
  auto n = std::make_shared<Node>();
  n->attrs = op.parseAttrs(dict);
  Symbol s;
  const int nout = symbolNumVisibleOutputs(*n);
  for (int i = 0; i < nout; ++i) s.outputs.push_back(NodeEntry{n, static_cast<uint32_t>(i)});
  return s;
}

Symbol Symbol::group(const std::vector<const Symbol*>& symbols) {
  Symbol r;
  for (const Symbol* s : symbols) r.outputs.insert(r.outputs.end(), s->outputs.begin(), s->outputs.end());
  return r;
}

void Symbol::compose(const std::vector<const Symbol*>& allArgs,
                     const std::vector<std::pair<std::string, const Symbol*>>& kwargs, const std::string& name) {
  IST_CHECK(!outputs.empty(), "compose", "symbol", "the symbol is empty");
  Node* head = outputs[0].node.get();
  const std::string what = head->isVariable() ? head->name : head->attrs.op->name;
  IST_CHECK(!head->isVariable(), what, "compose", "a variable cannot be composed");
  // A control-flow op's first arguments are its bodies (MXNet's FInputGraph), kept whole (groups).
  std::vector<const Symbol*> args = allArgs;
  if (const int graphs = controlFlowSubgraphCount(*head->attrs.op); graphs > 0 && head->inputs.empty()) {
    IST_CHECK(static_cast<int>(args.size()) >= graphs, what, "subgraph",
              "expects its " << graphs << " subgraph(s) as the first argument(s), got " << args.size()
                             << " argument(s)");
    head->subgraphs.clear();
    for (int i = 0; i < graphs; ++i) {
      IST_CHECK(!args[i]->outputs.empty(), what, "subgraph", "subgraph " << i << " has no outputs");
      head->subgraphs.push_back(args[i]->outputs);
    }
    args.erase(args.begin(), args.begin() + graphs);
  }
  for (size_t i = 0; i < args.size(); ++i)
    IST_CHECK(args[i]->outputs.size() == 1, what, "argument " + std::to_string(i),
              "is a group of " << args[i]->outputs.size() << " outputs; a single output is required");
  for (const auto& kv : kwargs)
    IST_CHECK(kv.second->outputs.size() == 1, what, kv.first,
              "is a group of " << kv.second->outputs.size() << " outputs; a single output is required");
  {
    std::set<std::string> seen;
    for (const auto& kv : kwargs)
      IST_CHECK(seen.insert(kv.first).second, what, kv.first, "argument given twice");
  }

  const bool atomicHead = head->inputs.empty();
  if (atomicHead) {
    Node* n = head;
    const std::vector<std::string> names = symbolInputNames(*n);
    const size_t nreq = names.size();
    IST_CHECK(args.size() <= nreq, what, "inputs",
              "expected at most " << nreq << " input(s) (" << joinNames(names, "none") << "), got " << args.size());
    for (const auto& kv : kwargs) {
      auto pos = std::find(names.begin(), names.end(), kv.first);
      IST_CHECK(pos != names.end(), what, kv.first,
                "no such input (inputs: " << joinNames(names, "none") << ")");
      IST_CHECK(static_cast<size_t>(pos - names.begin()) >= args.size(), what, kv.first,
                "argument given twice (by position and by name)");
    }
    std::vector<NodeEntry> inputs(nreq);
    for (size_t i = 0; i < args.size(); ++i) inputs[i] = args[i]->outputs[0];
    const AttrDict parentAttrs = symbolVisibleAttrs(*n);
    for (size_t i = args.size(); i < nreq; ++i) {
      const Symbol* given = nullptr;
      for (const auto& kv : kwargs)
        if (kv.first == names[i]) given = kv.second;
      if (given) {
        inputs[i] = given->outputs[0];
      } else {
        // MXNet copies the op's attributes onto the variables it creates for missing inputs.
        NodePtr v = makeVariable(defaultVarName(name, names[i]));
        v->attrs.dict = parentAttrs;
        inputs[i] = NodeEntry{v, 0};
      }
    }
    n->inputs = std::move(inputs);
    n->name = name;
    symbolSetInputVarAttrs(*n);
    symbolFinishNode(*n);
    return;
  }

  // General composition: replace free variables by name.
  IST_CHECK(args.empty(), what, "inputs",
            "a composed symbol takes its inputs by name only (got " << args.size() << " positional)");
  std::unordered_map<Node*, const NodeEntry*> replace;
  std::set<std::string> matched;
  std::vector<std::string> freeNames;
  dfsVisit(outputs, [&](const NodePtr& node) {
    if (!node->isVariable()) return;
    freeNames.push_back(node->name);
    for (const auto& kv : kwargs)
      if (kv.first == node->name) {
        replace[node.get()] = &kv.second->outputs[0];
        matched.insert(kv.first);
      }
  });
  for (const auto& kv : kwargs)
    IST_CHECK(matched.count(kv.first), what, kv.first,
              "no free variable of that name (arguments: " << joinNames(freeNames, "none") << ")");
  // The seed (python-overview.md) prints net(data=net2, name='compose') as [..., 'compose_fc1_weight',
  // 'compose_fc1_bias']: a composition under a new name prefixes the names of the composed graph's
  // own nodes (not the graphs substituted in) with `name_`. The head takes `name` itself (empty
  // included, as MXNet does); recomposing under the head's own name keeps every name.
  if (!name.empty() && name != head->name) {
    dfsVisit(outputs, [&](const NodePtr& node) {
      if (node.get() != head && !replace.count(node.get())) node->name = name + "_" + node->name;
    });
  }
  head->name = name;
  dfsVisit(outputs, [&](const NodePtr& node) {
    for (NodeEntry& e : node->inputs) {
      auto it = replace.find(e.node.get());
      if (it != replace.end()) e = *it->second;
    }
  });
}

Symbol Symbol::copy() const {
  std::unordered_map<const Node*, NodePtr> oldNew;
  dfsVisit(outputs, [&](const NodePtr& node) {
    auto n = std::make_shared<Node>();
    n->attrs = node->attrs;
    n->name = node->name;
    n->subgraphs = node->subgraphs;  // bodies are never mutated: shared
    for (const NodeEntry& e : node->inputs) n->inputs.push_back(NodeEntry{oldNew.at(e.node.get()), e.index});
    oldNew[node.get()] = n;
  });
  Symbol r;
  for (const NodeEntry& e : outputs) r.outputs.push_back(NodeEntry{oldNew.at(e.node.get()), e.index});
  return r;
}

Symbol Symbol::output(size_t index) const {
  IST_CHECK(index < outputs.size(), "symbol", "index",
            "output " << index << " is out of range (the symbol has " << outputs.size() << " output(s))");
  Symbol r;
  r.outputs.push_back(outputs[index]);
  return r;
}

Symbol Symbol::internals() const {
  Symbol r;
  dfsVisit(outputs, [&](const NodePtr& node) {
    const int nout = symbolNumVisibleOutputs(*node);
    for (int i = 0; i < nout; ++i) r.outputs.push_back(NodeEntry{node, static_cast<uint32_t>(i)});
  });
  return r;
}

Symbol Symbol::children() const {
  Symbol r;
  std::unordered_set<const Node*> visited;
  for (const NodeEntry& e : outputs) {
    if (!visited.insert(e.node.get()).second) continue;
    r.outputs.insert(r.outputs.end(), e.node->inputs.begin(), e.node->inputs.end());
  }
  return r;
}

// ---- listing ----

std::vector<NodePtr> Symbol::listInputs(InputKind kind) const {
  std::vector<NodePtr> vars;
  std::unordered_set<const Node*> mutated;
  dfsVisit(outputs, [&](const NodePtr& node) {
    if (node->isVariable()) {
      vars.push_back(node);
      return;
    }
    for (int i : symbolMutableInputs(*node))
      if (i < static_cast<int>(node->inputs.size())) mutated.insert(node->inputs[i].node.get());
  });
  if (kind == InputKind::kAll) return vars;
  std::vector<NodePtr> r;
  for (auto& v : vars)
    if ((kind == InputKind::kAuxStates) == (mutated.count(v.get()) != 0)) r.push_back(v);
  return r;
}

std::vector<std::string> Symbol::listInputNames(InputKind kind) const {
  std::vector<std::string> r;
  for (auto& n : listInputs(kind)) r.push_back(n->name);
  return r;
}

std::vector<std::string> Symbol::listOutputNames() const {
  std::vector<std::string> r;
  for (const NodeEntry& e : outputs) {
    if (e.node->isVariable()) {
      r.push_back(e.node->name);
      continue;
    }
    std::string out = symbolOutputName(*e.node, static_cast<int>(e.index));
    r.push_back(e.node->name.empty() ? out : e.node->name + "_" + out);
  }
  return r;
}

// ---- attributes ----

bool Symbol::getAttr(const std::string& key, std::string* out) const {
  if (outputs.empty()) return false;
  const Node* node = outputs[0].node.get();
  for (const NodeEntry& e : outputs)
    if (e.node.get() != node) return false;
  if (key == "name") {
    *out = node->name;
    return true;
  }
  // nnvm's computed keys: the op's name and the output indices (control flow names variables by them).
  if (key == "op_name") {
    *out = node->isVariable() ? std::string("null") : node->attrs.op->name;
    return true;
  }
  if (key == "_value_index") {
    out->clear();
    for (size_t i = 0; i < outputs.size(); ++i) *out += (i ? ", " : "") + std::to_string(outputs[i].index);
    return true;
  }
  if (key == kOptionalCount) return false;
  auto it = node->attrs.dict.find(key);
  if (it == node->attrs.dict.end()) {
    // MXNet answers "lr_mult" with "__lr_mult__".
    for (const char* hk : kSymbolHiddenKeys)
      if (key == hk) it = node->attrs.dict.find("__" + key + "__");
  }
  if (it == node->attrs.dict.end()) return false;
  *out = it->second;
  return true;
}

void Symbol::setAttr(const std::string& key, const std::string& value) {
  IST_CHECK(!outputs.empty(), "symbol", key, "the symbol is empty");
  Node* node = outputs[0].node.get();
  for (const NodeEntry& e : outputs)
    IST_CHECK(e.node.get() == node, "symbol", key, "attributes can only be set on a single (non-grouped) symbol");
  std::string k = key;
  for (const char* hk : kSymbolHiddenKeys) {
    const std::string h = hk;
    if (k == h) {
      k = "__" + k + "__";
      break;
    }
    if (k.size() > h.size() && endsWith(k, h) && k.compare(0, 2, "__") != 0)
      throwError("symbol", key, "setting variable attributes with " + key + " is deprecated; set " + h +
                                    " on the variable itself");
  }
  IST_CHECK(k != kOptionalCount, "symbol", key, "reserved attribute");
  if (k == "name") {
    node->name = value;
    return;
  }
  if (node->isVariable()) {
    node->attrs.dict[k] = value;
    return;
  }
  AttrDict dict = node->attrs.dict;
  dict[k] = value;
  NodeAttrs parsed = node->attrs.op->parseAttrs(dict);  // throws on a value the op rejects
  node->attrs = std::move(parsed);
}

std::vector<std::pair<std::string, std::string>> Symbol::listAttr() const {
  std::vector<std::pair<std::string, std::string>> r;
  if (outputs.empty()) return r;
  for (const auto& kv : symbolVisibleAttrs(*outputs[0].node)) {
    r.push_back(kv);
    for (const char* hk : kSymbolHiddenKeys)
      if (kv.first == "__" + std::string(hk) + "__") r.emplace_back(hk, kv.second);
  }
  return r;
}

std::vector<std::tuple<std::string, std::string, std::string>> Symbol::listAttrRecursive() const {
  std::vector<std::tuple<std::string, std::string, std::string>> r;
  dfsVisit(outputs, [&](const NodePtr& node) {
    for (const auto& kv : symbolVisibleAttrs(*node)) {
      r.emplace_back(node->name, kv.first, kv.second);
      for (const char* hk : kSymbolHiddenKeys)
        if (kv.first == "__" + std::string(hk) + "__") r.emplace_back(node->name, hk, kv.second);
    }
  });
  return r;
}

}  // namespace ist
