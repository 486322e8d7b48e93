// TBlob: the raw view of an array that kernels see (pointer, shape, dtype, device).
#pragma once
#include "base/context.h"
#include "base/dtype.h"
#include "base/shape.h"

namespace ist {

struct TBlob {
  void* dptr = nullptr;
  Shape shape;
  DType dtype = DType::kFloat32;
  Context ctx;
  int64_t size() const { return shapeSize(shape); }
  int ndim() const { return static_cast<int>(shape.size()); }
  template <typename T> T* data() const { return static_cast<T*>(dptr); }
};

}  // namespace ist
