// round_to_format: values rounded to what a narrow format holds (float8, float4, int4, int2), kept in
// the input's float dtype. ONNX's Cast/QuantizeLinear to those types run through it (ts/onnx).
//
// The rounding is ml_dtypes' (which onnx's reference uses): floats round to nearest, ties to even,
// with subnormals; a value past the largest finite one becomes NaN (the "fn"/"fnuz" float8 types),
// infinity (float8e5m2) or the largest value (float4e2m1, and every float8 type with saturate, which
// clips first). Integers truncate toward zero and wrap (what NumPy's astype does). float8e8m0 (a
// power of two) takes its exponent from the float32 bits, rounding up, to nearest or down.
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <string>
#include <vector>
#include "base/macros.h"
#include "ops/elemwise/compute.h"

namespace ist {
namespace elem {

// One narrow format, as plain numbers so kernels take it by value.
struct NarrowFormat {
  enum Kind { kFloat, kPowerOfTwo, kSigned, kUnsigned };
  enum Overflow { kToNaN, kToInf, kToMax };
  int kind = kFloat;
  int bits = 0;        // mantissa bits (kFloat) or value bits (integers)
  int emin = 0;        // exponent of the smallest normal (kFloat)
  double maxv = 0;     // largest finite value (kFloat)
  int overflow = kToNaN;
  bool negZero = true;  // false for the "uz" types: -0 becomes +0
  bool saturate = false;
  int roundMode = 0;  // kPowerOfTwo: 0 up, 1 nearest, 2 down
};

struct RoundToFormatParam {
  std::string format;
  bool saturate = true;
  std::string round_mode;
  static void declare(ParamDecl<RoundToFormatParam>& d) {
    d.field("format", &RoundToFormatParam::format)
        .values({"float8e4m3fn", "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz", "float8e8m0", "float4e2m1",
                 "int4", "uint4", "int2", "uint2"})
        .doc("The narrow format (ONNX's element type names).");
    d.field("saturate", &RoundToFormatParam::saturate)
        .setDefault(true)
        .doc("float8: clip to the largest finite value first (else overflow gives NaN or infinity).");
    d.field("round_mode", &RoundToFormatParam::round_mode)
        .setDefault("up")
        .values({"up", "nearest", "down"})
        .doc("float8e8m0: how a value between two powers of two rounds.");
  }
};

NarrowFormat narrowFormatOf(const RoundToFormatParam& p);

struct round_to_format {
  ISTX static double Map(double x, const NarrowFormat& f) {
    if (f.kind == NarrowFormat::kSigned || f.kind == NarrowFormat::kUnsigned) {
      if (!(x == x) || !(fabs(x) < 9.2e18)) return 0;
      const uint64_t m = static_cast<uint64_t>(static_cast<int64_t>(::trunc(x))) & ((uint64_t(1) << f.bits) - 1);
      const int64_t half = int64_t(1) << (f.bits - 1);
      const int64_t v = static_cast<int64_t>(m);
      return static_cast<double>(f.kind == NarrowFormat::kSigned && v >= half ? v - 2 * half : v);
    }
    if (f.kind == NarrowFormat::kPowerOfTwo) return powerOfTwo(static_cast<float>(x), f);
    // float4e2m1 has no NaN: ml_dtypes gives a zero of the opposite sign.
    if (!(x == x)) return f.overflow == NarrowFormat::kToMax ? (signbit(x) ? 0.0 : -0.0) : x;
    const bool neg = signbit(x);
    double a = fabs(x);
    if (f.saturate && a > f.maxv) a = f.maxv;
    double r = a;
    if (a != 0 && isfinite(a)) {
      int e = 0;
      frexp(a, &e);  // a = m 2^e with m in [0.5, 1): its exponent as a normal number is e - 1
      const int exp = e - 1 < f.emin ? f.emin : e - 1;
      const double quantum = ldexp(1.0, exp - f.bits);
      r = ::rint(a / quantum) * quantum;  // a / quantum is exact; rint rounds ties to even
    }
    if (r > f.maxv) {
      r = f.overflow == NarrowFormat::kToMax ? f.maxv : (f.overflow == NarrowFormat::kToInf ? INFINITY : NAN);
    }
    if (r == 0) return neg && f.negZero ? -0.0 : 0.0;
    return neg ? -r : r;
  }

  // float8e8m0 as onnx.numpy_helper.to_float8e8m0: 2^(biased exponent - 127); 0xFF is NaN.
  ISTX static double powerOfTwo(float x, const NarrowFormat& f) {
    uint32_t bits = 0;
    memcpy(&bits, &x, sizeof bits);
    uint32_t exponent = (bits >> 23) & 0xFF;
    if (exponent == 0xFF) return NAN;
    bool up = false;
    if (f.roundMode == 0) {
      up = (bits & 0x7FFFFF) != 0;
    } else if (f.roundMode == 1) {
      const bool g = bits & 0x400000, r = bits & 0x200000, s = bits & 0x1FFFFF;
      up = g && (r || s || exponent > 0);
    }
    if (up && !(f.saturate && exponent == 0xFE)) ++exponent;
    return exponent == 0xFF ? NAN : ldexp(1.0, static_cast<int>(exponent) - 127);
  }
};

struct RoundToFormatMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const T* in, NarrowFormat f) {
    out[i] = convert<T>(round_to_format::Map(convert<double>(in[i]), f));
  }
};

template <typename Dev>
void roundToFormatCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = opName(attrs);
  const NarrowFormat f = narrowFormatOf(attrs.get<RoundToFormatParam>());
  writeOrAccumulate<Dev>(ctx, req[0], out[0], op, [&](const TBlob& dst) {
    IST_TYPE_SWITCH_FLOAT(dst.dtype, T, op, {
      DeviceKernel<RoundToFormatMap, Dev>::launch(ctx.run.stream, dst.size(), 1, dst.data<T>(), in[0].data<T>(), f);
    });
  });
}

}  // namespace elem
}  // namespace ist
