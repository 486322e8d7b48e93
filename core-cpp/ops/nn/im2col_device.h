// Device-generic pieces of the convolution family (kernels/device.h), written once for Dev = cpu
// (the "GPU kernel on CPU" twins) and Dev = gpu: float16/bfloat16 widening, im2col, a gather-style
// col2im (each image element sums its own column entries: deterministic, no atomics), GEMMs
// batched over images or groups, bias add and bias gradient.
//
// Column layout as im2col.h: the column matrix of one C-channel image has C * K rows (channel,
// then kernel offsets kd, kh, kw) and outSize columns; the matrices of consecutive images follow
// each other.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>
#include "base/dtype.h"
#include "base/error.h"
#include "kernels/channel_index.h"
#include "kernels/device.h"
#include "ndarray/tblob.h"
#include "op/registry.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace conv {

// float16/bfloat16 widening, the device form of runWidened in conv_common.h (dense_device_util.h).
using dnd::runWidenedDev;

// runWidenedDev, then fn(T(), inputs, outputs) with T the blobs' type (float or double).
template <typename Dev, typename Fn>
void runFloatDev(const OpContext& ctx, const char* op, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                 const std::vector<TBlob>& out, const Fn& fn) {
  runWidenedDev<Dev>(ctx, op, in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) fn(float(), i, o);
    else fn(double(), i, o);
  });
}

// ---- geometry --------------------------------------------------------------------------------

// conv::Geom with its sizes precomputed: plain data for Map arguments.
struct DevGeom {
  int64_t in[3], out[3], k[3], s[3], d[3], p[3];
  int64_t K, inSz, outSz;
};

inline DevGeom devGeom(const Geom& g) {
  DevGeom r;
  for (int i = 0; i < 3; ++i) {
    r.in[i] = g.in[i];
    r.out[i] = g.out[i];
    r.k[i] = g.k[i];
    r.s[i] = g.s[i];
    r.d[i] = g.d[i];
    r.p[i] = g.p[i];
  }
  r.K = g.kSize();
  r.inSz = g.inSize();
  r.outSz = g.outSize();
  return r;
}

// col[i] for i over (image*channel, kernel offset, window position) of consecutive images.
// Index arithmetic in I: int32_t when every index fits (the divisions dominate this kernel on a
// GPU, and 32-bit ones cost a fraction of 64-bit ones), int64_t otherwise.
template <typename I>
struct Im2colMap {
  template <typename T>
  ISTX static void Map(int64_t idx, T* col, const T* img, DevGeom g) {
    const I i = I(idx), outSz = I(g.outSz), K = I(g.K);
    const I o = i % outSz, r = i / outSz;
    const I kk = r % K, nc = r / K;
    const I ow = o % I(g.out[2]), oh = (o / I(g.out[2])) % I(g.out[1]), od = o / (I(g.out[2]) * I(g.out[1]));
    const I kw = kk % I(g.k[2]), kh = (kk / I(g.k[2])) % I(g.k[1]), kd = kk / (I(g.k[2]) * I(g.k[1]));
    const I id = od * I(g.s[0]) - I(g.p[0]) + kd * I(g.d[0]);
    const I ih = oh * I(g.s[1]) - I(g.p[1]) + kh * I(g.d[1]);
    const I iw = ow * I(g.s[2]) - I(g.p[2]) + kw * I(g.d[2]);
    T v = T(0);
    if (id >= 0 && id < I(g.in[0]) && ih >= 0 && ih < I(g.in[1]) && iw >= 0 && iw < I(g.in[2]))
      v = img[nc * I(g.inSz) + (id * I(g.in[1]) + ih) * I(g.in[2]) + iw];
    col[idx] = v;
  }
};

// The adjoint of im2col, gathered: image element i (over image*channel, id, ih, iw) becomes
// (add ? its value : 0) plus every column entry im2col read from it, in kernel-offset order (the
// order col2im.h adds them in, so the sums agree bit for bit).
struct Col2imGatherMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* img, const T* col, DevGeom g, bool add) {
    const int64_t iw = i % g.in[2];
    int64_t t = i / g.in[2];
    const int64_t ih = t % g.in[1];
    t /= g.in[1];
    const int64_t id = t % g.in[0], nc = t / g.in[0];
    const T* cb = col + nc * g.K * g.outSz;
    T acc = add ? img[i] : T(0);
    for (int64_t kd = 0; kd < g.k[0]; ++kd) {
      const int64_t ad = id + g.p[0] - kd * g.d[0];
      if (ad < 0 || ad % g.s[0] != 0) continue;
      const int64_t od = ad / g.s[0];
      if (od >= g.out[0]) continue;
      for (int64_t kh = 0; kh < g.k[1]; ++kh) {
        const int64_t ah = ih + g.p[1] - kh * g.d[1];
        if (ah < 0 || ah % g.s[1] != 0) continue;
        const int64_t oh = ah / g.s[1];
        if (oh >= g.out[1]) continue;
        for (int64_t kw = 0; kw < g.k[2]; ++kw) {
          const int64_t aw = iw + g.p[2] - kw * g.d[2];
          if (aw < 0 || aw % g.s[2] != 0) continue;
          const int64_t ow = aw / g.s[2];
          if (ow >= g.out[2]) continue;
          const int64_t kk = (kd * g.k[1] + kh) * g.k[2] + kw;
          acc += cb[kk * g.outSz + (od * g.out[1] + oh) * g.out[2] + ow];
        }
      }
    }
    img[i] = acc;
  }
};

