// Shape-only ops over contiguous data: Reshape (reshape), Flatten (flatten), expand_dims, squeeze.
// The output holds the input's elements in the same order, so compute is one (parallel) copy, or
// nothing when the runtime gave the output the input's memory.
#include <optional>
#include <string>
#include "base/error.h"
#include "ndarray/ndarray.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"

namespace ist {
namespace {

void sameDataCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  copyContiguous(in[0].dtype, in[0].size(), out[0].dptr, in[0].dptr, req[0],
                 attrs.op ? attrs.op->name.c_str() : "reshape");
}

// ---- Reshape ----

struct ReshapeParam {
  Shape shape;
  bool reverse = false;
  Shape target_shape;
  bool keep_highest = false;
  static void declare(ParamDecl<ReshapeParam>& d) {
    d.field("shape", &ReshapeParam::shape)
        .setDefault(Shape{})
        .doc("The target shape. Codes: 0 copies the input dim, -1 infers one dim, -2 copies all "
             "remaining dims, -3 merges two input dims, -4 splits one input dim into the next two "
             "codes (one may be -1).");
    d.field("reverse", &ReshapeParam::reverse)
        .setDefault(false)
        .doc("If true then the special values are inferred from right to left.");
    d.field("target_shape", &ReshapeParam::target_shape)
        .setDefault(Shape{})
        .doc("(Deprecated! Use `shape` instead.) Target new shape; one dim may be 0, to be inferred.");
    d.field("keep_highest", &ReshapeParam::keep_highest)
        .setDefault(false)
        .doc("(Deprecated! Use `shape` instead.) Keep the first input dim; target_shape[0] is ignored.");
  }
};

Shape reshapeOutput(const Shape& in, const ReshapeParam& p) {
  const char* op = "Reshape";
  Shape o;
  if (!p.shape.empty() || p.target_shape.empty()) {
    o = inferReshape(in, p.shape, p.reverse, op);
  } else {
    // The legacy form: a literal shape where one 0 is inferred.
    o = p.target_shape;
    if (p.keep_highest) {
      IST_CHECK(!in.empty() && !o.empty(), op, "keep_highest",
                "needs non-empty shapes, got input " << shapeString(in) << " and target_shape "
                                                     << shapeString(o));
      o[0] = in[0];
    }
    int zeros = 0, at = -1;
    int64_t known = 1;
    for (size_t i = p.keep_highest ? 1 : 0; i < o.size(); ++i) {
      if (o[i] == 0) {
        ++zeros;
        at = static_cast<int>(i);
      }
    }
    for (size_t i = 0; i < o.size(); ++i)
      if (static_cast<int>(i) != at) known *= o[i];
    IST_CHECK(zeros <= 1, op, "target_shape", "only one dim may be 0 in " << shapeString(p.target_shape));
    if (zeros == 1) {
      IST_CHECK(known > 0 && shapeSize(in) % known == 0, op, "target_shape",
                "cannot infer the 0 in " << shapeString(p.target_shape) << " for input "
                                         << shapeString(in));
      o[at] = shapeSize(in) / known;
    }
  }
  IST_CHECK(shapeSize(o) == shapeSize(in), op, "shape",
            "cannot reshape " << shapeString(in) << " (" << shapeSize(in) << " elements) into "
                              << shapeString(o) << " (" << shapeSize(o) << " elements)");
  return o;
}

void reshapeShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  out[0] = reshapeOutput(in[0], attrs.get<ReshapeParam>());
}

IST_REGISTER_OP(Reshape)
    .alias("reshape")
    .describe("Reshapes the input array to `shape` (MXNet codes 0, -1, -2, -3, -4 accepted); the "
              "number of elements stays the same.")
    .inputs({"data"})
    .params<ReshapeParam>()
    .inferShape(reshapeShape)
    .inferType(inferSameType)
    .inplace(0, 0)
    .compute(Context::kCPU, sameDataCompute);

// ---- Flatten ----

void flattenShape(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const Shape& s = in[0];
  if (s.empty()) {
    out[0] = Shape{1, 1};
    return;
  }
  int64_t rest = 1;
  for (size_t i = 1; i < s.size(); ++i) rest *= s[i];
  out[0] = Shape{s[0], rest};
}

IST_REGISTER_OP(Flatten)
    .alias("flatten")
    .describe("Flattens the input to 2-D: (d1, d2, ..., dk) -> (d1, d2 * ... * dk).")
    .inputs({"data"})
    .inferShape(flattenShape)
    .inferType(inferSameType)
    .inplace(0, 0)
    .compute(Context::kCPU, sameDataCompute);

// ---- expand_dims ----

struct ExpandDimsParam {
  int axis = 0;
  static void declare(ParamDecl<ExpandDimsParam>& d) {
    d.field("axis", &ExpandDimsParam::axis)
        .doc("Position where the new axis is inserted; for an input of ndim dims the range is "
             "[-ndim-1, ndim].");
  }
};

void expandDimsShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const Shape& s = in[0];
  const int axis = normalizeAxis(attrs.get<ExpandDimsParam>().axis, static_cast<int>(s.size()) + 1,
                                 "expand_dims", "axis");
  Shape o = s;
  o.insert(o.begin() + axis, 1);
  out[0] = o;
}

IST_REGISTER_OP(expand_dims)
    .describe("Inserts a new axis of size 1 at `axis`.")
    .inputs({"data"})
    .params<ExpandDimsParam>()
    .inferShape(expandDimsShape)
    .inferType(inferSameType)
    .inplace(0, 0)
    .compute(Context::kCPU, sameDataCompute);

// ---- squeeze ----

struct SqueezeParam {
  std::optional<Shape> axis;
  static void declare(ParamDecl<SqueezeParam>& d) {
    d.field("axis", &SqueezeParam::axis)
        .setDefault(std::nullopt)
        .doc("Axes of size 1 to remove (all of them when None); selecting an axis whose size is "
             "not 1 is an error.");
  }
};

void squeezeShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const Shape& s = in[0];
  const auto& p = attrs.get<SqueezeParam>();
  const int nd = static_cast<int>(s.size());
  std::vector<bool> drop(nd, false);
  if (p.axis) {
    for (int64_t a : *p.axis) {
      const int ax = normalizeAxis(a, nd, "squeeze", "axis");
      IST_CHECK(s[ax] == 1, "squeeze", "axis",
                "cannot squeeze axis " << ax << " of size " << s[ax] << " (shape " << shapeString(s)
                                       << ")");
      IST_CHECK(!drop[ax], "squeeze", "axis",
                "axis " << ax << " is listed twice in " << shapeString(*p.axis));
      drop[ax] = true;
    }
  } else {
    for (int i = 0; i < nd; ++i) drop[i] = s[i] == 1;
  }
  Shape o;
  for (int i = 0; i < nd; ++i)
    if (!drop[i]) o.push_back(s[i]);
  // As MXNet 1.x: squeezing every dim leaves (1,), not a 0-d array.
  if (o.empty() && nd > 0) o.push_back(1);
  out[0] = o;
}

IST_REGISTER_OP(squeeze)
    .describe("Removes axes of size 1 (the ones in `axis`, or all).")
    .inputs({"data"})
    .params<SqueezeParam>()
    .inferShape(squeezeShape)
    .inferType(inferSameType)
    .inplace(0, 0)
    .compute(Context::kCPU, sameDataCompute);

}  // namespace
}  // namespace ist
