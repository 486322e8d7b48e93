// Spatial transformer ops (MXNet's GridGenerator, BilinearSampler, SpatialTransformer) on the CPU.
//
// Conventions (MXNet's, = PyTorch's grid_sample with align_corners=True, padding_mode='zeros'):
// a grid holds normalized source coordinates, x in channel 0 and y in channel 1, with -1 and 1 the
// centres of the first and last pixel: x_src = (x + 1) * (W - 1) / 2. A sample blends the four
// neighbouring pixels bilinearly; neighbours outside the image count as 0. Target grids put pixel
// (h, w) of an (H, W) target at (-1 + 2 w / (W - 1), -1 + 2 h / (H - 1)); like MXNet, a target side
// of 1 divides by zero there (NaN coordinates).
// Gradients: _backward_BilinearSampler (data and grid) and _backward_GridGenerator (its adjoint);
// SpatialTransformer's gradient composes GridGenerator and those two.
// Parameters and sampling geometry: spatial_params.h; GPU kernels (and their CPU twins): spatial_device.h.
#include <algorithm>
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/spatial_params.h"

namespace ist {
namespace {

using spatialop::BilinearSamplerParam;
using spatialop::checkTarget;
using spatialop::GridGeneratorParam;
using spatialop::kBS;
using spatialop::kBSB;
using spatialop::kGG;
using spatialop::kGGB;
using spatialop::kST;
using spatialop::SpatialTransformerParam;
using spatialop::SampleGridGradMap;
using spatialop::Taps;
using spatialop::tapsAt;
using spatialop::targetCoord;

// ---- shared kernels ----

// grid[n] (2, H*W) = loc[n] (2, 3) . (x, y, 1) over the target pixels.
template <typename T>
void affineGrid(const T* loc, T* grid, int64_t N, int64_t H, int64_t W, OpReq req) {
  const int64_t HW = H * W;
  parallelFor(N * 2, HW * 3, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* a = loc + r * 3;
      T* g = grid + r * HW;
      for (int64_t h = 0; h < H; ++h) {
        const T y = static_cast<T>(targetCoord(h, H));
        for (int64_t w = 0; w < W; ++w) {
          const T x = static_cast<T>(targetCoord(w, W));
          const T v = a[0] * x + a[1] * y + a[2];
          T& o = g[h * W + w];
          o = req == OpReq::kAddTo ? o + v : v;
        }
      }
    }
  });
}

// out (N, C, OH, OW) = bilinear samples of data (N, C, H, W) at grid (N, 2, OH, OW).
template <typename T>
void sampleForward(const T* data, const T* grid, T* out, int64_t N, int64_t C, int64_t H, int64_t W, int64_t OH,
                   int64_t OW, OpReq req) {
  const int64_t OS = OH * OW;
  parallelFor(N * C, OS * 12, [&](int64_t b, int64_t e) {
    for (int64_t plane = b; plane < e; ++plane) {
      const int64_t n = plane / C;
      const T* img = data + plane * H * W;
      const T* gx = grid + n * 2 * OS;
      const T* gy = gx + OS;
      T* o = out + plane * OS;
      for (int64_t i = 0; i < OS; ++i) {
        const Taps<T> t = tapsAt(gx[i], gy[i], H, W);
        const int64_t at = t.y0 * W + t.x0;  // may be -1 or -W - 1 when only later taps are inside
        const T vtl = t.tl ? img[at] : T(0), vtr = t.tr ? img[at + 1] : T(0);
        const T vbl = t.bl ? img[at + W] : T(0), vbr = t.br ? img[at + W + 1] : T(0);
        const T v = vtl * t.wy * t.wx + vtr * t.wy * (T(1) - t.wx) + vbl * (T(1) - t.wy) * t.wx +
                    vbr * (T(1) - t.wy) * (T(1) - t.wx);
        o[i] = req == OpReq::kAddTo ? o[i] + v : v;
      }
    }
  });
}

