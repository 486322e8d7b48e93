// Convolution -> BatchNorm (-> relu) fusion for the executor's inference runs: the convolution
// applies BatchNorm's moving-statistics affine (and the relu) to each image's output while it is
// in cache (ops/nn/channel_affine.h), instead of two more passes over the activations. Bit for bit
// the unfused result; training with batch statistics pushes the unfused runs.
#pragma once
#include <cstdint>
#include <vector>
#include "base/context.h"
#include "graph/pass.h"

namespace ist {

struct ConvBatchNormGroup {
  uint32_t conv = 0, bn = 0;
  int64_t relu = -1;  // the Activation(relu) / relu node, or -1
  uint32_t last() const { return relu >= 0 ? static_cast<uint32_t>(relu) : bn; }
};

// Groups among the forward nodes [0, end): a CPU float32/float64 Convolution without bias whose
// output only feeds a BatchNorm over axis 1 (its mean/var outputs unread), and the relu reading
// only the BatchNorm's output if there is one. readers[entry] counts every reader, as in
// findElemwiseGroups.
std::vector<ConvBatchNormGroup> findConvBatchNorm(const Graph& g, uint32_t end, const std::vector<uint32_t>& readers,
                                                  const std::vector<Context>& nodeCtx);

// in: the convolution's data and weight, then BatchNorm's gamma, beta, moving_mean, moving_var.
void runConvBatchNorm(const NodeAttrs& conv, const NodeAttrs& bn, bool relu, const std::vector<TBlob>& in,
                      const TBlob& out);

}  // namespace ist
