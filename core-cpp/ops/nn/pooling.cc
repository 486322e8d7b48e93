// Pooling (max, avg, sum, lp; 1-D/2-D/3-D; valid/full/same conventions; global pooling;
// channel-first or channel-last layouts) with MXNet's window rules, and _backward_Pooling.
//
// A window at output position o spans [o * stride - pad, min(start + kernel, in + pad)) and is
// clipped to the input. avg divides by the unclipped (padded) window size, or by the number of
// real elements when count_include_pad=False; lp computes (sum x^p)^(1/p) for p in {1, 2, 3}
// (no absolute value, as MXNet). The max gradient goes to the first element equal to the output.
#include "op/backward_errors.h"
#include <cmath>
#include <limits>
#include "graph/node.h"
#include "ops/nn/conv_common.h"

namespace ist {
namespace {

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

Plan makePlan(const PoolingParam& prm, const Shape& d, const char* op) {
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

Shape outShape(const Plan& pl, const Shape& d) {
  Shape o = d;
  const size_t first = pl.channelLast ? 1 : 2;
  for (int i = 0; i < pl.nd; ++i) o[first + i] = pl.out[i];
  return o;
}

void poolShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const Shape& d = in[0];
  if (!shapeIsKnown(d)) return;
  out[0] = outShape(makePlan(attrs.get<PoolingParam>(), d, kOp), d);
}

void poolType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"data"}, kOp);
}

// Element strides of an (N, C, spatial...) view of the data, padded to 3 spatial dims.
struct Strides {
  int64_t n, c, sp[3];
};

Strides stridesOf(const Plan& pl, const int64_t* dims3) {
  Strides s;
  const int64_t sz = dims3[0] * dims3[1] * dims3[2];
  if (pl.channelLast) {
    s.c = 1;
    s.sp[2] = pl.C;
    s.sp[1] = dims3[2] * pl.C;
    s.sp[0] = dims3[1] * dims3[2] * pl.C;
    s.n = sz * pl.C;
  } else {
    s.sp[2] = 1;
    s.sp[1] = dims3[2];
    s.sp[0] = dims3[1] * dims3[2];
    s.c = sz;
    s.n = sz * pl.C;
  }
  return s;
}

// One window, clipped: [lo, hi) per dim and the divisor avg uses.
struct Window {
  int64_t lo[3], hi[3];
  int64_t size;
};

template <typename C> inline C powP(C v, int p) { return p == 1 ? v : p == 2 ? v * v : v * v * v; }
template <typename C> inline C rootP(C v, int p) { return p == 1 ? v : p == 2 ? std::sqrt(v) : std::cbrt(v); }

