// The gradient pass: builds, from each op's registered gradient, the graph computing d(heads)/d(xs).
#pragma once
#include <functional>
#include <vector>
#include "graph/node.h"

namespace ist {

// Returns one entry per x (null where no gradient reaches it). `headGrads` gives one entry per
// head (the incoming gradient). Nodes for which `isConstant` returns true get no gradient and
// are not traversed (autograd: freed or untracked nodes). Several contributions to one entry are
// summed with add_n; outputs that receive none get zeros_like.
std::vector<NodeEntry> buildGradient(const std::vector<NodeEntry>& heads, const std::vector<NodeEntry>& headGrads,
                                     const std::vector<NodeEntry>& xs,
                                     const std::function<bool(const Node&)>& isConstant = nullptr);

}  // namespace ist
