// GPU compute of _square_sum (square_sum.cc) on the device reduce engine (reduce_device.h), with
// its CPU twin.
#include "kernels/cuda/kernel_cuda.cuh"
#include "op/device_compute.h"
#include "ops/reduce/reduce_device.h"

namespace ist {
namespace square_sum_gpu {
namespace {

// rdev::SumR with each element squared on load.
template <typename T> struct SqSumR : rdev::SumR<T> {
  using Acc = typename rdev::SumR<T>::Acc;
  ISTX static Acc load(T x) {
    const Acc v = rdev::SumR<T>::load(x);
    return v * v;
  }
};

template <typename Dev>
void squareSumDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<ReduceAxesParam>();
  const TBlob& x = in[0];
  const std::vector<bool> mask = reduceMask(x.shape, p.axis, p.exclude, "_square_sum");
  IST_TYPE_SWITCH_NUMERIC(x.dtype, DT, "_square_sum", {
    rdev::reduceInto<Dev, SqSumR<DT>>(ctx, x.data<DT>(), x.shape, mask, out[0].data<DT>(), req[0], "_square_sum");
  });
}

const bool kReg = (attachDeviceComputes("_square_sum", squareSumDev<gpu>, squareSumDev<cpu>), true);

}  // namespace
}  // namespace square_sum_gpu
}  // namespace ist
