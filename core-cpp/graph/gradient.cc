// The gradient pass (reverse topological sweep over the forward graph).
#include "graph/gradient.h"
#include <unordered_map>
#include <unordered_set>
#include "base/error.h"

namespace ist {

namespace {

NodeEntry sumEntries(const std::vector<NodeEntry>& parts) {
  if (parts.empty()) return NodeEntry{};
  if (parts.size() == 1) return parts[0];
  return makeEntry("add_n", parts);
}

}  // namespace

std::vector<NodeEntry> buildGradient(const std::vector<NodeEntry>& heads, const std::vector<NodeEntry>& headGrads,
                                     const std::vector<NodeEntry>& xs,
                                     const std::function<bool(const Node&)>& isConstant) {
  IST_CHECK(heads.size() == headGrads.size(), "backward", "head_grads",
            "got " << headGrads.size() << " head gradient(s) for " << heads.size() << " head(s)");
  std::vector<NodePtr> order = topoSort(heads);

  // A node is traversed only if some x lies strictly below it (or it is an x's producer that
  // also has xs below); xs themselves collect contributions either way.
  std::unordered_set<const Node*> xNodes;
  for (auto& x : xs) xNodes.insert(x.node.get());
  std::unordered_set<const Node*> leadsToX;
  for (auto& n : order) {
    if (isConstant && isConstant(*n)) continue;
    for (auto& in : n->inputs) {
      if (in.node && (xNodes.count(in.node.get()) || leadsToX.count(in.node.get()))) {
        leadsToX.insert(n.get());
        break;
      }
    }
  }

  // contributions[node][output] = gradient parts flowing into that entry.
  std::unordered_map<const Node*, std::vector<std::vector<NodeEntry>>> contrib;
  auto addContribution = [&](const NodeEntry& e, const NodeEntry& g) {
    auto& slots = contrib[e.node.get()];
    if (slots.empty()) slots.resize(e.node->numOutputs());
    slots[e.index].push_back(g);
  };
  for (size_t i = 0; i < heads.size(); ++i)
    if (heads[i].node && headGrads[i].node) addContribution(heads[i], headGrads[i]);

  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const NodePtr& n = *it;
    if (n->isVariable() || !leadsToX.count(n.get())) continue;
    auto found = contrib.find(n.get());
    if (found == contrib.end()) continue;
    auto& slots = found->second;
    std::vector<NodeEntry> ograds(n->numOutputs());
    for (size_t i = 0; i < ograds.size(); ++i) {
      ograds[i] = sumEntries(slots[i]);
      if (!ograds[i]) ograds[i] = makeEntry("zeros_like", {NodeEntry{n, static_cast<uint32_t>(i)}});
      slots[i] = {ograds[i]};  // summed once, reused if n is also an x
    }
    const Op& op = *n->attrs.op;
    IST_CHECK(static_cast<bool>(op.gradientFn), op.name, "gradient",
              "operator " << op.name << " is not differentiable (it has no registered gradient); "
                          << "wrap its inputs in stop_gradient() or compute it outside autograd.record()");
    std::vector<NodeEntry> inGrads = op.gradientFn(n, ograds);
    IST_CHECK(inGrads.size() == n->inputs.size(), op.name, "gradient",
              "gradient returned " << inGrads.size() << " entries for " << n->inputs.size() << " inputs");
    for (size_t j = 0; j < inGrads.size(); ++j) {
      const NodeEntry& in = n->inputs[j];
      if (!inGrads[j] || !in.node) continue;
      if (isConstant && isConstant(*in.node)) continue;
      if (!xNodes.count(in.node.get()) && !leadsToX.count(in.node.get())) continue;
      addContribution(in, inGrads[j]);
    }
  }

  std::vector<NodeEntry> result;
  for (auto& x : xs) {
    auto found = contrib.find(x.node.get());
    result.push_back(found == contrib.end() ? NodeEntry{} : sumEntries(found->second[x.index]));
  }
  return result;
}

}  // namespace ist
