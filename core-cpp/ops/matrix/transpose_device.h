// transpose and SwapAxis: params, permutation helpers (shared with transpose.cc) and the
// device-generic computes (GPU kernels and their CPU twins, attached in matrix.cu).
#pragma once
#include <algorithm>
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/strided_copy_device.h"

namespace ist {
namespace mat {

// depth_to_space / space_to_depth (registered in transpose.cc, GPU kernels in depth_to_space.cu).
struct BlockSizeParam {
  int block_size = 1;
  static void declare(ParamDecl<BlockSizeParam>& d) {
    d.field("block_size", &BlockSizeParam::block_size)
        .range(1, 1 << 30)
        .doc("Blocks of [block_size, block_size] are moved.");
  }
};

struct TransposeParam {
  Shape axes;
  static void declare(ParamDecl<TransposeParam>& d) {
    d.field("axes", &TransposeParam::axes)
        .setDefault(Shape{})
        .doc("Target axis order. By default the axes are reversed.");
  }
};

inline std::vector<int> transposePerm(const Shape& in, const Shape& axes) {
  const int nd = static_cast<int>(in.size());
  std::vector<int> perm(nd);
  if (axes.empty()) {
    for (int i = 0; i < nd; ++i) perm[i] = nd - 1 - i;
    return perm;
  }
  IST_CHECK(static_cast<int>(axes.size()) == nd, "transpose", "axes",
            "axes " << shapeString(axes) << " do not match the " << nd << " dims of shape "
                    << shapeString(in));
  std::vector<bool> seen(nd, false);
  for (int i = 0; i < nd; ++i) {
    int a = normalizeAxis(axes[i], nd, "transpose", "axes");
    IST_CHECK(!seen[a], "transpose", "axes",
              "axes " << shapeString(axes) << " repeat axis " << a << " (shape " << shapeString(in)
                      << ")");
    seen[a] = true;
    perm[i] = a;
  }
  return perm;
}

struct SwapAxisParam {
  int dim1 = 0, dim2 = 0;
  static void declare(ParamDecl<SwapAxisParam>& d) {
    d.field("dim1", &SwapAxisParam::dim1).setDefault(0).doc("the first axis to be swapped.");
    d.field("dim2", &SwapAxisParam::dim2).setDefault(0).doc("the second axis to be swapped.");
  }
};

inline std::vector<int> swapPerm(const Shape& in, const SwapAxisParam& p) {
  const int nd = static_cast<int>(in.size());
  IST_CHECK(nd > 0, "SwapAxis", "data", "cannot swap axes of a 0-d array");
  const int a = normalizeAxis(p.dim1, nd, "SwapAxis", "dim1");
  const int b = normalizeAxis(p.dim2, nd, "SwapAxis", "dim2");
  std::vector<int> perm(nd);
  for (int i = 0; i < nd; ++i) perm[i] = i;
  std::swap(perm[a], perm[b]);
  return perm;
}

template <typename Dev>
void permuteCopyDev(const OpContext& ctx, const TBlob& in, const TBlob& out,
                    const std::vector<int>& perm, OpReq req, const char* op) {
  const std::vector<int64_t> inStrides = contiguousStrides(in.shape);
  std::vector<int64_t> src(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) src[i] = inStrides[perm[i]];
  copyStridedDev<Dev>(ctx, in.dtype, out.shape, out.dptr, contiguousStrides(out.shape), in.dptr, src,
                      req, op);
}

template <typename Dev>
void transposeComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  permuteCopyDev<Dev>(ctx, in[0], out[0], transposePerm(in[0].shape, attrs.get<TransposeParam>().axes),
                      req[0], "transpose");
}

template <typename Dev>
void swapAxisComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  permuteCopyDev<Dev>(ctx, in[0], out[0], swapPerm(in[0].shape, attrs.get<SwapAxisParam>()), req[0],
                      "SwapAxis");
}

}  // namespace mat
}  // namespace ist
