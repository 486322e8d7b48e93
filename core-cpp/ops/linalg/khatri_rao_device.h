// khatri_rao and _backward_khatri_rao: the device-generic computes (GPU kernels and their CPU
// twins, attached in khatri_rao.cu) giving khatri_rao.cc's results bit for bit.
//
// Output row R of A_1 (M_1 x N), ..., A_n is the mixed-radix number (r_1, ..., r_n), the last
// input fastest. The CPU multiplies v = 1 * A_1[r_1] * ... * A_n[r_n] left to right, so the
// device builds the same products a step at a time: prefix table P_i (the khatri_rao of A_1..A_i,
// rows H_i = M_1 ... M_i) is P_{i-1} expanded by A_i. The gradient needs, per input i, the
// prefixes before it and the suffixes after it (the CPU's suffix products, built right to left),
// and sums og[R] * prefix * suffix over the rows R with r_i = r in increasing R, as the CPU does.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>
#include "kernels/device.h"
#include "kernels/device_util.h"
#include "ops/linalg/la_common.h"

namespace ist {
namespace krdev {

// dst row h * M + r = src row h times a row r (src == nullptr: a row of ones); dst (=|+=) that.
struct KrPrefixExpandMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* dst, const T* src, const T* a, int64_t M, int64_t N, bool add) {
    const int64_t row = t / N, k = t - row * N, h = row / M, r = row - h * M;
    const T v = hostMul(src ? src[h * N + k] : T(1), a[r * N + k]);
    dst[t] = add ? hostAdd(dst[t], v) : v;
  }
};

// dst row r * L + l = src row l times a row r (src == nullptr: a row of ones).
struct KrSuffixExpandMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* dst, const T* src, const T* a, int64_t L, int64_t N) {
    const int64_t row = t / N, k = t - row * N, r = row / L, l = row - r * L;
    dst[t] = hostMul(src ? src[l * N + k] : T(1), a[r * N + k]);
  }
};

// d A_i[r, k] (=|+=) sum over h < H, l < L (increasing output row (h * M + r) * L + l) of
// (og * prefix[h]) * suffix[l]; null prefix / suffix tables are rows of ones.
struct KrGradMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* grad, const T* og, const T* prefix, const T* suffix, int64_t H, int64_t M,
                       int64_t L, int64_t N, bool add) {
    const int64_t r = t / N, k = t - r * N;
    T acc = T(0);
    for (int64_t h = 0; h < H; ++h) {
      const T p = prefix ? prefix[h * N + k] : T(1);
      const T* g = og + (h * M + r) * L * N + k;
      for (int64_t l = 0; l < L; ++l)
        acc = hostAdd(acc, hostMul(hostMul(g[l * N], p), suffix ? suffix[l * N + k] : T(1)));
    }
    grad[t] = add ? hostAdd(grad[t], acc) : acc;
  }
};

template <typename Dev, typename T>
void khatriRaoForwardDev(void* s, const std::vector<TBlob>& in, const TBlob& out, bool add) {
  const size_t n = in.size();
  const int64_t N = out.shape[1];
  // Ping-pong scratch for the prefix tables before the last, which goes straight into out.
  int64_t most = 0, rows = 1;
  for (size_t i = 0; i + 1 < n; ++i) most = std::max(most, (rows *= in[i].shape[0]) * N);
  TempSpace<Dev> tmp(s, static_cast<size_t>(2 * most) * sizeof(T));
  T* buf[2] = {tmp.template as<T>(), tmp.template as<T>() + most};
  const T* src = nullptr;
  int64_t H = 1;
  for (size_t i = 0; i < n; ++i) {
    const int64_t M = in[i].shape[0];
    const bool last = i + 1 == n;
    T* dst = last ? out.data<T>() : buf[i % 2];
    DeviceKernel<KrPrefixExpandMap, Dev>::launch(s, H * M * N, 2, dst, src, in[i].data<T>(), M, N, last && add);
    src = dst;
    H *= M;
  }
}

template <typename Dev>
void khatriRaoComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  IST_LA_SWITCH(in[0].dtype, T, op, {
    if (req[0] == OpReq::kNull) return;
    khatriRaoForwardDev<Dev, T>(ctx.run.stream, in, out[0], req[0] == OpReq::kAddTo);
  });
}

// in = (og, A_1, ..., A_n); out = the n gradients.
template <typename Dev, typename T>
void khatriRaoBackwardDev(void* s, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                          const std::vector<TBlob>& out) {
  const size_t n = in.size() - 1;
  const int64_t N = in[0].shape[1];
  std::vector<int64_t> M(n), L(n, 1);
  for (size_t i = 0; i < n; ++i) M[i] = in[i + 1].shape[0];
  for (size_t i = n - 1; i-- > 0;) L[i] = L[i + 1] * M[i + 1];
  // Suffix tables S_i (L_i x N, the products of A_{i+1}..A_{n-1} built right to left) for every
  // i < n - 1, one after another in one buffer; S_{n-1} is a row of ones.
  std::vector<int64_t> sOff(n, 0);
  int64_t sTotal = 0;
  for (size_t i = 0; i + 1 < n; ++i) sOff[i] = sTotal, sTotal += L[i] * N;
  TempSpace<Dev> sMem(s, static_cast<size_t>(sTotal) * sizeof(T));
  T* S = sMem.template as<T>();
  for (size_t i = n - 1; i-- > 0;)
    DeviceKernel<KrSuffixExpandMap, Dev>::launch(s, L[i] * N, 2, S + sOff[i],
                                                 i + 2 < n ? static_cast<const T*>(S + sOff[i + 1]) : nullptr,
                                                 in[i + 2].data<T>(), L[i + 1], N);
  // Prefix tables P_i (H_i x N) ping-pong as i rises; P_0 is a row of ones.
  int64_t most = 0, rows = 1;
  for (size_t i = 0; i + 1 < n; ++i) most = std::max(most, (rows *= M[i]) * N);
  TempSpace<Dev> pMem(s, static_cast<size_t>(2 * most) * sizeof(T));
  T* buf[2] = {pMem.template as<T>(), pMem.template as<T>() + most};
  const T* P = nullptr;
  int64_t H = 1;
  for (size_t i = 0; i < n; ++i) {
    if (req[i] != OpReq::kNull)
      DeviceKernel<KrGradMap, Dev>::launch(s, M[i] * N, H * L[i] * 3, out[i].data<T>(),
                                           static_cast<const T*>(in[0].data<T>()), P,
                                           i + 1 < n ? static_cast<const T*>(S + sOff[i]) : nullptr, H, M[i], L[i],
                                           N, req[i] == OpReq::kAddTo);
    if (i + 1 == n) break;
    DeviceKernel<KrPrefixExpandMap, Dev>::launch(s, H * M[i] * N, 2, buf[i % 2], P, in[i + 1].data<T>(), M[i], N,
                                                 false);
    P = buf[i % 2];
    H *= M[i];
  }
}

template <typename Dev>
void khatriRaoBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  IST_LA_SWITCH(in[0].dtype, T, op, { khatriRaoBackwardDev<Dev, T>(ctx.run.stream, in, req, out); });
}

}  // namespace krdev
}  // namespace ist
