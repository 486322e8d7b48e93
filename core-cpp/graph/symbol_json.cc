// Symbol JSON writer (byte-identical to MXNet 1.9) and reader (every MXNet version since 0.8).
//
// The writer ports dmlc-core's JSONWriter layout rules: objects and arrays of non-POD items
// (nodes) are multi-line with two spaces per level, "," is followed by a space before the line
// break, a string->string map is multi-line only with more than one key, and an array of numbers
// or entries only with more than ten items. Upgrades of old files follow MXNet's
// src/nnvm/legacy_json_util.cc.
#include "graph/symbol_json.h"
#include "graph/control_flow.h"
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>
#include "base/error.h"

namespace ist {

namespace {

// ---- writer: dmlc::JSONWriter's layout ----
class Writer {
 public:
  std::string out;

  void beginObject(bool multiLine) { open('{', multiLine); }
  void endObject() { close('}'); }
  void beginArray(bool multiLine) { open('[', multiLine); }
  void endArray() { close(']'); }
  // Object key (written without escaping, as dmlc does).
  void key(const std::string& k) {
    if (counter_.back() > 0) out += ", ";
    separator();
    out += '"';
    out += k;
    out += "\": ";
    counter_.back() += 1;
  }
  void item() {
    if (counter_.back() != 0) out += ", ";
    counter_.back() += 1;
    separator();
  }
  void string(const std::string& s) {
    out += '"';
    for (char c : s) {
      switch (c) {
        case '\r': out += "\\r"; break;
        case '\n': out += "\\n"; break;
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '"': out += "\\\""; break;
        default: out += c;
      }
    }
    out += '"';
  }
  void number(uint64_t v) { out += std::to_string(v); }

 private:
  std::vector<bool> multi_;
  std::vector<size_t> counter_;
  void open(char c, bool multiLine) {
    out += c;
    multi_.push_back(multiLine);
    counter_.push_back(0);
  }
  void close(char c) {
    bool newline = multi_.back();
    size_t n = counter_.back();
    multi_.pop_back();
    counter_.pop_back();
    if (newline && n != 0) separator();
    out += c;
  }
  void separator() {
    if (multi_.empty() || multi_.back()) {
      out += '\n';
      out.append(multi_.size() * 2, ' ');
    }
  }
};

struct JEntry {
  uint32_t node, index, version;
};

void writeEntry(Writer& w, const JEntry& e) {
  w.beginArray(false);
  w.item();
  w.number(e.node);
  w.item();
  w.number(e.index);
  w.item();
  w.number(e.version);
  w.endArray();
}

void writeEntries(Writer& w, const std::vector<JEntry>& v) {
  w.beginArray(v.size() > 10);
  for (const auto& e : v) {
    w.item();
    writeEntry(w, e);
  }
  w.endArray();
}

void writeNumbers(Writer& w, const std::vector<uint32_t>& v) {
  w.beginArray(v.size() > 10);
  for (uint32_t x : v) {
    w.item();
    w.number(x);
  }
  w.endArray();
}

// ---- reader: a small JSON DOM ----
struct JValue {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  std::string text;  // string value, or a number's literal
  std::vector<JValue> items;
  std::vector<std::pair<std::string, JValue>> fields;
};

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}
  JValue document() {
    JValue v = value(0);
    skipSpace();
    if (pos_ != s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  const std::string& s_;
  size_t pos_ = 0;

  [[noreturn]] void fail(const std::string& what) {
    size_t line = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) line += s_[i] == '\n';
    throwError("symbol JSON", "json", "malformed JSON at line " + std::to_string(line) + ": " + what);
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) ++pos_;
  }
  bool literal(const char* word) {
    size_t n = strlen(word);
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }
  JValue value(int depth) {
    if (depth > 256) fail("nesting is too deep");
    skipSpace();
    if (pos_ >= s_.size()) fail("unexpected end of input");
    JValue v;
    char c = s_[pos_];
    if (c == '{') {
      v.kind = JValue::kObject;
      ++pos_;
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == '}') { ++pos_; return v; }
      while (true) {
        skipSpace();
        if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
        std::string k = string();
        skipSpace();
        if (pos_ >= s_.size() || s_[pos_] != ':') fail("expected ':'");
        ++pos_;
        v.fields.emplace_back(std::move(k), value(depth + 1));
        skipSpace();
        if (pos_ < s_.size() && s_[pos_] == ',') { ++pos_; continue; }
        if (pos_ < s_.size() && s_[pos_] == '}') { ++pos_; return v; }
        fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.kind = JValue::kArray;
      ++pos_;
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == ']') { ++pos_; return v; }
      while (true) {
        v.items.push_back(value(depth + 1));
        skipSpace();
        if (pos_ < s_.size() && s_[pos_] == ',') { ++pos_; continue; }
        if (pos_ < s_.size() && s_[pos_] == ']') { ++pos_; return v; }
        fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.kind = JValue::kString;
      v.text = string();
      return v;
    }
    if (literal("true")) { v.kind = JValue::kBool; v.text = "true"; return v; }
    if (literal("false")) { v.kind = JValue::kBool; v.text = "false"; return v; }
    if (literal("null")) return v;
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = pos_;
      ++pos_;
      while (pos_ < s_.size() && (isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' ||
                                  s_[pos_] == 'e' || s_[pos_] == 'E' || s_[pos_] == '+' || s_[pos_] == '-'))
        ++pos_;
      v.kind = JValue::kNumber;
      v.text = s_.substr(start, pos_ - start);
      return v;
    }
    fail(std::string("unexpected character '") + c + "'");
  }
  static void utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  uint32_t hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= h - '0';
      else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
      else fail("bad \\u escape");
    }
    return v;
  }
  std::string string() {
    ++pos_;  // opening quote
    std::string r;
    while (true) {
      if (pos_ >= s_.size()) fail("unterminated string");
      char c = s_[pos_++];
      if (c == '"') return r;
      if (c != '\\') {
        r += c;
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated string");
      char e = s_[pos_++];
      switch (e) {
        case '"': r += '"'; break;
        case '\\': r += '\\'; break;
        case '/': r += '/'; break;
        case 'b': r += '\b'; break;
        case 'f': r += '\f'; break;
        case 'n': r += '\n'; break;
        case 'r': r += '\r'; break;
        case 't': r += '\t'; break;
        case 'u': {
          uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && pos_ + 6 <= s_.size() && s_[pos_] == '\\' && s_[pos_ + 1] == 'u') {
            pos_ += 2;
            uint32_t lo = hex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          utf8(r, cp);
          break;
        }
        default: fail(std::string("unknown escape \\") + e);
      }
    }
  }
};

