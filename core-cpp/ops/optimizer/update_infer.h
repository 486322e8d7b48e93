// Shape and dtype rules shared by the fused optimizer updates: every state has the weight's shape,
// one-element inputs (LAMB's norms, AdamW's rescale_grad) are checked as such, and multi-precision
// states are float32. Errors name the op, the argument and both shapes or dtypes.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>
#include "op/registry.h"

namespace ist {
namespace optim {

struct UpdateIO {
  std::vector<int> float32In;  // inputs that must be float32 (master copies, mp states, rescale_grad)
  std::vector<int> scalarIn;   // inputs holding exactly one element
  bool outFloat32 = false;     // the output is float32 (mp_lamb_update_phase1's direction)
};

FInferShape updateShape(UpdateIO io);
FInferType updateType(UpdateIO io);

// The multi-weight updates (multi_*_update, preloaded_multi_*_update): num_weights groups of inputs
// named after `group` (weight_0, grad_0, mom_0, weight32_0, weight_1, ...), then the `tail` inputs
// (the preloaded ops' lrs and wds: float32, num_weights elements each); output k is weight k's update.
struct MultiCounts {
  int num = 1;                                          // num_weights
  const char* countName = "num_weights";               // the param holding it
  std::vector<std::pair<const char*, size_t>> tuples;  // tuple params with one value per weight
};
struct MultiIO {
  std::vector<std::string> group;  // input names of one weight, in order
  std::vector<int> float32At;      // positions in a group holding float32 arrays (mp states, weight32)
  std::vector<std::string> tail;   // inputs after the groups
  int tailElems = 0;               // elements of each tail input: 0 for num_weights
  bool tailFloat32 = true;         // tail inputs are float32 (else the weights' dtype, with uniformType)
  bool uniformType = false;        // every group has one dtype (MXNet's ElemwiseType<-1, -1>)
  std::function<MultiCounts(const NodeAttrs&)> counts;
};

// MXNet's input names (FListInputNames) for num weights.
std::vector<std::string> multiInputNames(const MultiIO& io, int num);
FInferShape multiUpdateShape(MultiIO io);
FInferType multiUpdateType(MultiIO io);

}  // namespace optim
}  // namespace ist
