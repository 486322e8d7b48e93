// The operator registry: lookup by name or alias, and the JSON dump that drives code generation.
#include "base/json.h"
#include "op/registry.h"
#include <algorithm>
#include <tuple>
#include <unordered_map>
#include "base/error.h"
#include <cstdlib>
#include <map>
#include <mutex>
#include "base/gpu_info.h"
#include "graph/node.h"
#include "op/device_compute.h"
#include "op/host_staging.h"

namespace ist {

namespace {
struct RegistryState {
  std::vector<std::unique_ptr<Op>> ops;
  std::unordered_map<std::string, Op*> byName;  // names and aliases
  std::vector<std::tuple<std::string, int, FCompute>> pendingComputes;  // for ops not registered yet
  std::vector<std::pair<std::string, FGradient>> pendingGradients;
};
// Function-local static: registrations run from static initialisers of many files.
RegistryState& state() {
  static RegistryState* s = new RegistryState();  // never destroyed: ops outlive static teardown
  return *s;
}

std::string jsonStringList(const std::vector<std::string>& v) {
  std::string r = "[";
  for (size_t i = 0; i < v.size(); ++i) r += (i ? "," : "") + jsonString(v[i]);
  return r + "]";
}
}  // namespace

Op& OpRegistry::add(const std::string& name) {
  auto& st = state();
  if (st.byName.count(name)) {
    // Two registrations of one name is a programming error caught at start-up.
    fprintf(stderr, "isotensor: operator %s registered twice\n", name.c_str());
    abort();
  }
  st.ops.push_back(std::make_unique<Op>(name));
  Op* op = st.ops.back().get();
  st.byName[name] = op;
  for (auto& [opName, dev, fn] : st.pendingComputes)
    if (opName == name) op->computeFns[dev] = fn;
  for (auto& [opName, fn] : st.pendingGradients)
    if (opName == name) op->gradientFn = fn;
  return *op;
}

void OpRegistry::setGradient(const std::string& name, FGradient fn) {
  auto& st = state();
  auto it = st.byName.find(name);
  if (it != st.byName.end()) {
    it->second->gradientFn = std::move(fn);
  } else {
    st.pendingGradients.emplace_back(name, std::move(fn));
  }
}

Op& Op::zeroGradient() {
  return gradient([](const NodePtr& n, const std::vector<NodeEntry>&) {
    return std::vector<NodeEntry>(n->inputs.size());
  });
}

void OpRegistry::addCompute(const std::string& name, int devType, FCompute fn) {
  auto& st = state();
  auto it = st.byName.find(name);
  if (it != st.byName.end()) {
    it->second->computeFns[devType] = std::move(fn);
  } else {
    st.pendingComputes.emplace_back(name, devType, std::move(fn));
  }
}

Op& Op::alias(const std::string& a) {
  auto& st = state();
  if (st.byName.count(a)) {
    fprintf(stderr, "isotensor: alias %s of %s is already taken\n", a.c_str(), name.c_str());
    abort();
  }
  aliases.push_back(a);
  st.byName[a] = this;
  return *this;
}

const Op* OpRegistry::find(const std::string& name) {
  auto& st = state();
  auto it = st.byName.find(name);
  return it == st.byName.end() ? nullptr : it->second;
}

const Op& OpRegistry::get(const std::string& name) {
  const Op* op = find(name);
  if (!op) throwError(name, "", "unknown operator '" + name + "'");
  return *op;
}

std::vector<const Op*> OpRegistry::list() {
  std::vector<const Op*> r;
  for (auto& op : state().ops) r.push_back(op.get());
  std::sort(r.begin(), r.end(), [](const Op* a, const Op* b) { return a->name < b->name; });
  return r;
}

std::string OpRegistry::callCountsJSON() {
  std::string r = "{";
  bool firstOp = true;
  for (auto& op : state().ops) {
    std::string counts;
    for (int d = 0; d < 16; ++d) {
      uint64_t n = op->callsByDType[d].load(std::memory_order_relaxed);
      if (n == 0) continue;
      counts += (counts.empty() ? "" : ",") + jsonString(dtypeIsValid(d) ? dtypeName(static_cast<DType>(d)) : "other") +
                ":" + std::to_string(n);
    }
    if (counts.empty()) continue;
    r += (firstOp ? "" : ",") + jsonString(op->name) + ":{" + counts + "}";
    firstOp = false;
  }
  return r + "}";
}

std::string OpRegistry::listJSON() {
  std::string r = "[";
  bool first = true;
  for (const Op* op : list()) {
    r += first ? "" : ",";
    first = false;
    r += "{\"name\":" + jsonString(op->name);
    r += ",\"aliases\":" + jsonStringList(op->aliases);
    r += ",\"doc\":" + jsonString(op->doc);
    r += ",\"inputs\":" + jsonStringList(op->inputNames);
    if (op->variadicInput.empty()) {
      r += ",\"variadic\":null";
    } else {
      r += ",\"variadic\":{\"input\":" + jsonString(op->variadicInput) +
           ",\"count\":" + jsonString(op->variadicCount) + "}";
    }
    r += ",\"optionalInputs\":" + jsonStringList(op->optionalInputNames);
    r += ",\"outputs\":" + jsonStringList(op->outputNames.empty() ? std::vector<std::string>{"output"}
                                                                  : op->outputNames);
    r += ",\"dynamicOutputs\":" + std::string(op->numOutputsFn ? "true" : "false");
    r += ",\"hiddenOutputs\":" + std::string(op->numVisibleOutputsFn ? "true" : "false");
    int visible = -1;  // with default params; -1 when they do not parse (required params)
    try {
      visible = op->numVisibleOutputs(op->parseAttrs({}));
    } catch (const std::exception&) {
    }
    r += ",\"visibleOutputs\":" + std::to_string(visible);
    r += ",\"params\":[";
    const auto& fields = op->schema->fields();
    for (size_t i = 0; i < fields.size(); ++i) {
      const auto& f = fields[i];
      r += (i ? "," : "") + std::string("{\"name\":") + jsonString(f.name) + ",\"type\":" + jsonString(f.type) +
           ",\"default\":" + (f.required ? "null" : jsonString(f.defaultValue)) +
           ",\"required\":" + (f.required ? "true" : "false") + ",\"doc\":" + jsonString(f.doc) + "}";
    }
    r += "],\"creation\":" + std::string(op->creation ? "true" : "false");
    r += ",\"random\":" + std::string(op->random ? "true" : "false");
    r += ",\"differentiable\":" + std::string(op->gradientFn ? "true" : "false");
    r += ",\"devices\":[";
    bool firstDev = true;
    for (auto& kv : op->computeFns) {
      if (kv.first != Context::kCPU && kv.first != Context::kGPU) continue;
      r += std::string(firstDev ? "" : ",") + (kv.first == Context::kGPU ? "\"gpu\"" : "\"cpu\"");
      firstDev = false;
    }
    r += "],\"gpuPath\":" + jsonString(gpuPath(*op));
    r += ",\"gpuKernelOnCpu\":" + std::string(op->computeFns.count(kGpuKernelOnCpu) ? "true" : "false");
    r += "}";
  }
  return r + "]";
}

int Op::numInputs(const NodeAttrs& attrs) const {
  if (variadicInput.empty()) return static_cast<int>(inputNames.size());
  auto it = attrs.dict.find(variadicCount);
  IST_CHECK(it != attrs.dict.end(), name, variadicCount, "required parameter is missing");
  return static_cast<int>(inputNames.size()) +
         static_cast<int>(paramparse::parseInt(it->second, name.c_str(), variadicCount.c_str()));
}

int Op::numOutputs(const NodeAttrs& attrs) const {
  if (numOutputsFn) return numOutputsFn(attrs);
  return outputNames.empty() ? 1 : static_cast<int>(outputNames.size());
}

int Op::numVisibleOutputs(const NodeAttrs& attrs) const {
  return numVisibleOutputsFn ? numVisibleOutputsFn(attrs) : numOutputs(attrs);
}

NodeAttrs Op::parseAttrs(const AttrDict& dict) const {
  NodeAttrs a;
  a.op = this;
  a.dict = dict;
  a.parsed = schema->parse(dict, name.c_str());
  return a;
}

const FCompute* Op::computeFor(int devType) const {
  if (devType == Context::kCPU && gpuKernelsOnCpu()) {
    auto twin = computeFns.find(kGpuKernelOnCpu);
    if (twin != computeFns.end()) return &twin->second;
  }
  auto it = computeFns.find(devType);
  if (it != computeFns.end()) return &it->second;
  if (devType != Context::kGPU || !builtWithCuda()) return nullptr;
  auto cpuIt = computeFns.find(Context::kCPU);
  if (cpuIt == computeFns.end()) return nullptr;
  // Built once per op; map nodes never move, so the pointer stays valid.
  static std::mutex mu;
  static std::map<const Op*, FCompute> staged;
  std::lock_guard<std::mutex> lk(mu);
  auto st = staged.find(this);
  if (st == staged.end()) st = staged.emplace(this, makeHostStagedCompute(*this, cpuIt->second)).first;
  return &st->second;
}

bool gpuKernelsOnCpu() {
  static const bool on = [] {
    const char* v = std::getenv("ISOTENSOR_GPU_KERNELS_ON_CPU");
    return v && *v && std::string(v) != "0";
  }();
  return on;
}

void attachDeviceComputes(const std::string& name, FCompute gpuFn, FCompute cpuTwin) {
  OpRegistry::addCompute(name, Context::kGPU, std::move(gpuFn));
  OpRegistry::addCompute(name, kGpuKernelOnCpu, std::move(cpuTwin));
}

const char* gpuPath(const Op& op) {
  if (!builtWithCuda()) return "none";
  if (op.computeFns.count(Context::kGPU)) return "kernel";
  return op.computeFns.count(Context::kCPU) ? "staged" : "none";
}

void inferSameShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = attrs.op ? attrs.op->name.c_str() : "";
  const Shape* known = nullptr;
  for (auto& s : in) if (shapeIsKnown(s)) { known = &s; break; }
  for (auto& s : out) if (!known && shapeIsKnown(s)) known = &s;
  if (!known) return;
  const Shape ref = *known;
  auto unify = [&](Shape& s, const char* what, size_t i) {
    if (!shapeIsKnown(s)) { s = ref; return; }
    IST_CHECK(s == ref, op, (attrs.op && i < attrs.op->inputNames.size() && what[0] == 'i')
                                ? attrs.op->inputNames[i] : std::string(what),
              "shape " << shapeString(s) << " does not match " << shapeString(ref));
  };
  for (size_t i = 0; i < in.size(); ++i) unify(in[i], "input", i);
  for (size_t i = 0; i < out.size(); ++i) unify(out[i], "output", i);
}

void inferSameType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const char* op = attrs.op ? attrs.op->name.c_str() : "";
  int t = -1;
  for (int v : in) if (v >= 0) { t = v; break; }
  for (int v : out) if (t < 0 && v >= 0) t = v;
  if (t < 0) return;
  auto unify = [&](int& v, const std::string& what) {
    if (v < 0) { v = t; return; }
    IST_CHECK(v == t, op, what, "dtype " << dtypeName(static_cast<DType>(v)) << " does not match "
                                         << dtypeName(static_cast<DType>(t)));
  };
  for (size_t i = 0; i < in.size(); ++i)
    unify(in[i], attrs.op && i < attrs.op->inputNames.size() ? attrs.op->inputNames[i] : "input");
  for (auto& v : out) unify(v, "output");
}

}  // namespace ist
