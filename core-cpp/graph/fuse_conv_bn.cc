// Finds Convolution -> BatchNorm (-> add) (-> relu) chains and runs one as a convolution with an epilogue.
#include "graph/fuse_conv_bn.h"
#include "op/device_compute.h"
#include "ops/nn/activation_device.h"
#include "ops/nn/channel_affine.h"
#include "ops/nn/convolution_params.h"
#include "ops/matrix/transpose_device.h"

namespace ist {

namespace {

BatchNormEpilogue gpuEpilogue = nullptr, cpuTwinEpilogue = nullptr;

// The device epilogue that runs a group on ctx's device, or null where the CPU kernels do.
BatchNormEpilogue epilogueFor(const Context& ctx) {
  if (ctx.isGPU()) return gpuEpilogue;
  return gpuKernelsOnCpu() ? cpuTwinEpilogue : nullptr;
}

bool isOp(const Node& n, const char* name) { return !n.isVariable() && n.attrs.op->name == name; }

bool isRelu(const Node& n) {
  return isOp(n, "relu") || (isOp(n, "Activation") && n.attrs.get<actdev::ActivationParam>().act_type == "relu");
}

// elemwise_add, or broadcast_add (ONNX's Add) whose operands turn out to have one shape (the caller
// checks the shapes): either adds value to value.
bool isSameShapeAdd(const Node& n) { return isOp(n, "elemwise_add") || isOp(n, "broadcast_add"); }

// A channel shuffle reading the group's output alone (ShuffleNet: Reshape to (N, G, F/G, H, W),
// transpose (0, 2, 1, 3, 4), Reshape back to (N, F, H, W), with G the convolution's groups) joins it,
// where the convolution runs on the CPU's GEMM paths (grouped, not depthwise) and the group has no
// residual add (which would be read in the unshuffled order).
template <typename Follower>
void findChannelShuffle(const Graph& g, ConvBatchNormGroup& grp, const Follower& follower,
                        const std::vector<Context>& nodeCtx) {
  const Node& c = *g.nodes[grp.conv];
  if (grp.add >= 0 || nodeCtx[grp.conv].isGPU() || epilogueFor(nodeCtx[grp.conv]) != nullptr) return;
  const auto& cp = c.attrs.get<convolution_detail::ConvolutionParam>();
  const Shape& y = g.shapes[g.entryBase[grp.conv]];
  const Shape& x = g.shapes[g.entryId(c.inputs[0])];
  const int64_t G = static_cast<int64_t>(cp.num_group);
  if (y.size() != 4 || x.size() != 4 || G < 2 || y[1] % G != 0 || x[1] / G < 2 || y[1] / G < 2) return;
  const uint32_t last = grp.last();
  const int64_t split = follower(g.entryBase[last], last);
  if (split < 0 || !isOp(*g.nodes[split], "Reshape")) return;
  if (g.shapes[g.entryBase[split]] != Shape{y[0], G, y[1] / G, y[2], y[3]}) return;
  const int64_t tr = follower(g.entryBase[split], static_cast<uint32_t>(split));
  if (tr < 0 || !isOp(*g.nodes[tr], "transpose")) return;
  if (g.nodes[tr]->attrs.get<mat::TransposeParam>().axes != Shape{0, 2, 1, 3, 4}) return;
  const int64_t merge = follower(g.entryBase[tr], static_cast<uint32_t>(tr));
  if (merge < 0 || !isOp(*g.nodes[merge], "Reshape") || g.shapes[g.entryBase[merge]] != y) return;
  grp.shuffleSplit = split;
  grp.shuffleTranspose = tr;
  grp.shuffleMerge = merge;
}

}  // namespace

std::vector<ConvBatchNormGroup> findConvBatchNorm(const Graph& g, uint32_t end, const std::vector<uint32_t>& readers,
                                                  const std::vector<Context>& nodeCtx) {
  std::vector<ConvBatchNormGroup> groups;
  // The node reading each entry, where it has exactly one reader among the nodes.
  std::vector<int64_t> soleReader(g.numEntries(), -1);
  for (uint32_t nid = 0; nid < g.nodes.size(); ++nid)
    for (const NodeEntry& x : g.nodes[nid]->inputs)
      if (x.node) soleReader[g.entryId(x)] = nid;
  // The node that alone reads entry e, if it runs among [0, end) on node n's device in n's dtype.
  auto follower = [&](uint32_t e, uint32_t n) -> int64_t {
    if (readers[e] != 1 || soleReader[e] < 0 || static_cast<uint32_t>(soleReader[e]) >= end) return -1;
    const uint32_t r = static_cast<uint32_t>(soleReader[e]);
    if (!(nodeCtx[r] == nodeCtx[n]) || g.dtypes[g.entryBase[r]] != g.dtypes[g.entryBase[n]]) return -1;
    return r;
  };
  std::vector<double> macs;  // each group's convolution's multiply-adds
  std::vector<bool> grouped(g.nodes.size(), false);  // convolutions in a group
  // Adds the group of convolution `conv` with BatchNorm `bn` (or -1: none), whose output `out` (the
  // BatchNorm's, or the convolution's) may go on to a residual add, if the convolution can be one.
  auto addGroup = [&](uint32_t conv, int64_t bn, uint32_t out) {
    const Node& c = *g.nodes[conv];
    const int dt = g.dtypes[out];
    const auto& cp = c.attrs.get<convolution_detail::ConvolutionParam>();
    const uint32_t convOut = g.entryBase[conv];
    if (!cp.layout.empty() && cp.layout != "None" && cp.layout.rfind("NC", 0) != 0) return;
    if (readers[convOut] != 1 || g.dtypes[convOut] != dt) return;
    // A bias is added first, on the convolution's output, as the unfused convolution adds it.
    if (!cp.no_bias && (c.inputs.size() < 3 || !c.inputs[2].node || g.dtypes[g.entryId(c.inputs[2])] != dt)) return;
    ConvBatchNormGroup grp;
    grp.conv = conv;
    grp.bn = bn;
    const int64_t a = follower(out, bn >= 0 ? static_cast<uint32_t>(bn) : conv);
    if (a >= 0 && isSameShapeAdd(*g.nodes[a])) {
      const Node& add = *g.nodes[a];
      const NodeEntry& other = g.entryId(add.inputs[0]) == out ? add.inputs[1] : add.inputs[0];
      const uint32_t res = g.entryId(other);
      const bool sameDevice = other.node && nodeCtx[g.nodeId(other.node.get())] == nodeCtx[conv];
      if (res != out && sameDevice && g.dtypes[res] == dt && g.shapes[res] == g.shapes[out]) {
        grp.add = a;
        grp.residual = res;
      }
    }
    const Shape& outShape = g.shapes[convOut];
    const double filters = outShape.size() > 1 && outShape[1] > 0 ? static_cast<double>(outShape[1]) : 1.0;
    macs.push_back(static_cast<double>(shapeSize(g.shapes[g.entryId(c.inputs[1])])) *
                   static_cast<double>(shapeSize(outShape)) / filters);
    groups.push_back(grp);
    grouped[conv] = true;
  };
  for (uint32_t bn = 0; bn < end; ++bn) {
    const Node& b = *g.nodes[bn];
    if (b.isVariable() || b.attrs.op->name != "BatchNorm") continue;
    if (b.attrs.get<BatchNormParam>().axis != 1 || !b.inputs[0].node) continue;
    const uint32_t out = g.entryBase[bn];
    const int dt = g.dtypes[out];
    const bool onDevice = epilogueFor(nodeCtx[bn]) != nullptr;
    if (nodeCtx[bn].isGPU() && !onDevice) continue;
    if (onDevice) {
      if (!dtypeIsFloat(static_cast<DType>(dt))) continue;
    } else if (dt != static_cast<int>(DType::kFloat32) && dt != static_cast<int>(DType::kFloat64)) {
      continue;
    }
    bool hiddenRead = false;
    for (uint32_t e = out + 1; e < g.entryBase[bn + 1]; ++e) hiddenRead = hiddenRead || readers[e] != 0;
    if (hiddenRead) continue;
    const uint32_t conv = g.nodeId(b.inputs[0].node.get());
    const Node& c = *g.nodes[conv];
    if (c.isVariable() || c.attrs.op->name != "Convolution" || !(nodeCtx[conv] == nodeCtx[bn])) continue;
    if (g.entryId(b.inputs[0]) != g.entryBase[conv]) continue;
    bool paramsBound = b.inputs.size() == 5;
    for (size_t i = 1; paramsBound && i < 5; ++i)
      paramsBound = b.inputs[i].node != nullptr && (!onDevice || g.dtypes[g.entryId(b.inputs[i])] == dt);
    if (!paramsBound) continue;
    addGroup(conv, bn, out);
  }
  // A convolution without a BatchNorm whose output goes on to a residual add or a relu (SqueezeNet's,
  // Inception's and AlexNet's convolution + bias + relu): on the CPU only, where the epilogue is the
  // convolution's own; other devices run such nodes unfused.
  for (uint32_t conv = 0; conv < end; ++conv) {
    const Node& c = *g.nodes[conv];
    if (grouped[conv] || c.isVariable() || c.attrs.op->name != "Convolution") continue;
    if (epilogueFor(nodeCtx[conv]) != nullptr || nodeCtx[conv].isGPU()) continue;
    const uint32_t out = g.entryBase[conv];
    const int dt = g.dtypes[out];
    if (dt != static_cast<int>(DType::kFloat32) && dt != static_cast<int>(DType::kFloat64)) continue;
    const int64_t r = follower(out, conv);
    if (r < 0 || !(isRelu(*g.nodes[r]) || isSameShapeAdd(*g.nodes[r]))) continue;
    addGroup(conv, -1, out);
  }
  // An add of two BatchNorm outputs (a ResNet block's projection shortcut) joins the group with the
  // cheaper convolution (the 1x1 projection): that group then runs last, where the add is, and the
  // larger convolution's output it adds is still in cache.
  std::vector<int64_t> addOwner(g.nodes.size(), -1);
  for (size_t k = 0; k < groups.size(); ++k) {
    if (groups[k].add < 0) continue;
    int64_t& owner = addOwner[groups[k].add];
    if (owner < 0 || macs[k] < macs[owner]) owner = static_cast<int64_t>(k);
  }
  for (size_t k = 0; k < groups.size(); ++k) {
    ConvBatchNormGroup& grp = groups[k];
    if (grp.add >= 0 && addOwner[grp.add] != static_cast<int64_t>(k)) {
      grp.add = -1;
      grp.residual = 0;
    }
    const uint32_t ctxNode = grp.bn >= 0 ? static_cast<uint32_t>(grp.bn) : grp.conv;
    const int64_t r = follower(grp.add >= 0 ? g.entryBase[grp.add] : g.entryBase[ctxNode], ctxNode);
    if (r >= 0 && isRelu(*g.nodes[r])) grp.relu = r;
  }
  for (ConvBatchNormGroup& grp : groups) findChannelShuffle(g, grp, follower, nodeCtx);
  // Without a BatchNorm, a group needs an add or a relu to be more than the convolution itself.
  std::vector<ConvBatchNormGroup> kept;
  for (const ConvBatchNormGroup& grp : groups)
    if (grp.bn >= 0 || grp.add >= 0 || grp.relu >= 0) kept.push_back(grp);
  return kept;
}

namespace {
// A group's residual and bias among its inputs (runConvBatchNorm's order), or null.
struct GroupExtras {
  const TBlob* residual = nullptr;
  const TBlob* bias = nullptr;
};
GroupExtras groupExtras(const NodeAttrs& conv, const NodeAttrs* bn, const std::vector<TBlob>& in) {
  GroupExtras x;
  const bool bias = !conv.get<convolution_detail::ConvolutionParam>().no_bias;
  const size_t residual = bn ? 6 : 2;
  if (in.size() > residual + bias) x.residual = &in[residual];
  if (bias) x.bias = &in.back();
  return x;
}

template <typename T>
void convBatchNorm(const NodeAttrs& conv, const NodeAttrs* bn, bool relu, bool shuffled, const std::vector<TBlob>& in,
                   const TBlob& out, PreparedInput* prepared) {
  ChannelAffine<T> a;  // without a BatchNorm: no affine, only the bias, the residual and the relu
  if (bn) a = batchNormInferenceAffine<T>(bn->get<BatchNormParam>(), in[2], in[3], in[4], in[5]);
  a.relu = relu;
  a.shuffled = shuffled;
  const GroupExtras x = groupExtras(conv, bn, in);
  if (x.residual) a.residual = x.residual->data<T>();
  if (x.bias) a.bias = x.bias->data<T>();
  convolutionWithAffine<T>(conv, in[0], in[1], out, a, prepared);
}
}  // namespace

void attachBatchNormEpilogue(BatchNormEpilogue gpu, BatchNormEpilogue cpuTwin) {
  gpuEpilogue = gpu;
  cpuTwinEpilogue = cpuTwin;
}

void runConvBatchNorm(const NodeAttrs& conv, const NodeAttrs* bn, bool relu, bool shuffled, const FCompute& convFn,
                      const RunContext& rc, const std::vector<TBlob>& in, const TBlob& out,
                      PreparedInput* prepared) {
  // (Groups without a BatchNorm, and shuffles: CPU only.)
  if (BatchNormEpilogue epilogue = bn && !shuffled ? epilogueFor(rc.ctx) : nullptr) {
    OpContext c;
    c.run = rc;
    const GroupExtras x = groupExtras(conv, bn, in);
    if (x.bias) convFn(conv, c, {in[0], in[1], *x.bias}, {OpReq::kWriteTo}, {out});
    else convFn(conv, c, {in[0], in[1]}, {OpReq::kWriteTo}, {out});
    epilogue(rc.stream, bn->get<BatchNormParam>(), relu, {in[2], in[3], in[4], in[5]}, out, x.residual);
    return;
  }
  if (out.dtype == DType::kFloat32) convBatchNorm<float>(conv, bn, relu, shuffled, in, out, prepared);
  else convBatchNorm<double>(conv, bn, relu, shuffled, in, out, prepared);
}

}  // namespace ist
