// _contrib_bipartite_matching: MXNet 1.9's greedy bipartite matching of a score matrix
// (bipartite_matching_device.h holds the rules and the compute). Zero gradient, as in MXNet.
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/contrib/bipartite_matching_device.h"

namespace ist {
namespace bipartite_matching {
namespace {

using bipartite_dev::BipartiteMatchingParam;

IST_REGISTER_OP(_contrib_bipartite_matching)
    .describe("Compute bipartite matching.\n"
              "The matching is performed on score matrix with shape [B, N, M]\n"
              "- B: batch_size (any number of leading dims)\n"
              "- N: number of rows to match\n"
              "- M: number of columns as reference to be matched against.\n\n"
              "Returns:\nx : matched column indices. -1 indicating non-matched elements in rows.\n"
              "y : matched row indices.\n\n"
              "Pairs are taken greedily from the best score down (stable for equal scores) while the score is "
              "> threshold (< threshold with is_ascend); as in MXNet, topk > 0 stops after topk + 1 matches.\n\n"
              "Example: s = [[0.5, 0.6], [0.1, 0.2], [0.3, 0.4]]; x, y = bipartite_matching(s, "
              "threshold=1e-12, is_ascend=False): x = [1, -1, 0], y = [2, 0]")
    .alias("_npx_bipartite_matching")
    .inputs({"data"})
    .outputs({"output0", "output1"})
    .params<BipartiteMatchingParam>()
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      const std::vector<Shape> s = bipartite_dev::matchingShapes(in[0]);
      out[0] = s[0];
      out[1] = s[1];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = in[0] >= 0 ? in[0] : (out[0] >= 0 ? out[0] : out[1]);
      if (t < 0) return;
      in[0] = out[0] = out[1] = t;
    })
    .compute(Context::kCPU, bipartite_dev::matchingDev<cpu>)
    .zeroGradient();

}  // namespace
}  // namespace bipartite_matching
}  // namespace ist
