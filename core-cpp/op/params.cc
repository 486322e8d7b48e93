// String parsing and formatting of MXNet attribute values ("True", "(2, 3)", "1e-05", "None").
#include "op/params.h"
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ist {
namespace paramparse {

namespace {
std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n\r"), e = s.find_last_not_of(" \t\n\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}
}  // namespace

bool parseBool(const std::string& raw, const char* op, const char* field) {
  std::string s = trim(raw);
  if (s == "True" || s == "true" || s == "1") return true;
  if (s == "False" || s == "false" || s == "0") return false;
  throwError(op, field, "expected a boolean (True/False), got '" + raw + "'");
}

int64_t parseInt(const std::string& raw, const char* op, const char* field) {
  std::string s = trim(raw);
  IST_CHECK(!s.empty(), op, field, "expected an integer, got an empty string");
  errno = 0;
  char* end = nullptr;
  long long v = strtoll(s.c_str(), &end, 10);
  if (end && *end == '.') {  // "3.0" from Python floats: accept exact integers only
    double d = strtod(s.c_str(), &end);
    IST_CHECK(*end == '\0' && std::floor(d) == d && std::fabs(d) < 9.2e18, op, field,
              "expected an integer, got '" << raw << "'");
    return static_cast<int64_t>(d);
  }
  if (end && (*end == 'L' || *end == 'l')) ++end;  // Python 2 longs in old JSON files
  IST_CHECK(errno == 0 && end && *end == '\0', op, field, "expected an integer, got '" << raw << "'");
  return v;
}

double parseFloat(const std::string& raw, const char* op, const char* field) {
  std::string s = trim(raw);
  IST_CHECK(!s.empty(), op, field, "expected a number, got an empty string");
  if (s == "inf" || s == "+inf" || s == "Infinity") return INFINITY;
  if (s == "-inf" || s == "-Infinity") return -INFINITY;
  if (s == "nan" || s == "NaN") return NAN;
  char* end = nullptr;
  double v = strtod(s.c_str(), &end);
  IST_CHECK(end && *end == '\0', op, field, "expected a number, got '" << raw << "'");
  return v;
}

Shape parseShape(const std::string& raw, const char* op, const char* field) {
  std::string s = trim(raw);
  if (!s.empty() && (s.front() == '(' || s.front() == '[')) {
    char close = s.front() == '(' ? ')' : ']';
    IST_CHECK(s.back() == close, op, field, "unbalanced brackets in '" << raw << "'");
    s = s.substr(1, s.size() - 2);
  }
  Shape out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    std::string item = trim(s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (!item.empty()) {
      // A None entry would read as -1, which means something else in axes and reshape codes.
      IST_CHECK(item != "None", op, field, "None is not allowed inside '" << raw << "'");
      out.push_back(parseInt(item, op, field));
    } else {
      // Only a trailing comma ("(3,)") or an empty tuple may leave an empty item.
      IST_CHECK(comma == std::string::npos, op, field, "empty entry in '" << raw << "'");
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::string formatDouble(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  snprintf(buf, sizeof(buf), "%.17g", v);
  // Prefer the shortest form that reads back exactly (e.g. "0.1", not "0.10000000000000001").
  for (int prec = 1; prec <= 17; ++prec) {
    char shorter[32];
    snprintf(shorter, sizeof(shorter), "%.*g", prec, v);
    if (strtod(shorter, nullptr) == v) return shorter;
  }
  return buf;
}

}  // namespace paramparse
}  // namespace ist
