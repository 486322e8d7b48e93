// Pooling (max, avg, sum, lp; 1-D/2-D/3-D; valid/full/same conventions; global pooling;
// channel-first or channel-last layouts) with MXNet's window rules, and _backward_Pooling.
//
// A window at output position o spans [o * stride - pad, min(start + kernel, in + pad)) and is
// clipped to the input. avg divides by the unclipped (padded) window size, or by the number of
// real elements when count_include_pad=False; lp computes (sum x^p)^(1/p) for p in {1, 2, 3}
// (no absolute value, as MXNet). The max gradient goes to the first element equal to the output.
#include "op/backward_errors.h"
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>
#include "graph/node.h"
#include "kernels/cpu/row_copy.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/pooling_params.h"
#include "ops/nn/pool_rows.h"

namespace ist {
namespace pooling_detail {
namespace {

Shape outShape(const Plan& pl, const Shape& d) {
  Shape o = d;
  const size_t first = pl.channelLast ? 1 : 2;
  for (int i = 0; i < pl.nd; ++i) o[first + i] = pl.out[i];
  return o;
}

void poolShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const Shape& d = in[0];
  if (!shapeIsKnown(d)) return;
  out[0] = outShape(makePlan(attrs.get<PoolingParam>(), d, kOp), d);
}

void poolType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"data"}, kOp);
}

// Element strides of an (N, C, spatial...) view of the data, padded to 3 spatial dims.
struct Strides {
  int64_t n, c, sp[3];
};

Strides stridesOf(const Plan& pl, const int64_t* dims3) {
  Strides s;
  const int64_t sz = dims3[0] * dims3[1] * dims3[2];
  if (pl.channelLast) {
    s.c = 1;
    s.sp[2] = pl.C;
    s.sp[1] = dims3[2] * pl.C;
    s.sp[0] = dims3[1] * dims3[2] * pl.C;
    s.n = sz * pl.C;
  } else {
    s.sp[2] = 1;
    s.sp[1] = dims3[2];
    s.sp[0] = dims3[1] * dims3[2];
    s.c = sz;
    s.n = sz * pl.C;
  }
  return s;
}

// One window, clipped: [lo, hi) per dim and the divisor avg uses.
struct Window {
  int64_t lo[3], hi[3];
  int64_t size;
};

template <typename C> inline C powP(C v, int p) { return p == 1 ? v : p == 2 ? v * v : v * v * v; }
template <typename C> inline C rootP(C v, int p) { return p == 1 ? v : p == 2 ? std::sqrt(v) : std::cbrt(v); }

// Runs body(n, c, outIndexStrided, window) for every output element of planes [b, e).
struct Sweep {
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, p[3] = {0, 0, 0};
  explicit Sweep(const Plan& pl) {
    const int off = 3 - pl.nd;
    for (int i = 0; i < pl.nd; ++i) {
      in[off + i] = pl.in[i];
      out[off + i] = pl.out[i];
      k[off + i] = pl.kernel[i];
      s[off + i] = pl.stride[i];
      p[off + i] = pl.pad[i];
    }
  }
  // The window along dim i at output o, clipped to the input ([lo, hi)), and its extent: padded
  // (countPad) or clipped.
  int64_t extent(int i, int64_t o, bool countPad, int64_t* lo = nullptr, int64_t* hi = nullptr) const {
    const int64_t st = o * s[i] - p[i];
    const int64_t en = std::min(st + k[i], in[i] + p[i]);
    const int64_t a = std::max<int64_t>(st, 0), b = std::min(en, in[i]);
    if (lo) *lo = a;
    if (hi) *hi = b;
    return countPad ? en - st : std::max<int64_t>(b - a, 0);
  }
  Window window(int64_t od, int64_t oh, int64_t ow, bool countPad) const {
    Window w;
    const int64_t o[3] = {od, oh, ow};
    w.size = 1;
    for (int i = 0; i < 3; ++i) w.size *= extent(i, o[i], countPad, &w.lo[i], &w.hi[i]);
    return w;
  }
};

