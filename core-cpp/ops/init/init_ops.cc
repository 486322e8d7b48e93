// Creation ops (no data inputs): _zeros, _ones, _full, _arange, _linspace, _eye, and the
// input-shaped zeros_like, ones_like, _npi_full_like. Names, params and defaults follow MXNet 1.x
// (src/operator/tensor/init_op.*); `ctx` is read by the runtime to place the output.
#include <cmath>
#include <cstring>
#include <limits>
#include "kernels/cpu/kernel_cpu.h"
#include "op/registry.h"
#include "ops/init/init_device.h"

namespace ist {
namespace {

using init::InitParam;
using init::FullParam;
using init::RangeParam;
using init::LinspaceParam;
using init::EyeParam;
using init::FullLikeParam;

const char* opName(const NodeAttrs& attrs) { return attrs.op ? attrs.op->name.c_str() : "init"; }

void checkShapeParam(const Shape& s, const char* op) {
  for (int64_t d : s)
    IST_CHECK(d >= 0, op, "shape", "negative dimension " << d << " in shape " << shapeString(s));
}
void checkCtxParam(const std::string& ctx, const char* op) {
  if (!ctx.empty()) Context::parse(ctx, op);
}

// Output shape of an op with a `shape` param: keeps an already-known output (Symbol inference)
// when the param is the empty default, as MXNet's InitShape does.
template <typename P>
void initShape(const NodeAttrs& attrs, std::vector<Shape>&, std::vector<Shape>& out) {
  const auto& p = attrs.get<P>();
  checkShapeParam(p.shape, opName(attrs));
  checkCtxParam(p.ctx, opName(attrs));
  if (p.shape.empty() && shapeIsKnown(out[0])) return;
  out[0] = p.shape;
}

template <typename P>
void initType(const NodeAttrs& attrs, std::vector<int>&, std::vector<int>& out) {
  out[0] = static_cast<int>(dtypeFromName(attrs.get<P>().dtype, opName(attrs)));
}

// --- fills ---

using init::fromDouble;
using init::FillKernel;
using init::AddFillKernel;

void fillBlob(const TBlob& out, OpReq req, double value, const char* op) {
  if (req == OpReq::kNull || out.size() == 0) return;
  if (req == OpReq::kAddTo && value == 0) return;
  IST_TYPE_SWITCH_ALL(out.dtype, DT, op, {
    DT v = fromDouble<DT>(value);
    if (req == OpReq::kAddTo) Kernel<AddFillKernel, cpu>::launch(out.size(), out.data<DT>(), v);
    else if (value == 0) std::memset(out.dptr, 0, static_cast<size_t>(out.size()) * sizeof(DT));
    else Kernel<FillKernel, cpu>::launch(out.size(), out.data<DT>(), v);
  });
}

template <int kValue>
void constantCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>&,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  fillBlob(out[0], req[0], kValue, opName(attrs));
}

void fullCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>&,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  fillBlob(out[0], req[0], attrs.get<FullParam>().value, "_full");
}

void fullLikeCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>&,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  fillBlob(out[0], req[0], attrs.get<FullLikeParam>().fill_value, "_npi_full_like");
}

// --- arange ---

using init::rangeBounds;

void rangeShape(const NodeAttrs& attrs, std::vector<Shape>&, std::vector<Shape>& out) {
  const auto& p = attrs.get<RangeParam>();
  checkCtxParam(p.ctx, "_arange");
  IST_CHECK(p.step != 0, "_arange", "step", "step must not be 0");
  IST_CHECK(p.repeat > 0, "_arange", "repeat", "repeat must be positive, got " << p.repeat);
  double start;
  std::optional<double> stop;
  rangeBounds(p, &start, &stop);
  if (!stop) return;  // infer_range: the output shape comes from Symbol inference
  IST_CHECK(std::isfinite(start) && std::isfinite(*stop) && std::isfinite(p.step), "_arange", "stop",
            "range bounds must be finite");
  IST_CHECK(p.step > 0 ? start <= *stop : start >= *stop, "_arange", "stop",
            "invalid range (start, stop, step) = (" << start << ", " << *stop << ", " << p.step << ")");
  double n = std::ceil((*stop - start) / p.step) * p.repeat;
  IST_CHECK(n < 9.0e15, "_arange", "stop", "range of " << n << " elements is too large");
  out[0] = Shape{static_cast<int64_t>(n)};
}

using init::RangeKernel;

void rangeCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>&,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  init::rangeComputeWith(attrs, req, out, [](int64_t n, auto* y, auto s, auto st, int64_t repeat, OpReq r) {
    Kernel<RangeKernel, cpu>::launch(n, y, s, st, repeat, r);
  });
}

// --- linspace ---

void linspaceShape(const NodeAttrs& attrs, std::vector<Shape>&, std::vector<Shape>& out) {
  const auto& p = attrs.get<LinspaceParam>();
  checkCtxParam(p.ctx, "_linspace");
  IST_CHECK(p.num >= 0, "_linspace", "num", "num must be non-negative, got " << p.num);
  out[0] = Shape{p.num};
}

