// The multi-weight updates of MXNet 1.9: multi_sgd_update, multi_sgd_mom_update, their mp_ (float32
// master copy) forms and the preloaded_ forms of all four, whose learning rates and weight decays are
// float32 input arrays instead of tuple params; _multi_adamw_update, _multi_mp_adamw_update,
// _multi_lamb_update and _multi_mp_lamb_update; and multi_lars, the LARS learning rates from the
// weights' and gradients' sums of squares. The inputs of the updates are num_weights groups (weight_k,
// grad_k, states...); output k is weight k's update (pass the weights as `out`), and the states and
// master copies are updated in place. The arithmetic is MXNet's kernels', in the weight's dtype
// (float16 rounding every operation) or float32 for the mp_ forms. Not differentiable.
#include "op/registry.h"
#include "ops/optimizer/update_compute.h"
#include "ops/optimizer/update_infer.h"

namespace ist {
namespace optim {
namespace {

template <typename P>
MultiCounts multiCountsOf(const NodeAttrs& attrs) {
  const P& p = attrs.get<P>();
  return {p.count(), std::is_same_v<P, MultiLAMBParam> ? "num_tensors" : "num_weights", p.tuples()};
}

// The registry's lists are static: they name the in-place pairs (weight_k, output k) and the mutated
// states of every group up to kMaxMultiWeights, and each use keeps the entries below the node's input
// and output counts, which are exactly the node's own.
Op& weightGroups(Op& op, int stride, const std::vector<int>& mutatedInGroup) {
  std::vector<int> mutated;
  for (int k = 0; k < kMaxMultiWeights; ++k) {
    op.inplace(k * stride, k);
    for (int j : mutatedInGroup) mutated.push_back(k * stride + j);
  }
  return op.mutateInputs(std::move(mutated));
}

// The record every multi-weight update shares: variadic inputs named by num_weights, one output per weight.
template <typename P>
Op& multiUpdateOp(const char* name, MultiIO io, const std::vector<int>& mutatedInGroup) {
  io.counts = multiCountsOf<P>;
  Op& op = OpRegistry::add(name);
  op.variadic("data", "__num_optional_inputs__")
      .optionalInputs({}, [io](const NodeAttrs& a) { return multiInputNames(io, multiCountsOf<P>(a).num); })
      .numOutputs([](const NodeAttrs& a) { return a.get<P>().count(); })
      .template params<P>()
      .inferShape(multiUpdateShape(io))
      .inferType(multiUpdateType(io));
  return weightGroups(op, static_cast<int>(io.group.size()), mutatedInGroup);
}

template <typename P>
Op& multiSgdOp(const char* name, std::vector<std::string> group, std::vector<int> float32At,
               std::vector<int> mutatedInGroup, bool preloaded, bool uniformType) {
  MultiIO io;
  io.group = std::move(group);
  io.float32At = std::move(float32At);
  if (preloaded) io.tail = {"lrs", "wds"};
  io.uniformType = uniformType;
  return multiUpdateOp<P>(name, std::move(io), mutatedInGroup);
}

// MXNet's AdamW ops take rescale_grad as their last input: one element, of the weights' dtype (which
// every group shares) or float32 for the mp_ form.
Op& multiAdamWOp(const char* name, bool mp) {
  MultiIO io;
  io.group = {"weight", "grad", "mean", "var"};
  if (mp) {
    io.group.push_back("weight32");
    io.float32At = {2, 3, 4};
  }
  io.tail = {"rescale_grad"};
  io.tailElems = 1;
  io.tailFloat32 = mp;
  io.uniformType = !mp;
  return multiUpdateOp<MultiAdamWParam>(name, std::move(io), mp ? std::vector<int>{2, 3, 4} : std::vector<int>{2, 3});
}

// _multi_lamb_update / _multi_mp_lamb_update: groups (weight, grad, mean, var[, weight32]).
Op& multiLambOp(const char* name, bool mp) {
  MultiIO io;
  io.group = {"weight", "grad", "mean", "var"};
  if (mp) {
    io.group.push_back("weight32");
    io.float32At = {2, 3, 4};
  }
  io.uniformType = !mp;
  return multiUpdateOp<MultiLAMBParam>(name, std::move(io), mp ? std::vector<int>{2, 3, 4} : std::vector<int>{2, 3});
}

// multi_lars: four float32 arrays of one shape in, float32 out (MXNet's kernel takes float32 only).
void larsType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  static const char* const names[] = {"lrs", "weights_sum_sq", "grads_sum_sq", "wds"};
  const int f32 = static_cast<int>(DType::kFloat32);
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] < 0) in[i] = f32;
    IST_CHECK(in[i] == f32, "multi_lars", names[i],
              "dtype " << dtypeName(static_cast<DType>(in[i])) << " is not float32 (multi_lars takes float32 only)");
  }
  out[0] = f32;
}