// The reductions poolRows runs: the value padding stands for, and how two values combine.
template <typename C> struct MaxOf {
  static C pad() { return std::numeric_limits<C>::lowest(); }
  static C of(C a, C b) { return a > b ? a : b; }  // a: the new value; NaN in b (the held one) stays
};
template <typename C> struct SumOf {
  static C pad() { return C(0); }
  static C of(C a, C b) { return b + a; }
};

// poolRows' two row operations: float32 through pool_rows.h's SIMD kernels, other types as these loops,
// which the kernels follow lane for lane.
template <typename T, typename C, typename R> struct RowPass {
  static constexpr bool kSimd = std::is_same<T, float>::value && std::is_same<C, float>::value;
  const pool::RowKernels* k = kSimd ? &pool::rowKernels(std::is_same<R, MaxOf<C>>::value) : nullptr;
  // v[i] = of(a[i], of(b[i], v[i])), or of(a[i], v[i]) with b null.
  void rows(C* v, const T* a, const T* b, int64_t n) const {
    if constexpr (kSimd) {
      k->rows(v, a, b, n);
    } else if (b) {
      for (int64_t i = 0; i < n; ++i) v[i] = R::of(C(a[i]), R::of(C(b[i]), v[i]));
    } else {
      for (int64_t i = 0; i < n; ++i) v[i] = R::of(C(a[i]), v[i]);
    }
  }
  // v[i] = of(a[i], pad).
  void first(C* v, const T* a, int64_t n) const {
    if constexpr (kSimd) k->first(v, a, n);
    else
      for (int64_t i = 0; i < n; ++i) v[i] = R::of(C(a[i]), R::pad());
  }
};

// One plane's rows of output (unit-stride rows): see forward. colExtent: avg's window width per
// output column (the divisor is that times the window's height and depth), or null for max and sum.
template <typename T, typename C, typename R>
void poolRows(const Sweep& sw, const Strides& xs, bool countPad, const T* xp, std::vector<C>& v,
              std::vector<C>& halves, std::vector<C>& rowOut, const C* colExtent, T* yp, const Strides& ys,
              bool add) {
  const int64_t st = sw.s[2], kw = sw.k[2], vLen = static_cast<int64_t>(v.size());
  C* vin = v.data() + sw.p[2];  // v[sw.p[2] + x] belongs to input column x
  const RowPass<T, C, R> pass;  // over input rows
  const RowPass<C, C, R> cols;  // over v's columns
  for (int64_t od = 0; od < sw.out[0]; ++od)
    for (int64_t oh = 0; oh < sw.out[1]; ++oh) {
      const Window w = sw.window(od, oh, 0, countPad);
      std::fill(v.begin(), v.begin() + sw.p[2], R::pad());
      std::fill(v.begin() + sw.p[2] + sw.in[2], v.end(), R::pad());
      // The window's rows into v: the first against the padding value, the others two per pass.
      const T* held = nullptr;
      bool any = false;
      for (int64_t i = w.lo[0]; i < w.hi[0]; ++i)
        for (int64_t j = w.lo[1]; j < w.hi[1]; ++j) {
          const T* in = xp + i * xs.sp[0] + j * xs.sp[1];
          if (!any) {
            pass.first(vin, in, sw.in[2]);
            any = true;
          } else if (!held) {
            held = in;
          } else {
            pass.rows(vin, in, held, sw.in[2]);
            held = nullptr;
          }
        }
      if (held) pass.rows(vin, held, nullptr, sw.in[2]);
      if (!any) std::fill(vin, vin + sw.in[2], R::pad());  // no input row in the window
      const C* src = v.data();
      C* r = rowOut.data();
      if (st == 1) {  // tap by tap along the row, so the loops vectorise
        std::copy(src, src + sw.out[2], r);
        for (int64_t k = 1; k < kw; ++k) cols.rows(r, src + k, nullptr, sw.out[2]);
      } else if (st == 2) {
        C* even = halves.data();
        C* odd = even + (vLen + 1) / 2;
        copyEveryOther(even, src, (vLen + 1) / 2);
        copyEveryOther(odd, src + 1, vLen / 2);
        std::copy(even, even + sw.out[2], r);
        // Input column 2 * ow + k = 2 * (ow + k / 2) + k % 2.
        for (int64_t k = 1; k < kw; ++k) cols.rows(r, (k & 1 ? odd : even) + k / 2, nullptr, sw.out[2]);
      } else {
        for (int64_t ow = 0; ow < sw.out[2]; ++ow) {
          C m = src[ow * st];
          for (int64_t k = 1; k < kw; ++k) m = R::of(src[ow * st + k], m);
          r[ow] = m;
        }
      }
      if (colExtent) {
        const C rows = C(sw.extent(0, od, countPad) * sw.extent(1, oh, countPad));
        for (int64_t ow = 0; ow < sw.out[2]; ++ow) {
          const C size = rows * colExtent[ow];
          r[ow] = size > 0 ? r[ow] / size : C(0);
        }
      }
      T* dst = yp + od * ys.sp[0] + oh * ys.sp[1];
      for (int64_t ow = 0; ow < sw.out[2]; ++ow) dst[ow] = add ? dst[ow] + r[ow] : r[ow];
    }
}

