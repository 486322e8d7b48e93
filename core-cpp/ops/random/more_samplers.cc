// More of MXNet's random ops: negative binomial and generalized negative binomial samplers
// (_random_*, their *_like forms, and the per-parameter _sample_* forms) and _sample_multinomial.
//
// Both negative binomials are Gamma-Poisson mixtures, as in MXNet: NB(k, p) draws
// lambda ~ Gamma(k, (1 - p) / p) then Poisson(lambda) (the failures before the k-th success with
// success probability p: mean k (1 - p) / p); GNB(mu, alpha) draws lambda ~ Gamma(1 / alpha,
// alpha mu) (alpha = 0: lambda = mu), mean mu and variance mu + alpha mu^2. Each output element
// reads its own Philox stream (kernels/philox.h) with the gamma and Poisson samplers of
// ops/random/samplers.h, so the numbers are the same on every backend and thread count.
// _sample_multinomial draws sample j of distribution row r from the stream of output element
// r * M + j: one 53-bit uniform u, then the first category whose cumulative sum exceeds u times the
// row's total.
#include <cmath>
#include <vector>
#include "graph/node.h"
#include "kernels/cpu/kernel_cpu.h"
#include "op/backward_errors.h"
#include "op/registry.h"
#include "ops/random/samplers.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")  // every rounding step as written, as in samplers.h
#endif
#include "ops/random/more_samplers_device.h"
#include "ops/random/multinomial_device.h"

namespace ist {
namespace more_samplers {
namespace {

const char* opName(const NodeAttrs& attrs, const char* fallback) { return attrs.op ? attrs.op->name.c_str() : fallback; }

// ---- per-element samplers ----

using rndnb::NegBinomial;
using rndnb::GenNegBinomial;
using rndnb::SampleKernel;

// ---- distribution parameters (scalar forms) ----

using rndnb::NegBinomialDist;
using rndnb::GenNegBinomialDist;
using rndnb::SampleParam;
using rndnb::SampleLikeParam;

template <typename P>
void sampleShape(const NodeAttrs& attrs, std::vector<Shape>&, std::vector<Shape>& out) {
  const auto& p = attrs.get<P>();
  const char* op = opName(attrs, "_random");
  p.validate(op);
  for (int64_t d : p.shape)
    IST_CHECK(d >= 0, op, "shape", "negative dimension " << d << " in shape " << shapeString(p.shape));
  if (!p.ctx.empty()) Context::parse(p.ctx, op);
  if (p.shape.empty() && shapeIsKnown(out[0])) return;
  out[0] = p.shape;
}

template <typename P>
void sampleType(const NodeAttrs& attrs, std::vector<int>&, std::vector<int>& out) {
  const auto& p = attrs.get<P>();
  const char* op = opName(attrs, "_random");
  if (p.dtype != "None") out[0] = static_cast<int>(dtypeFromName(p.dtype, op));
  else if (out[0] < 0) out[0] = static_cast<int>(DType::kFloat32);
  IST_CHECK(dtypeIsFloat(static_cast<DType>(out[0])), op, "dtype",
            "output dtype must be a float type, got " << dtypeName(static_cast<DType>(out[0])));
}

template <typename P>
void sampleLikeShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  attrs.get<P>().validate(opName(attrs, "_random"));
  inferSameShape(attrs, in, out);
}

void sampleLikeType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  inferSameType(attrs, in, out);
  if (out[0] >= 0)
    IST_CHECK(dtypeIsFloat(static_cast<DType>(out[0])), opName(attrs, "_random"), "data",
              "input dtype must be a float type, got " << dtypeName(static_cast<DType>(out[0])));
}

template <typename P>
void sampleCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>&,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto s = attrs.get<P>().sampler();
  using S = std::decay_t<decltype(s)>;
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, DT, opName(attrs, "_random"),
                        Kernel<SampleKernel<S>, cpu>::launchCost(out[0].size(), 80, out[0].data<DT>(), ctx.rngKey,
                                                                 ctx.rngCounter, s, req[0]));
}