// Gradients of sampleForward: gdata (scattered per image plane, so planes run in parallel and the
// sums do not depend on threads) and ggrid (summed over channels per target pixel).
template <typename T>
void sampleBackward(const T* og, const T* data, const T* grid, T* gdata, T* ggrid, int64_t N, int64_t C, int64_t H,
                    int64_t W, int64_t OH, int64_t OW, OpReq dataReq, OpReq gridReq) {
  const int64_t OS = OH * OW;
  if (dataReq != OpReq::kNull) {
    if (dataReq != OpReq::kAddTo) std::fill(gdata, gdata + N * C * H * W, T(0));
    parallelFor(N * C, OS * 12, [&](int64_t b, int64_t e) {
      for (int64_t plane = b; plane < e; ++plane) {
        const int64_t n = plane / C;
        const T* gx = grid + n * 2 * OS;
        const T* gy = gx + OS;
        const T* g = og + plane * OS;
        T* d = gdata + plane * H * W;
        for (int64_t i = 0; i < OS; ++i) {
          const Taps<T> t = tapsAt(gx[i], gy[i], H, W);
          const int64_t at = t.y0 * W + t.x0;
          if (t.tl) d[at] += g[i] * t.wy * t.wx;
          if (t.tr) d[at + 1] += g[i] * t.wy * (T(1) - t.wx);
          if (t.bl) d[at + W] += g[i] * (T(1) - t.wy) * t.wx;
          if (t.br) d[at + W + 1] += g[i] * (T(1) - t.wy) * (T(1) - t.wx);
        }
      }
    });
  }
  if (gridReq == OpReq::kNull) return;
  parallelFor(N * OS, C * 16, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k)
      SampleGridGradMap::Map(k, ggrid, og, data, grid, C, H, W, OS, gridReq == OpReq::kAddTo);
  });
}

// Float-type rule shared by every op here: one floating dtype for all inputs and outputs.
FInferType floatTypes(std::vector<std::string> names, const char* op) {
  return [names = std::move(names), op](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
    conv::inferFloatTypes(in, out, names, op);
  };
}

// Runs fn<float|double>(inputs, outputs) with float16/bfloat16 widened to float32.
template <typename Fn>
void dispatch(const char* op, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
              const std::vector<TBlob>& out, Fn&& fn) {
  conv::runWidened(op, in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) fn(float{}, i, o);
    else fn(double{}, i, o);
  });
}

// ---- GridGenerator ----

void ggShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<GridGeneratorParam>();
  const char* op = nn::opName(attrs, kGG);
  if (p.affine()) checkTarget(p.target_shape, op);
  const Shape& d = in[0];
  if (!shapeIsKnown(d)) return;
  if (p.affine()) {
    IST_CHECK(d.size() == 2 && d[1] == 6, op, "data",
              "an affine transform expects data of shape (batch, 6) (rows of 2x3 matrices), got " << shapeString(d));
    out[0] = Shape{d[0], 2, p.target_shape[0], p.target_shape[1]};
  } else {
    IST_CHECK(d.size() == 4 && d[1] == 2, op, "data",
              "a warp transform expects an optical flow of shape (batch, 2, H, W), got " << shapeString(d));
    out[0] = d;
  }
}

template <typename T>
void ggForward(const GridGeneratorParam& p, const TBlob& x, OpReq req, const TBlob& y) {
  if (p.affine()) {
    affineGrid(x.data<T>(), y.data<T>(), x.shape[0], p.target_shape[0], p.target_shape[1], req);
    return;
  }
  // grid = (flow + (w, h)) / ((W - 1) / 2, (H - 1) / 2) - 1
  const int64_t N = x.shape[0], H = x.shape[2], W = x.shape[3];
  const T sx = static_cast<T>((static_cast<double>(W) - 1.0) / 2.0), sy = static_cast<T>((static_cast<double>(H) - 1.0) / 2.0);
  const T* f = x.data<T>();
  T* g = y.data<T>();
  parallelFor(N * 2, H * W * 2, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const bool isY = r % 2 == 1;
      const T s = isY ? sy : sx;
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) {
          const int64_t i = r * H * W + h * W + w;
          const T v = (f[i] + static_cast<T>(isY ? h : w)) / s - T(1);
          g[i] = req == OpReq::kAddTo ? g[i] + v : v;
        }
    }
  });
}

void ggCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
               const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<GridGeneratorParam>();
  dispatch(kGG, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    ggForward<decltype(t)>(p, i[0], req[0], o[0]);
  });
}

// _backward_GridGenerator: input ograd (the grid's gradient); output d data.
void ggBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<GridGeneratorParam>();
  if (p.affine()) checkTarget(p.target_shape, kGGB);
  const Shape& g = in[0];
  if (!shapeIsKnown(g)) return;
  if (p.affine()) {
    const Shape want{g.empty() ? 0 : g[0], 2, p.target_shape[0], p.target_shape[1]};
    IST_CHECK(g.size() == 4 && g == want, kGGB, "ograd",
              "expected the gradient of an affine grid, shape (batch, 2, " << p.target_shape[0] << ", "
                                                                            << p.target_shape[1] << "), got "
                                                                            << shapeString(g));
    out[0] = Shape{g[0], 6};
  } else {
    IST_CHECK(g.size() == 4 && g[1] == 2, kGGB, "ograd",
              "expected the gradient of a warp grid, shape (batch, 2, H, W), got " << shapeString(g));
    out[0] = g;
  }
}

