// The operator registry: one record per op (MXNet name, inputs, typed params, inference, compute).
//
// An op is one registration in core-cpp/ops/<family>/:
//
//   IST_REGISTER_OP(clip)
//       .describe("Clips values to [a_min, a_max].")
//       .inputs({"data"})
//       .params<ClipParam>()
//       .inferShape(inferSameShape)
//       .inferType(inferSameType)
//       .compute(Context::kCPU, clipCompute);
//
// NDArray (imperative), Symbol, autograd and the generated TS functions all read this record.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>
#include "base/context.h"
#include "base/dtype.h"
#include "base/shape.h"
#include "engine/engine.h"
#include "ndarray/tblob.h"
#include "op/params.h"

namespace ist {

class Op;
struct Node;
struct NodeEntry;

// An op applied with concrete attributes: the raw strings and the parsed struct.
struct NodeAttrs {
  const Op* op = nullptr;
  AttrDict dict;
  std::shared_ptr<const void> parsed;
  template <typename P> const P& get() const { return *static_cast<const P*>(parsed.get()); }
};

enum class OpReq { kNull, kWriteTo, kWriteInplace, kAddTo };

class PreparedInput;  // op/prepared_input.h

struct OpContext {
  bool isTrain = false;
  RunContext run;
  // Philox stream for random ops: key and the first counter reserved for this call.
  uint64_t rngKey = 0;
  uint64_t rngCounter = 0;
  // A bound executor's cache for this node's prepared weights (inference runs); null otherwise.
  PreparedInput* prepared = nullptr;
};

// Shapes: unknown ones are unknownShape() or hold kUnknownDim dims (base/shape.h). Inference fills
// outputs (and may fill unknown inputs, for Symbol) or throws IsotensorError.
using FInferShape = std::function<void(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out)>;
// dtypes: -1 means unknown.
using FInferType = std::function<void(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out)>;
using FCompute = std::function<void(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in,
                                    const std::vector<OpReq>& req, const std::vector<TBlob>& out)>;
using FNumIO = std::function<int(const NodeAttrs&)>;

// An element-wise op's CPU row function for one dtype, for the executor's element-wise fusion
// (graph/fuse_elemwise.h): out = f(in) or out = f(a, b) over n contiguous elements (binary rows
// take element strides 0 or 1). A scalar op is the binary row with the scalar as a stride-0
// operand (first when `reverse`). Running the rows block by block gives the bits of the op.
struct ElemRow {
  void (*unary)(int64_t n, void* out, const void* in) = nullptr;
  void (*binary)(int64_t n, void* out, const void* a, int64_t sa, const void* b, int64_t sb) = nullptr;
  bool hasScalar = false, reverse = false;
  alignas(8) unsigned char scalar[8] = {};  // the scalar in the op's dtype
  int64_t cost = 1;                         // rough ops per element (parallelFor's cost)
};
// Fills *row for these attributes and dtype (the inputs' and output's); false when the op does
// not fuse with them (e.g. a dtype its compute rejects).
using FElemRow = bool (*)(const NodeAttrs&, int dtype, ElemRow* row);
// The gradient as a graph of registered ops (graph/node.h builds it): given the forward node and
// one gradient entry per output, returns one entry per input (a null entry: no gradient flows).
// Autograd and Symbol's backward pass both call it. The forward node's inputs and outputs
// (NodeEntry{node, i}) may be used; outputs are kept by autograd, so prefer them when cheaper.
using FGradient = std::function<std::vector<NodeEntry>(const std::shared_ptr<Node>& node,
                                                       const std::vector<NodeEntry>& ograds)>;

// The optional inputs a node's params call for, in order: MXNet's FListInputNames past the fixed
// inputs (FullyConnected lists "bias" unless no_bias). Symbol's JSON and argument names follow it.
using FOptionalInputs = std::function<std::vector<std::string>(const NodeAttrs&)>;

class Op {
 public:
  explicit Op(std::string name) : name(std::move(name)) {}

  std::string name;
  std::vector<std::string> aliases;
  std::string doc;
  std::vector<std::string> inputNames;     // fixed inputs, in order
  std::string variadicInput;               // non-empty: inputs are variadic, counted by param `variadicCount`
  std::string variadicCount;               // name of the int param giving the count (e.g. "num_args")
  std::vector<std::string> optionalInputNames;  // every optional input the op may take, in order
  FOptionalInputs optionalInputsFn;             // those a node's params call for
  std::vector<std::string> outputNames;    // default {"output"}
  FNumIO numOutputsFn;                     // when the count depends on params
  FNumIO numVisibleOutputsFn;              // outputs users see (the rest, e.g. BatchNorm's saved
                                           // mean/var or Dropout's mask, exist for the gradient)
  std::vector<int> mutableInputs;          // inputs the op updates in place (BatchNorm moving stats)
  std::shared_ptr<ParamSchema> schema = std::make_shared<ParamDecl<NoParam>>();
  FInferShape inferShapeFn;
  FInferType inferTypeFn;
  std::map<int, FCompute> computeFns;      // by Context::DevType
  std::vector<std::pair<int, int>> inplacePairs;  // (input, output) that may share memory
  bool random = false;                     // reserves a Philox counter range per call
  bool creation = false;                   // takes ctx/dtype attributes instead of inputs
  FGradient gradientFn;                    // empty: not differentiable (backward through it fails)
  FElemRow elemRowFn = nullptr;            // element-wise ops the executor may fuse (CPU)
  // The input (weights) whose prepared form the CPU compute can keep in OpContext::prepared across
  // an executor's inference runs; -1: none.
  int preparedInput = -1;
  // Calls per dtype of the first input (or output), for the operator coverage report.
  mutable std::atomic<uint64_t> callsByDType[16] = {};
  void countCall(int dtype) const { callsByDType[dtype >= 0 && dtype < 16 ? dtype : 15].fetch_add(1, std::memory_order_relaxed); }

