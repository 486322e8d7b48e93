// Resolves axis, k and the index dtype of one sort/argsort/topk call against its input shape, and
// the geometry of one _take_along_axis call.
#include <cstdint>
#include "base/error.h"
#include "ops/ordering/ordering_params.h"

namespace ist {
namespace ordering {

RetTyp retTypOf(const TopKParam& p) {
  if (p.ret_typ == "value") return RetTyp::kValue;
  if (p.ret_typ == "mask") return RetTyp::kMask;
  if (p.ret_typ == "both") return RetTyp::kBoth;
  return RetTyp::kIndices;
}

OrderPlan makePlan(const Shape& in, const std::optional<int>& axis, int64_t k, const char* op) {
  OrderPlan p;
  const int ndim = static_cast<int>(in.size());
  if (!axis || ndim == 0) {
    // A 0-d input is a one-element row, reachable as axis None, 0 or -1 (as MXNet's argsort).
    IST_CHECK(!axis || *axis == 0 || *axis == -1, op, "axis",
              "axis " << *axis << " is out of range for the 0-d input of shape " << shapeString(in));
    p.flat = true;
    p.n = shapeSize(in);
  } else {
    int64_t a = *axis < 0 ? int64_t{*axis} + ndim : int64_t{*axis};
    IST_CHECK(a >= 0 && a < ndim, op, "axis",
              "axis " << *axis << " is out of range for input shape " << shapeString(in) << " (rank " << ndim
                      << ")");
    p.axis = static_cast<int>(a);
    for (int i = 0; i < p.axis; ++i) p.outer *= in[i];
    p.n = in[p.axis];
    for (int i = p.axis + 1; i < ndim; ++i) p.inner *= in[i];
  }
  p.k = k < 1 ? p.n : k;
  if (p.k > p.n) {
    if (p.flat)
      throwError(op, "k", "k = " + std::to_string(k) + " exceeds the " + std::to_string(p.n) +
                              " elements of the flattened input of shape " + shapeString(in));
    throwError(op, "k", "k = " + std::to_string(k) + " exceeds the " + std::to_string(p.n) +
                            " elements along axis " + std::to_string(p.axis) + " of input shape " +
                            shapeString(in));
  }
  return p;
}

Shape orderedShape(const Shape& in, const OrderPlan& plan) {
  if (plan.flat) return Shape{plan.k};
  Shape s = in;
  s[plan.axis] = plan.k;
  return s;
}

DType indexDType(const std::string& name, const OrderPlan& plan, const Shape& in, const char* op) {
  DType t = dtypeFromName(name, op, "dtype");
  // Largest integer the dtype holds exactly, with every smaller one.
  int64_t exact = INT64_MAX;
  switch (t) {
    case DType::kUint8: exact = 255; break;
    case DType::kInt32: exact = INT32_MAX; break;
    case DType::kFloat16: exact = 2048; break;
    case DType::kFloat32: exact = int64_t{1} << 24; break;
    case DType::kFloat64: exact = int64_t{1} << 53; break;
    default: break;
  }
  IST_CHECK(plan.n - 1 <= exact, op, "dtype",
            name << " cannot represent the indices of " << plan.n << " elements exactly (input shape "
                 << shapeString(in) << ")");
  return t;
}

AlongGeometry alongGeometry(const Shape& data, const Shape& idx, const AlongAxisParam& p, const char* op) {
  AlongGeometry g;
  if (!p.axis || data.empty()) {
    g.flat = true;
    g.n = shapeSize(data);
    g.m = shapeSize(idx);
    return g;
  }
  const int nd = static_cast<int>(data.size());
  g.axis = normalizeAxis(*p.axis, nd, op, "axis");
  bool ok = idx.size() == data.size();
  for (int i = 0; ok && i < nd; ++i) ok = i == g.axis || idx[i] == data[i];
  IST_CHECK(ok, op, "indices",
            "indices of shape " << shapeString(idx) << " must match data of shape "
                                << shapeString(data) << " outside axis " << g.axis);
  for (int i = 0; i < g.axis; ++i) g.outer *= data[i];
  for (int i = g.axis + 1; i < nd; ++i) g.inner *= data[i];
  g.n = data[g.axis];
  g.m = idx[g.axis];
  return g;
}

void checkSortableDType(int dtype, const char* op) {
  IST_CHECK(dtype != static_cast<int>(DType::kBool), op, "data",
            "dtype bool cannot be ordered (cast it to a numeric dtype first)");
}

}  // namespace ordering
}  // namespace ist