template <typename T>
void forward(const Plan& pl, const T* x, T* y, OpReq req) {
  using C = T;  // float or double (16-bit floats arrive widened)
  const Sweep sw(pl);
  const Strides xs = stridesOf(pl, sw.in), ys = stridesOf(pl, sw.out);
  const int64_t outSz = sw.out[0] * sw.out[1] * sw.out[2], kSz = sw.k[0] * sw.k[1] * sw.k[2];
  const bool add = req == OpReq::kAddTo;
  // Max, avg and sum pooling over unit-stride rows, one output row at a time, separably (at 3x3 six
  // passes, where reading each tap over the plane would be nine): first the max (sum) over the
  // window's input rows (contiguous, so it vectorises) into a row `v` set between runs of `lowest`
  // (zero) standing for the padding, so that every window, edges included, reads v the same way;
  // then the max (sum) along v over the kernel columns (stride 2: from v's even and odd halves, read
  // contiguously); avg then divides by the window's size, the product of its extents per dim.
  // Max ignores NaN (v > r is false) and is the same whichever order the values come in.
  const bool isMax = pl.kind == Kind::kMax;
  const bool rowwise = (isMax || pl.kind == Kind::kAvg || pl.kind == Kind::kSum) && xs.sp[2] == 1 && ys.sp[2] == 1;
  const int64_t st = sw.s[2], kw = sw.k[2];
  const int64_t vLen = std::max(sw.p[2] + sw.in[2], (sw.out[2] - 1) * st + kw);
  std::vector<C> colExtent;  // avg: each output column's window width
  if (rowwise && pl.kind == Kind::kAvg)
    for (int64_t ow = 0; ow < sw.out[2]; ++ow) colExtent.push_back(C(sw.extent(2, ow, pl.countPad)));
  // float32 2-D planes (1-D too) in one SIMD call each (pool_rows.h's plane: the same passes, the same
  // results, without a call per row, and vectorised however narrow the rows).
  const bool planeKernel = std::is_same<T, float>::value && rowwise && sw.in[0] == 1 && sw.k[0] == 1 &&
                           sw.out[0] == 1;
  std::vector<float> rowsExtent;
  pool::PlaneGeom geom{};
  if constexpr (std::is_same<T, float>::value) {
    if (planeKernel) {
      if (pl.kind == Kind::kAvg)
        for (int64_t oh = 0; oh < sw.out[1]; ++oh)
          rowsExtent.push_back(float(sw.extent(0, 0, pl.countPad) * sw.extent(1, oh, pl.countPad)));
      geom = {sw.in[1], sw.in[2], sw.out[1], sw.out[2], sw.k[1], sw.k[2], sw.s[1], sw.s[2], sw.p[1], sw.p[2],
              rowsExtent.empty() ? nullptr : rowsExtent.data(), colExtent.empty() ? nullptr : colExtent.data()};
    }
  }
  parallelFor(pl.N * pl.C, outSz * kSz, [&](int64_t b, int64_t e) {
    std::vector<C> v(rowwise ? static_cast<size_t>(vLen) : 0);
    std::vector<C> halves(rowwise && (st == 2 || planeKernel) ? static_cast<size_t>(vLen + 1) : 0);
    std::vector<C> rowOut(rowwise ? static_cast<size_t>(sw.out[2]) : 0);
    for (int64_t plane = b; plane < e; ++plane) {
      const int64_t n = plane / pl.C, c = plane % pl.C;
      const T* xp = x + n * xs.n + c * xs.c;
      T* yp = y + n * ys.n + c * ys.c;
      if constexpr (std::is_same<T, float>::value) {
        if (planeKernel) {
          pool::rowKernels(isMax).plane(geom, xp, yp, v.data(), halves.data(), add);
          continue;
        }
      }
      if (rowwise) {
        if (isMax) poolRows<T, C, MaxOf<C>>(sw, xs, pl.countPad, xp, v, halves, rowOut, nullptr, yp, ys, add);
        else poolRows<T, C, SumOf<C>>(sw, xs, pl.countPad, xp, v, halves, rowOut,
                                      colExtent.empty() ? nullptr : colExtent.data(), yp, ys, add);
        continue;
      }
      for (int64_t od = 0; od < sw.out[0]; ++od)
        for (int64_t oh = 0; oh < sw.out[1]; ++oh)
          for (int64_t ow = 0; ow < sw.out[2]; ++ow) {
            const Window w = sw.window(od, oh, ow, pl.countPad);
            C r;
            const int64_t len = std::max<int64_t>(w.hi[2] - w.lo[2], 0);
            if (pl.kind == Kind::kMax) {
              r = std::numeric_limits<C>::lowest();
              for (int64_t i = w.lo[0]; i < w.hi[0]; ++i)
                for (int64_t j = w.lo[1]; j < w.hi[1]; ++j)
                  r = rowMax(xp + i * xs.sp[0] + j * xs.sp[1] + w.lo[2] * xs.sp[2], len, xs.sp[2], r);
            } else {
              C acc = 0;
              for (int64_t i = w.lo[0]; i < w.hi[0]; ++i)
                for (int64_t j = w.lo[1]; j < w.hi[1]; ++j) {
                  const T* row = xp + i * xs.sp[0] + j * xs.sp[1] + w.lo[2] * xs.sp[2];
                  if (pl.p == 1) {
                    acc += rowSum(row, len, xs.sp[2]);
                  } else {
                    for (int64_t k = 0; k < len; ++k) acc += powP<C>(row[k * xs.sp[2]], pl.p);
                  }
                }
              if (pl.kind == Kind::kAvg) r = w.size > 0 ? acc / C(w.size) : C(0);
              else if (pl.kind == Kind::kLp) r = rootP(acc, pl.p);
              else r = acc;
            }
            T* dst = yp + od * ys.sp[0] + oh * ys.sp[1] + ow * ys.sp[2];
            *dst = add ? *dst + r : r;
          }
    }
  });
}

