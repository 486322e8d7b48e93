// Convolution (-> BatchNorm) (-> elemwise_add) (-> relu) fusion for the executor's inference runs. On
// the CPU the convolution applies BatchNorm's moving-statistics affine (then a ResNet block's
// residual add, then the relu) to each image's output while it is in cache
// (ops/nn/channel_affine.h), instead of more passes over the activations; on a GPU the
// convolution's own compute is followed by one in-place pass of the affine, add and relu (instead
// of BatchNorm's own passes, the add's and the relu's). Bit for bit the unfused result; training
// with batch statistics pushes the unfused runs.
#pragma once
#include <cstdint>
#include <vector>
#include "base/context.h"
#include "graph/pass.h"
#include "op/registry.h"

namespace ist {

struct ConvBatchNormGroup {
  uint32_t conv = 0;
  int64_t bn = -1;        // the BatchNorm node, or -1 (a convolution straight into its add or relu; CPU only)
  int64_t add = -1;       // the elemwise_add node adding a residual to the BatchNorm's output, or -1
  uint32_t residual = 0;  // the add's other input (an entry), when there is an add
  int64_t relu = -1;      // the Activation(relu) / relu node, or -1
  // A channel shuffle after the group (ShuffleNet's Reshape (N, G, F/G, H, W), transpose (0, 2, 1, 3, 4),
  // Reshape (N, F, H, W), G the convolution's groups): its three nodes, or -1. CPU only: the
  // convolution then writes filter f of group g straight to channel f * G + g.
  int64_t shuffleSplit = -1, shuffleTranspose = -1, shuffleMerge = -1;
  uint32_t last() const {
    if (shuffleMerge >= 0) return static_cast<uint32_t>(shuffleMerge);
    return static_cast<uint32_t>(relu >= 0 ? relu : add >= 0 ? add : bn >= 0 ? bn : conv);
  }
  // The member nodes in order.
  std::vector<uint32_t> members() const {
    std::vector<uint32_t> m{conv};
    for (int64_t n : {bn, add, relu, shuffleSplit, shuffleTranspose, shuffleMerge})
      if (n >= 0) m.push_back(static_cast<uint32_t>(n));
    return m;
  }
};

// Groups among the forward nodes [0, end): a Convolution (with or without bias) whose output only feeds a
// BatchNorm over axis 1 (its mean/var outputs unread); the elemwise_add reading only the
// BatchNorm's output and another entry of its shape and dtype (the residual; broadcast_add too, ONNX's
// Add, when both have that shape) if there is one; and the relu reading only the last of those if there
// is one. On the CPU float32/float64; on a GPU any float type, with BatchNorm's parameters in the data's
// type. On the CPU also a Convolution without a BatchNorm whose output goes on to such an add or relu,
// and a grouped convolution's channel shuffle after a group without an add.
// readers[entry] counts every reader, as in findElemwiseGroups.
std::vector<ConvBatchNormGroup> findConvBatchNorm(const Graph& g, uint32_t end, const std::vector<uint32_t>& readers,
                                                  const std::vector<Context>& nodeCtx);

struct BatchNormParam;

// BatchNorm inference (then the residual add, then relu) in place on y on one device; params:
// gamma, beta, moving mean and moving variance; residual: null without an add.
using BatchNormEpilogue = void (*)(void* stream, const BatchNormParam& p, bool relu, const std::vector<TBlob>& params,
                                   const TBlob& y, const TBlob* residual);
// Attached by ops/nn/normalization.cu: the GPU kernel and its CPU twin (op/device_compute.h).
void attachBatchNormEpilogue(BatchNormEpilogue gpu, BatchNormEpilogue cpuTwin);

// Runs a group. in: the convolution's data and weight, then BatchNorm's gamma, beta, moving_mean,
// moving_var (when there is a BatchNorm, `bn`; null without one), then the residual when the group has
// an add, then the convolution's bias when it has one. convFn: the Convolution compute for rc's device,
// which on a GPU (and on the CPU with ISOTENSOR_GPU_KERNELS_ON_CPU, the twins) writes `out` before the
// epilogue runs over it. prepared: the node's cache of the convolution's prepared weights (CPU
// inference), or null.
// shuffled: the group ends in a channel shuffle (CPU only).
void runConvBatchNorm(const NodeAttrs& conv, const NodeAttrs* bn, bool relu, bool shuffled, const FCompute& convFn,
                      const RunContext& rc, const std::vector<TBlob>& in, const TBlob& out, PreparedInput* prepared);

}  // namespace ist
