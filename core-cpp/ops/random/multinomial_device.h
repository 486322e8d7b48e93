// _sample_multinomial and its backward: params, the category search and the checks (shared with
// more_samplers.cc) and the device-generic computes (GPU kernels and their CPU twins, attached in
// random.cu). Sample i draws one 53-bit uniform from Philox counter rngCounter + i and searches
// its row's cumulative sums, summed in category order as on the CPU, so the GPU picks the CPU's
// categories bit for bit.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "kernels/device.h"
#include "kernels/device_util.h"
#include "kernels/philox.h"
#include "op/registry.h"
#include "ops/random/op_seed.h"
#include "ops/elemwise/functors.h"
#include "ops/nn/dense_device_util.h"
#include "ops/random/det_math.h"
#include "ops/random/multisample_device.h"

namespace ist {
namespace rnd {

constexpr const char* kMN = "_sample_multinomial";
constexpr const char* kMNB = "_backward_sample_multinomial";

struct MultinomialParam {
  Shape shape;
  bool get_prob = false;
  std::string dtype;
  int64_t seed = -1;
  static void declare(ParamDecl<MultinomialParam>& d) {
    d.field("shape", &MultinomialParam::shape).setDefault(Shape{})
        .doc("Shape to be sampled from each random distribution.");
    d.field("get_prob", &MultinomialParam::get_prob).setDefault(false)
        .doc("Whether to also return the log probability of sampled result. This is usually used for "
             "differentiating through stochastic variables, e.g. in reinforcement learning.");
    d.field("dtype", &MultinomialParam::dtype).setDefault("int32")
        .values({"uint8", "int32", "float16", "float32", "float64"})
        .doc("DType of the output in case this can't be inferred.");
    rnd::declareSeed(d);
  }
};

// The run-time checks, one message for both devices.
inline void checkProbability(double v, int64_t r, int64_t c, const Shape& dataShape) {
  IST_CHECK(v >= 0 && std::isfinite(v), kMN, "data",
            "probabilities must be finite and non-negative; row " << r << " has " << v << " at category " << c
                                                                  << " (data shape " << shapeString(dataShape)
                                                                  << ")");
}
inline void checkRowSum(double acc, int64_t r, const Shape& dataShape) {
  IST_CHECK(acc > 0 && std::isfinite(acc), kMN, "data",
            "row " << r << " of probabilities sums to " << acc << " (data shape " << shapeString(dataShape) << ")");
}
inline void checkSampleIndex(double c, int64_t i, int64_t K, const Shape& dataShape) {
  IST_CHECK(c >= 0 && c < static_cast<double>(K), kMNB, "sample",
            "entry " << i << " is " << c << ", not a category of data of shape " << shapeString(dataShape));
}

// First category whose cumulative sum exceeds u * total (zero-probability categories never win).
ISTX int64_t pickCategory(const double* cum, int64_t K, double u) {
  const double target = detmath::mul(u, cum[K - 1]);
  int64_t lo = 0, hi = K;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (cum[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  if (lo < K) return lo;
  while (lo > 0 && cum[lo - 1] == (lo >= 2 ? cum[lo - 2] : 0.0)) --lo;  // the last positive category
  return lo - 1;
}

// double -> output dtype as the CPU's static_cast compiles on x86 (cvttsd2si, truncated to the
// type): only an accumulated integer sample outside the type's range tells it from CUDA's
// saturating conversion.
template <typename T> ISTX T mnStoreAs(double v) {
  if constexpr (std::is_integral_v<T>) {
    if constexpr (sizeof(T) < 4 || std::is_same_v<T, int32_t>) return static_cast<T>(truncInt(v));
    else return static_cast<T>(truncInt64(v));
  } else {
    return std_<T>(v);
  }
}
template <typename T> ISTX void mnPut(T* p, double v, bool add) { *p = mnStoreAs<T>(add ? ldd(*p) + v : v); }

// Row r's cumulative sums, summed in category order (the CPU's order, so the same bits); badAt[r]
// is the first invalid category, K for an invalid total, -1 for a valid row.
struct MnCumulativeMap {
  ISTX static void Map(int64_t r, double* cum, int64_t* badAt, double* errors, const double* pr, int64_t K) {
    double acc = 0;
    int64_t bad = -1;
    for (int64_t c = 0; c < K; ++c) {
      const double v = pr[r * K + c];
      if (!(v >= 0 && v - v == 0)) {  // negative, infinite or NaN
        bad = c;
        break;
      }
      acc = detmath::add(acc, v);
      cum[r * K + c] = acc;
    }
    if (bad < 0 && !(acc > 0 && acc - acc == 0)) bad = K;
    badAt[r] = bad;
    if (bad >= 0) deviceAtomicAdd(errors, 1.0);
  }
};

struct MnDrawMap {
  ISTX static void Map(int64_t i, int64_t* cat, const double* cum, int64_t K, int64_t M, uint64_t key,
                       uint64_t counter) {
    PhiloxStream st(key, counter + static_cast<uint64_t>(i));
    cat[i] = pickCategory(cum + (i / M) * K, K, st.uniformDouble());
  }
};

struct MnStoreSampleMap {
  template <typename T> ISTX static void Map(int64_t i, T* samples, const int64_t* cat, bool add) {
    mnPut(samples + i, static_cast<double>(cat[i]), add);
  }
};

// The log of the sampled category's probability as given (MXNet does not normalize it).
struct MnLogProbMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* logp, const int64_t* cat, const double* pr, int64_t K, int64_t M, bool add) {
    mnPut(logp + i, math::log(pr[(i / M) * K + cat[i]]), add);
  }
};

template <typename Dev>
void multinomialComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                           const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<MultinomialParam>();
  const TBlob& data = in[0];
  const int64_t K = data.shape.back(), total = out[0].size();
  if (total == 0 || K == 0) return;
  const int64_t N = data.size() / K, M = total / N;
  void* s = ctx.run.stream;
  ScratchLayout lay;
  const size_t prAt = lay.add<double>(N * K), cumAt = lay.add<double>(N * K), errAt = lay.add<double>(1),
               badAt = lay.add<int64_t>(N), catAt = lay.add<int64_t>(total);
  TempSpace<Dev> tmp(s, lay.bytes());
  double* pr = ScratchLayout::at<double>(tmp.get(), prAt);
  double* cum = ScratchLayout::at<double>(tmp.get(), cumAt);
  double* errors = ScratchLayout::at<double>(tmp.get(), errAt);
  int64_t* bad = ScratchLayout::at<int64_t>(tmp.get(), badAt);
  int64_t* cat = ScratchLayout::at<int64_t>(tmp.get(), catAt);