// inputs: ograd, data, output (forward's); output: d data.
template <typename T>
void backward(const Plan& pl, const T* og, const T* x, const T* y, T* dx, OpReq req) {
  using C = T;
  const Sweep sw(pl);
  const Strides xs = stridesOf(pl, sw.in), ys = stridesOf(pl, sw.out);
  const int64_t outSz = sw.out[0] * sw.out[1] * sw.out[2], kSz = sw.k[0] * sw.k[1] * sw.k[2];
  const int64_t inSz = sw.in[0] * sw.in[1] * sw.in[2];
  // The offset of the first element of the window equal to the forward output (-1: none).
  auto firstEqual = [&](const T* xp, const Window& w, C out) -> int64_t {
    for (int64_t i = w.lo[0]; i < w.hi[0]; ++i)
      for (int64_t j = w.lo[1]; j < w.hi[1]; ++j)
        for (int64_t k = w.lo[2]; k < w.hi[2]; ++k) {
          const int64_t xi = i * xs.sp[0] + j * xs.sp[1] + k * xs.sp[2];
          if (C(xp[xi]) == out) return xi;
        }
    return -1;
  };
  // 2-D (and 1-D) max, avg and sum over contiguous planes: the windows' rows and columns worked out once
  // per call instead of per output element; the same elements, order and arithmetic as the loops below.
  const bool planes2d = pl.kind != Kind::kLp && sw.in[0] == 1 && sw.k[0] == 1 && sw.out[0] == 1 && xs.sp[2] == 1 &&
                        xs.sp[1] == sw.in[2] && ys.sp[2] == 1 && ys.sp[1] == sw.out[2];
  // Its windows' row and column ranges and extents, once per call.
  const int64_t H = sw.in[1], W = sw.in[2], OH = sw.out[1], OW = sw.out[2];
  std::vector<int64_t> rlo, rhi, rext, clo, chi, cext;
  int64_t dext = 1;
  if (planes2d) {
    rlo.resize(OH), rhi.resize(OH), rext.resize(OH), clo.resize(OW), chi.resize(OW), cext.resize(OW);
    for (int64_t oh = 0; oh < OH; ++oh) rext[oh] = sw.extent(1, oh, pl.countPad, &rlo[oh], &rhi[oh]);
    for (int64_t ow = 0; ow < OW; ++ow) cext[ow] = sw.extent(2, ow, pl.countPad, &clo[ow], &chi[ow]);
    dext = sw.extent(0, 0, pl.countPad);
  }
  const bool isMax = pl.kind == Kind::kMax, isAvg = pl.kind == Kind::kAvg;
  // Avg and sum go a row of outputs at a time: each output's share, then for each window offset (row
  // i, column kk) one pass along the row over the outputs whose window has that offset inside the
  // input, [colsFrom(kk), colsTo(kk)); offsets last to first, so every input element takes its shares
  // in the order of the outputs, as per-window loops added them (a per-window loop's adds each waited
  // for the store before: 3x slower).
  const int64_t KW = sw.k[2], SW = sw.s[2], PW = sw.p[2];
  auto colsFrom = [&](int64_t kk) { return kk >= PW ? int64_t(0) : (PW - kk + SW - 1) / SW; };
  auto colsTo = [&](int64_t kk) { return W + PW - kk <= 0 ? int64_t(0) : std::min(OW, (W + PW - kk + SW - 1) / SW); };
  // 2x2 max pooling with stride 2, no padding and whole windows (LeNet's, VGG's): each input element is
  // in at most one window, so the gradient is written, not accumulated, and each window's first element
  // equal to the output takes it, found branch-free (the search's early exits mispredict on real data;
  // the same branch-free loop over larger tiling windows was slower than the search). The same values
  // as the search, including +0 elsewhere (written as 0 + take).
  const int64_t KH = sw.k[1], SH = sw.s[1], PH = sw.p[1];
  const bool tiles2x2 = planes2d && isMax && req != OpReq::kAddTo && KH == 2 && KW == 2 && SH == 2 && SW == 2 &&
                        PH == 0 && PW == 0 && OH * 2 <= H && OW * 2 <= W;
  auto tiledMaxPlane = [&](const T* xp, const T* yp, const T* gop, T* gp) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      const T* yRow = yp + oh * OW;
      const T* gRow = gop + oh * OW;
      const T* x0 = xp + 2 * oh * W;
      const T* x1 = x0 + W;
      T* g0 = gp + 2 * oh * W;
      T* g1 = g0 + W;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const C o = yRow[ow];
        const T g = gRow[ow];
        const bool ea = C(x0[2 * ow]) == o;
        const bool eb = !ea && C(x0[2 * ow + 1]) == o;
        const bool ec = !ea && !eb && C(x1[2 * ow]) == o;
        const bool ed = !ea && !eb && !ec && C(x1[2 * ow + 1]) == o;
        g0[2 * ow] = T(0) + (ea ? g : T(0));
        g0[2 * ow + 1] = T(0) + (eb ? g : T(0));
        g1[2 * ow] = T(0) + (ec ? g : T(0));
        g1[2 * ow + 1] = T(0) + (ed ? g : T(0));
      }
      std::fill(g0 + 2 * OW, g0 + W, T(0));  // a last column no window reaches
      std::fill(g1 + 2 * OW, g1 + W, T(0));
    }
    std::fill(gp + OH * 2 * W, gp + H * W, T(0));  // and a last row
  };
  parallelFor(pl.N * pl.C, outSz * kSz + inSz, [&](int64_t b, int64_t e) {
    std::vector<T> share(planes2d && !isMax ? OW : 0);
    for (int64_t plane = b; plane < e; ++plane) {
      const int64_t n = plane / pl.C, c = plane % pl.C;
      const T* xp = x + n * xs.n + c * xs.c;
      T* gp = dx + n * xs.n + c * xs.c;
      const T* yp = y + n * ys.n + c * ys.c;
      const T* gop = og + n * ys.n + c * ys.c;
      if (tiles2x2) {
        tiledMaxPlane(xp, yp, gop, gp);
        continue;
      }
      if (planes2d) {
        if (req != OpReq::kAddTo) std::fill(gp, gp + H * W, T(0));
        for (int64_t oh = 0; oh < OH; ++oh) {
          const T* gRow = gop + oh * OW;
          if (isMax) {  // the first element equal to the output (early exits: sparse maps, all zeros after a
            for (int64_t ow = 0; ow < OW; ++ow) {  // relu, predict well; selects over the window did not)
              const C out = yp[oh * OW + ow];
              for (int64_t i = rlo[oh]; i < rhi[oh]; ++i) {
                const T* row = xp + i * W;
                int64_t k = clo[ow];
                while (k < chi[ow] && !(C(row[k]) == out)) ++k;
                if (k < chi[ow]) {
                  gp[i * W + k] += gRow[ow];
                  break;
                }
              }
            }
            continue;
          }
          for (int64_t ow = 0; ow < OW; ++ow) {
            const int64_t size = dext * rext[oh] * cext[ow];
            const C scale = isAvg ? (size > 0 ? C(1) / C(size) : C(0)) : C(1);
            share[ow] = gRow[ow] * scale;
          }
          for (int64_t i = rlo[oh]; i < rhi[oh]; ++i) {
            T* row = gp + i * W;
            for (int64_t kk = KW - 1; kk >= 0; --kk) {
              const int64_t c0 = kk - PW, lo = colsFrom(kk), hi = colsTo(kk);
              for (int64_t ow = lo; ow < hi; ++ow) row[ow * SW + c0] += share[ow];
            }
          }
        }
        continue;
      }
      if (req != OpReq::kAddTo)
        for (int64_t i = 0; i < sw.in[0]; ++i)
          for (int64_t j = 0; j < sw.in[1]; ++j)
            for (int64_t k = 0; k < sw.in[2]; ++k) gp[i * xs.sp[0] + j * xs.sp[1] + k * xs.sp[2]] = T(0);
      for (int64_t od = 0; od < sw.out[0]; ++od)
        for (int64_t oh = 0; oh < sw.out[1]; ++oh)
          for (int64_t ow = 0; ow < sw.out[2]; ++ow) {
            const Window w = sw.window(od, oh, ow, pl.countPad);
            const int64_t oi = od * ys.sp[0] + oh * ys.sp[1] + ow * ys.sp[2];
            const C g = gop[oi], out = yp[oi];
            if (pl.kind == Kind::kMax) {
              const int64_t xi = firstEqual(xp, w, out);
              if (xi >= 0) gp[xi] += g;
              continue;
            }
            const C scale = pl.kind == Kind::kAvg ? (w.size > 0 ? C(1) / C(w.size) : C(0)) : C(1);
            for (int64_t i = w.lo[0]; i < w.hi[0]; ++i)
              for (int64_t j = w.lo[1]; j < w.hi[1]; ++j)
                for (int64_t k = w.lo[2]; k < w.hi[2]; ++k) {
                  const int64_t xi = i * xs.sp[0] + j * xs.sp[1] + k * xs.sp[2];
                  C d = g;
                  if (pl.kind == Kind::kLp && pl.p > 1) {
                    // d out / d x = (x / out)^(p-1); 0 where out underflowed to 0 (MXNet's lp_grad).
                    const C ratio = out == C(0) ? C(0) : C(xp[xi]) / out;
                    d = pl.p == 2 ? g * ratio : g * ratio * ratio;
                  }
                  gp[xi] += d * scale;
                }
          }
    }
  });
}

void poolCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const Plan pl = makePlan(attrs.get<PoolingParam>(), in[0].shape, kOp);
  conv::runWidened(kOp, in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) forward<float>(pl, i[0].data<float>(), o[0].data<float>(), req[0]);
    else forward<double>(pl, i[0].data<double>(), o[0].data<double>(), req[0]);
  });
}

void poolBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const Plan pl = makePlan(attrs.get<PoolingParam>(), in[1].shape, "_backward_Pooling");
  conv::runWidened("_backward_Pooling", in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32)
      backward<float>(pl, i[0].data<float>(), i[1].data<float>(), i[2].data<float>(), o[0].data<float>(), req[0]);
    else
      backward<double>(pl, i[0].data<double>(), i[1].data<double>(), i[2].data<double>(), o[0].data<double>(),
                       req[0]);
  });
}

void poolBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  checkAgainstForward("_backward_Pooling", poolShape, attrs, {in[0]}, {in[1]});
  if (shapeIsKnown(in[0]) && shapeIsKnown(in[2])) {
    IST_CHECK(in[2] == in[0], "_backward_Pooling", "output",
              "forward output has shape " << shapeString(in[2]) << " but the output gradient " << shapeString(in[0]));
  }
  out[0] = in[1];
}

void poolBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"ograd", "data", "output"}, "_backward_Pooling");
}

