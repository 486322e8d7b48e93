// Helpers shared by the NN layer ops (activations, softmax family, normalizations, losses).
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>
#include "base/dtype.h"
#include "base/error.h"
#include "base/shape.h"
#include "op/params.h"
#include "op/registry.h"

namespace ist {
namespace nn {

// Optional trailing inputs (LeakyReLU's gamma, softmax's length). The registry's input list is
// fixed, so these ops declare the inputs always present and take the rest as a variadic tail
// counted by this hidden attribute ("__" keys pass the param parser untouched; invokeOp and
// makeNode fill it in from the number of arrays given).
constexpr const char* kOptionalCount = "__num_optional_inputs__";

// The op's name for messages (inference functions also run for backward ops).
inline const char* opName(const NodeAttrs& attrs, const char* fallback) {
  return attrs.op ? attrs.op->name.c_str() : fallback;
}

inline int optionalInputs(const NodeAttrs& attrs) {
  auto it = attrs.dict.find(kOptionalCount);
  if (it == attrs.dict.end()) return 0;
  // Set by invokeOp/makeNode from the array count; a hand-written value is checked like any int.
  const int64_t n = paramparse::parseInt(it->second, opName(attrs, "op"), "inputs");
  IST_CHECK(n >= 0 && n <= 16, opName(attrs, "op"), "inputs", "unexpected optional input count " << n);
  return static_cast<int>(n);
}

// Normalises `axis` against `s`, or throws naming op, argument and shape.
inline int checkAxis(int64_t axis, const Shape& s, const char* op, const char* arg = "axis") {
  const int nd = static_cast<int>(s.size());
  const int64_t a = axis < 0 ? axis + nd : axis;
  IST_CHECK(a >= 0 && a < nd, op, arg,
            "axis " << axis << " is out of range for data of shape " << shapeString(s) << " (rank " << nd << ")");
  return static_cast<int>(a);
}

// A shape seen as (outer, n, inner) around `axis`.
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};
inline AxisSplit splitAt(const Shape& s, int axis) {
  AxisSplit r;
  for (int i = 0; i < axis; ++i) r.outer *= s[i];
  r.n = s[axis];
  for (size_t i = axis + 1; i < s.size(); ++i) r.inner *= s[i];
  return r;
}

inline bool isFloatFlag(int t) {
  return t == static_cast<int>(DType::kFloat32) || t == static_cast<int>(DType::kFloat64) ||
         t == static_cast<int>(DType::kFloat16) || t == static_cast<int>(DType::kBFloat16);
}

// Throws unless `t` (known) is a floating dtype.
inline void requireFloat(int t, const char* op, const char* arg) {
  if (t < 0) return;
  IST_CHECK(isFloatFlag(t), op, arg,
            "expects a floating-point array (float16, bfloat16, float32, float64), got "
                << dtypeName(static_cast<DType>(t)));
}

// Same-dtype rule for the float inputs of an op: fills unknowns, checks the rest; returns the dtype.
inline int unifyFloat(std::vector<int>& in, const std::vector<std::string>& names, const char* op) {
  int t = -1;
  for (int v : in) if (v >= 0) { t = v; break; }
  if (t < 0) return -1;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] < 0) in[i] = t;
    const char* arg = i < names.size() ? names[i].c_str() : "data";
    requireFloat(in[i], op, arg);
    IST_CHECK(in[i] == t, op, arg,
              "has dtype " << dtypeName(static_cast<DType>(in[i])) << " but " << names[0] << " has "
                           << dtypeName(static_cast<DType>(t)));
  }
  return t;
}

// Checks that a parameter-like input has shape (c,) (fills it when unknown).
inline void expectVector(Shape& s, int64_t c, const char* op, const char* arg, const Shape& data) {
  if (!shapeRankKnown(s)) {
    s = Shape{c};
    return;
  }
  IST_CHECK(s.size() == 1 && (s[0] == c || s[0] == kUnknownDim), op, arg,
            "expected shape (" << c << ",) for data of shape " << shapeString(data) << ", got " << shapeString(s));
  s[0] = c;
}

// Checks a (known) shape against the expected one; backward ops are public too and validate like
// forward ones.
inline void expectShape(const Shape& got, const Shape& want, const char* op, const char* arg) {
  if (!shapeIsKnown(got)) return;
  IST_CHECK(got == want, op, arg, "expected shape " << shapeString(want) << ", got " << shapeString(got));
}

// Checks that the count of optional inputs matches what the params call for.
inline void expectOptional(const NodeAttrs& attrs, int fixed, int want, const std::string& names, const char* op) {
  const int got = optionalInputs(attrs);
  IST_CHECK(got == want, op, "inputs", "expected inputs (" << names << "), got " << fixed + got << " input(s)");
}

// Throws unless a (known) dtype is numeric (labels, indices).
inline void requireNumeric(int t, const char* op, const char* arg) {
  if (t < 0) return;
  IST_CHECK(t != static_cast<int>(DType::kBool), op, arg, "expects a numeric array, got bool");
}

// Reads element i of any numeric blob as double (labels, lengths, indices).
inline double readAsDouble(const TBlob& b, int64_t i, const char* op) {
  double v = 0;
  IST_TYPE_SWITCH_NUMERIC(b.dtype, T, op, {
    v = static_cast<double>(static_cast<typename ComputeType<T>::type>(b.data<T>()[i]));
  });
  return v;
}

// Converts a computed value back to storage type T (through float for float16/bfloat16).
template <typename T> inline T store(double v) {
  return static_cast<T>(static_cast<typename ComputeType<T>::type>(v));
}
template <typename T> inline double load(const T& v) {
  return static_cast<double>(static_cast<typename ComputeType<T>::type>(v));
}

// Writes (or accumulates, for kAddTo) v into p.
template <typename T> inline void put(T* p, double v, OpReq req) {
  *p = req == OpReq::kAddTo ? store<T>(load(*p) + v) : store<T>(v);
}

// A small float blob (per-channel parameters, statistics) as doubles, and back.
inline std::vector<double> toDoubles(const TBlob& b, const char* op) {
  std::vector<double> v(static_cast<size_t>(b.size()));
  IST_TYPE_SWITCH_FLOAT(b.dtype, T, op, {
    const T* p = b.data<T>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = load(p[i]);
  });
  return v;
}
inline void fromDoubles(const TBlob& b, const std::vector<double>& v, OpReq req, const char* op) {
  if (req == OpReq::kNull) return;
  IST_TYPE_SWITCH_FLOAT(b.dtype, T, op, {
    T* p = b.data<T>();
    for (size_t i = 0; i < v.size(); ++i) put(p + i, v[i], req);
  });
}

// Attributes for a backward node built from forward node attributes: the forward's optional-input
// count does not apply to the backward op's inputs.
inline AttrDict backwardAttrs(const NodeAttrs& fwd) {
  AttrDict a = fwd.dict;
  a.erase(kOptionalCount);
  return a;
}

}  // namespace nn
}  // namespace ist
