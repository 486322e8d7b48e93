// Element-wise fusion for the executor: trees of element-wise ops whose inner values feed only
// the tree become one ElemwiseProgram run at the tree's root (relu(a + b) reads a and b and
// writes the result once, instead of writing and re-reading a + b).
#pragma once
#include <cstdint>
#include <vector>
#include "base/context.h"
#include "graph/pass.h"
#include "ops/elemwise/fused.h"

namespace ist {

struct ElemwiseGroup {
  std::vector<uint32_t> nodes;   // node ids, topological; the last is the root
  std::vector<uint32_t> inputs;  // entry ids of the program's external inputs, in program order
  ElemwiseProgram program;
};

// Groups among nodes [begin, end) of g (one section: forward or backward); on GPUs float32 groups
// of ops with a device code (ops/elemwise/fused_device.h), run as one kernel. A node
// joins the group of an input's producer when both are element-wise ops (Op::elemRowFn) with one
// output, every input and the output have one shape and dtype, the producer runs on the same
// context, and its output has exactly one reader (readers[entry], counting graph outputs and
// gradient results). Groups of one node are not returned.
// Nodes with taken[nid] set (claimed by another fusion) are left out.
std::vector<ElemwiseGroup> findElemwiseGroups(const Graph& g, uint32_t begin, uint32_t end,
                                              const std::vector<uint32_t>& readers,
                                              const std::vector<Context>& nodeCtx, const std::vector<bool>& taken);

// ISOTENSOR_FUSE_ELEMWISE=0 turns fusion off (for comparisons); on by default.
bool elemwiseFusionEnabledByEnv();

}  // namespace ist