#define IST_NB_SAMPLE_OP(name, Dist, text)            \
  IST_REGISTER_OP(name)                               \
      .describe(text)                                 \
      .params<SampleParam<Dist>>()                    \
      .setCreation()                                  \
      .setRandom()                                    \
      .inferShape(sampleShape<SampleParam<Dist>>)     \
      .inferType(sampleType<SampleParam<Dist>>)       \
      .compute(Context::kCPU, sampleCompute<SampleParam<Dist>>)

#define IST_NB_SAMPLE_LIKE_OP(name, Dist, text)           \
  IST_REGISTER_OP(name)                                   \
      .describe(text)                                     \
      .inputs({"data"})                                   \
      .params<SampleLikeParam<Dist>>()                    \
      .setRandom()                                        \
      .inferShape(sampleLikeShape<SampleLikeParam<Dist>>) \
      .inferType(sampleLikeType)                          \
      .compute(Context::kCPU, sampleCompute<SampleLikeParam<Dist>>)

IST_NB_SAMPLE_OP(_random_negative_binomial, NegBinomialDist,
                 "Draws samples from a negative binomial distribution with parameters k (limit of unsuccessful "
                 "experiments) and p (failure probability in each experiment): the number of failures before the "
                 "k-th success when each trial succeeds with probability p, mean k (1 - p) / p. Samples are "
                 "returned as floats.\n\nExample: negative_binomial(k=3, p=0.4, shape=(2,2))")
    .alias("random_negative_binomial");
IST_NB_SAMPLE_OP(_random_generalized_negative_binomial, GenNegBinomialDist,
                 "Draws samples from a generalized negative binomial distribution with mean mu and dispersion "
                 "alpha (= 1 / k, k the failure limit generalized to real numbers): variance mu + alpha mu^2; "
                 "alpha = 0 is Poisson(mu). Samples are returned as floats.\n\n"
                 "Example: generalized_negative_binomial(mu=2.0, alpha=0.3, shape=(2,2))")
    .alias("random_generalized_negative_binomial");
IST_NB_SAMPLE_LIKE_OP(_random_negative_binomial_like, NegBinomialDist,
                      "Draws negative binomial samples (k, p) with the shape and dtype of the input.");
IST_NB_SAMPLE_LIKE_OP(_random_generalized_negative_binomial_like, GenNegBinomialDist,
                      "Draws generalized negative binomial samples (mu, alpha) with the shape and dtype of the "
                      "input.");

#undef IST_NB_SAMPLE_OP
#undef IST_NB_SAMPLE_LIKE_OP

// ---- per-parameter forms (_sample_*) ----

using rndnb::MultiSampleParam;

void multiShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<MultiSampleParam>();
  const char* op = opName(attrs, "_sample");
  for (int64_t d : p.shape)
    IST_CHECK(d > 0, op, "shape", "dimensions must be positive, got " << shapeString(p.shape));
  const Shape* known = nullptr;
  for (auto& s : in) if (shapeIsKnown(s)) { known = &s; break; }
  if (!known) return;
  const Shape ref = *known;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!shapeIsKnown(in[i])) { in[i] = ref; continue; }
    IST_CHECK(in[i] == ref, op, attrs.op ? attrs.op->inputNames[i] : "input",
              "parameter shapes differ: " << shapesString(in));
  }
  Shape o = ref;
  o.insert(o.end(), p.shape.begin(), p.shape.end());
  out[0] = o;
}

