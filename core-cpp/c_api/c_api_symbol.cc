// The C ABI's symbol calls: handles to ist::Symbol, lists and attribute maps returned as JSON strings.
#include <cstdio>
#include <string>
#include <vector>
#include "base/json.h"
#include "base/error.h"
#include "c_api/c_api_common.h"
#include "graph/control_flow.h"
#include "graph/symbol.h"
#include "graph/symbol_json.h"
#include "isotensor/c_api.h"

using namespace ist;

namespace {

thread_local std::string tSymbolString;  // backing store of returned strings

Symbol& sym(IstSymbolHandle h) {
  if (h == nullptr) throwError("symbol", "handle", "null symbol handle");
  return *static_cast<Symbol*>(h);
}


const char* jsonList(const std::vector<std::string>& v) {
  tSymbolString = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) tSymbolString += ',';
    appendJsonString(tSymbolString, v[i]);
  }
  tSymbolString += ']';
  return tSymbolString.c_str();
}

IstSymbolHandle newHandle(Symbol s) { return new Symbol(std::move(s)); }

}  // namespace

extern "C" {

int ist_symbol_create_variable(const char* name, IstSymbolHandle* out) {
  return capiGuard([&] {
    IST_CHECK(name != nullptr, "Variable", "name", "a variable needs a name");
    *out = newHandle(Symbol::variable(name));
  });
}

int ist_symbol_create_atomic(const char* op, int num_params, const char** keys, const char** vals,
                             IstSymbolHandle* out) {
  return capiGuard([&] {
    AttrDict attrs;
    for (int i = 0; i < num_params; ++i) attrs[keys[i]] = vals[i];
    *out = newHandle(Symbol::atomic(op, attrs));
  });
}

int ist_symbol_compose(IstSymbolHandle s, const char* name, int num_args, const char** keys,
                       const IstSymbolHandle* args) {
  return capiGuard([&] {
    std::vector<const Symbol*> positional;
    std::vector<std::pair<std::string, const Symbol*>> named;
    for (int i = 0; i < num_args; ++i) {
      if (keys && keys[i] && keys[i][0]) {
        named.emplace_back(keys[i], &sym(args[i]));
      } else {
        IST_CHECK(named.empty(), "compose", "args", "positional arguments must come before named ones");
        positional.push_back(&sym(args[i]));
      }
    }
    sym(s).compose(positional, named, name ? name : "");
  });
}

int ist_symbol_free(IstSymbolHandle s) {
  return capiGuard([&] { delete static_cast<Symbol*>(s); });
}

int ist_symbol_copy(IstSymbolHandle s, IstSymbolHandle* out) {
  return capiGuard([&] { *out = newHandle(sym(s).copy()); });
}

int ist_symbol_group(int num, const IstSymbolHandle* syms, IstSymbolHandle* out) {
  return capiGuard([&] {
    IST_CHECK(num > 0, "Group", "symbols", "expected a non-empty list of symbols");
    std::vector<const Symbol*> v;
    for (int i = 0; i < num; ++i) v.push_back(&sym(syms[i]));
    *out = newHandle(Symbol::group(v));
  });
}

int ist_symbol_num_outputs(IstSymbolHandle s, int* out) {
  return capiGuard([&] { *out = static_cast<int>(sym(s).outputs.size()); });
}

int ist_symbol_get_output(IstSymbolHandle s, int index, IstSymbolHandle* out) {
  return capiGuard([&] {
    IST_CHECK(index >= 0, "symbol", "index", "negative output index " << index);
    *out = newHandle(sym(s).output(static_cast<size_t>(index)));
  });
}

int ist_symbol_get_internals(IstSymbolHandle s, IstSymbolHandle* out) {
  return capiGuard([&] { *out = newHandle(sym(s).internals()); });
}

int ist_symbol_get_children(IstSymbolHandle s, IstSymbolHandle* out) {
  return capiGuard([&] { *out = newHandle(sym(s).children()); });
}

int ist_symbol_cut_subgraph(IstSymbolHandle s, IstSymbolHandle* out) {
  return capiGuard([&] { *out = newHandle(cutSubgraph(sym(s))); });
}

int ist_symbol_list(IstSymbolHandle s, int which, const char** out_json) {
  return capiGuard([&] {
    const Symbol& x = sym(s);
    switch (which) {
      case 0: *out_json = jsonList(x.listInputNames(Symbol::InputKind::kArguments)); break;
      case 1: *out_json = jsonList(x.listOutputNames()); break;
      case 2: *out_json = jsonList(x.listInputNames(Symbol::InputKind::kAuxStates)); break;
      case 3: *out_json = jsonList(x.listInputNames(Symbol::InputKind::kAll)); break;
      default: throwError("symbol", "which", "expected 0 (arguments), 1 (outputs), 2 (aux states) or 3 (inputs)");
    }
  });
}

int ist_symbol_get_name(IstSymbolHandle s, const char** out, int* success) {
  return ist_symbol_get_attr(s, "name", out, success);
}

int ist_symbol_get_attr(IstSymbolHandle s, const char* key, const char** out, int* success) {
  return capiGuard([&] {
    *success = sym(s).getAttr(key, &tSymbolString) ? 1 : 0;
    *out = *success ? tSymbolString.c_str() : nullptr;
  });
}

int ist_symbol_set_attr(IstSymbolHandle s, const char* key, const char* value) {
  return capiGuard([&] { sym(s).setAttr(key, value); });
}

int ist_symbol_list_attr(IstSymbolHandle s, int recursive, const char** out_json) {
  return capiGuard([&] {
    std::string r = "{";
    if (!recursive) {
      bool first = true;
      for (const auto& kv : sym(s).listAttr()) {
        if (!first) r += ',';
        first = false;
        appendJsonString(r, kv.first);
        r += ':';
        appendJsonString(r, kv.second);
      }
    } else {
      // Grouped per node name, nodes in graph order (MXNet's attr_dict()).
      std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> byNode;
      for (const auto& [node, key, value] : sym(s).listAttrRecursive()) {
        size_t i = 0;
        while (i < byNode.size() && byNode[i].first != node) ++i;
        if (i == byNode.size()) byNode.push_back({node, {}});
        auto& kvs = byNode[i].second;
        size_t j = 0;
        while (j < kvs.size() && kvs[j].first != key) ++j;
        if (j == kvs.size()) kvs.emplace_back(key, value);
        else kvs[j].second = value;
      }
      for (size_t i = 0; i < byNode.size(); ++i) {
        if (i) r += ',';
        appendJsonString(r, byNode[i].first);
        r += ":{";
        for (size_t j = 0; j < byNode[i].second.size(); ++j) {
          if (j) r += ',';
          appendJsonString(r, byNode[i].second[j].first);
          r += ':';
          appendJsonString(r, byNode[i].second[j].second);
        }
        r += '}';
      }
    }
    tSymbolString = r + "}";
    *out_json = tSymbolString.c_str();
  });
}

int ist_symbol_to_json(IstSymbolHandle s, const char** out_json) {
  return capiGuard([&] {
    tSymbolString = symbolToJSON(sym(s));
    *out_json = tSymbolString.c_str();
  });
}

int ist_symbol_from_json(const char* json, IstSymbolHandle* out) {
  return capiGuard([&] {
    IST_CHECK(json != nullptr, "symbol JSON", "json", "null string");
    *out = newHandle(symbolFromJSON(json));
  });
}

}  // extern "C"
