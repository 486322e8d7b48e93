// Finds the executor's element-wise groups and compiles each into an ElemwiseProgram.
#include "graph/fuse_elemwise.h"
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include "ops/elemwise/fused_device.h"

namespace ist {

namespace {

// Bounds a program's temporaries (scratch per thread: kMaxNodes blocks; the device program's
// registers).
constexpr size_t kMaxNodes = kFusedMaxSteps;

// The node's row, when it is element-wise over one shape and dtype (on a GPU: float32 ops with a
// device code, fused_device.h).
bool fusableRow(const Graph& g, uint32_t nid, const std::vector<Context>& nodeCtx, ElemRow* row) {
  const Node& n = *g.nodes[nid];
  if (n.isVariable() || !n.attrs.op->elemRowFn) return false;
  if (nodeCtx[nid].isGPU() &&
      (g.dtypes[g.entryBase[nid]] != static_cast<int>(DType::kFloat32) || fusedCodeOf(n.attrs) < 0))
    return false;
  if (g.entryBase[nid + 1] - g.entryBase[nid] != 1 || n.inputs.empty() || n.inputs.size() > 2) return false;
  if (!n.attrs.op->mutableInputs.empty()) return false;
  const uint32_t out = g.entryBase[nid];
  for (const NodeEntry& x : n.inputs) {
    if (!x.node) return false;
    const uint32_t e = g.entryId(x);
    if (g.shapes[e] != g.shapes[out] || g.dtypes[e] != g.dtypes[out]) return false;
    if (!(nodeCtx[g.nodeId(x.node.get())] == nodeCtx[nid])) return false;
  }
  if (!n.attrs.op->elemRowFn(n.attrs, g.dtypes[out], row)) return false;
  // The row's arity must match the node's inputs (a scalar op is binary with one input).
  const size_t arity = row->unary ? 1 : row->hasScalar ? 1 : 2;
  return arity == n.inputs.size();
}

}  // namespace

bool elemwiseFusionEnabledByEnv() {
  const char* v = std::getenv("ISOTENSOR_FUSE_ELEMWISE");
  return !(v && std::strcmp(v, "0") == 0);
}

std::vector<ElemwiseGroup> findElemwiseGroups(const Graph& g, uint32_t begin, uint32_t end,
                                              const std::vector<uint32_t>& readers,
                                              const std::vector<Context>& nodeCtx, const std::vector<bool>& taken) {
  std::unordered_map<uint32_t, ElemRow> rows;
  std::unordered_map<uint32_t, std::vector<uint32_t>> members;  // root -> its group so far
  for (uint32_t nid = begin; nid < end; ++nid) {
    ElemRow row;
    if (taken[nid] || !fusableRow(g, nid, nodeCtx, &row)) continue;
    rows[nid] = row;
    std::vector<uint32_t> group;
    for (const NodeEntry& x : g.nodes[nid]->inputs) {
      const uint32_t p = g.nodeId(x.node.get());
      auto m = members.find(p);
      if (p < begin || m == members.end() || readers[g.entryId(x)] != 1) continue;
      if (group.size() + m->second.size() + 1 > kMaxNodes) continue;
      group.insert(group.end(), m->second.begin(), m->second.end());
      members.erase(m);
    }
    std::sort(group.begin(), group.end());
    group.push_back(nid);
    members[nid] = std::move(group);
  }

  std::vector<ElemwiseGroup> groups;
  for (auto& kv : members) {
    if (kv.second.size() < 2) continue;
    ElemwiseGroup grp;
    grp.nodes = kv.second;
    ElemwiseProgram& p = grp.program;
    const uint32_t root = grp.nodes.back();
    std::unordered_map<uint32_t, int> tempOf;   // member node -> its temporary
    std::unordered_map<uint32_t, int> inputOf;  // entry -> external input index
    p.elemSize = dtypeSize(static_cast<DType>(g.dtypes[g.entryBase[root]]));
    p.cost = 0;
    for (uint32_t nid : grp.nodes) {
      ElemwiseProgram::Step s;
      s.row = rows.at(nid);
      const Node& n = *g.nodes[nid];
      int operands[2] = {0, 0};
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        const uint32_t p2 = g.nodeId(n.inputs[i].node.get());
        auto t = tempOf.find(p2);
        if (t != tempOf.end() && n.inputs[i].index == 0) {
          operands[i] = ElemwiseProgram::temp(t->second);
          continue;
        }
        const uint32_t e = g.entryId(n.inputs[i]);
        auto in = inputOf.find(e);
        if (in == inputOf.end()) {
          in = inputOf.emplace(e, static_cast<int>(grp.inputs.size())).first;
          grp.inputs.push_back(e);
        }
        operands[i] = in->second;
      }
      s.a = operands[0];
      s.b = n.inputs.size() > 1 ? operands[1] : operands[0];  // unary and scalar steps read a only
      s.deviceCode = fusedCodeOf(n.attrs);
      if (s.row.hasScalar && p.elemSize == sizeof(float)) std::memcpy(&s.scalar, s.row.scalar, sizeof(float));
      if (nid == root) {
        s.out = -1;
      } else {
        s.out = p.numTemps;
        tempOf[nid] = p.numTemps++;
      }
      p.cost += s.row.cost;
      p.steps.push_back(s);
    }
    p.onDevices = g.dtypes[g.entryBase[root]] == static_cast<int>(DType::kFloat32) &&
                  grp.inputs.size() <= static_cast<size_t>(kFusedMaxInputs) &&
                  std::all_of(p.steps.begin(), p.steps.end(), [](const ElemwiseProgram::Step& st) { return st.deviceCode >= 0; });
    groups.push_back(std::move(grp));
  }
  std::sort(groups.begin(), groups.end(),
            [](const ElemwiseGroup& a, const ElemwiseGroup& b) { return a.nodes.back() < b.nodes.back(); });
  return groups;
}

}  // namespace ist