[[noreturn]] void bad(const std::string& where, const std::string& detail) {
  throwError("symbol JSON", where, detail);
}

uint32_t asIndex(const JValue& v, const std::string& where) {
  if (v.kind != JValue::kNumber) bad(where, "expected a non-negative integer");
  char* end = nullptr;
  errno = 0;
  unsigned long long x = strtoull(v.text.c_str(), &end, 10);
  if (*end != '\0' || v.text[0] == '-' || errno != 0 || x > 0xFFFFFFFFull)
    bad(where, "expected a non-negative integer, got " + v.text);
  return static_cast<uint32_t>(x);
}

const JValue* field(const JValue& obj, const char* name) {
  for (const auto& kv : obj.fields)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

// [node, index] or [node, index, version].
JEntry readEntry(const JValue& v, const std::string& where) {
  if (v.kind != JValue::kArray || v.items.size() < 2 || v.items.size() > 3)
    bad(where, "expected [node, index] or [node, index, version]");
  JEntry e{asIndex(v.items[0], where), asIndex(v.items[1], where), 0};
  if (v.items.size() == 3) e.version = asIndex(v.items[2], where);
  return e;
}

void readStringMap(const JValue& v, const std::string& where, AttrDict& into) {
  if (v.kind != JValue::kObject) bad(where, "expected an object of strings");
  for (const auto& kv : v.fields) {
    if (kv.second.kind != JValue::kString) bad(where + "." + kv.first, "attribute values must be strings");
    into[kv.first] = kv.second.text;
  }
}


// MXNet < 1.9.1 files: bare hidden keys ("lr_mult") become "__lr_mult__"; an op's "<input>_lr_mult"
// moves onto that input's variable (UpgradeJSON_FixParsing).
void fixHiddenKeys(Node& n) {
  std::vector<std::pair<std::string, std::string>> hidden;
  for (auto it = n.attrs.dict.begin(); it != n.attrs.dict.end();) {
    bool erase = false;
    for (const char* hk : kSymbolHiddenKeys) {
      const std::string k = hk;
      size_t pos = it->first.rfind(k);
      if (pos == 0 || (pos != std::string::npos && pos == it->first.size() - k.size())) {
        hidden.emplace_back(*it);
        erase = true;
        break;
      }
    }
    it = erase ? n.attrs.dict.erase(it) : std::next(it);
  }
  for (const auto& kv : hidden) {
    bool placed = false;
    for (const char* hk : kSymbolHiddenKeys) {
      const std::string k = hk;
      size_t pos = kv.first.rfind(k);
      if (pos == 0 && k.size() == kv.first.size()) {
        n.attrs.dict["__" + k + "__"] = kv.second;
        placed = true;
        break;
      }
      if (pos != std::string::npos && pos > 1 && pos == kv.first.size() - k.size()) {
        if (n.isVariable()) break;
        const std::string arg = kv.first.substr(0, pos - 1);
        auto names = symbolInputNames(n);
        for (size_t i = 0; i < names.size() && i < n.inputs.size(); ++i) {
          if (names[i] == arg && n.inputs[i].node->isVariable()) {
            n.inputs[i].node->attrs.dict["__" + k + "__"] = kv.second;
            placed = true;
          }
        }
        break;
      }
    }
    if (!placed) n.attrs.dict[kv.first] = kv.second;
  }
}

}  // namespace

