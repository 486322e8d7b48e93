// Host staging: runs an op's CPU compute for GPU arrays by copying through host memory.
#pragma once
#include "op/registry.h"

namespace ist {

// A GPU compute that copies the inputs (and outputs it accumulates into, and inputs the op
// mutates) to host buffers, runs cpuFn there, and copies the results back, all on the GPU
// worker in stream order. Arrays sharing a device pointer share one host buffer, so in-place
// requests keep their meaning.
FCompute makeHostStagedCompute(const Op& op, FCompute cpuFn);

}  // namespace ist
