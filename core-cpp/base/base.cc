// Implementations of the small base helpers: dtype names, shapes, contexts, errors.
#include <stdexcept>
#include <algorithm>
#include <cstdio>
#include "base/context.h"
#include "base/dtype.h"
#include "base/error.h"
#include "base/shape.h"

namespace ist {

namespace {
struct DTypeInfo { DType t; const char* name; size_t size; };
const DTypeInfo kDTypes[] = {
    {DType::kFloat32, "float32", 4}, {DType::kFloat64, "float64", 8}, {DType::kFloat16, "float16", 2},
    {DType::kUint8, "uint8", 1},     {DType::kInt32, "int32", 4},     {DType::kInt8, "int8", 1},
    {DType::kInt64, "int64", 8},     {DType::kBool, "bool", 1},       {DType::kInt16, "int16", 2},
    {DType::kUint16, "uint16", 2},   {DType::kUint32, "uint32", 4},   {DType::kUint64, "uint64", 8},
    {DType::kBFloat16, "bfloat16", 2},
};
const DTypeInfo* findDType(DType t) {
  for (const auto& d : kDTypes) if (d.t == t) return &d;
  return nullptr;
}
}  // namespace

bool dtypeIsValid(int flag) { return findDType(static_cast<DType>(flag)) != nullptr; }
size_t dtypeSize(DType t) {
  const DTypeInfo* d = findDType(t);
  return d ? d->size : 0;
}
const char* dtypeName(DType t) {
  const DTypeInfo* d = findDType(t);
  return d ? d->name : "unknown";
}
bool dtypeIsFloat(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
}
DType dtypeFromName(const std::string& name, const char* op, const char* arg) {
  std::string n = name;
  if (n.size() > 6 && n.compare(0, 6, "numpy.") == 0) n = n.substr(6);
  if (n == "float" || n == "float_") n = "float64";
  if (n == "int") n = "int64";
  if (n == "half") n = "float16";
  if (n == "bool_") n = "bool";
  for (const auto& d : kDTypes) if (n == d.name) return d.t;
  throwError(op, arg, "unknown dtype '" + name + "' (expected one of float32 float64 float16 bfloat16 "
                      "uint8 int8 int16 uint16 int32 uint32 int64 uint64 bool)");
}
void throwUnsupportedDType(DType t, const char* op) {
  throwError(op, "dtype", std::string("dtype ") + dtypeName(t) + " is not supported by this operator");
}

int64_t& Shape::outOfRange() { throw std::out_of_range("Shape::at: index out of range"); }

bool shapeIsKnown(const Shape& s) {
  if (!shapeRankKnown(s)) return false;
  for (int64_t d : s) if (d < 0) return false;
  return true;
}
int64_t shapeSize(const Shape& s) noexcept {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}
std::string shapeString(const Shape& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) r += ",";
    r += std::to_string(s[i]);
  }
  if (s.size() == 1) r += ",";
  return r + ")";
}
std::string shapesString(const std::vector<Shape>& shapes) {
  std::string r;
  for (size_t i = 0; i < shapes.size(); ++i) r += (i ? ", " : "") + shapeString(shapes[i]);
  return r;
}
std::vector<int64_t> shapeStrides(const Shape& s) {
  std::vector<int64_t> st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) { st[i] = acc; acc *= s[i]; }
  return st;
}
int normalizeAxis(int64_t axis, int ndim, const char* op, const char* arg) {
  int64_t a = axis < 0 ? axis + ndim : axis;
  IST_CHECK(a >= 0 && a < std::max(ndim, 1) && (ndim > 0 || a == 0), op, arg,
            "axis " << axis << " is out of range for an array of rank " << ndim);
  return static_cast<int>(a);
}
Shape broadcastShapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    IST_CHECK(da == db || da == 1 || db == 1, op, "rhs",
              "shapes " << shapeString(a) << " and " << shapeString(b) << " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::string Context::str() const {
  return std::string(devType == kGPU ? "gpu(" : "cpu(") + std::to_string(devId) + ")";
}
Context Context::parse(const std::string& s, const char* op) {
  Context c;
  int id = 0;
  if (s == "cpu" || s == "gpu") return {s == "gpu" ? kGPU : kCPU, 0};
  if (sscanf(s.c_str(), "cpu(%d)", &id) == 1) return {kCPU, id};
  if (sscanf(s.c_str(), "gpu(%d)", &id) == 1) return {kGPU, id};
  throwError(op, "ctx", "cannot parse context '" + s + "' (expected cpu(N) or gpu(N))");
  return c;
}

void throwError(const std::string& op, const std::string& arg, const std::string& detail) {
  std::string msg;
  if (!op.empty()) msg += op + ": ";
  if (!arg.empty()) msg += "argument '" + arg + "': ";
  throw IsotensorError(msg + detail);
}

}  // namespace ist
