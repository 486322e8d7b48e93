// IsotensorError: every failure the core reports, naming the op, the argument and the shapes.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>
#include "base/shape.h"

namespace ist {

class IsotensorError : public std::runtime_error {
 public:
  explicit IsotensorError(const std::string& msg) : std::runtime_error(msg) {}
};

// Message shape: "<op>: argument '<arg>': <detail>" — the TS layer parses nothing out of it.
[[noreturn]] void throwError(const std::string& op, const std::string& arg, const std::string& detail);

// Builds a detail string from stream pieces: IST_CHECK(cond, op, arg, "got " << x).
#define IST_CHECK(cond, op, arg, detail)                              \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::ostringstream ist_check_os_;                               \
      ist_check_os_ << detail;                                        \
      ::ist::throwError((op), (arg), ist_check_os_.str());            \
    }                                                                 \
  } while (0)

// "a, b, c" for an error message's list of names; `ifEmpty` when there are none.
inline std::string joinNames(const std::vector<std::string>& names, const char* ifEmpty = "") {
  std::string r;
  for (const std::string& n : names) r += (r.empty() ? "" : ", ") + n;
  return r.empty() ? ifEmpty : r;
}

}  // namespace ist
