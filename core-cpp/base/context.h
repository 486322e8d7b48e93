// Device contexts: where an array lives and an op runs (MXNet device type numbers).
#pragma once
#include <string>

namespace ist {

struct Context {
  enum DevType : int { kCPU = 1, kGPU = 2 };
  int devType = kCPU;
  int devId = 0;
  static Context cpu(int id = 0) { return {kCPU, id}; }
  static Context gpu(int id = 0) { return {kGPU, id}; }
  bool isGPU() const { return devType == kGPU; }
  bool operator==(const Context& o) const { return devType == o.devType && devId == o.devId; }
  bool operator!=(const Context& o) const { return !(*this == o); }
  std::string str() const;
  // Parses "cpu(0)", "gpu(1)", "cpu"; throws IsotensorError.
  static Context parse(const std::string& s, const char* op = "");
};

}  // namespace ist
