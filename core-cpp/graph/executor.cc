// GraphExecutor: bind (gradient, inference, memory plan, allocation) and the per-call node pushes.
//
// Every array a call touches exists after bind: planned entries are views into one storage chunk
// per plan slot, so the engine's per-chunk Var orders a slot's reuse after its previous tenant's
// readers. forward()/backward() push prepared NodeRuns to the engine the way invokeOp does
// (op/imperative.cc): same OpContext, Philox reservation, read/write Vars and error context.
#include "graph/executor.h"
#include "graph/control_flow.h"
#include <algorithm>
#include <map>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include "base/error.h"
#include "graph/fuse_conv_bn.h"
#include "graph/fuse_elemwise.h"
#include "graph/infer_graph.h"
#include "graph/symbol.h"
#include "op/data_shape.h"
#include "op/imperative.h"
#include "op/prepared_input.h"
#include "ops/nn/norm_params.h"

namespace ist {

struct GraphExecutor::NodeRun {
  const Op* op = nullptr;
  NodeAttrs attrs;
  const FCompute* fn = nullptr;
  std::vector<NDArray> inArrays, outArrays;  // kept for the monitor; blobs below are what runs
  std::vector<TBlob> in, out;
  std::vector<OpReq> req;
  std::vector<VarHandle> reads, writes;
  uint64_t randomCount = 0;
  int countDType = -1;
  std::string label;                          // "node 'fc1' (FullyConnected)"
  std::vector<std::string> outNames, inNames;  // monitor names
  Context ctx;
  bool crossDevice = false;  // a copy between devices (in[0] -> out[0]) instead of the op's compute
  // A fused element-wise group (in: its external inputs, out: the root's output) instead of op.
  std::shared_ptr<const ElemwiseProgram> program;
  std::vector<const Op*> fusedOps;  // the group's ops, for the per-op call counts
  // A Convolution -> BatchNorm (-> relu) group (in: data, weight, gamma, beta, moving mean and
  // var; out: the last node's output), run fused unless BatchNorm needs batch statistics, when
  // the members' own runs (`unfused`) are pushed instead.
  struct ConvBN {
    NodeAttrs conv, bn;  // bn: unset without a BatchNorm (hasBN false)
    bool hasBN = true, relu = false, globalStats = false, shuffled = false;
  };
  std::shared_ptr<const ConvBN> convBN;
  std::vector<std::shared_ptr<NodeRun>> unfused;
  // The op's prepared form of its weights (Op::preparedInput), kept across inference runs; set for
  // CPU forward nodes whose weights are an argument of the graph (and shared with the fused run).
  std::shared_ptr<PreparedInput> prepared;
};

namespace {

std::string describeArrays(const std::vector<NDArray>& a) {
  std::string r;
  for (size_t i = 0; i < a.size(); ++i) r += (i ? ", " : "") + shapeString(a[i].shape()) + " " + dtypeName(a[i].dtype());
  return r;
}

// A NodeRun of `op` reading `in` and writing `out` (which may share a chunk with an input: in place).
std::shared_ptr<GraphExecutor::NodeRun> makeRun(const Op& op, NodeAttrs attrs, std::vector<NDArray> in,
                                                std::vector<NDArray> out, std::vector<OpReq> req, Context ctx,
                                                const std::string& label) {
  auto r = std::make_shared<GraphExecutor::NodeRun>();
  r->op = &op;
  r->attrs = std::move(attrs);
  r->fn = op.computeFor(ctx.devType);
  IST_CHECK(r->fn != nullptr, op.name, "ctx", label << ": operator has no implementation for " << ctx.str());
  r->ctx = ctx;
  r->label = label;
  for (size_t i = 0; i < out.size(); ++i)
    for (auto& a : in)
      if (req[i] == OpReq::kWriteTo && a.sameStorage(out[i])) req[i] = OpReq::kWriteInplace;
  for (auto& o : out) {
    if (std::find(r->writes.begin(), r->writes.end(), o.var()) == r->writes.end()) r->writes.push_back(o.var());
    r->randomCount = std::max<uint64_t>(r->randomCount, static_cast<uint64_t>(o.size()));
  }
  for (int m : op.mutableInputs)
    if (m < static_cast<int>(in.size()) &&
        std::find(r->writes.begin(), r->writes.end(), in[m].var()) == r->writes.end())
      r->writes.push_back(in[m].var());
  for (auto& a : in) {
    r->randomCount = std::max<uint64_t>(r->randomCount, static_cast<uint64_t>(a.size()));
    VarHandle v = a.var();
    if (std::find(r->writes.begin(), r->writes.end(), v) != r->writes.end()) continue;
    if (std::find(r->reads.begin(), r->reads.end(), v) == r->reads.end()) r->reads.push_back(v);
  }
  for (auto& a : in) r->in.push_back(a.blob());
  for (auto& o : out) r->out.push_back(o.blob());
  r->countDType = !in.empty() ? static_cast<int>(in[0].dtype()) : !out.empty() ? static_cast<int>(out[0].dtype()) : -1;
  r->inArrays = std::move(in);
  r->outArrays = std::move(out);
  r->req = std::move(req);
  return r;
}

// MXNet's name of input i ("weight", "bias"; variadic ops "arg0", ...).
// A copy of `src` into `dst` on another device (MXNet's implicit _CrossDeviceCopy).
std::shared_ptr<GraphExecutor::NodeRun> makeCopyRun(const NDArray& src, const NDArray& dst, const std::string& label) {
  auto r = std::make_shared<GraphExecutor::NodeRun>();
  r->op = &OpRegistry::get("_copyto");
  r->crossDevice = true;
  r->ctx = dst.ctx().isGPU() ? dst.ctx() : src.ctx();
  r->label = label;
  r->reads = {src.var()};
  r->writes = {dst.var()};
  r->in = {src.blob()};
  r->out = {dst.blob()};
  r->req = {OpReq::kWriteTo};
  r->inArrays = {src};
  r->outArrays = {dst};
  return r;
}

std::string jsonStr(const std::string& s) {
  std::string r = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    if (static_cast<unsigned char>(c) < 0x20) { r += ' '; continue; }
    r += c;
  }
  return r + "\"";
}

}  // namespace

