// Convolutions through cuDNN loaded with dlopen (kernels/cuda/cudnn.h).
//
// cuDNN is not linked: the addon must load where it is absent. At the first convolution we look for
// libcudnn in ISOTENSOR_CUDNN (a file), the loader's paths, the CUDA folders and Python's
// nvidia-cudnn wheel folders, and declare the legacy convolution entry points (present in cuDNN 8
// and 9). Per device, dtype and geometry we keep the descriptors and the algorithm chosen for each
// direction: cuDNN's heuristics rank the algorithms and, when tuning, we time the leading ones
// ourselves on the first call (kernels/cuda/timed_choice.h). cudnnFind* is not used: cuDNN 9 may
// capture CUDA graphs inside it, and any CUDA call another thread makes meanwhile (an allocation,
// a copy, a synchronisation) then fails. float32 runs without TF32 (CUDNN_FMA_MATH), as the CPU and
// our GEMM do, unless ISOTENSOR_ALLOW_TF32=1.
//
// The backend API's execution plans, finalized once per case (kernels/cuda/cudnn_graph.h), save
// most of the legacy calls' host time per call (50-90 us on an H100 against 15-25 us). The first
// call of a case that overwrites its output times the best plan against the best legacy algorithm
// as synchronous calls and keeps the faster: for a few cases the legacy algorithms, run with FMA
// math, have faster kernels than any plan without tensor cores. Accumulating calls, cases the
// backend cannot plan, and ISOTENSOR_CUDNN_LEGACY=1 use the legacy calls.
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <climits>
#include <cstdlib>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>
#include "base/json.h"
#include "base/error.h"
#include "kernels/cuda/cudnn.h"
#include "kernels/cuda/cudnn_graph.h"
#include "kernels/cuda/kernel_cuda.cuh"
#include "kernels/cuda/library_paths.h"
#include "kernels/cuda/timed_choice.h"

