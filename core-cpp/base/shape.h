// Shapes: a list of int64 dims, with the helpers every op's shape rule uses.
#pragma once
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

namespace ist {

using Shape = std::vector<int64_t>;

// Partial shapes (Symbol inference): a dim of -1 is unknown; unknownShape() has unknown rank.
constexpr int64_t kUnknownDim = -1;
inline Shape unknownShape() { return Shape{INT64_MIN}; }
inline bool shapeRankKnown(const Shape& s) { return !(s.size() == 1 && s[0] == INT64_MIN); }
bool shapeIsKnown(const Shape& s);

int64_t shapeSize(const Shape& s);
// "(2,3)" like MXNet prints; "()" for 0-d.
std::string shapeString(const Shape& s);
std::string shapesString(const std::vector<Shape>& shapes);
// Row-major strides in elements.
std::vector<int64_t> shapeStrides(const Shape& s);
// Normalises a possibly negative axis against ndim; throws IsotensorError naming op/arg.
int normalizeAxis(int64_t axis, int ndim, const char* op, const char* arg = "axis");
// NumPy broadcasting of two shapes; throws IsotensorError naming op and shapes.
Shape broadcastShapes(const Shape& a, const Shape& b, const char* op);

}  // namespace ist
