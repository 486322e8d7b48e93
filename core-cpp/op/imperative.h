// Imperative execution: infer, allocate and push one registered op to the engine.
#pragma once
#include <vector>
#include "ndarray/ndarray.h"
#include "op/registry.h"

namespace ist {

// Runs `op` on `inputs`. If `outputs` is non-empty, results go there (shapes and dtypes
// must match, e.g. `a += b`; a none entry is allocated as if not given); otherwise new arrays
// are created and returned. `unused[i]` marks an output nobody will read: it is allocated but
// the kernel is asked not to compute it (req kNull; autograd's backward passes this for the
// gradients of inputs that need none).
// Inference errors throw at once; compute errors surface at the next wait on the outputs.
std::vector<NDArray> invokeOp(const Op& op, const std::vector<NDArray>& inputs, const AttrDict& attrs,
                              const std::vector<NDArray>& outputs = {}, const std::vector<bool>& unused = {});

// Pushes a copy of src into dst (any devices; shapes and dtypes must match).
void copyFromTo(const NDArray& src, const NDArray& dst);

// Philox stream per device: seed() resets it; each random op call reserves a counter range. A call
// whose attributes hold its own `seed` (>= 0) draws instead what the device's stream would give right
// after seedRandom(seed), every time (ONNX's seeded random nodes), and leaves the stream as it was.
void seedRandom(Context ctx, uint64_t seed);
void reserveRandom(Context ctx, uint64_t count, const AttrDict& attrs, uint64_t* key, uint64_t* counter);

// Whether ops run in training mode (Dropout, BatchNorm); set by autograd.
bool isTraining();
void setTraining(bool on);

}  // namespace ist
