// Element types, numbered with MXNet's (mshadow) type flags so binary formats agree.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include "base/half.h"

namespace ist {

enum class DType : int {
  kFloat32 = 0, kFloat64 = 1, kFloat16 = 2, kUint8 = 3, kInt32 = 4, kInt8 = 5, kInt64 = 6,
  kBool = 7, kInt16 = 8, kUint16 = 9, kUint32 = 10, kUint64 = 11, kBFloat16 = 12,
};

size_t dtypeSize(DType t);
const char* dtypeName(DType t);
bool dtypeIsValid(int flag);
bool dtypeIsFloat(DType t);
// Accepts MXNet/NumPy spellings ("float32", "int64", "bool", "float16", ...); throws IsotensorError.
DType dtypeFromName(const std::string& name, const char* op = "", const char* arg = "dtype");

template <typename T> struct DTypeOf;
#define IST_DTYPE_OF(T, F) template <> struct DTypeOf<T> { static constexpr DType value = DType::F; };
IST_DTYPE_OF(float, kFloat32)
IST_DTYPE_OF(double, kFloat64)
IST_DTYPE_OF(half_t, kFloat16)
IST_DTYPE_OF(uint8_t, kUint8)
IST_DTYPE_OF(int32_t, kInt32)
IST_DTYPE_OF(int8_t, kInt8)
IST_DTYPE_OF(int64_t, kInt64)
IST_DTYPE_OF(bool, kBool)
IST_DTYPE_OF(int16_t, kInt16)
IST_DTYPE_OF(uint16_t, kUint16)
IST_DTYPE_OF(uint32_t, kUint32)
IST_DTYPE_OF(uint64_t, kUint64)
IST_DTYPE_OF(bf16_t, kBFloat16)
#undef IST_DTYPE_OF

// The type arithmetic runs in: float32 for the 16-bit floats, the type itself otherwise.
template <typename T> struct ComputeType { using type = T; };
template <> struct ComputeType<half_t> { using type = float; };
template <> struct ComputeType<bf16_t> { using type = float; };

[[noreturn]] void throwUnsupportedDType(DType t, const char* op);

// Runs BODY with `DT` bound to the C++ type of `dtype`. The switch is the one
// place dtypes fan out into template instances, so keep BODY small.
#define IST_TYPE_SWITCH_CASE(F, T, DT, ...) \
  case ::ist::DType::F: { using DT = T; __VA_ARGS__; } break;
#define IST_TYPE_SWITCH_ALL(dtype, DT, op, ...)                          \
  switch (dtype) {                                                       \
    IST_TYPE_SWITCH_CASE(kFloat32, float, DT, __VA_ARGS__)               \
    IST_TYPE_SWITCH_CASE(kFloat64, double, DT, __VA_ARGS__)              \
    IST_TYPE_SWITCH_CASE(kFloat16, ::ist::half_t, DT, __VA_ARGS__)       \
    IST_TYPE_SWITCH_CASE(kBFloat16, ::ist::bf16_t, DT, __VA_ARGS__)      \
    IST_TYPE_SWITCH_CASE(kUint8, uint8_t, DT, __VA_ARGS__)               \
    IST_TYPE_SWITCH_CASE(kInt8, int8_t, DT, __VA_ARGS__)                 \
    IST_TYPE_SWITCH_CASE(kInt16, int16_t, DT, __VA_ARGS__)               \
    IST_TYPE_SWITCH_CASE(kUint16, uint16_t, DT, __VA_ARGS__)             \
    IST_TYPE_SWITCH_CASE(kInt32, int32_t, DT, __VA_ARGS__)               \
    IST_TYPE_SWITCH_CASE(kUint32, uint32_t, DT, __VA_ARGS__)             \
    IST_TYPE_SWITCH_CASE(kInt64, int64_t, DT, __VA_ARGS__)               \
    IST_TYPE_SWITCH_CASE(kUint64, uint64_t, DT, __VA_ARGS__)             \
    IST_TYPE_SWITCH_CASE(kBool, bool, DT, __VA_ARGS__)                   \
    default: ::ist::throwUnsupportedDType(dtype, op);                    \
  }
// Numeric types only (no bool): arithmetic ops.
#define IST_TYPE_SWITCH_NUMERIC(dtype, DT, op, ...)                      \
  switch (dtype) {                                                       \
    IST_TYPE_SWITCH_CASE(kFloat32, float, DT, __VA_ARGS__)               \
    IST_TYPE_SWITCH_CASE(kFloat64, double, DT, __VA_ARGS__)              \
    IST_TYPE_SWITCH_CASE(kFloat16, ::ist::half_t, DT, __VA_ARGS__)       \
    IST_TYPE_SWITCH_CASE(kBFloat16, ::ist::bf16_t, DT, __VA_ARGS__)      \
    IST_TYPE_SWITCH_CASE(kUint8, uint8_t, DT, __VA_ARGS__)               \
    IST_TYPE_SWITCH_CASE(kInt8, int8_t, DT, __VA_ARGS__)                 \
    IST_TYPE_SWITCH_CASE(kInt16, int16_t, DT, __VA_ARGS__)               \
    IST_TYPE_SWITCH_CASE(kUint16, uint16_t, DT, __VA_ARGS__)             \
    IST_TYPE_SWITCH_CASE(kInt32, int32_t, DT, __VA_ARGS__)               \
    IST_TYPE_SWITCH_CASE(kUint32, uint32_t, DT, __VA_ARGS__)             \
    IST_TYPE_SWITCH_CASE(kInt64, int64_t, DT, __VA_ARGS__)               \
    IST_TYPE_SWITCH_CASE(kUint64, uint64_t, DT, __VA_ARGS__)             \
    default: ::ist::throwUnsupportedDType(dtype, op);                    \
  }
// Floating types only: transcendental math.
#define IST_TYPE_SWITCH_FLOAT(dtype, DT, op, ...)                        \
  switch (dtype) {                                                       \
    IST_TYPE_SWITCH_CASE(kFloat32, float, DT, __VA_ARGS__)               \
    IST_TYPE_SWITCH_CASE(kFloat64, double, DT, __VA_ARGS__)              \
    IST_TYPE_SWITCH_CASE(kFloat16, ::ist::half_t, DT, __VA_ARGS__)       \
    IST_TYPE_SWITCH_CASE(kBFloat16, ::ist::bf16_t, DT, __VA_ARGS__)      \
    default: ::ist::throwUnsupportedDType(dtype, op);                    \
  }

}  // namespace ist
