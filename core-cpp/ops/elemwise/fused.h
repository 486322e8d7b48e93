// A fused element-wise program: a tree of element-wise ops run block by block over L1-sized
// temporaries, so inner values never reach memory (graph/fuse_elemwise.h builds them).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>
#include "op/registry.h"

namespace ist {

struct ElemwiseProgram {
  // Operands: k >= 0 is external input k; k < 0 is temporary -1 - k. out: a temporary, or -1 for
  // the program's output. Steps run in order; each reads only inputs and earlier temporaries.
  struct Step {
    ElemRow row;
    int a = 0, b = 0;
    int out = -1;
  };
  std::vector<Step> steps;
  int numTemps = 0;
  size_t elemSize = 4;
  int64_t cost = 1;  // per element, all steps

  static int temp(int t) { return -1 - t; }
};

// out = program(in...), on the engine's pool. Every operand has out's size and dtype; out may be
// one of the inputs (each block reads its inputs before writing its output).
void runElemwiseProgram(const ElemwiseProgram& p, const std::vector<TBlob>& in, const TBlob& out);

}  // namespace ist
