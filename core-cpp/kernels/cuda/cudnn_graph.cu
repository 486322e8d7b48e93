// Convolution execution plans through cuDNN's backend API (kernels/cuda/cudnn_graph.h): the enum
// values below are cuDNN's (cudnn_graph.h of cuDNN 9, the same in cuDNN 8's cudnn_backend.h);
// no cuDNN header is needed to build.
#include "kernels/cuda/cudnn_graph.h"
#include <dlfcn.h>
#include <memory>
#include <type_traits>
#include <vector>

namespace ist {
namespace cudnn {
namespace graph {
namespace {

// cudnnBackendDescriptorType_t
constexpr int kConvolutionDesc = 1, kEngineDesc = 2, kEngineCfgDesc = 3, kEngineHeurDesc = 4, kPlanDesc = 5;
constexpr int kOpDesc[3] = {10, 12, 11};  // forward, backward data, backward filter
constexpr int kOpGraphDesc = 15, kVariantPackDesc = 16, kTensorDesc = 17;
// cudnnBackendAttributeType_t
constexpr int kTypeHandle = 0, kTypeDataType = 1, kTypeInt64 = 3, kTypeFloat = 4, kTypeDouble = 5, kTypeVoidPtr = 6,
              kTypeConvMode = 7, kTypeHeurMode = 8, kTypeNumericalNote = 11, kTypeDescriptor = 15;
// cudnnBackendAttributeName_t
constexpr int kConvCompType = 100, kConvMode = 101, kConvDilations = 102, kConvStrides = 103, kConvPostPad = 104,
              kConvPrePad = 105, kConvSpatialDims = 106;
constexpr int kHeurMode = 200, kHeurGraph = 201, kHeurResults = 202;
constexpr int kCfgEngine = 300;
constexpr int kPlanHandle = 400, kPlanConfig = 401, kPlanWorkspace = 402;
constexpr int kGraphHandle = 800, kGraphOps = 801;
constexpr int kTensorAlignment = 900, kTensorDataType = 901, kTensorDims = 902, kTensorStrides = 903,
              kTensorUid = 906;
constexpr int kPackUids = 1000, kPackPointers = 1001, kPackWorkspace = 1003;
constexpr int kEngineGlobalIndex = 1301, kEngineNumericalNote = 1303;
// Per direction: the operation's alpha, beta, convolution, then its x / w / y operand attributes
// (backward: dx / w / dy for data, x / dw / dy for filter).
struct OpAttrs {
  int alpha, beta, conv, x, w, y;
};
constexpr OpAttrs kOpAttrs[3] = {{700, 701, 702, 704, 703, 705}, {706, 707, 708, 710, 709, 711},
                                 {712, 713, 714, 716, 715, 717}};
// Unique ids of the operands a, b, out (cudnn_graph.h's roles) per tensor x, w, y and direction.
constexpr int64_t kUidA = 1, kUidB = 2, kUidOut = 3;
constexpr int64_t kUids[3][3] = {{kUidA, kUidB, kUidOut}, {kUidOut, kUidA, kUidB}, {kUidA, kUidOut, kUidB}};
constexpr int kDataFloat = 0, kDataDouble = 1;  // cudnnDataType_t
constexpr int kCrossCorrelation = 1;            // cudnnConvolutionMode_t
constexpr int kHeurInstant = 0, kHeurFallback = 2;
constexpr int kNoteTensorCore = 0, kNoteDownConvert = 1;

// A descriptor destroyed with its owner unless released (the plans kept for the process).
class Owned {
 public:
  Owned(const Api& api, int type) : api_(api) {
    if (api_.create(type, &d_) != 0) d_ = nullptr;
  }
  ~Owned() {
    if (d_) api_.destroy(d_);
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  Desc get() const { return d_; }
  Desc release() {
    Desc d = d_;
    d_ = nullptr;
    return d;
  }

 private:
  const Api& api_;
  Desc d_ = nullptr;
};

std::vector<int64_t> packedStrides(const int64_t* dims, int n) {
  std::vector<int64_t> st(n, 1);
  for (int i = n - 2; i >= 0; --i) st[i] = st[i + 1] * dims[i + 1];
  return st;
}

bool tensor(const Api& api, Owned& t, const int64_t* dims, int n, int64_t uid, int dataType, int64_t alignment) {
  const std::vector<int64_t> strides = packedStrides(dims, n);
  return t.get() && api.setAttribute(t.get(), kTensorDataType, kTypeDataType, 1, &dataType) == 0 &&
         api.setAttribute(t.get(), kTensorDims, kTypeInt64, n, dims) == 0 &&
         api.setAttribute(t.get(), kTensorStrides, kTypeInt64, n, strides.data()) == 0 &&
         api.setAttribute(t.get(), kTensorUid, kTypeInt64, 1, &uid) == 0 &&
         api.setAttribute(t.get(), kTensorAlignment, kTypeInt64, 1, &alignment) == 0 && api.finalize(t.get()) == 0;
}

// The engine index of a configuration cuDNN may run for this case, or -1: float32 without TF32
// (as the legacy path's FMA math and PyTorch's default: no tensor-core engines) and no engine that
// converts its inputs down.
int64_t acceptableEngine(const Api& api, Desc cfg, const ConvCase& c) {
  Owned engine(api, kEngineDesc);
  Desc e = engine.get();
  int64_t n = 0;
  if (!e || api.getAttribute(cfg, kCfgEngine, kTypeDescriptor, 1, &n, &e) != 0 || n != 1) return -1;
  int notes[32];
  n = 0;
  if (api.getAttribute(e, kEngineNumericalNote, kTypeNumericalNote, 32, &n, notes) != 0) return -1;
  for (int64_t i = 0; i < n; ++i) {
    if (notes[i] == kNoteDownConvert) return -1;
    if (notes[i] == kNoteTensorCore && (c.isDouble || !c.allowTF32)) return -1;
  }
  int64_t index = -1;
  n = 0;
  if (api.getAttribute(e, kEngineGlobalIndex, kTypeInt64, 1, &n, &index) != 0 || n != 1) return -1;
  return index;
}

// Plans from one heuristic mode's suggestions, appended to out in its order.
void plansFrom(const Api& api, Handle handle, Desc opGraph, int mode, const ConvCase& c, ConvPlans* out) {
  Owned heur(api, kEngineHeurDesc);
  if (!heur.get() || api.setAttribute(heur.get(), kHeurGraph, kTypeDescriptor, 1, &opGraph) != 0 ||
      api.setAttribute(heur.get(), kHeurMode, kTypeHeurMode, 1, &mode) != 0 || api.finalize(heur.get()) != 0)
    return;
  int64_t count = 0;
  if (api.getAttribute(heur.get(), kHeurResults, kTypeDescriptor, 0, &count, nullptr) != 0 || count <= 0) return;
  if (count > 64) count = 64;
  std::vector<std::unique_ptr<Owned>> cfgs;
  std::vector<Desc> raw;
  for (int64_t i = 0; i < count; ++i) {
    cfgs.push_back(std::make_unique<Owned>(api, kEngineCfgDesc));
    if (!cfgs.back()->get()) return;
    raw.push_back(cfgs.back()->get());
  }
  int64_t got = 0;
  if (api.getAttribute(heur.get(), kHeurResults, kTypeDescriptor, count, &got, raw.data()) != 0) return;
  constexpr int kMax = static_cast<int>(sizeof(out->plans) / sizeof(out->plans[0]));
  for (int64_t i = 0; i < got && out->count < kMax; ++i) {
    const int64_t engine = acceptableEngine(api, raw[i], c);
    bool seen = engine < 0;
    for (int k = 0; k < out->count && !seen; ++k) seen = out->plans[k].engine == engine;
    if (seen) continue;
    Owned plan(api, kPlanDesc);
    if (!plan.get() || api.setAttribute(plan.get(), kPlanHandle, kTypeHandle, 1, &handle) != 0 ||
        api.setAttribute(plan.get(), kPlanConfig, kTypeDescriptor, 1, &raw[i]) != 0 || api.finalize(plan.get()) != 0)
      continue;
    int64_t ws = 0, n = 0;
    if (api.getAttribute(plan.get(), kPlanWorkspace, kTypeInt64, 1, &n, &ws) != 0 || ws < 0 ||
        static_cast<size_t>(ws) > c.workspaceCap)
      continue;
    out->plans[out->count++] = ConvPlans::Plan{plan.release(), ws, engine};
  }
}

}  // namespace

void bindApi(void* library, Api* api) {
  const auto bind = [library](const char* name, auto* fn) {
    *fn = reinterpret_cast<std::remove_pointer_t<decltype(fn)>>(dlsym(library, name));
  };
  bind("cudnnBackendCreateDescriptor", &api->create);
  bind("cudnnBackendDestroyDescriptor", &api->destroy);
  bind("cudnnBackendFinalize", &api->finalize);
  bind("cudnnBackendSetAttribute", &api->setAttribute);
  bind("cudnnBackendGetAttribute", &api->getAttribute);
  bind("cudnnBackendExecute", &api->execute);
}

void buildConvPlans(const Api& api, Handle handle, Direction d, const ConvCase& c, int64_t alignment,
                    ConvPlans* out) {
  out->count = 0;
  if (!api.usable()) return;
  const int dataType = c.isDouble ? kDataDouble : kDataFloat;
  const int n = c.nbDims, spatial = c.nbDims - 2;
  Owned x(api, kTensorDesc), w(api, kTensorDesc), y(api, kTensorDesc);
  if (!tensor(api, x, c.x, n, kUids[d][0], dataType, alignment) ||
      !tensor(api, w, c.w, n, kUids[d][1], dataType, alignment) ||
      !tensor(api, y, c.y, n, kUids[d][2], dataType, alignment))
    return;
  Owned conv(api, kConvolutionDesc);
  const int64_t dims = spatial;
  const int mode = kCrossCorrelation;
  if (!conv.get() || api.setAttribute(conv.get(), kConvCompType, kTypeDataType, 1, &dataType) != 0 ||
      api.setAttribute(conv.get(), kConvMode, kTypeConvMode, 1, &mode) != 0 ||
      api.setAttribute(conv.get(), kConvSpatialDims, kTypeInt64, 1, &dims) != 0 ||
      api.setAttribute(conv.get(), kConvDilations, kTypeInt64, spatial, c.dilate) != 0 ||
      api.setAttribute(conv.get(), kConvStrides, kTypeInt64, spatial, c.stride) != 0 ||
      api.setAttribute(conv.get(), kConvPrePad, kTypeInt64, spatial, c.pad) != 0 ||
      api.setAttribute(conv.get(), kConvPostPad, kTypeInt64, spatial, c.pad) != 0 || api.finalize(conv.get()) != 0)
    return;
  const OpAttrs& a = kOpAttrs[d];
  Owned op(api, kOpDesc[d]);
  Desc xd = x.get(), wd = w.get(), yd = y.get(), cd = conv.get();
  const double alphaD = 1, betaD = 0;
  const float alphaF = 1, betaF = 0;
  const int scalarType = c.isDouble ? kTypeDouble : kTypeFloat;
  const void* alpha = c.isDouble ? static_cast<const void*>(&alphaD) : &alphaF;
  const void* beta = c.isDouble ? static_cast<const void*>(&betaD) : &betaF;
  if (!op.get() || api.setAttribute(op.get(), a.x, kTypeDescriptor, 1, &xd) != 0 ||
      api.setAttribute(op.get(), a.w, kTypeDescriptor, 1, &wd) != 0 ||
      api.setAttribute(op.get(), a.y, kTypeDescriptor, 1, &yd) != 0 ||
      api.setAttribute(op.get(), a.conv, kTypeDescriptor, 1, &cd) != 0 ||
      api.setAttribute(op.get(), a.alpha, scalarType, 1, alpha) != 0 ||
      api.setAttribute(op.get(), a.beta, scalarType, 1, beta) != 0 || api.finalize(op.get()) != 0)
    return;
  Owned opGraph(api, kOpGraphDesc);
  Desc od = op.get();
  if (!opGraph.get() || api.setAttribute(opGraph.get(), kGraphHandle, kTypeHandle, 1, &handle) != 0 ||
      api.setAttribute(opGraph.get(), kGraphOps, kTypeDescriptor, 1, &od) != 0 || api.finalize(opGraph.get()) != 0)
    return;
  // The heuristic's ranking, then the fallback list's engines not in it: the first call times them.
  plansFrom(api, handle, opGraph.get(), kHeurInstant, c, out);
  plansFrom(api, handle, opGraph.get(), kHeurFallback, c, out);
}

Status runConvPlan(const Api& api, Handle handle, const ConvPlans& p, int i, const void* a, const void* b, void* out,
                   void* workspace) {
  Owned pack(api, kVariantPackDesc);
  if (!pack.get()) return -1;
  const int64_t uids[3] = {kUidA, kUidB, kUidOut};
  void* pointers[3] = {const_cast<void*>(a), const_cast<void*>(b), out};
  Status st = api.setAttribute(pack.get(), kPackUids, kTypeInt64, 3, uids);
  if (st == 0) st = api.setAttribute(pack.get(), kPackPointers, kTypeVoidPtr, 3, pointers);
  if (st == 0) st = api.setAttribute(pack.get(), kPackWorkspace, kTypeVoidPtr, 1, &workspace);
  if (st == 0) st = api.finalize(pack.get());
  if (st == 0) st = api.execute(handle, p.plans[i].plan, pack.get());
  return st;
}

}  // namespace graph
}  // namespace cudnn
}  // namespace ist