using init::LinspaceKernel;

void linspaceCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>&,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<LinspaceParam>();
  const double step = init::linspaceStep(p);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, DT, "_linspace",
                          Kernel<LinspaceKernel, cpu>::launch(out[0].size(), out[0].data<DT>(), p.start, step, req[0]));
}

// --- eye ---

void eyeShape(const NodeAttrs& attrs, std::vector<Shape>&, std::vector<Shape>& out) {
  const auto& p = attrs.get<EyeParam>();
  checkCtxParam(p.ctx, "_eye");
  IST_CHECK(p.N >= 0, "_eye", "N", "N must be non-negative, got " << p.N);
  IST_CHECK(p.M >= 0, "_eye", "M", "M must be non-negative, got " << p.M);
  out[0] = Shape{p.N, p.M > 0 ? p.M : p.N};
}

void eyeCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>&,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<EyeParam>();
  const int64_t rows = out[0].shape[0], cols = out[0].shape[1];
  fillBlob(out[0], req[0], 0, "_eye");
  IST_TYPE_SWITCH_ALL(out[0].dtype, DT, "_eye", {
    DT* o = out[0].data<DT>();
    for (int64_t r = std::max<int64_t>(0, -p.k); r < rows && r + p.k < cols; ++r) {
      if (req[0] == OpReq::kAddTo) o[r * cols + r + p.k] = fromDouble<DT>(static_cast<double>(static_cast<typename ComputeType<DT>::type>(o[r * cols + r + p.k])) + 1.0);
      else o[r * cols + r + p.k] = fromDouble<DT>(1.0);
    }
  });
}

// --- *_like ---

void fullLikeType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const std::string& dt = attrs.get<FullLikeParam>().dtype;
  if (dt == "None") inferSameType(attrs, in, out);
  else out[0] = static_cast<int>(dtypeFromName(dt, "_npi_full_like"));
}

IST_REGISTER_OP(_zeros)
    .describe("Returns a new array of the given shape and dtype filled with zeros.")
    .params<InitParam>()
    .setCreation()
    .inferShape(initShape<InitParam>)
    .inferType(initType<InitParam>)
    .compute(Context::kCPU, constantCompute<0>);

IST_REGISTER_OP(_ones)
    .describe("Returns a new array of the given shape and dtype filled with ones.")
    .params<InitParam>()
    .setCreation()
    .inferShape(initShape<InitParam>)
    .inferType(initType<InitParam>)
    .compute(Context::kCPU, constantCompute<1>);

IST_REGISTER_OP(_full)
    .describe("Returns a new array of the given shape and dtype filled with `value`.")
    .params<FullParam>()
    .setCreation()
    .inferShape(initShape<FullParam>)
    .inferType(initType<FullParam>)
    .compute(Context::kCPU, fullCompute);

IST_REGISTER_OP(_arange)
    .describe("Returns evenly spaced values within [start, stop) (NumPy's arange), each repeated "
              "`repeat` times.\n\nExample: arange(start=2, stop=6, step=2, repeat=2) = [2,2,4,4]")
    .params<RangeParam>()
    .setCreation()
    .inferShape(rangeShape)
    .inferType(initType<RangeParam>)
    .compute(Context::kCPU, rangeCompute);

IST_REGISTER_OP(_linspace)
    .describe("Returns `num` evenly spaced values over [start, stop] (or [start, stop) when "
              "endpoint is False).")
    .params<LinspaceParam>()
    .setCreation()
    .inferShape(linspaceShape)
    .inferType(initType<LinspaceParam>)
    .compute(Context::kCPU, linspaceCompute);

IST_REGISTER_OP(_eye)
    .describe("Returns a 2-D array with ones on the k-th diagonal and zeros elsewhere.")
    .params<EyeParam>()
    .setCreation()
    .inferShape(eyeShape)
    .inferType(initType<EyeParam>)
    .compute(Context::kCPU, eyeCompute);

IST_REGISTER_OP(zeros_like)
    .describe("Returns an array of zeros with the same shape and dtype as the input.")
    .inputs({"data"})
    .inferShape(inferSameShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, constantCompute<0>)
    .zeroGradient();

IST_REGISTER_OP(ones_like)
    .describe("Returns an array of ones with the same shape and dtype as the input.")
    .inputs({"data"})
    .inferShape(inferSameShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, constantCompute<1>)
    .zeroGradient();

IST_REGISTER_OP(_npi_full_like)
    .describe("Returns an array filled with fill_value, with the shape (and by default the dtype) "
              "of the input.")
    .inputs({"a"})
    .params<FullLikeParam>()
    .inferShape(inferSameShape)
    .inferType(fullLikeType)
    .compute(Context::kCPU, fullLikeCompute)
    .zeroGradient();

}  // namespace
}  // namespace ist