GraphExecutor::GraphExecutor(const Symbol& sym, Context ctx, const std::vector<NDArray>& args,
                             const std::vector<NDArray>& argGrads, const std::vector<OpReq>& gradReqsIn,
                             const std::vector<NDArray>& auxStates, const ExecutorOptions& opt)
    : ctx_(ctx) {
  IST_CHECK(!sym.outputs.empty(), "bind", "symbol", "the symbol has no outputs");
  for (auto& o : sym.outputs) IST_CHECK(o.node != nullptr, "bind", "symbol", "the symbol has a null output");
  Graph fwd = Graph::build(sym.outputs);
  const std::vector<NodePtr> argVars = sym.listInputs(Symbol::InputKind::kArguments);
  const std::vector<NodePtr> auxVars = sym.listInputs(Symbol::InputKind::kAuxStates);
  for (auto& v : argVars) argNames_.push_back(v->name);
  for (auto& v : auxVars) auxNames_.push_back(v->name);
  outputNames_ = sym.listOutputNames();

  // ---- the bound arrays ----
  IST_CHECK(args.size() == argVars.size(), "bind", "args",
            "expected " << argVars.size() << " argument array(s) (" << joinNames(argNames_) << "), got "
                        << args.size());
  IST_CHECK(auxStates.size() == auxVars.size(), "bind", "aux_states",
            "expected " << auxVars.size() << " auxiliary state array(s)"
                        << (auxNames_.empty() ? std::string() : " (" + joinNames(auxNames_) + ")") << ", got "
                        << auxStates.size());
  IST_CHECK(argGrads.empty() || argGrads.size() == args.size(), "bind", "args_grad",
            "expected " << args.size() << " gradient array(s) (one per argument), got " << argGrads.size());
  std::vector<OpReq> reqs = gradReqsIn;
  if (reqs.empty()) reqs.assign(args.size(), argGrads.empty() ? OpReq::kNull : OpReq::kWriteTo);
  IST_CHECK(reqs.size() == args.size(), "bind", "grad_req",
            "expected " << args.size() << " grad_req value(s) (one per argument), got " << reqs.size());
  std::unordered_map<std::string, Context> groupCtx(opt.group2ctx.begin(), opt.group2ctx.end());
  auto isGroupCtx = [&](Context c) {
    for (auto& kv : groupCtx)
      if (kv.second == c) return true;
    return false;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    IST_CHECK(!args[i].isNone(), "bind", argNames_[i], "argument '" << argNames_[i] << "' has no array (missing)");
    IST_CHECK(args[i].ctx() == ctx || isGroupCtx(args[i].ctx()), "bind", argNames_[i],
              "argument '" << argNames_[i] << "' is on " << args[i].ctx().str() << " but the executor binds to "
                           << ctx.str() << "; copy it with copyto()");
    IST_CHECK(reqs[i] == OpReq::kNull || reqs[i] == OpReq::kWriteTo || reqs[i] == OpReq::kAddTo, "bind",
              "grad_req", "argument '" << argNames_[i] << "': grad_req must be null, write or add");
    if (reqs[i] == OpReq::kNull) continue;
    IST_CHECK(i < argGrads.size() && !argGrads[i].isNone(), "bind", "args_grad",
              "argument '" << argNames_[i] << "' has grad_req " << (reqs[i] == OpReq::kAddTo ? "add" : "write")
                           << " but no gradient array");
    const NDArray& g = argGrads[i];
    IST_CHECK(g.shape() == args[i].shape() && g.dtype() == args[i].dtype(), "bind", "args_grad",
              "gradient of '" << argNames_[i] << "' has shape " << shapeString(g.shape()) << " " << dtypeName(g.dtype())
                              << " but the argument has " << shapeString(args[i].shape()) << " "
                              << dtypeName(args[i].dtype()));
    IST_CHECK(g.ctx() == args[i].ctx(), "bind", "args_grad",
              "gradient of '" << argNames_[i] << "' is on " << g.ctx().str() << ", the argument on "
                              << args[i].ctx().str());
  }
  for (size_t i = 0; i < auxStates.size(); ++i) {
    IST_CHECK(!auxStates[i].isNone(), "bind", auxNames_[i], "auxiliary state '" << auxNames_[i] << "' has no array");
    IST_CHECK(auxStates[i].ctx() == ctx || isGroupCtx(auxStates[i].ctx()), "bind", auxNames_[i],
              "auxiliary state '" << auxNames_[i] << "' is on " << auxStates[i].ctx().str()
                                  << " but the executor binds to " << ctx.str());
  }
  std::unordered_map<const Node*, NDArray> varArrays;
  for (size_t i = 0; i < args.size(); ++i) varArrays[argVars[i].get()] = args[i];
  for (size_t i = 0; i < auxStates.size(); ++i) varArrays[auxVars[i].get()] = auxStates[i];

  // ---- forward inference: everything must become known ----
  fwd.shapes.assign(fwd.numEntries(), unknownShape());
  fwd.dtypes.assign(fwd.numEntries(), -1);
  for (auto& kv : varArrays) {
    uint32_t e = fwd.entryId(NodeEntry{fwd.nodes[fwd.nodeId(kv.first)], 0});
    fwd.shapes[e] = kv.second.shape();
    fwd.dtypes[e] = static_cast<int>(kv.second.dtype());
  }
  auto requireKnown = [](const Graph& g, const char* what, bool shapes) {
    const std::string err = g.attr<std::string>(shapes ? "shape_error" : "dtype_error");
    if (!err.empty()) throw IsotensorError(err);
    for (uint32_t nid = 0; nid < g.nodes.size(); ++nid) {
      for (uint32_t e = g.entryBase[nid]; e < g.entryBase[nid + 1]; ++e) {
        bool known = shapes ? shapeIsKnown(g.shapes[e]) : g.dtypes[e] >= 0;
        if (known) continue;
        const Node& n = *g.nodes[nid];
        const bool valueShaped = shapes && !n.isVariable() && findDataShape(n.attrs.op->name) != nullptr;
        throwError(n.isVariable() ? "bind" : n.attrs.op->name, n.isVariable() ? n.name : "output",
                   std::string("node '") + n.name + "': cannot infer the " + what + " of output " +
                       std::to_string(e - g.entryBase[nid]) + " [inputs: " + describeNodeInputs(g, n) + "]" +
                       (valueShaped ? "; it depends on the input values, so the op runs imperatively only "
                                      "(MXNet's bound graphs refuse it too)"
                                    : ""));
      }
    }
  };
  fwd = applyPasses(std::move(fwd), {"InferShape", "InferType"});
  requireKnown(fwd, "shape", true);
  requireKnown(fwd, "dtype", false);
  // Control-flow nodes run unrolled into the ops of their bodies (graph/control_flow.h); bodies may
  // hold more of them, so lower and infer again until none is left.
  while (hasControlFlow(fwd)) {
    Graph lowered = Graph::build(lowerControlFlow(fwd));
    lowered.shapes.assign(lowered.numEntries(), unknownShape());
    lowered.dtypes.assign(lowered.numEntries(), -1);
    for (auto& kv : varArrays) {
      auto it = lowered.index.find(kv.first);
      if (it == lowered.index.end()) continue;
      lowered.shapes[lowered.entryBase[it->second]] = kv.second.shape();
      lowered.dtypes[lowered.entryBase[it->second]] = static_cast<int>(kv.second.dtype());
    }
    fwd = applyPasses(std::move(lowered), {"InferShape", "InferType"});
    requireKnown(fwd, "shape", true);
    requireKnown(fwd, "dtype", false);
  }
  const std::vector<NodeEntry> heads = fwd.outputs;  // the symbol's outputs, in the graph that runs

  // ---- gradient graph ----
  std::vector<NodeEntry> xs;
  std::vector<size_t> xArg;  // argument index of each x
  for (size_t i = 0; i < args.size(); ++i)
    if (reqs[i] != OpReq::kNull) {
      xs.push_back(NodeEntry{argVars[i], 0});
      xArg.push_back(i);
    }
  std::vector<NodeEntry> headGradEntries;
  std::vector<NodeEntry> gradEntries;
  Graph full;
  if (xs.empty()) {
    full = std::move(fwd);
  } else {
    for (size_t k = 0; k < heads.size(); ++k)
      headGradEntries.push_back(NodeEntry{makeVariable(outputNames_[k] + "_head_grad"), 0});
    Graph g = Graph::build(heads);
    g.setAttr<std::vector<NodeEntry>>("grad_xs", xs);
    g.setAttr<std::vector<NodeEntry>>("grad_head_grads", headGradEntries);
    full = applyPasses(std::move(g), {"Gradient"});
    gradEntries = full.attr<std::vector<NodeEntry>>("grad_entries");
    // Execution order = plan order: the forward nodes (in their own order), then the rest.
    std::vector<NodePtr> order = fwd.nodes;
    for (auto& n : full.nodes)
      if (!fwd.index.count(n.get())) order.push_back(n);
    full.nodes = std::move(order);
    full.reindex();
    full.shapes.assign(full.numEntries(), unknownShape());
    full.dtypes.assign(full.numEntries(), -1);
    for (uint32_t nid = 0; nid < fwd.nodes.size(); ++nid)
      for (uint32_t o = 0; o < fwd.entryBase[nid + 1] - fwd.entryBase[nid]; ++o) {
        full.shapes[full.entryBase[nid] + o] = fwd.shapes[fwd.entryBase[nid] + o];
        full.dtypes[full.entryBase[nid] + o] = fwd.dtypes[fwd.entryBase[nid] + o];
      }
    for (size_t k = 0; k < headGradEntries.size(); ++k) {
      auto it = full.index.find(headGradEntries[k].node.get());
      if (it == full.index.end()) continue;
      uint32_t e = full.entryBase[it->second], src = fwd.entryId(heads[k]);
      full.shapes[e] = fwd.shapes[src];
      full.dtypes[e] = fwd.dtypes[src];
    }
    full = applyPasses(std::move(full), {"InferShape", "InferType"});
    requireKnown(full, "shape", true);
    requireKnown(full, "dtype", false);
  }
  numForwardNodes_ = xs.empty() ? full.nodes.size() : fwd.nodes.size();
  // Names for gradient nodes (the monitor reports them); they are this executor's own nodes.
  for (size_t nid = numForwardNodes_; nid < full.nodes.size(); ++nid)
    if (!full.nodes[nid]->isVariable() && full.nodes[nid]->name.empty())
      full.nodes[nid]->name = full.nodes[nid]->attrs.op->name + std::to_string(nid);

  // ---- placement (MXNet's PlaceDevice): forward nodes by their ctx_group, variables where their
  // arrays are, gradient nodes where most of their inputs are; values crossing devices are copied.
  std::vector<Context> nodeCtx(full.nodes.size(), ctx);
  std::vector<Context> devices{ctx};  // device index -> context (index 0: the bind context)
  auto deviceIndex = [&](Context c) {
    for (size_t d = 0; d < devices.size(); ++d)
      if (devices[d] == c) return static_cast<int>(d);
    devices.push_back(c);
    return static_cast<int>(devices.size() - 1);
  };
  for (uint32_t nid = 0; nid < full.nodes.size(); ++nid) {
    const Node& n = *full.nodes[nid];
    if (n.isVariable()) {
      auto it = varArrays.find(&n);
      if (it != varArrays.end()) nodeCtx[nid] = it->second.ctx();
      for (size_t k = 0; k < headGradEntries.size(); ++k)
        if (headGradEntries[k].node.get() == &n) nodeCtx[nid] = nodeCtx[full.nodeId(heads[k].node.get())];
      continue;
    }
    if (nid < numForwardNodes_) {
      auto g = n.attrs.dict.find("__ctx_group__");
      if (g != n.attrs.dict.end()) {
        auto c = groupCtx.find(g->second);
        if (c != groupCtx.end()) nodeCtx[nid] = c->second;
      }
    } else {
      std::vector<std::pair<Context, int>> votes;
      for (auto& in : n.inputs) {
        if (!in.node) continue;
        Context c = nodeCtx[full.nodeId(in.node.get())];
        auto v = std::find_if(votes.begin(), votes.end(), [&](const std::pair<Context, int>& p) { return p.first == c; });
        if (v == votes.end()) votes.emplace_back(c, 1); else ++v->second;
      }
      int best = 0;
      for (auto& v : votes)
        if (v.second >= best) { best = v.second; nodeCtx[nid] = v.first; }
    }
    for (int m : n.attrs.op->mutableInputs) {
      if (m >= static_cast<int>(n.inputs.size()) || !n.inputs[m].node) continue;
      Context c = nodeCtx[full.nodeId(n.inputs[m].node.get())];
      IST_CHECK(c == nodeCtx[nid], n.attrs.op->name, symbolInputName(n, m),
                "node '" << n.name << "' runs on " << nodeCtx[nid].str() << " but updates '" << n.inputs[m].node->name
                         << "' in place, which is on " << c.str() << "; bind that array on " << nodeCtx[nid].str());
    }
  }
  std::vector<int> entryDevice(full.numEntries(), 0);
  for (uint32_t nid = 0; nid < full.nodes.size(); ++nid)
    for (uint32_t e = full.entryBase[nid]; e < full.entryBase[nid + 1]; ++e) entryDevice[e] = deviceIndex(nodeCtx[nid]);

  // ---- which entries live in caller/executor arrays, and the plan ----
  const uint32_t numEntries = full.numEntries();
  entryArrays_.assign(numEntries, NDArray());
  std::vector<bool> external(numEntries, false), pinned(numEntries, false);
  for (uint32_t nid = 0; nid < full.nodes.size(); ++nid) {
    const Node* n = full.nodes[nid].get();
    if (!n->isVariable()) continue;
    uint32_t e = full.entryBase[nid];
    external[e] = true;
    auto it = varArrays.find(n);
    if (it != varArrays.end()) entryArrays_[e] = it->second;
  }
  headGrads_.assign(heads.size(), NDArray());
  for (size_t k = 0; k < headGradEntries.size(); ++k) {
    auto it = full.index.find(headGradEntries[k].node.get());
    if (it == full.index.end()) continue;  // no gradient op reads it (a loss output)
    uint32_t e = full.entryBase[it->second];
    headGrads_[k] = NDArray(full.shapes[e], static_cast<DType>(full.dtypes[e]), nodeCtx[it->second]);
    entryArrays_[e] = headGrads_[k];
  }
  for (auto& o : heads) {
    uint32_t e = full.entryId(o);
    if (!external[e]) pinned[e] = true;
  }
  // Forward values the gradient reads keep their buffers through backward, so backward can run
  // again (grad_req add) without a new forward: no gradient node may overwrite them.
  for (size_t nid = numForwardNodes_; nid < full.nodes.size(); ++nid)
    for (auto& in : full.nodes[nid]->inputs)
      if (in.node && full.nodeId(in.node.get()) < numForwardNodes_) {
        uint32_t e = full.entryId(in);
        if (!external[e]) pinned[e] = true;
      }
  // A write gradient goes straight into the caller's array when a gradient node produces it and
  // nothing else claims that entry; otherwise it is copied (and always accumulated for 'add').
  std::vector<int> directGrad(args.size(), -1);
  {
    std::unordered_map<uint32_t, int> claims;
    for (size_t j = 0; j < xs.size(); ++j)
      if (gradEntries[j]) ++claims[full.entryId(gradEntries[j])];
    for (size_t j = 0; j < xs.size(); ++j) {
      const size_t i = xArg[j];
      const NodeEntry& ge = gradEntries[j];
      if (!ge || reqs[i] != OpReq::kWriteTo) continue;
      uint32_t e = full.entryId(ge);
      uint32_t nid = full.nodeId(ge.node.get());
      if (nid < numForwardNodes_ || ge.node->isVariable() || claims[e] != 1 || external[e] || pinned[e] ||
          !(nodeCtx[nid] == argGrads[i].ctx()))
        continue;
      external[e] = true;
      entryArrays_[e] = argGrads[i];
      directGrad[i] = static_cast<int>(e);
    }
    // The others are copied (or accumulated) after the last gradient node: their buffers must
    // survive until then, so no later node may reuse them.
    for (size_t j = 0; j < xs.size(); ++j) {
      const NodeEntry& ge = gradEntries[j];
      if (!ge || directGrad[xArg[j]] >= 0) continue;
      const uint32_t e = full.entryId(ge);
      if (!external[e]) pinned[e] = true;
    }
  }
  // Readers of each entry (nodes, graph outputs, gradient results): for fusion, and gradient
  // outputs nobody reads (e.g. d data when data takes no gradient) are not computed: their req is
  // kNull (they keep a buffer in case an op writes regardless).
  std::vector<uint32_t> readers(numEntries, 0);
  for (auto& n : full.nodes)
    for (auto& in : n->inputs)
      if (in.node) ++readers[full.entryId(in)];
  for (auto& o : heads) ++readers[full.entryId(o)];
  for (auto& ge : gradEntries)
    if (ge) ++readers[full.entryId(ge)];
  // Convolution -> BatchNorm (-> add) (-> relu) groups: their fused run reads the convolution's and the
  // BatchNorm's inputs (and the residual) when the last node runs, so the plan keeps those alive until then.
  // Element-wise groups likewise run all their members when the root runs, reading every external
  // input then: an input whose last reader in node order is an earlier member stays alive until the root.
  const bool fuse = opt.fuseElemwise && elemwiseFusionEnabledByEnv();
  std::vector<ConvBatchNormGroup> convBNCandidates;
  std::vector<ElemwiseGroup> groups;
  std::vector<std::pair<uint32_t, uint32_t>> keepAlive;
  if (fuse) {
    convBNCandidates = findConvBatchNorm(full, static_cast<uint32_t>(numForwardNodes_), readers, nodeCtx);
    std::vector<bool> takenByConvBN(full.nodes.size(), false);
    for (const ConvBatchNormGroup& cb : convBNCandidates) {
      for (const NodeEntry& x : full.nodes[cb.conv]->inputs) keepAlive.emplace_back(full.entryId(x), cb.last());
      if (cb.bn >= 0) {
        const Node& bn = *full.nodes[cb.bn];
        for (size_t i = 1; i < bn.inputs.size(); ++i) keepAlive.emplace_back(full.entryId(bn.inputs[i]), cb.last());
      }
      if (cb.add >= 0) keepAlive.emplace_back(cb.residual, cb.last());
      for (uint32_t m : cb.members()) takenByConvBN[m] = true;
    }
    // A group never spans forward and backward; groups exclude every Conv-BN candidate's nodes, so
    // they stay valid whichever candidates survive the aliasing check after allocation.
    const uint32_t numNodes = static_cast<uint32_t>(full.nodes.size()), numFwd = static_cast<uint32_t>(numForwardNodes_);
    groups = findElemwiseGroups(full, 0, numFwd, readers, nodeCtx, takenByConvBN);
    for (auto& grp : findElemwiseGroups(full, numFwd, numNodes, readers, nodeCtx, takenByConvBN))
      groups.push_back(std::move(grp));
    for (const ElemwiseGroup& grp : groups) {
      // Inputs the root reads itself live until it anyway (and may still be overwritten in place by it).
      const Node& root = *full.nodes[grp.nodes.back()];
      for (uint32_t e : grp.inputs) {
        bool readByRoot = false;
        for (const NodeEntry& x : root.inputs) readByRoot = readByRoot || full.entryId(x) == e;
        if (!readByRoot) keepAlive.emplace_back(e, grp.nodes.back());
      }
    }
  }
  PlanOptions popt;
  popt.external = external;
  popt.pinned = pinned;
  popt.enabled = opt.planMemory && memoryPlanningEnabledByEnv();
  full.setAttr<std::vector<bool>>("plan_external", std::move(external));
  full.setAttr<std::vector<bool>>("plan_pinned", std::move(pinned));
  full.setAttr<bool>("plan_enabled", popt.enabled);
  full.setAttr<std::vector<int>>("plan_device", entryDevice);
  full.setAttr<std::vector<std::pair<uint32_t, uint32_t>>>("plan_keep_alive", std::move(keepAlive));
  full = applyPasses(std::move(full), {"PlanMemory"});
  plan_ = full.attr<MemoryPlan>("memory_plan");

  // ---- allocation: one chunk per slot, entries are views into it ----
  for (size_t s = 0; s < plan_.slotElems.size(); ++s)
    slots_.emplace_back(Shape{static_cast<int64_t>(plan_.slotElems[s])}, static_cast<DType>(plan_.slotDtype[s]),
                        devices[plan_.slotDevice[s]]);
  for (uint32_t e = 0; e < numEntries; ++e) {
    const int s = plan_.storage[e];
    if (s == MemoryPlan::kOwn) {
      entryArrays_[e] = NDArray(full.shapes[e], static_cast<DType>(full.dtypes[e]), devices[entryDevice[e]]);
    } else if (s >= 0) {
      const Shape& shape = full.shapes[e];
      NDArray flat = slots_[s].slice(0, shapeSize(shape));
      entryArrays_[e] = shape.size() == 1 ? flat : flat.reshape(shape);
    }
  }

  // ---- node runs ----
  std::map<std::pair<uint32_t, int>, NDArray> crossCopies;  // (entry, device) -> its copy there
  // Element-wise groups, per section (a group never spans forward and backward).
  // Convolution -> BatchNorm (-> add) (-> relu) groups first; element-wise groups among the other nodes.
  std::vector<int> groupOfRoot(full.nodes.size(), -1), convBNOfLast(full.nodes.size(), -1);
  std::vector<bool> fusedMember(full.nodes.size(), false);
  std::vector<ConvBatchNormGroup> convBNs;
  std::vector<std::shared_ptr<NodeRun>> memberRuns(full.nodes.size());
  if (fuse) {
    for (const ConvBatchNormGroup& cb : convBNCandidates) {
      // The fused convolution writes the last node's output while reading its inputs: the plan
      // kept those alive (keepAlive), and a caller's array bound to both is checked here.
      const NDArray& out = entryArrays_[full.entryBase[cb.last()]];
      // (The BatchNorm's data is the convolution's output, inside the group: the fused run never reads it,
      // and a shuffle's transpose may reuse its memory.)
      bool aliased = cb.add >= 0 && entryArrays_[cb.residual].sameStorage(out);
      for (const NodeEntry& x : full.nodes[cb.conv]->inputs) aliased = aliased || entryArrays_[full.entryId(x)].sameStorage(out);
      if (cb.bn >= 0) {
        const auto& bnIn = full.nodes[cb.bn]->inputs;
        for (size_t i = 1; i < bnIn.size(); ++i) aliased = aliased || entryArrays_[full.entryId(bnIn[i])].sameStorage(out);
      }
      if (aliased) continue;
      convBNOfLast[cb.last()] = static_cast<int>(convBNs.size());
      for (uint32_t m : cb.members()) fusedMember[m] = true;
      convBNs.push_back(cb);
    }
    for (size_t k = 0; k < groups.size(); ++k) {
      groupOfRoot[groups[k].nodes.back()] = static_cast<int>(k);
      for (uint32_t nid : groups[k].nodes) fusedMember[nid] = true;
    }
  }
  for (uint32_t nid = 0; nid < full.nodes.size(); ++nid) {
    const Node& n = *full.nodes[nid];
    if (n.isVariable()) continue;
    auto& runs = nid < numForwardNodes_ ? forwardRuns_ : backwardRuns_;
    auto& fusedRuns = nid < numForwardNodes_ ? fusedForwardRuns_ : fusedBackwardRuns_;
    const size_t runsBefore = runs.size();
    std::vector<NDArray> in, out;
    for (auto& x : n.inputs) {
      IST_CHECK(x.node != nullptr, n.attrs.op->name, "inputs", "node '" << n.name << "' has a null input");
      const uint32_t e = full.entryId(x);
      const NDArray& a = entryArrays_[e];
      if (a.ctx() == nodeCtx[nid]) {
        in.push_back(a);
        continue;
      }
      auto key = std::make_pair(e, deviceIndex(nodeCtx[nid]));
      auto found = crossCopies.find(key);
      if (found == crossCopies.end()) {  // copied once, before its first reader on that device
        NDArray dst(a.shape(), a.dtype(), nodeCtx[nid]);
        runs.push_back(makeCopyRun(a, dst, "copy of '" + entryName(*x.node, x.index) + "' to " + nodeCtx[nid].str()));
        found = crossCopies.emplace(key, dst).first;
      }
      in.push_back(found->second);
    }
    const uint32_t nOut = full.entryBase[nid + 1] - full.entryBase[nid];
    std::vector<OpReq> req(nOut, OpReq::kWriteTo);
    for (uint32_t o = 0; o < nOut; ++o) {
      const uint32_t e = full.entryBase[nid] + o;
      out.push_back(entryArrays_[e]);
      if (nid >= numForwardNodes_ && readers[e] == 0 && nOut > 1) req[o] = OpReq::kNull;
    }
    auto r = makeRun(*n.attrs.op, n.attrs, std::move(in), std::move(out), std::move(req), nodeCtx[nid],
                     "node '" + n.name + "' (" + n.attrs.op->name + ")");
    const int pi = n.attrs.op->preparedInput;
    if (pi >= 0 && static_cast<size_t>(pi) < n.inputs.size() && nid < numForwardNodes_ && !nodeCtx[nid].isGPU() &&
        n.inputs[pi].node->isVariable())
      r->prepared = std::make_shared<PreparedInput>(r->inArrays[pi].var());
    for (uint32_t o = 0; o < nOut; ++o) r->outNames.push_back(entryName(n, o));
    for (size_t i = 0; i < n.inputs.size(); ++i) r->inNames.push_back(n.name + "_" + symbolInputName(n, i));
    // Cross-device copies made above go to both lists; a group member runs only as its group.
    for (size_t k = runsBefore; k < runs.size(); ++k) fusedRuns.push_back(runs[k]);
    if (!fusedMember[nid]) fusedRuns.push_back(r);
    // A run of the group `members` (node ids; the last is this node) reading `gin`, writing this
    // node's output, pushed in the fused list in place of the members' runs.
    auto fusedRun = [&](const Node& lead, std::vector<NDArray> gin, const std::vector<uint32_t>& members,
                        const char* what) {
      std::vector<std::string> names;
      std::string quoted;
      for (uint32_t m : members) {
        names.push_back(full.nodes[m]->name);
        quoted += (quoted.empty() ? "'" : ", '") + names.back() + "'";
      }
      auto f = makeRun(*lead.attrs.op, lead.attrs, std::move(gin), r->outArrays, {OpReq::kWriteTo}, nodeCtx[nid],
                       "nodes " + quoted + " (" + what + ")");
      for (uint32_t m : members) f->fusedOps.push_back(full.nodes[m]->attrs.op);
      f->outNames = r->outNames;
      fusedNames_.push_back(std::move(names));
      fusedRuns.push_back(f);
      return f;
    };
    if (groupOfRoot[nid] >= 0) {
      const ElemwiseGroup& grp = groups[groupOfRoot[nid]];
      std::vector<NDArray> gin;
      for (uint32_t e : grp.inputs) gin.push_back(entryArrays_[e]);
      fusedRun(n, std::move(gin), grp.nodes, "fused element-wise")->program =
          std::make_shared<ElemwiseProgram>(grp.program);
    }
    memberRuns[nid] = r;
    if (convBNOfLast[nid] >= 0) {
      const ConvBatchNormGroup& cb = convBNs[convBNOfLast[nid]];
      const Node& cn = *full.nodes[cb.conv];
      const Node* bn = cb.bn >= 0 ? full.nodes[cb.bn].get() : nullptr;
      std::vector<NDArray> gin{entryArrays_[full.entryId(cn.inputs[0])], entryArrays_[full.entryId(cn.inputs[1])]};
      if (bn)
        for (size_t i = 1; i < 5; ++i) gin.push_back(entryArrays_[full.entryId(bn->inputs[i])]);
      if (cb.add >= 0) gin.push_back(entryArrays_[cb.residual]);
      if (cn.inputs.size() > 2) gin.push_back(entryArrays_[full.entryId(cn.inputs[2])]);  // the bias
      const std::vector<uint32_t> members = cb.members();
      auto f = fusedRun(cn, std::move(gin), members, bn ? "convolution with batch norm" : "convolution with its epilogue");
      auto cbr = std::make_shared<NodeRun::ConvBN>();
      cbr->conv = cn.attrs;
      cbr->hasBN = bn != nullptr;
      if (bn) cbr->bn = bn->attrs;
      cbr->relu = cb.relu >= 0;
      cbr->shuffled = cb.shuffleMerge >= 0;
      // (Without a BatchNorm there are no statistics: the group runs fused in training too.)
      cbr->globalStats = bn ? bn->attrs.get<BatchNormParam>().use_global_stats : true;
      f->convBN = std::move(cbr);
      f->prepared = memberRuns[cb.conv]->prepared;
      for (uint32_t m : members) f->unfused.push_back(m == nid ? r : memberRuns[m]);
    }
    runs.push_back(std::move(r));
  }
  const Op& onesLike = OpRegistry::get("ones_like");
  const Op& zerosLike = OpRegistry::get("zeros_like");
  const Op& copy = OpRegistry::get("_copy");
  headOnes_.assign(headGrads_.size(), nullptr);
  headGradIsOnes_.assign(headGrads_.size(), true);
  for (size_t k = 0; k < headGrads_.size(); ++k) {
    if (headGrads_[k].isNone()) continue;
    headOnes_[k] = makeRun(onesLike, onesLike.parseAttrs({}), {headGrads_[k]}, {headGrads_[k]}, {OpReq::kWriteTo},
                           headGrads_[k].ctx(), "head gradient of '" + outputNames_[k] + "'");
    push(headOnes_[k], false);
  }
  for (size_t j = 0; j < xs.size(); ++j) {
    const size_t i = xArg[j];
    if (directGrad[i] >= 0) continue;
    const NodeEntry& ge = gradEntries[j];
    const std::string label = "gradient of '" + argNames_[i] + "'";
    const Context gctx = argGrads[i].ctx();
    if (ge) {
      NDArray src = entryArrays_[full.entryId(ge)];
      if (src.ctx() != gctx) {
        NDArray moved(src.shape(), src.dtype(), gctx);
        gradFinish_.push_back(makeCopyRun(src, moved, label + " to " + gctx.str()));
        src = moved;
      }
      gradFinish_.push_back(makeRun(copy, copy.parseAttrs({}), {src}, {argGrads[i]}, {reqs[i]}, gctx, label));
    } else if (reqs[i] == OpReq::kWriteTo) {  // no gradient reaches it: d/dx = 0
      gradFinish_.push_back(makeRun(zerosLike, zerosLike.parseAttrs({}), {argGrads[i]}, {argGrads[i]},
                                    {OpReq::kWriteTo}, gctx, label));
    }
  }
  for (auto& o : heads) outputs_.push_back(entryArrays_[full.entryId(o)]);
  graph_ = std::move(full);
}

