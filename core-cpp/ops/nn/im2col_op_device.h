// The im2col and col2im operators (MXNet 1.7+): their parameters and geometry (shared with
// im2col_op.cc) and device-generic computes (attached in im2col_op.cu), built on the convolution
// family's im2col / col2im kernels (im2col.h on the CPU, im2col_device.h here).
//
// im2col: data (N, C, *spatial) -> (N, C * prod(kernel), L), L the number of window positions;
// col2im: (N, C * prod(kernel), L) -> (N, C, *output_size), overlapping entries summed (the adjoint).
// _backward_im2col(ograd, data) is col2im into data's shape (data only gives the shape).
#pragma once
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/im2col_device.h"

namespace ist {
namespace im2colop {

struct Im2colParam {
  Shape kernel, stride, dilate, pad;
  static void declare(ParamDecl<Im2colParam>& d) {
    d.field("kernel", &Im2colParam::kernel).doc("Sliding kernel size: (w,), (h, w) or (d, h, w).");
    d.field("stride", &Im2colParam::stride).setDefault(Shape{})
        .doc("The stride between adjacent sliding blocks in spatial dimension: (w,), (h, w) or (d, h, w). "
             "Defaults to 1 for each dimension.");
    d.field("dilate", &Im2colParam::dilate).setDefault(Shape{})
        .doc("The spacing between adjacent kernel points: (w,), (h, w) or (d, h, w). Defaults to 1 for each "
             "dimension.");
    d.field("pad", &Im2colParam::pad).setDefault(Shape{})
        .doc("The zero-value padding size on both sides of spatial dimension: (w,), (h, w) or (d, h, w). "
             "Defaults to no padding.");
  }
};

struct Col2imParam {
  Shape output_size, kernel, stride, dilate, pad;
  static void declare(ParamDecl<Col2imParam>& d) {
    d.field("output_size", &Col2imParam::output_size)
        .doc("The spatial dimension of image array: (w,), (h, w) or (d, h, w).");
    d.field("kernel", &Col2imParam::kernel).doc("Sliding kernel size: (w,), (h, w) or (d, h, w).");
    d.field("stride", &Col2imParam::stride).setDefault(Shape{})
        .doc("The stride between adjacent sliding blocks in spatial dimension: (w,), (h, w) or (d, h, w). "
             "Defaults to 1 for each dimension.");
    d.field("dilate", &Col2imParam::dilate).setDefault(Shape{})
        .doc("The spacing between adjacent kernel points: (w,), (h, w) or (d, h, w). Defaults to 1 for each "
             "dimension.");
    d.field("pad", &Col2imParam::pad).setDefault(Shape{})
        .doc("The zero-value padding size on both sides of spatial dimension: (w,), (h, w) or (d, h, w). "
             "Defaults to no padding.");
  }
};

// One call's sizes: N images of C channels, the image's spatial dims and the window geometry.
struct Im2colDims {
  int64_t N = 0, C = 0;
  Shape spatial, windows;
  conv::Geom g;
  int64_t K() const { return g.kSize(); }
  int64_t L() const { return g.outSize(); }
};

// The geometry for image spatial dims `spatial` (window counts checked as Convolution does).
inline Im2colDims im2colDims(int64_t N, int64_t C, const Shape& spatial, const Shape& kernel, const Shape& stride,
                             const Shape& dilate, const Shape& pad, const char* op, const char* imageArg) {
  const conv::WindowSpec w = conv::windowSpec(kernel, stride, dilate, pad, op, "sliding window");
  Im2colDims d;
  d.N = N;
  d.C = C;
  d.spatial = spatial;
  for (size_t i = 0; i < w.kernel.size(); ++i) {
    const int64_t padded = spatial[i] + 2 * w.pad[i];
    const int64_t dk = conv::dilatedKernel(w.kernel[i], w.dilate[i]);
    IST_CHECK(dk <= padded, op, "kernel",
              "kernel " << shapeString(w.kernel) << " (dilated size " << dk << " along spatial axis " << i
                        << ") exceeds the padded " << imageArg << " " << shapeString(spatial) << " (pad "
                        << shapeString(w.pad) << ")");
    d.windows.push_back((padded - dk) / w.stride[i] + 1);
  }
  d.g = conv::makeGeom(spatial, d.windows, w.kernel, w.stride, w.dilate, w.pad);
  return d;
}

// im2col's dims from the image shape (N, C, *spatial).
inline Im2colDims imageDims(const Im2colParam& p, const Shape& x, const char* op, const char* arg = "data") {
  IST_CHECK(p.kernel.size() >= 1 && p.kernel.size() <= 3, op, "kernel",
            "must have 1, 2 or 3 entries (1-D, 2-D or 3-D images), got " << shapeString(p.kernel));
  IST_CHECK(x.size() == p.kernel.size() + 2, op, arg,
            arg << " must have rank " << p.kernel.size() + 2 << " (N, C and " << p.kernel.size()
                << " spatial dims for kernel " << shapeString(p.kernel) << "), got shape " << shapeString(x));
  return im2colDims(x[0], x[1], Shape(x.begin() + 2, x.end()), p.kernel, p.stride, p.dilate, p.pad, op,
                    "image of shape");
}

inline Shape columnShape(const Im2colDims& d) { return Shape{d.N, d.C * d.K(), d.L()}; }

// col2im's dims from the column shape (N, C * K, L); checks it against output_size.
inline Im2colDims columnDims(const Col2imParam& p, const Shape& c, const char* op) {
  IST_CHECK(p.kernel.size() >= 1 && p.kernel.size() <= 3, op, "kernel",
            "must have 1, 2 or 3 entries (1-D, 2-D or 3-D images), got " << shapeString(p.kernel));
  IST_CHECK(p.output_size.size() == p.kernel.size(), op, "output_size",
            shapeString(p.output_size) << " has " << p.output_size.size() << " entries but kernel "
                                       << shapeString(p.kernel) << " has " << p.kernel.size());
  conv::checkAtLeast(p.output_size, 1, op, "output_size");
  IST_CHECK(c.size() == 3, op, "data",
            "data must have rank 3 (N, C * prod(kernel), number of blocks), got shape " << shapeString(c));
  Im2colDims d = im2colDims(c[0], 0, p.output_size, p.kernel, p.stride, p.dilate, p.pad, op, "output_size");
  IST_CHECK(c[1] % d.K() == 0, op, "data",
            "dimension 1 of data " << shapeString(c) << " must be a multiple of prod(kernel) = " << d.K()
                                   << " (kernel " << shapeString(p.kernel) << ")");
  IST_CHECK(c[2] == d.L(), op, "data",
            "data " << shapeString(c) << " has " << c[2] << " blocks but output_size "
                    << shapeString(p.output_size) << " with these kernel, stride, dilate and pad gives "
                    << d.L() << " (" << shapeString(d.windows) << ")");
  d.C = c[1] / d.K();
  return d;
}

inline Shape imageShape(const Im2colDims& d) {
  Shape s{d.N, d.C};
  for (int64_t v : d.spatial) s.push_back(v);
  return s;
}

// ---- device-generic computes ----

// col (=|+=) im2col(img) over N images.
template <typename Dev>
void im2colRun(const OpContext& ctx, const char* op, const Im2colDims& d, const TBlob& img, OpReq req,
               const TBlob& col) {
  if (req == OpReq::kNull || col.size() == 0) return;
  conv::runFloatDev<Dev>(ctx, op, {img}, {req}, {col}, [&](auto t, const std::vector<TBlob>& i,
                                                           const std::vector<TBlob>& o) {
    using T = decltype(t);
    const conv::DevGeom g = conv::devGeom(d.g);
    if (req != OpReq::kAddTo) {
      conv::im2colDev<Dev, T>(ctx, i[0].data<T>(), d.N, d.C, g, o[0].data<T>());
      return;
    }
    TempSpace<Dev> tmp(ctx.run.stream, static_cast<size_t>(o[0].size()) * sizeof(T));
    conv::im2colDev<Dev, T>(ctx, i[0].data<T>(), d.N, d.C, g, tmp.template as<T>());
    DeviceKernel<dnd::AddToMap, Dev>::launch(ctx.run.stream, o[0].size(), 1, o[0].data<T>(),
                                             static_cast<const T*>(tmp.template as<T>()));
  });
}

// img (=|+=) col2im(col) over N images.
template <typename Dev>
void col2imRun(const OpContext& ctx, const char* op, const Im2colDims& d, const TBlob& col, OpReq req,
               const TBlob& img) {
  if (req == OpReq::kNull || img.size() == 0) return;
  conv::runFloatDev<Dev>(ctx, op, {col}, {req}, {img}, [&](auto t, const std::vector<TBlob>& i,
                                                           const std::vector<TBlob>& o) {
    using T = decltype(t);
    conv::col2imDev<Dev, T>(ctx, i[0].data<T>(), d.N, d.C, conv::devGeom(d.g), o[0].data<T>(),
                            req == OpReq::kAddTo);
  });
}

template <typename Dev>
void im2colOpDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const Im2colDims d = imageDims(attrs.get<Im2colParam>(), in[0].shape, "im2col");
  im2colRun<Dev>(ctx, "im2col", d, in[0], req[0], out[0]);
}

template <typename Dev>
void col2imOpDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const Im2colDims d = columnDims(attrs.get<Col2imParam>(), in[0].shape, "col2im");
  col2imRun<Dev>(ctx, "col2im", d, in[0], req[0], out[0]);
}

// (ograd, data) -> col2im(ograd) shaped like data.
template <typename Dev>
void im2colBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const Im2colDims d = imageDims(attrs.get<Im2colParam>(), in[1].shape, "_backward_im2col");
  col2imRun<Dev>(ctx, "_backward_im2col", d, in[0], req[0], out[0]);
}

}  // namespace im2colop
}  // namespace ist
