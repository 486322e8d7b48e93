// The elementwise registration helpers and the GPU-compute bridge declared in register.h.
#include "ops/elemwise/register.h"
#include "ops/elemwise/elemwise_params.h"
#include "ops/elemwise/infer.h"
#include "base/error.h"

namespace ist {
namespace elem {

void attachGpuCompute(const std::string& name, FCompute fn) {
  OpRegistry::addCompute(name, Context::kGPU, std::move(fn));
}

Op& addElemwiseOp(const char* name, std::initializer_list<const char*> aliases) {
  Op& op = OpRegistry::add(name);
  for (const char* a : aliases) op.alias(a);
  return op;
}

Op& addUnaryOp(const char* name, std::initializer_list<const char*> aliases, const char* doc,
               ComputeFn cpu) {
  return addElemwiseOp(name, aliases)
      .describe(doc)
      .inputs({"data"})
      .inferShape(inferSameShapes)
      .inferType(inferSameDTypes)
      .inplace(0, 0)
      .compute(Context::kCPU, cpu);
}

// In-place pairs of broadcast ops hold only when that input already has the output's shape;
// the memory planner checks sizes before sharing.
Op& addBinaryOp(const char* name, std::initializer_list<const char*> aliases, const char* doc,
                ComputeFn cpu, bool broadcast) {
  return addElemwiseOp(name, aliases)
      .describe(doc)
      .inputs({"lhs", "rhs"})
      .inferShape(broadcast ? inferBroadcastShape : inferSameShapes)
      .inferType(inferSameDTypes)
      .inplace(0, 0)
      .inplace(1, 0)
      .compute(Context::kCPU, cpu);
}

// In place only when the dtype is kept (an integer input promoted to float64 is not).
Op& addScalarOp(const char* name, std::initializer_list<const char*> aliases, const char* doc,
                ComputeFn cpu) {
  return addElemwiseOp(name, aliases)
      .describe(doc)
      .inputs({"data"})
      .params<ScalarParam>()
      .inferShape(inferSameShapes)
      .inferType(inferScalarDType)
      .inplace(0, 0)
      .compute(Context::kCPU, cpu);
}

bool typeSetAccepts(int typeSet, int dtype) {
  if (dtype < 0) return false;
  const DType t = DType(dtype);
  return typeSet == 0 ? true : typeSet == 1 ? t != DType::kBool : dtypeIsFloat(t);
}

FInferType restrictedTypes(FInferType base, int typeSet, std::string arg) {
  if (typeSet == 0) return base;  // kAllTypes
  const bool floatOnly = typeSet == 2;  // kFloatTypes (else kNumericTypes: all but bool)
  return [base, typeSet, floatOnly, arg](const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
    base(attrs, in, out);
    if (out[0] == -1) return;
    const DType t = DType(out[0]);
    IST_CHECK(typeSetAccepts(typeSet, out[0]), opName(attrs), arg,
              "dtype " << dtypeName(t) << " is not supported by this operator (it takes "
                       << (floatOnly ? "floating-point" : "numeric, not bool") << " arrays)");
  };
}

Op& restrictDTypes(Op& op, int typeSet) {
  return op.inferType(restrictedTypes(op.inferTypeFn, typeSet, op.inputNames.empty() ? "data" : op.inputNames[0]));
}

}  // namespace elem
}  // namespace ist
