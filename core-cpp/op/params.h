// Typed operator parameters parsed from MXNet's string attributes, with defaults, ranges and docs.
//
//   struct ClipParam {
//     double a_min, a_max;
//     static void declare(ParamDecl<ClipParam>& d) {
//       d.field("a_min", &ClipParam::a_min).doc("Minimum value");
//       d.field("a_max", &ClipParam::a_max).doc("Maximum value");
//     }
//   };
//
// The same declaration drives parsing (symbol JSON attributes, imperative
// calls), validation and the generated TypeScript signatures.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include "base/error.h"
#include "base/shape.h"

namespace ist {

#ifndef IST_OP_DOCS
#define IST_OP_DOCS 1
#endif
// Whether operator and parameter doc strings are kept (Op::describe, ParamDecl::Field::doc).
inline constexpr bool kOpDocs = IST_OP_DOCS != 0;

using AttrDict = std::map<std::string, std::string>;

// String -> value converters; each throws IsotensorError naming op and field.
namespace paramparse {
bool parseBool(const std::string& s, const char* op, const char* field);
int64_t parseInt(const std::string& s, const char* op, const char* field);
double parseFloat(const std::string& s, const char* op, const char* field);
Shape parseShape(const std::string& s, const char* op, const char* field);
std::string formatDouble(double v);

template <typename T> struct Codec;
template <> struct Codec<bool> {
  static const char* type() { return "boolean"; }
  static bool parse(const std::string& s, const char* op, const char* f) { return parseBool(s, op, f); }
  static std::string format(bool v) { return v ? "True" : "False"; }
};
template <> struct Codec<int> {
  static const char* type() { return "int"; }
  static int parse(const std::string& s, const char* op, const char* f) {
    int64_t v = parseInt(s, op, f);
    IST_CHECK(v >= INT32_MIN && v <= INT32_MAX, op, f, "value " << s << " does not fit in int32");
    return static_cast<int>(v);
  }
  static std::string format(int v) { return std::to_string(v); }
};
template <> struct Codec<int64_t> {
  static const char* type() { return "long"; }
  static int64_t parse(const std::string& s, const char* op, const char* f) { return parseInt(s, op, f); }
  static std::string format(int64_t v) { return std::to_string(v); }
};
template <> struct Codec<double> {
  static const char* type() { return "double"; }
  static double parse(const std::string& s, const char* op, const char* f) { return parseFloat(s, op, f); }
  static std::string format(double v) { return formatDouble(v); }
};
template <> struct Codec<float> {
  static const char* type() { return "float"; }
  static float parse(const std::string& s, const char* op, const char* f) { return (float)parseFloat(s, op, f); }
  static std::string format(float v) { return formatDouble(v); }
};
template <> struct Codec<std::string> {
  static const char* type() { return "string"; }
  static std::string parse(const std::string& s, const char*, const char*) { return s; }
  static std::string format(const std::string& v) { return v; }
};
template <> struct Codec<Shape> {
  static const char* type() { return "Shape"; }
  static Shape parse(const std::string& s, const char* op, const char* f) { return parseShape(s, op, f); }
  static std::string format(const Shape& v) {
    std::string r = "(";
    for (size_t i = 0; i < v.size(); ++i) r += (i ? ", " : "") + std::to_string(v[i]);
    return r + (v.size() == 1 ? ",)" : ")");
  }
};
template <typename T> struct Codec<std::optional<T>> {
  static std::string type() { return std::string(Codec<T>::type()) + " or None"; }
  static std::optional<T> parse(const std::string& s, const char* op, const char* f) {
    if (s == "None" || s == "none" || s.empty()) return std::nullopt;
    return Codec<T>::parse(s, op, f);
  }
  static std::string format(const std::optional<T>& v) { return v ? Codec<T>::format(*v) : "None"; }
};
}  // namespace paramparse

// One field's description, as exported to code generation and docs.
struct ParamFieldInfo {
  std::string name;
  std::string type;         // "int", "double", "boolean", "Shape", "{'a', 'b'}", "int or None", ...
  std::string defaultValue; // formatted default; empty with required=true
  bool required = false;
  std::string doc;
};

// Type-erased parser of a parameter struct.
class ParamSchema {
 public:
  virtual ~ParamSchema() = default;
  virtual std::shared_ptr<const void> parse(const AttrDict& attrs, const char* op) const = 0;
  virtual const std::vector<ParamFieldInfo>& fields() const = 0;
};

template <typename P>
class ParamDecl : public ParamSchema {
 public:
  class Field {
   public:
    template <typename S> Field& doc(S&& d) {  // IST_OP_DOCS: see Op::describe
      if constexpr (kOpDocs) info_->doc = std::forward<S>(d);
      return *this;
    }
    template <typename V> Field& setDefault(const V& v) {
      info_->required = false;
      info_->defaultValue = formatDefault(v);
      return *this;
    }
    // Inclusive numeric range check.
    Field& range(double lo, double hi) { *lo_ = lo; *hi_ = hi; *hasRange_ = true; return *this; }
    // Allowed string values (becomes "{'a', 'b'}" in docs and a union type in TS).
    Field& values(std::vector<std::string> allowed) {
      *allowed_ = std::move(allowed);
      std::string t = "{";
      for (size_t i = 0; i < allowed_->size(); ++i) t += (i ? ", '" : "'") + (*allowed_)[i] + "'";
      info_->type = t + "}";
      return *this;
    }
    Field(ParamFieldInfo* info, double* lo, double* hi, bool* hasRange, std::vector<std::string>* allowed)
        : info_(info), lo_(lo), hi_(hi), hasRange_(hasRange), allowed_(allowed) {}

