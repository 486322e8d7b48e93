// A var's write stamp: lets a cache of something derived from an array (a convolution's prepared
// weights) tell whether the array has been written since.
#pragma once
#include <cstdint>
#include "engine/engine.h"

namespace ist {

// Changes whenever an op that writes `var` has run, and never returns to an earlier value (nor
// to one another var had). Read it inside an op that reads the var: no write to it can run then,
// and every write pushed before the op has run and stamped it, so the stamp names the data the
// op sees.
uint64_t varWriteStamp(VarHandle var);

}  // namespace ist
