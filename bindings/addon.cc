// Node addon: the isotensor C ABI (core-cpp/include/isotensor/c_api.h) wrapped 1:1 for ts/backend/native.ts.
// Only marshalling lives here. Handles cross as JS numbers holding the pointer value (exact in a double:
// x86-64/arm64 user pointers are below 2^53). A failing call throws an Error whose message is
// ist_get_last_error(). Host bytes held by the core are reported to V8 so its GC feels their pressure.
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <string>
#include <vector>

#include "isotensor/c_api.h"

namespace {

constexpr int kCPU = 1;
constexpr int kMaxOutputs = 4096;  // invoke's capacity for op-created outputs (split may make many)
constexpr int64_t kReportBytes = 1 << 20;  // external-memory changes smaller than this wait for the next report

// Per-environment state (one per main thread / worker_thread that loads the addon).
struct AddonData {
  int64_t reportedBytes = 0;  // core live CPU bytes last reported to V8
  std::vector<IstNDArrayHandle> outputs = std::vector<IstNDArrayHandle>(kMaxOutputs);
  // invoke's handle block (setInvokeBuffer): a Float64Array the backend registers once. A call
  // reads its input and given-output handles from it and writes the result handles back, so it
  // crosses N-API with numbers only (a JS array costs a property lookup per handle, and the
  // result array an allocation). The reference keeps the buffer's memory alive and in place.
  Napi::Reference<Napi::Float64Array> invokeRef;
  double* invokeBuf = nullptr;
  size_t invokeLen = 0;
  std::vector<IstNDArrayHandle> inputs, given;  // reused: no allocation per call
};

AddonData* data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

// Neither throws over an exception already pending (a failed argument conversion throws its own
// TypeError): throwing twice is a fatal error that ends the process.
Napi::Value fail(Napi::Env env) {
  if (!env.IsExceptionPending()) Napi::Error::New(env, ist_get_last_error()).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value typeError(Napi::Env env, const char* fn, const char* what) {
  if (!env.IsExceptionPending())
    Napi::TypeError::New(env, std::string("isotensor addon ") + fn + ": " + what).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Tells V8 how much the core's live CPU memory changed since the last report.
void reportMemory(Napi::Env env) {
  int64_t info[4] = {0, 0, 0, 0};
  if (ist_memory_info(kCPU, 0, info) != 0) return;
  AddonData* d = data(env);
  int64_t delta = info[0] - d->reportedBytes;
  // V8 only needs the pressure roughly; a report per tiny op costs more than the op.
  if (delta > -kReportBytes && delta < kReportBytes) return;
  d->reportedBytes = info[0];
  Napi::MemoryManagement::AdjustExternalMemory(env, delta);
}

// A handle in a slot of invoke's Float64Array, and as a JS number (pointers below 2^53 are exact in a double).
IstNDArrayHandle handleFromSlot(double slot) {
  return reinterpret_cast<IstNDArrayHandle>(static_cast<uintptr_t>(slot));
}
double slotFromHandle(const void* h) { return static_cast<double>(reinterpret_cast<uintptr_t>(h)); }

Napi::Number fromHandle(Napi::Env env, const void* h) { return Napi::Number::New(env, slotFromHandle(h)); }

void* toHandle(const Napi::Value& v) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(v.As<Napi::Number>().Int64Value()));
}

int toInt(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }

bool toShape(const Napi::Value& v, std::vector<int64_t>* out) {
  if (!v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  out->resize(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) return false;
    (*out)[i] = e.As<Napi::Number>().Int64Value();
  }
  return true;
}

Napi::Array toJSArray(Napi::Env env, const int64_t* values, int n) {
  Napi::Array a = Napi::Array::New(env, n);
  for (int i = 0; i < n; ++i) a.Set(i, Napi::Number::New(env, static_cast<double>(values[i])));
  return a;
}

// Start and byte length of a TypedArray, DataView or Buffer.
bool viewBytes(Napi::Env env, const Napi::Value& v, void** ptr, size_t* nbytes) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length = 0, offset = 0;
    napi_value buffer;
    if (napi_get_typedarray_info(env, v, &type, &length, ptr, &buffer, &offset) != napi_ok) return false;
    *nbytes = v.As<Napi::TypedArray>().ByteLength();
    return true;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    napi_value buffer;
    size_t offset = 0;
    return napi_get_dataview_info(env, v, nbytes, ptr, &buffer, &offset) == napi_ok;
  }
  return false;
}

bool toStrings(const Napi::Value& v, std::vector<std::string>* out) {
  if (!v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  out->resize(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsString()) return false;
    (*out)[i] = e.As<Napi::String>().Utf8Value();
  }
  return true;
}

std::vector<const char*> cStrings(const std::vector<std::string>& s) {
  std::vector<const char*> p(s.size());
  for (size_t i = 0; i < s.size(); ++i) p[i] = s[i].c_str();
  return p;
}

// (Elements are checked: converting a non-number would leave a pending exception that the next
// N-API error turns into a fatal one.)
bool toHandles(const Napi::Value& v, std::vector<IstNDArrayHandle>* out) {
  if (!v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  out->resize(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) return false;
    (*out)[i] = toHandle(e);
  }
  return true;
}

// ---- library / engine ----

