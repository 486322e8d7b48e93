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
    int deviceCode = -1;  // FusedCode (fused_device.h), -1: none
    float scalar = 0;     // scalar ops' operand, for the device program
  };
  std::vector<Step> steps;
  int numTemps = 0;
  size_t elemSize = 4;
  int64_t cost = 1;  // per element, all steps
  bool onDevices = false;  // float32 with a device code for every step: runs as a GPU kernel (and its twin)

  static int temp(int t) { return -1 - t; }
};

// out = program(in...), on the engine's pool. Every operand has out's size and dtype; out may be
// one of the inputs (each block reads its inputs before writing its output).
void runElemwiseProgram(const ElemwiseProgram& p, const std::vector<TBlob>& in, const TBlob& out);

// The device program's runner for GPUs and its CPU twin (fused.cu sets them in CUDA builds).
using FusedProgramRunner = void (*)(const ElemwiseProgram& p, const std::vector<TBlob>& in, const TBlob& out,
                                    void* stream);
void setFusedProgramRunners(FusedProgramRunner gpu, FusedProgramRunner cpuTwin);

// out = program(in...) where out lives: the GPU kernel for GPU arrays; on the CPU the rows, or the
// device program's CPU twin when ISOTENSOR_GPU_KERNELS_ON_CPU is set and the program has one.
void runElemwiseProgramOn(const ElemwiseProgram& p, const std::vector<TBlob>& in, const TBlob& out,
                          const Context& ctx, void* stream);

}  // namespace ist
