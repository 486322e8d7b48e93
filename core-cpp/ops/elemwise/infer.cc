// Shape and dtype inference of the elementwise ops; messages name the op, the argument and shapes.
#include "ops/elemwise/infer.h"
#include <algorithm>
#include <string>
#include "base/error.h"
#include "ops/elemwise/elemwise_params.h"

namespace ist {
namespace elem {

namespace {

std::string inputName(const NodeAttrs& attrs, size_t i) {
  if (attrs.op) {
    if (i < attrs.op->inputNames.size()) return attrs.op->inputNames[i];
    if (!attrs.op->variadicInput.empty()) return "arg" + std::to_string(i);
  }
  return "input " + std::to_string(i);
}

// The argument a mismatch names: a fixed name, or input i of the op. The name is made only for the
// error message: the merges below run on every op call.
class ArgRef {
 public:
  ArgRef(const char* name) : name_(name) {}  // NOLINT: implicit, so a literal names the argument
  static ArgRef input(size_t i) { return ArgRef(nullptr, i); }
  std::string str(const NodeAttrs& attrs) const { return name_ ? std::string(name_) : inputName(attrs, input_); }

 private:
  ArgRef(const char* name, size_t i) : name_(name), input_(i) {}
  const char* name_;
  size_t input_ = 0;
};

// Merges a partial shape into another; false when they conflict.
bool mergeShape(Shape& dst, const Shape& src) {
  if (!shapeRankKnown(src)) return true;
  if (!shapeRankKnown(dst)) {
    dst = src;
    return true;
  }
  if (dst.size() != src.size()) return false;
  for (size_t d = 0; d < dst.size(); ++d) {
    if (src[d] == kUnknownDim) continue;
    if (dst[d] == kUnknownDim) dst[d] = src[d];
    else if (dst[d] != src[d]) return false;
  }
  return true;
}

void mergeOrThrow(const NodeAttrs& attrs, Shape& merged, const Shape& s, ArgRef arg) {
  IST_CHECK(mergeShape(merged, s), opName(attrs), arg.str(attrs),
            "shapes " << shapeString(merged) << " and " << shapeString(s) << " differ");
}

void assignShape(const NodeAttrs& attrs, Shape& slot, const Shape& s, ArgRef arg) {
  Shape merged = slot;
  IST_CHECK(mergeShape(merged, s), opName(attrs), arg.str(attrs),
            "shape " << shapeString(slot) << " does not match the inferred shape "
                     << shapeString(s));
  slot = merged;
}

int mergeDType(const NodeAttrs& attrs, int merged, int t, ArgRef arg) {
  if (t == -1) return merged;
  if (merged == -1) return t;
  IST_CHECK(merged == t, opName(attrs), arg.str(attrs),
            "dtypes " << dtypeName(DType(merged)) << " and " << dtypeName(DType(t)) << " differ");
  return merged;
}

bool isIntegerDType(int t) {
  switch (DType(t)) {
    case DType::kUint8: case DType::kInt8: case DType::kInt16: case DType::kUint16:
    case DType::kInt32: case DType::kUint32: case DType::kInt64: case DType::kUint64:
      return true;
    default:
      return false;
  }
}

}  // namespace

const char* opName(const NodeAttrs& attrs) { return attrs.op ? attrs.op->name.c_str() : ""; }

void inferSameShapes(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  Shape merged = unknownShape();
  for (size_t i = 0; i < in.size(); ++i) mergeOrThrow(attrs, merged, in[i], ArgRef::input(i));
  for (auto& o : out) mergeOrThrow(attrs, merged, o, "output");
  for (auto& s : in) s = merged;
  for (auto& o : out) o = merged;
}

void inferBroadcastShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const Shape& a = in[0];
  const Shape& b = in[1];
  if (!shapeRankKnown(a) || !shapeRankKnown(b)) return;
  Shape r;
  if (shapeIsKnown(a) && shapeIsKnown(b)) {
    r = broadcastShapes(a, b, opName(attrs));
  } else {  // partial: an unknown dim against 1 stays unknown, against n > 1 becomes n
    const size_t n = std::max(a.size(), b.size());
    r.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
      const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
      if (da == kUnknownDim || db == kUnknownDim) {
        const int64_t known = da == kUnknownDim ? db : da;
        r[i] = known > 1 ? known : kUnknownDim;
        continue;
      }
      IST_CHECK(da == db || da == 1 || db == 1, opName(attrs), "rhs",
                "shapes " << shapeString(a) << " and " << shapeString(b)
                          << " cannot be broadcast together");
      r[i] = da == 1 ? db : da;
    }
  }
  assignShape(attrs, out[0], r, "output");
}

void inferWhereShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  Shape t = unknownShape();
  mergeOrThrow(attrs, t, in[1], "x");
  mergeOrThrow(attrs, t, in[2], "y");
  mergeOrThrow(attrs, t, out[0], "output");
  in[1] = in[2] = out[0] = t;
  Shape& c = in[0];
  if (!shapeRankKnown(c) || !shapeRankKnown(t)) return;
  if (c.size() == t.size()) {
    IST_CHECK(mergeShape(c, t), opName(attrs), "condition",
              "shape " << shapeString(c) << " must equal the shape of x " << shapeString(t)
                       << " or be 1-D with x's first dimension");
    return;
  }
  IST_CHECK(c.size() == 1 && !t.empty(), opName(attrs), "condition",
            "shape " << shapeString(c) << " must equal the shape of x " << shapeString(t)
                     << " or be 1-D with x's first dimension");
  if (c[0] == kUnknownDim || t[0] == kUnknownDim) return;
  IST_CHECK(c[0] == t[0], opName(attrs), "condition",
            "1-D condition of size " << c[0] << " does not match x's first dimension in "
                                     << shapeString(t));
}

void inferSameDTypes(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  int t = -1;
  for (size_t i = 0; i < in.size(); ++i) t = mergeDType(attrs, t, in[i], ArgRef::input(i));
  for (int o : out) t = mergeDType(attrs, t, o, "output");
  for (auto& x : in) x = t;
  for (auto& o : out) o = t;
}

void inferScalarDType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const ScalarParam& p = attrs.get<ScalarParam>();
  int t = in[0];
  if (t != -1 && isIntegerDType(t) && !p.is_int) {
    t = int(DType::kFloat64);
  } else if (t == int(DType::kBool)) {
    t = int(p.is_int ? DType::kInt64 : DType::kFloat64);
  } else {  // the output has the input's dtype, either way round
    t = mergeDType(attrs, t, out[0], "output");
    in[0] = t;
  }
  out[0] = mergeDType(attrs, out[0], t, "output");
}

void inferCastDType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  (void)in;
  const int t = int(dtypeFromName(attrs.get<CastParam>().dtype, opName(attrs), "dtype"));
  out[0] = mergeDType(attrs, out[0], t, "output");
}

void inferWhereDType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  int t = mergeDType(attrs, in[1], in[2], "y");
  t = mergeDType(attrs, t, out[0], "output");
  in[1] = in[2] = out[0] = t;
}

void inferCopytoDType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  (void)attrs;
  if (out[0] == -1) out[0] = in[0];
  else if (in[0] == -1) in[0] = out[0];
}

}  // namespace elem
}  // namespace ist
