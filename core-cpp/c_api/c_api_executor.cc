// The C ABI's executor calls: symbol shape/type inference, bind, forward/backward, plan stats, monitor.
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>
#include "base/json.h"
#include "base/error.h"
#include "c_api/c_api_common.h"
#include "graph/executor.h"
#include "graph/infer_graph.h"
#include "graph/symbol.h"
#include "isotensor/c_api.h"

using namespace ist;

namespace {

thread_local std::string tExecString;  // backing store of returned JSON

const Symbol& symOf(IstSymbolHandle h) {
  if (h == nullptr) throwError("symbol", "handle", "null symbol handle");
  return *static_cast<const Symbol*>(h);
}

GraphExecutor& execOf(IstExecutorHandle h) {
  if (h == nullptr) throwError("executor", "handle", "null executor handle");
  return *static_cast<GraphExecutor*>(h);
}


void appendNames(std::string& out, const char* key, const std::vector<std::string>& names) {
  out += std::string("\"") + key + "\":[";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    appendJsonString(out, names[i]);
  }
  out += ']';
}

// MXNet's convention: an unknown dim is 0, an unknown shape null.
void appendShapes(std::string& out, const char* key, const std::vector<Shape>& shapes) {
  out += std::string("\"") + key + "\":[";
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (i) out += ',';
    if (!shapeRankKnown(shapes[i])) {
      out += "null";
      continue;
    }
    out += '[';
    for (size_t d = 0; d < shapes[i].size(); ++d) {
      if (d) out += ',';
      out += std::to_string(shapes[i][d] < 0 ? 0 : shapes[i][d]);
    }
    out += ']';
  }
  out += ']';
}

void appendTypes(std::string& out, const char* key, const std::vector<int>& types) {
  out += std::string("\"") + key + "\":[";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(types[i]);
  }
  out += ']';
}

// The symbol's graph with its inputs located: arguments and auxiliary states by name and position.
struct InferSetup {
  Graph g;
  std::vector<NodePtr> args, aux;
  std::vector<std::string> argNames, auxNames, outNames;
};

// {"arg_names", "arg_<kind>", "out_names", "out_<kind>", "aux_names", "aux_<kind>", "complete"}.
template <typename V, typename AppendValues>
std::string inferResultJSON(const InferSetup& st, const std::string& kind, const V& args, const V& outs, const V& aux,
                            bool complete, AppendValues appendValues) {
  std::string j = "{";
  appendNames(j, "arg_names", st.argNames);
  appendValues(j += ',', ("arg_" + kind).c_str(), args);
  appendNames(j += ',', "out_names", st.outNames);
  appendValues(j += ',', ("out_" + kind).c_str(), outs);
  appendNames(j += ',', "aux_names", st.auxNames);
  appendValues(j += ',', ("aux_" + kind).c_str(), aux);
  return j + ",\"complete\":" + (complete ? "true" : "false") + "}";
}

InferSetup setupInference(const Symbol& s) {
  IST_CHECK(!s.outputs.empty(), "infer_shape", "symbol", "the symbol has no outputs");
  InferSetup st;
  st.g = Graph::build(s.outputs);
  st.args = s.listInputs(Symbol::InputKind::kArguments);
  st.aux = s.listInputs(Symbol::InputKind::kAuxStates);
  for (auto& v : st.args) st.argNames.push_back(v->name);
  for (auto& v : st.aux) st.auxNames.push_back(v->name);
  st.outNames = s.listOutputNames();
  return st;
}