void GraphExecutor::push(const std::shared_ptr<NodeRun>& r, bool isTrain) {
  if (r->crossDevice) {
    std::shared_ptr<const NodeRun> keep = r;
    Engine::get()->pushSync([keep](RunContext rc) { copyBytes(keep->out[0], keep->in[0], rc.stream); }, r->ctx, r->reads,
                            r->writes, "_copyto");
    return;
  }
  if (r->convBN) {
    if (isTrain && !r->convBN->globalStats) {  // batch statistics: BatchNorm runs on its own
      for (auto& u : r->unfused) push(u, isTrain);
      return;
    }
    for (const Op* op : r->fusedOps) op->countCall(r->countDType);
    std::shared_ptr<const NodeRun> keep = r;
    PreparedInput* prepared = isTrain ? nullptr : r->prepared.get();
    Engine::get()->pushSync(
        [keep, prepared](RunContext rc) {
          try {
            runConvBatchNorm(keep->convBN->conv, keep->convBN->hasBN ? &keep->convBN->bn : nullptr,
                             keep->convBN->relu, keep->convBN->shuffled, *keep->fn, rc, keep->in,
                             keep->out[0], prepared);
          } catch (const std::exception& e) {
            throw IsotensorError(std::string(e.what()) + " [" + keep->label + "; inputs: " +
                                 describeArrays(keep->inArrays) + "]");
          }
        },
        r->ctx, r->reads, r->writes, "ConvolutionBatchNorm");
    return;
  }
  if (r->program) {
    for (const Op* op : r->fusedOps) op->countCall(r->countDType);
    std::shared_ptr<const NodeRun> keep = r;
    Engine::get()->pushSync(
        [keep](RunContext rc) { runElemwiseProgramOn(*keep->program, keep->in, keep->out[0], keep->ctx, rc.stream); },
        r->ctx, r->reads, r->writes, "FusedElemwise");
    return;
  }
  OpContext octx;
  octx.isTrain = isTrain;
  if (!isTrain) octx.prepared = r->prepared.get();  // kept alive by the run the closure holds
  if (r->op->random) reserveRandom(r->ctx, r->randomCount, r->attrs.dict, &octx.rngKey, &octx.rngCounter);
  r->op->countCall(r->countDType);
  // The run outlives the push (captured); its arrays' chunks are freed by engine writes ordered
  // after this op, so the blobs stay valid even if the executor goes first.
  std::shared_ptr<const NodeRun> keep = r;
  Engine::get()->pushSync(
      [keep, octx](RunContext rc) {
        OpContext c = octx;
        c.run = rc;
        try {
          (*keep->fn)(keep->attrs, c, keep->in, keep->req, keep->out);
        } catch (const std::exception& e) {
          std::string msg = e.what();
          const std::string& opName = keep->op->name;
          if (msg.compare(0, opName.size() + 1, opName + ":") != 0) msg = opName + ": " + msg;
          throw IsotensorError(msg + " [" + keep->label + "; inputs: " + describeArrays(keep->inArrays) + "]");
        }
      },
      r->ctx, r->reads, r->writes, r->op->name.c_str());
}