template <typename Dev, typename T>
void im2colDev(const OpContext& ctx, const T* img, int64_t images, int64_t channels, const DevGeom& g, T* col) {
  const int64_t n = images * channels * g.K * g.outSz;
  // Every index the map forms (column entries, image offsets incl. padding overhang) stays below these.
  const int64_t maxIndex = std::max(n, images * channels * g.inSz + g.inSz);
  if (maxIndex < (int64_t(1) << 31)) {
    DeviceKernel<Im2colMap<int32_t>, Dev>::launch(ctx.run.stream, n, 4, col, img, g);
  } else {
    DeviceKernel<Im2colMap<int64_t>, Dev>::launch(ctx.run.stream, n, 4, col, img, g);
  }
}

// img (=|+=) col2im(col) for `images` consecutive images of `channels` channels.
template <typename Dev, typename T>
void col2imDev(const OpContext& ctx, const T* col, int64_t images, int64_t channels, const DevGeom& g, T* img,
               bool add) {
  DeviceKernel<Col2imGatherMap, Dev>::launch(ctx.run.stream, images * channels * g.inSz, 4 * g.K, img, col, g, add);
}

// Images per pass when each needs `perImage` scratch elements of T (at least one image).
template <typename T>
int64_t imagesPerChunk(int64_t N, int64_t perImage) {
  constexpr int64_t kBudgetBytes = int64_t(256) << 20;
  if (perImage <= 0) return std::max<int64_t>(N, 1);
  const int64_t per = perImage * static_cast<int64_t>(sizeof(T));
  return std::max<int64_t>(1, std::min<int64_t>(N, kBudgetBytes / per));
}

// The two chunked passes Convolution and Deconvolution share (direct: pointwise, no scratch).
// Images [0, N) go in chunks whose column matrices (perImage elements each) fit the budget.

// body(n0, nb, col, colImg) gets the chunk's columns of src (ch channels, srcImg elements an image):
// im2col into scratch, or the images themselves when direct.
template <typename Dev, typename T, typename Body>
void im2colChunks(const OpContext& ctx, const DevGeom& g, bool direct, int64_t N, int64_t ch, int64_t srcImg,
                  int64_t perImage, const T* src, const Body& body) {
  const int64_t chunk = imagesPerChunk<T>(N, perImage);
  TempSpace<Dev> ws(ctx.run.stream, static_cast<size_t>(direct ? 0 : chunk * perImage) * sizeof(T));
  for (int64_t n0 = 0; n0 < N; n0 += chunk) {
    const int64_t nb = std::min(chunk, N - n0);
    const T* col = src + n0 * srcImg;
    int64_t colImg = srcImg;
    if (!direct) {
      im2colDev<Dev, T>(ctx, col, nb, ch, g, ws.template as<T>());
      col = ws.template as<T>();
      colImg = perImage;
    }
    body(n0, nb, col, colImg);
  }
}

// gemm(n0, nb, target, tImg, beta) writes the chunk's columns into target (scratch, or dst itself
// when direct, beta then adding for `add`); col2im then writes (or adds) them into dst (ch
// channels, dstImg elements an image).
template <typename Dev, typename T, typename Gemm>
void col2imChunks(const OpContext& ctx, const DevGeom& g, bool direct, int64_t N, int64_t ch, int64_t dstImg,
                  int64_t perImage, T* dst, bool add, const Gemm& gemm) {
  const int64_t chunk = imagesPerChunk<T>(N, perImage);
  TempSpace<Dev> ws(ctx.run.stream, static_cast<size_t>(direct ? 0 : chunk * perImage) * sizeof(T));
  for (int64_t n0 = 0; n0 < N; n0 += chunk) {
    const int64_t nb = std::min(chunk, N - n0);
    T* dn = dst + n0 * dstImg;
    T* target = direct ? dn : ws.template as<T>();
    const int64_t tImg = direct ? dstImg : perImage;
    gemm(n0, nb, target, tImg, direct && add ? 1.0 : 0.0);
    if (!direct) col2imDev<Dev, T>(ctx, target, nb, ch, g, dn, add);
  }
}

// ---- GEMM ------------------------------------------------------------------------------------

