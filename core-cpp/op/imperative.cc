// Imperative execution of registered ops: attribute parsing, inference, allocation, engine push.
#include "op/imperative.h"
#include <map>
#include <memory>
#include <mutex>
#include "autograd/autograd.h"
#include "base/error.h"
#include "base/nested_scratch.h"
#include "op/data_shape.h"

namespace ist {

namespace {

struct RandomStream { uint64_t key = 0; uint64_t counter = 0; };
std::mutex gRandomMutex;
std::map<std::pair<int, int>, RandomStream>& randomStreams() {
  static auto* m = new std::map<std::pair<int, int>, RandomStream>();
  return *m;
}
thread_local bool gTraining = false;
// Ops whose arrays hold at most this many elements in all are pushed as small (Engine::pushSmall):
// their kernels take about as long as a hand-off to a worker thread.
constexpr int64_t kSmallOpElements = 4096;

std::string describeInputs(const std::vector<NDArray>& in) {
  std::string r;
  for (size_t i = 0; i < in.size(); ++i) {
    r += (i ? ", " : "") + shapeString(in[i].shape()) + " " + dtypeName(in[i].dtype());
  }
  return r;
}

// Prefixes the op name (and input shapes) to errors thrown inside a kernel.
[[noreturn]] void rethrowWithContext(const std::string& opName, const std::string& inputs,
                                     const std::exception& e) {
  std::string msg = e.what();
  if (msg.compare(0, opName.size() + 1, opName + ":") != 0) msg = opName + ": " + msg;
  if (!inputs.empty()) msg += " [inputs: " + inputs + "]";
  throw IsotensorError(msg);
}

Context pickContext(const Op& op, const std::vector<NDArray>& inputs, const AttrDict& attrs,
                    const std::vector<NDArray>& outputs) {
  auto it = attrs.find("ctx");
  if (op.creation && it != attrs.end() && !it->second.empty()) return Context::parse(it->second, op.name.c_str());
  if (!inputs.empty()) {
    Context c = inputs[0].ctx();
    for (size_t i = 1; i < inputs.size(); ++i) {
      const std::string argName = i < op.inputNames.size() ? op.inputNames[i] : op.variadicInput;
      IST_CHECK(inputs[i].ctx() == c, op.name, argName,
                "array is on " << inputs[i].ctx().str() << " but " << (op.inputNames.empty() ? op.variadicInput
                                                                                          : op.inputNames[0])
                               << " is on " << c.str() << "; copy it first with copyto()");
    }
    return c;
  }
  if (!outputs.empty()) return outputs[0].ctx();
  return Context::cpu();
}

// invokeOp's working vectors, one set per nesting depth (NestedScratch), so a call allocates none.
struct InvokeScratch {
  std::vector<Shape> inShapes, outShapes;
  std::vector<int> inTypes, outTypes;
  std::vector<VarHandle> reads, writes;
};
// The TBlobs an op's kernel gets, likewise kept per thread and depth (the op may run on a worker).
struct RunBlobs {
  std::vector<TBlob> in, out;
};

// "data, weight, bias..." for input-count errors.
std::string inputNameList(const Op& op) {
  std::string names;
  for (auto& n : op.inputNames) names += (names.empty() ? "" : ", ") + n;
  if (!op.variadicInput.empty()) names += (names.empty() ? "" : ", ") + op.variadicInput + "...";
  return names;
}

}  // namespace

bool isTraining() { return gTraining; }
void setTraining(bool on) { gTraining = on; }

void seedRandom(Context ctx, uint64_t seed) {
  std::lock_guard<std::mutex> lk(gRandomMutex);
  randomStreams()[{ctx.devType, ctx.devId}] = RandomStream{seed, 0};
}

void reserveRandom(Context ctx, uint64_t count, const AttrDict& attrs, uint64_t* key, uint64_t* counter) {
  auto seed = attrs.find("seed");
  if (seed != attrs.end() && !seed->second.empty() && seed->second[0] != '-') {
    *key = std::stoull(seed->second);
    *counter = 0;
    return;
  }
  std::lock_guard<std::mutex> lk(gRandomMutex);
  RandomStream& s = randomStreams()[{ctx.devType, ctx.devId}];
  *key = s.key;
  *counter = s.counter;
  s.counter += count;
}

void copyFromTo(const NDArray& src, const NDArray& dst) {
  IST_CHECK(src.shape() == dst.shape(), "copyto", "other",
            "shapes " << shapeString(src.shape()) << " and " << shapeString(dst.shape()) << " differ");
  IST_CHECK(src.dtype() == dst.dtype(), "copyto", "other",
            "dtypes " << dtypeName(src.dtype()) << " and " << dtypeName(dst.dtype())
                      << " differ; use astype() to convert");
  if (src.sameStorage(dst) && src.dataPtr() == dst.dataPtr()) return;
  Context runCtx = dst.ctx().isGPU() ? dst.ctx() : src.ctx();
  TBlob s = src.blob(), d = dst.blob();
  std::vector<VarHandle> reads;
  if (!src.sameStorage(dst)) reads.push_back(src.var());
  NDArray keepSrc = src, keepDst = dst;
  Engine::get()->pushSync([s, d, keepSrc, keepDst](RunContext rc) { copyBytes(d, s, rc.stream); }, runCtx, reads,
                          {dst.var()}, "copyto");
}

std::vector<NDArray> invokeOp(const Op& op, const std::vector<NDArray>& inputs, const AttrDict& attrsIn,
                              const std::vector<NDArray>& givenOutputs, const std::vector<bool>& unused) {
  for (size_t i = 0; i < inputs.size(); ++i)
    IST_CHECK(!inputs[i].isNone(), op.name, i < op.inputNames.size() ? op.inputNames[i] : "data",
              "input " << i << " is an empty (none) array");
  if (op.name == "_copyto") {  // the one op whose input and output live on different devices
    IST_CHECK(inputs.size() == 1 && givenOutputs.size() == 1, "_copyto", "out",
              "needs one input and one output array");
    op.countCall(static_cast<int>(inputs[0].dtype()));
    copyFromTo(inputs[0], givenOutputs[0]);
    std::vector<NDArray> result = givenOutputs;
    if (autograd::shouldRecord(inputs)) autograd::recordOp(op.parseAttrs(attrsIn), inputs, result);
    return result;
  }

  // The attributes are copied only when this call adds or removes one (most calls do neither).
  AttrDict edited;
  const AttrDict* dict = &attrsIn;
  if (!op.variadicInput.empty() && !attrsIn.count(op.variadicCount)) {
    IST_CHECK(inputs.size() >= op.inputNames.size(), op.name, "inputs",
              "expected at least " << op.inputNames.size() << " input(s) (" << inputNameList(op) << "), got "
                                   << inputs.size());
    edited = attrsIn;
    edited[op.variadicCount] = std::to_string(inputs.size() - op.inputNames.size());
    dict = &edited;
  }
  Context ctx = pickContext(op, inputs, *dict, givenOutputs);
  // ctx is the runtime's placement attribute; ops that don't declare it must not see it.
  if (op.creation && dict->count("ctx")) {
    bool declaresCtx = false;
    for (auto& f : op.schema->fields()) declaresCtx |= f.name == "ctx";
    if (!declaresCtx) {
      if (dict != &edited) edited = attrsIn;
      edited.erase("ctx");
      dict = &edited;
    }
  }
  NodeAttrs attrs = op.parseAttrs(*dict);

  int nIn = op.numInputs(attrs);
  if (static_cast<int>(inputs.size()) != nIn) {
    throwError(op.name, "inputs", "expected " + std::to_string(nIn) + " input(s) (" + inputNameList(op) + "), got " +
                                      std::to_string(inputs.size()));
  }
  int nOut = op.numOutputs(attrs);

  NestedScratch<InvokeScratch> frame;
  InvokeScratch& scratch = *frame;
  std::vector<Shape>& inShapes = scratch.inShapes;
  std::vector<Shape>& outShapes = scratch.outShapes;
  std::vector<int>& inTypes = scratch.inTypes;
  std::vector<int>& outTypes = scratch.outTypes;
  outShapes.assign(nOut, unknownShape());
  outTypes.assign(nOut, -1);
  inShapes.resize(inputs.size());
  inTypes.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    inShapes[i] = inputs[i].shape();
    inTypes[i] = static_cast<int>(inputs[i].dtype());
  }
  if (op.inferShapeFn) op.inferShapeFn(attrs, inShapes, outShapes);
  if (op.inferTypeFn) op.inferTypeFn(attrs, inTypes, outTypes);
  // Shapes that depend on input values (op/data_shape.h): the hook reads the inputs it needs on the
  // host, waiting for their writers. Looked up only when the static rule left an output unknown.
  bool allKnown = true;
  for (int i = 0; i < nOut; ++i) allKnown &= shapeIsKnown(outShapes[i]);
  if (!allKnown) {
    if (const FDataShape* dataShape = findDataShape(op.name)) (*dataShape)(attrs, inputs, outShapes);
  }
  for (int i = 0; i < nOut; ++i) {
    IST_CHECK(shapeIsKnown(outShapes[i]), op.name, "output",
              "cannot infer the shape of output " << i << " from inputs " << shapesString(inShapes));
    IST_CHECK(outTypes[i] >= 0 && dtypeIsValid(outTypes[i]), op.name, "output",
              "cannot infer the dtype of output " << i);
  }