[[maybe_unused]] Op& kMultiSgdUpdate =
    multiSgdOp<MultiSGDParam>("multi_sgd_update", {"weight", "grad"}, {}, {}, false, true)
        .describe("SGD step on num_weights weights at once: weight_k = weight_k - lrs[k]*wds[k]*weight_k - "
                  "lrs[k]*clip(rescale_grad*grad_k), clipped when clip_gradient >= 0. Inputs weight_0, grad_0, "
                  "weight_1, grad_1, ...; output k is weight_k's update (pass the weights as `out`).")
        .compute(Context::kCPU, multiSgdUpdate<cpu, MultiSGDParam, false, false, false>);

[[maybe_unused]] Op& kMultiSgdMomUpdate =
    multiSgdOp<MultiSGDMomParam>("multi_sgd_mom_update", {"weight", "grad", "mom"}, {}, {2}, false, true)
        .describe("SGD step with momentum on num_weights weights: mom_k = momentum*mom_k - lrs[k]*wds[k]*weight_k - "
                  "lrs[k]*clip(rescale_grad*grad_k); weight_k += mom_k. Inputs weight_0, grad_0, mom_0, weight_1, "
                  "...; the momentum states are updated in place.")
        .compute(Context::kCPU, multiSgdUpdate<cpu, MultiSGDMomParam, true, false, false>);

[[maybe_unused]] Op& kMultiMpSgdUpdate =
    multiSgdOp<MultiSGDParam>("multi_mp_sgd_update", {"weight", "grad", "weight32"}, {2}, {2}, false, false)
        .describe("Multi-precision multi_sgd_update: each step is taken in float32 on the master copy weight32_k "
                  "(updated in place) and cast to the weight's dtype. Inputs weight_0, grad_0, weight32_0, ...")
        .compute(Context::kCPU, multiSgdUpdate<cpu, MultiSGDParam, false, true, false>);

[[maybe_unused]] Op& kMultiMpSgdMomUpdate =
    multiSgdOp<MultiSGDMomParam>("multi_mp_sgd_mom_update", {"weight", "grad", "mom", "weight32"}, {2, 3}, {2, 3},
                                 false, false)
        .describe("Multi-precision multi_sgd_mom_update: momentum mom_k and master copy weight32_k are float32 and "
                  "updated in place. Inputs weight_0, grad_0, mom_0, weight32_0, ...")
        .compute(Context::kCPU, multiSgdUpdate<cpu, MultiSGDMomParam, true, true, false>);

[[maybe_unused]] Op& kPreloadedMultiSgdUpdate =
    multiSgdOp<PreloadedMultiSGDParam>("preloaded_multi_sgd_update", {"weight", "grad"}, {}, {}, true, false)
        .describe("multi_sgd_update with the learning rates and weight decays as the last two inputs, lrs and wds: "
                  "float32 arrays of num_weights elements (so they can change without rebuilding a graph).")
        .compute(Context::kCPU, multiSgdUpdate<cpu, PreloadedMultiSGDParam, false, false, true>);

[[maybe_unused]] Op& kPreloadedMultiSgdMomUpdate =
    multiSgdOp<PreloadedMultiSGDMomParam>("preloaded_multi_sgd_mom_update", {"weight", "grad", "mom"}, {}, {2},
                                          true, false)
        .describe("multi_sgd_mom_update with the learning rates and weight decays as the last two inputs, lrs and "
                  "wds (float32, num_weights elements).")
        .compute(Context::kCPU, multiSgdUpdate<cpu, PreloadedMultiSGDMomParam, true, false, true>);

