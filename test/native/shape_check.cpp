// Standalone checker for core-cpp/base/shape.h (the small-vector Shape) against std::vector<int64_t>.
// SPDX-License-Identifier: Apache-2.0
//
// Applies the same random sequence of edits (push, pop, insert one/many/own range, erase, resize,
// assign, copy, move, swap) to a Shape and to a std::vector, crossing the inline/heap boundary
// both ways, and compares them after every step. Build with sanitizers so a stray write shows.
//
// Build and run (from the repo root):
//   g++ -std=c++17 -O1 -g -fsanitize=address,undefined -Icore-cpp test/native/shape_check.cpp
//       core-cpp/base/base.cc -o /tmp/shape_check && /tmp/shape_check
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "base/shape.h"

using ist::Shape;
using Ref = std::vector<int64_t>;

namespace {

int failures = 0;

void expectSame(const Shape& s, const Ref& r, int step, const char* what) {
  bool same = s.size() == r.size() && s.empty() == r.empty();
  for (size_t i = 0; same && i < r.size(); ++i) same = s[i] == r[i];
  same = same && Ref(s) == r && Shape(r) == s && (r.empty() || (s.front() == r.front() && s.back() == r.back()));
  if (!same && failures++ < 10) std::printf("step %d (%s): Shape has %zu dims, reference %zu\n", step, what, s.size(), r.size());
}

}  // namespace

int main() {
  std::mt19937_64 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  Shape s;
  Ref r;
  const int steps = 200000;
  for (int step = 0; step < steps; ++step) {
    const int64_t v = pick(1000) - 500;
    const char* what = "";
    switch (pick(12)) {
      case 0: case 1: what = "push_back"; s.push_back(v); r.push_back(v); break;
      case 2: what = "pop_back"; if (!r.empty()) { s.pop_back(); r.pop_back(); } break;
      case 3: { what = "insert one"; const int i = pick(static_cast<int>(r.size()) + 1);
        s.insert(s.begin() + i, v); r.insert(r.begin() + i, v); break; }
      case 4: { what = "insert n"; const int i = pick(static_cast<int>(r.size()) + 1), n = pick(5);
        s.insert(s.begin() + i, static_cast<size_t>(n), v); r.insert(r.begin() + i, static_cast<size_t>(n), v); break; }
      case 5: { what = "insert own range"; const int i = pick(static_cast<int>(r.size()) + 1);
        const Ref before = r;
        s.insert(s.begin() + i, s.begin(), s.end());
        r.insert(r.begin() + i, before.begin(), before.end()); break; }
      case 6: { what = "erase"; if (r.empty()) break; const int i = pick(static_cast<int>(r.size()));
        const int n = pick(static_cast<int>(r.size()) - i + 1);
        s.erase(s.begin() + i, s.begin() + i + n); r.erase(r.begin() + i, r.begin() + i + n); break; }
      case 7: { what = "resize"; const size_t n = static_cast<size_t>(pick(12)); s.resize(n, v); r.resize(n, v); break; }
      case 8: { what = "assign"; const size_t n = static_cast<size_t>(pick(12)); s.assign(n, v); r.assign(n, v); break; }
      case 9: { what = "copy"; Shape c(s); Shape d; d = c; s = d; break; }
      case 10: { what = "move"; Shape m(std::move(s)); Shape d; d = std::move(m); s = std::move(d); break; }
      default: { what = "swap"; Shape o{1, 2, 3, 4, 5, 6, 7, 8}; Ref orf{1, 2, 3, 4, 5, 6, 7, 8};
        s.swap(o); std::swap(r, orf); expectSame(o, orf, step, "swap partner"); break; }
    }
    expectSame(s, r, step, what);
    if (r.size() > 40) { s.clear(); r.clear(); }
  }
  // Ordering and the unknown-rank marker.
  if (!(Shape{1, 2} < Shape{1, 3}) || !(Shape{1} < Shape{1, 0}) || Shape{2} < Shape{1, 9}) ++failures;
  if (ist::shapeRankKnown(ist::unknownShape()) || !ist::shapeRankKnown(Shape{3})) ++failures;
  std::printf("shape_check: %d steps, %d failure(s)\n", steps, failures);
  return failures == 0 ? 0 : 1;
}
