// Helpers of the legacy layers (legacy_layers.cc, batch_norm_relu.cc): ops that run a modern op's
// computes (CPU, GPU and the GPU kernel's CPU twin) with translated params.
#pragma once
#include <memory>
#include <string>
#include <vector>
#include "base/error.h"
#include "op/device_compute.h"
#include "op/registry.h"

namespace ist {
namespace legacy {

// A legacy op's params: P's own fields, plus P::modern, the parsed attrs of the op P::kModern it
// runs as, from P::translate(p, dict) (which also rejects what the legacy op never supported).
template <typename P>
class LegacyDecl : public ParamDecl<P> {
 public:
  std::shared_ptr<const void> parse(const AttrDict& d, const char* op) const override {
    auto p = std::make_shared<P>(*std::static_pointer_cast<const P>(ParamDecl<P>::parse(d, op)));
    const Op& m = OpRegistry::get(P::kModern);
    p->modern.op = &m;
    p->modern.dict = P::translate(*p, d);
    p->modern.parsed = m.schema->parse(p->modern.dict, op);
    return p;
  }
};

// Registers op `name` with LegacyDecl<P> params.
template <typename P>
Op& addLegacyOp(const char* name) {
  Op& op = OpRegistry::add(name);
  op.schema = std::make_shared<LegacyDecl<P>>();
  return op;
}

// Runs the compute a.op registered for device type dev (Context::kCPU, Context::kGPU or
// kGpuKernelOnCpu); ops without a CPU twin run their CPU compute for it.
inline void runCompute(int dev, const NodeAttrs& a, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& fns = a.op->computeFns;
  auto it = fns.find(dev);
  if (it == fns.end() && dev == kGpuKernelOnCpu) it = fns.find(Context::kCPU);
  if (it != fns.end()) return it->second(a, ctx, in, req, out);
  const FCompute* f = a.op->computeFor(dev);  // GPU: host staging around the CPU compute
  IST_CHECK(f != nullptr, a.op->name, "device", "has no compute for device type " << dev);
  (*f)(a, ctx, in, req, out);
}

// Attrs of a registered op (scalar ops take {"scalar", ...}).
inline NodeAttrs attrsOf(const char* op, const AttrDict& d = {}) { return OpRegistry::get(op).parseAttrs(d); }

using DevCompute = void (*)(int dev, const NodeAttrs&, const OpContext&, const std::vector<TBlob>&,
                            const std::vector<OpReq>&, const std::vector<TBlob>&);

// Attaches f as op's compute for the CPU, the GPU and the CPU twin of the GPU path: each runs the
// modern op's compute of the same kind.
inline Op& onAllDevices(Op& op, DevCompute f) {
  for (int dev : {static_cast<int>(Context::kCPU), static_cast<int>(Context::kGPU), kGpuKernelOnCpu})
    op.compute(dev, [f, dev](const NodeAttrs& a, const OpContext& c, const std::vector<TBlob>& in,
                             const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
      f(dev, a, c, in, req, out);
    });
  return op;
}

// Runs fn, re-labelling errors the modern op `from` raises as the legacy op `to`'s.
template <typename F>
void as(const char* to, const std::string& from, F&& fn) {
  try {
    fn();
  } catch (const IsotensorError& e) {
    std::string m = e.what();
    if (m.compare(0, from.size() + 1, from + ":") == 0) m = std::string(to) + m.substr(from.size());
    throw IsotensorError(m);
  }
}

}  // namespace legacy
}  // namespace ist
