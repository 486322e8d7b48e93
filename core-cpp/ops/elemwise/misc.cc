// Registrations of the elementwise ops with their own params, inputs or shortcuts: _copy,
// BlockGrad, clip, where, Cast, _copyto, hard_sigmoid, add_n, smooth_l1, _cast_like.
#include "ops/elemwise/compute.h"
#include "ops/elemwise/register.h"

namespace ist {
namespace elem {

IST_REGISTER_ELEMWISE_OP(_copy, ("identity"))
    .describe("Returns a copy of the input.")
    .inputs({"data"})
    .inferShape(inferSameShapes)
    .inferType(inferSameDTypes)
    .inplace(0, 0)
    .compute(Context::kCPU, copyCompute<cpu>);

// Forward is a copy; the autograd layer gives it a zero gradient.
IST_REGISTER_ELEMWISE_OP(BlockGrad, ("stop_gradient"))
    .describe("Returns the input unchanged and stops gradients flowing through it.")
    .inputs({"data"})
    .inferShape(inferSameShapes)
    .inferType(inferSameDTypes)
    .inplace(0, 0)
    .compute(Context::kCPU, copyCompute<cpu>);

IST_REGISTER_ELEMWISE_OP(clip, ())
    .describe("Clips (limits) the values in an array to [a_min, a_max].")
    .inputs({"data"})
    .params<ClipParam>()
    .inferShape(inferSameShapes)
    .inferType(restrictedTypes(inferSameDTypes, kNumericTypes, "data"))
    .inplace(0, 0)
    .compute(Context::kCPU, clipCompute<cpu>);

IST_REGISTER_ELEMWISE_OP(where, ())
    .describe("Takes elements from x where condition is non-zero, else from y. The condition has "
              "x's shape, or is 1-D and selects whole rows along x's first axis.")
    .inputs({"condition", "x", "y"})
    .inferShape(inferWhereShape)
    .inferType(inferWhereDType)
    .compute(Context::kCPU, whereCompute<cpu>);

IST_REGISTER_ELEMWISE_OP(Cast, ("cast"))
    .describe("Casts all elements of the input to a new type.")
    .inputs({"data"})
    .params<CastParam>()
    .inferShape(inferSameShapes)
    .inferType(inferCastDType)
    .inplace(0, 0)
    .compute(Context::kCPU, castCompute<cpu>);

// Copies between devices are done by the core's copyBytes; this compute is the same-device
// copy, converting when the destination has another dtype.
IST_REGISTER_ELEMWISE_OP(_copyto, ())
    .describe("Copies the input into the output array.")
    .inputs({"data"})
    .inferShape(inferSameShapes)
    .inferType(inferCopytoDType)
    .compute(Context::kCPU, castCompute<cpu>);

IST_REGISTER_ELEMWISE_OP(hard_sigmoid, ())
    .describe("Computes hard sigmoid max(0, min(1, alpha * x + beta)) element-wise.")
    .inputs({"data"})
    .params<HardSigmoidParam>()
    .inferShape(inferSameShapes)
    .inferType(restrictedTypes(inferSameDTypes, kFloatTypes, "data"))
    .inplace(0, 0)
    .compute(Context::kCPU, hardSigmoidCompute<cpu>);

IST_REGISTER_ELEMWISE_OP(add_n, ("ElementWiseSum"))
    .describe("Adds all input arguments element-wise.")
    .variadic("args", "num_args")
    .params<AddNParam>()
    .inferShape(inferSameShapes)
    .inferType(restrictedTypes(inferSameDTypes, kNumericTypes, "args"))
    .inplace(0, 0)
    .compute(Context::kCPU, addNCompute<cpu>);

IST_REGISTER_ELEMWISE_OP(smooth_l1, ())
    .describe("Smooth L1 loss: 0.5 (sigma x)^2 where |x| < 1/sigma^2, else |x| - 0.5/sigma^2; "
              "sigma is `scalar`.")
    .inputs({"data"})
    .params<ScalarParam>()
    .inferShape(inferSameShapes)
    .inferType(restrictedTypes(inferSameDTypes, kFloatTypes, "data"))
    .inplace(0, 0)
    .compute(Context::kCPU, scalarCompute<cpu, smooth_l1, false, kFloatTypes>);

// Gradients of dtype-changing ops (Cast, norm's out_dtype, cumsum's dtype) cast back to the
// forward input's dtype, known only when the gradient graph runs: hence a cast "like" an array.
IST_REGISTER_ELEMWISE_OP(_cast_like, ())
    .describe("Casts data to the dtype of `like` (the shape stays data's).")
    .inputs({"data", "like"})
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (shapeRankKnown(in[0])) out[0] = in[0];
      else if (shapeRankKnown(out[0])) in[0] = out[0];
    })
    .inferType([](const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
      if (in[1] == -1) return;
      IST_CHECK(out[0] == -1 || out[0] == in[1], opName(attrs), "output",
                "dtype " << dtypeName(DType(out[0])) << " differs from like's "
                         << dtypeName(DType(in[1])));
      out[0] = in[1];
    })
    .inplace(0, 0)
    .compute(Context::kCPU, castCompute<cpu>);

}  // namespace elem
}  // namespace ist
