// Memory planning by reference counting over the topological order (MXNet's PlanMemory, simplified).
//
// Walking the nodes in execution order, each output gets (1) the slot of an input that dies at
// this node when the op declares that (input, output) pair in-place-safe and both have the same
// dtype and element count, else (2) the smallest free slot of its dtype that is large enough
// (within a factor of 16), else (3) the largest smaller free slot, grown, else (4) a new slot.
// Inputs are released after the node's outputs are placed, so an output never aliases an input
// except in place. Because each slot becomes one storage chunk with one engine Var, the engine
// orders a reuse after every read of the slot's previous tenant.
#include "graph/plan_memory.h"
#include <cstdlib>
#include <map>
#include <string>

namespace ist {

namespace {

constexpr size_t kMatchRange = 16;

struct FreeLists {
  std::map<std::pair<int, int>, std::multimap<size_t, int>> byKind;  // (dtype, device) -> (elements, slot)

  void release(int slot, int dtype, int device, size_t elems) { byKind[{dtype, device}].emplace(elems, slot); }

  // A free slot for `elems` elements of `dtype` on `device`, or -1; *grow is set when it must grow.
  int take(int dtype, int device, size_t elems, bool* grow) {
    *grow = false;
    auto& fl = byKind[{dtype, device}];
    if (fl.empty()) return -1;
    auto it = fl.lower_bound(elems);
    if (it != fl.end() && it->first <= elems * kMatchRange) {
      int slot = it->second;
      fl.erase(it);
      return slot;
    }
    if (it == fl.begin()) return -1;
    --it;  // the largest free slot smaller than the request
    if (it->first * kMatchRange < elems) return -1;
    int slot = it->second;
    fl.erase(it);
    *grow = true;
    return slot;
  }
};

}  // namespace

bool memoryPlanningEnabledByEnv() {
  const char* v = std::getenv("ISOTENSOR_NO_MEMORY_PLAN");
  return !(v && *v && std::string(v) != "0");
}

MemoryPlan planMemory(const Graph& g, const PlanOptions& opt) {
  const uint32_t numEntries = g.numEntries();
  IST_CHECK(g.shapes.size() == numEntries && g.dtypes.size() == numEntries, "plan_memory", "graph",
            "shapes and dtypes must be inferred first");
  auto isExternal = [&](uint32_t e) { return e < opt.external.size() && opt.external[e]; };
  auto isPinned = [&](uint32_t e) { return e < opt.pinned.size() && opt.pinned[e]; };
  auto deviceOf = [&](uint32_t e) { return e < opt.device.size() ? opt.device[e] : 0; };

  MemoryPlan plan;
  plan.storage.assign(numEntries, MemoryPlan::kExternal);
  plan.inplaceOf.assign(numEntries, -1);

  std::vector<uint32_t> refs(numEntries, 0);
  for (auto& n : g.nodes)
    for (auto& in : n->inputs)
      if (in.node) ++refs[g.entryId(in)];
  std::vector<std::vector<uint32_t>> keptUntil(g.nodes.size());
  for (auto& ka : opt.keepAlive) {
    ++refs[ka.first];
    keptUntil[ka.second].push_back(ka.first);
  }

  std::vector<int> slotUsers;  // live entries per slot
  FreeLists freeSlots;
  auto newSlot = [&](int dtype, int device, size_t elems) {
    plan.slotElems.push_back(elems);
    plan.slotDtype.push_back(dtype);
    plan.slotDevice.push_back(device);
    slotUsers.push_back(0);
    return static_cast<int>(plan.slotElems.size() - 1);
  };
  auto releaseEntry = [&](uint32_t e) {
    int s = plan.storage[e];
    if (s < 0 || isPinned(e)) return;
    if (--slotUsers[s] == 0 && opt.enabled)
      freeSlots.release(s, plan.slotDtype[s], plan.slotDevice[s], plan.slotElems[s]);
  };

  for (uint32_t nid = 0; nid < g.nodes.size(); ++nid) {
    const Node& n = *g.nodes[nid];
    const uint32_t base = g.entryBase[nid], nOut = g.entryBase[nid + 1] - base;
    for (uint32_t o = 0; o < nOut; ++o) {
      const uint32_t e = base + o;
      if (isExternal(e)) continue;
      IST_CHECK(!n.isVariable(), "plan_memory", n.name, "variable '" << n.name << "' has no bound array");
      const Shape& shape = g.shapes[e];
      const int dtype = g.dtypes[e];
      IST_CHECK(shapeIsKnown(shape) && dtype >= 0, n.attrs.op->name, "output",
                "node '" << n.name << "': output " << o << " has unknown shape " << shapeString(shape)
                         << " or dtype; infer shapes first");
      const size_t elems = static_cast<size_t>(shapeSize(shape));
      if (elems == 0) {
        plan.storage[e] = MemoryPlan::kOwn;
        continue;
      }
      plan.naiveBytes += elems * dtypeSize(static_cast<DType>(dtype));

      // (1) in place of a dying input (a pinned output may take it too: it just never frees it)
      if (opt.enabled) {
        for (auto& pr : n.attrs.op->inplacePairs) {
          if (pr.second != static_cast<int>(o) || pr.first >= static_cast<int>(n.inputs.size())) continue;
          const NodeEntry& inEntry = n.inputs[pr.first];
          if (!inEntry.node) continue;
          const uint32_t ie = g.entryId(inEntry);
          const int s = plan.storage[ie];
          if (s < 0 || isPinned(ie) || g.dtypes[ie] != dtype || deviceOf(ie) != deviceOf(e) ||
              shapeSize(g.shapes[ie]) != shapeSize(shape))
            continue;
          uint32_t usesHere = 0;
          for (auto& x : n.inputs) usesHere += x.node && g.entryId(x) == ie;
          if (refs[ie] != usesHere || slotUsers[s] != 1) continue;
          bool taken = false;  // another output of this node already sits in that slot
          for (uint32_t p = 0; p < o; ++p) taken |= plan.storage[base + p] == s;
          if (taken) continue;
          plan.storage[e] = s;
          plan.inplaceOf[e] = static_cast<int>(ie);
          ++slotUsers[s];
          ++plan.numInplace;
          break;
        }
        if (plan.storage[e] >= 0) continue;
      }

      // (2)-(4) a free slot of the dtype, or a new one
      bool grow = false;
      int s = opt.enabled ? freeSlots.take(dtype, deviceOf(e), elems, &grow) : -1;
      if (s >= 0) {
        if (grow) plan.slotElems[s] = elems;
        ++plan.numReused;
      } else {
        s = newSlot(dtype, deviceOf(e), elems);
      }
      plan.storage[e] = s;
      ++slotUsers[s];
    }

    for (auto& in : n.inputs) {
      if (!in.node) continue;
      const uint32_t ie = g.entryId(in);
      if (--refs[ie] == 0) releaseEntry(ie);
    }
    for (uint32_t ie : keptUntil[nid])
      if (--refs[ie] == 0) releaseEntry(ie);
    for (uint32_t o = 0; o < nOut; ++o)
      if (refs[base + o] == 0) releaseEntry(base + o);  // outputs nobody reads
  }

  for (size_t s = 0; s < plan.slotElems.size(); ++s)
    plan.plannedBytes += plan.slotElems[s] * dtypeSize(static_cast<DType>(plan.slotDtype[s]));
  return plan;
}

namespace {

const bool kPlanMemoryRegistered = [] {
  registerPass("PlanMemory", [](Graph g) {
    PlanOptions opt;
    if (g.hasAttr("plan_external")) opt.external = g.attr<std::vector<bool>>("plan_external");
    if (g.hasAttr("plan_pinned")) opt.pinned = g.attr<std::vector<bool>>("plan_pinned");
    if (g.hasAttr("plan_enabled")) opt.enabled = g.attr<bool>("plan_enabled");
    if (g.hasAttr("plan_device")) opt.device = g.attr<std::vector<int>>("plan_device");
    if (g.hasAttr("plan_keep_alive"))
      opt.keepAlive = g.attr<std::vector<std::pair<uint32_t, uint32_t>>>("plan_keep_alive");
    MemoryPlan plan = planMemory(g, opt);
    g.setAttr<MemoryPlan>("memory_plan", std::move(plan));
    return g;
  });
  return true;
}();

}  // namespace

}  // namespace ist