  op.countCall(!inTypes.empty() ? inTypes[0] : outTypes.empty() ? -1 : outTypes[0]);
  const FCompute* fn = op.computeFor(ctx.devType);
  IST_CHECK(fn != nullptr, op.name, "ctx", "operator has no implementation for " << ctx.str());

  std::vector<NDArray> outputs;
  outputs.reserve(nOut);
  std::vector<std::pair<NDArray, NDArray>> copyBack;  // (temporary, caller's array) for unsafe aliasing
  if (givenOutputs.empty()) {
    for (int i = 0; i < nOut; ++i) outputs.emplace_back(outShapes[i], static_cast<DType>(outTypes[i]), ctx);
  } else {
    // `out` may name just the visible outputs; hidden ones (kept for the gradient) are allocated.
    const int nGiven = static_cast<int>(givenOutputs.size());
    const int nVisible = op.numVisibleOutputs(attrs);
    IST_CHECK(nGiven == nOut || nGiven == nVisible, op.name, "out",
              "expected " << nVisible << " output array(s), got " << nGiven);
    for (int i = 0; i < nOut; ++i) {
      if (i >= nGiven || givenOutputs[i].isNone()) {
        outputs.emplace_back(outShapes[i], static_cast<DType>(outTypes[i]), ctx);
        continue;
      }
      const NDArray& o = givenOutputs[i];
      IST_CHECK(o.shape() == outShapes[i] && static_cast<int>(o.dtype()) == outTypes[i], op.name, "out",
                "expected shape " << shapeString(outShapes[i]) << " " << dtypeName(static_cast<DType>(outTypes[i]))
                                  << ", got " << shapeString(o.shape()) << " " << dtypeName(o.dtype()));
      IST_CHECK(o.ctx() == ctx, op.name, "out", "output is on " << o.ctx().str() << ", inputs on " << ctx.str());
      // Writing over an input is only safe where the op allows it (elementwise in-place pairs,
      // or an identical view); otherwise compute into a temporary and copy.
      bool unsafe = false;
      for (size_t j = 0; j < inputs.size(); ++j) {
        if (!inputs[j].sameStorage(o)) continue;
        bool allowed = false;
        for (auto& p : op.inplacePairs)
          allowed |= p.first == static_cast<int>(j) && p.second == i && inputs[j].dataPtr() == o.dataPtr() &&
                     inputs[j].shape() == o.shape();
        unsafe |= !allowed;
      }
      if (unsafe) {
        NDArray tmp(o.shape(), o.dtype(), ctx);
        outputs.push_back(tmp);
        copyBack.emplace_back(tmp, o);
      } else {
        outputs.push_back(o);
      }
    }
  }

