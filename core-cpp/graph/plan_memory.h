// Static memory planning: liveness over the topological order assigns every op output a storage
// slot, in place of a dying input where the op allows it, else reusing a freed slot (best fit).
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>
#include "graph/pass.h"

namespace ist {

struct MemoryPlan {
  static constexpr int kExternal = -1;  // storage bound by the caller (arguments, gradients, ...)
  static constexpr int kOwn = -2;       // not planned: empty arrays (0 elements) get their own
  std::vector<int> storage;             // per entry: slot id >= 0, kExternal or kOwn
  std::vector<int> inplaceOf;           // per entry: the input entry whose slot it took over, or -1
  std::vector<size_t> slotElems;        // per slot: elements (the largest entry placed in it)
  std::vector<int> slotDtype;           // per slot: dtype flag (a slot holds one dtype)
  std::vector<int> slotDevice;          // per slot: device index (PlanOptions::device)
  size_t plannedBytes = 0;              // sum of slot sizes
  size_t naiveBytes = 0;                // one buffer per planned entry
  size_t numInplace = 0;                // entries placed in place of an input
  size_t numReused = 0;                 // entries placed in a slot freed by an earlier entry
};

struct PlanOptions {
  std::vector<bool> external;  // per entry: bound by the caller, not planned
  std::vector<bool> pinned;    // per entry: planned, but its buffer is never freed nor taken over in
                               // place (graph outputs, values backward reads)
  std::vector<int> device;     // per entry: device index (slots never span devices); empty: all 0
  // (entry, node): the entry stays live until that node has run, as if the node read it (a fused
  // run, pushed at its group's last node, reads the first node's inputs then).
  std::vector<std::pair<uint32_t, uint32_t>> keepAlive;
  bool enabled = true;         // false: one slot per entry, no reuse, nothing in place (for comparison)
};

// Needs g.shapes and g.dtypes fully known for every entry that is not external.
MemoryPlan planMemory(const Graph& g, const PlanOptions& opt);

// True unless ISOTENSOR_NO_MEMORY_PLAN is set to something other than "" or "0".
bool memoryPlanningEnabledByEnv();

// The "PlanMemory" pass reads attrs "plan_external", "plan_pinned" (std::vector<bool>), "plan_device"
// (std::vector<int>), "plan_keep_alive" (std::vector<std::pair<uint32_t, uint32_t>>) and
// "plan_enabled" (bool), all optional, and sets "memory_plan" (MemoryPlan).

}  // namespace ist