// Max and sum of n elements `st` apart. Long unit-stride rows (global pooling) run eight
// independent lanes, which the compiler vectorises (a single accumulator is a serial dependency
// chain); max keeps the sequential rule: NaN never wins.
template <typename T> inline T rowMax(const T* p, int64_t n, int64_t st, T r) {
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
template <typename T> inline T rowSum(const T* p, int64_t n, int64_t st) {
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

// Runs body(n, c, outIndexStrided, window) for every output element of planes [b, e).
struct Sweep {
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, p[3] = {0, 0, 0};
  explicit Sweep(const Plan& pl) {
    const int off = 3 - pl.nd;
    for (int i = 0; i < pl.nd; ++i) {
      in[off + i] = pl.in[i];
      out[off + i] = pl.out[i];
      k[off + i] = pl.kernel[i];
      s[off + i] = pl.stride[i];
      p[off + i] = pl.pad[i];
    }
  }
  Window window(int64_t od, int64_t oh, int64_t ow, bool countPad) const {
    Window w;
    const int64_t o[3] = {od, oh, ow};
    int64_t padded = 1, real = 1;
    for (int i = 0; i < 3; ++i) {
      const int64_t st = o[i] * s[i] - p[i];
      const int64_t en = std::min(st + k[i], in[i] + p[i]);
      padded *= en - st;
      w.lo[i] = std::max<int64_t>(st, 0);
      w.hi[i] = std::min(en, in[i]);
      real *= std::max<int64_t>(w.hi[i] - w.lo[i], 0);
    }
    w.size = countPad ? padded : real;
    return w;
  }
};

template <typename T>
void forward(const Plan& pl, const T* x, T* y, OpReq req) {
  using C = T;  // float or double (16-bit floats arrive widened)
  const Sweep sw(pl);
  const Strides xs = stridesOf(pl, sw.in), ys = stridesOf(pl, sw.out);
  const int64_t outSz = sw.out[0] * sw.out[1] * sw.out[2], kSz = sw.k[0] * sw.k[1] * sw.k[2];
  const bool add = req == OpReq::kAddTo;
  parallelFor(pl.N * pl.C, outSz * kSz, [&](int64_t b, int64_t e) {
    for (int64_t plane = b; plane < e; ++plane) {
      const int64_t n = plane / pl.C, c = plane % pl.C;
      const T* xp = x + n * xs.n + c * xs.c;
      T* yp = y + n * ys.n + c * ys.c;
      for (int64_t od = 0; od < sw.out[0]; ++od)
        for (int64_t oh = 0; oh < sw.out[1]; ++oh)
          for (int64_t ow = 0; ow < sw.out[2]; ++ow) {
            const Window w = sw.window(od, oh, ow, pl.countPad);
            C r;
            const int64_t len = std::max<int64_t>(w.hi[2] - w.lo[2], 0);
            if (pl.kind == Kind::kMax) {
              r = std::numeric_limits<C>::lowest();
              for (int64_t i = w.lo[0]; i < w.hi[0]; ++i)
                for (int64_t j = w.lo[1]; j < w.hi[1]; ++j)
                  r = rowMax(xp + i * xs.sp[0] + j * xs.sp[1] + w.lo[2] * xs.sp[2], len, xs.sp[2], r);
            } else {
              C acc = 0;
              for (int64_t i = w.lo[0]; i < w.hi[0]; ++i)
                for (int64_t j = w.lo[1]; j < w.hi[1]; ++j) {
                  const T* row = xp + i * xs.sp[0] + j * xs.sp[1] + w.lo[2] * xs.sp[2];
                  if (pl.p == 1) {
                    acc += rowSum(row, len, xs.sp[2]);
                  } else {
                    for (int64_t k = 0; k < len; ++k) acc += powP<C>(row[k * xs.sp[2]], pl.p);
                  }
                }
              if (pl.kind == Kind::kAvg) r = w.size > 0 ? acc / C(w.size) : C(0);
              else if (pl.kind == Kind::kLp) r = rootP(acc, pl.p);
              else r = acc;
            }
            T* dst = yp + od * ys.sp[0] + oh * ys.sp[1] + ow * ys.sp[2];
            *dst = add ? *dst + r : r;
          }
    }
  });
}

// inputs: ograd, data, output (forward's); output: d data.
template <typename T>
void backward(const Plan& pl, const T* og, const T* x, const T* y, T* dx, OpReq req) {
  using C = T;
  const Sweep sw(pl);
  const Strides xs = stridesOf(pl, sw.in), ys = stridesOf(pl, sw.out);
  const int64_t outSz = sw.out[0] * sw.out[1] * sw.out[2], kSz = sw.k[0] * sw.k[1] * sw.k[2];
  const int64_t inSz = sw.in[0] * sw.in[1] * sw.in[2];
  // The offset of the first element of the window equal to the forward output (-1: none).
  auto firstEqual = [&](const T* xp, const Window& w, C out) -> int64_t {
    for (int64_t i = w.lo[0]; i < w.hi[0]; ++i)
      for (int64_t j = w.lo[1]; j < w.hi[1]; ++j)
        for (int64_t k = w.lo[2]; k < w.hi[2]; ++k) {
          const int64_t xi = i * xs.sp[0] + j * xs.sp[1] + k * xs.sp[2];
          if (C(xp[xi]) == out) return xi;
        }
    return -1;
  };
  parallelFor(pl.N * pl.C, outSz * kSz + inSz, [&](int64_t b, int64_t e) {
    for (int64_t plane = b; plane < e; ++plane) {
      const int64_t n = plane / pl.C, c = plane % pl.C;
      const T* xp = x + n * xs.n + c * xs.c;
      T* gp = dx + n * xs.n + c * xs.c;
      const T* yp = y + n * ys.n + c * ys.c;
      const T* gop = og + n * ys.n + c * ys.c;
      if (req != OpReq::kAddTo)
        for (int64_t i = 0; i < sw.in[0]; ++i)
          for (int64_t j = 0; j < sw.in[1]; ++j)
            for (int64_t k = 0; k < sw.in[2]; ++k) gp[i * xs.sp[0] + j * xs.sp[1] + k * xs.sp[2]] = T(0);
      for (int64_t od = 0; od < sw.out[0]; ++od)
        for (int64_t oh = 0; oh < sw.out[1]; ++oh)
          for (int64_t ow = 0; ow < sw.out[2]; ++ow) {
            const Window w = sw.window(od, oh, ow, pl.countPad);
            const int64_t oi = od * ys.sp[0] + oh * ys.sp[1] + ow * ys.sp[2];
            const C g = gop[oi], out = yp[oi];
            if (pl.kind == Kind::kMax) {
              const int64_t xi = firstEqual(xp, w, out);
              if (xi >= 0) gp[xi] += g;
              continue;
            }
            const C scale = pl.kind == Kind::kAvg ? (w.size > 0 ? C(1) / C(w.size) : C(0)) : C(1);
            for (int64_t i = w.lo[0]; i < w.hi[0]; ++i)
              for (int64_t j = w.lo[1]; j < w.hi[1]; ++j)
                for (int64_t k = w.lo[2]; k < w.hi[2]; ++k) {
                  const int64_t xi = i * xs.sp[0] + j * xs.sp[1] + k * xs.sp[2];
                  C d = g;
                  if (pl.kind == Kind::kLp && pl.p > 1) {
                    // d out / d x = (x / out)^(p-1); 0 where out underflowed to 0 (MXNet's lp_grad).
                    const C ratio = out == C(0) ? C(0) : C(xp[xi]) / out;
                    d = pl.p == 2 ? g * ratio : g * ratio * ratio;
                  }
                  gp[xi] += d * scale;
                }
          }
    }
  });
}

void poolCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const Plan pl = makePlan(attrs.get<PoolingParam>(), in[0].shape, kOp);
  conv::runWidened(kOp, in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) forward<float>(pl, i[0].data<float>(), o[0].data<float>(), req[0]);
    else forward<double>(pl, i[0].data<double>(), o[0].data<double>(), req[0]);
  });
}

void poolBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const Plan pl = makePlan(attrs.get<PoolingParam>(), in[1].shape, "_backward_Pooling");
  conv::runWidened("_backward_Pooling", in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32)
      backward<float>(pl, i[0].data<float>(), i[1].data<float>(), i[2].data<float>(), o[0].data<float>(), req[0]);
    else
      backward<double>(pl, i[0].data<double>(), i[1].data<double>(), i[2].data<double>(), o[0].data<double>(),
                       req[0]);
  });
}

void poolBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  checkAgainstForward("_backward_Pooling", poolShape, attrs, {in[0]}, {in[1]});
  if (shapeIsKnown(in[0]) && shapeIsKnown(in[2])) {
    IST_CHECK(in[2] == in[0], "_backward_Pooling", "output",
              "forward output has shape " << shapeString(in[2]) << " but the output gradient " << shapeString(in[0]));
  }
  out[0] = in[1];
}

void poolBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"ograd", "data", "output"}, "_backward_Pooling");
}

std::vector<NodeEntry> poolGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  return {makeEntry("_backward_Pooling", {og[0], n->inputs[0], NodeEntry{n, 0}}, n->attrs.dict)};
}

IST_REGISTER_OP(Pooling)
    .describe("Performs pooling on the input: max, avg (mean), sum or lp ((sum x^p)^(1/p)) over windows of 1-D "
              "(N, C, W), 2-D (N, C, H, W) or 3-D (N, C, D, H, W) data (or channel-last with layout). With "
              "global_pool the window is the whole spatial extent. Output size per spatial axis: valid "
              "floor((in + 2 * pad - kernel) / stride) + 1, full ceil((in + 2 * pad - kernel) / stride) + 1, "
              "same ceil(in / stride).")
    .inputs({"data"})
    .params<PoolingParam>()
    .inferShape(poolShape)
    .inferType(poolType)
    .compute(Context::kCPU, poolCompute)
    .gradient(poolGradient);

IST_REGISTER_OP(_backward_Pooling)
    .describe("Gradient of Pooling from the output gradient, the data and the forward output.")
    .inputs({"ograd", "data", "output"})
    .params<PoolingParam>()
    .inferShape(poolBackwardShape)
    .inferType(poolBackwardType)
    .compute(Context::kCPU, poolBackwardCompute);

}  // namespace
}  // namespace ist
