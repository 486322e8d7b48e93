// Custom autograd functions: the _CustomFunction record op, its host-called backward, id release.
#include "autograd/custom_function.h"
#include <mutex>
#include "autograd/autograd.h"
#include "base/error.h"
#include "graph/node.h"
#include "op/imperative.h"

namespace ist {
namespace autograd {

namespace {

struct CustomFunctionParam {
  int num_args, num_outputs, id;
  static void declare(ParamDecl<CustomFunctionParam>& d) {
    d.field("num_args", &CustomFunctionParam::num_args).range(0, 1 << 20).doc("Number of inputs.");
    d.field("num_outputs", &CustomFunctionParam::num_outputs).range(1, 1 << 20).doc("Number of outputs.");
    d.field("id", &CustomFunctionParam::id).doc("Host-side function id.");
  }
};

struct CustomBackwardParam {
  int num_args, num_inputs, id;
  static void declare(ParamDecl<CustomBackwardParam>& d) {
    d.field("num_args", &CustomBackwardParam::num_args).range(0, 1 << 20).doc("Output gradients + inputs.");
    d.field("num_inputs", &CustomBackwardParam::num_inputs).range(0, 1 << 20).doc("Inputs of the function.");
    d.field("id", &CustomBackwardParam::id).doc("Host-side function id.");
  }
};

// Function-local statics: the WASM build installs its hook from another file's static initialiser.
struct CustomState {
  std::mutex mutex;
  CustomBackwardHook hook;
  std::vector<int> released;
};
CustomState& state() {
  static CustomState* s = new CustomState();  // never destroyed: nodes may die during static teardown
  return *s;
}

// Recorded only (never invoked): forward ran on the host.
IST_REGISTER_OP(_CustomFunction)
    .describe("A node recorded for a custom autograd Function (forward and backward run on the host).")
    .variadic("data", "num_args")
    .params<CustomFunctionParam>()
    .numOutputs([](const NodeAttrs& a) { return a.get<CustomFunctionParam>().num_outputs; })
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      const auto& p = n->attrs.get<CustomFunctionParam>();
      // Inputs: the output gradients, then the forward inputs (for their shapes).
      std::vector<NodeEntry> in = og;
      in.insert(in.end(), n->inputs.begin(), n->inputs.end());
      NodePtr b = makeNode("_CustomFunctionBackward", in,
                           {{"num_inputs", std::to_string(p.num_args)}, {"id", std::to_string(p.id)}});
      std::vector<NodeEntry> r;
      for (int i = 0; i < p.num_args; ++i) r.push_back(NodeEntry{b, static_cast<uint32_t>(i)});
      return r;
    });

IST_REGISTER_OP(_CustomFunctionBackward)
    .describe("The host callback computing a custom Function's input gradients.")
    .variadic("ograds", "num_args")
    .params<CustomBackwardParam>()
    .numOutputs([](const NodeAttrs& a) { return a.get<CustomBackwardParam>().num_inputs; });

}  // namespace

void setCustomBackwardHook(CustomBackwardHook hook) {
  std::lock_guard<std::mutex> lk(state().mutex);
  state().hook = std::move(hook);
}

void recordCustom(int id, const std::vector<NDArray>& inputs, std::vector<NDArray>& outputs) {
  if (!shouldRecord(inputs)) return;
  NodeAttrs attrs = OpRegistry::get("_CustomFunction")
                        .parseAttrs({{"num_args", std::to_string(inputs.size())},
                                     {"num_outputs", std::to_string(outputs.size())},
                                     {"id", std::to_string(id)}});
  attrs.op->countCall(static_cast<int>(outputs.empty() ? DType::kFloat32 : outputs[0].dtype()));
  recordOp(attrs, inputs, outputs);
  // The node holds a token whose release tells the host it may forget function `id`.
  const NodePtr& node = outputs.empty() ? nullptr : outputs[0].agNode();
  if (node) {
    node->hostToken = std::shared_ptr<void>(nullptr, [id](void*) {
      std::lock_guard<std::mutex> lk(state().mutex);
      state().released.push_back(id);
    });
  }
}

bool isCustomBackward(const Op& op) { return op.name == "_CustomFunctionBackward"; }

std::vector<NDArray> runCustomBackward(const NodeAttrs& attrs, const std::vector<NDArray>& args) {
  const auto& p = attrs.get<CustomBackwardParam>();
  attrs.op->countCall(args.empty() ? 0 : static_cast<int>(args[0].dtype()));
  size_t nOg = args.size() - p.num_inputs;
  std::vector<NDArray> ograds(args.begin(), args.begin() + nOg);
  std::vector<Shape> inputShapes;
  for (size_t i = nOg; i < args.size(); ++i) inputShapes.push_back(args[i].shape());
  CustomBackwardHook hook;
  {
    std::lock_guard<std::mutex> lk(state().mutex);
    hook = state().hook;
  }
  IST_CHECK(static_cast<bool>(hook), "autograd.Function", "backward",
            "no host callback is installed for custom functions");
  std::vector<NDArray> g = hook(p.id, ograds, p.num_inputs);
  IST_CHECK(static_cast<int>(g.size()) == p.num_inputs, "autograd.Function", "backward",
            "backward returned " << g.size() << " gradient(s) for " << p.num_inputs << " input(s)");
  for (size_t i = 0; i < g.size(); ++i) {
    if (g[i].isNone()) {  // no gradient for this input: zeros keep the graph's arithmetic simple
      g[i] = invokeOp(OpRegistry::get("zeros_like"), {args[nOg + i].detach()}, {})[0];
      continue;
    }
    IST_CHECK(g[i].shape() == inputShapes[i], "autograd.Function", "backward",
              "gradient " << i << " has shape " << shapeString(g[i].shape()) << " but input " << i << " has shape "
                          << shapeString(inputShapes[i]));
  }
  return g;
}

std::vector<int> takeReleasedCustom() {
  std::lock_guard<std::mutex> lk(state().mutex);
  std::vector<int> r;
  r.swap(state().released);
  return r;
}

}  // namespace autograd
}  // namespace ist