// Entry ids of the inputs given by `keys` (NULL: positional over the arguments).
std::vector<uint32_t> givenEntries(const InferSetup& st, int num, const char** keys, const char* fn) {
  std::vector<uint32_t> r;
  if (keys == nullptr) {
    IST_CHECK(num <= static_cast<int>(st.args.size()), fn, "args",
              "got " << num << " positional values for " << st.args.size() << " argument(s)");
    for (int i = 0; i < num; ++i) r.push_back(st.g.entryId(NodeEntry{st.args[i], 0}));
    return r;
  }
  for (int i = 0; i < num; ++i) {
    const std::string key = keys[i] ? keys[i] : "";
    const Node* found = nullptr;
    for (auto* list : {&st.args, &st.aux})
      for (auto& v : *list)
        if (!found && v->name == key) found = v.get();
    if (!found) {
      std::string names;
      for (auto& n : st.argNames) names += (names.empty() ? "" : ", ") + n;
      for (auto& n : st.auxNames) names += (names.empty() ? "" : ", ") + n;
      throwError(fn, key, "'" + key + "' is not an argument or auxiliary state of the symbol (inputs: " + names + ")");
    }
    r.push_back(st.g.entryBase[st.g.nodeId(found)]);
  }
  return r;
}

template <typename T>
std::vector<T> pick(const std::vector<T>& vals, const Graph& g, const std::vector<NodePtr>& vars) {
  std::vector<T> r;
  for (auto& v : vars) r.push_back(vals[g.entryBase[g.nodeId(v.get())]]);
  return r;
}

template <typename T>
std::vector<T> pickOutputs(const std::vector<T>& vals, const Graph& g) {
  std::vector<T> r;
  for (auto& o : g.outputs) r.push_back(vals[g.entryId(o)]);
  return r;
}

// MXNet's message for an incomplete non-partial inference, listing the undecided arguments.
[[noreturn]] void throwIncomplete(const char* fn, const char* what, const std::vector<std::string>& names,
                                  const std::vector<std::string>& values, const std::string& deferred) {
  if (!deferred.empty()) throw IsotensorError(deferred);
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) list += (list.empty() ? "" : ", ") + names[i] + " " + values[i];
  throwError(fn, "args", std::string("cannot decide the ") + what + " of: " + list +
                             " (0 or ? means unknown); provide them, or use the partial variant");
}

#if defined(__EMSCRIPTEN__)
// The JS side installs Module.istExecutorMonitor(user, name_ptr, handle) (ts/backend/wasm.ts).
EM_JS(void, ist_js_executor_monitor, (void* user, const char* name, IstNDArrayHandle value), {
  if (Module.istExecutorMonitor) Module.istExecutorMonitor(user, name, value);
});
#endif

}  // namespace

