// A 2-D window operation's input plane copied into padded phase planes, so that every window tap
// reads one contiguous run: plane (py, px) holds the padded plane's rows py, py + SH, ... and columns
// px, px + SW, ... (one plane at stride 1). Tap (ky, kx) of output (oy, ox) is then element
// oy * PWs + ox of one phase plane from the tap's offset, and a whole output plane is one flat loop
// per tap (an output of width PWs whose first OW columns are kept): loops over hundreds of elements
// instead of one row's few dozen, and no strided loads. Used by the depthwise convolution
// (depthwise.h); pooling stays row-wise (pooling.cc), whose separable passes do fewer reads.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>
#include "kernels/cpu/row_copy.h"

namespace ist {

struct PhasePlanes {
  int64_t IH, IW, PH, PW, SH, SW;
  int64_t PWs, PHs;      // a phase plane's row length and the rows the outputs read
  int64_t phaseSize;     // PHs * PWs
  int64_t size;          // all phase planes, and the slack the last row's junk columns read past them
  int64_t extLen;        // OH * PWs: the flat output's length
  std::vector<int64_t> offsets;  // each tap's start in the phase planes, tap ky * KW + kx

  // in (IH, IW), out (OH, OW), kernel, stride, dilation and leading padding per dim (the trailing
  // padding is whatever the output size implies).
  PhasePlanes(int64_t IH_, int64_t IW_, int64_t OH, int64_t OW, int64_t KH, int64_t KW, int64_t SH_, int64_t SW_,
              int64_t DH, int64_t DW, int64_t PH_, int64_t PW_)
      : IH(IH_), IW(IW_), PH(PH_), PW(PW_), SH(SH_), SW(SW_) {
    PWs = (std::max(IW + 2 * PW, (OW - 1) * SW + (KW - 1) * DW + 1) + SW - 1) / SW;
    PHs = OH + ((KH - 1) * DH) / SH;
    phaseSize = PHs * PWs;
    size = SH * SW * phaseSize + ((KW - 1) * DW) / SW;
    extLen = OH * PWs;
    offsets.resize(static_cast<size_t>(KH * KW));
    for (int64_t ky = 0; ky < KH; ++ky)
      for (int64_t kx = 0; kx < KW; ++kx)
        offsets[static_cast<size_t>(ky * KW + kx)] =
            (((ky * DH) % SH) * SW + (kx * DW) % SW) * phaseSize + ((ky * DH) / SH) * PWs + (kx * DW) / SW;
  }

  // Fills `planes` (at least `size` elements) from the plane xp (IH x IW), `pad` outside it.
  template <typename T>
  void fill(const T* xp, T pad, T* planes) const {
    for (int64_t py = 0; py < SH; ++py)
      for (int64_t px = 0; px < SW; ++px) {
        T* plane = planes + (py * SW + px) * phaseSize;
        // Phase columns [qlo, qhi) hold input columns q * SW + px - PW inside the image.
        const int64_t qlo = std::min(PWs, std::max<int64_t>(0, (PW - px + SW - 1) / SW));
        const int64_t qhi = std::max(qlo, std::min(PWs, (IW + PW - px + SW - 1) / SW));
        for (int64_t r = 0; r < PHs; ++r) {
          T* dst = plane + r * PWs;
          const int64_t iy = r * SH + py - PH;
          if (iy < 0 || iy >= IH) {
            std::fill(dst, dst + PWs, pad);
            continue;
          }
          std::fill(dst, dst + qlo, pad);
          const T* src = xp + iy * IW + qlo * SW + px - PW;
          if (SW == 1) std::copy(src, src + (qhi - qlo), dst + qlo);
          else if (SW == 2) copyEveryOther(dst + qlo, src, qhi - qlo);
          else
            for (int64_t q = qlo; q < qhi; ++q) dst[q] = src[(q - qlo) * SW];
          std::fill(dst + qhi, dst + PWs, pad);
        }
      }
    std::fill(planes + SH * SW * phaseSize, planes + size, pad);
  }
};

}  // namespace ist
