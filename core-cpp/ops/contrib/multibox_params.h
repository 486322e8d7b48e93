// What the SSD multibox ops share: their float-tuple params (sizes, ratios, steps, offsets, variances)
// and their dtype rule.
#pragma once
#include "base/dtype.h"
#include "base/error.h"
#include "op/float_tuple.h"
#include "op/params.h"

namespace ist {
namespace mbox {

// The multibox ops compute in floating point only (MXNet's MSHADOW_REAL_TYPE_SWITCH).
inline void checkFloatType(int t, const char* op, const char* arg) {
  if (t < 0) return;
  const DType d = static_cast<DType>(t);
  IST_CHECK(d == DType::kFloat32 || d == DType::kFloat64 || d == DType::kFloat16 || d == DType::kBFloat16, op, arg,
            arg << " must have a floating-point dtype, got " << dtypeName(d));
}

}  // namespace mbox
}  // namespace ist
