// Custom autograd functions: the host (JS) computes forward and backward; the core records a node
// whose gradient calls back into the host on the thread running backward().
#pragma once
#include <functional>
#include <string>
#include <vector>
#include "ndarray/ndarray.h"
#include "op/registry.h"

namespace ist {
namespace autograd {

// Returns the input gradients (none = zero) for function `id` given its output gradients.
using CustomBackwardHook =
    std::function<std::vector<NDArray>(int id, const std::vector<NDArray>& ograds, int numInputs)>;
void setCustomBackwardHook(CustomBackwardHook hook);

// Records outputs = f_id(inputs), when recording and some input is tracked.
void recordCustom(int id, const std::vector<NDArray>& inputs, std::vector<NDArray>& outputs);

// True for the op whose evaluation is the host callback (autograd's executor calls runCustomBackward).
bool isCustomBackward(const Op& op);
// args: the output gradients, then the function's forward inputs.
std::vector<NDArray> runCustomBackward(const NodeAttrs& attrs, const std::vector<NDArray>& args);

// Ids of functions whose graph node was destroyed since the last call: the host drops them.
std::vector<int> takeReleasedCustom();

}  // namespace autograd
}  // namespace ist
