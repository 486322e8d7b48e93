// amp_cast / amp_multicast (MXNet's AMP casts): params, MXNet's dtype rules (only float32, float16
// and bfloat16 inputs are cast; every other dtype passes through) and the device-generic computes,
// the CPU kernels in amp_cast.cc and the GPU kernels with their CPU twins in amp_cast.cu.
#pragma once
#include <climits>
#include <string>
#include <vector>
#include "base/error.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/elemwise/compute.h"

namespace ist {
namespace ampdev {

struct AmpCastParam {
  std::string dtype;
  static void declare(ParamDecl<AmpCastParam>& d) {
    d.field("dtype", &AmpCastParam::dtype)
        .values({"float32", "float64", "float16", "bfloat16", "uint8", "int8", "int32", "int64"})
        .doc("Output data type.");
  }
};

struct AmpMultiCastParam {
  int num_outputs = 1;
  bool cast_narrow = false;
  static void declare(ParamDecl<AmpMultiCastParam>& d) {
    d.field("num_outputs", &AmpMultiCastParam::num_outputs)
        .range(1, INT_MAX)
        .doc("Number of input/output pairs to be casted to the widest type.");
    d.field("cast_narrow", &AmpMultiCastParam::cast_narrow)
        .setDefault(false)
        .doc("Whether to cast to the narrowest type");
  }
};

// The dtypes AMP casts (MXNet's AMPCastType): float64 and integers are left alone.
inline bool ampCastable(int t) {
  return t == static_cast<int>(DType::kFloat32) || t == static_cast<int>(DType::kFloat16) ||
         t == static_cast<int>(DType::kBFloat16);
}

// out[i] = in[i] converted to out[i]'s dtype (nothing when it is the same buffer and dtype).
template <typename Dev>
void ampCastDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  for (size_t i = 0; i < out.size(); ++i)
    elem::castCompute<Dev>(attrs, ctx, {in[i]}, {req[i]}, {out[i]});
}

}  // namespace ampdev
}  // namespace ist
