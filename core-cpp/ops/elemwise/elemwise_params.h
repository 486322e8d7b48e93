// Parameter structs of the elementwise ops, with MXNet 1.9's names, defaults and docs.
#pragma once
#include <string>
#include "op/params.h"

namespace ist {

// _plus_scalar, _rdiv_scalar, ..., smooth_l1. With is_int = False an integer input is promoted
// to float64 (and bool to int64 / float64), as MXNet's NumpyBinaryScalarType does.
struct ScalarParam {
  double scalar = 1;
  bool is_int = true;
  static void declare(ParamDecl<ScalarParam>& d) {
    d.field("scalar", &ScalarParam::scalar).setDefault(1.0).doc("Scalar input value");
    d.field("is_int", &ScalarParam::is_int).setDefault(true)
        .doc("Indicate whether scalar input is int type");
  }
};

struct ClipParam {
  double a_min = 0, a_max = 0;
  static void declare(ParamDecl<ClipParam>& d) {
    d.field("a_min", &ClipParam::a_min).doc("Minimum value");
    d.field("a_max", &ClipParam::a_max).doc("Maximum value");
  }
};

struct CastParam {
  std::string dtype;
  static void declare(ParamDecl<CastParam>& d) {
    d.field("dtype", &CastParam::dtype)
        .values({"float32", "float64", "float16", "bfloat16", "uint8", "int8", "int16", "uint16",
                 "int32", "uint32", "int64", "uint64", "bool"})
        .doc("Output data type.");
  }
};

struct HardSigmoidParam {
  float alpha = 0.2f, beta = 0.5f;
  static void declare(ParamDecl<HardSigmoidParam>& d) {
    d.field("alpha", &HardSigmoidParam::alpha).setDefault(0.2f).doc("Slope of hard sigmoid");
    d.field("beta", &HardSigmoidParam::beta).setDefault(0.5f).doc("Bias of hard sigmoid.");
  }
};

struct AddNParam {
  int num_args = 1;
  static void declare(ParamDecl<AddNParam>& d) {
    d.field("num_args", &AddNParam::num_args).range(1, 1 << 30)
        .doc("Number of inputs to be summed.");
  }
};

}  // namespace ist