template <typename T>
void ggBackward(const GridGeneratorParam& p, const TBlob& og, OpReq req, const TBlob& gx) {
  const T* g = og.data<T>();
  T* d = gx.data<T>();
  if (p.affine()) {  // d loc[n, r, :] = sum over target pixels of og[n, r] * (x, y, 1)
    const int64_t N = og.shape[0], H = p.target_shape[0], W = p.target_shape[1];
    parallelFor(N * 2, H * W * 6, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        T ax = 0, ay = 0, a1 = 0;
        const T* gr = g + r * H * W;
        for (int64_t h = 0; h < H; ++h) {
          const T y = static_cast<T>(targetCoord(h, H));
          for (int64_t w = 0; w < W; ++w) {
            const T v = gr[h * W + w];
            ax += v * static_cast<T>(targetCoord(w, W));
            ay += v * y;
            a1 += v;
          }
        }
        const T vals[3] = {ax, ay, a1};
        for (int k = 0; k < 3; ++k) d[r * 3 + k] = req == OpReq::kAddTo ? d[r * 3 + k] + vals[k] : vals[k];
      }
    });
    return;
  }
  const int64_t N = og.shape[0], H = og.shape[2], W = og.shape[3];
  const T sx = static_cast<T>((static_cast<double>(W) - 1.0) / 2.0), sy = static_cast<T>((static_cast<double>(H) - 1.0) / 2.0);
  parallelFor(N * 2, H * W, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T s = r % 2 == 1 ? sy : sx;
      for (int64_t i = r * H * W; i < (r + 1) * H * W; ++i) d[i] = req == OpReq::kAddTo ? d[i] + g[i] / s : g[i] / s;
    }
  });
}

void ggBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<GridGeneratorParam>();
  dispatch(kGGB, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    ggBackward<decltype(t)>(p, i[0], req[0], o[0]);
  });
}

IST_REGISTER_OP(GridGenerator)
    .describe("Generates a sampling grid for BilinearSampler. transform_type='affine': data (batch, 6) holds 2x3 "
              "matrices A; output (batch, 2, H, W) with target_shape (H, W) is A . (x, y, 1) over the target "
              "pixels' normalized coordinates x = -1 + 2 w / (W - 1), y = -1 + 2 h / (H - 1). "
              "transform_type='warp': data is an optical flow (batch, 2, H, W) in pixels; the output is "
              "(flow + (w, h)) / ((W - 1) / 2, (H - 1) / 2) - 1. Channel 0 holds x, channel 1 holds y.")
    .inputs({"data"})
    .params<GridGeneratorParam>()
    .inferShape(ggShape)
    .inferType(floatTypes({"data"}, kGG))
    .compute(Context::kCPU, ggCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry(kGGB, {og[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_GridGenerator)
    .describe("Gradient of GridGenerator with respect to its data, from the gradient of the grid.")
    .inputs({"ograd"})
    .params<GridGeneratorParam>()
    .inferShape(ggBackwardShape)
    .inferType(floatTypes({"ograd"}, kGGB))
    .compute(Context::kCPU, ggBackwardCompute);

// ---- BilinearSampler ----

void bsShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, kBS);
  const Shape &d = in[0], &g = in[1];
  if (shapeIsKnown(d))
    IST_CHECK(d.size() == 4, op, "data", "expects a 4-D array (batch, channel, H, W), got shape " << shapeString(d));
  if (shapeIsKnown(g))
    IST_CHECK(g.size() == 4 && g[1] == 2, op, "grid",
              "expects a 4-D grid (batch, 2, H_out, W_out) of (x, y) coordinates, got shape " << shapeString(g));
  if (!shapeIsKnown(d) || !shapeIsKnown(g)) return;
  IST_CHECK(d[0] == g[0], op, "grid",
            "batch size of grid " << shapeString(g) << " differs from data " << shapeString(d));
  out[0] = Shape{d[0], d[1], g[2], g[3]};
}

void bsCompute(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
               const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  dispatch(kBS, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    using T = decltype(t);
    const Shape &d = i[0].shape, &y = o[0].shape;
    sampleForward(i[0].data<T>(), i[1].data<T>(), o[0].data<T>(), d[0], d[1], d[2], d[3], y[2], y[3], req[0]);
  });
}

// _backward_BilinearSampler inputs: ograd, data, grid; outputs: d data, d grid.
void bsBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  checkAgainstForward(kBSB, bsShape, attrs, {in[0]}, {in[1], in[2]});
  out[0] = in[1];
  out[1] = in[2];
}

void bsBackwardCompute(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  dispatch(kBSB, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    using T = decltype(t);
    const Shape &d = i[1].shape, &y = i[0].shape;
    sampleBackward(i[0].data<T>(), i[1].data<T>(), i[2].data<T>(), o[0].data<T>(), o[1].data<T>(), d[0], d[1], d[2],
                   d[3], y[2], y[3], req[0], req[1]);
  });
}

