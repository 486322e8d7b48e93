// all_finite, multi_all_finite: a float32 (1,) flag, 1 when every element of the inputs is finite
// (with init_output=false the flag is only ever cleared, ANDing into the existing output, as MXNet's
// AMP loss scaler uses it); multi_sum_sq: each input's sum of squares, float32 (num_arrays,).
// None is differentiable (MXNet registers no gradient).
#include "base/error.h"
#include "op/registry.h"
#include "ops/nn/layer_util.h"
#include "ops/reduce/all_finite_device.h"

namespace ist {
namespace {

using finitedev::AllFiniteParam;
using finitedev::MultiAllFiniteParam;
using finitedev::MultiSumSqParam;

void flagShape(const NodeAttrs&, std::vector<Shape>&, std::vector<Shape>& out) { out[0] = Shape{1}; }

template <int kOp>
void floatInputsType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const char* op = kOp == 0 ? "all_finite" : (kOp == 1 ? "multi_all_finite" : "multi_sum_sq");
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string arg = in.size() == 1 && kOp == 0 ? "data" : "data_" + std::to_string(i);
    nn::requireFloat(in[i], op, arg.c_str());
  }
  out[0] = static_cast<int>(DType::kFloat32);
}

// multi_sum_sq: MXNet's uniform dtype over the inputs.
void sumSqType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  floatInputsType<2>(attrs, in, out);
  int t = -1;
  for (int v : in)
    if (v >= 0 && t < 0) t = v;
  for (size_t i = 0; i < in.size(); ++i) {
    IST_CHECK(in[i] < 0 || in[i] == t, "multi_sum_sq", "data_" + std::to_string(i),
              "has dtype " << dtypeName(DType(in[i])) << " but data_0.. have " << dtypeName(DType(t))
                           << "; every array must have the same dtype");
    if (t >= 0) in[i] = t;
  }
}

IST_REGISTER_OP(all_finite)
    .describe("Check if all the float numbers in the array are finite (used for AMP): a float32 "
              "array of shape (1,) holding 1 if so, else 0. With init_output=false the output is not "
              "set to 1 first, so it stays 0 once any checked array had a non-finite value.")
    .inputs({"data"})
    .params<AllFiniteParam>()
    .inferShape(flagShape)
    .inferType(floatInputsType<0>)
    .compute(Context::kCPU, finitedev::allFiniteDev<cpu, false>);

IST_REGISTER_OP(multi_all_finite)
    .describe("Check if all the float numbers in all the arrays are finite (used for AMP): a float32 "
              "array of shape (1,) holding 1 if so, else 0 (see all_finite for init_output).")
    .variadic("data", "num_arrays")
    .params<MultiAllFiniteParam>()
    .inferShape(flagShape)
    .inferType(floatInputsType<1>)
    .compute(Context::kCPU, finitedev::allFiniteDev<cpu, true>);

IST_REGISTER_OP(multi_sum_sq)
    .describe("Computes the sums of squares of the elements of each input array: a float32 array of "
              "shape (num_arrays,).")
    .variadic("data", "num_arrays")
    .params<MultiSumSqParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>&, std::vector<Shape>& out) {
      out[0] = Shape{attrs.get<MultiSumSqParam>().num_arrays};
    })
    .inferType(sumSqType)
    .compute(Context::kCPU, finitedev::multiSumSqDev<cpu>);

}  // namespace
}  // namespace ist