std::vector<NodeEntry> poolGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  return {makeEntry("_backward_Pooling", {og[0], n->inputs[0], NodeEntry{n, 0}}, n->attrs.dict)};
}

IST_REGISTER_OP(Pooling)
    .describe("Performs pooling on the input: max, avg (mean), sum or lp ((sum x^p)^(1/p)) over windows of 1-D "
              "(N, C, W), 2-D (N, C, H, W) or 3-D (N, C, D, H, W) data (or channel-last with layout). With "
              "global_pool the window is the whole spatial extent. Output size per spatial axis: valid "
              "floor((in + 2 * pad - kernel) / stride) + 1, full ceil((in + 2 * pad - kernel) / stride) + 1, "
              "same ceil(in / stride).")
    .inputs({"data"})
    .params<PoolingParam>()
    .inferShape(poolShape)
    .inferType(poolType)
    .compute(Context::kCPU, poolCompute)
    .gradient(poolGradient);

IST_REGISTER_OP(_backward_Pooling)
    .describe("Gradient of Pooling from the output gradient, the data and the forward output.")
    .inputs({"ograd", "data", "output"})
    .params<PoolingParam>()
    .inferShape(poolBackwardShape)
    .inferType(poolBackwardType)
    .compute(Context::kCPU, poolBackwardCompute);

}  // namespace
}  // namespace pooling_detail
}  // namespace ist
