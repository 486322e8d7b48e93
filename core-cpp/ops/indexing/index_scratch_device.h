// Device scratch for resolving m user indices (pick, the take-along ops): the resolved int64
// indices, the indices as doubles, an error count and one bad-index flag per index, in one block.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernels/device.h"

namespace ist {

template <typename Dev>
struct IndexScratch {
  TempSpace<Dev> mem;
  int64_t m;
  IndexScratch(void* s, int64_t m_) : mem(s, static_cast<size_t>(m_) * 17 + 16), m(m_) {}
  int64_t* k() const { return mem.template as<int64_t>(); }
  double* idx() const { return reinterpret_cast<double*>(k() + m); }
  double* errors() const { return idx() + m; }
  int8_t* bad() const { return reinterpret_cast<int8_t*>(errors() + 1); }
};

}  // namespace ist
