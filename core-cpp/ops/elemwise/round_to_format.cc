// round_to_format's registration and its format table (the functor is in round_to_format.h).
#include "ops/elemwise/round_to_format.h"

namespace ist {
namespace elem {

NarrowFormat narrowFormatOf(const RoundToFormatParam& p) {
  NarrowFormat f;
  // kFloat: mantissa bits, smallest normal exponent, largest finite value, what overflow gives,
  // whether -0 exists. float8e4m3fn spends its top code on NaN (448 = 1.75 * 2^8).
  auto fl = [&](int bits, int emin, double maxv, int overflow, bool negZero) {
    f.kind = NarrowFormat::kFloat;
    f.bits = bits;
    f.emin = emin;
    f.maxv = maxv;
    f.overflow = overflow;
    f.negZero = negZero;
  };
  const std::string& n = p.format;
  if (n == "float8e4m3fn") fl(3, -6, 448, NarrowFormat::kToNaN, true);
  else if (n == "float8e4m3fnuz") fl(3, -7, 240, NarrowFormat::kToNaN, false);
  else if (n == "float8e5m2") fl(2, -14, 57344, NarrowFormat::kToInf, true);
  else if (n == "float8e5m2fnuz") fl(2, -15, 57344, NarrowFormat::kToNaN, false);
  else if (n == "float4e2m1") fl(1, 0, 6, NarrowFormat::kToMax, true);
  else if (n == "float8e8m0") f.kind = NarrowFormat::kPowerOfTwo;
  else if (n == "int4" || n == "int2") f.kind = NarrowFormat::kSigned;
  else if (n == "uint4" || n == "uint2") f.kind = NarrowFormat::kUnsigned;
  else throwError("round_to_format", "format", "unknown format '" + n + "'");
  if (f.kind == NarrowFormat::kSigned || f.kind == NarrowFormat::kUnsigned) f.bits = n.back() == '4' ? 4 : 2;
  // Saturation is a float8 option (onnx's Cast); float4e2m1 always saturates, integers always wrap.
  f.saturate = p.saturate && n.rfind("float8", 0) == 0;
  f.roundMode = p.round_mode == "nearest" ? 1 : (p.round_mode == "down" ? 2 : 0);
  return f;
}

IST_REGISTER_ELEMWISE_OP(round_to_format, ())
    .describe("Rounds each value to the nearest one a narrow format holds (float8e4m3fn, float8e4m3fnuz, "
              "float8e5m2, float8e5m2fnuz, float8e8m0, float4e2m1, int4, uint4, int2, uint2), as ONNX's "
              "Cast to that type does, and returns it in the input's float dtype.")
    .inputs({"data"})
    .params<RoundToFormatParam>()
    .inferShape(inferSameShapes)
    .inferType(restrictedTypes(inferSameDTypes, kFloatTypes, "data"))
    .inplace(0, 0)
    .compute(Context::kCPU, roundToFormatCompute<cpu>);

}  // namespace elem
}  // namespace ist