void multiType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const auto& p = attrs.get<MultiSampleParam>();
  const char* op = opName(attrs, "_sample");
  int t = -1;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] < 0) continue;
    const char* arg = attrs.op ? attrs.op->inputNames[i].c_str() : "input";
    IST_CHECK(dtypeIsFloat(static_cast<DType>(in[i])), op, arg,
              "parameters must be a float type, got " << dtypeName(static_cast<DType>(in[i])));
    if (t < 0) t = in[i];
    IST_CHECK(in[i] == t, op, arg,
              "parameter dtypes differ: " << dtypeName(static_cast<DType>(in[i])) << " and "
                                          << dtypeName(static_cast<DType>(t)));
  }
  if (t >= 0) for (auto& v : in) v = t;
  if (p.dtype != "None") out[0] = static_cast<int>(dtypeFromName(p.dtype, op));
  else if (out[0] < 0) out[0] = static_cast<int>(DType::kFloat32);
  IST_CHECK(dtypeIsFloat(static_cast<DType>(out[0])), op, "dtype", "output dtype must be a float type");
}

std::vector<double> asDoubles(const TBlob& b, const char* op) {
  std::vector<double> v(static_cast<size_t>(b.size()));
  IST_TYPE_SWITCH_FLOAT(b.dtype, DT, op, {
    const DT* p = b.data<DT>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(static_cast<typename ComputeType<DT>::type>(p[i]));
  });
  return v;
}

using rndnb::MultiSampleKernel;

template <typename S>
void multiCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const char* op = opName(attrs, "_sample");
  const std::vector<double> a = asDoubles(in[0], op), b = asDoubles(in[1], op);
  const int64_t perParam = out[0].size() / in[0].size();
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, DT, op,
                        Kernel<MultiSampleKernel<S>, cpu>::launchCost(out[0].size(), 80, out[0].data<DT>(), a.data(),
                                                                      b.data(), perParam, ctx.rngKey, ctx.rngCounter,
                                                                      req[0]));
}

IST_REGISTER_OP(_sample_negative_binomial)
    .alias("sample_negative_binomial")
    .describe("Draws `shape` negative binomial samples for each element of k (failure limit) and p (failure "
              "probability); output shape k.shape + shape. Invalid parameters (k < 0, p outside (0, 1]) give NaN.")
    .inputs({"k", "p"})
    .params<MultiSampleParam>()
    .setRandom()
    .inferShape(multiShape)
    .inferType(multiType)
    .compute(Context::kCPU, multiCompute<NegBinomial>);

IST_REGISTER_OP(_sample_generalized_negative_binomial)
    .alias("sample_generalized_negative_binomial")
    .describe("Draws `shape` generalized negative binomial samples for each element of mu (mean) and alpha "
              "(dispersion); output shape mu.shape + shape. Negative parameters give NaN.")
    .inputs({"mu", "alpha"})
    .params<MultiSampleParam>()
    .setRandom()
    .inferShape(multiShape)
    .inferType(multiType)
    .compute(Context::kCPU, multiCompute<GenNegBinomial>);

// ---- _sample_multinomial ----

// Params, checks and the category search are shared with the GPU kernels (multinomial_device.h).
using rnd::kMN;
using rnd::kMNB;
using rnd::MultinomialParam;
using rnd::pickCategory;

// Shared with the backward op, whose `ograds` are (sample indices, log-prob gradient).
void mnShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<MultinomialParam>();
  const char* op = opName(attrs, kMN);
  for (int64_t d : p.shape)
    IST_CHECK(d >= 0, op, "shape", "negative dimension " << d << " in shape " << shapeString(p.shape));
  const Shape& d = in[0];
  if (!shapeIsKnown(d)) return;
  IST_CHECK(!d.empty(), op, "data",
            "expects probabilities with the categories on the last axis (rank >= 1), got shape " << shapeString(d));
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < d.size(); ++i) rows *= d[i];
  IST_CHECK(d.back() >= 1 || (d.size() > 1 && rows == 0), op, "data",
            "needs at least one category on the last axis, got shape " << shapeString(d));
  if (p.dtype == "uint8")
    IST_CHECK(d.back() <= 256, op, "dtype",
              "uint8 samples cannot index " << d.back() << " categories (data shape " << shapeString(d) << ")");
  Shape o;
  if (d.size() == 1) {
    o = p.shape.empty() ? Shape{1} : p.shape;
  } else {
    o.assign(d.begin(), d.end() - 1);
    o.insert(o.end(), p.shape.begin(), p.shape.end());
  }
  out[0] = o;
  if (p.get_prob && out.size() > 1) out[1] = o;
}

