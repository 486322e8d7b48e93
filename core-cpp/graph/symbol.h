// Symbol: a graph given by its output entries (MXNet's nnvm::Symbol); what a symbol handle points to.
//
// A symbol is built as in MXNet: variables, "atomic" op symbols (an op node with no inputs yet,
// from an op name and MXNet attribute strings) and composition, which fills an atomic symbol's
// inputs (by position or name; missing ones become variables named "<node>_<input>") or replaces
// the free variables of a composed one. Everything MXNet lists (arguments, aux states, outputs,
// internals, attributes) reads MXNet's view of each op (symbolInputNames etc. below), which may
// differ from the registry's internal wiring (optional inputs counted by a hidden attribute,
// extra outputs kept for the gradient).
#pragma once
#include <string>
#include <tuple>
#include <utility>
#include <vector>
#include "graph/node.h"

namespace ist {

struct Symbol {
  std::vector<NodeEntry> outputs;

  enum class InputKind { kAll, kArguments, kAuxStates };

  static Symbol variable(const std::string& name);
  // MXNet's CreateAtomicSymbol: keys such as "lr_mult" become "__lr_mult__"; parameters are parsed
  // (and checked) now, inputs come with compose().
  static Symbol atomic(const std::string& op, const AttrDict& attrs);
  static Symbol group(const std::vector<const Symbol*>& symbols);

  // MXNet's Symbol::Compose (in place): positional `args` and/or keyword `kwargs`. The head node is
  // renamed to `name` (also when empty, as MXNet does).
  void compose(const std::vector<const Symbol*>& args,
               const std::vector<std::pair<std::string, const Symbol*>>& kwargs, const std::string& name);
  // A deep copy of every node (shared variables stay shared inside the copy).
  Symbol copy() const;
  Symbol output(size_t index) const;
  Symbol internals() const;
  Symbol children() const;

  std::vector<NodePtr> listInputs(InputKind kind) const;
  std::vector<std::string> listInputNames(InputKind kind) const;
  std::vector<std::string> listOutputNames() const;

  // The head node's attribute (key "name": its name); false for groups and missing keys.
  bool getAttr(const std::string& key, std::string* out) const;
  void setAttr(const std::string& key, const std::string& value);
  // The head node's attributes plus the bare spelling of hidden keys ("lr_mult" beside "__lr_mult__").
  std::vector<std::pair<std::string, std::string>> listAttr() const;
  // (node name, key, value) for every node, inputs first.
  std::vector<std::tuple<std::string, std::string, std::string>> listAttrRecursive() const;
};

// MXNet's view of an op node.
// Input names as MXNet lists them for these attributes (optional inputs included when present;
// variadic ops: "arg0", "arg1", ...).
std::vector<std::string> symbolInputNames(const Node& n);
// Input i's name from symbolInputNames, or "input<i>" past its end.
std::string symbolInputName(const Node& n, size_t i);
// Output count as MXNet's JSON counts it (node_row_ptr) and the visible ones (internals, heads).
int symbolNumOutputs(const Node& n);
int symbolNumVisibleOutputs(const Node& n);
// Output `index`'s name without the node prefix ("output", "output0", "mean", ...).
std::string symbolOutputName(const Node& n, int index);
// Indices of inputs the op updates in place: MXNet's auxiliary states.
std::vector<int> symbolMutableInputs(const Node& n);
// Attributes as MXNet keeps them: the node's dict without isotensor's own bookkeeping keys.
AttrDict symbolVisibleAttrs(const Node& n);
// MXNet's FSetInputVarAttrOnCompose: initializer hints ("__init__") on the variable inputs of some
// ops (BatchNorm's moving_mean/moving_var, PReLU's gamma) that have none yet.
void symbolSetInputVarAttrs(const Node& n);
// MXNet's hidden attribute keys, stored as "__<key>__" ("lr_mult" -> "__lr_mult__").
extern const char* const kSymbolHiddenKeys[5];
// Re-derives isotensor's bookkeeping (optional-input count) and the parsed params after a node's
// inputs or attributes changed; throws naming the node when they do not fit the op.
void symbolFinishNode(Node& n);

}  // namespace ist
