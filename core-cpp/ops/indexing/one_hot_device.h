// one_hot's parameters (shared with one_hot.cc) and its device-generic compute, attached in
// one_hot.cu.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace onehotdev {

struct OneHotParam {
  int64_t depth = 0;
  double on_value = 1.0;
  double off_value = 0.0;
  std::string dtype;
  static void declare(ParamDecl<OneHotParam>& d) {
    d.field("depth", &OneHotParam::depth).doc("Depth of the one hot dimension.");
    d.field("on_value", &OneHotParam::on_value)
        .setDefault(1.0)
        .doc("The value assigned to the locations represented by indices.");
    d.field("off_value", &OneHotParam::off_value)
        .setDefault(0.0)
        .doc("The value assigned to the locations not represented by indices.");
    d.field("dtype", &OneHotParam::dtype)
        .setDefault("float32")
        .values({"float32", "float64", "float16", "bfloat16", "uint8", "int8", "int32", "int64"})
        .doc("DType of the output");
  }
};

struct OneHotMap {
  template <typename O>
  ISTX static void Map(int64_t e, O* out, const double* idx, int64_t depth, O onV, O offV, bool add) {
    using C = dnd::CT<O>;
    const int64_t i = e / depth, j = e % depth;
    const double x = idx[i];
    const int64_t k = (x == x && x - x == 0 && x >= 0 && x < static_cast<double>(depth)) ? static_cast<int64_t>(x) : -1;
    const O v = j == k ? onV : offV;
    out[e] = add ? O(C(out[e]) + C(v)) : v;
  }
};

template <typename Dev>
void oneHotDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<OneHotParam>();
  void* s = ctx.run.stream;
  TempSpace<Dev> idx(s, static_cast<size_t>(in[0].size()) * sizeof(double));
  dnd::readDoubles<Dev>(ctx, in[0], idx.template as<double>(), "one_hot");
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, O, "one_hot", {
    using C = dnd::CT<O>;
    const O onV = O(static_cast<C>(p.on_value)), offV = O(static_cast<C>(p.off_value));
    DeviceKernel<OneHotMap, Dev>::launch(s, out[0].size(), 1, out[0].data<O>(),
                                         static_cast<const double*>(idx.template as<double>()), p.depth, onV, offV,
                                         req[0] == OpReq::kAddTo);
  });
}

}  // namespace onehotdev
}  // namespace ist
