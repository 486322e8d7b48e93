// Graph nodes: an op applied to entries of other nodes (or a variable), shared by autograd and Symbol.
#pragma once
#include <memory>
#include <string>
#include <vector>
#include "ndarray/ndarray.h"
#include "op/registry.h"

namespace ist {

struct Node;
using NodePtr = std::shared_ptr<Node>;

// Output `index` of `node`. A null node means "no value" (e.g. an input that gets no gradient).
struct NodeEntry {
  NodePtr node;
  uint32_t index = 0;
  explicit operator bool() const { return node != nullptr; }
  bool operator==(const NodeEntry& o) const { return node == o.node && index == o.index; }
};

struct Node {
  NodeAttrs attrs;  // attrs.op == nullptr: a variable (graph input)
  std::string name;
  std::vector<NodeEntry> inputs;
  // Control-flow ops (_foreach, _while_loop, _cond; graph/control_flow.h): the graphs the op runs,
  // each given by its output entries, in MXNet's JSON order ("subgraphs"). Shared, never mutated.
  std::vector<std::vector<NodeEntry>> subgraphs;

  // Autograd state. A recorded node keeps the values it produced (detached: they carry no
  // entry back to this node, so no reference cycle); a variable keeps its value and gradient.
  bool recorded = false;
  std::vector<NDArray> values;
  OpReq gradReq = OpReq::kNull;  // variables: kNull, kWriteTo or kAddTo
  NDArray grad;                  // variables: the buffer backward writes into
  // Variables: a backward over all variables wrote `grad` since the flag was last cleared (MXNet's
  // fresh_out_grad); Trainer.step refuses, or with ignoreStaleGrad skips, parameters without it.
  bool freshGrad = false;
  std::shared_ptr<void> hostToken;  // released with the node (custom functions tell the host)

  bool isVariable() const { return attrs.op == nullptr; }
  int numOutputs() const { return isVariable() ? 1 : attrs.op->numOutputs(attrs); }
};

// A new node applying registered op `op` (name or alias) to `inputs`; throws on unknown op or
// attributes. Variadic count params are filled in from the number of inputs.
NodePtr makeNode(const std::string& op, std::vector<NodeEntry> inputs, AttrDict attrs = {});
// Output 0 of makeNode(...): the common case in gradient definitions.
NodeEntry makeEntry(const std::string& op, std::vector<NodeEntry> inputs, AttrDict attrs = {});
NodePtr makeVariable(const std::string& name);

// Nodes reachable from `heads`, every node after its inputs.
std::vector<NodePtr> topoSort(const std::vector<NodeEntry>& heads);

}  // namespace ist
