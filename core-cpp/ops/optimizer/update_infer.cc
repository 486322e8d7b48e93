// Shape and dtype rules of the fused optimizer updates (see update_infer.h).
#include "ops/optimizer/update_infer.h"
#include <algorithm>
#include <string>
#include "base/error.h"

namespace ist {
namespace optim {
namespace {

bool contains(const std::vector<int>& v, int i) { return std::find(v.begin(), v.end(), i) != v.end(); }

const char* opOf(const NodeAttrs& attrs) { return attrs.op ? attrs.op->name.c_str() : "optimizer update"; }

std::string inputName(const NodeAttrs& attrs, size_t i) {
  if (attrs.op && i < attrs.op->inputNames.size()) return attrs.op->inputNames[i];
  return "input " + std::to_string(i);
}

}  // namespace

FInferShape updateShape(UpdateIO io) {
  return [io](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
    const char* op = opOf(attrs);
    // The reference: the weight's shape, else the first known weight-shaped input, else the output.
    int refIdx = -1;
    for (size_t i = 0; i < in.size() && refIdx < 0; ++i)
      if (!contains(io.scalarIn, static_cast<int>(i)) && shapeIsKnown(in[i])) refIdx = static_cast<int>(i);
    Shape ref;
    std::string refName;
    if (refIdx >= 0) {
      ref = in[static_cast<size_t>(refIdx)];
      refName = inputName(attrs, static_cast<size_t>(refIdx));
    } else if (!out.empty() && shapeIsKnown(out[0])) {
      ref = out[0];
      refName = "output";
    }
    const bool known = !refName.empty();
    for (size_t i = 0; i < in.size(); ++i) {
      if (contains(io.scalarIn, static_cast<int>(i))) {
        if (!shapeIsKnown(in[i])) {
          in[i] = Shape{1};
        } else {
          IST_CHECK(shapeSize(in[i]) == 1, op, inputName(attrs, i),
                    "expected one element (shape (1,)), got shape " << shapeString(in[i]));
        }
        continue;
      }
      if (!known) continue;
      if (!shapeIsKnown(in[i])) {
        in[i] = ref;
        continue;
      }
      IST_CHECK(in[i] == ref, op, inputName(attrs, i),
                "shape " << shapeString(in[i]) << " does not match " << refName << "'s shape "
                         << shapeString(ref) << " (every state of an update has the weight's shape)");
    }
    if (known && !out.empty()) out[0] = ref;
  };
}

FInferType updateType(UpdateIO io) {
  return [io](const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
    const char* op = opOf(attrs);
    int t = -1;
    size_t tIdx = 0;
    for (size_t i = 0; i < in.size() && t < 0; ++i)
      if (!contains(io.float32In, static_cast<int>(i)) && in[i] >= 0) { t = in[i]; tIdx = i; }
    const int f32 = static_cast<int>(DType::kFloat32);
    for (size_t i = 0; i < in.size(); ++i) {
      if (!contains(io.float32In, static_cast<int>(i))) continue;
      if (in[i] < 0) { in[i] = f32; continue; }
      IST_CHECK(in[i] == f32, op, inputName(attrs, i),
                "dtype " << dtypeName(static_cast<DType>(in[i]))
                         << " is not float32 (multi-precision states, master weights and rescale_grad are float32)");
    }
    if (t < 0 && !out.empty() && out[0] >= 0 && !io.outFloat32) t = out[0];
    if (t < 0) {
      if (!out.empty() && io.outFloat32) out[0] = f32;
      return;
    }
    IST_CHECK(dtypeIsFloat(static_cast<DType>(t)), op, inputName(attrs, tIdx),
              "optimizer updates need floating-point arrays (float16, bfloat16, float32, float64), got "
                  << dtypeName(static_cast<DType>(t)));
    for (size_t i = 0; i < in.size(); ++i) {
      if (contains(io.float32In, static_cast<int>(i))) continue;
      if (in[i] < 0) { in[i] = t; continue; }
      IST_CHECK(in[i] == t, op, inputName(attrs, i),
                "dtype " << dtypeName(static_cast<DType>(in[i])) << " does not match "
                         << inputName(attrs, tIdx) << "'s dtype " << dtypeName(static_cast<DType>(t)));
    }
    if (!out.empty()) out[0] = io.outFloat32 ? f32 : t;
  };
}

}  // namespace optim
}  // namespace ist
