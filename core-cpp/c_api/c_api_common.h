// Shared by the c_api_*.cc files: the boundary guard that turns exceptions into -1 + ist_get_last_error().
#pragma once
#include <exception>
#include <string>

namespace ist {

// Stores the message ist_get_last_error() returns on this thread (defined in c_api.cc).
void capiSetLastError(const std::string& message);

// Runs f; returns 0, or -1 after recording the exception's message.
template <typename F>
int capiGuard(F&& f) {
  try {
    f();
    return 0;
  } catch (const std::exception& e) {
    capiSetLastError(e.what());
  } catch (...) {
    capiSetLastError("unknown error");
  }
  return -1;
}

}  // namespace ist
