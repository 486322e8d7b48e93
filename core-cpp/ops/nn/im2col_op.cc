// The im2col and col2im operators (MXNet 1.7+, sliding blocks of 1-, 2- and 3-D images) and
// _backward_im2col; each is the other's gradient. The CPU computes run the convolution family's
// kernels of im2col.h image by image.
#include <cstring>
#include <string>
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "op/registry.h"
#include "ops/nn/im2col.h"
#include "ops/nn/im2col_op_device.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace im2colop {
namespace {

template <typename T>
void im2colTyped(const Im2colDims& d, const T* img, OpReq req, T* col) {
  const int64_t inImg = d.C * d.g.inSize(), colImg = d.C * d.K() * d.L();
  std::vector<T> tmp(req == OpReq::kAddTo ? static_cast<size_t>(colImg) : 0);
  for (int64_t n = 0; n < d.N; ++n) {
    T* dst = col + n * colImg;
    conv::im2col(img + n * inImg, d.C, d.g, req == OpReq::kAddTo ? tmp.data() : dst);
    if (req == OpReq::kAddTo)
      for (int64_t j = 0; j < colImg; ++j) dst[j] += tmp[static_cast<size_t>(j)];
  }
}

template <typename T>
void col2imTyped(const Im2colDims& d, const T* col, OpReq req, T* img) {
  const int64_t inImg = d.C * d.g.inSize(), colImg = d.C * d.K() * d.L();
  if (req != OpReq::kAddTo) std::memset(img, 0, static_cast<size_t>(d.N * inImg) * sizeof(T));
  for (int64_t n = 0; n < d.N; ++n) conv::col2im(col + n * colImg, d.C, d.g, img + n * inImg);
}

// col (=|+=) im2col(img) on the CPU (float16/bfloat16 through float32).
void im2colCpu(const char* op, const Im2colDims& d, const TBlob& img, OpReq req, const TBlob& col) {
  if (req == OpReq::kNull || col.size() == 0) return;
  conv::runWidened(op, {img}, {req}, {col}, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) im2colTyped<float>(d, i[0].data<float>(), req, o[0].data<float>());
    else im2colTyped<double>(d, i[0].data<double>(), req, o[0].data<double>());
  });
}

// img (=|+=) col2im(col) on the CPU (the kernel adds into its image).
void col2imCpu(const char* op, const Im2colDims& d, const TBlob& col, OpReq req, const TBlob& img) {
  if (req == OpReq::kNull || img.size() == 0) return;
  conv::runWidened(op, {col}, {req}, {img}, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) col2imTyped<float>(d, i[0].data<float>(), req, o[0].data<float>());
    else col2imTyped<double>(d, i[0].data<double>(), req, o[0].data<double>());
  });
}

void floatType(const char* op, std::vector<int>& in, std::vector<int>& out) {
  std::vector<int> all{in[0], out[0]};
  const int t = nn::unifyFloat(all, {"data", "output"}, op);
  if (t >= 0) in[0] = out[0] = t;
}

// Attributes as a string tuple, MXNet's "(a, b)" form.
std::string tupleAttr(const Shape& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + (s.size() == 1 ? ",)" : ")");
}

IST_REGISTER_OP(im2col)
    .describe("Extracts sliding blocks from input array: data (N, C, *spatial) with 1, 2 or 3 spatial dims "
              "becomes the column array (N, C * prod(kernel), W), W the number of blocks (the spatial size of "
              "a convolution's output with the same kernel, stride, dilate and pad); padding reads as zeros. "
              "Rows are ordered by channel, then kernel offset; columns by block position.")
    .inputs({"data"})
    .params<Im2colParam>()
    .inferShape([](const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      out[0] = columnShape(imageDims(a.get<Im2colParam>(), in[0], "im2col"));
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) { floatType("im2col", in, out); })
    .compute(Context::kCPU,
             [](const NodeAttrs& a, const OpContext&, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                const std::vector<TBlob>& out) {
               im2colCpu("im2col", imageDims(a.get<Im2colParam>(), in[0].shape, "im2col"), in[0], req[0], out[0]);
             })
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      // col2im into data's shape; data only gives the shape.
      return std::vector<NodeEntry>{makeEntry("_backward_im2col", {og[0], n->inputs[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_im2col)
    .describe("Gradient of im2col: col2im of the output gradient into an array shaped like data.")
    .inputs({"ograd", "data"})
    .params<Im2colParam>()
    .inferShape(namedShape("_backward_im2col", [](const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      const Im2colDims d = imageDims(a.get<Im2colParam>(), in[1], "_backward_im2col");
      nn::expectShape(in[0], columnShape(d), "_backward_im2col", "ograd");
      out[0] = in[1];
    }))
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = nn::unifyFloat(in, {"ograd", "data"}, "_backward_im2col");
      if (t >= 0) out[0] = t;
    })
    .compute(Context::kCPU,
             namedCompute("_backward_im2col",
                          [](const NodeAttrs& a, const OpContext&, const std::vector<TBlob>& in,
                             const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
                            const Im2colDims d = imageDims(a.get<Im2colParam>(), in[1].shape, "_backward_im2col");
                            col2imCpu("_backward_im2col", d, in[0], req[0], out[0]);
                          }))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      // Linear in ograd, whose gradient is im2col of g.
      return std::vector<NodeEntry>{makeEntry("im2col", {g[0]}, n->attrs.dict), NodeEntry{}};
    });

IST_REGISTER_OP(col2im)
    .describe("Combines the column array of im2col back into an image: data (N, C * prod(kernel), W) "
              "becomes (N, C, *output_size), each column entry added into the image element it was taken "
              "from (entries in the padding are dropped). Overlapping blocks sum, so col2im is not the "
              "inverse of im2col but its gradient (and im2col is col2im's).")
    .inputs({"data"})
    .params<Col2imParam>()
    .inferShape([](const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      out[0] = imageShape(columnDims(a.get<Col2imParam>(), in[0], "col2im"));
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) { floatType("col2im", in, out); })
    .compute(Context::kCPU,
             [](const NodeAttrs& a, const OpContext&, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                const std::vector<TBlob>& out) {
               col2imCpu("col2im", columnDims(a.get<Col2imParam>(), in[0].shape, "col2im"), in[0], req[0], out[0]);
             })
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      const auto& p = n->attrs.get<Col2imParam>();
      AttrDict a;
      a["kernel"] = tupleAttr(p.kernel);
      if (!p.stride.empty()) a["stride"] = tupleAttr(p.stride);
      if (!p.dilate.empty()) a["dilate"] = tupleAttr(p.dilate);
      if (!p.pad.empty()) a["pad"] = tupleAttr(p.pad);
      return std::vector<NodeEntry>{makeEntry("im2col", {og[0]}, a)};
    });

}  // namespace
}  // namespace im2colop
}  // namespace ist
