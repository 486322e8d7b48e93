// cumsum (MXNet's _np_cumsum, kept as an alias) and its gradient op _backward_cumsum, the
// same scan run backwards.
//
// Floats accumulate in double, integers in wrapping 64-bit arithmetic; the scan runs on a
// scratch copy of the data in that accumulator type, then is stored in the output dtype.
#include <vector>
#include "ops/elemwise/convert.h"
#include "ops/reduce/reduce_axes.h"
#include "ops/reduce/reduce_params.h"
#include "ops/reduce/reduce_kernel.h"

namespace ist {
namespace {



// Scans acc in place along R (forward: prefix sums; reverse: suffix sums).
template <typename Acc>
void scan(std::vector<Acc>& acc, const ScanView& v, bool reverse) {
  const int64_t I = v.inner, R = v.R;
  parallelFor(v.outer, std::max<int64_t>(R * I, 1), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      Acc* base = acc.data() + o * R * I;
      if (!reverse) {
        for (int64_t r = 1; r < R; ++r)
          for (int64_t i = 0; i < I; ++i) base[r * I + i] += base[(r - 1) * I + i];
      } else {
        for (int64_t r = R - 1; r-- > 0;)
          for (int64_t i = 0; i < I; ++i) base[r * I + i] += base[(r + 1) * I + i];
      }
    }
  });
}

// out = scan of in (any dtype) stored in out's dtype.
template <typename Acc>
void scanInto(const TBlob& in, const TBlob& out, OpReq req, const ScanView& v, bool reverse, const char* op) {
  const int64_t n = in.size();
  std::vector<Acc> acc(static_cast<size_t>(n));
  IST_TYPE_SWITCH_ALL(in.dtype, DT, op, {
    const DT* src = in.data<DT>();
    for (int64_t i = 0; i < n; ++i) {
      const auto c = static_cast<reduce::CT<DT>>(src[i]);
      if constexpr (std::is_same_v<Acc, double>) acc[i] = static_cast<double>(c);
      else acc[i] = static_cast<uint64_t>(convert<int64_t>(c));  // integers wrap from here on
    }
  });
  scan(acc, v, reverse);
  IST_TYPE_SWITCH_NUMERIC(out.dtype, OT, op, {
    OT* dst = out.data<OT>();
    for (int64_t i = 0; i < n; ++i) reduce::storeOut(dst, i, acc[i], req);
  });
}

void runScan(const TBlob& in, const TBlob& out, OpReq req, const ScanView& v, bool reverse, const char* op) {
  if (req == OpReq::kNull || out.size() == 0) return;
  if (dtypeIsFloat(out.dtype)) scanInto<double>(in, out, req, v, reverse, op);
  else scanInto<uint64_t>(in, out, req, v, reverse, op);
}

void cumsumShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<CumsumParam>();
  if (!shapeIsKnown(in[0])) return;
  if (p.axis) {
    checkReduceAxis(*p.axis, in[0], "cumsum");
    out[0] = in[0];
  } else {
    out[0] = Shape{shapeSize(in[0])};
  }
}

void cumsumType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const std::string& dt = attrs.get<CumsumParam>().dtype;
  int t;
  if (dt != "None") t = static_cast<int>(dtypeFromName(dt, "cumsum", "dtype"));
  else if (in[0] == -1) return;
  else t = in[0] == static_cast<int>(DType::kBool) ? static_cast<int>(DType::kInt64) : in[0];
  IST_CHECK(out[0] == -1 || out[0] == t, "cumsum", "output",
            "dtype " << dtypeName(DType(out[0])) << " differs from the result's " << dtypeName(DType(t)));
  out[0] = t;
}

void cumsumCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  runScan(in[0], out[0], req[0], scanView(in[0].shape, attrs.get<CumsumParam>().axis, "cumsum"), false,
          "cumsum");
}

IST_REGISTER_OP(cumsum)
    .alias("_np_cumsum")
    .describe("Returns the cumulative sum of the elements along a given axis (of the flattened "
              "array when axis is None).\n\nExample: cumsum([[1,2],[3,4]], axis=1) = [[1,3],[3,7]]")
    .inputs({"a"})
    .params<CumsumParam>()
    .inferShape(cumsumShape)
    .inferType(cumsumType)
    .compute(Context::kCPU, cumsumCompute);


void backwardCumsumShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<BackwardCumsumParam>();
  if (!shapeIsKnown(in[1])) return;
  if (shapeIsKnown(in[0])) {
    const bool ok = p.axis ? in[0] == in[1] : in[0] == Shape{shapeSize(in[1])};
    IST_CHECK(ok, "_backward_cumsum", "ograd",
              "shape " << shapeString(in[0]) << " is not cumsum's output shape for data of shape "
                       << shapeString(in[1]));
  }
  if (p.axis) checkReduceAxis(*p.axis, in[1], "_backward_cumsum");
  out[0] = in[1];
}

void backwardCumsumType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  if (in[1] != -1) out[0] = in[1];
}

void backwardCumsumCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                           const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  runScan(in[0], out[0], req[0], scanView(in[1].shape, attrs.get<BackwardCumsumParam>().axis, "_backward_cumsum"),
          true, "_backward_cumsum");
}

IST_REGISTER_OP(_backward_cumsum)
    .describe("The gradient of cumsum: suffix sums of ograd along axis, with data's shape and dtype.")
    .inputs({"ograd", "data"})
    .params<BackwardCumsumParam>()
    .inferShape(backwardCumsumShape)
    .inferType(backwardCumsumType)
    .compute(Context::kCPU, backwardCumsumCompute);

}  // namespace
}  // namespace ist
