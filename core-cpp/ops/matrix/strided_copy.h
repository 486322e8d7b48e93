// Copies between strided n-d layouts: the one data-movement kernel behind transpose, slice, tile,
// repeat, reverse, concat, stack and the reshape family.
//
// A side of a copy is a base pointer plus one stride per dim, in elements: 0 repeats an element
// (tile, repeat), a negative stride walks backwards (reverse, negative slice steps). Dims are
// simplified first (size-1 dims dropped, adjacent dims merged where both sides are contiguous
// across them), then the copy runs as memcpy of contiguous rows, as a cache-blocked 2-D
// transpose when the two sides are contiguous along different dims, or element by element.
#pragma once
#include <cstdint>
#include <vector>
#include "base/dtype.h"
#include "base/shape.h"
#include "op/registry.h"

namespace ist {

// dst[i] = src[i] (kWriteTo, kWriteInplace) or dst[i] += src[i] (kAddTo) for every index i of
// `shape`; kNull does nothing. dst must not overlap src unless they are the same layout.
void copyStrided(DType dtype, const Shape& shape, void* dst, const std::vector<int64_t>& dstStrides,
                 const void* src, const std::vector<int64_t>& srcStrides, OpReq req, const char* op);

// The contiguous case: n elements. A same-pointer kWriteTo/kWriteInplace is a no-op.
void copyContiguous(DType dtype, int64_t n, void* dst, const void* src, OpReq req, const char* op);

// Row-major strides of a shape, in elements (same as shapeStrides, as a vector to edit).
std::vector<int64_t> contiguousStrides(const Shape& shape);

}  // namespace ist
