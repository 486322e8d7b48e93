// Runs a fused element-wise program: on the CPU each thread walks its range in blocks of kBlock
// elements, running every step's row over the block, with the temporaries in a per-thread scratch;
// on a GPU (and as its CPU twin) the device program of fused_device.h.
#include "ops/elemwise/fused.h"
#include <algorithm>
#include <unordered_map>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "op/device_compute.h"
#include "ops/elemwise/fused_device.h"

namespace ist {

namespace {
// 1024 elements: 4-8 KB per temporary, so a few of them stay in L1 between steps.
constexpr int64_t kBlock = 1024;

FusedProgramRunner gGpuRunner = nullptr, gCpuTwinRunner = nullptr;
}  // namespace

int fusedCodeOf(const NodeAttrs& attrs) {
  if (!attrs.op) return -1;
  if (attrs.op->name == "Activation")
    return kFusedActRelu + static_cast<int>(actdev::actOf(attrs.get<actdev::ActivationParam>().act_type));
  static const std::unordered_map<std::string, int> codes = {
#define IST_FUSED_NAME(name, ...) {#name, kFused_##name},
      IST_ELEMWISE_UNARY_OPS(IST_FUSED_NAME) IST_ELEMWISE_BINARY_OPS(IST_FUSED_NAME)
          IST_BROADCAST_BINARY_OPS(IST_FUSED_NAME) IST_SCALAR_OPS(IST_FUSED_NAME)
#undef IST_FUSED_NAME
  };
  auto it = codes.find(attrs.op->name);
  return it == codes.end() ? -1 : it->second;
}

void setFusedProgramRunners(FusedProgramRunner gpu, FusedProgramRunner cpuTwin) {
  gGpuRunner = gpu;
  gCpuTwinRunner = cpuTwin;
}

void runElemwiseProgramOn(const ElemwiseProgram& p, const std::vector<TBlob>& in, const TBlob& out,
                          const Context& ctx, void* stream) {
  if (ctx.isGPU()) {
    IST_CHECK(gGpuRunner != nullptr && p.onDevices, "FusedElemwise", "ctx",
              "this element-wise program has no GPU kernel (" << ctx.str() << ")");
    return gGpuRunner(p, in, out, stream);
  }
  if (p.onDevices && gCpuTwinRunner && gpuKernelsOnCpu()) return gCpuTwinRunner(p, in, out, stream);
  runElemwiseProgram(p, in, out);
}

void runElemwiseProgram(const ElemwiseProgram& p, const std::vector<TBlob>& in, const TBlob& out) {
  const int64_t n = out.size();
  if (n <= 0) return;
  const int64_t es = static_cast<int64_t>(p.elemSize);
  parallelFor(n, p.cost, [&](int64_t begin, int64_t end) {
    // doubles: 8-byte aligned temporaries for every dtype.
    std::vector<double> scratch(static_cast<size_t>(std::max(p.numTemps, 1)) * kBlock * es / 8 + 1);
    char* temps = reinterpret_cast<char*>(scratch.data());
    for (int64_t b0 = begin; b0 < end; b0 += kBlock) {
      const int64_t len = std::min(kBlock, end - b0);
      auto operand = [&](int k) -> const void* {
        return k >= 0 ? static_cast<const char*>(in[k].dptr) + b0 * es : temps + (-1 - k) * kBlock * es;
      };
      for (const ElemwiseProgram::Step& s : p.steps) {
        void* o = s.out < 0 ? static_cast<char*>(out.dptr) + b0 * es : temps + s.out * kBlock * es;
        if (s.row.unary) {
          s.row.unary(len, o, operand(s.a));
        } else if (!s.row.hasScalar) {
          s.row.binary(len, o, operand(s.a), 1, operand(s.b), 1);
        } else if (s.row.reverse) {
          s.row.binary(len, o, s.row.scalar, 0, operand(s.a), 1);
        } else {
          s.row.binary(len, o, operand(s.a), 1, s.row.scalar, 0);
        }
      }
    }
  });
}

}  // namespace ist
