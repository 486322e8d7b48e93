// LRN's parameters and the (N, C, S) column view of its data, shared by the CPU compute (lrn.cc)
// and the device-generic compute (lrn_device.h).
#pragma once
#include <cstdint>
#include "base/shape.h"
#include "op/params.h"

namespace ist {
namespace lrnop {

struct LRNParam {
  float alpha, beta, knorm;
  int nsize;
  static void declare(ParamDecl<LRNParam>& d) {
    d.field("alpha", &LRNParam::alpha).setDefault(1e-4f)
        .doc("The variance scaling parameter alpha in the LRN expression.");
    d.field("beta", &LRNParam::beta).setDefault(0.75f).doc("The power parameter beta in the LRN expression.");
    d.field("knorm", &LRNParam::knorm).setDefault(2.0f).doc("The parameter k in the LRN expression.");
    d.field("nsize", &LRNParam::nsize).doc("normalization window width in elements.");
  }
};

// Data as (N, C, S): for each (n, s) the channel column is processed with a sliding window sum.
struct Cols {
  int64_t n, c, s;
};
inline Cols colsOf(const Shape& d) {
  const int64_t ns = d[0] * d[1];
  return Cols{d[0], d[1], ns == 0 ? 0 : shapeSize(d) / ns};
}

}  // namespace lrnop
}  // namespace ist
