// Node construction and traversal.
#include "graph/node.h"
#include <functional>
#include <unordered_set>
#include "base/error.h"

namespace ist {

NodePtr makeNode(const std::string& op, std::vector<NodeEntry> inputs, AttrDict attrs) {
  const Op& o = OpRegistry::get(op);
  IST_CHECK(o.variadicInput.empty() || inputs.size() >= o.inputNames.size(), o.name, "inputs",
            "expected at least " << o.inputNames.size() << " input(s), got " << inputs.size());
  if (!o.variadicInput.empty() && !attrs.count(o.variadicCount))
    attrs[o.variadicCount] = std::to_string(inputs.size() - o.inputNames.size());
  auto n = std::make_shared<Node>();
  n->attrs = o.parseAttrs(attrs);
  n->inputs = std::move(inputs);
  return n;
}

NodeEntry makeEntry(const std::string& op, std::vector<NodeEntry> inputs, AttrDict attrs) {
  return NodeEntry{makeNode(op, std::move(inputs), std::move(attrs)), 0};
}

NodePtr makeVariable(const std::string& name) {
  auto n = std::make_shared<Node>();
  n->name = name;
  return n;
}

// Iterative DFS: graphs from long training loops or unrolled RNNs are deep.
std::vector<NodePtr> topoSort(const std::vector<NodeEntry>& heads) {
  std::vector<NodePtr> order;
  std::unordered_set<Node*> done, onStack;
  std::vector<std::pair<NodePtr, size_t>> stack;
  for (auto& h : heads) {
    if (!h.node || done.count(h.node.get())) continue;
    stack.emplace_back(h.node, 0);
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      if (next < n->inputs.size()) {
        const NodePtr& in = n->inputs[next++].node;
        if (in && !done.count(in.get())) stack.emplace_back(in, 0);
        continue;
      }
      if (done.insert(n.get()).second) order.push_back(n);
      stack.pop_back();
    }
  }
  return order;
}

}  // namespace ist
