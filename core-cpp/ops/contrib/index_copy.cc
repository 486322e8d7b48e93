// _contrib_index_copy (MXNet contrib): old_tensor with its rows index_vector[i] replaced by
// new_tensor's rows i. Gradient: old_tensor gets out_grad with the indexed rows zeroed (an
// index_copy of zeros), new_tensor the indexed rows of out_grad (take along axis 0); index none.
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/contrib/index_copy_device.h"

namespace ist {
namespace {

IST_REGISTER_OP(_contrib_index_copy)
    .describe("Copies the elements of a `new_tensor` into the `old_tensor`.\n\n"
              "This operator copies the elements by selecting the indices in the order given in "
              "`index`. The output will be a new tensor containing the rest elements of old tensor "
              "and the copied elements of new tensor. For example, if `index[i] == j`, then the `i` th "
              "row of `new_tensor` is copied to the `j` th row of output. The `index` must be a vector "
              "and it must have the same size with the `0` th dimension of `new_tensor`. Also, the `0` "
              "th dimension of old_tensor must `>=` the `0` th dimension of `new_tensor`, or an error "
              "will be raised. With repeated indices the last row copied wins.\n\n"
              "Example: x = zeros((5, 3)); t = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]; index = [0, 4, 2]: "
              "index_copy(x, index, t) = [[1, 2, 3], [0, 0, 0], [7, 8, 9], [0, 0, 0], [4, 5, 6]]")
    .inputs({"old_tensor", "index_vector", "new_tensor"})
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1]) || !shapeIsKnown(in[2])) return;
      indexcopy::checkShapes(in[0], in[1], in[2]);
      out[0] = in[0];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      IST_CHECK(in[1] != static_cast<int>(DType::kBool), indexcopy::kOp, "index_vector",
                "index_vector must have a numeric dtype, got bool");
      int t = in[0] >= 0 ? in[0] : (in[2] >= 0 ? in[2] : out[0]);
      if (t < 0) return;
      IST_CHECK(in[2] < 0 || in[2] == t, indexcopy::kOp, "new_tensor",
                "new_tensor has dtype " << dtypeName(static_cast<DType>(in[2])) << " but old_tensor has "
                                        << dtypeName(static_cast<DType>(t)));
      in[0] = in[2] = out[0] = t;
    })
    .compute(Context::kCPU, indexcopy::indexCopyDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{
          makeEntry("_contrib_index_copy", {og[0], n->inputs[1], makeEntry("zeros_like", {n->inputs[2]})}),
          NodeEntry{},
          makeEntry("take", {og[0], n->inputs[1]}, {{"axis", "0"}, {"mode", "clip"}})};
    });

}  // namespace
}  // namespace ist
