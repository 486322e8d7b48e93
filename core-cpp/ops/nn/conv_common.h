// Shared pieces of the convolution-family ops (Convolution, Deconvolution, Pooling, UpSampling):
// spatial geometry, parameter checks, scratch memory and the float16/bfloat16 widening wrapper.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>
#include "base/dtype.h"
#include "base/error.h"
#include "base/shape.h"
#include "engine/parallel_for.h"
#include "ndarray/tblob.h"
#include "op/registry.h"
#include "ops/nn/layer_util.h"
#include "storage/storage.h"

namespace ist {
namespace conv {

// The spatial geometry of one convolution-like window sweep, always held as 3-D: a 1-D or 2-D
// op gets leading unit dims (kernel 1, stride 1, dilation 1, pad 0), so one loop nest serves all.
// `in` is the swept image, `out` the grid of window positions (the columns of im2col).
struct Geom {
  int nd = 0;  // real spatial dims (1..3)
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};
  int64_t k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, p[3] = {0, 0, 0};
  int64_t inSize() const { return in[0] * in[1] * in[2]; }
  int64_t outSize() const { return out[0] * out[1] * out[2]; }
  int64_t kSize() const { return k[0] * k[1] * k[2]; }
  // A 1x1(x1) kernel with stride 1 and no padding: the image itself is the column matrix.
  bool pointwise() const {
    for (int i = 0; i < 3; ++i)
      if (k[i] != 1 || s[i] != 1 || p[i] != 0 || in[i] != out[i]) return false;
    return true;
  }
};

// Builds a Geom from per-dim vectors (size nd); `in`/`out` are the image and window-grid dims.
inline Geom makeGeom(const Shape& in, const Shape& out, const Shape& k, const Shape& s, const Shape& d,
                     const Shape& p) {
  Geom g;
  g.nd = static_cast<int>(k.size());
  const int off = 3 - g.nd;
  for (int i = 0; i < g.nd; ++i) {
    g.in[off + i] = in[i];
    g.out[off + i] = out[i];
    g.k[off + i] = k[i];
    g.s[off + i] = s[i];
    g.d[off + i] = d[i];
    g.p[off + i] = p[i];
  }
  return g;
}

// ceil(a / b) for b > 0 and any sign of a.
inline int64_t ceilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

inline int64_t dilatedKernel(int64_t k, int64_t d) { return 1 + (k - 1) * d; }

// "(3, 3)" style text of a parameter tuple for messages.
inline std::string tupleString(const Shape& s) { return shapeString(s); }

// A stride/dilate/pad-like tuple checked against the kernel's rank; empty means `fill` per dim.
inline Shape expandTuple(const Shape& v, const Shape& kernel, int64_t fill, const char* op, const char* arg) {
  if (v.empty()) return Shape(kernel.size(), fill);
  IST_CHECK(v.size() == kernel.size(), op, arg,
            tupleString(v) << " has " << v.size() << " entries but kernel " << tupleString(kernel) << " has "
                           << kernel.size());
  return v;
}

// Every entry of `v` at least `lo` (kernel, stride, dilate > 0; pad, adj >= 0).
inline void checkAtLeast(const Shape& v, int64_t lo, const char* op, const char* arg) {
  for (int64_t x : v)
    IST_CHECK(x >= lo, op, arg,
              "entries must be " << (lo > 0 ? "positive" : "non-negative") << ", got " << tupleString(v));
}

// The layout names MXNet accepts for 1/2/3 spatial dims, channel-first.
inline const char* defaultLayout(size_t nd) {
  return nd == 1 ? "NCW" : nd == 2 ? "NCHW" : "NCDHW";
}

// Checks the layout parameter (channel-first only, matching the kernel's rank) of conv/deconv.
inline void checkChannelFirstLayout(const std::string& layout, size_t nd, const char* op) {
  if (layout == "None") return;
  IST_CHECK(layout == "NCW" || layout == "NCHW" || layout == "NCDHW", op, "layout",
            "layout " << layout << " is not supported on CPU (MXNet runs channel-last convolution only with "
                                   "cuDNN); use " << defaultLayout(nd));
  IST_CHECK(layout == defaultLayout(nd), op, "layout",
            "layout " << layout << " does not match a " << nd << "-D kernel (expected " << defaultLayout(nd) << ")");
}

// ---- shared by Convolution and Deconvolution's parameters (convolution_params.h,
// deconvolution_params.h) ----

// The window parameters with defaults filled in and checked: kernel (1 to 3 entries, each >= 1),
// stride and dilate (default 1, >= 1), pad (default 0, >= 0). `what` names the op in messages
// ("convolution" or "deconvolution").
struct WindowSpec {
  Shape kernel, stride, dilate, pad;
};
inline WindowSpec windowSpec(const Shape& kernel, const Shape& stride, const Shape& dilate, const Shape& pad,
                             const char* op, const char* what) {
  IST_CHECK(kernel.size() >= 1 && kernel.size() <= 3, op, "kernel",
            "must have 1, 2 or 3 entries (1-D, 2-D or 3-D " << what << "), got " << shapeString(kernel));
  WindowSpec s;
  s.kernel = kernel;
  checkAtLeast(s.kernel, 1, op, "kernel");
  s.stride = expandTuple(stride, kernel, 1, op, "stride");
  checkAtLeast(s.stride, 1, op, "stride");
  s.dilate = expandTuple(dilate, kernel, 1, op, "dilate");
  checkAtLeast(s.dilate, 1, op, "dilate");
  s.pad = expandTuple(pad, kernel, 0, op, "pad");
  checkAtLeast(s.pad, 0, op, "pad");
  return s;
}

// The layout, and num_filter divisible by num_group.
inline void checkLayoutAndGroups(const std::string& layout, size_t nd, int numFilter, int numGroup,
                                 const char* op) {
  checkChannelFirstLayout(layout, nd, op);
  IST_CHECK(numFilter % numGroup == 0, op, "num_group",
            "num_filter " << numFilter << " is not divisible by num_group " << numGroup);
}

// Sizes of one call: N images of C channels, F filters, G groups (Cg, Fg per group), K window
// elements, IS / OS positions of the input / output, and the im2col geometry.
struct Dims {
  int64_t N, C, F, G, Cg, Fg, K, IS, OS;
  Geom g;
};
// From data shape x and the geometry; transposed (Deconvolution): the geometry sweeps the output
// (its "image") with windows at the input's positions (its columns).
inline Dims dimsOf(const Shape& x, int64_t numFilter, int64_t numGroup, const Geom& g, bool transposed) {
  Dims d;
  d.g = g;
  d.N = x[0];
  d.C = x[1];
  d.F = numFilter;
  d.G = numGroup;
  d.Cg = d.C / d.G;
  d.Fg = d.F / d.G;
  d.K = d.g.kSize();
  d.IS = transposed ? d.g.outSize() : d.g.inSize();
  d.OS = transposed ? d.g.inSize() : d.g.outSize();
  return d;
}

// The prepared forms of a convolution's weights an executor keeps (op/prepared_input.h kinds).
enum PreparedWeights : uint64_t {
  kPackedFilters = 1,   // each group's filters as the GEMM's packed A operand (gemmPackA)
  kWinogradPlanes = 2,  // the 16 transformed F x C planes, each packed for the GEMM
};

// Scratch memory from the CPU pool (cached, 64-byte aligned), released on scope exit.
class Workspace {
 public:
  explicit Workspace(size_t bytes) : bytes_(std::max<size_t>(bytes, 1)) {
    ptr_ = Storage::alloc(Context::cpu(), bytes_);
  }
  ~Workspace() { Storage::free(Context::cpu(), ptr_, bytes_); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  template <typename T> T* as() const { return static_cast<T*>(ptr_); }

 private:
  size_t bytes_;
  void* ptr_;
};

// Runs fn(inputs, outputs) on float32/float64 blobs. float16/bfloat16 blobs are widened to float32
// copies first and the outputs narrowed back afterwards (kAddTo outputs start from their values), so
// the kernels exist for two types only and 16-bit data accumulates in float32, as MXNet does.
template <typename Fn>
void runWidened(const char* op, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                const std::vector<TBlob>& out, Fn&& fn) {
  const DType t = in[0].dtype;
  if (t == DType::kFloat32 || t == DType::kFloat64) {
    fn(in, out);
    return;
  }
  if (t != DType::kFloat16 && t != DType::kBFloat16) throwUnsupportedDType(t, op);
  std::vector<std::unique_ptr<Workspace>> keep;
  auto widen = [&](const TBlob& b, bool copy) {
    keep.push_back(std::make_unique<Workspace>(static_cast<size_t>(b.size()) * sizeof(float)));
    TBlob w = b;
    w.dtype = DType::kFloat32;
    w.dptr = keep.back()->as<float>();
    if (copy) {
      float* dst = w.data<float>();
      const int64_t n = b.size();
      IST_TYPE_SWITCH_FLOAT(t, T, op, {
        if constexpr (!std::is_same_v<T, float> && !std::is_same_v<T, double>) {
          const T* src = b.data<T>();
          parallelFor(n, 2, [&](int64_t lo, int64_t hi) {
            for (int64_t i = lo; i < hi; ++i) dst[i] = static_cast<float>(src[i]);
          });
        }
      });
    }
    return w;
  };
  std::vector<TBlob> win, wout;
  for (auto& b : in) win.push_back(widen(b, true));
  for (size_t i = 0; i < out.size(); ++i) wout.push_back(widen(out[i], req[i] == OpReq::kAddTo));
  fn(win, wout);
  for (size_t i = 0; i < out.size(); ++i) {
    if (req[i] == OpReq::kNull) continue;
    const float* src = wout[i].data<float>();
    const int64_t n = out[i].size();
    IST_TYPE_SWITCH_FLOAT(t, T, op, {
      if constexpr (!std::is_same_v<T, float> && !std::is_same_v<T, double>) {
        T* dst = out[i].data<T>();
        parallelFor(n, 2, [&](int64_t lo, int64_t hi) {
          for (int64_t j = lo; j < hi; ++j) dst[j] = T(src[j]);
        });
      }
    });
  }
}

// out[n, c, :] (=|+=) bias[c] over `inner` elements per (n, c).
template <typename T>
void addBias(T* out, const T* bias, int64_t n, int64_t c, int64_t inner) {
  parallelFor(n * c, inner, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T b = bias[r % c];
      T* o = out + r * inner;
      for (int64_t i = 0; i < inner; ++i) o[i] += b;
    }
  });
}

