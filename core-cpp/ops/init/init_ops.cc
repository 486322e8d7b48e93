// Creation ops (no data inputs): _zeros, _ones, _full, _arange, _linspace, _eye, and the
// input-shaped zeros_like, ones_like, _npi_full_like. Names, params and defaults follow MXNet 1.x
// (src/operator/tensor/init_op.*); `ctx` is read by the runtime to place the output.
#include <cmath>
#include <cstring>
#include <limits>
#include "kernels/cpu/kernel_cpu.h"
#include "op/registry.h"

namespace ist {
namespace {

const std::vector<std::string> kAllDTypes = {"float32", "float64", "float16", "bfloat16", "uint8",
                                             "int8",    "int16",   "uint16",  "int32",    "uint32",
                                             "int64",   "uint64",  "bool"};
const std::vector<std::string> kNumericDTypes = {"float32", "float64", "float16", "bfloat16",
                                                 "uint8",   "int8",    "int16",   "uint16",
                                                 "int32",   "uint32",  "int64",   "uint64"};

const char* kCtxDoc = "Context of output, in format [cpu|gpu](n). Only used for imperative calls.";

// Declares the `ctx` and `dtype` fields every creation op has.
template <typename P>
void declareCtxDType(ParamDecl<P>& d, const std::vector<std::string>& dtypes) {
  d.field("ctx", &P::ctx).setDefault("").doc(kCtxDoc);
  d.field("dtype", &P::dtype).setDefault("float32").values(dtypes).doc("Target data type.");
}

struct InitParam {
  Shape shape;
  std::string ctx, dtype;
  static void declare(ParamDecl<InitParam>& d) {
    d.field("shape", &InitParam::shape).setDefault(Shape{}).doc("The shape of the output");
    declareCtxDType(d, kAllDTypes);
  }
};

struct FullParam {
  Shape shape;
  std::string ctx, dtype;
  double value = 0;
  static void declare(ParamDecl<FullParam>& d) {
    d.field("shape", &FullParam::shape).setDefault(Shape{}).doc("The shape of the output");
    declareCtxDType(d, kAllDTypes);
    d.field("value", &FullParam::value).doc("Value with which to fill newly created tensor");
  }
};

struct RangeParam {
  double start = 0;
  std::optional<double> stop;
  double step = 1;
  int repeat = 1;
  bool infer_range = false;
  std::string ctx, dtype;
  static void declare(ParamDecl<RangeParam>& d) {
    d.field("start", &RangeParam::start)
        .doc("Start of interval. The interval includes this value (it is the stop when stop is None).");
    d.field("stop", &RangeParam::stop)
        .setDefault(std::nullopt)
        .doc("End of interval. The interval does not include this value.");
    d.field("step", &RangeParam::step).setDefault(1.0).doc("Spacing between values.");
    d.field("repeat", &RangeParam::repeat)
        .setDefault(1)
        .doc("The repeating time of all elements, e.g. repeat=3 gives a, a, a, b, b, b, ...");
    d.field("infer_range", &RangeParam::infer_range)
        .setDefault(false)
        .doc("When True, infer the stop position from start, step, repeat and the output shape.");
    declareCtxDType(d, kNumericDTypes);
  }
};

struct LinspaceParam {
  double start = 0, stop = 0;
  int num = 0;
  bool endpoint = true;
  std::string ctx, dtype;
  static void declare(ParamDecl<LinspaceParam>& d) {
    d.field("start", &LinspaceParam::start).doc("The starting value of the sequence.");
    d.field("stop", &LinspaceParam::stop).doc("The ending value of the sequence.");
    d.field("num", &LinspaceParam::num).doc("Number of samples to generate. Must be non-negative.");
    d.field("endpoint", &LinspaceParam::endpoint)
        .setDefault(true)
        .doc("If True, stop is the last sample. Otherwise, it is not included.");
    declareCtxDType(d, kNumericDTypes);
  }
};

struct EyeParam {
  int64_t N = 0, M = 0, k = 0;
  std::string ctx, dtype;
  static void declare(ParamDecl<EyeParam>& d) {
    d.field("N", &EyeParam::N).doc("Number of rows in the output.");
    d.field("M", &EyeParam::M).setDefault(int64_t(0)).doc("Number of columns in the output. If 0, defaults to N");
    d.field("k", &EyeParam::k)
        .setDefault(int64_t(0))
        .doc("Index of the diagonal: 0 is the main diagonal, positive values are above it, negative below.");
    declareCtxDType(d, kAllDTypes);
  }
};

struct FullLikeParam {
  double fill_value = 0;
  std::string ctx, dtype;
  static void declare(ParamDecl<FullLikeParam>& d) {
    d.field("fill_value", &FullLikeParam::fill_value).doc("Value with which to fill newly created tensor");
    d.field("ctx", &FullLikeParam::ctx).setDefault("").doc(kCtxDoc);
    std::vector<std::string> dtypes = kAllDTypes;
    dtypes.insert(dtypes.begin(), "None");
    d.field("dtype", &FullLikeParam::dtype).setDefault("None").values(dtypes).doc("Target data type (default: the input's).");
  }
};

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

template <typename T> inline T fromDouble(double v) {
  if constexpr (std::is_same_v<T, half_t> || std::is_same_v<T, bf16_t>) return T(static_cast<float>(v));
  else if constexpr (std::is_same_v<T, bool>) return v != 0;
  else return static_cast<T>(v);
}

struct FillKernel {
  template <typename T> ISTX static void Map(int64_t i, T* out, T v) { out[i] = v; }
};
struct AddFillKernel {
  template <typename T> ISTX static void Map(int64_t i, T* out, T v) {
    using C = typename ComputeType<T>::type;
    out[i] = T(static_cast<C>(static_cast<C>(out[i]) + static_cast<C>(v)));
  }
};

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

// MXNet's rule: stop None (and no infer_range) means the range is [0, start).
void rangeBounds(const RangeParam& p, double* start, std::optional<double>* stop) {
  *start = p.start;
  *stop = p.stop;
  if (!p.infer_range && !p.stop) { *stop = p.start; *start = 0; }
}

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

struct RangeKernel {
  // The arithmetic runs in the output's compute type, like MXNet's range kernel.
  template <typename T>
  ISTX static void Map(int64_t i, T* out, typename ComputeType<T>::type start,
                       typename ComputeType<T>::type step, int64_t repeat, OpReq req) {
    using C = typename ComputeType<T>::type;
    C v = start + static_cast<C>(i / repeat) * step;
    out[i] = req == OpReq::kAddTo ? T(static_cast<C>(static_cast<C>(out[i]) + v)) : T(v);
  }
};

void rangeCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>&,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<RangeParam>();
  double start;
  std::optional<double> stop;
  rangeBounds(p, &start, &stop);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, DT, "_arange", {
    using C = typename ComputeType<DT>::type;
    // Integer outputs: go through int64 so negative starts/steps wrap the same on every target.
    C s, st;
    if constexpr (std::is_floating_point_v<C>) { s = static_cast<C>(start); st = static_cast<C>(p.step); }
    else { s = static_cast<C>(static_cast<int64_t>(start)); st = static_cast<C>(static_cast<int64_t>(p.step)); }
    Kernel<RangeKernel, cpu>::launch(out[0].size(), out[0].data<DT>(), s, st, static_cast<int64_t>(p.repeat), req[0]);
  });
}

// --- linspace ---

void linspaceShape(const NodeAttrs& attrs, std::vector<Shape>&, std::vector<Shape>& out) {
  const auto& p = attrs.get<LinspaceParam>();
  checkCtxParam(p.ctx, "_linspace");
  IST_CHECK(p.num >= 0, "_linspace", "num", "num must be non-negative, got " << p.num);
  out[0] = Shape{p.num};
}

struct LinspaceKernel {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, double start, double step, OpReq req) {
    using C = typename ComputeType<T>::type;
    double v = start + step * static_cast<double>(i);
    out[i] = req == OpReq::kAddTo ? T(static_cast<C>(static_cast<double>(static_cast<C>(out[i])) + v))
                                  : T(static_cast<C>(v));
  }
};

void linspaceCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>&,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<LinspaceParam>();
  int steps = p.endpoint ? p.num - 1 : p.num;
  double step = steps > 0 ? (p.stop - p.start) / steps : 0.0;
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
