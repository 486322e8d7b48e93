// Shape and dtype rules shared by the fused optimizer updates: every state has the weight's shape,
// one-element inputs (LAMB's norms, AdamW's rescale_grad) are checked as such, and multi-precision
// states are float32. Errors name the op, the argument and both shapes or dtypes.
#pragma once
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

}  // namespace optim
}  // namespace ist
