// Parameters of MXNet's ordering ops (sort, argsort, topk) and the plan one call follows; the
// parameter and geometry of _take_along_axis, which their gradients use.
//
// MXNet 1.x semantics: `axis` is an int or None (None sorts the flattened array and gives a 1-d
// result); argsort and topk write indices in the `dtype` param's type (float32 by default);
// topk's k < 1 selects the whole axis. Orders are total: NaN counts as the largest value (NumPy's
// rule, also argmax's here) and equal keys keep their input order, so results never depend on
// the sorting algorithm or the thread count.
#pragma once
#include <optional>
#include <string>
#include "base/dtype.h"
#include "base/shape.h"
#include "op/params.h"

namespace ist {
namespace ordering {

// Index dtypes MXNet's ordering ops accept for their `dtype` param.
inline std::vector<std::string> indexDTypeNames() {
  return {"uint8", "int32", "int64", "float16", "float32", "float64"};
}

struct SortParam {
  std::optional<int> axis;
  bool is_ascend = true;
  static void declare(ParamDecl<SortParam>& d) {
    d.field("axis", &SortParam::axis)
        .setDefault(std::optional<int>(-1))
        .doc("Axis along which to sort the input tensor. If not given, the flattened array is used. "
             "Default is -1.");
    d.field("is_ascend", &SortParam::is_ascend)
        .setDefault(true)
        .doc("Whether to sort in ascending or descending order.");
  }
};

struct ArgSortParam {
  std::optional<int> axis;
  bool is_ascend = true;
  std::string dtype;
  static void declare(ParamDecl<ArgSortParam>& d) {
    d.field("axis", &ArgSortParam::axis)
        .setDefault(std::optional<int>(-1))
        .doc("Axis along which to sort the input tensor. If not given, the flattened array is used. "
             "Default is -1.");
    d.field("is_ascend", &ArgSortParam::is_ascend)
        .setDefault(true)
        .doc("Whether to sort in ascending or descending order.");
    d.field("dtype", &ArgSortParam::dtype)
        .setDefault("float32")
        .values(indexDTypeNames())
        .doc("DType of the output indices. An error is raised if the selected data type cannot "
             "precisely represent the indices.");
  }
};

struct TopKParam {
  std::optional<int> axis;
  int k = 1;
  std::string ret_typ;
  bool is_ascend = false;
  std::string dtype;
  static void declare(ParamDecl<TopKParam>& d) {
    d.field("axis", &TopKParam::axis)
        .setDefault(std::optional<int>(-1))
        .doc("Axis along which to choose the top k indices. If not given, the flattened array is "
             "used. Default is -1.");
    d.field("k", &TopKParam::k)
        .setDefault(1)
        .doc("Number of top elements to select, should be always smaller than or equal to the "
             "element number in the given axis. A global sort is performed if set k < 1.");
    d.field("ret_typ", &TopKParam::ret_typ)
        .setDefault("indices")
        .values({"value", "indices", "mask", "both"})
        .doc("The return type. \"value\" means to return the top k values, \"indices\" means to "
             "return the indices of the top k values, \"mask\" means to return a mask array "
             "containing 0 and 1 (1 marks the top k values), \"both\" means to return a list of "
             "both values and indices of top k elements.");
    d.field("is_ascend", &TopKParam::is_ascend)
        .setDefault(false)
        .doc("Whether to choose k largest or k smallest elements. Top K largest elements will be "
             "chosen if set to false.");
    d.field("dtype", &TopKParam::dtype)
        .setDefault("float32")
        .values(indexDTypeNames())
        .doc("DType of the output indices when ret_typ is \"indices\" or \"both\". An error is "
             "raised if the selected data type cannot precisely represent the indices.");
  }
};

enum class RetTyp { kValue, kIndices, kMask, kBoth };
RetTyp retTypOf(const TopKParam& p);

// One call's walk over its input, viewed as [outer, n, inner]: each of the outer*inner rows has
// n elements `inner` apart, and its first k in sorted order are kept.
struct OrderPlan {
  bool flat = false;  // axis None (or a 0-d input): the flattened array is the one row
  int axis = 0;       // normalised axis; 0 when flat
  int64_t outer = 1, n = 1, inner = 1;
  int64_t k = 0;
};

// _take_along_axis and its adjoint, which the gradients of sort and topk are built from.
struct AlongAxisParam {
  std::optional<int> axis;
  static void declare(ParamDecl<AlongAxisParam>& d) {
    d.field("axis", &AlongAxisParam::axis)
        .setDefault(std::optional<int>(-1))
        .doc("The axis to take values along; None takes from the flattened data.");
  }
};

// data as (outer, n, inner) and indices as (outer, m, inner) around the axis; flat: one row.
struct AlongGeometry {
  bool flat = false;
  int axis = 0;
  int64_t outer = 1, n = 1, m = 1, inner = 1;
};

// Checks that indices match data outside the axis; throws IsotensorError naming op.
AlongGeometry alongGeometry(const Shape& data, const Shape& idx, const AlongAxisParam& p, const char* op);

// Validates axis and k (k < 1 means the whole row) against the input shape; throws
// IsotensorError naming op, the argument and the shape.
OrderPlan makePlan(const Shape& in, const std::optional<int>& axis, int64_t k, const char* op);
// Shape of the values / indices results: k along the axis, or (k,) when flat.
Shape orderedShape(const Shape& in, const OrderPlan& plan);
// The index dtype named by a `dtype` param, checked to hold every index below plan.n exactly.
DType indexDType(const std::string& name, const OrderPlan& plan, const Shape& in, const char* op);
// Type inference check: the data must have a numeric dtype (not bool), as in MXNet.
void checkSortableDType(int dtype, const char* op);

}  // namespace ordering
}  // namespace ist
