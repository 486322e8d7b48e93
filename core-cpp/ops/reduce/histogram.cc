// _histogram (MXNet 1.9 tensor/histogram.cc): counts of data's values in bins, either bin_cnt even
// bins over `range` or the edges given as the `bins` input. Outputs (counts int64, edges). The rules
// and the device compute are in histogram_device.h; no gradient, as in MXNet.
#include <vector>
#include "graph/node.h"
#include "op/registry.h"
#include "ops/reduce/histogram_device.h"

namespace ist {
namespace histogram {
namespace {

using histdev::HistogramParam;
using histdev::kOp;

template <typename T>
void countTyped(const T* x, int64_t size, const double* e, int64_t n, bool uniform, double lo, double hi,
                int64_t* counts) {
  for (int64_t i = 0; i < size; ++i) {
    const int64_t t = histdev::binOf(static_cast<double>(static_cast<dnd::CT<T>>(x[i])), e, n, uniform, lo, hi);
    if (t >= 0) ++counts[t];
  }
}

void histogramCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  IST_CHECK(req[0] != OpReq::kAddTo && req[1] != OpReq::kAddTo, kOp, "output",
            "adding into the outputs (kAddTo) is not supported");
  const bool uniform = histdev::checkParams(attrs);
  const int64_t n = out[0].size();
  std::vector<double> e(static_cast<size_t>(n + 1));
  double lo = 0, hi = 0;
  IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, kOp, {
    using C = dnd::CT<T>;
    T* bins = req[1] == OpReq::kNull ? nullptr : out[1].data<T>();
    if (uniform) {
      const histdev::UniformRange u = histdev::uniformRange(attrs.get<HistogramParam>());
      lo = u.lo;
      hi = u.hi;
      for (int64_t i = 0; i <= n; ++i) {
        const T v = histdev::edgeAs<T>(histdev::uniformEdge(i, n, lo, hi));
        e[static_cast<size_t>(i)] = static_cast<double>(static_cast<C>(v));
        if (bins) bins[i] = v;
      }
    } else {
      const T* given = in[1].data<T>();
      for (int64_t i = 0; i <= n; ++i) e[static_cast<size_t>(i)] = static_cast<double>(static_cast<C>(given[i]));
      histdev::checkEdges(e.data(), n);
      if (bins)
        for (int64_t i = 0; i <= n; ++i) bins[i] = given[i];
    }
    if (req[0] != OpReq::kNull) {
      int64_t* counts = out[0].data<int64_t>();
      for (int64_t i = 0; i < n; ++i) counts[i] = 0;
      countTyped<T>(in[0].data<T>(), in[0].size(), e.data(), n, uniform, lo, hi, counts);
    }
  });
}

IST_REGISTER_OP(_histogram)
    .alias("_npi_histogram")
    .describe("Computes the histogram of the input, as numpy.histogram: with bin_cnt and range, "
              "bin_cnt even bins over range (widened by 0.5 each side when its ends are equal); "
              "without them, the bin edges given as the `bins` input (1-D, non-decreasing). Bins are "
              "[e[i], e[i+1]) but the last, which also takes e[N]; values outside the edges are "
              "ignored. Outputs: the counts (int64) and the bin edges (data's dtype).\n\n"
              "Example: x = [[0, 1], [2, 2], [3, 4]]: histogram(x, bin_cnt=5, range=(0, 5)) = "
              "([1, 1, 2, 1, 1], [0, 1, 2, 3, 4, 5]); histogram(x, bins=[0., 2.1, 3.]) = ([4, 1], "
              "[0, 2.1, 3])")
    .inputs({"data"})
    .variadic("bins", nn::kOptionalCount)
    .optionalInput("bins", [](const NodeAttrs& a) { return !a.get<HistogramParam>().bin_cnt.has_value(); })
    .outputs({"output0", "output1"})
    .numOutputs([](const NodeAttrs&) { return 2; })
    .params<HistogramParam>()
    .inferShape(histdev::histogramShape)
    .inferType(histdev::histogramType)
    .compute(Context::kCPU, histogramCompute);

}  // namespace
}  // namespace histogram
}  // namespace ist
