// Host staging: the GPU path of ops without a GPU kernel (see op/device_compute.h).
#include "op/host_staging.h"
#include <algorithm>
#include <map>
#include "base/dtype.h"
#include "ndarray/ndarray.h"
#include "storage/storage.h"

namespace ist {
namespace {

// Host copies of the device buffers one call touches, keyed by device pointer.
class StagingBuffers {
 public:
  ~StagingBuffers() {
    for (auto& kv : bufs_) Storage::free(Context::cpu(), kv.second.host, kv.second.bytes);
  }
  // The host twin of `dev` (shared by every blob with the same pointer); copies the device
  // contents in when `load` and this is the first request that needs them.
  TBlob host(const TBlob& dev, bool load, void* stream) {
    size_t bytes = static_cast<size_t>(dev.size()) * dtypeSize(dev.dtype);
    auto& b = bufs_[dev.dptr];
    if (!b.host || b.bytes < bytes) {
      if (b.host) Storage::free(Context::cpu(), b.host, b.bytes);
      b.host = Storage::alloc(Context::cpu(), bytes);
      b.bytes = bytes;
      b.loaded = false;
    }
    TBlob h = dev;
    h.dptr = b.host;
    h.ctx = Context::cpu();
    if (load && !b.loaded) {
      copyBytes(h, dev, stream);
      b.loaded = true;
    }
    return h;
  }

 private:
  struct Buf {
    void* host = nullptr;
    size_t bytes = 0;
    bool loaded = false;
  };
  std::map<void*, Buf> bufs_;
};

}  // namespace

FCompute makeHostStagedCompute(const Op& op, FCompute cpuFn) {
  std::vector<int> mutated = op.mutableInputs;
  return [cpuFn, mutated](const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
    void* stream = ctx.run.stream;
    StagingBuffers staging;
    std::vector<TBlob> hin, hout;
    for (auto& b : in) hin.push_back(staging.host(b, true, stream));
    for (size_t i = 0; i < out.size(); ++i) {
      // An accumulating or in-place output needs its current contents (loaded once if shared).
      bool load = req[i] == OpReq::kAddTo || req[i] == OpReq::kWriteInplace;
      hout.push_back(staging.host(out[i], load, stream));
    }
    OpContext hostCtx = ctx;
    hostCtx.run.ctx = Context::cpu();
    hostCtx.run.stream = nullptr;
    cpuFn(attrs, hostCtx, hin, req, hout);
    for (size_t i = 0; i < out.size(); ++i)
      if (req[i] != OpReq::kNull) copyBytes(out[i], hout[i], stream);
    for (int m : mutated)
      if (m < static_cast<int>(in.size())) copyBytes(in[m], hin[m], stream);
  };
}

}  // namespace ist
