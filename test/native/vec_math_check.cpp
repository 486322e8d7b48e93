// Standalone accuracy check of core-cpp/kernels/cpu/vec_math.h against the C library in double:
// the largest error in ulps of exp, sigmoid and tanh over a sweep of the float range, plus NaN,
// infinities and the saturation edges. Not part of the library build.
//
//   g++ -std=c++17 -O2 -Icore-cpp test/native/vec_math_check.cpp -o /tmp/vec_math_check && /tmp/vec_math_check
//   NODE_PATH=node_modules em++ -std=c++17 -O2 -msimd128 -Icore-cpp test/native/vec_math_check.cpp -o /tmp/vmc.js
//   node --no-experimental-fetch /tmp/vmc.js
#include <cmath>
#include <cstdio>
#include <vector>
#include "kernels/cpu/vec_math.h"

using namespace ist;

static double ulpErr(float got, double want) {
  if (std::isnan(want)) return std::isnan(got) ? 0 : 1e30;
  if (std::isinf(want)) return got == static_cast<float>(want) ? 0 : 1e30;
  const float w = static_cast<float>(want);
  if (std::isinf(w)) return got == w ? 0 : 1e30;  // overflows float: must saturate to infinity
  const double ulp = std::fabs(static_cast<double>(std::nextafter(w, INFINITY)) - w);
  return std::fabs(got - want) / (ulp > 0 ? ulp : 1e-45);
}

int main() {
  std::vector<float> x;
  for (float v = -110.f; v <= 110.f; v += 0.00731f) x.push_back(v);
  for (float v = 1e-30f; v < 1.f; v *= 1.01f) { x.push_back(v); x.push_back(-v); }
  x.insert(x.end(), {0.f, -0.f, 0.625f, -0.625f, 88.72f, 88.73f, -103.9f, -104.f, INFINITY, -INFINITY, NAN});
  std::vector<float> y(x.size());
  int failures = 0;
  auto check = [&](const char* name, void (*f)(const float*, float*, int64_t), double (*ref)(double), double maxUlp) {
    f(x.data(), y.data(), static_cast<int64_t>(x.size()));
    double worst = 0;
    float at = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = ref(x[i]);
      // Below the smallest normal float the result is compared absolutely (flush-level noise).
      const double e = std::fabs(want) < 1.2e-38 ? (std::fabs(y[i] - want) < 1e-38 ? 0 : 1e30) : ulpErr(y[i], want);
      if (e > worst) { worst = e; at = x[i]; }
    }
    const bool ok = worst <= maxUlp;
    failures += !ok;
    std::printf("%-8s max error %.2f ulp (at x = %g)  %s\n", name, worst, at, ok ? "ok" : "FAIL");
  };
  check("exp", vmath::expArray, [](double v) { return std::exp(v); }, 4);
  check("sigmoid", vmath::sigmoidArray, [](double v) { return 1 / (1 + std::exp(-v)); }, 4);
  check("tanh", vmath::tanhArray, [](double v) { return std::tanh(v); }, 4);
  return failures ? 1 : 0;
}