void GraphExecutor::monitorRun(const NodeRun& r, bool inputs) {
  if (inputs) {
    for (size_t i = 0; i < r.inArrays.size(); ++i) monitor_(r.inNames[i], r.inArrays[i]);
  } else {
    for (size_t i = 0; i < r.outArrays.size(); ++i) monitor_(r.outNames[i], r.outArrays[i]);
  }
}

void GraphExecutor::forward(bool isTrain) {
  for (auto& r : monitor_ ? forwardRuns_ : fusedForwardRuns_) {
    if (monitor_ && monitorAll_) monitorRun(*r, true);
    push(r, isTrain);
    if (monitor_) monitorRun(*r, false);
  }
}

void GraphExecutor::backward(const std::vector<NDArray>& outGrads, bool isTrain) {
  IST_CHECK(outGrads.empty() || outGrads.size() == outputs_.size(), "backward", "out_grads",
            "expected " << outputs_.size() << " head gradient(s) (one per output: " << joinNames(outputNames_)
                        << "), got " << outGrads.size());
  for (size_t k = 0; k < outGrads.size(); ++k) {
    if (outGrads[k].isNone()) continue;
    IST_CHECK(outGrads[k].shape() == outputs_[k].shape(), "backward", "out_grads",
              "head gradient " << k << " has shape " << shapeString(outGrads[k].shape()) << " but output '"
                               << outputNames_[k] << "' has shape " << shapeString(outputs_[k].shape()));
  }
  for (size_t k = 0; k < headGrads_.size(); ++k) {
    if (headGrads_[k].isNone()) continue;
    if (k < outGrads.size() && !outGrads[k].isNone()) {
      copyFromTo(outGrads[k], headGrads_[k]);
      headGradIsOnes_[k] = false;
    } else if (!headGradIsOnes_[k]) {
      push(headOnes_[k], isTrain);
      headGradIsOnes_[k] = true;
    }
  }
  for (auto& r : monitor_ ? backwardRuns_ : fusedBackwardRuns_) {
    if (monitor_ && monitorAll_) monitorRun(*r, true);
    push(r, isTrain);
    if (monitor_) monitorRun(*r, false);
  }
  for (auto& r : gradFinish_) push(r, isTrain);
}