void mnType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const auto& p = attrs.get<MultinomialParam>();
  const char* op = opName(attrs, kMN);
  if (in[0] >= 0)
    IST_CHECK(dtypeIsFloat(static_cast<DType>(in[0])), op, "data",
              "probabilities must be a float type, got " << dtypeName(static_cast<DType>(in[0])));
  out[0] = static_cast<int>(dtypeFromName(p.dtype, op));
  if (p.get_prob && out.size() > 1 && in[0] >= 0) out[1] = in[0];
}

// Cumulative sums of each row (double), after checking the probabilities.
std::vector<double> cumulative(const TBlob& data, int64_t N, int64_t K) {
  const std::vector<double> pr = asDoubles(data, kMN);
  std::vector<double> cum(pr.size());
  for (int64_t r = 0; r < N; ++r) {
    double acc = 0;
    for (int64_t c = 0; c < K; ++c) {
      const double v = pr[r * K + c];
      rnd::checkProbability(v, r, c, data.shape);
      acc += v;
      cum[r * K + c] = acc;
    }
    rnd::checkRowSum(acc, r, data.shape);
  }
  return cum;
}

template <typename T> inline void putValue(T* p, double v, OpReq req) {
  using C = typename ComputeType<T>::type;
  if (req == OpReq::kAddTo) *p = T(static_cast<C>(static_cast<double>(static_cast<C>(*p)) + v));
  else if (req != OpReq::kNull) *p = T(static_cast<C>(v));
}

void mnCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<MultinomialParam>();
  const TBlob& data = in[0];
  const int64_t K = data.shape.back(), total = out[0].size();
  if (total == 0 || K == 0) return;
  const int64_t N = data.size() / K, M = total / N;
  const std::vector<double> cum = cumulative(data, N, K);
  std::vector<int64_t> cat(static_cast<size_t>(total));
  const uint64_t key = ctx.rngKey, counter = ctx.rngCounter;
  parallelFor(total, 24, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      PhiloxStream st(key, counter + static_cast<uint64_t>(i));
      cat[static_cast<size_t>(i)] = pickCategory(cum.data() + (i / M) * K, K, st.uniformDouble());
    }
  });
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, S, kMN, {
    S* samples = out[0].data<S>();
    for (int64_t i = 0; i < total; ++i) putValue(samples + i, static_cast<double>(cat[static_cast<size_t>(i)]), req[0]);
  });
  if (!p.get_prob || req[1] == OpReq::kNull) return;
  // The log of the sampled category's probability as given (MXNet does not normalize it).
  const std::vector<double> pr = asDoubles(data, kMN);
  IST_TYPE_SWITCH_FLOAT(out[1].dtype, P, kMN, {
    P* lp = out[1].data<P>();
    for (int64_t i = 0; i < total; ++i)
      putValue(lp + i, std::log(pr[static_cast<size_t>((i / M) * K + cat[static_cast<size_t>(i)])]), req[1]);
  });
}

// _backward_sample_multinomial inputs: ograd (of the log probabilities), data, sample; output:
// d data, which adds ograd / data[sample] at each sampled category.
void mnBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  checkAgainstForward(kMNB, mnShape, attrs, {in[2], in[0]}, {in[1]});
  out[0] = in[1];
}

