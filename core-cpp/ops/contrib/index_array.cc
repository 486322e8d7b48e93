// _contrib_index_array (MXNet contrib): the int64 coordinates of every element of the input, of
// shape data.shape + (ndim,), or + (len(axes),) with only the given axes' coordinates. Zero gradient.
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/contrib/index_array_device.h"

namespace ist {
namespace {

using indexarray::IndexArrayParam;

IST_REGISTER_OP(_contrib_index_array)
    .describe("Returns an array of indexes of the input array.\n\n"
              "For an input array with shape (d_1, d_2, ..., d_n), index_array returns a "
              "(d_1, d_2, ..., d_n, n) array idx, where idx[i_1, i_2, ..., i_n, :] = [i_1, i_2, ..., i_n]. "
              "When `axes` is given, idx is a (d_1, ..., d_n, m) array, m = len(axes), with "
              "idx[i_1, ..., i_n, j] = i_{axes[j]}.\n\n"
              "Example: x = ones((3, 2)): index_array(x) = [[[0, 0], [0, 1]], [[1, 0], [1, 1]], "
              "[[2, 0], [2, 1]]]")
    .inputs({"data"})
    .outputs({"output"})
    .params<IndexArrayParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      out[0] = indexarray::indexArrayShape(in[0], attrs.get<IndexArrayParam>());
    })
    .inferType([](const NodeAttrs&, std::vector<int>&, std::vector<int>& out) {
      out[0] = static_cast<int>(DType::kInt64);
    })
    .compute(Context::kCPU, indexarray::indexArrayDev<cpu>)
    .zeroGradient();

}  // namespace
}  // namespace ist