  paramsAsDoubleDev<Dev>(ctx, data, pr, kMN);
  DeviceMem<Dev>::zero(s, errors, sizeof(double));
  DeviceKernel<MnCumulativeMap, Dev>::launch(s, N, 4 * K, cum, bad, errors, static_cast<const double*>(pr), K);
  double errorCount = 0;
  DeviceMem<Dev>::toHost(s, &errorCount, errors, sizeof(double));
  if (errorCount != 0) {  // the CPU's error: the first bad row, its first bad value or its total
    std::vector<int64_t> badHost(static_cast<size_t>(N));
    DeviceMem<Dev>::toHost(s, badHost.data(), bad, badHost.size() * sizeof(int64_t));
    for (int64_t r = 0; r < N; ++r) {
      const int64_t c = badHost[static_cast<size_t>(r)];
      if (c < 0) continue;
      double v = 0;
      DeviceMem<Dev>::toHost(s, &v, (c < K ? pr : cum) + r * K + (c < K ? c : K - 1), sizeof(double));
      if (c < K) checkProbability(v, r, c, data.shape);
      else checkRowSum(v, r, data.shape);
    }
  }

  DeviceKernel<MnDrawMap, Dev>::launch(s, total, 24, cat, static_cast<const double*>(cum), K, M, ctx.rngKey,
                                       ctx.rngCounter);
  const int64_t* cats = cat;
  if (req[0] != OpReq::kNull) {
    const bool add = req[0] == OpReq::kAddTo;
    IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, kMN,
                            DeviceKernel<MnStoreSampleMap, Dev>::launch(s, total, 2, out[0].data<T>(), cats, add));
  }
  if (!p.get_prob || req[1] == OpReq::kNull) return;
  const bool add = req[1] == OpReq::kAddTo;
  IST_TYPE_SWITCH_FLOAT(out[1].dtype, T, kMN,
                        DeviceKernel<MnLogProbMap, Dev>::launch(s, total, 20, out[1].data<T>(), cats,
                                                                static_cast<const double*>(pr), K, M, add));
}

// ---- _backward_sample_multinomial: d data += ograd / data[sample] at each sampled category ----

