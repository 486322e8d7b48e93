// Convolutions through cuDNN's backend (graph) API, with execution plans finalized once per case
// (kernels/cuda/cudnn_graph.cu); used by kernels/cuda/cudnn.cu, which loads the library.
//
// cuDNN 9's legacy cudnnConvolution* calls cost 50-90 us of host time per call on an H100
// (docs/GPU.md), which a synchronous call waits for. Here a call only fills a variant pack and
// executes a plan: 15-25 us.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ist {
namespace cudnn {
namespace graph {

using Status = int;
using Handle = void*;
using Desc = void*;

// The backend entry points (cuDNN 8 and 9), bound from the loaded library; all null when absent.
struct Api {
  Status (*create)(int type, Desc* desc) = nullptr;
  Status (*destroy)(Desc desc) = nullptr;
  Status (*finalize)(Desc desc) = nullptr;
  Status (*setAttribute)(Desc desc, int name, int type, int64_t count, const void* values) = nullptr;
  Status (*getAttribute)(Desc desc, int name, int type, int64_t requested, int64_t* count, void* values) = nullptr;
  Status (*execute)(Handle handle, Desc plan, Desc variantPack) = nullptr;
  bool usable() const { return create && destroy && finalize && setAttribute && getAttribute && execute; }
};

// Binds Api from a dlopen handle of libcudnn.
void bindApi(void* library, Api* api);

// The three convolution directions, in kernels/cuda/cudnn.cu's order and operand roles:
// forward (a x, b w, out y), backward data (a w, b dy, out dx), backward filter (a x, b dy, out dw).
enum Direction { kForward = 0, kBackwardData = 1, kBackwardFilter = 2 };

// One case: dims of x, w and y (N, C, spatial... / F, C/G, k... / N, F, out...), packed NCHW.
struct ConvCase {
  int nbDims = 4;  // 2 + spatial dims
  int64_t x[5] = {}, w[5] = {}, y[5] = {};
  int64_t stride[3] = {1, 1, 1}, dilate[3] = {1, 1, 1}, pad[3] = {0, 0, 0};
  bool isDouble = false;
  bool allowTF32 = false;
  size_t workspaceCap = 0;
};

// A case's usable execution plans, in cuDNN's heuristic order, and the one to run.
struct ConvPlans {
  struct Plan {
    Desc plan = nullptr;
    int64_t workspace = 0;
    int64_t engine = -1;  // cuDNN's engine index
  };
  Plan plans[8];
  int count = 0;
  int best = 0;
  bool measured = false;
  // Whether the legacy call beat the best plan (kernels/cuda/cudnn.cu decides once per case).
  bool apiChosen = false, useLegacy = false;
};

// Builds (the caller caches) the plans of `d` for `c` on `handle`, at byte alignment `alignment`
// of the three operands; count == 0 when the backend cannot run the case (use the legacy calls).
void buildConvPlans(const Api& api, Handle handle, Direction d, const ConvCase& c, int64_t alignment,
                    ConvPlans* out);

// out = conv_d(a, b) with plan i of `p`, on the stream `handle` is bound to; workspace: at least
// the plan's bytes. Returns cuDNN's status.
Status runConvPlan(const Api& api, Handle handle, const ConvPlans& p, int i, const void* a, const void* b, void* out,
                   void* workspace);

}  // namespace graph
}  // namespace cudnn
}  // namespace ist
