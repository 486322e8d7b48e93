// FloatTuple: MXNet's Tuple<float> parameter type (multibox sizes and variances, the multi-tensor
// optimizers' lrs and wds), with its codec parsing "(0.1, 0.2)", "[0.1,0.2]", "(1,)" or a bare "0.5".
#pragma once
#include <string>
#include <vector>
#include "base/error.h"
#include "op/params.h"

namespace ist {

// Values are kept as doubles so defaults print as written ("0.1", not float 0.1's 17 digits); the
// computes narrow them to float, as MXNet's Tuple<float> does.
struct FloatTuple {
  std::vector<double> v;
  size_t size() const { return v.size(); }
  float operator[](size_t i) const { return static_cast<float>(v[i]); }
};

namespace paramparse {
template <>
struct Codec<FloatTuple> {
  static const char* type() { return "tuple of <float>"; }
  static FloatTuple parse(const std::string& raw, const char* op, const char* f) {
    std::string s;
    for (char c : raw)
      if (c != ' ' && c != '\t' && c != '\n') s += c;
    if (!s.empty() && (s.front() == '(' || s.front() == '[')) {
      const char close = s.front() == '(' ? ')' : ']';
      IST_CHECK(s.size() >= 2 && s.back() == close, op, f, "expected a tuple of floats, got '" << raw << "'");
      s = s.substr(1, s.size() - 2);
    }
    FloatTuple t;
    size_t start = 0;
    while (start < s.size()) {
      size_t comma = s.find(',', start);
      if (comma == std::string::npos) comma = s.size();
      const std::string item = s.substr(start, comma - start);
      // A trailing comma ("(1,)") ends the tuple; an empty item elsewhere is malformed.
      IST_CHECK(!item.empty() || comma == s.size() - 1 || (comma == s.size() && start == s.size()), op, f,
                "expected a tuple of floats, got '" << raw << "'");
      if (!item.empty()) t.v.push_back(parseFloat(item, op, f));
      start = comma + 1;
    }
    return t;
  }
  static std::string format(const FloatTuple& t) {
    std::string r = "(";
    for (size_t i = 0; i < t.v.size(); ++i) r += (i ? ", " : "") + formatDouble(t.v[i]);
    return r + (t.v.size() == 1 ? ",)" : ")");
  }
};
}  // namespace paramparse

}  // namespace ist