Napi::Value Init(const Napi::CallbackInfo& info) {
  if (ist_init(toInt(info[0]), toInt(info[1])) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

Napi::Value RuntimeInfo(const Napi::CallbackInfo& info) {
  const char* json = nullptr;
  if (ist_runtime_info(&json) != 0) return fail(info.Env());
  return Napi::String::New(info.Env(), json);
}

Napi::Value NumGpus(const Napi::CallbackInfo& info) {
  int n = 0;
  if (ist_num_gpus(&n) != 0) return fail(info.Env());
  return Napi::Number::New(info.Env(), n);
}

Napi::Value WaitAll(const Napi::CallbackInfo& info) {
  if (ist_wait_all() != 0) return fail(info.Env());
  reportMemory(info.Env());
  return info.Env().Undefined();
}

// ist_wait_all on a libuv pool thread; the error message is read on that thread (it is thread-local).
class WaitAllWorker : public Napi::AsyncWorker {
 public:
  explicit WaitAllWorker(Napi::Env env) : Napi::AsyncWorker(env, "isotensor.waitAllAsync"),
                                          deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    if (ist_wait_all() != 0) SetError(ist_get_last_error());
  }
  void OnOK() override {
    reportMemory(Env());
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
};

Napi::Value WaitAllAsync(const Napi::CallbackInfo& info) {
  auto* w = new WaitAllWorker(info.Env());
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value SetTrace(const Napi::CallbackInfo& info) {
  if (ist_engine_set_trace(info[0].ToBoolean().Value() ? 1 : 0) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

Napi::Value TakeTrace(const Napi::CallbackInfo& info) {
  const char* json = nullptr;
  if (ist_engine_take_trace(&json) != 0) return fail(info.Env());
  return Napi::String::New(info.Env(), json);
}

Napi::Value RandomSeed(const Napi::CallbackInfo& info) {
  if (ist_random_seed(toInt(info[0]), toInt(info[1]), toInt(info[2])) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

Napi::Value MemoryInfo(const Napi::CallbackInfo& info) {
  int64_t out[4] = {0, 0, 0, 0};
  if (ist_memory_info(toInt(info[0]), toInt(info[1]), out) != 0) return fail(info.Env());
  return toJSArray(info.Env(), out, 4);
}

Napi::Value MemoryRelease(const Napi::CallbackInfo& info) {
  if (ist_memory_release(toInt(info[0]), toInt(info[1])) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

// ---- NDArray ----

Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> shape;
  if (!toShape(info[0], &shape)) return typeError(env, "create", "shape must be an array of numbers");
  IstNDArrayHandle h = nullptr;
  if (ist_ndarray_create(shape.data(), static_cast<int>(shape.size()), toInt(info[1]), toInt(info[2]),
                         toInt(info[3]), &h) != 0)
    return fail(env);
  reportMemory(env);
  return fromHandle(env, h);
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  if (ist_ndarray_free(toHandle(info[0])) != 0) return fail(info.Env());
  reportMemory(info.Env());
  return info.Env().Undefined();
}

Napi::Value Shape(const Napi::CallbackInfo& info) {
  int ndim = 0;
  const int64_t* shape = nullptr;
  if (ist_ndarray_get_shape(toHandle(info[0]), &ndim, &shape) != 0) return fail(info.Env());
  return toJSArray(info.Env(), shape, ndim);
}

Napi::Value DType(const Napi::CallbackInfo& info) {
  int dtype = 0;
  if (ist_ndarray_get_dtype(toHandle(info[0]), &dtype) != 0) return fail(info.Env());
  return Napi::Number::New(info.Env(), dtype);
}

Napi::Value Context(const Napi::CallbackInfo& info) {
  int devType = 0, devId = 0;
  if (ist_ndarray_get_context(toHandle(info[0]), &devType, &devId) != 0) return fail(info.Env());
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, Napi::Number::New(info.Env(), devType));
  a.Set(1u, Napi::Number::New(info.Env(), devId));
  return a;
}

Napi::Value CopyFrom(const Napi::CallbackInfo& info) {
  void* ptr = nullptr;
  size_t nbytes = 0;
  if (!viewBytes(info.Env(), info[1], &ptr, &nbytes))
    return typeError(info.Env(), "copyFrom", "source must be a TypedArray or DataView");
  if (ist_ndarray_sync_copy_from_cpu(toHandle(info[0]), ptr, nbytes) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

Napi::Value CopyTo(const Napi::CallbackInfo& info) {
  void* ptr = nullptr;
  size_t nbytes = 0;
  if (!viewBytes(info.Env(), info[1], &ptr, &nbytes))
    return typeError(info.Env(), "copyTo", "destination must be a TypedArray or DataView");
  if (ist_ndarray_sync_copy_to_cpu(toHandle(info[0]), ptr, nbytes) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

Napi::Value WaitToRead(const Napi::CallbackInfo& info) {
  if (ist_ndarray_wait_to_read(toHandle(info[0])) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

Napi::Value WaitToWrite(const Napi::CallbackInfo& info) {
  if (ist_ndarray_wait_to_write(toHandle(info[0])) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

// readAsync: the engine calls onReadable on one of its threads once the array can be read; a
// thread-safe function carries that to the JS thread, which resolves the promise. Each call owns its
// TSFN, released by that one call, so nothing keeps the event loop alive after it resolved.
struct ReadRequest;
void resolveRead(Napi::Env env, Napi::Function, std::nullptr_t*, ReadRequest* req);
using ReadTSFN = Napi::TypedThreadSafeFunction<std::nullptr_t, ReadRequest, resolveRead>;

struct ReadRequest {
  Napi::Promise::Deferred deferred;
  ReadTSFN tsfn;
  explicit ReadRequest(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

void resolveRead(Napi::Env env, Napi::Function, std::nullptr_t*, ReadRequest* req) {
  if (env != nullptr) req->deferred.Resolve(env.Undefined());  // env is null while the env shuts down
  delete req;
}

void onReadable(void* arg) {
  auto* req = static_cast<ReadRequest*>(arg);
  ReadTSFN tsfn = req->tsfn;
  if (tsfn.NonBlockingCall(req) != napi_ok) {
    delete req;  // napi_closing: the env is shutting down and the TSFN may be gone; do not touch it
    return;
  }
  tsfn.Release();
}

Napi::Value ReadAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* req = new ReadRequest(env);
  Napi::Promise promise = req->deferred.Promise();
  req->tsfn = ReadTSFN::New(env, "isotensor.readAsync", 0, 1, nullptr);
  if (ist_ndarray_read_callback(toHandle(info[0]), onReadable, req) != 0) {
    req->tsfn.Release();
    delete req;
    return fail(env);
  }
  return promise;
}

Napi::Value NewView(Napi::Env env, int rc, IstNDArrayHandle out) {
  if (rc != 0) return fail(env);
  return fromHandle(env, out);
}

Napi::Value Reshape(const Napi::CallbackInfo& info) {
  std::vector<int64_t> shape;
  if (!toShape(info[1], &shape)) return typeError(info.Env(), "reshape", "shape must be an array of numbers");
  IstNDArrayHandle out = nullptr;
  int rc = ist_ndarray_reshape(toHandle(info[0]), shape.data(), static_cast<int>(shape.size()), &out);
  return NewView(info.Env(), rc, out);
}

Napi::Value Slice(const Napi::CallbackInfo& info) {
  IstNDArrayHandle out = nullptr;
  int rc = ist_ndarray_slice(toHandle(info[0]), info[1].As<Napi::Number>().Int64Value(),
                             info[2].As<Napi::Number>().Int64Value(), &out);
  return NewView(info.Env(), rc, out);
}

Napi::Value At(const Napi::CallbackInfo& info) {
  IstNDArrayHandle out = nullptr;
  int rc = ist_ndarray_at(toHandle(info[0]), info[1].As<Napi::Number>().Int64Value(), &out);
  return NewView(info.Env(), rc, out);
}

Napi::Value SameStorage(const Napi::CallbackInfo& info) {
  int same = 0;
  if (ist_ndarray_same_storage(toHandle(info[0]), toHandle(info[1]), &same) != 0) return fail(info.Env());
  return Napi::Boolean::New(info.Env(), same != 0);
}

// ---- operators ----

Napi::Value OpGet(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  IstOpHandle op = nullptr;
  if (ist_op_get(name.c_str(), &op) != 0) return fail(info.Env());
  return fromHandle(info.Env(), op);
}

Napi::Value OpListJSON(const Napi::CallbackInfo& info) {
  const char* json = nullptr;
  if (ist_op_list_json(&json) != 0) return fail(info.Env());
  return Napi::String::New(info.Env(), json);
}

Napi::Value OpCallCountsJSON(const Napi::CallbackInfo& info) {
  const char* json = nullptr;
  if (ist_op_call_counts_json(&json) != 0) return fail(info.Env());
  return Napi::String::New(info.Env(), json);
}

Napi::Value SetInvokeBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    return typeError(env, "setInvokeBuffer", "expected a Float64Array");
  Napi::Float64Array a = info[0].As<Napi::Float64Array>();
  AddonData* d = data(env);
  d->invokeRef = Napi::Persistent(a);
  d->invokeBuf = a.Data();
  d->invokeLen = a.ElementLength();
  return env.Undefined();
}

// invoke(op, numInputs, numGiven, keys | null, vals | null) -> numOutputs. Handles in and out
// through the buffer of setInvokeBuffer: inputs at [0, numInputs), given outputs after them; the
// results (when numGiven is 0) are written from index numInputs on.
Napi::Value Invoke(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonData* d = data(env);
  const int64_t nIn = info[1].As<Napi::Number>().Int64Value();
  const int64_t nGiven = info[2].As<Napi::Number>().Int64Value();
  if (d->invokeBuf == nullptr || nIn < 0 || nGiven < 0 ||
      static_cast<uint64_t>(nIn) + static_cast<uint64_t>(nGiven > 0 ? nGiven : kMaxOutputs) > d->invokeLen)
    return typeError(env, "invoke", "the handle buffer is missing or too short for the call");
  std::vector<std::string> keys, vals;
  const bool noParams = info[3].IsNull() && info[4].IsNull();
  if (!noParams && (!toStrings(info[3], &keys) || !toStrings(info[4], &vals) || keys.size() != vals.size()))
    return typeError(env, "invoke", "keys and vals must be string arrays of one length (or both null)");
  std::vector<const char*> k = cStrings(keys), v = cStrings(vals);
  const double* buf = d->invokeBuf;
  d->inputs.resize(nIn);
  for (int64_t i = 0; i < nIn; ++i) d->inputs[i] = handleFromSlot(buf[i]);
  d->given.resize(nGiven);
  for (int64_t i = 0; i < nGiven; ++i) d->given[i] = handleFromSlot(buf[nIn + i]);
  int numOutputs = static_cast<int>(nGiven);
  IstNDArrayHandle* outputs = nGiven == 0 ? d->outputs.data() : d->given.data();
  int capacity = nGiven == 0 ? kMaxOutputs : numOutputs;
  if (ist_imperative_invoke(toHandle(info[0]), static_cast<int>(nIn), d->inputs.data(), &numOutputs, outputs,
                            capacity, static_cast<int>(k.size()), k.data(), v.data()) != 0)
    return fail(env);
  reportMemory(env);
  // The entry check left room for kMaxOutputs results, and the call wrote at most capacity of them.
  if (nGiven == 0)
    for (int i = 0; i < numOutputs; ++i) d->invokeBuf[nIn + i] = slotFromHandle(outputs[i]);
  return Napi::Number::New(env, numOutputs);
}

// ---- autograd ----

Napi::Value SetRecording(const Napi::CallbackInfo& info) {
  int prev = 0;
  if (ist_autograd_set_recording(info[0].ToBoolean().Value() ? 1 : 0, &prev) != 0) return fail(info.Env());
  return Napi::Boolean::New(info.Env(), prev != 0);
}

Napi::Value SetTraining(const Napi::CallbackInfo& info) {
  int prev = 0;
  if (ist_autograd_set_training(info[0].ToBoolean().Value() ? 1 : 0, &prev) != 0) return fail(info.Env());
  return Napi::Boolean::New(info.Env(), prev != 0);
}

Napi::Value IsRecording(const Napi::CallbackInfo& info) {
  int on = 0;
  if (ist_autograd_is_recording(&on) != 0) return fail(info.Env());
  return Napi::Boolean::New(info.Env(), on != 0);
}

Napi::Value IsTraining(const Napi::CallbackInfo& info) {
  int on = 0;
  if (ist_autograd_is_training(&on) != 0) return fail(info.Env());
  return Napi::Boolean::New(info.Env(), on != 0);
}

Napi::Value MarkVariables(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<IstNDArrayHandle> vars, grads;
  std::vector<int64_t> reqs;
  if (!toHandles(info[0], &vars) || !toShape(info[1], &reqs) || !toHandles(info[2], &grads) ||
      reqs.size() != vars.size() || grads.size() != vars.size())
    return typeError(env, "markVariables", "expects (handles, reqs, grads) of one length");
  std::vector<int> r(reqs.begin(), reqs.end());
  if (ist_autograd_mark_variables(static_cast<int>(vars.size()), vars.data(), r.data(), grads.data()) != 0)
    return fail(env);
  return env.Undefined();
}

Napi::Value Backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<IstNDArrayHandle> heads, headGrads, vars;
  if (!toHandles(info[0], &heads)) return typeError(env, "backward", "heads must be an array of handles");
  bool hasHeadGrads = !info[1].IsNull() && !info[1].IsUndefined();
  if (hasHeadGrads && (!toHandles(info[1], &headGrads) || headGrads.size() != heads.size()))
    return typeError(env, "backward", "headGrads must be null or one handle (0 for ones) per head");
  if (!toHandles(info[2], &vars)) return typeError(env, "backward", "vars must be an array of handles");
  std::vector<IstNDArrayHandle> out(vars.size());
  if (ist_autograd_backward(static_cast<int>(heads.size()), heads.data(), hasHeadGrads ? headGrads.data() : nullptr,
                            static_cast<int>(vars.size()), vars.data(), info[3].ToBoolean().Value(),
                            info[4].ToBoolean().Value(), info[5].ToBoolean().Value(), out.data()) != 0)
    return fail(env);
  reportMemory(env);
  Napi::Array result = Napi::Array::New(env, out.size());
  for (size_t i = 0; i < out.size(); ++i) result.Set(static_cast<uint32_t>(i), fromHandle(env, out[i]));
  return result;
}

Napi::Value Detach(const Napi::CallbackInfo& info) {
  IstNDArrayHandle out = nullptr;
  int rc = ist_ndarray_detach(toHandle(info[0]), &out);  // sequenced: `out` is read after the call
  return NewView(info.Env(), rc, out);
}

Napi::Value GradOf(const Napi::CallbackInfo& info) {
  IstNDArrayHandle out = nullptr;
  int rc = ist_ndarray_get_grad(toHandle(info[0]), &out);
  return NewView(info.Env(), rc, out);
}

Napi::Value AutogradKind(const Napi::CallbackInfo& info) {
  int kind = 0;
  if (ist_ndarray_autograd_kind(toHandle(info[0]), &kind) != 0) return fail(info.Env());
  return Napi::Number::New(info.Env(), kind);
}

Napi::Value GradState(const Napi::CallbackInfo& info) {
  int fresh = 0;
  if (ist_ndarray_get_grad_state(toHandle(info[0]), &fresh) != 0) return fail(info.Env());
  return Napi::Boolean::New(info.Env(), fresh != 0);
}

Napi::Value SetGradState(const Napi::CallbackInfo& info) {
  if (ist_ndarray_set_grad_state(toHandle(info[0]), info[1].ToBoolean().Value() ? 1 : 0) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

// Custom autograd functions: backward() (on this JS thread) calls the stored JS function.
napi_env gCustomEnv = nullptr;
Napi::FunctionReference gCustomBackward;

char* CallCustomBackward(int id, int numOgrads, const IstNDArrayHandle* ograds, int numIgrads,
                         IstNDArrayHandle* igrads) {
  Napi::Env env(gCustomEnv);
  Napi::HandleScope scope(env);
  Napi::Array og = Napi::Array::New(env, numOgrads);
  for (int i = 0; i < numOgrads; ++i) og.Set(static_cast<uint32_t>(i), fromHandle(env, ograds[i]));
  Napi::Value r = gCustomBackward.Call({Napi::Number::New(env, id), og, Napi::Number::New(env, numIgrads)});
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    return strdup(e.Message().c_str());
  }
  if (!r.IsArray() || r.As<Napi::Array>().Length() != static_cast<uint32_t>(numIgrads))
    return strdup("the custom backward callback must return one handle (or 0) per input");
  Napi::Array a = r.As<Napi::Array>();
  for (int i = 0; i < numIgrads; ++i) igrads[i] = toHandle(a.Get(static_cast<uint32_t>(i)));
  return nullptr;
}

Napi::Value SetCustomBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) return typeError(env, "setCustomBackward", "expects a function");
  gCustomEnv = env;
  gCustomBackward = Napi::Persistent(info[0].As<Napi::Function>());
  if (ist_autograd_set_custom_backward(CallCustomBackward) != 0) return fail(env);
  return env.Undefined();
}

Napi::Value RecordCustom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<IstNDArrayHandle> inputs, outputs;
  if (!toHandles(info[1], &inputs) || !toHandles(info[2], &outputs))
    return typeError(env, "recordCustom", "expects (id, input handles, output handles)");
  if (ist_autograd_record_custom(toInt(info[0]), static_cast<int>(inputs.size()), inputs.data(),
                                 static_cast<int>(outputs.size()), outputs.data()) != 0)
    return fail(env);
  return env.Undefined();
}

Napi::Value TakeReleasedCustom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int> ids(1024);
  int n = 0;
  if (ist_autograd_take_released_custom(static_cast<int>(ids.size()), ids.data(), &n) != 0) return fail(env);
  Napi::Array a = Napi::Array::New(env, n);
  for (int i = 0; i < n; ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, ids[i]));
  return a;
}

// ---- serialization ----

Napi::Value Save(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<IstNDArrayHandle> arrays;
  std::vector<std::string> keys;
  if (!toHandles(info[0], &arrays)) return typeError(env, "save", "handles must be an array");
  bool named = !info[1].IsNull() && !info[1].IsUndefined();
  if (named && (!toStrings(info[1], &keys) || keys.size() != arrays.size()))
    return typeError(env, "save", "keys must be null or one string per array");
  std::vector<const char*> k = cStrings(keys);
  uint8_t* buf = nullptr;
  size_t len = 0;
  if (ist_ndarray_save(static_cast<int>(arrays.size()), arrays.data(), named ? k.data() : nullptr, &buf,
                       &len) != 0)
    return fail(env);
  Napi::Uint8Array out = Napi::Uint8Array::New(env, len);
  if (len) memcpy(out.Data(), buf, len);
  ist_buffer_free(buf);
  return out;
}

Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* ptr = nullptr;
  size_t nbytes = 0;
  if (!viewBytes(env, info[0], &ptr, &nbytes)) return typeError(env, "load", "bytes must be a Uint8Array");
  int numArrays = 0, numKeys = 0;
  IstNDArrayHandle* arrays = nullptr;
  const char** keys = nullptr;
  if (ist_ndarray_load(static_cast<const uint8_t*>(ptr), nbytes, &numArrays, &arrays, &numKeys, &keys) != 0)
    return fail(env);
  reportMemory(env);
  Napi::Object result = Napi::Object::New(env);
  Napi::Array a = Napi::Array::New(env, numArrays);
  for (int i = 0; i < numArrays; ++i) a.Set(i, fromHandle(env, arrays[i]));
  Napi::Array k = Napi::Array::New(env, numKeys);
  for (int i = 0; i < numKeys; ++i) k.Set(i, Napi::String::New(env, keys[i]));
  result.Set("arrays", a);
  result.Set("keys", k);
  return result;
}

/* ---- symbol ---- */

Napi::Value SymbolResult(Napi::Env env, int rc, IstSymbolHandle out) {
  if (rc != 0) return fail(env);
  return fromHandle(env, out);
}

Napi::Value SymbolString(Napi::Env env, int rc, const char* s) {
  if (rc != 0) return fail(env);
  return Napi::String::New(env, s);
}

Napi::Value SymbolVariable(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  IstSymbolHandle out = nullptr;
  int rc = ist_symbol_create_variable(name.c_str(), &out);
  return SymbolResult(info.Env(), rc, out);
}

Napi::Value SymbolAtomic(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string op = info[0].As<Napi::String>().Utf8Value();
  std::vector<std::string> keys, vals;
  if (!toStrings(info[1], &keys) || !toStrings(info[2], &vals) || keys.size() != vals.size())
    return typeError(env, "symbolAtomic", "keys and vals must be string arrays of one length");
  std::vector<const char*> k = cStrings(keys), v = cStrings(vals);
  IstSymbolHandle out = nullptr;
  int rc = ist_symbol_create_atomic(op.c_str(), static_cast<int>(k.size()), k.data(), v.data(), &out);
  return SymbolResult(env, rc, out);
}

Napi::Value SymbolCompose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool hasName = !info[1].IsNull() && !info[1].IsUndefined();
  std::string name = hasName ? info[1].As<Napi::String>().Utf8Value() : std::string();
  std::vector<IstNDArrayHandle> args;
  std::vector<std::string> keys;
  if (!toHandles(info[2], &args)) return typeError(env, "symbolCompose", "args must be an array of handles");
  bool named = !info[3].IsNull() && !info[3].IsUndefined();
  if (named && (!toStrings(info[3], &keys) || keys.size() != args.size()))
    return typeError(env, "symbolCompose", "keys must be null or one string per argument");
  std::vector<const char*> k = cStrings(keys);
  if (ist_symbol_compose(toHandle(info[0]), hasName ? name.c_str() : nullptr, static_cast<int>(args.size()),
                         named ? k.data() : nullptr, args.data()) != 0)
    return fail(env);
  return env.Undefined();
}

Napi::Value SymbolFree(const Napi::CallbackInfo& info) {
  if (ist_symbol_free(toHandle(info[0])) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

Napi::Value SymbolCopy(const Napi::CallbackInfo& info) {
  IstSymbolHandle out = nullptr;
  int rc = ist_symbol_copy(toHandle(info[0]), &out);
  return SymbolResult(info.Env(), rc, out);
}

Napi::Value SymbolGroup(const Napi::CallbackInfo& info) {
  std::vector<IstNDArrayHandle> syms;
  if (!toHandles(info[0], &syms)) return typeError(info.Env(), "symbolGroup", "expects an array of handles");
  IstSymbolHandle out = nullptr;
  int rc = ist_symbol_group(static_cast<int>(syms.size()), syms.data(), &out);
  return SymbolResult(info.Env(), rc, out);
}

Napi::Value SymbolNumOutputs(const Napi::CallbackInfo& info) {
  int n = 0;
  if (ist_symbol_num_outputs(toHandle(info[0]), &n) != 0) return fail(info.Env());
  return Napi::Number::New(info.Env(), n);
}

Napi::Value SymbolGetOutput(const Napi::CallbackInfo& info) {
  IstSymbolHandle out = nullptr;
  int rc = ist_symbol_get_output(toHandle(info[0]), toInt(info[1]), &out);
  return SymbolResult(info.Env(), rc, out);
}

Napi::Value SymbolInternals(const Napi::CallbackInfo& info) {
  IstSymbolHandle out = nullptr;
  int rc = ist_symbol_get_internals(toHandle(info[0]), &out);
  return SymbolResult(info.Env(), rc, out);
}

Napi::Value SymbolChildren(const Napi::CallbackInfo& info) {
  IstSymbolHandle out = nullptr;
  int rc = ist_symbol_get_children(toHandle(info[0]), &out);
  return SymbolResult(info.Env(), rc, out);
}

Napi::Value SymbolCutSubgraph(const Napi::CallbackInfo& info) {
  IstSymbolHandle out = nullptr;
  int rc = ist_symbol_cut_subgraph(toHandle(info[0]), &out);
  return SymbolResult(info.Env(), rc, out);
}

Napi::Value SymbolList(const Napi::CallbackInfo& info) {
  const char* json = nullptr;
  int rc = ist_symbol_list(toHandle(info[0]), toInt(info[1]), &json);
  return SymbolString(info.Env(), rc, json);
}

Napi::Value SymbolGetAttr(const Napi::CallbackInfo& info) {
  std::string key = info[1].As<Napi::String>().Utf8Value();
  const char* out = nullptr;
  int success = 0;
  if (ist_symbol_get_attr(toHandle(info[0]), key.c_str(), &out, &success) != 0) return fail(info.Env());
  if (!success) return info.Env().Null();
  return Napi::String::New(info.Env(), out);
}

Napi::Value SymbolSetAttr(const Napi::CallbackInfo& info) {
  std::string key = info[1].As<Napi::String>().Utf8Value(), value = info[2].As<Napi::String>().Utf8Value();
  if (ist_symbol_set_attr(toHandle(info[0]), key.c_str(), value.c_str()) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

Napi::Value SymbolListAttr(const Napi::CallbackInfo& info) {
  const char* json = nullptr;
  int rc = ist_symbol_list_attr(toHandle(info[0]), info[1].ToBoolean().Value() ? 1 : 0, &json);
  return SymbolString(info.Env(), rc, json);
}

Napi::Value SymbolToJSON(const Napi::CallbackInfo& info) {
  const char* json = nullptr;
  int rc = ist_symbol_to_json(toHandle(info[0]), &json);
  return SymbolString(info.Env(), rc, json);
}

Napi::Value SymbolFromJSON(const Napi::CallbackInfo& info) {
  std::string json = info[0].As<Napi::String>().Utf8Value();
  IstSymbolHandle out = nullptr;
  int rc = ist_symbol_from_json(json.c_str(), &out);
  return SymbolResult(info.Env(), rc, out);
}

/* ---- executor ---- */

// Shapes of inferShape: an array of number arrays, flattened into MXNet's CSR form.
bool toShapeList(const Napi::Value& v, std::vector<int>* indPtr, std::vector<int64_t>* data) {
  if (!v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  indPtr->assign(1, 0);
  for (uint32_t i = 0; i < a.Length(); ++i) {
    std::vector<int64_t> s;
    if (!toShape(a.Get(i), &s)) return false;
    data->insert(data->end(), s.begin(), s.end());
    indPtr->push_back(static_cast<int>(data->size()));
  }
  return true;
}

Napi::Value SymbolInferShape(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool named = !info[1].IsNull() && !info[1].IsUndefined();
  std::vector<std::string> keys;
  std::vector<int> indPtr;
  std::vector<int64_t> data;
  if ((named && !toStrings(info[1], &keys)) || !toShapeList(info[2], &indPtr, &data) ||
      (named && keys.size() + 1 != indPtr.size()))
    return typeError(env, "symbolInferShape", "expects (symbol, keys or null, shapes, partial)");
  std::vector<const char*> k = cStrings(keys);
  const char* json = nullptr;
  int rc = ist_symbol_infer_shape(toHandle(info[0]), static_cast<int>(indPtr.size() - 1), named ? k.data() : nullptr,
                                  indPtr.data(), data.data(), info[3].ToBoolean().Value() ? 1 : 0, &json);
  if (rc != 0) return fail(env);
  return Napi::String::New(env, json);
}

Napi::Value SymbolInferType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool named = !info[1].IsNull() && !info[1].IsUndefined();
  std::vector<std::string> keys;
  std::vector<int64_t> types;
  if ((named && !toStrings(info[1], &keys)) || !toShape(info[2], &types) || (named && keys.size() != types.size()))
    return typeError(env, "symbolInferType", "expects (symbol, keys or null, dtype flags, partial)");
  std::vector<const char*> k = cStrings(keys);
  std::vector<int> t(types.begin(), types.end());
  const char* json = nullptr;
  int rc = ist_symbol_infer_type(toHandle(info[0]), static_cast<int>(t.size()), named ? k.data() : nullptr, t.data(),
                                 info[3].ToBoolean().Value() ? 1 : 0, &json);
  if (rc != 0) return fail(env);
  return Napi::String::New(env, json);
}

// (symbol, devType, devId, args, grads (0 = none), reqs, aux, groupNames, groupDevTypes, groupDevIds, flags)
Napi::Value ExecutorBind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<IstNDArrayHandle> args, grads, aux;
  std::vector<int64_t> reqs, groupTypes, groupIds;
  std::vector<std::string> groups;
  if (!toHandles(info[3], &args) || !toHandles(info[4], &grads) || !toShape(info[5], &reqs) ||
      !toHandles(info[6], &aux) || !toStrings(info[7], &groups) || !toShape(info[8], &groupTypes) ||
      !toShape(info[9], &groupIds) || grads.size() != args.size() || reqs.size() != args.size() ||
      groupTypes.size() != groups.size() || groupIds.size() != groups.size())
    return typeError(env, "executorBind", "expects (symbol, devType, devId, args, grads, reqs, aux, groups, "
                                          "groupDevTypes, groupDevIds, flags) with matching lengths");
  std::vector<int> r(reqs.begin(), reqs.end()), gt(groupTypes.begin(), groupTypes.end()),
      gi(groupIds.begin(), groupIds.end());
  std::vector<const char*> g = cStrings(groups);
  IstExecutorHandle out = nullptr;
  if (ist_executor_bind(toHandle(info[0]), toInt(info[1]), toInt(info[2]), static_cast<int>(args.size()), args.data(),
                        grads.data(), r.data(), static_cast<int>(aux.size()), aux.data(), static_cast<int>(g.size()),
                        g.data(), gt.data(), gi.data(), toInt(info[10]), &out) != 0)
    return fail(env);
  reportMemory(env);
  return fromHandle(env, out);
}

// Monitor callbacks by executor handle; called on the JS thread that runs forward/backward.
struct MonitorHook {
  napi_env env;
  Napi::FunctionReference fn;
};
std::unordered_map<void*, std::unique_ptr<MonitorHook>> gMonitorHooks;

void CallMonitor(const char* name, IstNDArrayHandle value, void* user) {
  MonitorHook* hook = static_cast<MonitorHook*>(user);
  Napi::Env env(hook->env);
  Napi::HandleScope scope(env);
  if (env.IsExceptionPending()) {  // an earlier call threw: forward() rethrows it when it returns
    ist_ndarray_free(value);
    return;
  }
  hook->fn.Call({Napi::String::New(env, name), fromHandle(env, value)});
}

Napi::Value ExecutorSetMonitor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* exec = toHandle(info[0]);
  if (!info[1].IsFunction()) {
    if (ist_executor_set_monitor(exec, nullptr, nullptr, 0) != 0) return fail(env);
    gMonitorHooks.erase(exec);
    return env.Undefined();
  }
  auto hook = std::make_unique<MonitorHook>();
  hook->env = env;
  hook->fn = Napi::Persistent(info[1].As<Napi::Function>());
  if (ist_executor_set_monitor(exec, CallMonitor, hook.get(), info[2].ToBoolean().Value() ? 1 : 0) != 0)
    return fail(env);
  gMonitorHooks[exec] = std::move(hook);
  return env.Undefined();
}

Napi::Value ExecutorFree(const Napi::CallbackInfo& info) {
  void* exec = toHandle(info[0]);
  if (ist_executor_free(exec) != 0) return fail(info.Env());
  gMonitorHooks.erase(exec);
  reportMemory(info.Env());
  return info.Env().Undefined();
}

Napi::Value ExecutorForward(const Napi::CallbackInfo& info) {
  if (ist_executor_forward(toHandle(info[0]), info[1].ToBoolean().Value() ? 1 : 0) != 0) return fail(info.Env());
  return info.Env().Undefined();
}

Napi::Value ExecutorBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<IstNDArrayHandle> grads;
  bool has = !info[1].IsNull() && !info[1].IsUndefined();
  if (has && !toHandles(info[1], &grads)) return typeError(env, "executorBackward", "outGrads must be null or handles");
  if (ist_executor_backward(toHandle(info[0]), static_cast<int>(grads.size()), has ? grads.data() : nullptr,
                            info[2].ToBoolean().Value() ? 1 : 0) != 0)
    return fail(env);
  return env.Undefined();
}

Napi::Value ExecutorOutputs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<IstNDArrayHandle>& out = data(env)->outputs;
  int n = 0;
  if (ist_executor_outputs(toHandle(info[0]), static_cast<int>(out.size()), &n, out.data()) != 0) return fail(env);
  Napi::Array a = Napi::Array::New(env, n);
  for (int i = 0; i < n; ++i) a.Set(static_cast<uint32_t>(i), fromHandle(env, out[i]));
  return a;
}

Napi::Value ExecutorPlanStats(const Napi::CallbackInfo& info) {
  int64_t s[5] = {0, 0, 0, 0, 0};
  if (ist_executor_plan_stats(toHandle(info[0]), s) != 0) return fail(info.Env());
  return toJSArray(info.Env(), s, 5);
}

Napi::Value ExecutorPlanJSON(const Napi::CallbackInfo& info) {
  const char* json = nullptr;
  if (ist_executor_plan_json(toHandle(info[0]), &json) != 0) return fail(info.Env());
  return Napi::String::New(info.Env(), json);
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  const struct { const char* name; Napi::Function::Callback fn; } table[] = {
      {"init", Init},           {"runtimeInfo", RuntimeInfo},   {"numGpus", NumGpus},
      {"waitAll", WaitAll},     {"waitAllAsync", WaitAllAsync}, {"setTrace", SetTrace},
      {"takeTrace", TakeTrace}, {"randomSeed", RandomSeed},     {"memoryInfo", MemoryInfo},
      {"memoryRelease", MemoryRelease},
      {"create", Create},       {"free", Free},                 {"shape", Shape},
      {"dtype", DType},         {"context", Context},           {"copyFrom", CopyFrom},
      {"copyTo", CopyTo},       {"waitToRead", WaitToRead},     {"waitToWrite", WaitToWrite},
      {"readAsync", ReadAsync}, {"reshape", Reshape},           {"slice", Slice},
      {"at", At},               {"sameStorage", SameStorage},
      {"opGet", OpGet},         {"opListJSON", OpListJSON},     {"invoke", Invoke},
      {"setInvokeBuffer", SetInvokeBuffer},
      {"opCallCountsJSON", OpCallCountsJSON},
      {"save", Save},           {"load", Load},
      {"setRecording", SetRecording}, {"setTraining", SetTraining}, {"isRecording", IsRecording},
      {"isTraining", IsTraining},     {"markVariables", MarkVariables}, {"backward", Backward},
      {"detach", Detach},             {"gradOf", GradOf},           {"autogradKind", AutogradKind},
      {"gradState", GradState},       {"setGradState", SetGradState},
      {"setCustomBackward", SetCustomBackward}, {"recordCustom", RecordCustom},
      {"takeReleasedCustom", TakeReleasedCustom},
      /* ---- symbol ---- */
      {"symbolVariable", SymbolVariable}, {"symbolAtomic", SymbolAtomic}, {"symbolCompose", SymbolCompose},
      {"symbolFree", SymbolFree},         {"symbolCopy", SymbolCopy},     {"symbolGroup", SymbolGroup},
      {"symbolNumOutputs", SymbolNumOutputs}, {"symbolGetOutput", SymbolGetOutput},
      {"symbolInternals", SymbolInternals},   {"symbolChildren", SymbolChildren}, {"symbolCutSubgraph", SymbolCutSubgraph},
      {"symbolList", SymbolList},         {"symbolGetAttr", SymbolGetAttr}, {"symbolSetAttr", SymbolSetAttr},
      {"symbolListAttr", SymbolListAttr}, {"symbolToJSON", SymbolToJSON}, {"symbolFromJSON", SymbolFromJSON},
      /* ---- executor ---- */
      {"symbolInferShape", SymbolInferShape}, {"symbolInferType", SymbolInferType},
      {"executorBind", ExecutorBind},         {"executorFree", ExecutorFree},
      {"executorForward", ExecutorForward},   {"executorBackward", ExecutorBackward},
      {"executorOutputs", ExecutorOutputs},   {"executorPlanStats", ExecutorPlanStats},
      {"executorPlanJSON", ExecutorPlanJSON}, {"executorSetMonitor", ExecutorSetMonitor},
  };
  for (const auto& e : table) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  return exports;
}

}  // namespace

NODE_API_MODULE(isotensor, InitModule)
