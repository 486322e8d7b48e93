// _contrib_fft and _contrib_ifft: their parameters and shape rule (shared with fft.cc) and the
// device-generic compute of both (GPU kernel and CPU twin, attached in fft.cu).
//
// MXNet 1.9 semantics: fft takes real rows of length d (the last axis of a 2-D or 4-D array) and
// writes their unnormalised DFT, X_k = sum_n x_n e^{-2 pi i k n / d}, interleaved (re, im) along a
// last axis of 2d. ifft takes such interleaved rows and writes the real part of the unnormalised
// inverse DFT, Re(sum_k z_k e^{+2 pi i k n / d}) (no division by d, as MXNet), so
// ifft(fft(x)) = d * x. Each op is the other's adjoint, which is how their gradients are built.
//
// Any d: powers of two run an in-place radix-2 FFT; other lengths use Bluestein's chirp-z
// transform (a length-d DFT as a circular convolution of power-of-two length m >= 2d - 1), so every
// row costs O(m log m). All arithmetic is float64 whatever the array dtype, and twiddles are
// computed directly per index (not by recurrence), so float32 results match numpy.fft to rounding.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "kernels/device_util.h"
#include "op/params.h"
#include "op/registry.h"

namespace ist {
namespace fftop {

constexpr const char* kFft = "_contrib_fft";
constexpr const char* kIfft = "_contrib_ifft";

struct FFTParam {
  int compute_size = 128;
  static void declare(ParamDecl<FFTParam>& d) {
    d.field("compute_size", &FFTParam::compute_size)
        .setDefault(128)
        .range(1, 2147483647)
        .doc("Maximum size of sub-batch to be forwarded at one time");
  }
};

// The output shape: the last axis doubled (fft) or halved (ifft); MXNet accepts 2-D and 4-D data.
inline Shape fftShapeOf(const Shape& s, bool inverse) {
  const char* op = inverse ? kIfft : kFft;
  IST_CHECK(s.size() == 2 || s.size() == 4, op, "data",
            "data must be 2-D (N, d) or 4-D (N1, N2, N3, d), got shape " << shapeString(s));
  Shape o = s;
  if (inverse) {
    IST_CHECK(s.back() % 2 == 0, op, "data",
              "the last axis of data holds interleaved (real, imag) pairs and must be even, got shape "
                  << shapeString(s));
    o.back() = s.back() / 2;
  } else {
    o.back() = s.back() * 2;
  }
  return o;
}

// One transform: `rows` rows of d complex points, run as power-of-two transforms of length m
// (m == d unless bluestein).
struct FFTGeom {
  int64_t rows = 0, d = 0, m = 1;
  bool bluestein = false;
  bool inverse = false;
};

inline FFTGeom fftGeometry(const Shape& in, bool inverse) {
  FFTGeom g;
  g.inverse = inverse;
  g.rows = 1;
  for (size_t i = 0; i + 1 < in.size(); ++i) g.rows *= in[i];
  g.d = inverse ? in.back() / 2 : in.back();
  const bool pow2 = g.d > 0 && (g.d & (g.d - 1)) == 0;
  g.bluestein = !pow2;
  g.m = 1;
  const int64_t want = pow2 ? g.d : 2 * g.d - 1;
  while (g.m < want) g.m <<= 1;
  return g;
}

constexpr double kPi = 3.141592653589793238462643383279502884;

// e^{-i pi num / den} for num in [0, 2 den) as (cos, sin) into w[0], w[1]; the multiples of pi/2
// are exact (cos(pi/2) in floating point is 6e-17, which would leave residues where exact zeros belong).
ISTX void unitRoot(int64_t num, int64_t den, double* w) {
  if ((2 * num) % den == 0) {
    const int64_t q = (2 * num) / den;  // quarter turns, 0..3
    w[0] = q == 0 ? 1.0 : (q == 2 ? -1.0 : 0.0);
    w[1] = q == 1 ? -1.0 : (q == 3 ? 1.0 : 0.0);
    return;
  }
  const double a = -kPi * static_cast<double>(num) / static_cast<double>(den);
  w[0] = cos(a);
  w[1] = sin(a);
}

// tw[j] = e^{-2 pi i j / m} for j < m / 2, as (cos, sin) pairs.
struct TwiddleMap {
  ISTX static void Map(int64_t j, double* tw, int64_t m) { unitRoot(2 * j, m, tw + 2 * j); }
};

// chirp[n] = e^{-i pi n^2 / d}; n^2 is reduced mod 2d in integers first so the angle stays exact.
struct ChirpMap {
  ISTX static void Map(int64_t n, double* chirp, int64_t d) {
    const int64_t r = static_cast<int64_t>((static_cast<unsigned long long>(n) * static_cast<unsigned long long>(n)) %
                                           static_cast<unsigned long long>(2 * d));
    unitRoot(r, d, chirp + 2 * n);
  }
};

// In-place forward DFT of m (a power of two) interleaved complex points: bit reversal, then
// radix-2 butterflies with twiddles from tw (TwiddleMap for this m).
ISTX void fftPow2(double* z, int64_t m, const double* tw) {
  for (int64_t i = 1, j = 0; i < m; ++i) {
    int64_t bit = m >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const double r = z[2 * i], im = z[2 * i + 1];
      z[2 * i] = z[2 * j];
      z[2 * i + 1] = z[2 * j + 1];
      z[2 * j] = r;
      z[2 * j + 1] = im;
    }
  }
  for (int64_t len = 2; len <= m; len <<= 1) {
    const int64_t half = len >> 1, step = m / len;
    for (int64_t i = 0; i < m; i += len) {
      for (int64_t k = 0; k < half; ++k) {
        const double wr = tw[2 * k * step], wi = tw[2 * k * step + 1];
        const int64_t a = i + k, b = a + half;
        const double vr = z[2 * b] * wr - z[2 * b + 1] * wi, vi = z[2 * b] * wi + z[2 * b + 1] * wr;
        const double ur = z[2 * a], ui = z[2 * a + 1];
        z[2 * a] = ur + vr;
        z[2 * a + 1] = ui + vi;
        z[2 * b] = ur - vr;
        z[2 * b + 1] = ui - vi;
      }
    }
  }
}

// Bluestein's filter, FFT_m(b) with b_j = conj(chirp_j) at j and m - j (|j| < d), zero elsewhere;
// shared by every row, so one item builds it.
struct FilterMap {
  ISTX static void Map(int64_t, double* filt, const double* chirp, const double* tw, int64_t d, int64_t m) {
    for (int64_t j = 0; j < 2 * m; ++j) filt[j] = 0;
    for (int64_t j = 0; j < d; ++j) {
      filt[2 * j] = chirp[2 * j];
      filt[2 * j + 1] = -chirp[2 * j + 1];
      if (j > 0) {
        filt[2 * (m - j)] = chirp[2 * j];
        filt[2 * (m - j) + 1] = -chirp[2 * j + 1];
      }
    }
    fftPow2(filt, m, tw);
  }
};

// One row per item: rows row0 + r of the input transformed into the output. The inverse (ifft)
// is Re(DFT(conj z)), which equals Re(sum_k z_k e^{+2 pi i k n / d}).
struct FFTRowMap {
  template <typename T>
  ISTX static void Map(int64_t r, T* out, const T* in, double* work, const double* tw, const double* chirp,
                       const double* filt, FFTGeom g, int64_t row0, bool add) {
    const int64_t row = row0 + r, d = g.d, m = g.m;
    double* z = work + 2 * m * r;
    if (g.inverse) {
      const T* x = in + row * 2 * d;
      for (int64_t n = 0; n < d; ++n) {
        z[2 * n] = ldd(x[2 * n]);
        z[2 * n + 1] = -ldd(x[2 * n + 1]);
      }
    } else {
      const T* x = in + row * d;
      for (int64_t n = 0; n < d; ++n) {
        z[2 * n] = ldd(x[n]);
        z[2 * n + 1] = 0;
      }
    }
    if (g.bluestein) {
      // a_n = x_n chirp_n, zero-padded to m; X = chirp * IDFT_m(DFT_m(a) * filt).
      for (int64_t n = 0; n < d; ++n) {
        const double xr = z[2 * n], xi = z[2 * n + 1], cr = chirp[2 * n], ci = chirp[2 * n + 1];
        z[2 * n] = xr * cr - xi * ci;
        z[2 * n + 1] = xr * ci + xi * cr;
      }
      for (int64_t n = 2 * d; n < 2 * m; ++n) z[n] = 0;
      fftPow2(z, m, tw);
      // The inverse DFT as conj(DFT(conj(.))) / m: multiply by filt and conjugate in one pass.
      for (int64_t k = 0; k < m; ++k) {
        const double ar = z[2 * k], ai = z[2 * k + 1], fr = filt[2 * k], fi = filt[2 * k + 1];
        z[2 * k] = ar * fr - ai * fi;
        z[2 * k + 1] = -(ar * fi + ai * fr);
      }
      fftPow2(z, m, tw);
      const double s = 1.0 / static_cast<double>(m);
      for (int64_t k = 0; k < d; ++k) {
        const double cr = z[2 * k] * s, ci = -z[2 * k + 1] * s, wr = chirp[2 * k], wi = chirp[2 * k + 1];
        z[2 * k] = cr * wr - ci * wi;
        z[2 * k + 1] = cr * wi + ci * wr;
      }
    } else {
      fftPow2(z, m, tw);
    }
    if (g.inverse) {
      T* y = out + row * d;
      for (int64_t k = 0; k < d; ++k) putd(y + k, z[2 * k], add);
    } else {
      T* y = out + row * 2 * d;
      for (int64_t k = 0; k < 2 * d; ++k) putd(y + k, z[k], add);
    }
  }
};

// Scratch for the rows of one launch is bounded, so huge batches run in several launches.
constexpr int64_t kWorkBytes = int64_t(64) << 20;

// The compute of both ops (inverse: ifft).
template <typename Dev>
void fftRunDev(const OpContext& ctx, const TBlob& in, OpReq req, const TBlob& out, bool inverse) {
  const char* op = inverse ? kIfft : kFft;
  if (req == OpReq::kNull || out.size() == 0) return;
  const FFTGeom g = fftGeometry(in.shape, inverse);
  void* s = ctx.run.stream;
  const int64_t m = g.m, d = g.d;
  int64_t chunk = kWorkBytes / (16 * m);
  if (chunk < 1) chunk = 1;
  if (chunk > g.rows) chunk = g.rows;
  ScratchLayout L;
  const size_t oTw = L.add<double>(m > 1 ? m : 1);
  const size_t oChirp = L.add<double>(g.bluestein ? 2 * d : 1);
  const size_t oFilt = L.add<double>(g.bluestein ? 2 * m : 1);
  const size_t oWork = L.add<double>(2 * m * chunk);
  TempSpace<Dev> tmp(s, L.bytes());
  void* base = tmp.get();
  double* tw = ScratchLayout::at<double>(base, oTw);
  double* chirp = ScratchLayout::at<double>(base, oChirp);
  double* filt = ScratchLayout::at<double>(base, oFilt);
  double* work = ScratchLayout::at<double>(base, oWork);
  DeviceKernel<TwiddleMap, Dev>::launch(s, m / 2, 20, tw, m);
  if (g.bluestein) {
    DeviceKernel<ChirpMap, Dev>::launch(s, d, 20, chirp, d);
    DeviceKernel<FilterMap, Dev>::launch(s, 1, 1, filt, static_cast<const double*>(chirp),
                                         static_cast<const double*>(tw), d, m);
  }
  int64_t logm = 1;
  while ((int64_t(1) << logm) < m) ++logm;
  const int64_t cost = (g.bluestein ? 3 : 1) * m * logm * 4 + 8 * d;
  const bool add = req == OpReq::kAddTo;
  IST_TYPE_SWITCH_FLOAT(in.dtype, T, op, {
    for (int64_t r0 = 0; r0 < g.rows; r0 += chunk) {
      const int64_t n = g.rows - r0 < chunk ? g.rows - r0 : chunk;
      DeviceKernel<FFTRowMap, Dev>::launch(s, n, cost, out.data<T>(), in.data<T>(), work,
                                           static_cast<const double*>(tw), static_cast<const double*>(chirp),
                                           static_cast<const double*>(filt), g, r0, add);
    }
  });
}

template <typename Dev>
void fftDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
            const std::vector<TBlob>& out) {
  fftRunDev<Dev>(ctx, in[0], req[0], out[0], false);
}

template <typename Dev>
void ifftDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
             const std::vector<TBlob>& out) {
  fftRunDev<Dev>(ctx, in[0], req[0], out[0], true);
}

}  // namespace fftop
}  // namespace ist
