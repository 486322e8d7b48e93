// moments: the mean and (population) variance over axes in one op, as MXNet's moments.
//
// Two passes in double (the mean, then the mean squared deviation from it), so the variance
// does not suffer the cancellation of E[x^2] - E[x]^2.
#include <vector>
#include "ops/reduce/broadcast_kernel.h"
#include "ops/reduce/reduce_axes.h"
#include "ops/reduce/reduce_params.h"
#include "ops/reduce/reduce_kernel.h"

namespace ist {
namespace {


void momentsShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<MomentsParam>();
  if (!shapeIsKnown(in[0])) return;
  const Shape o = reducedShape(in[0], momentsMask(in[0], p.axes), p.keepdims);
  out[0] = o;
  out[1] = o;
}

void momentsType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  int t = in[0];
  for (int o : out) t = t == -1 ? o : t;
  if (t == -1) return;
  IST_CHECK(dtypeIsFloat(DType(t)), "moments", "data",
            "moments needs a floating-point input, got " << dtypeName(DType(t)));
  for (int o : out) {
    IST_CHECK(o == -1 || o == t, "moments", "output",
              "dtype " << dtypeName(DType(o)) << " differs from the input's " << dtypeName(DType(t)));
  }
  in[0] = t;
  for (int& o : out) o = t;
}

void momentsCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<MomentsParam>();
  const TBlob& x = in[0];
  const std::vector<bool> mask = momentsMask(x.shape, p.axes);
  const int64_t numOut = out[0].size(), n = x.size();
  if (numOut == 0) return;
  const Shape kept = keptShape(x.shape, mask);
  std::vector<double> mean(static_cast<size_t>(numOut)), var(static_cast<size_t>(numOut));
  IST_TYPE_SWITCH_FLOAT(x.dtype, DT, "moments", {
    const DT* src = x.data<DT>();
    reduce::reduceAxes<reduce::SumR<DT>>(src, x.shape, mask, mean.data(), OpReq::kWriteTo, true);
    // Squared deviations, then their mean.
    std::vector<double> dev(static_cast<size_t>(n));
    reduce::broadcastInto(mean.data(), kept, x.shape, dev.data(), OpReq::kWriteTo);
    parallelFor(n, 4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const double d = static_cast<double>(static_cast<reduce::CT<DT>>(src[i])) - dev[i];
        dev[i] = d * d;
      }
    });
    reduce::reduceAxes<reduce::SumR<double>>(dev.data(), x.shape, mask, var.data(), OpReq::kWriteTo, true);
    for (int k = 0; k < 2; ++k) {
      if (req[k] == OpReq::kNull) continue;
      DT* dst = out[k].data<DT>();
      const std::vector<double>& v = k == 0 ? mean : var;
      for (int64_t i = 0; i < numOut; ++i) reduce::storeOut(dst, i, v[i], req[k]);
    }
  });
}

IST_REGISTER_OP(moments)
    .describe("Calculates the mean and variance of data over the given axes.\n\n"
              "Example: moments([[1,2],[3,4]], axes=(1,)) = ([1.5, 3.5], [0.25, 0.25])")
    .inputs({"data"})
    // Outputs mean, var: MXNet declares no output names, so list_outputs says outputN.
    .outputs({"output0", "output1"})
    .params<MomentsParam>()
    .inferShape(momentsShape)
    .inferType(momentsType)
    .compute(Context::kCPU, momentsCompute);

}  // namespace
}  // namespace ist
