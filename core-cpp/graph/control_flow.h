// Control-flow operators (_foreach, _while_loop, _cond): MXNet's subgraph ops, in Symbol graphs.
//
// Such a node keeps its bodies in Node::subgraphs (MXNet's FInputGraph inputs: composition's first
// one, two or three arguments) and its inputs in MXNet's order, mapped onto each body's inputs by
// the *_locs params (python/mxnet/symbol/contrib.py builds them; ts/symbol/control_flow.ts does the
// same). Shape and dtype inference run the bodies' inference (graph/infer_graph.cc calls the rules
// here). A bound executor runs them unrolled (lowerControlFlow): foreach once per step of its data,
// while_loop max_iterations times with its loop variables frozen once the condition has been false,
// cond with both branches computed and the taken one selected. The unrolled graph is an ordinary
// one, so gradients, memory planning and every device come from the ops it is made of.
#pragma once
#include <string>
#include <vector>
#include "graph/pass.h"
#include "graph/symbol.h"

namespace ist {

// How many of an op's composition arguments are subgraphs: 1 (_foreach), 2 (_while_loop),
// 3 (_cond), 0 for every other op.
int controlFlowSubgraphCount(const Op& op);

// A control-flow node's shape and dtype rules: its bodies' inference, seeded with what `in` and
// `out` already know; fills both. Throws IsotensorError naming the op when values conflict or,
// with every input known, when a body cannot be inferred.
void inferControlFlowShapes(const Node& n, std::vector<Shape>& in, std::vector<Shape>& out);
void inferControlFlowTypes(const Node& n, std::vector<int>& in, std::vector<int>& out);

// True when a node of `g` is a control-flow op.
bool hasControlFlow(const Graph& g);

// The output entries of `g` with every control-flow node of its top level replaced by the unrolled
// ops (their bodies may hold more: lower again after inference). Needs g.shapes and g.dtypes known.
std::vector<NodeEntry> lowerControlFlow(const Graph& g);

// MXNet's MXSymbolCutSubgraph: in the graph `g` whose first output's node carries attribute
// "__subgraph_name__", every input entry of a node of that subgraph that comes from a node outside
// it is replaced by a new variable named after the entry ("fc1_output", or the variable's name; one
// variable per distinct entry). Returns the cut entries, one output each, in that order.
Symbol cutSubgraph(Symbol& g);

}  // namespace ist