  std::vector<OpReq> req(nOut, OpReq::kWriteTo);
  for (int i = 0; i < nOut; ++i) {
    if (i < static_cast<int>(unused.size()) && unused[i]) {
      req[i] = OpReq::kNull;
      continue;
    }
    for (auto& a : inputs)
      if (a.sameStorage(outputs[i])) req[i] = OpReq::kWriteInplace;
  }

  OpContext octx;
  octx.isTrain = gTraining;
  if (op.random) {
    uint64_t count = 0;
    for (auto& o : outputs) count = std::max<uint64_t>(count, static_cast<uint64_t>(o.size()));
    for (auto& a : inputs) count = std::max<uint64_t>(count, static_cast<uint64_t>(a.size()));
    reserveRandom(ctx, count, *dict, &octx.rngKey, &octx.rngCounter);
  }

  std::vector<VarHandle>& reads = scratch.reads;
  std::vector<VarHandle>& writes = scratch.writes;
  reads.clear();
  writes.clear();
  for (auto& o : outputs) writes.push_back(o.var());
  for (int m : op.mutableInputs)
    if (m < static_cast<int>(inputs.size())) writes.push_back(inputs[m].var());
  for (size_t j = 0; j < inputs.size(); ++j) {
    bool written = false;
    for (auto& w : writes) written |= inputs[j].var() == w;
    if (!written) reads.push_back(inputs[j].var());
  }
  // What the engine runs, in one shared block: the closure holds only the pointer, which fits in
  // std::function's own storage (a capture of each vector would allocate and copy every one).
  struct Job {
    NodeAttrs attrs;
    OpContext octx;
    std::vector<NDArray> inputs, outputs;
    std::vector<OpReq> req;
    const FCompute* compute;
    const Op* op;
  };
  auto job = std::make_shared<Job>(Job{std::move(attrs), octx, inputs, std::move(outputs), std::move(req), fn, &op});
  SyncFn run = [job](RunContext rc) {
    NestedScratch<RunBlobs> blobs;  // the kernel may run another op here (a deeper set)
    std::vector<TBlob>& inBlobs = blobs->in;
    std::vector<TBlob>& outBlobs = blobs->out;
    inBlobs.clear();
    outBlobs.clear();
    for (auto& a : job->inputs) inBlobs.push_back(a.blob());
    for (auto& o : job->outputs) outBlobs.push_back(o.blob());
    OpContext c = job->octx;
    c.run = rc;
    try {
      (*job->compute)(job->attrs, c, inBlobs, job->req, outBlobs);
    } catch (const std::exception& e) {
      rethrowWithContext(job->op->name, describeInputs(job->inputs), e);
    }
  };
  int64_t elements = 0;
  for (auto& a : job->inputs) elements += a.size();
  for (auto& o : job->outputs) elements += o.size();
  if (elements <= kSmallOpElements) Engine::get()->pushSmall(std::move(run), ctx, reads, writes, op.name.c_str());
  else Engine::get()->pushSync(std::move(run), ctx, reads, writes, op.name.c_str());

  for (auto& p : copyBack) copyFromTo(p.first, p.second);
  std::vector<NDArray> result = job->outputs;
  for (size_t i = 0; i < givenOutputs.size(); ++i)
    if (!givenOutputs[i].isNone()) result[i] = givenOutputs[i];
  if (autograd::shouldRecord(inputs)) autograd::recordOp(job->attrs, inputs, result);
  return result;
}

}  // namespace ist
