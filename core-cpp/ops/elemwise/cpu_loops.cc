// The type-erased CPU drivers behind cpu_loops.h: thread splitting and broadcast row walking.
#include "ops/elemwise/cpu_loops.h"
#include "engine/parallel_for.h"

namespace ist {
namespace elem {

namespace {
constexpr int64_t kHalfBlock = 256;

void toFloat(float* dst, const void* src, int64_t n, bool bf16) {
  if (bf16) {
    const bf16_t* s = static_cast<const bf16_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = float(s[i]);
  } else {
    const half_t* s = static_cast<const half_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = float(s[i]);
  }
}

void fromFloat(void* dst, const float* src, int64_t n, bool bf16) {
  if (bf16) {
    bf16_t* d = static_cast<bf16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = bf16_t(src[i]);
  } else {
    half_t* d = static_cast<half_t*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = half_t(src[i]);
  }
}
}  // namespace

void intRowViaDouble(int64_t n, void* out, const void* in, UnaryRowFn doubleRow, bool addTo,
                     DType dtype) {
  double fin[kHalfBlock], fout[kHalfBlock];
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const T* src = static_cast<const T*>(in);
    T* dst = static_cast<T*>(out);
    for (int64_t i0 = 0; i0 < n; i0 += kHalfBlock) {
      const int64_t m = n - i0 < kHalfBlock ? n - i0 : kHalfBlock;
      for (int64_t i = 0; i < m; ++i) fin[i] = double(src[i0 + i]);
      if (addTo) {
        for (int64_t i = 0; i < m; ++i) fout[i] = double(dst[i0 + i]);
      }
      doubleRow(m, fout, fin);
      for (int64_t i = 0; i < m; ++i) dst[i0 + i] = convert<T>(fout[i]);
    }
  };
  switch (dtype) {
    case DType::kUint8: run(uint8_t()); break;
    case DType::kInt8: run(int8_t()); break;
    case DType::kInt16: run(int16_t()); break;
    case DType::kUint16: run(uint16_t()); break;
    case DType::kInt32: run(int32_t()); break;
    case DType::kUint32: run(uint32_t()); break;
    case DType::kInt64: run(int64_t()); break;
    case DType::kUint64: run(uint64_t()); break;
    default: throwUnsupportedDType(dtype, "elementwise");
  }
}

void halfRowViaFloat(int64_t n, void* out, const void* in, UnaryRowFn floatRow, bool addTo,
                     bool bf16) {
  float fin[kHalfBlock], fout[kHalfBlock];
  char* o = static_cast<char*>(out);
  const char* x = static_cast<const char*>(in);
  for (int64_t i0 = 0; i0 < n; i0 += kHalfBlock) {
    const int64_t m = n - i0 < kHalfBlock ? n - i0 : kHalfBlock;
    toFloat(fin, x + 2 * i0, m, bf16);
    if (addTo) toFloat(fout, o + 2 * i0, m, bf16);
    floatRow(m, fout, fin);
    fromFloat(o + 2 * i0, fout, m, bf16);
  }
}

void halfRowViaFloat(int64_t n, void* out, const void* a, int64_t sa, const void* b, int64_t sb,
                     BinaryRowFn floatRow, bool addTo, bool bf16) {
  float fa[kHalfBlock], fb[kHalfBlock], fout[kHalfBlock];
  char* o = static_cast<char*>(out);
  const char* pa = static_cast<const char*>(a);
  const char* pb = static_cast<const char*>(b);
  if (sa == 0) toFloat(fa, pa, 1, bf16);
  if (sb == 0) toFloat(fb, pb, 1, bf16);
  for (int64_t i0 = 0; i0 < n; i0 += kHalfBlock) {
    const int64_t m = n - i0 < kHalfBlock ? n - i0 : kHalfBlock;
    if (sa != 0) toFloat(fa, pa + 2 * i0, m, bf16);
    if (sb != 0) toFloat(fb, pb + 2 * i0, m, bf16);
    if (addTo) toFloat(fout, o + 2 * i0, m, bf16);
    floatRow(m, fout, fa, sa, fb, sb);
    fromFloat(o + 2 * i0, fout, m, bf16);
  }
}

void cpuUnaryFlat(int64_t n, int64_t cost, UnaryRowFn row, void* out, const void* in,
                  size_t outSize, size_t inSize) {
  if (n <= 0) return;
  char* o = static_cast<char*>(out);
  const char* x = static_cast<const char*>(in);
  const int64_t os = static_cast<int64_t>(outSize), is = static_cast<int64_t>(inSize);
  parallelFor(n, cost, [&](int64_t begin, int64_t end) {
    row(end - begin, o + begin * os, x + begin * is);
  });
}

void cpuAccumulate(const TBlob& src, const TBlob& out, const char* op) {
  IST_TYPE_SWITCH_ALL(out.dtype, T, op, {
    cpuUnaryFlat(out.size(), 1, &unaryRow<identity, true, T>, out.dptr, src.dptr, sizeof(T),
                 sizeof(T));
  });
}

void cpuScalar(int64_t n, int64_t cost, BinaryRowFn row, void* out, const void* data,
               const void* scalar, bool reverse, size_t elemSize) {
  BroadcastGeom g;
  g.shape[0] = n;
  g.lstride[0] = reverse ? 0 : 1;
  g.rstride[0] = reverse ? 1 : 0;
  cpuBinaryBroadcast(g, cost, row, out, reverse ? scalar : data, reverse ? data : scalar, elemSize);
}

void cpuBinaryBroadcast(const BroadcastGeom& g, int64_t cost, BinaryRowFn row, void* out,
                        const void* a, const void* b, size_t elemSize) {
  const int nd = g.ndim;
  const int64_t inner = g.shape[nd - 1];
  const int64_t sa = g.lstride[nd - 1], sb = g.rstride[nd - 1];
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; ++d) rows *= g.shape[d];
  if (rows * inner <= 0) return;
  char* o = static_cast<char*>(out);
  const char* pa = static_cast<const char*>(a);
  const char* pb = static_cast<const char*>(b);
  const int64_t es = static_cast<int64_t>(elemSize);

  if (rows == 1) {  // one flat row: split it across threads
    parallelFor(inner, cost, [&](int64_t begin, int64_t end) {
      row(end - begin, o + begin * es, pa + begin * sa * es, sa, pb + begin * sb * es, sb);
    });
    return;
  }
  // Rows of `inner` contiguous output elements; each chunk decomposes its first row index once,
  // then steps an N-D counter over the outer dims.
  parallelFor(rows, cost * inner, [&](int64_t r0, int64_t r1) {
    int64_t idx[kMaxBroadcastDims];
    int64_t offA = 0, offB = 0, rest = r0;
    for (int d = nd - 2; d >= 0; --d) {
      idx[d] = rest % g.shape[d];
      rest /= g.shape[d];
      offA += idx[d] * g.lstride[d];
      offB += idx[d] * g.rstride[d];
    }
    for (int64_t r = r0; r < r1; ++r) {
      row(inner, o + r * inner * es, pa + offA * es, sa, pb + offB * es, sb);
      for (int d = nd - 2; d >= 0; --d) {
        offA += g.lstride[d];
        offB += g.rstride[d];
        if (++idx[d] < g.shape[d]) break;
        offA -= g.lstride[d] * g.shape[d];
        offB -= g.rstride[d] * g.shape[d];
        idx[d] = 0;
      }
    }
  });
}

}  // namespace elem
}  // namespace ist
