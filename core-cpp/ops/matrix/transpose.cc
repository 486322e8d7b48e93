// Axis permutations: transpose, SwapAxis (swapaxes), depth_to_space, space_to_depth. Each
// gradient is the inverse permutation of the output gradient.
#include <algorithm>
#include <string>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/transpose_device.h"

namespace ist {
namespace {

// out = in permuted: output dim i is input dim perm[i].
void permuteCopy(const TBlob& in, const TBlob& out, const std::vector<int>& perm, OpReq req,
                 const char* op) {
  const std::vector<int64_t> inStrides = contiguousStrides(in.shape);
  std::vector<int64_t> src(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) src[i] = inStrides[perm[i]];
  copyStrided(in.dtype, out.shape, out.dptr, contiguousStrides(out.shape), in.dptr, src, req, op);
}

// ---- transpose ----

using mat::TransposeParam;
using mat::transposePerm;

void transposeShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  std::vector<int> perm = transposePerm(in[0], attrs.get<TransposeParam>().axes);
  Shape o(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) o[i] = in[0][perm[i]];
  out[0] = o;
}

void transposeCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  permuteCopy(in[0], out[0], transposePerm(in[0].shape, attrs.get<TransposeParam>().axes), req[0],
              "transpose");
}

IST_REGISTER_OP(transpose)
    .describe("Permutes the dimensions of an array (reverses them when `axes` is empty).")
    .inputs({"data"})
    .params<TransposeParam>()
    .inferShape(transposeShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, transposeCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      const Shape& axes = n->attrs.get<TransposeParam>().axes;
      if (axes.empty()) return std::vector<NodeEntry>{makeEntry("transpose", {og[0]})};
      // Inverse permutation; axes has one entry per dim, so its length is the rank.
      const int nd = static_cast<int>(axes.size());
      Shape inv(nd);
      for (int i = 0; i < nd; ++i) inv[normalizeAxis(axes[i], nd, "transpose", "axes")] = i;
      return std::vector<NodeEntry>{
          makeEntry("transpose", {og[0]}, {{"axes", paramparse::Codec<Shape>::format(inv)}})};
    });

// ---- SwapAxis ----

using mat::SwapAxisParam;
using mat::swapPerm;

void swapAxisShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  std::vector<int> perm = swapPerm(in[0], attrs.get<SwapAxisParam>());
  Shape o(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) o[i] = in[0][perm[i]];
  out[0] = o;
}

void swapAxisCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  permuteCopy(in[0], out[0], swapPerm(in[0].shape, attrs.get<SwapAxisParam>()), req[0], "SwapAxis");
}

IST_REGISTER_OP(SwapAxis)
    .alias("swapaxes")
    .describe("Interchanges two axes of an array.")
    .inputs({"data"})
    .params<SwapAxisParam>()
    .inferShape(swapAxisShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, swapAxisCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("SwapAxis", {og[0]}, n->attrs.dict)};
    });

// ---- depth_to_space / space_to_depth ----

using mat::BlockSizeParam;

// (N, C, H, W) -> (N, C / b^2, H * b, W * b): the input read as (N, b, b, C/b^2, H, W) and
// permuted to (N, C/b^2, H, b, W, b).
void depthToSpaceShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const Shape& s = in[0];
  const int64_t b = attrs.get<BlockSizeParam>().block_size;
  IST_CHECK(s.size() == 4, "depth_to_space", "data",
            "needs a 4-D (N, C, H, W) array, got shape " << shapeString(s));
  IST_CHECK(s[1] % (b * b) == 0, "depth_to_space", "block_size",
            "channels " << s[1] << " of shape " << shapeString(s)
                        << " are not a multiple of block_size^2 = " << b * b);
  out[0] = Shape{s[0], s[1] / (b * b), s[2] * b, s[3] * b};
}

void depthToSpaceCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const Shape& s = in[0].shape;
  const int64_t b = attrs.get<BlockSizeParam>().block_size;
  const Shape view{s[0], b, b, s[1] / (b * b), s[2], s[3]};
  const std::vector<int64_t> vs = contiguousStrides(view);
  const Shape permuted{s[0], s[1] / (b * b), s[2], b, s[3], b};
  const std::vector<int64_t> src{vs[0], vs[3], vs[4], vs[1], vs[5], vs[2]};
  copyStrided(in[0].dtype, permuted, out[0].dptr, contiguousStrides(permuted), in[0].dptr, src,
              req[0], "depth_to_space");
}

// (N, C, H, W) -> (N, C * b^2, H / b, W / b): the input read as (N, C, H/b, b, W/b, b) and
// permuted to (N, b, b, C, H/b, W/b).
void spaceToDepthShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const Shape& s = in[0];
  const int64_t b = attrs.get<BlockSizeParam>().block_size;
  IST_CHECK(s.size() == 4, "space_to_depth", "data",
            "needs a 4-D (N, C, H, W) array, got shape " << shapeString(s));
  IST_CHECK(s[2] % b == 0 && s[3] % b == 0, "space_to_depth", "block_size",
            "height and width of shape " << shapeString(s) << " are not multiples of block_size " << b);
  out[0] = Shape{s[0], s[1] * b * b, s[2] / b, s[3] / b};
}

void spaceToDepthCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const Shape& s = in[0].shape;
  const int64_t b = attrs.get<BlockSizeParam>().block_size;
  const Shape view{s[0], s[1], s[2] / b, b, s[3] / b, b};
  const std::vector<int64_t> vs = contiguousStrides(view);
  const Shape permuted{s[0], b, b, s[1], s[2] / b, s[3] / b};
  const std::vector<int64_t> src{vs[0], vs[3], vs[5], vs[1], vs[2], vs[4]};
  copyStrided(in[0].dtype, permuted, out[0].dptr, contiguousStrides(permuted), in[0].dptr, src,
              req[0], "space_to_depth");
}

IST_REGISTER_OP(depth_to_space)
    .describe("Moves blocks of the depth (channel) dimension into blocks of height and width.")
    .inputs({"data"})
    .params<BlockSizeParam>()
    .inferShape(depthToSpaceShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, depthToSpaceCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("space_to_depth", {og[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(space_to_depth)
    .describe("Moves blocks of height and width into the depth (channel) dimension.")
    .inputs({"data"})
    .params<BlockSizeParam>()
    .inferShape(spaceToDepthShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, spaceToDepthCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("depth_to_space", {og[0]}, n->attrs.dict)};
    });

}  // namespace
}  // namespace ist
