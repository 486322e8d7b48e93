// Graph passes: an indexed graph with per-entry attributes, and a registry of passes Graph -> Graph.
//
// A Graph is its output entries, every node reachable from them in topological order, and an id per
// entry (node_row_ptr as in MXNet's JSON: entry id = entryBase[node] + output index). Passes read and
// write attributes: the typed per-entry ones every pass uses (shapes, dtypes) and named attributes
// of any type in `attrs`. Shape/type inference, the gradient and memory planning are registered
// passes ("InferShape", "InferType", "Gradient", "PlanMemory"); a fusion pass is one more function
// Graph -> Graph that rewrites `outputs` and returns Graph::build of them (carrying what it keeps).
#pragma once
#include <any>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>
#include "base/error.h"
#include "graph/node.h"

namespace ist {

struct Graph {
  std::vector<NodeEntry> outputs;
  std::vector<NodePtr> nodes;        // topological order: every node after its inputs
  std::vector<uint32_t> entryBase;   // entryBase[i]: id of output 0 of nodes[i]; back() = entry count
  std::unordered_map<const Node*, uint32_t> index;

  // Per-entry attributes, empty until a pass fills them (then sized numEntries()).
  std::vector<Shape> shapes;  // unknownShape() / kUnknownDim where unknown
  std::vector<int> dtypes;    // -1 where unknown
  // Named attributes of any type (pass inputs and results): see each pass for its keys.
  std::map<std::string, std::any> attrs;

  // Indexes the nodes reachable from `outputs`.
  static Graph build(std::vector<NodeEntry> outputs);
  // Recomputes index and entryBase after a pass reordered `nodes` (still topological).
  void reindex();

  uint32_t numEntries() const { return entryBase.empty() ? 0 : entryBase.back(); }
  uint32_t nodeId(const Node* n) const;
  uint32_t entryId(const NodeEntry& e) const { return entryBase[nodeId(e.node.get())] + e.index; }
  uint32_t entryId(uint32_t node, uint32_t output) const { return entryBase[node] + output; }

  bool hasAttr(const std::string& key) const { return attrs.count(key) != 0; }
  template <typename T> const T& attr(const std::string& key) const {
    auto it = attrs.find(key);
    IST_CHECK(it != attrs.end(), "graph", key, "the graph has no attribute '" << key << "'");
    const T* v = std::any_cast<T>(&it->second);
    IST_CHECK(v != nullptr, "graph", key, "attribute '" << key << "' has another type");
    return *v;
  }
  template <typename T> void setAttr(const std::string& key, T value) { attrs[key] = std::move(value); }
};

// A pass: takes a graph (with the attributes it needs) and returns the transformed/annotated one.
using PassFn = std::function<Graph(Graph)>;

// Registers `fn` under `name` (replacing an earlier one); the built-in passes register themselves.
void registerPass(const std::string& name, PassFn fn);
// Runs the named passes in order; throws IsotensorError on an unknown name.
Graph applyPasses(Graph g, const std::vector<std::string>& names);
std::vector<std::string> listPasses();

// MXNet's name of output `i` of a node: "<node>_<output name>" ("fc1_output", "bn_mean", as
// graph/symbol.h names them); a variable's entry is its own name.
std::string entryName(const Node& n, uint32_t i);

}  // namespace ist
