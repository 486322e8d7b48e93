// Pad's parameters, shared by its CPU compute (pad.cc) and its device-generic compute (pad_device.h).
#pragma once
#include <string>
#include "base/shape.h"
#include "op/params.h"
#include "op/registry.h"

namespace ist {
namespace pad_detail {

struct PadParam {
  std::string mode;
  Shape pad_width;
  double constant_value = 0.0;
  static void declare(ParamDecl<PadParam>& d) {
    d.field("mode", &PadParam::mode)
        .setDefault("constant")
        .values({"constant", "edge", "reflect"})
        .doc("Padding type to use. \"constant\" pads with `constant_value`, \"edge\" pads using the "
             "edge values of the input array, \"reflect\" pads by reflecting values with respect "
             "to the edges (NumPy's reflect: the edge itself is not repeated).");
    d.field("pad_width", &PadParam::pad_width)
        .doc("Widths of the padding regions applied to the edges of each axis, in the format "
             "(before_1, after_1, ..., before_N, after_N): length 2*N for an N-d array. This is "
             "numpy.pad's pad_width, flattened. Any rank and any axis may be padded.");
    d.field("constant_value", &PadParam::constant_value)
        .setDefault(0.0)
        .doc("The value used for padding when `mode` is \"constant\".");
  }
};

}  // namespace pad_detail
}  // namespace ist
