// _contrib_fft and _contrib_ifft (MXNet contrib): the unnormalised 1-D DFT of real rows into
// interleaved complex rows, and the real part of the unnormalised inverse DFT back; each one's
// gradient is the other applied to the output gradient (they are adjoints of each other).
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/contrib/fft_device.h"

namespace ist {
namespace fftop {
namespace {

// float16, float32 or float64 (MXNet's real types), the output taking the input's.
FInferType fftType(const char* op) {
  return [op](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
    const int t = in[0] >= 0 ? in[0] : out[0];
    if (t < 0) return;
    const DType d = static_cast<DType>(t);
    IST_CHECK(d == DType::kFloat32 || d == DType::kFloat64 || d == DType::kFloat16, op, "data",
              "dtype " << dtypeName(d) << " is not supported; use float16, float32 or float64");
    in[0] = out[0] = t;
  };
}

IST_REGISTER_OP(_contrib_fft)
    .describe("Apply 1D FFT to input.\n\n"
              "Currently accept 2 input data shapes: (N, d) or (N1, N2, N3, d), data can only be real "
              "numbers. The output data has shape: (N, 2*d) or (N1, N2, N3, 2*d). The format is: "
              "[real0, imag0, real1, imag1, ...]. The transform is unnormalised, as numpy.fft.fft: "
              "out_k = sum_n data_n exp(-2 pi i k n / d), for any d.\n\n"
              "Example: fft([[1, 2, 3, 4]]) = [[10, 0, -2, 2, -2, 0, -2, -2]]")
    .inputs({"data"})
    .params<FFTParam>()
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      out[0] = fftShapeOf(in[0], false);
    })
    .inferType(fftType(kFft))
    .compute(Context::kCPU, fftDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry(kIfft, {og[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(_contrib_ifft)
    .describe("Apply 1D ifft to input.\n\n"
              "Currently accept 2 input data shapes: (N, d) or (N1, N2, N3, d). Data is in format: "
              "[real0, imag0, real1, imag1, ...]. Last dimension must be an even number. The output "
              "data has shape: (N, d/2) or (N1, N2, N3, d/2). It is only the real part of the result. "
              "As in MXNet the result is not divided by the length, so ifft(fft(x)) = (d/2) * x for "
              "rows of d/2 points.\n\n"
              "Example: ifft([[10, 0, -2, 2, -2, 0, -2, -2]]) = [[4, 8, 12, 16]]")
    .inputs({"data"})
    .params<FFTParam>()
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      out[0] = fftShapeOf(in[0], true);
    })
    .inferType(fftType(kIfft))
    .compute(Context::kCPU, ifftDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry(kFft, {og[0]}, n->attrs.dict)};
    });

}  // namespace
}  // namespace fftop
}  // namespace ist
