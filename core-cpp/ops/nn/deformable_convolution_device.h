// Shared pieces of _contrib_DeformableConvolution (Deformable ConvNets v1) and
// _contrib_ModulatedDeformableConvolution (v2): their parameters, shape rules, MXNet 1.9's bilinear
// sampling of each kernel tap at p + dilate * k + offset (v2 also scales it by the mask), and the
// device-generic computes (kernels/device.h) of the forward and of the gradients, written once for
// Dev = cpu (the CPU compute and the GPU kernel's CPU twin) and Dev = gpu.
//
// Columns as Convolution's im2col (im2col_device.h): one image's matrix has C * kh * kw rows
// (channel, then tap) and OH * OW columns; the images of a chunk follow each other. The forward is
// deformable im2col + the convolution family's grouped GEMMs; the backward forms the column
// gradient W^T og with the same GEMMs, scatters it to data through the bilinear weights (atomics,
// as MXNet's GPU col2im), reduces it against the sampling derivatives for offset (and mask), and
// re-samples the columns for d weight.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/elemwise/functors.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/im2col_device.h"

namespace ist {
namespace deformconv {

constexpr const char* kOpV1 = "_contrib_DeformableConvolution";
constexpr const char* kBackV1 = "_backward_DeformableConvolution";
constexpr const char* kOpV2 = "_contrib_ModulatedDeformableConvolution";
constexpr const char* kBackV2 = "_backward_ModulatedDeformableConvolution";

// The fields both ops share, declared in MXNet 1.9's order and with its defaults and ranges.
template <typename P>
void declareCommon(ParamDecl<P>& d) {
  d.field("kernel", &P::kernel).doc("Convolution kernel size: (h, w) or (d, h, w)");
  d.field("stride", &P::stride).setDefault(Shape{})
      .doc("Convolution stride: (h, w) or (d, h, w). Defaults to 1 for each dimension.");
  d.field("dilate", &P::dilate).setDefault(Shape{})
      .doc("Convolution dilate: (h, w) or (d, h, w). Defaults to 1 for each dimension.");
  d.field("pad", &P::pad).setDefault(Shape{})
      .doc("Zero pad for convolution: (h, w) or (d, h, w). Defaults to no padding.");
  d.field("num_filter", &P::num_filter).range(1, 100000).doc("Convolution filter(channel) number");
  d.field("num_group", &P::num_group).setDefault(1).range(1, 2147483647).doc("Number of group partitions.");
  d.field("num_deformable_group", &P::num_deformable_group).setDefault(1).range(1, 2147483647)
      .doc("Number of deformable group partitions.");
  d.field("workspace", &P::workspace).setDefault(int64_t(1024)).range(0, 8192)
      .doc("Maximum temperal workspace allowed for convolution (MB); accepted for MXNet compatibility and ignored.");
  d.field("no_bias", &P::no_bias).setDefault(false).doc("Whether to disable bias parameter.");
}

struct DeformableConvolutionParam {
  Shape kernel, stride, dilate, pad;
  int num_filter = 0;
  int num_group = 1;
  int num_deformable_group = 1;
  int64_t workspace = 1024;
  bool no_bias = false;
  std::string layout;
  static void declare(ParamDecl<DeformableConvolutionParam>& d) {
    declareCommon(d);
    d.field("layout", &DeformableConvolutionParam::layout).setDefault("None").values({"None", "NCW", "NCHW", "NCDHW"})
        .doc("Set layout for input, output and weight. Empty for default layout: NCW for 1d, NCHW for 2d and NCDHW "
             "for 3d (only 2-D NCHW is implemented, as in MXNet).");
  }
};

struct ModulatedDeformableConvolutionParam {
  Shape kernel, stride, dilate, pad;
  int num_filter = 0;
  int num_group = 1;
  int num_deformable_group = 1;
  int64_t workspace = 1024;
  bool no_bias = false;
  int im2col_step = 64;
  std::string layout;
  static void declare(ParamDecl<ModulatedDeformableConvolutionParam>& d) {
    declareCommon(d);
    d.field("im2col_step", &ModulatedDeformableConvolutionParam::im2col_step).setDefault(64).range(1, 2147483647)
        .doc("Maximum number of images per im2col computation; The total batch size should be divisable by this "
             "value or smaller than this value; if you face out of memory problem, you can try to use a smaller "
             "value here.");
    d.field("layout", &ModulatedDeformableConvolutionParam::layout).setDefault("None")
        .values({"None", "NCW", "NCHW", "NCDHW"})
        .doc("Set layout for input, output and weight. Empty for default layout: NCW for 1d, NCHW for 2d and NCDHW "
             "for 3d (only 2-D NCHW is implemented, as in MXNet).");
  }
};

// Everything a kernel needs: N images of C channels (H x W), F filters in G groups, DG deformable
// groups, a kh x kw kernel, the output grid OH x OW; modulated: v2 (mask input, zero-padded taps).
struct DcGeom {
  int64_t N, C, H, W, F, G, DG, kh, kw, sh, sw, dh, dw, ph, pw, OH, OW;
  bool modulated;
  int64_t K() const { return kh * kw; }
  int64_t OS() const { return OH * OW; }
};

// The window parameters with defaults filled in and checked (2-D only, as MXNet implements).
template <typename P>
conv::WindowSpec dcSpec(const P& p, const char* op) {
  IST_CHECK(p.kernel.size() == 2, op, "kernel",
            "only 2-D deformable convolution is implemented (kernel (h, w)), got " << shapeString(p.kernel));
  const conv::WindowSpec w = conv::windowSpec(p.kernel, p.stride, p.dilate, p.pad, op, "convolution");
  IST_CHECK(p.layout == "None" || p.layout == "NCHW", op, "layout",
            "only NCHW is supported for a 2-D kernel, got " << p.layout);
  IST_CHECK(p.num_filter % p.num_group == 0, op, "num_group",
            "num_filter " << p.num_filter << " is not divisible by num_group " << p.num_group);
  return w;
}

// Shape rule of both ops. Inputs: data, offset, (mask), weight, (bias).
template <typename P>
void dcShape(const P& p, bool modulated, const char* op, std::vector<Shape>& in, std::vector<Shape>& out) {
  const size_t want = (modulated ? 4 : 3) + (p.no_bias ? 0 : 1);
  IST_CHECK(in.size() == want, op, "bias",
            (p.no_bias ? "no_bias=True" : "no_bias=False") << " takes " << want << " inputs ("
                << (modulated ? "data, offset, mask, weight" : "data, offset, weight") << (p.no_bias ? "" : ", bias")
                << "), got " << in.size());
  const conv::WindowSpec s = dcSpec(p, op);
  const Shape& d = in[0];
  if (!shapeRankKnown(d)) return;
  IST_CHECK(d.size() == 4, op, "data", "expected a 4-D array (NCHW) for kernel " << shapeString(s.kernel)
                                                                                 << ", got shape " << shapeString(d));
  if (!shapeIsKnown(d)) return;
  IST_CHECK(d[1] % p.num_group == 0, op, "num_group",
            "input channels " << d[1] << " (data shape " << shapeString(d) << ") are not divisible by num_group "
                              << p.num_group);
  IST_CHECK(d[1] % p.num_deformable_group == 0, op, "num_deformable_group",
            "input channels " << d[1] << " (data shape " << shapeString(d)
                              << ") are not divisible by num_deformable_group " << p.num_deformable_group);
  Shape o{d[0], p.num_filter};
  for (int i = 0; i < 2; ++i) {
    const int64_t padded = d[2 + i] + 2 * s.pad[i];
    const int64_t dk = conv::dilatedKernel(s.kernel[i], s.dilate[i]);
    IST_CHECK(dk <= padded, op, "kernel",
              "kernel " << shapeString(s.kernel) << " (dilated size " << dk << " along spatial axis " << i
                        << ") exceeds the padded input: data shape " << shapeString(d) << ", pad "
                        << shapeString(s.pad));
    o.push_back((padded - dk) / s.stride[i] + 1);
  }
  const int64_t K = s.kernel[0] * s.kernel[1];
  conv::expectShape(in[1], Shape{d[0], 2 * p.num_deformable_group * K, o[2], o[3]}, op, "offset", d);
  size_t wi = 2;
  if (modulated) {
    conv::expectShape(in[2], Shape{d[0], p.num_deformable_group * K, o[2], o[3]}, op, "mask", d);
    wi = 3;
  }
  conv::expectShape(in[wi], Shape{p.num_filter, d[1] / p.num_group, s.kernel[0], s.kernel[1]}, op, "weight", d);
  if (!p.no_bias) conv::expectShape(in[wi + 1], Shape{p.num_filter}, op, "bias", d);
  out[0] = o;
}

template <typename P>
DcGeom dcGeom(const P& p, bool modulated, const Shape& x, const Shape& y, const char* op) {
  const conv::WindowSpec s = dcSpec(p, op);
  return DcGeom{x[0], x[1], x[2], x[3], p.num_filter, p.num_group, p.num_deformable_group,
                s.kernel[0], s.kernel[1], s.stride[0], s.stride[1], s.dilate[0], s.dilate[1],
                s.pad[0], s.pad[1], y[2], y[3], modulated};
}

// The bilinear taps of sample (y, x) in an H x W plane: value = sum wt[k] * v[pos[k]], its
// derivatives along y and x sum dy[k] * v[pos[k]] and dx[k] * v[pos[k]]. False when the sample is
// zero. v1 (MXNet's deformable_im2col): samples outside [0, H) x [0, W) are zero, the last row and
// column are clamped (constant there, so zero derivative). v2 (modulated_deformable_im2col):
// samples outside (-1, H) x (-1, W) are zero, and corners outside the image read zero.
template <typename C>
struct DcTaps {
  int64_t pos[4];
  C wt[4], dy[4], dx[4];
};

template <typename C>
ISTX bool dcTaps(C y, C x, int64_t H, int64_t W, bool modulated, DcTaps<C>& t) {
  const C fH = static_cast<C>(H), fW = static_cast<C>(W);
  if (modulated) {
    if (!(y > C(-1) && x > C(-1) && y < fH && x < fW)) return false;
  } else {
    if (!(y >= C(0) && x >= C(0) && y < fH && x < fW)) return false;
  }
  int64_t yl = static_cast<int64_t>(math::floor(y)), xl = static_cast<int64_t>(math::floor(x));
  int64_t yh = yl + 1, xh = xl + 1;
  bool yClamp = false, xClamp = false;
  if (!modulated) {
    if (yl >= H - 1) {
      yl = yh = H - 1;
      y = static_cast<C>(yl);
      yClamp = true;
    }
    if (xl >= W - 1) {
      xl = xh = W - 1;
      x = static_cast<C>(xl);
      xClamp = true;
    }
  }
  const C ly = y - static_cast<C>(yl), lx = x - static_cast<C>(xl), hy = C(1) - ly, hx = C(1) - lx;
  const int64_t ys[4] = {yl, yl, yh, yh}, xs[4] = {xl, xh, xl, xh};
  const C wt[4] = {hy * hx, hy * lx, ly * hx, ly * lx};
  const C dy[4] = {-hx, -lx, hx, lx};
  const C dx[4] = {-hy, hy, -ly, ly};
  for (int k = 0; k < 4; ++k) {
    const bool in = ys[k] >= 0 && ys[k] < H && xs[k] >= 0 && xs[k] < W;
    t.pos[k] = in ? ys[k] * W + xs[k] : 0;
    t.wt[k] = in ? wt[k] : C(0);
    t.dy[k] = in && !yClamp ? dy[k] : C(0);
    t.dx[k] = in && !xClamp ? dx[k] : C(0);
  }
  return true;
}

// Where column entry (image n, channel c, tap, output o) samples, and its mask (1 for v1).
struct DcPoint {
  int64_t offBase;  // offset element of the tap's dy (dx follows OS elements later)
  int64_t maskAt;   // mask element, or -1
};

ISTX DcPoint dcPoint(const DcGeom& g, int64_t n, int64_t c, int64_t tap, int64_t o) {
  const int64_t dg = c / (g.C / g.DG), OS = g.OH * g.OW, K = g.kh * g.kw;
  DcPoint p;
  p.offBase = ((n * g.DG + dg) * 2 * K + 2 * tap) * OS + o;
  p.maskAt = g.modulated ? ((n * g.DG + dg) * K + tap) * OS + o : -1;
  return p;
}

// The sample position of tap (i, j) at output o, from its offsets.
template <typename C>
ISTX void dcPosition(const DcGeom& g, int64_t tap, int64_t o, C offH, C offW, C& y, C& x) {
  const int64_t i = tap / g.kw, j = tap % g.kw, oh = o / g.OW, ow = o % g.OW;
  y = static_cast<C>(oh * g.sh - g.ph + i * g.dh) + offH;
  x = static_cast<C>(ow * g.sw - g.pw + j * g.dw) + offW;
}

// col[idx], idx over (image of the chunk, channel, tap, output): the (masked) sample.
struct DcIm2colMap {
  template <typename T>
  ISTX static void Map(int64_t idx, T* col, const T* x, const T* off, const T* mask, DcGeom g, int64_t n0) {
    const int64_t OS = g.OH * g.OW, K = g.kh * g.kw;
    const int64_t o = idx % OS, tap = (idx / OS) % K, c = (idx / (OS * K)) % g.C, n = n0 + idx / (OS * K * g.C);
    const DcPoint p = dcPoint(g, n, c, tap, o);
    T y, xx;
    dcPosition<T>(g, tap, o, off[p.offBase], off[p.offBase + OS], y, xx);
    DcTaps<T> t;
    T v = T(0);
    if (dcTaps<T>(y, xx, g.H, g.W, g.modulated, t)) {
      const T* plane = x + (n * g.C + c) * g.H * g.W;
      v = t.wt[0] * plane[t.pos[0]] + t.wt[1] * plane[t.pos[1]] + t.wt[2] * plane[t.pos[2]] +
          t.wt[3] * plane[t.pos[3]];
      if (p.maskAt >= 0) v *= mask[p.maskAt];
    }
    col[idx] = v;
  }
};

// The column gradient cg[idx] (same indexing) spread over its sample's taps in acc (data-shaped).
struct DcScatterMap {
  template <typename T>
  ISTX static void Map(int64_t idx, T* acc, const T* cg, const T* off, const T* mask, DcGeom g, int64_t n0) {
    const int64_t OS = g.OH * g.OW, K = g.kh * g.kw;
    const int64_t o = idx % OS, tap = (idx / OS) % K, c = (idx / (OS * K)) % g.C, n = n0 + idx / (OS * K * g.C);
    T gv = cg[idx];
    if (gv == T(0)) return;
    const DcPoint p = dcPoint(g, n, c, tap, o);
    if (p.maskAt >= 0) gv *= mask[p.maskAt];
    T y, xx;
    dcPosition<T>(g, tap, o, off[p.offBase], off[p.offBase + OS], y, xx);
    DcTaps<T> t;
    if (!dcTaps<T>(y, xx, g.H, g.W, g.modulated, t)) return;
    T* plane = acc + (n * g.C + c) * g.H * g.W;
    for (int k = 0; k < 4; ++k)
      if (t.wt[k] != T(0)) deviceAtomicAdd(plane + t.pos[k], gv * t.wt[k]);
  }
};

// Offset gradient (mode 0: idx over (image of the chunk, deformable group, tap, dy/dx, output)) or
// mask gradient (mode 1: idx over (image, deformable group, tap, output)): the sum over the group's
// channels of the column gradient times the sample's derivative along the coordinate (times the
// mask), or times the unmasked sample. Written to g_out[n0 * per-image + idx].
struct DcCoordMap {
  template <typename T>
  ISTX static void Map(int64_t idx, T* gout, const T* cg, const T* x, const T* off, const T* mask, DcGeom g,
                       int64_t n0, int mode, bool add) {
    const int64_t OS = g.OH * g.OW, K = g.kh * g.kw, Cdg = g.C / g.DG;
    const int64_t o = idx % OS;
    int64_t t = idx / OS, dir = 0;
    if (mode == 0) {
      dir = t % 2;
      t /= 2;
    }
    const int64_t tap = t % K, dg = (t / K) % g.DG, nl = t / (K * g.DG), n = n0 + nl;
    const DcPoint p = dcPoint(g, n, dg * Cdg, tap, o);
    T y, xx;
    dcPosition<T>(g, tap, o, off[p.offBase], off[p.offBase + OS], y, xx);
    DcTaps<T> tp;
    T acc = T(0);
    if (dcTaps<T>(y, xx, g.H, g.W, g.modulated, tp)) {
      const T* w = mode == 1 ? tp.wt : dir == 0 ? tp.dy : tp.dx;
      for (int64_t c = dg * Cdg; c < (dg + 1) * Cdg; ++c) {
        const T* plane = x + (n * g.C + c) * g.H * g.W;
        const T s = w[0] * plane[tp.pos[0]] + w[1] * plane[tp.pos[1]] + w[2] * plane[tp.pos[2]] +
                    w[3] * plane[tp.pos[3]];
        acc += s * cg[((nl * g.C + c) * K + tap) * OS + o];
      }
      if (mode == 0 && p.maskAt >= 0) acc *= mask[p.maskAt];
    }
    const int64_t per = (mode == 0 ? 2 : 1) * g.DG * K * OS;
    T* dst = gout + n0 * per + idx;
    *dst = add ? T(*dst + acc) : acc;
  }
};

// gx = (gx +) acc.
struct DcFinishMap {
  template <typename T>
  ISTX static void Map(int64_t j, T* gx, const T* acc, bool add) {
    gx[j] = add ? T(gx[j] + acc[j]) : acc[j];
  }
};

// Blob positions of the inputs: data, offset, (mask), weight, (bias).
struct DcSlots {
  size_t mask, weight, bias;
};
inline DcSlots dcSlots(bool modulated) {
  return modulated ? DcSlots{2, 3, 4} : DcSlots{0, 2, 3};
}

// Forward, T float or double. in: data, offset, (mask), weight, (bias).
template <typename Dev, typename T>
void dcForward(const OpContext& ctx, const DcGeom& g, bool noBias, const char* op, const std::vector<TBlob>& in,
               OpReq req, const TBlob& yb) {
  const DcSlots sl = dcSlots(g.modulated);
  const T* x = in[0].data<T>();
  const T* off = in[1].data<T>();
  const T* mask = g.modulated ? in[sl.mask].data<T>() : nullptr;
  const T* w = in[sl.weight].data<T>();
  T* y = yb.data<T>();
  const int64_t K = g.K(), OS = g.OS(), Cg = g.C / g.G, Fg = g.F / g.G, CK = Cg * K;
  const bool add = req == OpReq::kAddTo;
  void* s = ctx.run.stream;
  if (g.N == 0) return;
  if (CK == 0) {  // no input channels: the output is the bias alone
    if (!add) DeviceMem<Dev>::zero(s, y, static_cast<size_t>(yb.size()) * sizeof(T));
  } else {
    const int64_t perImage = g.C * K * OS;
    const int64_t chunk = conv::imagesPerChunk<T>(g.N, perImage);
    TempSpace<Dev> ws(s, static_cast<size_t>(chunk * perImage) * sizeof(T));
    T* col = ws.template as<T>();
    for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
      const int64_t nb = std::min(chunk, g.N - n0);
      DeviceKernel<DcIm2colMap, Dev>::launch(s, nb * perImage, 16, col, x, off, mask, g, n0);
      // y[n, g] (Fg x OS) (+)= W_g (Fg x CK) col[n, g] (CK x OS)
      conv::gemmImagesGroups<Dev, T>(ctx, op, nb, g.G, false, false, Fg, OS, CK, w, CK, 0, Fg * CK, col, OS,
                                     perImage, CK * OS, add ? 1.0 : 0.0, y + n0 * g.F * OS, OS, g.F * OS, Fg * OS);
    }
  }
  if (!noBias) conv::addBiasDev<Dev, T>(ctx, y, in[sl.bias].data<T>(), g.N, g.F, OS);
}

// Backward, T float or double. in: ograd, data, offset, (mask), weight; out: d data, d offset,
// (d mask), d weight, (d bias).
template <typename Dev, typename T>
void dcBackward(const OpContext& ctx, const DcGeom& g, bool noBias, const char* op, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const DcSlots sl = dcSlots(g.modulated);
  const T* og = in[0].data<T>();
  const T* x = in[1].data<T>();
  const T* off = in[2].data<T>();
  const T* mask = g.modulated ? in[1 + sl.mask].data<T>() : nullptr;
  const T* w = in[1 + sl.weight].data<T>();
  const int64_t K = g.K(), OS = g.OS(), Cg = g.C / g.G, Fg = g.F / g.G, CK = Cg * K;
  void* s = ctx.run.stream;
  const OpReq rX = req[0], rOff = req[1], rMask = g.modulated ? req[sl.mask] : OpReq::kNull, rW = req[sl.weight];
  auto zeroOut = [&](size_t i) {
    if (req[i] == OpReq::kWriteTo || req[i] == OpReq::kWriteInplace)
      DeviceMem<Dev>::zero(s, out[i].dptr, static_cast<size_t>(out[i].size()) * sizeof(T));
  };
  if (g.N == 0 || CK == 0) {  // nothing flows to the inputs; d weight is empty or a sum over no images
    zeroOut(0);
    zeroOut(1);
    if (g.modulated) zeroOut(sl.mask);
    zeroOut(sl.weight);
  } else {
    const bool wantX = rX != OpReq::kNull, wantOff = rOff != OpReq::kNull, wantMask = rMask != OpReq::kNull;
    const bool wantW = rW != OpReq::kNull;
    const int64_t perImage = g.C * K * OS;
    const int64_t chunk = conv::imagesPerChunk<T>(g.N, perImage);
    TempSpace<Dev> ws(s, static_cast<size_t>(chunk * perImage) * sizeof(T));
    T* col = ws.template as<T>();
    const int64_t xTotal = out[0].size();
    TempSpace<Dev> accSpace(s, static_cast<size_t>(wantX ? xTotal : 0) * sizeof(T));
    T* acc = accSpace.template as<T>();
    if (wantX) DeviceMem<Dev>::zero(s, acc, static_cast<size_t>(xTotal) * sizeof(T));
    bool firstW = rW != OpReq::kAddTo;
    for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
      const int64_t nb = std::min(chunk, g.N - n0);
      if (wantX || wantOff || wantMask) {
        // col[n, g] (CK x OS) = W_g^T (CK x Fg) og[n, g] (Fg x OS)
        conv::gemmImagesGroups<Dev, T>(ctx, op, nb, g.G, true, false, CK, OS, Fg, w, CK, 0, Fg * CK,
                                       og + n0 * g.F * OS, OS, g.F * OS, Fg * OS, 0.0, col, OS, perImage, CK * OS);
        if (wantOff)
          DeviceKernel<DcCoordMap, Dev>::launch(s, nb * 2 * g.DG * K * OS, 4 * (g.C / g.DG) + 16,
                                                out[1].data<T>(), static_cast<const T*>(col), x, off, mask, g, n0, 0,
                                                rOff == OpReq::kAddTo);
        if (wantMask)
          DeviceKernel<DcCoordMap, Dev>::launch(s, nb * g.DG * K * OS, 4 * (g.C / g.DG) + 16,
                                                out[sl.mask].data<T>(), static_cast<const T*>(col), x, off, mask, g,
                                                n0, 1, rMask == OpReq::kAddTo);
        if (wantX)
          DeviceKernel<DcScatterMap, Dev>::launch(s, nb * perImage, 16, acc, static_cast<const T*>(col), off, mask,
                                                  g, n0);
      }
      if (wantW) {
        DeviceKernel<DcIm2colMap, Dev>::launch(s, nb * perImage, 16, col, x, off, mask, g, n0);
        for (int64_t k = 0; k < nb; ++k) {
          // dW_g (Fg x CK) (+)= og[n, g] (Fg x OS) col[n, g]^T, batched over groups, images in order
          conv::gemmDev<Dev, T>(ctx, op, g.G, false, true, Fg, CK, OS, og + (n0 + k) * g.F * OS, OS, Fg * OS,
                                col + k * perImage, OS, CK * OS, firstW ? 0.0 : 1.0, out[sl.weight].data<T>(), CK,
                                Fg * CK);
          firstW = false;
        }
      }
    }
    if (wantX)
      DeviceKernel<DcFinishMap, Dev>::launch(s, xTotal, 2, out[0].data<T>(), static_cast<const T*>(acc),
                                             rX == OpReq::kAddTo);
  }
  if (!noBias) conv::biasGradDev<Dev, T>(ctx, og, out[sl.bias].data<T>(), g.N, g.F, OS, req[sl.bias]);
}

// The op-level computes: float16/bfloat16 widened to float32 (conv::runFloatDev), as Convolution.
template <typename P, bool Modulated, typename Dev>
void dcForwardCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const char* op = Modulated ? kOpV2 : kOpV1;
  const auto& p = attrs.get<P>();
  const DcGeom g = dcGeom(p, Modulated, in[0].shape, out[0].shape, op);
  conv::runFloatDev<Dev>(ctx, op, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    dcForward<Dev, decltype(t)>(ctx, g, p.no_bias, op, i, req[0], o[0]);
  });
}

template <typename P, bool Modulated, typename Dev>
void dcBackwardCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = Modulated ? kBackV2 : kBackV1;
  const auto& p = attrs.get<P>();
  const DcGeom g = dcGeom(p, Modulated, in[1].shape, in[0].shape, op);
  conv::runFloatDev<Dev>(ctx, op, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    dcBackward<Dev, decltype(t)>(ctx, g, p.no_bias, op, i, req, o);
  });
}

}  // namespace deformconv
}  // namespace ist