[[maybe_unused]] Op& kPreloadedMultiMpSgdUpdate =
    multiSgdOp<PreloadedMultiSGDParam>("preloaded_multi_mp_sgd_update", {"weight", "grad", "weight32"}, {2}, {2},
                                       true, false)
        .describe("multi_mp_sgd_update with the learning rates and weight decays as the last two inputs, lrs and "
                  "wds (float32, num_weights elements).")
        .compute(Context::kCPU, multiSgdUpdate<cpu, PreloadedMultiSGDParam, false, true, true>);

[[maybe_unused]] Op& kPreloadedMultiMpSgdMomUpdate =
    multiSgdOp<PreloadedMultiSGDMomParam>("preloaded_multi_mp_sgd_mom_update", {"weight", "grad", "mom", "weight32"},
                                          {2, 3}, {2, 3}, true, false)
        .describe("multi_mp_sgd_mom_update with the learning rates and weight decays as the last two inputs, lrs "
                  "and wds (float32, num_weights elements).")
        .compute(Context::kCPU, multiSgdUpdate<cpu, PreloadedMultiSGDMomParam, true, true, true>);

[[maybe_unused]] Op& kMultiAdamWUpdate =
    multiAdamWOp("_multi_adamw_update", false)
        .describe("AdamW step on num_weights weights (decoupled weight decay): g = clip(rescale_grad*grad_k); "
                  "mean_k = beta1*(mean_k - g) + g; var_k = beta2*(var_k - g^2) + g^2; weight_k -= etas[k] * "
                  "(lrs[k] * mean_k / (sqrt(var_k) + epsilon) + wds[k] * weight_k). Inputs weight_0, grad_0, mean_0, "
                  "var_0, ..., then rescale_grad, a one-element array of the weights' dtype; when it is 0, NaN or "
                  "infinite the step is skipped. mean and var are updated in place.")
        .compute(Context::kCPU, multiAdamWUpdate<cpu, false>);

[[maybe_unused]] Op& kMultiMpAdamWUpdate =
    multiAdamWOp("_multi_mp_adamw_update", true)
        .describe("Multi-precision _multi_adamw_update: mean_k, var_k and the master copy weight32_k are float32 "
                  "and updated in place; rescale_grad is a one-element float32 array.")
        .compute(Context::kCPU, multiAdamWUpdate<cpu, true>);

[[maybe_unused]] Op& kMultiLambUpdate =
    multiLambOp("_multi_lamb_update", false)
        .describe("LAMB step on num_tensors weights: g = clip(rescale_grad*grad_k); mean_k and var_k update as in "
                  "Adam (in place); the direction d = mean^ / (sqrt(var^) + epsilon) + wds[k]*weight_k, with the "
                  "moments bias-corrected by step_count[k] when bias_correction; r1 = ||weight_k|| (clamped to "
                  "[lower_bound, upper_bound] where those are >= 0), r2 = ||d||; weight_k -= learning_rates[k] * "
                  "(r1 / r2, or 1 when either is 0) * d. Inputs weight_0, grad_0, mean_0, var_0, ...")
        .compute(Context::kCPU, multiLambUpdate<cpu, false>);

[[maybe_unused]] Op& kMultiMpLambUpdate =
    multiLambOp("_multi_mp_lamb_update", true)
        .describe("Multi-precision _multi_lamb_update: mean_k, var_k and the master copy weight32_k are float32 and "
                  "updated in place (the norm r1 is the weight's, as in MXNet).")
        .compute(Context::kCPU, multiLambUpdate<cpu, true>);

IST_REGISTER_OP(multi_lars)
    .describe("LARS learning rates from sums of squares: lrs * eta * sqrt(weights_sum_sq) / (sqrt(grads_sum_sq) * "
              "rescale_grad + wds * sqrt(weights_sum_sq) + eps), or lrs where either sum is 0. All four inputs "
              "are float32 arrays of one shape (one element per weight, e.g. from multi_sum_sq).")
    .inputs({"lrs", "weights_sum_sq", "grads_sum_sq", "wds"})
    .params<LARSParam>()
    .inferShape(updateShape({}))
    .inferType(larsType)
    .compute(Context::kCPU, multiLars<cpu>);

}  // namespace
}  // namespace optim
}  // namespace ist
