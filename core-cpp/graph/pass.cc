// Graph indexing, the pass registry and the gradient pass.
#include "graph/pass.h"
#include <mutex>
#include "graph/gradient.h"
#include "graph/symbol.h"

namespace ist {

namespace {

std::mutex gPassMutex;
std::map<std::string, PassFn>& passes() {
  static auto* m = new std::map<std::string, PassFn>();  // never destroyed: passes register statically
  return *m;
}

}  // namespace

Graph Graph::build(std::vector<NodeEntry> outputs) {
  Graph g;
  g.outputs = std::move(outputs);
  g.nodes = topoSort(g.outputs);
  g.reindex();
  return g;
}

void Graph::reindex() {
  index.clear();
  entryBase.clear();
  entryBase.reserve(nodes.size() + 1);
  uint32_t next = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    index[nodes[i].get()] = static_cast<uint32_t>(i);
    entryBase.push_back(next);
    next += static_cast<uint32_t>(nodes[i]->numOutputs());
  }
  entryBase.push_back(next);
}

uint32_t Graph::nodeId(const Node* n) const {
  auto it = index.find(n);
  IST_CHECK(it != index.end(), "graph", "node", "node '" << (n ? n->name : std::string("null"))
                                                          << "' is not part of this graph");
  return it->second;
}

void registerPass(const std::string& name, PassFn fn) {
  std::lock_guard<std::mutex> lk(gPassMutex);
  passes()[name] = std::move(fn);
}

Graph applyPasses(Graph g, const std::vector<std::string>& names) {
  for (auto& name : names) {
    PassFn fn;
    {
      std::lock_guard<std::mutex> lk(gPassMutex);
      auto it = passes().find(name);
      if (it == passes().end()) {
        std::string known;
        for (auto& kv : passes()) known += (known.empty() ? "" : ", ") + kv.first;
        throwError("graph", "pass", "unknown pass '" + name + "' (registered: " + known + ")");
      }
      fn = it->second;
    }
    g = fn(std::move(g));
  }
  return g;
}

std::vector<std::string> listPasses() {
  std::lock_guard<std::mutex> lk(gPassMutex);
  std::vector<std::string> r;
  for (auto& kv : passes()) r.push_back(kv.first);
  return r;
}

// "Gradient": attrs "grad_xs" and "grad_head_grads" (std::vector<NodeEntry>, one head gradient per
// output) in; the graph of outputs + non-null gradients out, with "grad_entries" (one per x, null
// where none reaches it) and "num_forward_outputs" (size_t).
namespace {
const bool kGradientRegistered = [] {
  registerPass("Gradient", [](Graph g) {
    const auto& xs = g.attr<std::vector<NodeEntry>>("grad_xs");
    const auto& headGrads = g.attr<std::vector<NodeEntry>>("grad_head_grads");
    std::vector<NodeEntry> grads = buildGradient(g.outputs, headGrads, xs);
    std::vector<NodeEntry> outs = g.outputs;
    for (auto& e : grads)
      if (e) outs.push_back(e);
    Graph r = Graph::build(std::move(outs));
    r.attrs = std::move(g.attrs);
    r.setAttr<std::vector<NodeEntry>>("grad_entries", std::move(grads));
    r.setAttr<size_t>("num_forward_outputs", g.outputs.size());
    return r;
  });
  return true;
}();
}  // namespace

std::string entryName(const Node& n, uint32_t i) {
  if (n.isVariable()) return n.name;
  return n.name + "_" + symbolOutputName(n, static_cast<int>(i));
}

}  // namespace ist