void mnBackwardType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const auto& p = attrs.get<MultinomialParam>();
  for (int i : {0, 1})
    if (in[i] >= 0)
      IST_CHECK(dtypeIsFloat(static_cast<DType>(in[i])), kMNB, i ? "data" : "ograd",
                "expects a float array, got " << dtypeName(static_cast<DType>(in[i])));
  if (in[0] >= 0 && in[1] >= 0)
    IST_CHECK(in[0] == in[1], kMNB, "ograd",
              "dtype " << dtypeName(static_cast<DType>(in[0])) << " differs from data's "
                       << dtypeName(static_cast<DType>(in[1])));
  const int st = static_cast<int>(dtypeFromName(p.dtype, kMNB));
  if (in[2] >= 0)
    IST_CHECK(in[2] == st, kMNB, "sample",
              "expects the " << p.dtype << " samples of " << kMN << ", got " << dtypeName(static_cast<DType>(in[2])));
  if (in[1] >= 0) out[0] = in[1];
}

void mnBackwardCompute(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const TBlob &og = in[0], &data = in[1], &smp = in[2];
  const int64_t K = data.shape.empty() ? 0 : data.shape.back(), total = og.size();
  const std::vector<double> pr = asDoubles(data, kMNB), g = asDoubles(og, kMNB);
  std::vector<double> grad(pr.size(), 0.0);
  if (total > 0 && K > 0) {
    const int64_t N = data.size() / K, M = total / N;
    std::vector<int64_t> cat(static_cast<size_t>(total));
    IST_TYPE_SWITCH_NUMERIC(smp.dtype, S, kMNB, {
      const S* sp = smp.data<S>();
      for (int64_t i = 0; i < total; ++i) {
        const double c = static_cast<double>(static_cast<typename ComputeType<S>::type>(sp[i]));
        rnd::checkSampleIndex(c, i, K, data.shape);
        cat[static_cast<size_t>(i)] = static_cast<int64_t>(c);
      }
    });
    for (int64_t i = 0; i < total; ++i) {  // samples in order: the sums do not depend on threads
      const size_t at = static_cast<size_t>((i / M) * K + cat[static_cast<size_t>(i)]);
      grad[at] += g[static_cast<size_t>(i)] / pr[at];
    }
  }
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, P, kMNB, {
    P* d = out[0].data<P>();
    for (size_t i = 0; i < grad.size(); ++i) putValue(d + i, grad[i], req[0]);
  });
}

IST_REGISTER_OP(_sample_multinomial)
    .alias("sample_multinomial")
    .describe("Concurrent sampling from multiple multinomial (categorical) distributions. data (..., k) holds "
              "probabilities over k categories on its last axis (rows are normalized by their sum when drawing); "
              "`shape` samples are drawn from each row, giving data.shape[:-1] + shape (shape, or (1,), for 1-D "
              "data). With get_prob=True a second output holds the log of each sampled category's probability, "
              "through which the gradient flows back to data (REINFORCE-style).\n\n"
              "Example: sample_multinomial([[0, 0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1, 0]], shape=(2,))")
    .inputs({"data"})
    .params<MultinomialParam>()
    .numOutputs([](const NodeAttrs& a) { return a.get<MultinomialParam>().get_prob ? 2 : 1; })
    .setRandom()
    .inferShape(mnShape)
    .inferType(mnType)
    .compute(Context::kCPU, mnCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      if (!n->attrs.get<MultinomialParam>().get_prob)
        return std::vector<NodeEntry>{makeEntry("zeros_like", {n->inputs[0]})};
      return std::vector<NodeEntry>{makeEntry(kMNB, {og[1], n->inputs[0], NodeEntry{n, 0}}, n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_sample_multinomial)
    .describe("Gradient of _sample_multinomial's log probabilities with respect to data.")
    .inputs({"ograd", "data", "sample"})
    .params<MultinomialParam>()
    .inferShape(mnBackwardShape)
    .inferType(mnBackwardType)
    .compute(Context::kCPU, mnBackwardCompute);

}  // namespace
}  // namespace more_samplers
}  // namespace ist
