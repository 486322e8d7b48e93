// The `seed` parameter of the random ops: a call's own stream instead of its context's (reserveRandom reads it).
#pragma once
#include <cstdint>
#include "op/params.h"

namespace ist {
namespace rnd {

// ONNX's seeded random nodes: the same values every run, as after mx.random.seed(seed).
template <typename P> inline void declareSeed(ParamDecl<P>& d) {
  d.field("seed", &P::seed).setDefault(int64_t{-1})
      .doc("Seed of this call's own stream: it draws, every time, what the context's stream gives right after "
           "mx.random.seed(seed). -1 (default): the context's stream, advanced by each call.");
}

}  // namespace rnd
}  // namespace ist
