// Autograd: records imperative ops into graph nodes while recording, and runs their gradient graph.
#pragma once
#include <vector>
#include "graph/node.h"
#include "ndarray/ndarray.h"

namespace ist {
namespace autograd {

// Thread-local switches, as in MXNet; each setter returns the previous value.
bool isRecording();
bool setRecording(bool on);
bool isTraining();
bool setTraining(bool on);

// Attaches variable nodes: vars[i] becomes a graph input whose gradient backward() writes into
// grads[i] (reqs: kWriteTo, kAddTo or kNull).
void markVariables(const std::vector<NDArray*>& vars, const std::vector<OpReq>& reqs,
                   const std::vector<NDArray>& grads);

// Whether an op on `inputs` would be recorded now (recording, and some input is tracked).
bool shouldRecord(const std::vector<NDArray>& inputs);
// Records op `attrs` applied to `inputs`, setting each output's entry.
void recordOp(const NodeAttrs& attrs, const std::vector<NDArray>& inputs, std::vector<NDArray>& outputs);
// Records a view (`out` shares `in`'s storage) as op `op` with `attrs`, when recording.
void recordView(const std::string& op, const AttrDict& attrs, const NDArray& in, NDArray& out);

// Gradients of `heads` (seeded with headGrads[i], or ones where that is none).
// With `vars` empty: writes into every reachable variable's gradient buffer per its req and
// returns nothing. Otherwise returns d(heads)/d(vars[i]) as new arrays (zeros where unreachable).
// createGraph records the gradient computation itself (higher-order gradients);
// retainGraph keeps the recorded forward values for another backward.
std::vector<NDArray> backward(const std::vector<NDArray>& heads, const std::vector<NDArray>& headGrads,
                              const std::vector<NDArray>& vars, bool retainGraph, bool createGraph,
                              bool isTrain);

// The gradient buffer attached to a variable array (none if it is not a variable).
NDArray gradOf(const NDArray& var);
// Whether backward wrote a variable's gradient since the flag was last cleared (false for an array
// that is not a variable), and setting that flag (a variable only).
bool freshGrad(const NDArray& var);
void setFreshGrad(const NDArray& var, bool fresh);

}  // namespace autograd
}  // namespace ist