void GraphExecutor::setMonitor(MonitorFn fn, bool monitorAll) {
  monitor_ = std::move(fn);
  monitorAll_ = monitorAll;
}

std::string GraphExecutor::planJSON() const {
  std::ostringstream os;
  os << "{\"planned_bytes\":" << plan_.plannedBytes << ",\"naive_bytes\":" << plan_.naiveBytes
     << ",\"inplace\":" << plan_.numInplace << ",\"reused\":" << plan_.numReused
     << ",\"slots\":" << plan_.slotElems.size() << ",\"entries\":[";
  bool first = true;
  for (uint32_t nid = 0; nid < graph_.nodes.size(); ++nid) {
    const Node& n = *graph_.nodes[nid];
    for (uint32_t e = graph_.entryBase[nid]; e < graph_.entryBase[nid + 1]; ++e) {
      os << (first ? "" : ",") << "{\"node\":" << jsonStr(n.name) << ",\"op\":"
         << jsonStr(n.isVariable() ? "null" : n.attrs.op->name) << ",\"output\":" << (e - graph_.entryBase[nid])
         << ",\"backward\":" << (nid >= numForwardNodes_ ? "true" : "false") << ",\"shape\":[";
      const Shape& s = graph_.shapes[e];
      for (size_t i = 0; i < s.size(); ++i) os << (i ? "," : "") << s[i];
      os << "],\"dtype\":" << jsonStr(dtypeName(static_cast<DType>(graph_.dtypes[e])))
         << ",\"storage\":" << plan_.storage[e] << ",\"inplace_of\":" << plan_.inplaceOf[e] << "}";
      first = false;
    }
  }
  os << "],\"fused\":[";
  for (size_t k = 0; k < fusedNames_.size(); ++k) {
    os << (k ? ",[" : "[");
    for (size_t i = 0; i < fusedNames_[k].size(); ++i) os << (i ? "," : "") << jsonStr(fusedNames_[k][i]);
    os << "]";
  }
  os << "]}";
  return os.str();
}

}  // namespace ist
