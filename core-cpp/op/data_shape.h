// Data-dependent output shapes: a per-op hook that imperative invoke calls when an op's output shape
// depends on input VALUES (e.g. _contrib_boolean_mask's row count), not on input shapes alone.
//
// The op's static shape rule (Op::inferShapeFn) still checks the inputs and fills what shapes alone
// decide, leaving the rest unknown (so Symbol inference reports it cannot be decided). When an output
// is still unknown after it, invokeOp (op/imperative.cc) calls the op's hook with the concrete
// inputs; the hook may block to read input values on the host (NDArray::syncCopyToCPU waits for
// pending writers and copies from any device). Header-only so no build file changes: the table is a
// function-local static of an inline function, one per program. Registration happens during static
// initialisation, lookups afterwards, so the table needs no lock.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>
#include "ndarray/ndarray.h"
#include "op/registry.h"

namespace ist {

// Fills the unknown entries of `out` (already holding what the static rule inferred) from the
// attributes and the concrete inputs, or throws IsotensorError naming the op and the argument.
using FDataShape =
    std::function<void(const NodeAttrs& attrs, const std::vector<NDArray>& in, std::vector<Shape>& out)>;

namespace datashape {
inline std::map<std::string, FDataShape>& table() {
  static auto* t = new std::map<std::string, FDataShape>();  // never destroyed: read until exit
  return *t;
}
}  // namespace datashape

// Registers op `name`'s hook (its canonical name, as Op::name); returns true so a registration can
// initialise a namespace-scope constant.
inline bool registerDataShape(const std::string& name, FDataShape fn) {
  datashape::table()[name] = std::move(fn);
  return true;
}

// The hook of op `name`, or null when it has none.
inline const FDataShape* findDataShape(const std::string& name) {
  const auto& t = datashape::table();
  auto it = t.find(name);
  return it == t.end() ? nullptr : &it->second;
}

}  // namespace ist