// One row-major GEMM, `batch` times with element strides (DeviceBlas<Dev>).
template <typename Dev, typename T>
void gemmDev(const OpContext& ctx, const char* op, int64_t batch, bool tA, bool tB, int64_t M, int64_t N,
             int64_t K, const T* A, int64_t lda, int64_t sA, const T* B, int64_t ldb, int64_t sB, double beta, T* C,
             int64_t ldc, int64_t sC) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  GemmArgs a;
  a.dtype = DTypeOf<T>::value;
  a.transA = tA;
  a.transB = tB;
  a.M = M;
  a.N = N;
  a.K = K;
  a.alpha = 1.0;
  a.beta = beta;
  a.A = A;
  a.lda = lda;
  a.strideA = sA;
  a.B = B;
  a.ldb = ldb;
  a.strideB = sB;
  a.C = C;
  a.ldc = ldc;
  a.strideC = sC;
  a.batch = batch;
  DeviceBlas<Dev>::gemm(ctx.run.stream, a, op);
}

// The same GEMM for every (image, group) pair: operand X of pair (n, g) starts at
// X + n * xImg + g * xGrp. Batched over the larger of the two counts, looping over the other.
// The C matrices of different pairs must not overlap.
template <typename Dev, typename T>
void gemmImagesGroups(const OpContext& ctx, const char* op, int64_t images, int64_t groups, bool tA, bool tB,
                      int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, int64_t aImg, int64_t aGrp,
                      const T* B, int64_t ldb, int64_t bImg, int64_t bGrp, double beta, T* C, int64_t ldc,
                      int64_t cImg, int64_t cGrp) {
  if (images <= 0 || groups <= 0) return;
  if (groups <= images) {
    for (int64_t g = 0; g < groups; ++g)
      gemmDev<Dev, T>(ctx, op, images, tA, tB, M, N, K, A + g * aGrp, lda, aImg, B + g * bGrp, ldb, bImg, beta,
                      C + g * cGrp, ldc, cImg);
  } else {
    for (int64_t n = 0; n < images; ++n)
      gemmDev<Dev, T>(ctx, op, groups, tA, tB, M, N, K, A + n * aImg, lda, aGrp, B + n * bImg, ldb, bGrp, beta,
                      C + n * cImg, ldc, cGrp);
  }
}

// ---- bias --------------------------------------------------------------------------------------

// out[n, c, :] += bias[c] over `inner` elements per (n, c).
struct AddBiasMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const T* bias, ChannelIndex channel) {
    out[i] += bias[channel(i)];
  }
};

template <typename Dev, typename T>
void addBiasDev(const OpContext& ctx, T* out, const T* bias, int64_t n, int64_t c, int64_t inner) {
  DeviceKernel<AddBiasMap, Dev>::launch(ctx.run.stream, n * c * inner, 1, out, bias, ChannelIndex(n * c * inner, c, inner));
}

// Partial sums of the bias gradient: part[ch * parts + q] = sum over chunk q of the n * inner
// elements of channel ch (accumulated in double, as conv::biasGrad does).
struct BiasGradPartMap {
  template <typename T>
  ISTX static void Map(int64_t i, double* part, const T* og, int64_t c, int64_t inner, int64_t total,
                       int64_t parts, int64_t chunk) {
    const int64_t ch = i / parts, q = i % parts;
    const int64_t lo = q * chunk, hi = lo + chunk < total ? lo + chunk : total;
    double acc = 0;
    for (int64_t j = lo; j < hi; ++j) {
      const int64_t b = j / inner, e = j % inner;
      acc += og[(b * c + ch) * inner + e];
    }
    part[i] = acc;
  }
};

struct BiasGradFinishMap {
  template <typename T>
  ISTX static void Map(int64_t ch, T* gb, const double* part, int64_t parts, bool add) {
    double acc = 0;
    for (int64_t q = 0; q < parts; ++q) acc += part[ch * parts + q];
    gb[ch] = add ? T(gb[ch] + acc) : T(acc);
  }
};

// grad_bias[c] (=|+=) sum over n and `inner` of og[n, c, :].
template <typename Dev, typename T>
void biasGradDev(const OpContext& ctx, const T* og, T* gb, int64_t n, int64_t c, int64_t inner, OpReq req) {
  if (req == OpReq::kNull || c <= 0) return;
  constexpr int64_t kChunk = 4096;
  const int64_t total = n * inner;
  const int64_t parts = std::max<int64_t>(1, (total + kChunk - 1) / kChunk);
  TempSpace<Dev> part(ctx.run.stream, static_cast<size_t>(c * parts) * sizeof(double));
  DeviceKernel<BiasGradPartMap, Dev>::launch(ctx.run.stream, c * parts, kChunk, part.template as<double>(), og, c,
                                             inner, total, parts, kChunk);
  DeviceKernel<BiasGradFinishMap, Dev>::launch(ctx.run.stream, c, parts, gb, part.template as<const double>(), parts,
                                               req == OpReq::kAddTo);
}

}  // namespace conv
}  // namespace ist
