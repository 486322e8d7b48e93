// Error naming for _backward_* ops that reuse their forward op's checks: an IsotensorError raised
// inside is re-raised prefixed with the backward op's name, so every message names the op the
// user (or the gradient pass) actually ran, e.g. "_backward_dot: dot: argument 'rhs': ...".
#pragma once
#include <string>
#include <utility>
#include "base/error.h"
#include "op/registry.h"

namespace ist {

[[noreturn]] inline void rethrowNamed(const std::string& op, const IsotensorError& e) {
  const std::string msg = e.what();
  if (msg.compare(0, op.size() + 1, op + ":") == 0) throw e;
  throw IsotensorError(op + ": " + msg);
}

inline FInferShape namedShape(std::string op, FInferShape f) {
  return [op = std::move(op), f = std::move(f)](const NodeAttrs& a, std::vector<Shape>& in,
                                                std::vector<Shape>& out) {
    try {
      f(a, in, out);
    } catch (const IsotensorError& e) {
      rethrowNamed(op, e);
    }
  };
}

// Shape rule of a `_backward_<op>` taking (output gradients..., forward inputs...): checks the
// forward inputs with the forward rule, then that each output gradient matches its forward output,
// so a malformed direct call fails with a clear error instead of reaching the kernel.
inline void checkAgainstForward(const std::string& op, const FInferShape& forward, const NodeAttrs& attrs,
                                const std::vector<Shape>& ograds, std::vector<Shape> forwardIn) {
  std::vector<Shape> forwardOut(ograds.size(), unknownShape());
  namedShape(op, forward)(attrs, forwardIn, forwardOut);
  for (size_t i = 0; i < ograds.size(); ++i) {
    if (!shapeIsKnown(forwardOut[i]) || !shapeIsKnown(ograds[i])) continue;
    IST_CHECK(ograds[i] == forwardOut[i], op, "ograd",
              "output gradient " << i << " has shape " << shapeString(ograds[i]) << " but the forward output is "
                                 << shapeString(forwardOut[i]) << " for inputs " << shapesString(forwardIn));
  }
}

inline FCompute namedCompute(std::string op, FCompute f) {
  return [op = std::move(op), f = std::move(f)](const NodeAttrs& a, const OpContext& ctx,
                                                const std::vector<TBlob>& in,
                                                const std::vector<OpReq>& req,
                                                const std::vector<TBlob>& out) {
    try {
      f(a, ctx, in, req, out);
    } catch (const IsotensorError& e) {
      rethrowNamed(op, e);
    }
  };
}

}  // namespace ist
