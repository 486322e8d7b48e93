// MXNet's symbol JSON: the exact bytes MXNet 1.9 writes (nnvm SaveJSON through dmlc's JSONWriter) and a
// reader for every older variant (attr/param keys, 2-element inputs, pre-0.9 files without aux inputs).
#pragma once
#include <string>
#include "graph/symbol.h"

namespace ist {

// MXNet's version stamp written into "attrs": 1.9.1.
constexpr int kMXNetVersion = 10901;

std::string symbolToJSON(const Symbol& s);
// Throws IsotensorError naming the node, field or operator at fault.
Symbol symbolFromJSON(const std::string& json);

}  // namespace ist