IST_REGISTER_OP(BilinearSampler)
    .describe("Applies bilinear sampling to an input feature map (the sampler of Spatial Transformer Networks). "
              "data (batch, C, H, W), grid (batch, 2, H_out, W_out) holding normalized source coordinates "
              "(x in channel 0, y in channel 1, -1 and 1 the centres of the border pixels); output "
              "(batch, C, H_out, W_out) = the bilinear blend of the four pixels around (x, y), with pixels outside "
              "the input read as 0. Matches torch grid_sample(align_corners=True, padding_mode='zeros') on a "
              "grid moved to channel-last.")
    .inputs({"data", "grid"})
    .params<BilinearSamplerParam>()
    .inferShape(bsShape)
    .inferType(floatTypes({"data", "grid"}, kBS))
    .compute(Context::kCPU, bsCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      NodePtr b = makeNode(kBSB, {og[0], n->inputs[0], n->inputs[1]}, n->attrs.dict);
      return std::vector<NodeEntry>{NodeEntry{b, 0}, NodeEntry{b, 1}};
    });

IST_REGISTER_OP(_backward_BilinearSampler)
    .describe("Gradient of BilinearSampler with respect to data and grid.")
    .inputs({"ograd", "data", "grid"})
    .params<BilinearSamplerParam>()
    .numOutputs([](const NodeAttrs&) { return 2; })
    .inferShape(bsBackwardShape)
    .inferType(floatTypes({"ograd", "data", "grid"}, kBSB))
    .compute(Context::kCPU, bsBackwardCompute);

// ---- SpatialTransformer ----

void stShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<SpatialTransformerParam>();
  const char* op = nn::opName(attrs, kST);
  checkTarget(p.target_shape, op);
  const Shape &d = in[0], &l = in[1];
  if (shapeIsKnown(d))
    IST_CHECK(d.size() == 4, op, "data", "expects a 4-D array (batch, channel, H, W), got shape " << shapeString(d));
  if (shapeIsKnown(l))
    IST_CHECK(l.size() == 2 && l[1] == 6, op, "loc",
              "an affine transform expects loc of shape (batch, 6) (rows of 2x3 matrices), got " << shapeString(l));
  if (!shapeIsKnown(d)) return;
  if (!shapeRankKnown(l)) in[1] = Shape{d[0], 6};
  if (shapeIsKnown(in[1]))
    IST_CHECK(in[1][0] == d[0], op, "loc",
              "batch size of loc " << shapeString(in[1]) << " differs from data " << shapeString(d));
  out[0] = Shape{d[0], d[1], p.target_shape[0], p.target_shape[1]};
}

void stCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
               const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<SpatialTransformerParam>();
  dispatch(kST, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    using T = decltype(t);
    const Shape& d = i[0].shape;
    const int64_t OH = p.target_shape[0], OW = p.target_shape[1];
    conv::Workspace grid(static_cast<size_t>(d[0] * 2 * OH * OW) * sizeof(T));
    affineGrid(i[1].data<T>(), grid.as<T>(), d[0], OH, OW, OpReq::kWriteTo);
    sampleForward(i[0].data<T>(), grid.as<T>(), o[0].data<T>(), d[0], d[1], d[2], d[3], OH, OW, req[0]);
  });
}

IST_REGISTER_OP(SpatialTransformer)
    .describe("Applies a spatial transformer to an input feature map: data (batch, C, H, W) is sampled "
              "bilinearly (outside pixels read as 0) at the affine grid of loc (batch, 6), giving "
              "(batch, C, target_shape[0], target_shape[1]); the same as "
              "BilinearSampler(data, GridGenerator(loc, 'affine', target_shape)).")
    .inputs({"data", "loc"})
    .params<SpatialTransformerParam>()
    .inferShape(stShape)
    .inferType(floatTypes({"data", "loc"}, kST))
    .compute(Context::kCPU, stCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      // Rebuild the grid, then chain the sampler's and the grid generator's gradients.
      const auto& p = n->attrs.get<SpatialTransformerParam>();
      const AttrDict gg{{"transform_type", "affine"}, {"target_shape", paramparse::Codec<Shape>::format(p.target_shape)}};
      NodeEntry grid = makeEntry(kGG, {n->inputs[1]}, gg);
      NodePtr b = makeNode(kBSB, {og[0], n->inputs[0], grid});
      return std::vector<NodeEntry>{NodeEntry{b, 0}, makeEntry(kGGB, {NodeEntry{b, 1}}, gg)};
    });

}  // namespace
}  // namespace ist
