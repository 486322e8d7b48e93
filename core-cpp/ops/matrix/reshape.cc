// Shape-only ops over contiguous data: Reshape (reshape), Flatten (flatten), expand_dims, squeeze,
// reshape_like; and shape_array / size_array. The output holds the input's elements in the same
// order, so compute is one (parallel) copy, or nothing when the runtime gave the output the
// input's memory; every gradient is the output gradient reshaped like the input (reshape_like).
#include <optional>
#include <string>
#include "base/error.h"
#include "graph/node.h"
#include "ndarray/ndarray.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/reshape_device.h"

namespace ist {
namespace {

// d data = reshape_like(og, data), for every op here whose input 0 is the data.
std::vector<NodeEntry> reshapeGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  std::vector<NodeEntry> g(n->inputs.size());
  g[0] = makeEntry("reshape_like", {og[0], n->inputs[0]});
  return g;
}

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
    .compute(Context::kCPU, sameDataCompute)
    .gradient(reshapeGradient);

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
    .compute(Context::kCPU, sameDataCompute)
    .gradient(reshapeGradient);

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
    .compute(Context::kCPU, sameDataCompute)
    .gradient(reshapeGradient);

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
    .compute(Context::kCPU, sameDataCompute)
    .gradient(reshapeGradient);

// ---- reshape_like ----

struct ReshapeLikeParam {
  std::optional<int> lhs_begin, lhs_end, rhs_begin, rhs_end;
  static void declare(ParamDecl<ReshapeLikeParam>& d) {
    d.field("lhs_begin", &ReshapeLikeParam::lhs_begin)
        .setDefault(std::nullopt)
        .doc("Defaults to 0. The beginning index along which the lhs dimensions are to be "
             "reshaped. Supports negative indices.");
    d.field("lhs_end", &ReshapeLikeParam::lhs_end)
        .setDefault(std::nullopt)
        .doc("Defaults to None. The ending index along which the lhs dimensions are to be used for "
             "reshaping. Supports negative indices.");
    d.field("rhs_begin", &ReshapeLikeParam::rhs_begin)
        .setDefault(std::nullopt)
        .doc("Defaults to 0. The beginning index along which the rhs dimensions are to be used for "
             "reshaping. Supports negative indices.");
    d.field("rhs_end", &ReshapeLikeParam::rhs_end)
        .setDefault(std::nullopt)
        .doc("Defaults to None. The ending index along which the rhs dimensions are to be used for "
             "reshaping. Supports negative indices.");
  }
};

// [begin, end) of one side, negative values counted from the end. MXNet needs begin < end; an
// empty range is allowed here so that 0-d arrays (no dims at all) can be reshaped like others.
void likeRange(const Shape& s, const std::optional<int>& begin, const std::optional<int>& end,
               const char* side, int* b, int* e) {
  const char* op = "reshape_like";
  const int nd = static_cast<int>(s.size());
  const std::string bName = std::string(side) + "_begin", eName = std::string(side) + "_end";
  *b = begin ? *begin : 0;
  if (*b < 0) *b += nd;
  *e = end ? *end : nd;
  if (*e < 0) *e += nd;
  IST_CHECK(*b >= 0 && *b <= nd, op, bName.c_str(),
            bName << "=" << (begin ? *begin : 0) << " is out of range for " << side << " shape "
                  << shapeString(s));
  IST_CHECK(*e >= *b && *e <= nd, op, eName.c_str(),
            eName << "=" << (end ? std::to_string(*end) : std::string("None"))
                  << " is out of range (or before " << bName << ") for " << side << " shape "
                  << shapeString(s));
}

void reshapeLikeShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
  const auto& p = attrs.get<ReshapeLikeParam>();
  int lb, le, rb, re;
  likeRange(in[0], p.lhs_begin, p.lhs_end, "lhs", &lb, &le);
  likeRange(in[1], p.rhs_begin, p.rhs_end, "rhs", &rb, &re);
  Shape o(in[0].begin(), in[0].begin() + lb);
  o.insert(o.end(), in[1].begin() + rb, in[1].begin() + re);
  o.insert(o.end(), in[0].begin() + le, in[0].end());
  IST_CHECK(shapeSize(o) == shapeSize(in[0]), "reshape_like", "rhs",
            "cannot reshape lhs " << shapeString(in[0]) << " (" << shapeSize(in[0])
                                  << " elements) like rhs " << shapeString(in[1]) << " into "
                                  << shapeString(o) << " (" << shapeSize(o) << " elements)");
  out[0] = o;
}

void lhsType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  if (in[0] >= 0) out[0] = in[0];
  else if (out[0] >= 0) in[0] = out[0];
}

IST_REGISTER_OP(reshape_like)
    .describe("Reshapes lhs to the shape of rhs, or replaces lhs's dims [lhs_begin, lhs_end) by "
              "rhs's dims [rhs_begin, rhs_end); the number of elements must stay the same.\n\n"
              "Example: x of shape (30, 7), y of shape (15, 2, 4): reshape_like(x, y, lhs_begin=0, "
              "lhs_end=1, rhs_begin=0, rhs_end=2) has shape (15, 2, 7).")
    .inputs({"lhs", "rhs"})
    .params<ReshapeLikeParam>()
    .inferShape(reshapeLikeShape)
    .inferType(lhsType)
    .inplace(0, 0)
    .compute(Context::kCPU, sameDataCompute)
    .gradient(reshapeGradient);

// ---- shape_array / size_array ----

void int64Type(const NodeAttrs&, std::vector<int>&, std::vector<int>& out) {
  out[0] = static_cast<int>(DType::kInt64);
}

void shapeArrayCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  mat::shapeArrayWith(attrs, in, req, out, [](int64_t* o, int64_t v, bool add) { *o = (add ? *o : 0) + v; });
}

IST_REGISTER_OP(shape_array)
    .describe("Returns a 1-D int64 array containing the shape of data.\n\n"
              "Example: shape_array([[1, 2, 3, 4], [5, 6, 7, 8]]) = [2, 4]")
    .inputs({"data"})
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeRankKnown(in[0])) return;
      out[0] = Shape{static_cast<int64_t>(in[0].size())};
    })
    .inferType(int64Type)
    .compute(Context::kCPU, shapeArrayCompute)
    .zeroGradient();

IST_REGISTER_OP(size_array)
    .describe("Returns a 1-D int64 array of one element: the number of elements of data.\n\n"
              "Example: size_array([[1, 2, 3, 4], [5, 6, 7, 8]]) = [8]")
    .inputs({"data"})
    .inferShape([](const NodeAttrs&, std::vector<Shape>&, std::vector<Shape>& out) {
      out[0] = Shape{1};
    })
    .inferType(int64Type)
    .compute(Context::kCPU, shapeArrayCompute)
    .zeroGradient();

}  // namespace
}  // namespace ist
