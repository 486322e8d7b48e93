// GraphExecutor: a Symbol bound to arrays. Bind builds the forward + gradient graph, infers shapes
// and dtypes, plans memory and allocates everything; forward/backward then only push nodes.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include "graph/pass.h"
#include "graph/plan_memory.h"
#include "graph/symbol.h"
#include "ndarray/ndarray.h"

namespace ist {

struct ExecutorOptions {
  // Memory planning (reuse, in place); also off when ISOTENSOR_NO_MEMORY_PLAN=1.
  bool planMemory = true;
  // Nodes whose "__ctx_group__" attribute names a group run on that group's context; arrays
  // crossing contexts are copied by inserted _copyto nodes.
  std::map<std::string, Context> group2ctx;
  // Element-wise fusion (graph/fuse_elemwise.h); also off when ISOTENSOR_FUSE_ELEMWISE=0. While a
  // monitor is set the unfused runs are pushed, so every node's output is there to report.
  bool fuseElemwise = true;
};

// Called for each output of each node as it is pushed (the value is ready once read): name is
// MXNet's output name ("fc1_output"; gradient nodes "<op><id>_output").
using MonitorFn = std::function<void(const std::string& name, const NDArray& value)>;

class GraphExecutor {
 public:
  // args / auxStates: one array per listArguments() / listAuxiliaryStates() entry. argGrads and
  // gradReqs: one per argument; a gradient may be none where its req is kNull. reqs: kNull,
  // kWriteTo or kAddTo. Throws IsotensorError naming the node/op/argument/shapes on bad input.
  GraphExecutor(const Symbol& sym, Context ctx, const std::vector<NDArray>& args,
                const std::vector<NDArray>& argGrads, const std::vector<OpReq>& gradReqs,
                const std::vector<NDArray>& auxStates, const ExecutorOptions& opt = {});

  void forward(bool isTrain);
  // outGrads: empty, or one per output (a none entry: ones).
  void backward(const std::vector<NDArray>& outGrads, bool isTrain);

  const std::vector<NDArray>& outputs() const { return outputs_; }
  const std::vector<std::string>& argumentNames() const { return argNames_; }
  const std::vector<std::string>& auxiliaryNames() const { return auxNames_; }
  const std::vector<std::string>& outputNames() const { return outputNames_; }
  Context context() const { return ctx_; }
  // monitorAll: also report each node's inputs (named "<node>_<input>") before it runs.
  void setMonitor(MonitorFn fn, bool monitorAll = false);

  const MemoryPlan& memoryPlan() const { return plan_; }
  // {"planned_bytes", "naive_bytes", "inplace", "reused", "slots", "entries": [{node, op, output,
  // shape, dtype, storage, inplace_of}], "fused": [[node names of one element-wise group]]}: for
  // tests and debugging.
  std::string planJSON() const;

  struct NodeRun;  // one node prepared for pushing (executor.cc)

 private:
  void push(const std::shared_ptr<NodeRun>& r, bool isTrain);
  void monitorRun(const NodeRun& r, bool inputs);

  Context ctx_;
  Graph graph_;
  MemoryPlan plan_;
  size_t numForwardNodes_ = 0;  // graph_.nodes[0, numForwardNodes_) is the forward pass
  std::vector<NDArray> slots_;
  std::vector<NDArray> entryArrays_;  // per entry
  std::vector<std::shared_ptr<NodeRun>> forwardRuns_, backwardRuns_;
  // The same with each element-wise group as one run (pushed unless a monitor is set).
  std::vector<std::shared_ptr<NodeRun>> fusedForwardRuns_, fusedBackwardRuns_;
  std::vector<std::vector<std::string>> fusedNames_;  // node names of each group, for planJSON
  // Head gradients (one per output; none when the gradient graph does not read it).
  std::vector<NDArray> headGrads_;
  std::vector<std::shared_ptr<NodeRun>> headOnes_;
  std::vector<bool> headGradIsOnes_;
  std::vector<std::shared_ptr<NodeRun>> gradFinish_;  // copies/accumulations/zero fills into argument gradients
  std::vector<NDArray> outputs_;
  std::vector<std::string> argNames_, auxNames_, outputNames_;
  MonitorFn monitor_;
  bool monitorAll_ = false;
};

}  // namespace ist
