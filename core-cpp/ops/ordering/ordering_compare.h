// The total order of sort/argsort/topk and their store rule, shared by the CPU kernel
// (ordering_kernel.cc) and the device-generic kernels (ordering_device.h) so both give the same bits.
#pragma once
#include <type_traits>
#include "base/macros.h"

namespace ist {
namespace ordering {

// Strict "key a at position ap comes before key b at bp": NaN ranks above every number (last
// ascending, first descending) and ties, NaNs included, keep their input order in both
// directions. Being total, it makes any correct sort give the stable order.
template <bool kAscend, typename C, typename P>
ISTX bool orderBefore(C a, P ap, C b, P bp) {
  if constexpr (std::is_floating_point_v<C>) {
    const bool an = a != a, bn = b != b;
    if (an || bn) return an == bn ? ap < bp : (kAscend ? bn : an);
  }
  if (a != b) return kAscend ? a < b : b < a;
  return ap < bp;
}

// Writes v (or adds it, for kAddTo); integer sums wrap instead of overflowing.
template <typename T, typename C>
ISTX T assignOrAdd(T old, C v, bool add) {
  if (!add) return T(v);
  if constexpr (std::is_integral_v<C>) {
    using U = std::make_unsigned_t<C>;
    return T(static_cast<C>(static_cast<U>(static_cast<C>(old)) + static_cast<U>(v)));
  } else {
    return T(static_cast<C>(old) + v);
  }
}

}  // namespace ordering
}  // namespace ist