  // Builder methods, chained in registrations.
  // IST_OP_DOCS=0 (the WASM builds, wasm/flags.mk) leaves the doc strings out of the binary: they are
  // ~0.7 MB of the .wasm, and the generated TypeScript wrappers already carry them (from the addon).
  template <typename S> Op& describe(S&& d) {
    if constexpr (kOpDocs) doc = std::forward<S>(d);
    return *this;
  }
  Op& alias(const std::string& a);
  Op& inputs(std::vector<std::string> names) { inputNames = std::move(names); return *this; }
  Op& variadic(const std::string& inputName, const std::string& countParam) {
    variadicInput = inputName; variadicCount = countParam; return *this;
  }
  // Names the optional inputs (counted per call, see `variadic`): all of them, and which of them a
  // node's params call for.
  Op& optionalInputs(std::vector<std::string> all, FOptionalInputs present) {
    optionalInputNames = std::move(all); optionalInputsFn = std::move(present); return *this;
  }
  // One optional input, present when `when` holds for the node's params.
  Op& optionalInput(const std::string& name, std::function<bool(const NodeAttrs&)> when) {
    return optionalInputs({name}, [name, when = std::move(when)](const NodeAttrs& a) {
      return when(a) ? std::vector<std::string>{name} : std::vector<std::string>{};
    });
  }
  Op& outputs(std::vector<std::string> names) { outputNames = std::move(names); return *this; }
  Op& numOutputs(FNumIO f) { numOutputsFn = std::move(f); return *this; }
  Op& numVisibleOutputs(FNumIO f) { numVisibleOutputsFn = std::move(f); return *this; }
  Op& mutateInputs(std::vector<int> inputs) { mutableInputs = std::move(inputs); return *this; }
  template <typename P> Op& params() { schema = std::make_shared<ParamDecl<P>>(); return *this; }
  Op& inferShape(FInferShape f) { inferShapeFn = std::move(f); return *this; }
  Op& inferType(FInferType f) { inferTypeFn = std::move(f); return *this; }
  Op& compute(int devType, FCompute f) { computeFns[devType] = std::move(f); return *this; }
  Op& inplace(int in, int out) { inplacePairs.emplace_back(in, out); return *this; }
  Op& setRandom() { random = true; return *this; }
  Op& setCreation() { creation = true; return *this; }
  Op& gradient(FGradient f) { gradientFn = std::move(f); return *this; }
  Op& elemRow(FElemRow f) { elemRowFn = f; return *this; }
  Op& prepares(int input) { preparedInput = input; return *this; }
  // Differentiable with a zero gradient everywhere (comparisons, rounding, argmax...).
  Op& zeroGradient();

  // Derived queries.
  int numInputs(const NodeAttrs& attrs) const;
  int numOutputs(const NodeAttrs& attrs) const;
  int numVisibleOutputs(const NodeAttrs& attrs) const;
  NodeAttrs parseAttrs(const AttrDict& dict) const;
  const FCompute* computeFor(int devType) const;
};

class OpRegistry {
 public:
  static Op& add(const std::string& name);
  // nullptr when absent (aliases resolve to their op).
  static const Op* find(const std::string& name);
  // Throws IsotensorError "unknown operator".
  static const Op& get(const std::string& name);
  static std::vector<const Op*> list();
  // Attaches a device compute to op `name` whether or not it is registered yet: files of
  // other devices (e.g. .cu) register in no fixed order relative to the op's own file.
  static void addCompute(const std::string& name, int devType, FCompute fn);
  // Attaches a gradient the same way, so a family's gradients can live in their own file.
  static void setGradient(const std::string& name, FGradient fn);
  static std::string listJSON();
  // {"op": {"float32": calls, ...}, ...} for ops called at least once since start-up.
  static std::string callCountsJSON();
};

#define IST_OP_CONCAT_(a, b) a##b
#define IST_OP_CONCAT(a, b) IST_OP_CONCAT_(a, b)
// Registers op `name` (a bare MXNet identifier) at static-initialisation time.
#define IST_REGISTER_OP(name) \
  static ::ist::Op& IST_OP_CONCAT(ist_op_reg_, __COUNTER__) [[maybe_unused]] = ::ist::OpRegistry::add(#name)

// Common inference rules.
void inferSameShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out);
void inferSameType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out);

}  // namespace ist