namespace ist {
namespace cudnn {
namespace {

// ---- the cuDNN entry points we use (prototypes declared here; no cuDNN headers at build) ----
using Status = int;
using Handle = void*;
using Desc = void*;
constexpr int kDataFloat = 0, kDataDouble = 1;        // cudnnDataType_t
constexpr int kFormatNCHW = 0;                          // cudnnTensorFormat_t
constexpr int kCrossCorrelation = 1;                    // cudnnConvolutionMode_t
constexpr int kDefaultMath = 0, kTensorOpMath = 1, kTensorOpAllowConversion = 2, kFmaMath = 3;  // cudnnMathType_t

// cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t share this layout.
struct AlgoPerf {
  int algo;
  Status status;
  float time;
  size_t memory;
  int determinism;
  int mathType;
  int reserved[3];
};

using GetVersionFn = size_t (*)();
using ErrorStringFn = const char* (*)(Status);
using CreateFn = Status (*)(Handle*);
using SetStreamFn = Status (*)(Handle, cudaStream_t);
using CreateDescFn = Status (*)(Desc*);
using SetTensorNdFn = Status (*)(Desc, int, int, const int*, const int*);
using SetFilterNdFn = Status (*)(Desc, int, int, int, const int*);
using SetConvNdFn = Status (*)(Desc, int, const int*, const int*, const int*, int, int);
using SetConvIntFn = Status (*)(Desc, int);
// Heuristics, workspace size and run share one shape across the three directions:
// (handle, in A, in B, conv, out, ...). Forward: A x, B w, out y. Backward data: A w, B dy, out dx.
// Backward filter: A x, B dy, out dw.
using SelectFn = Status (*)(Handle, Desc, Desc, Desc, Desc, int, int*, AlgoPerf*);
using WorkspaceFn = Status (*)(Handle, Desc, Desc, Desc, Desc, int, size_t*);
using RunFn = Status (*)(Handle, const void*, Desc, const void*, Desc, const void*, Desc, int, void*, size_t,
                         const void*, Desc, void*);

enum Direction { kForward = 0, kBackwardData = 1, kBackwardFilter = 2 };
const char* const kHeuristicNames[] = {"cudnnGetConvolutionForwardAlgorithm_v7",
                                       "cudnnGetConvolutionBackwardDataAlgorithm_v7",
                                       "cudnnGetConvolutionBackwardFilterAlgorithm_v7"};
const char* const kWorkspaceNames[] = {"cudnnGetConvolutionForwardWorkspaceSize",
                                       "cudnnGetConvolutionBackwardDataWorkspaceSize",
                                       "cudnnGetConvolutionBackwardFilterWorkspaceSize"};
const char* const kRunNames[] = {"cudnnConvolutionForward", "cudnnConvolutionBackwardData",
                                 "cudnnConvolutionBackwardFilter"};

struct Library {
  bool loaded = false;
  std::string path;
  size_t version = 0;
  GetVersionFn getVersion = nullptr;
  ErrorStringFn errorString = nullptr;
  CreateFn create = nullptr;
  SetStreamFn setStream = nullptr;
  CreateDescFn createTensor = nullptr, createFilter = nullptr, createConv = nullptr;
  SetTensorNdFn setTensorNd = nullptr;
  SetFilterNdFn setFilterNd = nullptr;
  SetConvNdFn setConvNd = nullptr;
  SetConvIntFn setGroupCount = nullptr, setMathType = nullptr;
  SelectFn heuristic[3] = {};
  WorkspaceFn workspace[3] = {};
  RunFn run[3] = {};
  graph::Api graph;  // the backend API, where the library has it
};

template <typename F> bool bind(void* h, const char* name, F* out) {
  *out = reinterpret_cast<F>(dlsym(h, name));
  return *out != nullptr;
}

bool bindAll(void* h, Library* l) {
  bool ok = bind(h, "cudnnGetVersion", &l->getVersion) && bind(h, "cudnnGetErrorString", &l->errorString) &&
            bind(h, "cudnnCreate", &l->create) && bind(h, "cudnnSetStream", &l->setStream) &&
            bind(h, "cudnnCreateTensorDescriptor", &l->createTensor) &&
            bind(h, "cudnnSetTensorNdDescriptor", &l->setTensorNd) &&
            bind(h, "cudnnCreateFilterDescriptor", &l->createFilter) &&
            bind(h, "cudnnSetFilterNdDescriptor", &l->setFilterNd) &&
            bind(h, "cudnnCreateConvolutionDescriptor", &l->createConv) &&
            bind(h, "cudnnSetConvolutionNdDescriptor", &l->setConvNd) &&
            bind(h, "cudnnSetConvolutionGroupCount", &l->setGroupCount) &&
            bind(h, "cudnnSetConvolutionMathType", &l->setMathType);
  for (int d = 0; d < 3 && ok; ++d)
    ok = bind(h, kHeuristicNames[d], &l->heuristic[d]) &&
         bind(h, kWorkspaceNames[d], &l->workspace[d]) && bind(h, kRunNames[d], &l->run[d]);
  return ok;
}

bool envFlag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::string(v) != "0";
}

Library& library() {
  static Library* lib = [] {
    auto* l = new Library();  // never destroyed: handles live as long as the process
    if (envFlag("ISOTENSOR_NO_CUDNN")) return l;
    // cuDNN 9's libcudnn is a shim that loads its parts by name from wherever the loader looks.
    const std::vector<std::string> parts = {"libcudnn_graph.so.9", "libcudnn_engines_precompiled.so.9",
                                            "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9",
                                            "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn_adv.so.9",
                                            "libcudnn_ops_infer.so.8", "libcudnn_ops_train.so.8",
                                            "libcudnn_cnn_infer.so.8", "libcudnn_cnn_train.so.8"};
    for (auto& path : nvidiaLibraryCandidates("ISOTENSOR_CUDNN", {"libcudnn.so.9", "libcudnn.so.8", "libcudnn.so"},
                                              {"/nvidia/cudnn/lib", "/nvidia/cu13/lib", "/nvidia/cu12/lib"})) {
      void* probe = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
      if (!probe) {
        preloadCompanions(path, parts);
        probe = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      }
      if (!probe) continue;
      if (bindAll(probe, l)) {
        Dl_info info;
        l->path = dladdr(reinterpret_cast<void*>(l->create), &info) && info.dli_fname ? info.dli_fname : path;
        l->version = l->getVersion();
        l->loaded = l->version >= 8000;  // cuDNN 8: _v7 heuristics, group counts and FMA math exist
        if (l->loaded) {
          graph::bindApi(probe, &l->graph);
          break;
        }
      }
      dlclose(probe);
    }
    return l;
  }();
  return *lib;
}

void check(Library& lib, Status st, const char* what, const char* op) {
  IST_CHECK(st == 0, op, "data",
            "cuDNN " << what << " failed: " << (lib.errorString ? lib.errorString(st) : "status") << " (" << st << ")");
}

// One handle per GPU worker thread (each drives one device), pointed at the stream it is given.
Handle handleFor(Library& lib, void* stream, const char* op) {
  thread_local Handle handle = nullptr;
  thread_local void* boundStream = nullptr;
  if (!handle) {
    check(lib, lib.create(&handle), "cudnnCreate", op);
    boundStream = nullptr;
    check(lib, lib.setStream(handle, nullptr), "cudnnSetStream", op);
  }
  if (stream != boundStream) {
    check(lib, lib.setStream(handle, static_cast<cudaStream_t>(stream)), "cudnnSetStream", op);
    boundStream = stream;
  }
  return handle;
}

// ---- per-geometry plans ----

struct Algo {
  int algo = 0, mathType = kDefaultMath;
  size_t workspace = 0;
};

// A direction's algorithms: cuDNN's usable suggestions in its order; `best` indexes the one to run.
struct Choice {
  bool ranked = false, measured = false;
  std::vector<Algo> candidates;
  size_t best = 0;
};

struct Plan {
  Desc x = nullptr, w = nullptr, y = nullptr, conv = nullptr;
  int dataType = kDataFloat;
  Choice choice[3];
};

int64_t convExtent(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p) {
  return (in + 2 * p - ((k - 1) * d + 1)) / s + 1;
}

std::vector<int> packedStrides(const std::vector<int>& dims) {
  std::vector<int> st(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * dims[i + 1];
  return st;
}

using PlanKey = std::array<int64_t, 27>;

PlanKey planKey(int dev, DType dtype, const ConvShape& s, const ConvTuning& t) {
  PlanKey k{};
  size_t n = 0;
  for (int64_t v : {int64_t(dev), int64_t(dtype), int64_t(s.nbSpatial), s.N, s.C, s.F, s.G}) k[n++] = v;
  for (int i = 0; i < 3; ++i)
    for (int64_t v : {s.in[i], s.out[i], s.k[i], s.stride[i], s.dilate[i], s.pad[i]}) k[n++] = v;
  k[n++] = t.measure;
  k[n++] = static_cast<int64_t>(t.workspaceBytes);
  return k;
}

int currentDevice() {
  thread_local int dev = -1;  // GPU workers never change device
  if (dev < 0) cudaCheck(cudaGetDevice(&dev), "cudaGetDevice");
  return dev;
}

constexpr size_t kMaxMeasured = 5;  // heuristics' leading suggestions worth timing

bool allowTF32() {
  static const bool on = envFlag("ISOTENSOR_ALLOW_TF32");
  return on;
}

Plan& planFor(Library& lib, DType dtype, const ConvShape& s, const ConvTuning& t, const char* op) {
  static std::mutex mu;
  static std::map<PlanKey, std::unique_ptr<Plan>> plans;
  const PlanKey key = planKey(currentDevice(), dtype, s, t);
  std::lock_guard<std::mutex> lk(mu);
  auto found = plans.find(key);
  if (found != plans.end()) return *found->second;
  auto plan = std::make_unique<Plan>();
  plan->dataType = dtype == DType::kFloat64 ? kDataDouble : kDataFloat;
  const int nd = s.nbSpatial;
  std::vector<int> xd{int(s.N), int(s.C)}, yd{int(s.N), int(s.F)}, wd{int(s.F), int(s.C / s.G)};
  std::vector<int> pad, stride, dilate;
  for (int i = 0; i < nd; ++i) {
    xd.push_back(int(s.in[i]));
    yd.push_back(int(s.out[i]));
    wd.push_back(int(s.k[i]));
    pad.push_back(int(s.pad[i]));
    stride.push_back(int(s.stride[i]));
    dilate.push_back(int(s.dilate[i]));
  }
  check(lib, lib.createTensor(&plan->x), "cudnnCreateTensorDescriptor", op);
  check(lib, lib.setTensorNd(plan->x, plan->dataType, nd + 2, xd.data(), packedStrides(xd).data()),
        "cudnnSetTensorNdDescriptor", op);
  check(lib, lib.createTensor(&plan->y), "cudnnCreateTensorDescriptor", op);
  check(lib, lib.setTensorNd(plan->y, plan->dataType, nd + 2, yd.data(), packedStrides(yd).data()),
        "cudnnSetTensorNdDescriptor", op);
  check(lib, lib.createFilter(&plan->w), "cudnnCreateFilterDescriptor", op);
  check(lib, lib.setFilterNd(plan->w, plan->dataType, kFormatNCHW, nd + 2, wd.data()), "cudnnSetFilterNdDescriptor",
        op);
  check(lib, lib.createConv(&plan->conv), "cudnnCreateConvolutionDescriptor", op);
  check(lib, lib.setConvNd(plan->conv, nd, pad.data(), stride.data(), dilate.data(), kCrossCorrelation, plan->dataType),
        "cudnnSetConvolutionNdDescriptor", op);
  check(lib, lib.setGroupCount(plan->conv, int(s.G)), "cudnnSetConvolutionGroupCount", op);
  Plan& ref = *plan;
  plans.emplace(key, std::move(plan));
  return ref;
}

// The descriptors a direction reads (a, b) and writes (out).
void directionDescs(const Plan& p, Direction d, Desc* a, Desc* b, Desc* out) {
  switch (d) {
    case kForward: *a = p.x; *b = p.w; *out = p.y; break;
    case kBackwardData: *a = p.w; *b = p.y; *out = p.x; break;
    case kBackwardFilter: *a = p.x; *b = p.y; *out = p.w; break;
  }
}

// The math type to run a suggested algorithm with, or -1 to skip it. On Ampere and newer,
// CUDNN_DEFAULT_MATH lets float32 use TF32 tensor cores, so float32 without TF32 runs as FMA math.
int mathFor(const Plan& p, int suggested) {
  if (p.dataType == kDataDouble || allowTF32()) return suggested;
  if (suggested == kTensorOpMath || suggested == kTensorOpAllowConversion) return -1;
  return kFmaMath;
}

// Ranks (once) the algorithms cuDNN's heuristics suggest, keeping those within the workspace cap.
Choice& rank(Library& lib, Handle h, Plan& p, Direction d, const ConvTuning& t, const char* op) {
  Choice& c = p.choice[d];
  if (c.ranked) return c;
  c.ranked = true;
  Desc a, b, out;
  directionDescs(p, d, &a, &b, &out);
  const int searchMath = p.dataType == kDataDouble || allowTF32() ? kDefaultMath : kFmaMath;
  check(lib, lib.setMathType(p.conv, searchMath), "cudnnSetConvolutionMathType", op);
  AlgoPerf perf[16];
  int n = 0;
  check(lib, lib.heuristic[d](h, a, b, p.conv, out, 16, &n, perf), kHeuristicNames[d], op);
  for (int i = 0; i < n && c.candidates.size() < kMaxMeasured; ++i) {
    const int math = mathFor(p, perf[i].mathType);
    if (perf[i].status != 0 || math < 0) continue;
    bool seen = false;
    for (const Algo& x : c.candidates) seen = seen || (x.algo == perf[i].algo && x.mathType == math);
    if (seen) continue;
    check(lib, lib.setMathType(p.conv, math), "cudnnSetConvolutionMathType", op);
    size_t ws = 0;
    if (lib.workspace[d](h, a, b, p.conv, out, perf[i].algo, &ws) != 0 || ws > t.workspaceBytes) continue;
    c.candidates.push_back(Algo{perf[i].algo, math, ws});
  }
  return c;
}

void runAlgo(Library& lib, Handle h, Plan& p, Direction d, const Algo& algo, void* stream, const void* a,
             const void* b, void* out, bool accumulate, const char* op) {
  Desc da, db, dout;
  directionDescs(p, d, &da, &db, &dout);
  check(lib, lib.setMathType(p.conv, algo.mathType), "cudnnSetConvolutionMathType", op);
  const double alphaD = 1.0, betaD = accumulate ? 1.0 : 0.0;
  const float alphaF = 1.0f, betaF = accumulate ? 1.0f : 0.0f;
  const bool dbl = p.dataType == kDataDouble;
  const void* alpha = dbl ? static_cast<const void*>(&alphaD) : &alphaF;
  const void* beta = dbl ? static_cast<const void*>(&betaD) : &betaF;
  void* ws = nullptr;
  if (algo.workspace) cudaCheck(cudaMallocAsync(&ws, algo.workspace, static_cast<cudaStream_t>(stream)), "cudaMallocAsync");
  const Status st = lib.run[d](h, alpha, da, a, db, b, p.conv, algo.algo, ws, algo.workspace, beta, dout, out);
  if (ws) cudaFreeAsync(ws, static_cast<cudaStream_t>(stream));
  check(lib, st, kRunNames[d], op);
}

// ---- the backend API's execution plans ----

bool legacyOnly() {
  static const bool on = envFlag("ISOTENSOR_CUDNN_LEGACY");
  return on;
}

// The largest power of two up to 16 dividing every operand's address: plans may use wider loads.
int64_t alignmentOf(const void* a, const void* b, const void* out, DType dtype) {
  const uintptr_t bits =
      reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b) | reinterpret_cast<uintptr_t>(out);
  int64_t align = 16;
  while (align > static_cast<int64_t>(dtypeSize(dtype)) && (bits & static_cast<uintptr_t>(align - 1))) align >>= 1;
  return align;
}

// Scratch memory of the GPU worker's plans, grown as needed and kept: one stream uses it in order.
void* graphWorkspace(void* stream, size_t bytes) {
  thread_local void* buffer = nullptr;
  thread_local size_t capacity = 0;
  if (bytes > capacity) {
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    if (buffer) cudaFreeAsync(buffer, s);
    buffer = nullptr;
    capacity = 0;
    cudaCheck(cudaMallocAsync(&buffer, bytes, s), "cudaMallocAsync");
    capacity = bytes;
  }
  return buffer;
}

// The plans of direction d for a case, built on first use (empty when the backend cannot plan it).
graph::ConvPlans& graphPlansFor(Library& lib, Handle h, Direction d, DType dtype, const ConvShape& s,
                                const ConvTuning& t, int64_t alignment) {
  using Key = std::tuple<PlanKey, int, int64_t, Handle>;
  static std::mutex mu;
  static std::map<Key, std::unique_ptr<graph::ConvPlans>> cache;
  const Key key{planKey(currentDevice(), dtype, s, t), int(d), alignment, h};
  std::lock_guard<std::mutex> lk(mu);
  auto found = cache.find(key);
  if (found != cache.end()) return *found->second;
  graph::ConvCase c;
  c.nbDims = s.nbSpatial + 2;
  const int64_t head[3][2] = {{s.N, s.C}, {s.F, s.C / s.G}, {s.N, s.F}};
  for (int k = 0; k < 2; ++k) {
    c.x[k] = head[0][k];
    c.w[k] = head[1][k];
    c.y[k] = head[2][k];
  }
  for (int i = 0; i < s.nbSpatial; ++i) {
    c.x[2 + i] = s.in[i];
    c.w[2 + i] = s.k[i];
    c.y[2 + i] = s.out[i];
    c.stride[i] = s.stride[i];
    c.dilate[i] = s.dilate[i];
    c.pad[i] = s.pad[i];
  }
  c.isDouble = dtype == DType::kFloat64;
  c.allowTF32 = allowTF32();
  c.workspaceCap = t.workspaceBytes;
  auto plans = std::make_unique<graph::ConvPlans>();
  graph::buildConvPlans(lib.graph, h, static_cast<graph::Direction>(d), c, alignment, plans.get());
  graph::ConvPlans& ref = *plans;
  cache.emplace(key, std::move(plans));
  return ref;
}

std::string engineList(const graph::ConvPlans& g) {
  std::string r;
  for (int i = 0; i < g.count; ++i) r += " " + std::to_string(g.plans[i].engine);
  return r;
}

void runGraphPlan(Library& lib, Handle h, const graph::ConvPlans& g, int i, void* stream, const void* a,
                  const void* b, void* out, Direction d, const char* op) {
  void* ws = g.plans[i].workspace > 0 ? graphWorkspace(stream, static_cast<size_t>(g.plans[i].workspace)) : nullptr;
  check(lib, graph::runConvPlan(lib.graph, h, g, i, a, b, out, ws), kRunNames[d], op);
}

// The backend plans of a case, or null where the legacy calls must run it.
graph::ConvPlans* graphPlans(Library& lib, Handle h, Direction d, DType dtype, const ConvShape& s,
                             const ConvTuning& t, const void* a, const void* b, const void* out, bool accumulate) {
  if (accumulate || legacyOnly() || !lib.graph.usable()) return nullptr;
  graph::ConvPlans& g = graphPlansFor(lib, h, d, dtype, s, t, alignmentOf(a, b, out, dtype));
  return g.count > 0 ? &g : nullptr;
}

void run(Direction d, void* stream, DType dtype, const ConvShape& s, const ConvTuning& t, const void* a,
         const void* b, void* out, bool accumulate, const char* op) {
  Library& lib = library();
  Handle h = handleFor(lib, stream, op);
  Plan& p = planFor(lib, dtype, s, t, op);
  Choice& c = rank(lib, h, p, d, t, op);
  IST_CHECK(!c.candidates.empty(), op, "data", "cuDNN has no algorithm for this convolution within the workspace limit");
  // Timing trials overwrite the output, so they wait for a call that overwrites it anyway.
  const bool measure = t.measure && !accumulate;
  const auto legacy = [&] {
    if (measure && !c.measured && c.candidates.size() > 1) {
      std::vector<std::function<void()>> trials;
      for (const Algo& algo : c.candidates)
        trials.push_back([&, algo] { runAlgo(lib, h, p, d, algo, stream, a, b, out, false, op); });
      c.best = static_cast<size_t>(fastestOf(stream, trials, kRunNames[d]));
      c.measured = true;
    }
    runAlgo(lib, h, p, d, c.candidates[c.best], stream, a, b, out, accumulate, op);
  };
  graph::ConvPlans* g = graphPlans(lib, h, d, dtype, s, t, a, b, out, accumulate);
  if (!g) return legacy();
  const auto viaGraph = [&] {
    if (measure && !g->measured && g->count > 1) {
      std::vector<std::function<void()>> trials;
      for (int i = 0; i < g->count; ++i)
        trials.push_back([&, i] { runGraphPlan(lib, h, *g, i, stream, a, b, out, d, op); });
      const std::string what = std::string(kRunNames[d]) + " (backend plans, engines" + engineList(*g) + ")";
      g->best = fastestOf(stream, trials, what.c_str());
      g->measured = true;
    }
    runGraphPlan(lib, h, *g, g->best, stream, a, b, out, d, op);
  };
  // The backend's best plan against the legacy call's best algorithm, once per case, timed as
  // synchronous calls: the plans save host time, but for some cases the legacy algorithms (run
  // with FMA math) have faster kernels than any plan without tensor cores.
  if (measure && !g->apiChosen) {
    viaGraph();  // each side's own trials first
    legacy();
    g->useLegacy = fastestOf(stream, {viaGraph, legacy}, "cuDNN backend plan vs legacy call", true) == 1;
    g->apiChosen = true;
  }
  if (g->useLegacy) legacy();
  else viaGraph();
}

}  // namespace

bool convReady(void* stream, DType dtype, const ConvShape& s, const ConvTuning& t, unsigned directions,
               const char* op) {
  Library& lib = library();
  Handle h = handleFor(lib, stream, op);
  Plan& p = planFor(lib, dtype, s, t, op);
  for (int d = 0; d < 3; ++d)
    if ((directions >> d) & 1u && rank(lib, h, p, Direction(d), t, op).candidates.empty()) return false;
  return true;
}

bool convSupported(DType dtype, const ConvShape& s, bool cudnnOff) {
  if (cudnnOff || (dtype != DType::kFloat32 && dtype != DType::kFloat64)) return false;
  if (s.nbSpatial < 2 || s.nbSpatial > 3 || s.N <= 0 || s.C <= 0 || s.F <= 0 || s.G <= 0) return false;
  if (s.C % s.G || s.F % s.G) return false;
  int64_t xs = s.N * s.C, ys = s.N * s.F, wsz = s.F * (s.C / s.G);
  for (int i = 0; i < s.nbSpatial; ++i) {
    if (s.out[i] != convExtent(s.in[i], s.k[i], s.stride[i], s.dilate[i], s.pad[i])) return false;
    xs *= s.in[i];
    ys *= s.out[i];
    wsz *= s.k[i];
  }
  for (int64_t v : {s.N, s.C, s.F, xs, ys, wsz})
    if (v <= 0 || v > INT_MAX) return false;
  return library().loaded;
}

std::string convKey(DType dtype, const ConvShape& s, const ConvTuning& t) {
  const PlanKey k = planKey(currentDevice(), dtype, s, t);
  return std::string(reinterpret_cast<const char*>(k.data()), sizeof(int64_t) * k.size());
}

ConvTuning convTuning(const std::string& cudnnTune, int64_t workspaceMB) {
  static const bool measureByDefault = [] {
    const char* v = std::getenv("ISOTENSOR_CUDNN_AUTOTUNE");
    return !(v && std::string(v) == "0");
  }();
  ConvTuning t;
  t.measure = cudnnTune == "off" ? false : (cudnnTune == "None" ? measureByDefault : true);
  t.workspaceBytes = cudnnTune == "fastest" || workspaceMB <= 0 ? size_t(8) << 30 : size_t(workspaceMB) << 20;
  return t;
}

void convForward(void* stream, DType dtype, const ConvShape& s, const ConvTuning& t, const void* x, const void* w,
                 void* y, bool accumulate, const char* op) {
  run(kForward, stream, dtype, s, t, x, w, y, accumulate, op);
}

void convBackwardData(void* stream, DType dtype, const ConvShape& s, const ConvTuning& t, const void* w,
                      const void* dy, void* dx, bool accumulate, const char* op) {
  run(kBackwardData, stream, dtype, s, t, w, dy, dx, accumulate, op);
}

void convBackwardFilter(void* stream, DType dtype, const ConvShape& s, const ConvTuning& t, const void* x,
                        const void* dy, void* dw, bool accumulate, const char* op) {
  run(kBackwardFilter, stream, dtype, s, t, x, dy, dw, accumulate, op);
}

std::string librariesJSON(bool probe) {
  if (!probe) return "\"cudnn\":false";
  Library& lib = library();
  return std::string("\"cudnn\":") + (lib.loaded ? "true" : "false") + ",\"cudnnPath\":" + jsonString(lib.path) +
         ",\"cudnnVersion\":" + std::to_string(lib.version);
}

}  // namespace cudnn
}  // namespace ist
