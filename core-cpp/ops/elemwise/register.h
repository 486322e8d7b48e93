// Registration helpers of the elementwise family, and the bridge that attaches GPU computes.
//
// GPU computes are defined in kernels/cuda/elemwise.cu (compiled only when nvcc is present) and
// attached with OpRegistry::addCompute, which works in either static-initialisation order.
//
// The helpers are out of line so each of the ~100 registrations is one call (inlined builder
// chains made the static initialiser the largest function of the WASM build).
#pragma once
#include <initializer_list>
#include <string>
#include <vector>
#include "op/registry.h"

namespace ist {
namespace elem {

using ComputeFn = void (*)(const NodeAttrs&, const OpContext&, const std::vector<TBlob>&,
                           const std::vector<OpReq>&, const std::vector<TBlob>&);

// OpRegistry::add plus the aliases.
Op& addElemwiseOp(const char* name, std::initializer_list<const char*> aliases);
// One input `data`, same shape and dtype out, in-place.
Op& addUnaryOp(const char* name, std::initializer_list<const char*> aliases, const char* doc,
               ComputeFn cpu);
// Inputs lhs, rhs; equal shapes (elemwise_*) or NumPy broadcasting (broadcast_*); one dtype.
Op& addBinaryOp(const char* name, std::initializer_list<const char*> aliases, const char* doc,
                ComputeFn cpu, bool broadcast);
// One input `data` with ScalarParam (scalar, is_int) and MXNet's scalar dtype rule.
Op& addScalarOp(const char* name, std::initializer_list<const char*> aliases, const char* doc,
                ComputeFn cpu);

// Whether a TypeSet of compute.h (kAllTypes 0, kNumericTypes 1: all but bool, kFloatTypes 2) takes
// the dtype (-1, unknown: no).
bool typeSetAccepts(int typeSet, int dtype);

// Makes type inference reject the dtypes the op's compute lacks (typeSet: TypeSet of compute.h;
// kAllTypes adds nothing), so a bool or integer input fails when the op is called, naming the op,
// instead of when its result is read.
Op& restrictDTypes(Op& op, int typeSet);
// The same check around an inference rule; `arg` is the input named in the error.
FInferType restrictedTypes(FInferType base, int typeSet, std::string arg);

// Called by the .cu: OpRegistry::addCompute for the GPU.
void attachGpuCompute(const std::string& name, FCompute fn);

}  // namespace elem
}  // namespace ist

#define IST_ELEMWISE_UNPAREN(...) __VA_ARGS__

// A static registration like IST_REGISTER_OP, with a parenthesised alias list, e.g.
// IST_REGISTER_ELEMWISE_OP(Cast, ("cast")).describe(...)...
#define IST_REGISTER_ELEMWISE_OP(name, aliases)                                 \
  static ::ist::Op& IST_OP_CONCAT(ist_op_reg_, __COUNTER__) [[maybe_unused]] = \
      ::ist::elem::addElemwiseOp(#name, {IST_ELEMWISE_UNPAREN aliases})