// grad_bias[c] (=|+=) sum over n and `inner` of og[n, c, :], in double. Eight running sums, element
// i of a row into sum i % 8, so the loop vectorises (one chain of dependent adds was bound by the
// add's latency: 0.4 ms of LeNet's first layer at batch 64).
template <typename T>
void biasGrad(const T* og, T* gb, int64_t n, int64_t c, int64_t inner, OpReq req) {
  if (req == OpReq::kNull) return;
  parallelFor(c, n * inner, [&](int64_t lo, int64_t hi) {
    for (int64_t ch = lo; ch < hi; ++ch) {
      double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int64_t b = 0; b < n; ++b) {
        const T* g = og + (b * c + ch) * inner;
        int64_t i = 0;
        for (; i + 8 <= inner; i += 8)
          for (int u = 0; u < 8; ++u) acc[u] += static_cast<double>(g[i + u]);
        for (int u = 0; i < inner; ++i, ++u) acc[u] += static_cast<double>(g[i]);
      }
      const double sum = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
      gb[ch] = req == OpReq::kAddTo ? T(gb[ch] + sum) : T(sum);
    }
  });
}

// Fills an unknown parameter-input shape (weight, bias) or checks a known one.
inline void expectShape(Shape& s, const Shape& want, const char* op, const char* arg, const Shape& data) {
  if (!shapeRankKnown(s)) {
    s = want;
    return;
  }
  bool ok = s.size() == want.size();
  for (size_t i = 0; ok && i < s.size(); ++i) ok = s[i] == want[i] || s[i] == kUnknownDim;
  IST_CHECK(ok, op, arg, "expected shape " << shapeString(want) << " for data of shape " << shapeString(data)
                                           << ", got " << shapeString(s));
  s = want;
}

// The hidden `__num_optional_inputs__` count must agree with no_bias (bias is the optional input).
inline void checkBiasInputs(size_t nInputs, bool noBias, const char* op) {
  const size_t want = noBias ? 2 : 3;
  IST_CHECK(nInputs == want, op, "bias",
            (noBias ? "no_bias=True takes inputs (data, weight)" : "no_bias=False takes inputs (data, weight, bias)")
                << ", got " << nInputs << " input(s)");
}

// dtype rule of data/weight/bias (and backward ops): one floating dtype for every input and output.
inline void inferFloatTypes(std::vector<int>& in, std::vector<int>& out, const std::vector<std::string>& names,
                            const char* op) {
  int t = nn::unifyFloat(in, names, op);
  if (t < 0) {
    for (int v : out) if (v >= 0) t = v;
    if (t < 0) return;
    for (auto& v : in) v = t;
    nn::unifyFloat(in, names, op);
  }
  for (auto& v : out) v = t;
}

}  // namespace conv
}  // namespace ist