   private:
    template <typename V> static std::string formatDefault(const V& v) {
      if constexpr (std::is_same_v<V, const char*> || std::is_array_v<V>) return std::string(v);
      else if constexpr (std::is_same_v<V, std::nullopt_t>) return "None";
      else return paramparse::Codec<V>::format(v);
    }
    ParamFieldInfo* info_;
    double *lo_, *hi_;
    bool* hasRange_;
    std::vector<std::string>* allowed_;
  };

  ParamDecl() { P::declare(*this); }

  template <typename V> Field field(const std::string& name, V P::*member) {
    auto e = std::make_unique<Entry>();
    e->info.name = name;
    e->info.type = paramparse::Codec<V>::type();
    e->info.required = true;
    Entry* raw = e.get();
    e->assign = [member, raw](P& p, const std::string& s, const char* op) {
      V v = paramparse::Codec<V>::parse(s, op, raw->info.name.c_str());
      if constexpr (std::is_arithmetic_v<V>) {
        if (raw->hasRange)
          IST_CHECK(double(v) >= raw->lo && double(v) <= raw->hi, op, raw->info.name,
                    "value " << s << " is out of range [" << paramparse::formatDouble(raw->lo) << ", "
                             << paramparse::formatDouble(raw->hi) << "]");
      }
      if constexpr (std::is_same_v<V, std::string>) {
        if (!raw->allowed.empty()) {
          bool ok = false;
          std::string list;
          for (auto& a : raw->allowed) { ok |= a == v; list += (list.empty() ? "'" : ", '") + a + "'"; }
          IST_CHECK(ok, op, raw->info.name, "invalid value '" << s << "' (expected one of " << list << ")");
        }
      }
      p.*member = v;
    };
    entries_.push_back(std::move(e));
    return Field(&raw->info, &raw->lo, &raw->hi, &raw->hasRange, &raw->allowed);
  }

  std::shared_ptr<const void> parse(const AttrDict& attrs, const char* op) const override {
    auto p = std::make_shared<P>();
    for (auto& kv : attrs) {
      if (kv.first.size() > 1 && kv.first[0] == '_' && kv.first[1] == '_') continue;  // __hidden__ attrs
      bool known = false;
      for (auto& e : entries_) known |= e->info.name == kv.first;
      IST_CHECK(known, op, kv.first, "unknown parameter (valid: " << fieldList() << ")");
    }
    for (auto& e : entries_) {
      auto it = attrs.find(e->info.name);
      if (it != attrs.end()) {
        e->assign(*p, it->second, op);
      } else {
        IST_CHECK(!e->info.required, op, e->info.name, "required parameter is missing");
        e->assign(*p, e->info.defaultValue, op);
      }
    }
    return p;
  }

  const std::vector<ParamFieldInfo>& fields() const override {
    if (infos_.size() != entries_.size()) {
      infos_.clear();
      for (auto& e : entries_) infos_.push_back(e->info);
    }
    return infos_;
  }

 private:
  struct Entry {
    ParamFieldInfo info;
    double lo = 0, hi = 0;
    bool hasRange = false;
    std::vector<std::string> allowed;
    std::function<void(P&, const std::string&, const char*)> assign;
  };
  std::string fieldList() const {
    std::string r;
    for (auto& e : entries_) r += (r.empty() ? "" : ", ") + e->info.name;
    return r.empty() ? "none" : r;
  }
  std::vector<std::unique_ptr<Entry>> entries_;
  mutable std::vector<ParamFieldInfo> infos_;
};

// Ops without parameters.
struct NoParam {
  static void declare(ParamDecl<NoParam>&) {}
};

}  // namespace ist
