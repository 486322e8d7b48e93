// The C ABI: catches every exception at the boundary and turns it into -1 + a thread-local message.
#include "isotensor/c_api.h"
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include "autograd/autograd.h"
#include "autograd/custom_function.h"
#include "base/error.h"
#include "c_api/c_api_common.h"
#include "base/gpu_info.h"
#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/parallel_for.h"
#include "io/ndarray_file.h"
#include "kernels/cpu/cpu_features.h"
#include "ndarray/ndarray.h"
#include "op/imperative.h"
#include "op/registry.h"
#include "storage/storage.h"
#if defined(__EMSCRIPTEN_PTHREADS__)
#include <emscripten/threading.h>
#endif

using namespace ist;

namespace {

thread_local std::string tLastError;
thread_local std::string tJSON;  // backing store of returned JSON strings
thread_local std::vector<IstNDArrayHandle> tLoadedArrays;
thread_local std::vector<std::string> tLoadedKeys;
thread_local std::vector<const char*> tLoadedKeyPtrs;

NDArray& arr(IstNDArrayHandle h) {
  if (h == nullptr) throwError("ndarray", "handle", "null array handle");
  return *static_cast<NDArray*>(h);
}

Context makeContext(int devType, int devId) {
  IST_CHECK(devType == Context::kCPU || devType == Context::kGPU, "context", "dev_type",
            "unknown device type " << devType);
  IST_CHECK(devId >= 0, "context", "dev_id", "negative device id " << devId);
  Context c{devType, devId};
  if (c.isGPU()) {
    IST_CHECK(builtWithCuda(), "context", "ctx",
              c.str() << " is not available: this build of isotensor has no CUDA support");
    IST_CHECK(devId < numGpus(), "context", "ctx",
              c.str() << " is not available: " << numGpus() << " CUDA device(s) visible");
  }
  return c;
}

void wakeFlag(int32_t* flag) {
  __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
#if defined(__EMSCRIPTEN_PTHREADS__)
  emscripten_futex_wake(flag, 0x7fffffff);
#endif
}

// The kernels' vector ISA: what run-time dispatch picked natively, SIMD128 in WASM.
std::string simdDescription() {
#if defined(__EMSCRIPTEN__)
#if defined(__wasm_simd128__)
  return "simd128";
#else
  return "none";
#endif
#else
  return cpuIsaName(cpuIsa());
#endif
}

}  // namespace

// Other c_api_*.cc files report their failures through this (c_api/c_api_common.h).
void ist::capiSetLastError(const std::string& message) { tLastError = message; }

