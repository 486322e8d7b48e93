// Shape and dtype inference over a graph: each op's inferShapeFn/inferTypeFn applied forward and
// backward until nothing changes (MXNet's InferShape/InferType passes).
#pragma once
#include <string>
#include "graph/pass.h"

namespace ist {

// Fills g.shapes (seeded from g.shapes when it already has one entry per graph entry, plus each
// variable's "__shape__" attribute; 0 dims there are unknown). Sets attr "shape_num_unknown"
// (size_t: entries not fully known). A conflict — two different known shapes for one entry, or
// an op rejecting known shapes — throws IsotensorError naming the node, op, argument and shapes.
// An op that fails while some of its inputs are still unknown is retried on later sweeps; if it
// never succeeds, its error is kept as attr "shape_error" (std::string) for non-partial callers.
void inferShapes(Graph& g);
// Same for dtypes: g.dtypes (-1 unknown), variables' "__dtype__"; attrs "dtype_num_unknown",
// "dtype_error".
void inferTypes(Graph& g);

// Partial knowledge, as inference merges it: an unknown rank or dim takes the other side's; false
// on a conflict. The strings print unknown values as "?".
bool mergeShapes(const Shape& a, const Shape& b, Shape* out);
bool mergeDTypes(int a, int b, int* out);
std::string partialShapeString(const Shape& s);
std::string partialDTypeString(int t);

// For error messages of callers: "data (2,3), weight (4,3), bias ?" of node `n`'s input entries.
std::string describeNodeInputs(const Graph& g, const Node& n);

}  // namespace ist