namespace {

// nnvm's Symbol2JSONGraph: nodes in DFS post-order; every variable is an arg node. A control-flow
// node's bodies are graphs of their own under "subgraphs"; only the top level carries the version.
void writeGraph(Writer& w, const std::vector<NodeEntry>& outputs, bool top) {
  std::vector<NodePtr> order = topoSort(outputs);
  std::unordered_map<const Node*, uint32_t> index;
  std::unordered_map<const Node*, uint32_t> version;  // MXNet's variable mutation counter
  std::vector<uint32_t> argNodes, rowPtr{0};
  std::vector<std::vector<JEntry>> inputs(order.size());
  for (uint32_t i = 0; i < order.size(); ++i) {
    const Node& n = *order[i];
    index[&n] = i;
    if (n.isVariable()) argNodes.push_back(i);
    // Versions as nnvm's UpdateNodeVersion gave them when the node was composed: a read sees the
    // variable's current version, an in-place update (aux state) bumps it.
    std::vector<int> mut = symbolMutableInputs(n);
    for (size_t j = 0; j < n.inputs.size(); ++j) {
      const NodeEntry& e = n.inputs[j];
      uint32_t ver = 0;
      if (e.node->isVariable()) {
        ver = version[e.node.get()];
        if (std::find(mut.begin(), mut.end(), static_cast<int>(j)) != mut.end()) ver = ++version[e.node.get()];
      }
      inputs[i].push_back(JEntry{index.at(e.node.get()), e.index, ver});
    }
    rowPtr.push_back(rowPtr.back() + static_cast<uint32_t>(symbolNumOutputs(n)));
  }
  std::vector<JEntry> heads;
  for (const NodeEntry& e : outputs) heads.push_back(JEntry{index.at(e.node.get()), e.index, 0});

  w.beginObject(true);
  w.key("nodes");
  w.beginArray(true);
  for (uint32_t i = 0; i < order.size(); ++i) {
    const Node& n = *order[i];
    w.item();
    w.beginObject(true);
    w.key("op");
    w.string(n.isVariable() ? std::string("null") : n.attrs.op->name);
    w.key("name");
    w.string(n.name);
    AttrDict attrs = symbolVisibleAttrs(n);
    if (!attrs.empty()) {
      w.key("attrs");
      w.beginObject(attrs.size() > 1);
      for (const auto& kv : attrs) {
        w.key(kv.first);
        w.string(kv.second);
      }
      w.endObject();
    }
    w.key("inputs");
    writeEntries(w, inputs[i]);
    if (!n.subgraphs.empty()) {
      w.key("subgraphs");
      w.beginArray(true);
      for (const auto& body : n.subgraphs) {
        w.item();
        writeGraph(w, body, false);
      }
      w.endArray();
    }
    w.endObject();
  }
  w.endArray();
  w.key("arg_nodes");
  writeNumbers(w, argNodes);
  w.key("node_row_ptr");
  writeNumbers(w, rowPtr);
  w.key("heads");
  writeEntries(w, heads);
  if (top) {
    w.key("attrs");
    w.beginObject(false);
    w.key("mxnet_version");
    w.beginArray(false);
    w.item();
    w.string("int");
    w.item();
    w.number(kMXNetVersion);
    w.endArray();
    w.endObject();
  }
  w.endObject();
}

}  // namespace

std::string symbolToJSON(const Symbol& s) {
  Writer w;
  writeGraph(w, s.outputs, true);
  return w.out;
}

