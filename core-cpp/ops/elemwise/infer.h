// Shape and dtype inference rules of the elementwise ops (partial shapes allowed, for Symbol).
#pragma once
#include <vector>
#include "op/registry.h"

namespace ist {
namespace elem {

// Every input and the output have one shape (elemwise_*, unary ops, add_n, _copy).
void inferSameShapes(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out);
// NumPy broadcasting of lhs and rhs (broadcast_*).
void inferBroadcastShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out);
// where(condition, x, y): x, y and output share a shape; the condition has it too, or is 1-D
// with x.shape[0] elements.
void inferWhereShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out);

// Every input and the output have one dtype.
void inferSameDTypes(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out);
// _*_scalar: the input's dtype, except int input with is_int=False -> float64 and
// bool input -> int64 (is_int) or float64.
void inferScalarDType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out);
// Cast: the `dtype` param.
void inferCastDType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out);
// where: x, y and output share a dtype; the condition's dtype is free.
void inferWhereDType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out);
// _copyto: the output keeps its own dtype when it has one (the copy converts), else the input's.
void inferCopytoDType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out);

// The op's name for messages ("" when attrs carry no op).
const char* opName(const NodeAttrs& attrs);

}  // namespace elem
}  // namespace ist