extern "C" {

int ist_symbol_infer_shape(IstSymbolHandle sym, int num, const char** keys, const int* ind_ptr,
                           const int64_t* shape_data, int partial, const char** out_json) {
  return capiGuard([&] {
    InferSetup st = setupInference(symOf(sym));
    std::vector<uint32_t> given = givenEntries(st, num, keys, "infer_shape");
    st.g.shapes.assign(st.g.numEntries(), unknownShape());
    for (int i = 0; i < num; ++i) {
      IST_CHECK(ind_ptr[i + 1] >= ind_ptr[i] && ind_ptr[i + 1] - ind_ptr[i] <= 32, "infer_shape",
                keys ? keys[i] : "args", "bad shape rank " << (ind_ptr[i + 1] - ind_ptr[i]));
      Shape s(shape_data + ind_ptr[i], shape_data + ind_ptr[i + 1]);
      for (auto& d : s) {
        IST_CHECK(d >= 0, "infer_shape", keys ? keys[i] : "args", "negative dimension in " << shapeString(s));
        if (d == 0) d = kUnknownDim;  // MXNet: 0 is an unknown dim
      }
      // MXNet 1.x: an empty shape "()" is unknown.
      st.g.shapes[given[i]] = s.empty() ? unknownShape() : s;
    }
    inferShapes(st.g);
    std::vector<Shape> argShapes = pick(st.g.shapes, st.g, st.args), auxShapes = pick(st.g.shapes, st.g, st.aux),
                       outShapes = pickOutputs(st.g.shapes, st.g);
    bool complete = st.g.attr<size_t>("shape_num_unknown") == 0;
    if (!complete && !partial) {
      std::vector<std::string> names, values;
      for (size_t i = 0; i < argShapes.size(); ++i)
        if (!shapeIsKnown(argShapes[i])) {
          names.push_back(st.argNames[i]);
          values.push_back(shapeRankKnown(argShapes[i]) ? shapeString(argShapes[i]) : "?");
        }
      for (size_t i = 0; i < auxShapes.size(); ++i)
        if (!shapeIsKnown(auxShapes[i])) {
          names.push_back(st.auxNames[i]);
          values.push_back(shapeRankKnown(auxShapes[i]) ? shapeString(auxShapes[i]) : "?");
        }
      if (names.empty()) {  // arguments known but some node cannot be inferred
        for (uint32_t nid = 0; nid < st.g.nodes.size() && names.empty(); ++nid)
          for (uint32_t e = st.g.entryBase[nid]; e < st.g.entryBase[nid + 1]; ++e)
            if (!shapeIsKnown(st.g.shapes[e])) {
              names.push_back("node '" + st.g.nodes[nid]->name + "' output " + std::to_string(e - st.g.entryBase[nid]));
              values.push_back("?");
              break;
            }
      }
      throwIncomplete("infer_shape", "shapes", names, values, st.g.attr<std::string>("shape_error"));
    }
    tExecString = inferResultJSON(st, "shapes", argShapes, outShapes, auxShapes, complete, appendShapes);
    *out_json = tExecString.c_str();
  });
}

int ist_symbol_infer_type(IstSymbolHandle sym, int num, const char** keys, const int* dtypes, int partial,
                          const char** out_json) {
  return capiGuard([&] {
    InferSetup st = setupInference(symOf(sym));
    std::vector<uint32_t> given = givenEntries(st, num, keys, "infer_type");
    st.g.dtypes.assign(st.g.numEntries(), -1);
    for (int i = 0; i < num; ++i) {
      IST_CHECK(dtypes[i] == -1 || dtypeIsValid(dtypes[i]), "infer_type", keys ? keys[i] : "args",
                "unknown dtype flag " << dtypes[i]);
      st.g.dtypes[given[i]] = dtypes[i];
    }
    inferTypes(st.g);
    std::vector<int> argTypes = pick(st.g.dtypes, st.g, st.args), auxTypes = pick(st.g.dtypes, st.g, st.aux),
                     outTypes = pickOutputs(st.g.dtypes, st.g);
    bool complete = st.g.attr<size_t>("dtype_num_unknown") == 0;
    if (!complete && !partial) {
      std::vector<std::string> names, values;
      for (size_t i = 0; i < argTypes.size(); ++i)
        if (argTypes[i] < 0) { names.push_back(st.argNames[i]); values.push_back("?"); }
      for (size_t i = 0; i < auxTypes.size(); ++i)
        if (auxTypes[i] < 0) { names.push_back(st.auxNames[i]); values.push_back("?"); }
      if (names.empty()) { names.push_back("an internal node"); values.push_back("?"); }
      throwIncomplete("infer_type", "dtypes", names, values, st.g.attr<std::string>("dtype_error"));
    }
    tExecString = inferResultJSON(st, "types", argTypes, outTypes, auxTypes, complete, appendTypes);
    *out_json = tExecString.c_str();
  });
}

int ist_executor_bind(IstSymbolHandle sym, int dev_type, int dev_id, int num_args, const IstNDArrayHandle* args,
                      const IstNDArrayHandle* arg_grads, const int* grad_reqs, int num_aux,
                      const IstNDArrayHandle* aux, int num_groups, const char** group_names,
                      const int* group_dev_types, const int* group_dev_ids, int flags, IstExecutorHandle* out) {
  return capiGuard([&] {
    IST_CHECK(dev_type == Context::kCPU || dev_type == Context::kGPU, "bind", "ctx", "unknown device type " << dev_type);
    std::vector<NDArray> a, g, x;
    std::vector<OpReq> reqs;
    for (int i = 0; i < num_args; ++i) {
      a.push_back(args[i] ? *static_cast<NDArray*>(args[i]) : NDArray());
      const int r = grad_reqs ? grad_reqs[i] : 0;
      IST_CHECK(r == 0 || r == 1 || r == 3, "bind", "grad_req", "unknown grad_req code " << r << " (0 null, 1 write, 3 add)");
      reqs.push_back(r == 0 ? OpReq::kNull : r == 1 ? OpReq::kWriteTo : OpReq::kAddTo);
      g.push_back(arg_grads && arg_grads[i] ? *static_cast<NDArray*>(arg_grads[i]) : NDArray());
    }
    for (int i = 0; i < num_aux; ++i) x.push_back(aux[i] ? *static_cast<NDArray*>(aux[i]) : NDArray());
    ExecutorOptions opt;
    opt.planMemory = (flags & 1) == 0;
    for (int i = 0; i < num_groups; ++i) opt.group2ctx[group_names[i]] = Context{group_dev_types[i], group_dev_ids[i]};
    *out = new GraphExecutor(symOf(sym), Context{dev_type, dev_id}, a, g, reqs, x, opt);
  });
}

int ist_executor_free(IstExecutorHandle h) {
  return capiGuard([&] { delete static_cast<GraphExecutor*>(h); });
}

int ist_executor_forward(IstExecutorHandle h, int is_train) {
  return capiGuard([&] { execOf(h).forward(is_train != 0); });
}

int ist_executor_backward(IstExecutorHandle h, int num, const IstNDArrayHandle* out_grads, int is_train) {
  return capiGuard([&] {
    std::vector<NDArray> og;
    for (int i = 0; i < num; ++i) og.push_back(out_grads && out_grads[i] ? *static_cast<NDArray*>(out_grads[i]) : NDArray());
    execOf(h).backward(og, is_train != 0);
  });
}

int ist_executor_outputs(IstExecutorHandle h, int capacity, int* num, IstNDArrayHandle* out) {
  return capiGuard([&] {
    const auto& o = execOf(h).outputs();
    IST_CHECK(static_cast<int>(o.size()) <= capacity, "executor", "outputs",
              o.size() << " outputs do not fit the capacity " << capacity);
    for (size_t i = 0; i < o.size(); ++i) out[i] = new NDArray(o[i]);
    *num = static_cast<int>(o.size());
  });
}

int ist_executor_plan_stats(IstExecutorHandle h, int64_t* out) {
  return capiGuard([&] {
    const MemoryPlan& p = execOf(h).memoryPlan();
    out[0] = static_cast<int64_t>(p.plannedBytes);
    out[1] = static_cast<int64_t>(p.naiveBytes);
    out[2] = static_cast<int64_t>(p.numInplace);
    out[3] = static_cast<int64_t>(p.numReused);
    out[4] = static_cast<int64_t>(p.slotElems.size());
  });
}

int ist_executor_plan_json(IstExecutorHandle h, const char** out_json) {
  return capiGuard([&] {
    tExecString = execOf(h).planJSON();
    *out_json = tExecString.c_str();
  });
}

int ist_executor_set_monitor(IstExecutorHandle h, IstExecutorMonitorFn fn, void* user, int monitor_all) {
  return capiGuard([&] {
    GraphExecutor& ex = execOf(h);
    MonitorFn m;
#if defined(__EMSCRIPTEN__)
    if (fn == nullptr && user != nullptr)
      m = [user](const std::string& name, const NDArray& v) { ist_js_executor_monitor(user, name.c_str(), new NDArray(v)); };
#endif
    if (fn != nullptr) m = [fn, user](const std::string& name, const NDArray& v) { fn(name.c_str(), new NDArray(v), user); };
    ex.setMonitor(std::move(m), monitor_all != 0);
  });
}

}  // extern "C"