namespace {

// One JSON graph (the document, or a control-flow node's body under `where`). `version`: the
// document's MXNet version, read from the top level's attrs and used by the bodies.
Symbol readGraph(const JValue& doc, const std::string& where, int& version, bool top) {
  const std::string at = where.empty() ? std::string() : where + ".";
  if (doc.kind != JValue::kObject) bad(where.empty() ? "json" : where, "expected a JSON object with nodes, arg_nodes and heads");
  const JValue *nodesV = nullptr, *argNodesV = nullptr, *headsV = nullptr, *attrsV = nullptr;
  for (const auto& kv : doc.fields) {
    if (kv.first == "nodes") nodesV = &kv.second;
    else if (kv.first == "arg_nodes") argNodesV = &kv.second;
    else if (kv.first == "heads") headsV = &kv.second;
    else if (kv.first == "attrs") attrsV = &kv.second;
    else if (kv.first == "node_row_ptr") continue;  // derived; optional on load
    else bad(at + kv.first, "unknown field (expected nodes, arg_nodes, node_row_ptr, heads, attrs)");
  }
  if (!nodesV || nodesV->kind != JValue::kArray) bad(at + "nodes", "missing or not an array");
  if (!argNodesV || argNodesV->kind != JValue::kArray) bad(at + "arg_nodes", "missing or not an array");
  if (!headsV || headsV->kind != JValue::kArray) bad(at + "heads", "missing or not an array");

  // Files without a version stamp predate it: MXNet treats them as 0.8.0.
  if (top) version = 800;
  if (attrsV) {
    if (attrsV->kind != JValue::kObject) bad(at + "attrs", "expected an object");
    if (const JValue* mv = field(*attrsV, "mxnet_version"); mv && top) {
      if (mv->kind != JValue::kArray || mv->items.size() != 2 || mv->items[0].kind != JValue::kString ||
          mv->items[1].kind != JValue::kNumber)
        bad("attrs.mxnet_version", "expected [\"int\", version]");
      version = std::atoi(mv->items[1].text.c_str());
    }
  }

  std::vector<NodePtr> nodes;
  for (size_t i = 0; i < nodesV->items.size(); ++i) {
    const JValue& jn = nodesV->items[i];
    const std::string where = at + "nodes[" + std::to_string(i) + "]";
    if (jn.kind != JValue::kObject) bad(where, "expected an object");
    const JValue *op = nullptr, *name = nullptr, *ins = nullptr, *subs = nullptr;
    AttrDict dict, param;
    for (const auto& kv : jn.fields) {
      if (kv.first == "op") op = &kv.second;
      else if (kv.first == "name") name = &kv.second;
      else if (kv.first == "inputs") ins = &kv.second;
      else if (kv.first == "attrs" || kv.first == "attr") readStringMap(kv.second, where + "." + kv.first, dict);
      else if (kv.first == "param") readStringMap(kv.second, where + ".param", param);
      else if (kv.first == "backward_source_id" || kv.first == "control_deps") continue;  // unused here
      else if (kv.first == "subgraphs") subs = &kv.second;
      else bad(where + "." + kv.first, "unknown field");
    }
    if (!op || op->kind != JValue::kString) bad(where + ".op", "missing or not a string");
    if (!name || name->kind != JValue::kString) bad(where + ".name", "missing or not a string");
    if (!ins || ins->kind != JValue::kArray) bad(where + ".inputs", "missing or not an array");
    for (const auto& kv : param) dict.insert(kv);  // MXNet merges "param" without overriding "attrs"
    auto n = std::make_shared<Node>();
    n->name = name->text;
    if (op->text != "null") {
      const Op* o = OpRegistry::find(op->text);
      if (!o)
        throwError(op->text, "op", "unknown operator '" + op->text + "' (node '" + n->name + "', " + where + ")");
      n->attrs.op = o;
    }
    n->attrs.dict = std::move(dict);
    if (subs) {
      const int graphs = n->isVariable() ? 0 : controlFlowSubgraphCount(*n->attrs.op);
      if (subs->kind != JValue::kArray) bad(where + ".subgraphs", "expected an array of graphs");
      if (graphs == 0 && !subs->items.empty())
        bad(where + ".subgraphs", "node '" + n->name + "' (" + op->text + ") is not a control-flow op but has subgraphs");
      for (size_t j = 0; j < subs->items.size(); ++j)
        n->subgraphs.push_back(
            readGraph(subs->items[j], where + ".subgraphs[" + std::to_string(j) + "]", version, false).outputs);
    }
    if (!n->isVariable() && controlFlowSubgraphCount(*n->attrs.op) != static_cast<int>(n->subgraphs.size()))
      bad(where + ".subgraphs", "node '" + n->name + "' (" + op->text + ") needs " +
                                    std::to_string(controlFlowSubgraphCount(*n->attrs.op)) + " subgraph(s), has " +
                                    std::to_string(n->subgraphs.size()));
    for (size_t j = 0; j < ins->items.size(); ++j) {
      const std::string w = where + ".inputs[" + std::to_string(j) + "]";
      JEntry e = readEntry(ins->items[j], w);
      if (e.node >= i)
        bad(w, "node '" + n->name + "' takes input from node " + std::to_string(e.node) +
                   (e.node < nodesV->items.size() ? "" : " (there are only " + std::to_string(nodesV->items.size()) + ")") +
                   ", which does not come before it: nodes must be in topological order (no cycles)");
      n->inputs.push_back(NodeEntry{nodes[e.node], e.index});
    }
    if (n->isVariable() && !n->inputs.empty()) bad(where, "variable '" + n->name + "' cannot have inputs");
    nodes.push_back(n);
  }

  for (size_t i = 0; i < nodes.size(); ++i) {
    Node& n = *nodes[i];
    if (version < kMXNetVersion) fixHiddenKeys(n);
    if (n.isVariable()) continue;
    const Op& op = *n.attrs.op;
    try {
      n.attrs = op.parseAttrs(n.attrs.dict);
    } catch (const IsotensorError& e) {
      throw IsotensorError(std::string(e.what()) + " (node '" + n.name + "')");
    }
    std::vector<std::string> names = symbolInputNames(n);
    // Before 0.9 aux states (and other defaulted inputs) were not stored: add them.
    if (version < 900) {
      for (size_t j = n.inputs.size(); j < names.size(); ++j) {
        NodePtr v = makeVariable(n.name.empty() ? names[j] : n.name + "_" + names[j]);
        v->attrs.dict = symbolVisibleAttrs(n);
        n.inputs.push_back(NodeEntry{v, 0});
      }
    }
    if (version < 904) symbolSetInputVarAttrs(n);
    if (version < 905 && (op.name == "argmax" || op.name == "argmin")) {
      auto it = n.attrs.dict.find("axis");
      if (it != n.attrs.dict.end() && it->second == "-1") n.attrs.dict.erase(it);
    }
    if (n.inputs.size() != names.size())
      throwError(op.name, "inputs",
                 "node '" + n.name + "' has " + std::to_string(n.inputs.size()) + " input(s); expected " +
                     std::to_string(names.size()) + " (" + joinNames(names) + ")");
    symbolFinishNode(n);
    for (size_t j = 0; j < n.inputs.size(); ++j) {
      const Node& src = *n.inputs[j].node;
      IST_CHECK(static_cast<int>(n.inputs[j].index) < symbolNumOutputs(src), op.name, names[j],
                "node '" << n.name << "' reads output " << n.inputs[j].index << " of node '" << src.name
                         << "', which has " << symbolNumOutputs(src));
    }
  }

  for (size_t j = 0; j < argNodesV->items.size(); ++j) {
    uint32_t id = asIndex(argNodesV->items[j], at + "arg_nodes");
    if (id >= nodes.size()) bad(at + "arg_nodes", "node " + std::to_string(id) + " does not exist");
    if (!nodes[id]->isVariable())
      bad(at + "arg_nodes", "node " + std::to_string(id) + " ('" + nodes[id]->name + "') is not a variable");
  }
  Symbol s;
  if (headsV->items.empty()) bad(at + "heads", "the graph has no outputs");
  for (size_t j = 0; j < headsV->items.size(); ++j) {
    const std::string w = at + "heads[" + std::to_string(j) + "]";
    JEntry e = readEntry(headsV->items[j], w);
    if (e.node >= nodes.size()) bad(w, "node " + std::to_string(e.node) + " does not exist");
    if (static_cast<int>(e.index) >= symbolNumOutputs(*nodes[e.node]))
      bad(w, "node '" + nodes[e.node]->name + "' has no output " + std::to_string(e.index));
    s.outputs.push_back(NodeEntry{nodes[e.node], e.index});
  }
  return s;
}

}  // namespace

Symbol symbolFromJSON(const std::string& json) {
  JValue doc = Parser(json).document();
  int version = 800;
  return readGraph(doc, "", version, true);
}

}  // namespace ist
