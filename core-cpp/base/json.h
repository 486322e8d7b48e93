// JSON string literals for the JSON the library hands out (op lists, traces, runtime info, symbols).
#pragma once
#include <string>

namespace ist {

// Appends s to out as a quoted JSON string ("\"", "\\", control characters escaped).
void appendJsonString(std::string& out, const std::string& s);

// s as a quoted JSON string.
std::string jsonString(const std::string& s);

}  // namespace ist