extern "C" {

const char* ist_get_last_error(void) { return tLastError.c_str(); }

#if defined(__EMSCRIPTEN__)
int ist_heap_pages(void) { return static_cast<int>(__builtin_wasm_memory_size(0)); }
#endif

int ist_init(int num_threads, int engine_kind) {
  return capiGuard([&] { Engine::init(num_threads, engine_kind); });
}

int ist_runtime_info(const char** out_json) {
  return capiGuard([&] {
    Engine* e = Engine::get();
    std::string j = "{";
#if defined(__EMSCRIPTEN__)
    j += "\"platform\":\"wasm\"";
#else
    j += "\"platform\":\"native\"";
#endif
    j += ",\"engine\":\"" + std::string(e->kind()) + "\"";
    j += ",\"threads\":" + std::to_string(parallelThreads());
    j += ",\"simd\":\"" + simdDescription() + "\"";
    j += ",\"cuda\":" + std::string(builtWithCuda() ? "true" : "false");
    j += ",\"num_gpus\":" + std::to_string(numGpus());
    j += "," + std::string(gpuLibrariesJSON());
    j += ",\"mpi\":false,\"nccl\":false}";
    tJSON = j;
    *out_json = tJSON.c_str();
  });
}

int ist_num_gpus(int* out) {
  return capiGuard([&] { *out = numGpus(); });
}

int ist_wait_all(void) {
  return capiGuard([] {
    Engine::get()->waitForAll();
    gpuSynchronizeAll();
  });
}

int ist_wait_all_signal(int32_t* flag) {
  // onIdle fires when nothing is pending and, unlike waitForAll, leaves recorded
  // errors for the next ist_wait_all to raise.
  return capiGuard([&] { engineImpl()->onIdle([flag] { wakeFlag(flag); }); });
}

int ist_engine_set_trace(int on) {
  return capiGuard([&] { Engine::setTrace(on != 0); });
}

int ist_engine_take_trace(const char** out_json) {
  return capiGuard([&] {
    tJSON = Engine::takeTraceJSON();
    *out_json = tJSON.c_str();
  });
}

int ist_random_seed(int32_t seed, int dev_type, int dev_id) {
  return capiGuard([&] {
    IST_CHECK(dev_type == Context::kCPU || dev_type == Context::kGPU, "random.seed", "ctx",
              "unknown device type " << dev_type);
    seedRandom(Context{dev_type, dev_id}, static_cast<uint32_t>(seed));
  });
}

int ist_memory_info(int dev_type, int dev_id, int64_t* out) {
  return capiGuard([&] {
    MemoryStats s = Storage::stats(Context{dev_type, dev_id});
    out[0] = s.liveBytes;
    out[1] = s.peakBytes;
    out[2] = s.pooledBytes;
    out[3] = s.liveCount;
  });
}

int ist_memory_release(int dev_type, int dev_id) {
  return capiGuard([&] { Storage::releasePooled(Context{dev_type, dev_id}); });
}

int ist_ndarray_create(const int64_t* shape, int ndim, int dtype, int dev_type, int dev_id,
                       IstNDArrayHandle* out) {
  return capiGuard([&] {
    IST_CHECK(ndim >= 0 && ndim <= 32, "ndarray", "shape", "rank " << ndim << " is out of range [0, 32]");
    IST_CHECK(dtypeIsValid(dtype), "ndarray", "dtype", "unknown dtype flag " << dtype);
    Shape s(shape, shape + ndim);
    *out = new NDArray(s, static_cast<DType>(dtype), makeContext(dev_type, dev_id));
  });
}

int ist_ndarray_free(IstNDArrayHandle h) {
  return capiGuard([&] { delete static_cast<NDArray*>(h); });
}

int ist_ndarray_get_shape(IstNDArrayHandle h, int* out_ndim, const int64_t** out_shape) {
  return capiGuard([&] {
    const NDArray& a = arr(h);
    *out_ndim = a.ndim();
    *out_shape = a.shape().data();
  });
}

int ist_ndarray_get_dtype(IstNDArrayHandle h, int* out_dtype) {
  return capiGuard([&] { *out_dtype = static_cast<int>(arr(h).dtype()); });
}

int ist_ndarray_get_context(IstNDArrayHandle h, int* out_dev_type, int* out_dev_id) {
  return capiGuard([&] {
    *out_dev_type = arr(h).ctx().devType;
    *out_dev_id = arr(h).ctx().devId;
  });
}

int ist_ndarray_sync_copy_from_cpu(IstNDArrayHandle h, const void* data, size_t nbytes) {
  return capiGuard([&] { arr(h).syncCopyFromCPU(data, nbytes); });
}

int ist_ndarray_sync_copy_to_cpu(IstNDArrayHandle h, void* data, size_t nbytes) {
  return capiGuard([&] { arr(h).syncCopyToCPU(data, nbytes); });
}

int ist_ndarray_wait_to_read(IstNDArrayHandle h) {
  return capiGuard([&] { arr(h).waitToRead(); });
}

int ist_ndarray_wait_to_write(IstNDArrayHandle h) {
  return capiGuard([&] { arr(h).waitToWrite(); });
}

int ist_ndarray_read_signal(IstNDArrayHandle h, int32_t* flag) {
  return capiGuard([&] {
    const NDArray& a = arr(h);
    NDArray keep = a;
    Engine::get()->pushSync([flag, keep](RunContext) { wakeFlag(flag); }, a.ctx(), {a.var()}, {}, "read_signal",
                            true);
  });
}

int ist_ndarray_read_callback(IstNDArrayHandle h, void (*cb)(void*), void* arg) {
  return capiGuard([&] {
    const NDArray& a = arr(h);
    NDArray keep = a;
    Engine::get()->pushSync([cb, arg, keep](RunContext) { cb(arg); }, a.ctx(), {a.var()}, {}, "read_callback",
                            true);
  });
}

int ist_ndarray_reshape(IstNDArrayHandle h, const int64_t* shape, int ndim, IstNDArrayHandle* out) {
  return capiGuard([&] {
    IST_CHECK(ndim >= 0 && ndim <= 32, "reshape", "shape", "rank " << ndim << " is out of range [0, 32]");
    const NDArray& a = arr(h);
    NDArray v = a.reshape(Shape(shape, shape + ndim));
    autograd::recordView("Reshape", {{"shape", shapeString(v.shape())}}, a, v);
    *out = new NDArray(v);
  });
}

int ist_ndarray_slice(IstNDArrayHandle h, int64_t begin, int64_t end, IstNDArrayHandle* out) {
  return capiGuard([&] {
    const NDArray& a = arr(h);
    NDArray v = a.slice(begin, end);
    autograd::recordView("slice_axis",
                         {{"axis", "0"}, {"begin", std::to_string(begin)}, {"end", std::to_string(end)}}, a, v);
    *out = new NDArray(v);
  });
}

int ist_ndarray_at(IstNDArrayHandle h, int64_t index, IstNDArrayHandle* out) {
  return capiGuard([&] {
    const NDArray& a = arr(h);
    NDArray v = a.at(index);
    if (autograd::shouldRecord({a})) {
      int64_t i = index < 0 ? index + a.shape()[0] : index;
      NDArray row = a.slice(i, i + 1);
      autograd::recordView("slice_axis",
                           {{"axis", "0"}, {"begin", std::to_string(i)}, {"end", std::to_string(i + 1)}}, a, row);
      autograd::recordView("Reshape", {{"shape", shapeString(v.shape())}}, row, v);
    }
    *out = new NDArray(v);
  });
}

/* ---- autograd ---- */

int ist_autograd_set_recording(int on, int* prev) {
  return capiGuard([&] {
    bool p = autograd::setRecording(on != 0);
    if (prev) *prev = p;
  });
}

int ist_autograd_set_training(int on, int* prev) {
  return capiGuard([&] {
    bool p = autograd::setTraining(on != 0);
    if (prev) *prev = p;
  });
}

int ist_autograd_is_recording(int* out) {
  return capiGuard([&] { *out = autograd::isRecording(); });
}

int ist_autograd_is_training(int* out) {
  return capiGuard([&] { *out = autograd::isTraining(); });
}

int ist_autograd_mark_variables(int num, const IstNDArrayHandle* vars, const int* reqs, const IstNDArrayHandle* grads) {
  return capiGuard([&] {
    std::vector<NDArray*> v;
    std::vector<OpReq> r;
    std::vector<NDArray> g;
    for (int i = 0; i < num; ++i) {
      v.push_back(&arr(vars[i]));
      IST_CHECK(reqs[i] == 0 || reqs[i] == 1 || reqs[i] == 3, "mark_variables", "grad_req",
                "unknown grad_req code " << reqs[i] << " (0 null, 1 write, 3 add)");
      r.push_back(reqs[i] == 0 ? OpReq::kNull : reqs[i] == 1 ? OpReq::kWriteTo : OpReq::kAddTo);
      g.push_back(grads[i] ? arr(grads[i]) : NDArray());
    }
    autograd::markVariables(v, r, g);
  });
}

int ist_autograd_backward(int num_heads, const IstNDArrayHandle* heads, const IstNDArrayHandle* head_grads,
                          int num_vars, const IstNDArrayHandle* vars, int retain_graph, int create_graph,
                          int is_train, IstNDArrayHandle* out_grads) {
  return capiGuard([&] {
    std::vector<NDArray> h, hg, v;
    for (int i = 0; i < num_heads; ++i) {
      h.push_back(arr(heads[i]));
      hg.push_back(head_grads && head_grads[i] ? arr(head_grads[i]) : NDArray());
    }
    for (int i = 0; i < num_vars; ++i) v.push_back(arr(vars[i]));
    std::vector<NDArray> g = autograd::backward(h, hg, v, retain_graph != 0, create_graph != 0, is_train != 0);
    for (size_t i = 0; i < g.size(); ++i) out_grads[i] = new NDArray(g[i]);
  });
}

namespace {

// Adapts a C hook to the core's CustomBackwardHook: handles in, handles out, message on failure.
autograd::CustomBackwardHook adaptHook(IstCustomBackwardFn fn) {
  return [fn](int id, const std::vector<NDArray>& ograds, int numInputs) {
    std::vector<IstNDArrayHandle> og, ig(numInputs, nullptr);
    for (auto& g : ograds) og.push_back(new NDArray(g));
    char* err = fn(id, static_cast<int>(og.size()), og.data(), numInputs, ig.data());
    std::vector<NDArray> result;
    for (auto h : ig) {
      result.push_back(h ? *static_cast<NDArray*>(h) : NDArray());
      delete static_cast<NDArray*>(h);
    }
    if (err) {
      std::string msg = err;
      free(err);
      throwError("autograd.Function", "backward", msg);
    }
    return result;
  };
}

#if defined(__EMSCRIPTEN__)
// The JS side installs Module.istCustomBackward (ts/backend/wasm.ts).
EM_JS(char*, ist_js_custom_backward, (int id, int nOg, const IstNDArrayHandle* og, int nIg, IstNDArrayHandle* ig), {
  return Module.istCustomBackward ? Module.istCustomBackward(id, nOg, og, nIg, ig) : 0;
});
const bool kWasmHookInstalled = [] {
  autograd::setCustomBackwardHook(adaptHook(&ist_js_custom_backward));
  return true;
}();
#endif

}  // namespace

int ist_autograd_record_custom(int id, int num_inputs, const IstNDArrayHandle* inputs, int num_outputs,
                               const IstNDArrayHandle* outputs) {
  return capiGuard([&] {
    std::vector<NDArray> in, out;
    for (int i = 0; i < num_inputs; ++i) in.push_back(arr(inputs[i]));
    for (int i = 0; i < num_outputs; ++i) out.push_back(arr(outputs[i]));
    autograd::recordCustom(id, in, out);
    for (int i = 0; i < num_outputs; ++i)
      if (out[i].agNode()) arr(outputs[i]).setAutogradEntry(out[i].agNode(), out[i].agIndex());
  });
}

int ist_autograd_set_custom_backward(IstCustomBackwardFn fn) {
  return capiGuard([&] { autograd::setCustomBackwardHook(fn ? adaptHook(fn) : autograd::CustomBackwardHook()); });
}

int ist_autograd_take_released_custom(int capacity, int* ids, int* count) {
  return capiGuard([&] {
    static thread_local std::vector<int> pending;
    std::vector<int> fresh = autograd::takeReleasedCustom();
    pending.insert(pending.end(), fresh.begin(), fresh.end());
    int n = std::min<int>(capacity, static_cast<int>(pending.size()));
    std::copy(pending.end() - n, pending.end(), ids);
    pending.resize(pending.size() - n);
    *count = n;
  });
}

int ist_ndarray_detach(IstNDArrayHandle h, IstNDArrayHandle* out) {
  return capiGuard([&] { *out = new NDArray(arr(h).detach()); });
}

int ist_ndarray_get_grad(IstNDArrayHandle h, IstNDArrayHandle* out) {
  return capiGuard([&] {
    NDArray g = autograd::gradOf(arr(h));
    *out = g.isNone() ? nullptr : new NDArray(g);
  });
}

int ist_ndarray_autograd_kind(IstNDArrayHandle h, int* out) {
  return capiGuard([&] {
    const NDArray& a = arr(h);
    *out = !a.agNode() ? 0 : a.agNode()->isVariable() ? 1 : 2;
  });
}

int ist_ndarray_get_grad_state(IstNDArrayHandle h, int* out) {
  return capiGuard([&] { *out = autograd::freshGrad(arr(h)) ? 1 : 0; });
}

int ist_ndarray_set_grad_state(IstNDArrayHandle h, int state) {
  return capiGuard([&] { autograd::setFreshGrad(arr(h), state != 0); });
}

int ist_ndarray_data_ptr(IstNDArrayHandle h, void** out) {
  return capiGuard([&] {
    const NDArray& a = arr(h);
    IST_CHECK(!a.ctx().isGPU(), "data_ptr", "ctx", "array is on " << a.ctx().str() << ", not on the host");
    a.waitToRead();
    *out = a.dataPtr();
  });
}

int ist_ndarray_same_storage(IstNDArrayHandle a, IstNDArrayHandle b, int* out) {
  return capiGuard([&] { *out = arr(a).sameStorage(arr(b)) ? 1 : 0; });
}

int ist_op_get(const char* name, IstOpHandle* out) {
  return capiGuard([&] { *out = &OpRegistry::get(name); });
}

int ist_op_list_json(const char** out_json) {
  return capiGuard([&] {
    tJSON = OpRegistry::listJSON();
    *out_json = tJSON.c_str();
  });
}

int ist_op_call_counts_json(const char** out_json) {
  return capiGuard([&] {
    tJSON = OpRegistry::callCountsJSON();
    *out_json = tJSON.c_str();
  });
}

int ist_imperative_invoke(IstOpHandle op, int num_inputs, const IstNDArrayHandle* inputs, int* num_outputs,
                          IstNDArrayHandle* outputs, int out_capacity, int num_params, const char** keys,
                          const char** vals) {
  return capiGuard([&] {
    if (op == nullptr) throwError("invoke", "op", "null operator handle");
    const Op& o = *static_cast<const Op*>(op);
    std::vector<NDArray> in;
    in.reserve(num_inputs);
    for (int i = 0; i < num_inputs; ++i) in.push_back(arr(inputs[i]));
    AttrDict attrs;
    for (int i = 0; i < num_params; ++i) attrs[keys[i]] = vals[i];
    std::vector<NDArray> given;
    for (int i = 0; i < *num_outputs; ++i) given.push_back(arr(outputs[i]));
    std::vector<NDArray> res = invokeOp(o, in, attrs, given);
    // Results written into given arrays: their handles take the recorded entry.
    for (size_t i = 0; i < given.size(); ++i)
      if (res[i].agNode()) arr(outputs[i]).setAutogradEntry(res[i].agNode(), res[i].agIndex());
    if (given.empty()) {
      // Hidden outputs (kept for the gradient) stay in the core.
      if (o.numVisibleOutputsFn) {
        AttrDict d = attrs;
        if (!o.variadicInput.empty() && !d.count(o.variadicCount) && in.size() >= o.inputNames.size())
          d[o.variadicCount] = std::to_string(in.size() - o.inputNames.size());
        res.resize(std::min<size_t>(res.size(), o.numVisibleOutputs(o.parseAttrs(d))));
      }
      IST_CHECK(static_cast<int>(res.size()) <= out_capacity, o.name, "out",
                "op produced " << res.size() << " outputs, capacity is " << out_capacity);
      for (size_t i = 0; i < res.size(); ++i) outputs[i] = new NDArray(res[i]);
      *num_outputs = static_cast<int>(res.size());
    }
  });
}

int ist_ndarray_save(int num_arrays, const IstNDArrayHandle* arrays, const char** keys, uint8_t** out_buf,
                     size_t* out_len) {
  return capiGuard([&] {
    std::vector<NDArray> list;
    std::vector<std::string> names;
    for (int i = 0; i < num_arrays; ++i) {
      list.push_back(arr(arrays[i]));
      if (keys) names.emplace_back(keys[i]);
    }
    std::vector<uint8_t> bytes = saveNDArrayList(list, names);
    uint8_t* buf = static_cast<uint8_t*>(malloc(bytes.size() ? bytes.size() : 1));
    IST_CHECK(buf != nullptr, "save", "data", "cannot allocate " << bytes.size() << " bytes");
    if (!bytes.empty()) memcpy(buf, bytes.data(), bytes.size());
    *out_buf = buf;
    *out_len = bytes.size();
  });
}

int ist_buffer_free(uint8_t* buf) {
  free(buf);
  return 0;
}

int ist_ndarray_load(const uint8_t* buf, size_t len, int* out_num_arrays, IstNDArrayHandle** out_arrays,
                     int* out_num_keys, const char*** out_keys) {
  return capiGuard([&] {
    std::vector<NDArray> list;
    std::vector<std::string> names;
    loadNDArrayList(buf, len, &list, &names);
    tLoadedArrays.clear();
    for (auto& a : list) tLoadedArrays.push_back(new NDArray(a));
    tLoadedKeys = names;
    tLoadedKeyPtrs.clear();
    for (auto& k : tLoadedKeys) tLoadedKeyPtrs.push_back(k.c_str());
    *out_num_arrays = static_cast<int>(tLoadedArrays.size());
    *out_arrays = tLoadedArrays.data();
    *out_num_keys = static_cast<int>(tLoadedKeyPtrs.size());
    *out_keys = tLoadedKeyPtrs.data();
  });
}

}  // extern "C"
