// amp_cast and amp_multicast: MXNet's automatic-mixed-precision casts. Float32/float16/bfloat16
// inputs are cast (to `dtype`, or to the widest or narrowest float type among amp_multicast's
// inputs); other dtypes pass through. Gradients cast the output gradients back to the inputs' dtypes.
#include <string>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/elemwise/amp_cast_device.h"

namespace ist {
namespace {

using ampdev::AmpCastParam;
using ampdev::AmpMultiCastParam;
using ampdev::ampCastable;

void ampCastType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  if (in[0] < 0) return;
  const int t = ampCastable(in[0])
                    ? static_cast<int>(dtypeFromName(attrs.get<AmpCastParam>().dtype, "amp_cast", "dtype"))
                    : in[0];
  IST_CHECK(out[0] < 0 || out[0] == t, "amp_cast", "output",
            "output has dtype " << dtypeName(DType(out[0])) << " but casting "
                                << dtypeName(DType(in[0])) << " gives " << dtypeName(DType(t)));
  out[0] = t;
}

void ampMultiCastShape(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (shapeRankKnown(in[i])) out[i] = in[i];
    else if (shapeRankKnown(out[i])) in[i] = out[i];
  }
}

// MXNet's AMPMultiCastType: the target starts at float32 with cast_narrow, else at the first
// input's dtype, and becomes float32 (widest) or float16/bfloat16 (narrowest) when one is present.
void ampMultiCastType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const auto& p = attrs.get<AmpMultiCastParam>();
  for (int t : in)
    if (t < 0) return;
  const int f32 = static_cast<int>(DType::kFloat32), f16 = static_cast<int>(DType::kFloat16),
            bf16 = static_cast<int>(DType::kBFloat16);
  int target = p.cast_narrow ? f32 : in[0];
  for (int t : in) {
    if (!p.cast_narrow && t == f32) target = f32;
    else if (p.cast_narrow && t == f16) target = f16;
    else if (p.cast_narrow && t == bf16) target = bf16;
  }
  for (size_t i = 0; i < in.size(); ++i) {
    const int t = ampCastable(in[i]) ? target : in[i];
    IST_CHECK(out[i] < 0 || out[i] == t, "amp_multicast", "output",
              "output " << i << " has dtype " << dtypeName(DType(out[i])) << " but casting input " << i
                        << " of dtype " << dtypeName(DType(in[i])) << " gives " << dtypeName(DType(t)));
    out[i] = t;
  }
}

IST_REGISTER_OP(amp_cast)
    .describe("Cast function between low precision float/FP32 used by AMP.\n\n"
              "It casts only between low precision float/FP32 (float32, float16, bfloat16 inputs "
              "become `dtype`) and does not do anything for other types.")
    .inputs({"data"})
    .params<AmpCastParam>()
    .inferShape(inferSameShape)
    .inferType(ampCastType)
    .inplace(0, 0)
    .compute(Context::kCPU, ampdev::ampCastDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("_cast_like", {og[0], n->inputs[0]})};
    });

IST_REGISTER_OP(amp_multicast)
    .describe("Cast function used by AMP, that casts its inputs to the common widest type.\n\n"
              "It casts only between low precision float/FP32 and does not do anything for other "
              "types. With cast_narrow, the inputs are cast to the narrowest float type instead.")
    .variadic("data", "num_outputs")
    .numOutputs([](const NodeAttrs& a) { return a.get<AmpMultiCastParam>().num_outputs; })
    .params<AmpMultiCastParam>()
    .inferShape(ampMultiCastShape)
    .inferType(ampMultiCastType)
    .compute(Context::kCPU, ampdev::ampCastDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      std::vector<NodeEntry> g;
      for (size_t i = 0; i < n->inputs.size(); ++i) g.push_back(makeEntry("_cast_like", {og[i], n->inputs[i]}));
      return g;
    });

}  // namespace
}  // namespace ist
