// Pooling's parameters and the plan (window geometry) its CPU compute (pooling.cc) and its
// device-generic compute (pooling_device.h) share.
#pragma once
#include <optional>
#include <string>
#include "base/macros.h"
#include "ops/nn/conv_common.h"

namespace ist {
namespace pooling_detail {

constexpr const char* kOp = "Pooling";

struct PoolingParam {
  Shape kernel, stride, pad;
  std::string pool_type, pooling_convention, layout;
  bool global_pool = false, cudnn_off = false;
  std::optional<int> p_value;
  std::optional<bool> count_include_pad;
  static void declare(ParamDecl<PoolingParam>& d) {
    d.field("kernel", &PoolingParam::kernel).setDefault(Shape{})
        .doc("Pooling kernel size: (y, x) or (d, y, x).");
    d.field("pool_type", &PoolingParam::pool_type).setDefault("max").values({"avg", "lp", "max", "sum"})
        .doc("Pooling type to be applied.");
    d.field("global_pool", &PoolingParam::global_pool).setDefault(false)
        .doc("Ignore kernel size, do global pooling based on current input feature map.");
    d.field("cudnn_off", &PoolingParam::cudnn_off).setDefault(false)
        .doc("Turn off cudnn pooling and use MXNet pooling operator (ignored).");
    d.field("pooling_convention", &PoolingParam::pooling_convention).setDefault("valid")
        .values({"full", "same", "valid"})
        .doc("Pooling convention to be applied: valid floor((in + 2 pad - kernel) / stride) + 1 outputs, full "
             "ceil(...) + 1, same ceil(in / stride) (windows clipped at the end; pad must be 0).");
    d.field("stride", &PoolingParam::stride).setDefault(Shape{})
        .doc("Stride: for pooling (y, x) or (d, y, x). Defaults to 1 for each dimension.");
    d.field("pad", &PoolingParam::pad).setDefault(Shape{})
        .doc("Pad for pooling: (y, x) or (d, y, x). Defaults to no padding.");
    d.field("p_value", &PoolingParam::p_value).setDefault(std::nullopt)
        .doc("Value of p for Lp pooling, can be 1, 2 or 3, required for Lp Pooling.");
    d.field("count_include_pad", &PoolingParam::count_include_pad).setDefault(std::nullopt)
        .doc("Only used for AvgPool, specify whether to count padding elements for average calculation. For "
             "example, with a 5*5 kernel on a 3*3 corner of a image, the sum of the 9 valid elements will be "
             "divided by 25 if this is set to true, or it will be divided by 9 if this is set to false. "
             "Defaults to true.");
    d.field("layout", &PoolingParam::layout).setDefault("None")
        .values({"None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC", "NWC"})
        .doc("Set layout for input and output. Empty for default layout: NCW for 1d, NCHW for 2d and NCDHW "
             "for 3d.");
  }
};

enum class Kind { kMax, kAvg, kSum, kLp };

// Everything a call needs, resolved from the params and the data shape.
struct Plan {
  Kind kind = Kind::kMax;
  int p = 1;
  bool countPad = true;
  bool channelLast = false;
  int nd = 0;
  Shape kernel, stride, pad;
  int64_t N = 0, C = 0;
  Shape in, out;  // spatial dims
};

inline Plan makePlan(const PoolingParam& prm, const Shape& d, const char* op) {
  Plan pl;
  pl.kind = prm.pool_type == "max" ? Kind::kMax : prm.pool_type == "avg" ? Kind::kAvg
            : prm.pool_type == "sum" ? Kind::kSum : Kind::kLp;
  if (pl.kind == Kind::kLp) {
    IST_CHECK(prm.p_value.has_value(), op, "p_value", "is required for pool_type='lp'");
    IST_CHECK(*prm.p_value >= 1 && *prm.p_value <= 3, op, "p_value",
              "lp pooling supports p_value 1, 2 or 3, got " << *prm.p_value);
    pl.p = *prm.p_value;
  }
  pl.countPad = prm.count_include_pad.value_or(true);
  IST_CHECK(d.size() >= 3 && d.size() <= 5, op, "data",
            "expects a 3-D (N, C, W), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) array, got shape " << shapeString(d));
  pl.nd = static_cast<int>(d.size()) - 2;
  if (prm.layout != "None") {
    const std::string& l = prm.layout;
    IST_CHECK(l.size() == d.size(), op, "layout",
              "layout " << l << " does not match data of shape " << shapeString(d) << " (rank " << d.size() << ")");
    pl.channelLast = l.back() == 'C';
  }
  pl.N = d[0];
  pl.C = pl.channelLast ? d.back() : d[1];
  const size_t first = pl.channelLast ? 1 : 2;
  pl.in.assign(d.begin() + first, d.begin() + first + pl.nd);
  if (prm.global_pool) {
    pl.kernel = pl.in;
    pl.stride = Shape(pl.nd, 1);
    pl.pad = Shape(pl.nd, 0);
    pl.out = Shape(pl.nd, 1);
    return pl;
  }
  IST_CHECK(!prm.kernel.empty(), op, "kernel", "is required unless global_pool=True (data shape " << shapeString(d) << ")");
  IST_CHECK(static_cast<int>(prm.kernel.size()) == pl.nd, op, "kernel",
            shapeString(prm.kernel) << " has " << prm.kernel.size() << " entries but data of shape " << shapeString(d)
                                    << " has " << pl.nd << " spatial axes");
  pl.kernel = prm.kernel;
  conv::checkAtLeast(pl.kernel, 1, op, "kernel");
  pl.stride = conv::expandTuple(prm.stride, prm.kernel, 1, op, "stride");
  conv::checkAtLeast(pl.stride, 1, op, "stride");
  pl.pad = conv::expandTuple(prm.pad, prm.kernel, 0, op, "pad");
  conv::checkAtLeast(pl.pad, 0, op, "pad");
  const bool same = prm.pooling_convention == "same";
  if (same) {
    for (int64_t v : pl.pad)
      IST_CHECK(v == 0, op, "pad", "pooling_convention='same' does not take padding, got pad " << shapeString(pl.pad));
  }
  for (int i = 0; i < pl.nd; ++i) {
    const int64_t padded = pl.in[i] + 2 * pl.pad[i];
    IST_CHECK(pl.kernel[i] <= padded, op, "kernel",
              "kernel " << shapeString(pl.kernel) << " exceeds the padded input along spatial axis " << i
                        << ": data shape " << shapeString(d) << ", pad " << shapeString(pl.pad));
    const int64_t span = padded - pl.kernel[i];
    if (same) pl.out.push_back(conv::ceilDiv(padded, pl.stride[i]));
    else if (prm.pooling_convention == "full") pl.out.push_back(1 + conv::ceilDiv(span, pl.stride[i]));
    else pl.out.push_back(1 + span / pl.stride[i]);
  }
  return pl;
}

// Max and sum of n elements `st` apart. Long unit-stride rows (global pooling) run eight
// independent lanes, which the compiler vectorises (a single accumulator is a serial dependency
// chain); max keeps the sequential rule: NaN never wins. Shared by pooling.cc and the device
// kernels (pooling_device.h).
template <typename T>
ISTX T rowMax(const T* p, int64_t n, int64_t st, T r) {
  if (st != 1 || n < 32) {
    for (int64_t i = 0; i < n; ++i) r = p[i * st] > r ? p[i * st] : r;
    return r;
  }
  T lane[8] = {r, r, r, r, r, r, r, r};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) lane[l] = p[i + l] > lane[l] ? p[i + l] : lane[l];
  for (; i < n; ++i) r = p[i] > r ? p[i] : r;
  for (int l = 0; l < 8; ++l) r = lane[l] > r ? lane[l] : r;
  return r;
}
template <typename T>
ISTX T rowSum(const T* p, int64_t n, int64_t st) {
  T r = 0;
  if (st != 1 || n < 32) {
    for (int64_t i = 0; i < n; ++i) r += p[i * st];
    return r;
  }
  T lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) lane[l] += p[i + l];
  for (; i < n; ++i) r += p[i];
  return r + ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

}  // namespace pooling_detail
}  // namespace ist