// cat[i] = the category sample i names; a value that is none flags bad[i].
struct MnSampleIndexMap {
  ISTX static void Map(int64_t i, int64_t* cat, int8_t* bad, double* errors, const double* sample, int64_t K) {
    const double c = sample[i];
    if (!(c >= 0 && c < static_cast<double>(K))) {
      bad[i] = 1;
      cat[i] = 0;
      deviceAtomicAdd(errors, 1.0);
      return;
    }
    bad[i] = 0;
    cat[i] = static_cast<int64_t>(c);
  }
};

// Row r's gradient: its samples added in sample order, as the CPU's loop does, so every sum has
// the CPU's bits (only a row's own samples reach its categories, so rows run in parallel).
struct MnGradRowMap {
  ISTX static void Map(int64_t r, double* grad, const int64_t* cat, const double* g, const double* pr, int64_t K,
                       int64_t M) {
    for (int64_t j = 0; j < M; ++j) {
      const int64_t i = r * M + j, at = r * K + cat[i];
      grad[at] = detmath::add(grad[at], detmath::div(g[i], pr[at]));
    }
  }
};

struct MnPutGradMap {
  template <typename T> ISTX static void Map(int64_t i, T* dx, const double* grad, bool add) {
    putd(dx + i, grad[i], add);
  }
};

template <typename Dev>
void multinomialBackwardDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                            const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const TBlob &og = in[0], &data = in[1], &smp = in[2];
  const int64_t K = data.shape.empty() ? 0 : data.shape.back(), total = og.size(), nd = data.size();
  void* s = ctx.run.stream;
  ScratchLayout lay;
  const size_t gradAt = lay.add<double>(nd), prAt = lay.add<double>(nd), gAt = lay.add<double>(total),
               smpAt = lay.add<double>(total), catAt = lay.add<int64_t>(total), badAt = lay.add<int8_t>(total),
               errAt = lay.add<double>(1);
  TempSpace<Dev> tmp(s, lay.bytes());
  double* grad = ScratchLayout::at<double>(tmp.get(), gradAt);
  double* pr = ScratchLayout::at<double>(tmp.get(), prAt);
  double* g = ScratchLayout::at<double>(tmp.get(), gAt);
  double* sample = ScratchLayout::at<double>(tmp.get(), smpAt);
  int64_t* cat = ScratchLayout::at<int64_t>(tmp.get(), catAt);
  int8_t* bad = ScratchLayout::at<int8_t>(tmp.get(), badAt);
  double* errors = ScratchLayout::at<double>(tmp.get(), errAt);

  paramsAsDoubleDev<Dev>(ctx, data, pr, kMNB);
  paramsAsDoubleDev<Dev>(ctx, og, g, kMNB);
  DeviceMem<Dev>::zero(s, grad, static_cast<size_t>(nd) * sizeof(double));
  if (total > 0 && K > 0) {
    const int64_t N = nd / K, M = total / N;
    dnd::readDoubles<Dev>(ctx, smp, sample, kMNB);
    DeviceMem<Dev>::zero(s, errors, sizeof(double));
    DeviceKernel<MnSampleIndexMap, Dev>::launch(s, total, 2, cat, bad, errors, static_cast<const double*>(sample), K);
    double errorCount = 0;
    DeviceMem<Dev>::toHost(s, &errorCount, errors, sizeof(double));
    if (errorCount != 0) {  // the CPU's error: the first entry that is not a category
      std::vector<int8_t> badHost(static_cast<size_t>(total));
      DeviceMem<Dev>::toHost(s, badHost.data(), bad, badHost.size());
      for (int64_t i = 0; i < total; ++i) {
        if (!badHost[static_cast<size_t>(i)]) continue;
        double c = 0;
        DeviceMem<Dev>::toHost(s, &c, sample + i, sizeof(double));
        checkSampleIndex(c, i, K, data.shape);
      }
    }
    DeviceKernel<MnGradRowMap, Dev>::launch(s, N, 4 * M, grad, static_cast<const int64_t*>(cat),
                                            static_cast<const double*>(g), static_cast<const double*>(pr), K, M);
  }
  const bool add = req[0] == OpReq::kAddTo;
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, T, kMNB,
                        DeviceKernel<MnPutGradMap, Dev>::launch(s, nd, 2, out[0].data<T>(),
                                                                static_cast<const double*>(grad), add));
}

}  // namespace rnd
}  // namespace ist
