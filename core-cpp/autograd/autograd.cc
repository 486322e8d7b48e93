// Autograd recording and backward, run imperatively through invokeOp.
#include "autograd/autograd.h"
#include <unordered_map>
#include <unordered_set>
#include "autograd/custom_function.h"
#include "base/error.h"
#include "graph/gradient.h"
#include "op/imperative.h"

namespace ist {
namespace autograd {

namespace {

thread_local bool gRecording = false;

// Restores a thread-local switch when a scope ends (also on exceptions).
struct ScopedFlag {
  bool (*set)(bool);
  bool prev;
  ScopedFlag(bool (*setter)(bool), bool on) : set(setter), prev(setter(on)) {}
  ~ScopedFlag() { set(prev); }
};

NodeEntry entryOf(const NDArray& a) { return NodeEntry{a.agNode(), a.agIndex()}; }

// A constant leaf: holds a value, takes no gradient.
NodePtr constantNode(const NDArray& value) {
  NodePtr n = makeVariable("");
  n->values = {value.detach()};
  return n;
}


}  // namespace

bool isRecording() { return gRecording; }
bool setRecording(bool on) {
  bool prev = gRecording;
  gRecording = on;
  return prev;
}
bool isTraining() { return ist::isTraining(); }
bool setTraining(bool on) {
  bool prev = ist::isTraining();
  ist::setTraining(on);
  return prev;
}

void markVariables(const std::vector<NDArray*>& vars, const std::vector<OpReq>& reqs,
                   const std::vector<NDArray>& grads) {
  IST_CHECK(vars.size() == reqs.size() && vars.size() == grads.size(), "mark_variables", "gradients",
            "got " << vars.size() << " variables, " << grads.size() << " gradients and " << reqs.size()
                   << " grad_reqs");
  for (size_t i = 0; i < vars.size(); ++i) {
    NDArray& v = *vars[i];
    IST_CHECK(reqs[i] == OpReq::kNull || !grads[i].isNone(), "mark_variables", "gradients",
              "variable " << i << " needs a gradient buffer");
    if (!grads[i].isNone()) {
      IST_CHECK(grads[i].shape() == v.shape(), "mark_variables", "gradients",
                "gradient " << i << " has shape " << shapeString(grads[i].shape()) << " but the variable has "
                            << shapeString(v.shape()));
    }
    NodePtr n = makeVariable("");
    n->values = {v.detach()};
    n->gradReq = reqs[i];
    n->grad = grads[i].detach();
    v.setAutogradEntry(n, 0);
  }
}

bool shouldRecord(const std::vector<NDArray>& inputs) {
  if (!gRecording) return false;
  for (auto& a : inputs)
    if (a.agNode()) return true;
  return false;
}

void recordOp(const NodeAttrs& attrs, const std::vector<NDArray>& inputs, std::vector<NDArray>& outputs) {
  auto n = std::make_shared<Node>();
  n->attrs = attrs;
  n->recorded = true;
  for (auto& a : inputs) n->inputs.push_back(a.agNode() ? entryOf(a) : NodeEntry{constantNode(a), 0});
  for (size_t i = 0; i < outputs.size(); ++i) {
    n->values.push_back(outputs[i].detach());
    outputs[i].setAutogradEntry(n, static_cast<uint32_t>(i));
  }
}

void recordView(const std::string& op, const AttrDict& attrs, const NDArray& in, NDArray& out) {
  if (!shouldRecord({in})) return;
  NodePtr n = makeNode(op, {entryOf(in)}, attrs);
  n->recorded = true;
  n->values = {out.detach()};
  out.setAutogradEntry(n, 0);
}

NDArray gradOf(const NDArray& var) {
  const NodePtr& n = var.agNode();
  if (!n || !n->isVariable()) return NDArray();
  return n->grad;
}

bool freshGrad(const NDArray& var) {
  const NodePtr& n = var.agNode();
  return n && n->isVariable() && n->freshGrad;
}

void setFreshGrad(const NDArray& var, bool fresh) {
  const NodePtr& n = var.agNode();
  IST_CHECK(n && n->isVariable(), "set_grad_state", "array",
            "an array of shape " << shapeString(var.shape()) << " is not a variable: call attachGrad() on it first");
  n->freshGrad = fresh;
}

std::vector<NDArray> backward(const std::vector<NDArray>& heads, const std::vector<NDArray>& headGradsIn,
                              const std::vector<NDArray>& vars, bool retainGraph, bool createGraph,
                              bool isTrain) {
  IST_CHECK(!heads.empty(), "backward", "heads", "no arrays to differentiate");
  IST_CHECK(headGradsIn.empty() || headGradsIn.size() == heads.size(), "backward", "head_grads",
            "got " << headGradsIn.size() << " head gradient(s) for " << heads.size() << " head(s)");
  std::vector<NodeEntry> headEntries, headGrads;
  for (size_t i = 0; i < heads.size(); ++i) {
    IST_CHECK(heads[i].agNode() != nullptr, "backward", "heads",
              "array " << i << " (shape " << shapeString(heads[i].shape())
                       << ") is not part of a recorded graph: compute it inside autograd.record() from "
                          "arrays that called attachGrad()");
    const Node& hn = *heads[i].agNode();
    IST_CHECK(hn.isVariable() || hn.recorded, "backward", "heads",
              "array " << i << " (shape " << shapeString(heads[i].shape())
                       << ") belongs to a graph an earlier backward already freed; pass retainGraph: true to "
                          "that backward to differentiate the graph again");
    headEntries.push_back(entryOf(heads[i]));
    NDArray g = headGradsIn.empty() ? NDArray() : headGradsIn[i];
    if (g.isNone()) {
      g = invokeOp(OpRegistry::get("ones_like"), {heads[i].detach()}, {})[0];
    } else {
      IST_CHECK(g.shape() == heads[i].shape(), "backward", "head_grads",
                "head gradient " << i << " has shape " << shapeString(g.shape()) << " but the head has "
                                 << shapeString(heads[i].shape()));
    }
    headGrads.push_back(g.agNode() && createGraph ? entryOf(g) : NodeEntry{constantNode(g), 0});
  }

  // Which entries to differentiate: the given arrays, or every variable that wants a gradient.
  std::vector<NodeEntry> xs;
  std::vector<NodePtr> targets;  // variables to write into (vars empty)
  if (vars.empty()) {
    for (auto& n : topoSort(headEntries))
      if (n->isVariable() && n->gradReq != OpReq::kNull) {
        xs.push_back(NodeEntry{n, 0});
        targets.push_back(n);
        n->freshGrad = true;
      }
  } else {
    for (size_t i = 0; i < vars.size(); ++i) {
      IST_CHECK(vars[i].agNode() != nullptr, "grad", "variables",
                "array " << i << " (shape " << shapeString(vars[i].shape())
                         << ") is not part of the graph: call attachGrad() on it before recording");
      xs.push_back(entryOf(vars[i]));
    }
  }

  auto isConstant = [](const Node& n) { return n.isVariable() ? false : !n.recorded; };
  std::vector<NodeEntry> grads = buildGradient(headEntries, headGrads, xs, isConstant);

  // Evaluate the new nodes in order; forward nodes and variables supply their kept values.
  std::unordered_map<const Node*, std::vector<NDArray>> computed;
  std::vector<bool> writtenInPlace(targets.size(), false);  // gradient computed into the variable's buffer
  auto valueOf = [&](const NodeEntry& e) -> NDArray {
    auto it = computed.find(e.node.get());
    if (it != computed.end()) return it->second[e.index];
    const Node& n = *e.node;
    IST_CHECK(e.index < n.values.size(), "backward", "retain_graph",
              "the recorded graph was already freed by an earlier backward; pass retainGraph: true to the "
              "first backward to run it again");
    NDArray v = n.values[e.index];
    if (createGraph && (n.recorded || n.isVariable())) v.setAutogradEntry(e.node, e.index);
    return v;
  };
  {
    ScopedFlag rec(&setRecording, createGraph);
    ScopedFlag train(&setTraining, isTrain);
    std::vector<NodeEntry> roots;
    for (auto& g : grads)
      if (g) roots.push_back(g);
    std::vector<NodePtr> order;  // the gradient graph's new nodes, inputs first
    for (auto& n : topoSort(roots))
      if (!n->isVariable() && !n->recorded) order.push_back(n);
    // Readers of each new output: later new nodes and the gradient results.
    std::unordered_map<const Node*, std::vector<int>> readers;
    for (auto& n : order) readers[n.get()].assign(n->numOutputs(), 0);
    auto countReader = [&](const NodeEntry& e) {
      auto it = readers.find(e.node.get());
      if (it != readers.end()) ++it->second[e.index];
    };
    for (auto& n : order)
      for (auto& e : n->inputs) countReader(e);
    for (auto& g : grads)
      if (g) countReader(g);
    // A gradient read by nothing else goes straight into its variable's buffer (write, not add),
    // where it would otherwise be computed elsewhere and copied. Not with createGraph (the buffer
    // would join the recorded graph) nor when the buffer is one of the recorded values (backward
    // reads those, and the copy at the end kept them intact).
    std::unordered_map<const Node*, std::vector<NDArray>> into;
    if (vars.empty() && !createGraph) {
      std::unordered_set<const void*> recordedChunks;
      for (auto& n : topoSort(headEntries))
        for (auto& v : n->values)
          if (!v.isNone()) recordedChunks.insert(v.chunk().get());
      for (size_t i = 0; i < targets.size(); ++i) {
        const Node& v = *targets[i];
        const NodeEntry& g = grads[i];
        if (!g || v.gradReq != OpReq::kWriteTo || v.grad.isNone() || recordedChunks.count(v.grad.chunk().get()))
          continue;
        auto it = readers.find(g.node.get());  // new nodes only: never a variable
        if (it == readers.end() || it->second[g.index] != 1 || isCustomBackward(*g.node->attrs.op)) continue;
        std::vector<NDArray>& outs = into[g.node.get()];
        outs.resize(it->second.size());
        outs[g.index] = v.grad;
        writtenInPlace[i] = true;
      }
    }
    for (auto& n : order) {
      std::vector<NDArray> in;
      in.reserve(n->inputs.size());
      for (auto& e : n->inputs) in.push_back(valueOf(e));
      if (isCustomBackward(*n->attrs.op)) {
        computed[n.get()] = runCustomBackward(n->attrs, in);
        continue;
      }
      // Outputs nobody reads (the gradient of an input that needs none) are not computed, as in
      // the executor's backward (only where an op has several outputs to choose from).
      const std::vector<int>& r = readers[n.get()];
      std::vector<bool> unused(r.size(), false);
      if (r.size() > 1)
        for (size_t o = 0; o < r.size(); ++o) unused[o] = r[o] == 0;
      auto it = into.find(n.get());
      computed[n.get()] = invokeOp(*n->attrs.op, in, n->attrs.dict,
                                   it != into.end() ? it->second : std::vector<NDArray>{}, unused);
    }
  }

  std::vector<NDArray> result;
  if (vars.empty()) {
    for (size_t i = 0; i < targets.size(); ++i) {
      Node& v = *targets[i];
      if (writtenInPlace[i]) continue;
      if (grads[i]) {
        NDArray g = valueOf(grads[i]);
        if (v.gradReq == OpReq::kAddTo) {
          invokeOp(OpRegistry::get("elemwise_add"), {v.grad, g.detach()}, {}, {v.grad});
        } else {
          copyFromTo(g, v.grad);
        }
      } else if (v.gradReq == OpReq::kWriteTo) {
        invokeOp(OpRegistry::get("zeros_like"), {v.grad}, {}, {v.grad});
      }
    }
  } else {
    for (size_t i = 0; i < xs.size(); ++i) {
      if (grads[i]) {
        result.push_back(valueOf(grads[i]));
      } else {
        result.push_back(invokeOp(OpRegistry::get("zeros_like"), {vars[i].detach()}, {})[0]);
      }
    }
  }

  if (!retainGraph) {
    // Drop what the forward pass kept: frees the memory and makes the graph a constant.
    for (auto& n : topoSort(headEntries)) {
      if (!n->recorded) continue;
      n->recorded = false;
      n->values.clear();
      n->inputs.clear();
    }
  }
  return result;
}

}  // namespace autograd
}  // namespace ist
