// The executor's fused element-wise programs on devices (graph/fuse_elemwise.h builds them): each
// op of a group is a code into one switch over op_list.h's functors, and one Map evaluates the
// whole program per element in registers, so a GPU runs a group as one kernel. float32 programs;
// attached in fused.cu (GPU kernel and its CPU twin).
#pragma once
#include <cstdint>
#include <string>
#include "kernels/device.h"
#include "ops/elemwise/functors.h"
#include "ops/elemwise/op_list.h"
#include "ops/nn/activation_device.h"

namespace ist {

// One code per op of op_list.h's unary, same-shape binary, broadcasting binary and scalar lists,
// then one per Activation act_type (in actdev::Act's order).
enum FusedCode : int16_t {
#define IST_FUSED_CODE(name, ...) kFused_##name,
  IST_ELEMWISE_UNARY_OPS(IST_FUSED_CODE) IST_ELEMWISE_BINARY_OPS(IST_FUSED_CODE)
      IST_BROADCAST_BINARY_OPS(IST_FUSED_CODE) IST_SCALAR_OPS(IST_FUSED_CODE)
#undef IST_FUSED_CODE
  kFusedActRelu, kFusedActSigmoid, kFusedActTanh, kFusedActSoftRelu, kFusedActSoftSign,
  kFusedCodeCount
};

// The code of a node's op (with its attributes), or -1 when it has none.
int fusedCodeOf(const NodeAttrs& attrs);

// A program as kernel arguments: operands k >= 0 are inputs, k < 0 temporaries -1 - k; out -1 is
// the program's output. The bounds are graph/fuse_elemwise.cc's (16 nodes, each with <= 2 inputs).
constexpr int kFusedMaxSteps = 16, kFusedMaxInputs = 2 * kFusedMaxSteps + 1;
struct FusedDeviceProgram {
  struct Step {
    int16_t code;
    int8_t a, b, out;
    float scalar;  // scalar ops' operand
  };
  Step steps[kFusedMaxSteps];
  const float* in[kFusedMaxInputs];
  int numSteps;
};

// a op b (binary), op a (unary), a op s or s op a (scalar ops, per the list's Reverse column).
ISTX float fusedApply(int code, float a, float b, float s) {
  switch (code) {
#define IST_FUSED_UNARY(name, functor, ...) \
  case kFused_##name: return elem::functor::Map(a);
#define IST_FUSED_BINARY(name, functor, ...) \
  case kFused_##name: return elem::functor::Map(a, b);
#define IST_FUSED_SCALAR(name, functor, reverse, ...) \
  case kFused_##name: return reverse ? elem::functor::Map(s, a) : elem::functor::Map(a, s);
    IST_ELEMWISE_UNARY_OPS(IST_FUSED_UNARY)
    IST_ELEMWISE_BINARY_OPS(IST_FUSED_BINARY)
    IST_BROADCAST_BINARY_OPS(IST_FUSED_BINARY)
    IST_SCALAR_OPS(IST_FUSED_SCALAR)
    case kFusedActRelu: return actdev::activateDev<actdev::Act::kRelu, float>(a);
    case kFusedActSigmoid: return actdev::activateDev<actdev::Act::kSigmoid, float>(a);
    case kFusedActTanh: return actdev::activateDev<actdev::Act::kTanh, float>(a);
    case kFusedActSoftRelu: return actdev::activateDev<actdev::Act::kSoftRelu, float>(a);
    case kFusedActSoftSign: return actdev::activateDev<actdev::Act::kSoftSign, float>(a);
#undef IST_FUSED_UNARY
#undef IST_FUSED_BINARY
#undef IST_FUSED_SCALAR
    default: return a;
  }
}

// Element i of the program's output: every step in order, temporaries in registers. out may be one
// of the inputs: element i is read before it is written, by the same thread.
struct FusedProgramMap {
  ISTX static void Map(int64_t i, float* out, FusedDeviceProgram p) {
    float t[kFusedMaxSteps];
    float r = 0;
    for (int k = 0; k < p.numSteps; ++k) {
      const FusedDeviceProgram::Step& s = p.steps[k];
      const float a = s.a >= 0 ? p.in[s.a][i] : t[-1 - s.a];
      const float b = s.b >= 0 ? p.in[s.b][i] : t[-1 - s.b];
      r = fusedApply(s.code, a, b, s.scalar);
      if (s.out >= 0) t[s.out] = r;
    }
    out[i] = r;
  }
};

}  // namespace ist
