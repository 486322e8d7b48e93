// Standalone checker for the reduction, broadcast, creation and random ops: runs each op's
// FCompute directly on TBlobs against test/fixtures/reduce.json (NumPy references), checks that
// results are bit-identical with 1 thread and with several threads chunked unevenly, checks
// error messages, the Philox known answers and the samplers' statistics.
//
// Build and run (from the repository root):
//   g++ -std=c++17 -O2 -pthread -Icore-cpp -Icore-cpp/include test/native/reduce_check.cpp
//     core-cpp/base/base.cc core-cpp/op/registry.cc core-cpp/ops/reduce/*.cc
//     core-cpp/ops/init/*.cc core-cpp/ops/random/*.cc [core-cpp/op/params.cc] -o /tmp/reduce_check
//   /tmp/reduce_check test/fixtures/reduce.json
// parallelFor is provided here (a stand-in that really runs threads, with chunk boundaries
// unlike the engine's); the param parsers are weak stand-ins, replaced by op/params.cc when
// it is linked.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "kernels/philox.h"
#include "op/registry.h"

namespace ist {

// ---- parallelFor stand-in: `gThreads` threads over uneven chunks ----
int gThreads = 1;
void parallelFor(int64_t n, int64_t, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (gThreads <= 1) { fn(0, n); return; }
  // Uneven boundaries: chunk k is about (k % 3 + 1) units long.
  std::vector<int64_t> bounds{0};
  int64_t units = 0, total = 0;
  int nChunks = static_cast<int>(std::min<int64_t>(n, gThreads * 3 + 1));
  for (int k = 0; k < nChunks; ++k) units += k % 3 + 1;
  for (int k = 0; k < nChunks; ++k) {
    total += k % 3 + 1;
    bounds.push_back(k + 1 == nChunks ? n : n * total / units);
  }
  std::atomic<int> next{0};
  auto work = [&]() {
    for (int k; (k = next++) < nChunks;)
      if (bounds[k] < bounds[k + 1]) fn(bounds[k], bounds[k + 1]);
  };
  std::vector<std::thread> ts;
  for (int t = 1; t < gThreads; ++t) ts.emplace_back(work);
  work();
  for (auto& t : ts) t.join();
}
int parallelThreads() { return gThreads; }

// ---- weak stand-ins for op/params.cc ----
namespace paramparse {
__attribute__((weak)) bool parseBool(const std::string& s, const char* op, const char* f) {
  if (s == "True" || s == "true" || s == "1") return true;
  if (s == "False" || s == "false" || s == "0") return false;
  throwError(op, f, "invalid boolean '" + s + "'");
}
__attribute__((weak)) int64_t parseInt(const std::string& s, const char* op, const char* f) {
  size_t pos = 0;
  int64_t v = 0;
  try { v = std::stoll(s, &pos); } catch (...) { pos = 0; }
  IST_CHECK(pos == s.size() && !s.empty(), op, f, "invalid integer '" << s << "'");
  return v;
}
__attribute__((weak)) double parseFloat(const std::string& s, const char* op, const char* f) {
  char* end = nullptr;
  double v = strtod(s.c_str(), &end);
  IST_CHECK(!s.empty() && *end == 0, op, f, "invalid number '" << s << "'");
  return v;
}
__attribute__((weak)) Shape parseShape(const std::string& s, const char* op, const char* f) {
  Shape r;
  std::string t;
  for (char c : s) if (c != ' ' && c != '(' && c != ')' && c != '[' && c != ']') t += c;
  std::stringstream ss(t);
  std::string item;
  while (std::getline(ss, item, ',')) if (!item.empty()) r.push_back(parseInt(item, op, f));
  return r;
}
__attribute__((weak)) std::string formatDouble(double v) {
  char buf[64];
  for (int p = 1; p <= 17; ++p) {
    snprintf(buf, sizeof(buf), "%.*g", p, v);
    if (strtod(buf, nullptr) == v) break;
  }
  return buf;
}
}  // namespace paramparse
}  // namespace ist

using namespace ist;

// ---- a small JSON reader (objects, arrays, strings, numbers, true/false/null) ----
struct J {
  enum Kind { kNull, kBool, kNum, kStr, kArr, kObj } kind = kNull;
  double num = 0;
  bool b = false;
  std::string str;
  std::vector<J> arr;
  std::vector<std::pair<std::string, J>> obj;
  const J& operator[](const std::string& k) const {
    static J none;
    for (auto& kv : obj) if (kv.first == k) return kv.second;
    return none;
  }
  bool has(const std::string& k) const {
    for (auto& kv : obj) if (kv.first == k) return true;
    return false;
  }
  double asNum() const {  // numbers, and the strings NaN/Infinity/-Infinity
    if (kind == kNum) return num;
    if (str == "NaN") return NAN;
    if (str == "Infinity") return INFINITY;
    if (str == "-Infinity") return -INFINITY;
    return 0;
  }
};

struct Parser {
  const std::string& s;
  size_t i = 0;
  void ws() { while (i < s.size() && isspace(static_cast<unsigned char>(s[i]))) ++i; }
  J parse() {
    ws();
    J j;
    char c = s[i];
    if (c == '{') {
      j.kind = J::kObj;
      ++i;
      ws();
      if (s[i] == '}') { ++i; return j; }
      for (;;) {
        ws();
        std::string k = parse().str;
        ws();
        ++i;  // ':'
        j.obj.emplace_back(k, parse());
        ws();
        if (s[i++] == '}') break;
      }
    } else if (c == '[') {
      j.kind = J::kArr;
      ++i;
      ws();
      if (s[i] == ']') { ++i; return j; }
      for (;;) {
        j.arr.push_back(parse());
        ws();
        if (s[i++] == ']') break;
      }
    } else if (c == '"') {
      j.kind = J::kStr;
      ++i;
      while (s[i] != '"') {
        if (s[i] == '\\') ++i;
        j.str += s[i++];
      }
      ++i;
    } else if (c == 't' || c == 'f') {
      j.kind = J::kBool;
      j.b = c == 't';
      i += j.b ? 4 : 5;
    } else if (c == 'n') {
      i += 4;
    } else {
      j.kind = J::kNum;
      char* end = nullptr;
      j.num = strtod(s.c_str() + i, &end);
      i = end - s.c_str();
    }
    return j;
  }
};

// ---- typed element access ----
double getAs(const TBlob& b, int64_t i) {
  double v = 0;
  IST_TYPE_SWITCH_ALL(b.dtype, DT, "check", v = static_cast<double>(static_cast<typename ComputeType<DT>::type>(b.data<DT>()[i])));
  return v;
}
void setFrom(const TBlob& b, int64_t i, double v) {
  IST_TYPE_SWITCH_ALL(b.dtype, DT, "check", {
    if constexpr (std::is_same_v<DT, half_t> || std::is_same_v<DT, bf16_t>) b.data<DT>()[i] = DT(static_cast<float>(v));
    else if constexpr (std::is_same_v<DT, bool>) b.data<DT>()[i] = v != 0;
    else if constexpr (std::is_integral_v<DT>) b.data<DT>()[i] = static_cast<DT>(static_cast<int64_t>(v));
    else b.data<DT>()[i] = static_cast<DT>(v);
  });
}

struct Buffer {
  std::vector<uint64_t> mem;
  TBlob blob;
  Buffer(const Shape& s, DType t) {
    blob.shape = s;
    blob.dtype = t;
    mem.assign(static_cast<size_t>(shapeSize(s)) * dtypeSize(t) / 8 + 1, 0);
    blob.dptr = mem.data();
  }
  size_t bytes() const { return static_cast<size_t>(blob.size()) * dtypeSize(blob.dtype); }
};

int gFailures = 0, gChecks = 0;
#define CHECK_THAT(cond, what)                                  \
  do {                                                          \
    ++gChecks;                                                  \
    if (!(cond)) {                                              \
      ++gFailures;                                              \
      std::printf("FAIL: %s\n", std::string(what).c_str());     \
    }                                                           \
  } while (0)

AttrDict attrsOf(const J& j) {
  AttrDict d;
  for (auto& kv : j.obj) d[kv.first] = kv.second.str;
  return d;
}

// Runs an op once: returns the outputs (shape/dtype from inference).
std::vector<std::unique_ptr<Buffer>> runOp(const Op& op, const AttrDict& dict, const std::vector<TBlob>& in,
                                           uint64_t counter = 0, OpReq req = OpReq::kWriteTo,
                                           const std::vector<std::unique_ptr<Buffer>>* initial = nullptr) {
  NodeAttrs attrs = op.parseAttrs(dict);
  std::vector<Shape> inS, outS(1, unknownShape());
  std::vector<int> inT, outT(1, -1);
  for (auto& b : in) { inS.push_back(b.shape); inT.push_back(static_cast<int>(b.dtype)); }
  op.inferShapeFn(attrs, inS, outS);
  op.inferTypeFn(attrs, inT, outT);
  std::vector<std::unique_ptr<Buffer>> out;
  out.push_back(std::make_unique<Buffer>(outS[0], static_cast<DType>(outT[0])));
  if (initial) std::memcpy(out[0]->blob.dptr, (*initial)[0]->blob.dptr, out[0]->bytes());
  OpContext ctx;
  ctx.rngKey = 42;
  ctx.rngCounter = counter;
  (*op.computeFor(Context::kCPU))(attrs, ctx, in, {req}, {out[0]->blob});
  return out;
}

bool close(double got, double want, double rtol) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= rtol * std::fabs(want) + (rtol > 0 ? 1e-6 : 0.0);
}

void checkCase(const J& c) {
  const std::string name = c["name"].str;
  const Op* op = OpRegistry::find(c["op"].str);
  CHECK_THAT(op != nullptr, "unknown op " + c["op"].str);
  if (!op) return;
  std::vector<std::unique_ptr<Buffer>> inputs;
  std::vector<TBlob> blobs;
  for (auto& ij : c["inputs"].arr) {
    Shape s;
    for (auto& d : ij["shape"].arr) s.push_back(static_cast<int64_t>(d.num));
    auto b = std::make_unique<Buffer>(s, dtypeFromName(ij["dtype"].str));
    for (int64_t i = 0; i < b->blob.size(); ++i) {
      double v = ij.has("gen") ? static_cast<double>((i * 7919) % 2001 - 1000) / 64.0 : ij["data"].arr[i].asNum();
      setFrom(b->blob, i, v);
    }
    blobs.push_back(b->blob);
    inputs.push_back(std::move(b));
  }
  const J& want = c["output"];
  const double rtol = c["rtol"].num;
  try {
    gThreads = 1;
    auto serial = runOp(*op, attrsOf(c["attrs"]), blobs);
    gThreads = 4;
    auto threaded = runOp(*op, attrsOf(c["attrs"]), blobs);
    gThreads = 1;
    const TBlob& o = serial[0]->blob;
    Shape ws;
    for (auto& d : want["shape"].arr) ws.push_back(static_cast<int64_t>(d.num));
    CHECK_THAT(o.shape == ws, name + ": shape " + shapeString(o.shape) + " want " + shapeString(ws));
    CHECK_THAT(o.dtype == dtypeFromName(want["dtype"].str),
               name + ": dtype " + dtypeName(o.dtype) + " want " + want["dtype"].str);
    if (o.shape != ws || o.dtype != dtypeFromName(want["dtype"].str)) return;
    int bad = 0;
    for (int64_t i = 0; i < o.size(); ++i) {
      double g = getAs(o, i), w = want["data"].arr[i].asNum();
      if (!close(g, w, rtol)) {
        if (bad++ < 3) std::printf("  %s [%lld]: got %.9g want %.9g\n", name.c_str(), (long long)i, g, w);
      }
    }
    CHECK_THAT(bad == 0, name + ": values differ from NumPy");
    CHECK_THAT(std::memcmp(serial[0]->blob.dptr, threaded[0]->blob.dptr, serial[0]->bytes()) == 0,
               name + ": 1 thread and 4 threads differ");
    // kAddTo accumulates onto what the output held (ops with inputs; random ops excluded).
    if (!op->random && o.size() > 0 && o.dtype != DType::kBool) {
      auto twice = runOp(*op, attrsOf(c["attrs"]), blobs, 0, OpReq::kAddTo, &serial);
      int badAdd = 0;
      for (int64_t i = 0; i < o.size(); ++i) {
        double w = want["data"].arr[i].asNum();
        double tol = o.dtype == DType::kFloat16 || o.dtype == DType::kBFloat16 ? 1e-2 : std::max(rtol, 1e-6);
        if (std::isfinite(w) && dtypeIsFloat(o.dtype) && !close(getAs(twice[0]->blob, i), 2 * w, tol)) ++badAdd;
      }
      CHECK_THAT(badAdd == 0, name + ": kAddTo did not accumulate");
    }
  } catch (const std::exception& e) {
    CHECK_THAT(false, name + ": threw " + e.what());
  }
}

void checkError(const J& c) {
  const Op* op = OpRegistry::find(c["op"].str);
  std::vector<std::unique_ptr<Buffer>> inputs;
  std::vector<TBlob> blobs;
  for (auto& ij : c["inputs"].arr) {
    Shape s;
    for (auto& d : ij["shape"].arr) s.push_back(static_cast<int64_t>(d.num));
    inputs.push_back(std::make_unique<Buffer>(s, dtypeFromName(ij["dtype"].str)));
    blobs.push_back(inputs.back()->blob);
  }
  std::string msg;
  try {
    runOp(*op, attrsOf(c["attrs"]), blobs);
  } catch (const IsotensorError& e) {
    msg = e.what();
  }
  bool ok = !msg.empty();
  for (auto& m : c["match"].arr) ok = ok && msg.find(m.str) != std::string::npos;
  CHECK_THAT(ok, "error case " + c["op"].str + ": message '" + msg + "'");
}

// ---- random ops ----
std::vector<double> sample(const std::string& opName, const AttrDict& dict, uint64_t counter = 0) {
  auto out = runOp(OpRegistry::get(opName), dict, {}, counter);
  std::vector<double> v(static_cast<size_t>(out[0]->blob.size()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = getAs(out[0]->blob, static_cast<int64_t>(i));
  return v;
}

void moments(const std::vector<double>& v, double* mean, double* var) {
  double s = 0, s2 = 0;
  for (double x : v) s += x;
  *mean = s / v.size();
  for (double x : v) s2 += (x - *mean) * (x - *mean);
  *var = s2 / (v.size() - 1);
}

void checkRandom(const J& philox) {
  for (auto& k : philox["kat"].arr) {
    auto c = k["counter"].arr;
    auto key = k["key"].arr;
    PhiloxBlock b = philox4x32_10((uint32_t)c[0].num, (uint32_t)c[1].num, (uint32_t)c[2].num, (uint32_t)c[3].num,
                                  (uint32_t)key[0].num, (uint32_t)key[1].num);
    bool same = true;
    for (int i = 0; i < 4; ++i) same = same && b.w[i] == (uint32_t)k["words"].arr[i].num;
    CHECK_THAT(same, "Philox4x32-10 known-answer vector");
  }
  // The first uniforms and normals for key 42, counter 0 match the Python reference.
  auto u = sample("_random_uniform", {{"shape", "(8,)"}});
  auto n = sample("_random_normal", {{"shape", "(8,)"}});
  for (int i = 0; i < 8; ++i) {
    CHECK_THAT(u[i] == philox["key42_uniform_float32"].arr[i].num, "uniform stream value " + std::to_string(i));
    CHECK_THAT(close(n[i], philox["key42_normal_float32"].arr[i].num, 1e-6), "normal stream value " + std::to_string(i));
  }
  // Element i uses counter rngCounter + i: a call at counter 3 continues the same stream.
  auto u3 = sample("_random_uniform", {{"shape", "(5,)"}}, 3);
  for (int i = 0; i < 5; ++i) CHECK_THAT(u3[i] == u[i + 3], "uniform counter offset");
  // Thread count never changes the numbers.
  for (const char* op : {"_random_uniform", "_random_normal", "_random_gamma", "_random_poisson"}) {
    gThreads = 1;
    auto a = sample(op, {{"shape", "(3000,)"}, {"dtype", "float64"}});
    gThreads = 4;
    auto b = sample(op, {{"shape", "(3000,)"}, {"dtype", "float64"}});
    gThreads = 1;
    CHECK_THAT(a == b, std::string(op) + ": 1 thread and 4 threads differ");
  }
  double m, v;
  auto uu = sample("_random_uniform", {{"low", "-2"}, {"high", "3"}, {"shape", "(200000,)"}});
  moments(uu, &m, &v);
  CHECK_THAT(*std::min_element(uu.begin(), uu.end()) >= -2 && *std::max_element(uu.begin(), uu.end()) < 3,
             "uniform range");
  CHECK_THAT(std::fabs(m - 0.5) < 0.02 && std::fabs(v - 25.0 / 12) < 0.03, "uniform moments");
  for (const char* dt : {"float32", "float64", "float16"}) {
    auto nn = sample("_random_normal", {{"loc", "1"}, {"scale", "2"}, {"shape", "(200000,)"}, {"dtype", dt}});
    moments(nn, &m, &v);
    CHECK_THAT(std::fabs(m - 1) < 0.02 && std::fabs(v - 4) < 0.06, std::string("normal moments ") + dt);
  }
  auto ee = sample("_random_exponential", {{"lam", "4"}, {"shape", "(200000,)"}});
  moments(ee, &m, &v);
  CHECK_THAT(std::fabs(m - 0.25) < 0.005 && std::fabs(v - 0.0625) < 0.003, "exponential moments");
  for (auto [alpha, beta] : {std::pair<double, double>{9, 0.5}, {0.4, 2.0}, {1.0, 1.0}}) {
    auto gg = sample("_random_gamma", {{"alpha", std::to_string(alpha)}, {"beta", std::to_string(beta)},
                                       {"shape", "(200000,)"}, {"dtype", "float64"}});
    moments(gg, &m, &v);
    CHECK_THAT(std::fabs(m - alpha * beta) < 0.02 * alpha * beta + 0.01 &&
                   std::fabs(v - alpha * beta * beta) < 0.05 * alpha * beta * beta,
               "gamma moments alpha=" + std::to_string(alpha));
  }
  for (double lam : {0.5, 3.0, 50.0, 1000.0}) {
    auto pp = sample("_random_poisson", {{"lam", std::to_string(lam)}, {"shape", "(200000,)"}});
    moments(pp, &m, &v);
    bool integral = true;
    for (double x : pp) integral = integral && x == std::floor(x) && x >= 0;
    CHECK_THAT(integral && std::fabs(m - lam) < 0.02 * lam + 0.01 && std::fabs(v - lam) < 0.05 * lam + 0.02,
               "poisson moments lam=" + std::to_string(lam));
  }
  auto ri = sample("_random_randint", {{"low", "-3"}, {"high", "4"}, {"shape", "(70000,)"}});
  std::map<int, int> counts;
  for (double x : ri) counts[static_cast<int>(x)]++;
  bool even = counts.size() == 7;
  for (auto& kv : counts) even = even && kv.first >= -3 && kv.first < 4 && std::abs(kv.second - 10000) < 500;
  CHECK_THAT(even, "randint covers [-3, 4) evenly");
  auto big = runOp(OpRegistry::get("_random_randint"),
                   {{"low", "-4000000000000"}, {"high", "9000000000000000000"}, {"shape", "(1000,)"}, {"dtype", "int64"}}, {});
  CHECK_THAT(big[0]->blob.dtype == DType::kInt64, "randint int64 dtype");
  bool inRange = true, negSeen = false;
  for (int64_t i = 0; i < 1000; ++i) {
    int64_t x = big[0]->blob.data<int64_t>()[i];
    inRange = inRange && x >= -4000000000000LL && x < 9000000000000000000LL;
    negSeen = negSeen || x < 0;
  }
  CHECK_THAT(inRange, "randint int64 range");
  auto def = runOp(OpRegistry::get("_random_randint"), {{"low", "0"}, {"high", "5"}, {"shape", "(2,)"}}, {});
  CHECK_THAT(def[0]->blob.dtype == DType::kInt32, "randint defaults to int32");

  // Array-parameter samplers: output = param shape + shape; same stream as the scalar ops.
  {
    Buffer lo(Shape{2}, DType::kFloat32), hi(Shape{2}, DType::kFloat32);
    lo.blob.data<float>()[0] = 0; lo.blob.data<float>()[1] = 10;
    hi.blob.data<float>()[0] = 1; hi.blob.data<float>()[1] = 10;
    auto ms = runOp(OpRegistry::get("_sample_uniform"), {{"shape", "(4,)"}}, {lo.blob, hi.blob});
    CHECK_THAT(ms[0]->blob.shape == (Shape{2, 4}), "_sample_uniform shape");
    bool same = true, fixed = true;
    for (int i = 0; i < 4; ++i) {
      same = same && ms[0]->blob.data<float>()[i] == static_cast<float>(u[i]);
      fixed = fixed && ms[0]->blob.data<float>()[4 + i] == 10.0f;
    }
    CHECK_THAT(same && fixed, "_sample_uniform follows the scalar stream and its parameters");
    Buffer mu(Shape{3}, DType::kFloat64), sigma(Shape{3}, DType::kFloat64);
    for (int i = 0; i < 3; ++i) { mu.blob.data<double>()[i] = i * 100; sigma.blob.data<double>()[i] = 1; }
    auto mn = runOp(OpRegistry::get("_sample_normal"), {{"shape", "(2000,)"}}, {mu.blob, sigma.blob});
    bool centred = mn[0]->blob.dtype == DType::kFloat32 && mn[0]->blob.shape == (Shape{3, 2000});
    for (int r = 0; r < 3 && centred; ++r) {
      double s = 0;
      for (int i = 0; i < 2000; ++i) s += mn[0]->blob.data<float>()[r * 2000 + i];
      centred = std::fabs(s / 2000 - r * 100) < 0.15;
    }
    CHECK_THAT(centred, "_sample_normal per-row means");
    Buffer lam(Shape{2}, DType::kFloat32);
    lam.blob.data<float>()[0] = NAN; lam.blob.data<float>()[1] = -1;
    auto pz = runOp(OpRegistry::get("_sample_poisson"), {{"shape", "(3,)"}}, {lam.blob});
    auto gz = runOp(OpRegistry::get("_sample_gamma"), {{"shape", "(3,)"}}, {lam.blob, lam.blob});
    CHECK_THAT(std::isnan(getAs(pz[0]->blob, 0)) && std::isnan(getAs(gz[0]->blob, 5)),
               "invalid array parameters give NaN instead of looping");
  }

  // shuffle: a permutation of rows, deterministic, rows intact, in place allowed.
  Buffer rows(Shape{50, 3}, DType::kFloat32);
  for (int64_t i = 0; i < 150; ++i) rows.blob.data<float>()[i] = static_cast<float>(i);
  const Op& sh = OpRegistry::get("_shuffle");
  auto s1 = runOp(sh, {}, {rows.blob}, 7);
  auto s2 = runOp(sh, {}, {rows.blob}, 7);
  auto s3 = runOp(sh, {}, {rows.blob}, 8);
  CHECK_THAT(std::memcmp(s1[0]->blob.dptr, s2[0]->blob.dptr, s1[0]->bytes()) == 0, "shuffle deterministic");
  CHECK_THAT(std::memcmp(s1[0]->blob.dptr, s3[0]->blob.dptr, s1[0]->bytes()) != 0, "shuffle depends on counter");
  std::vector<int> seen(50, 0);
  bool intact = true;
  for (int r = 0; r < 50; ++r) {
    const float* p = s1[0]->blob.data<float>() + r * 3;
    int src = static_cast<int>(p[0]) / 3;
    intact = intact && p[1] == p[0] + 1 && p[2] == p[0] + 2 && static_cast<int>(p[0]) % 3 == 0;
    if (src >= 0 && src < 50) seen[src]++;
  }
  CHECK_THAT(intact && std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }),
             "shuffle permutes whole rows");
  Buffer inplace(Shape{50, 3}, DType::kFloat32);
  std::memcpy(inplace.blob.dptr, rows.blob.dptr, rows.bytes());
  OpContext ctx;
  ctx.rngKey = 42;
  ctx.rngCounter = 7;
  NodeAttrs a = sh.parseAttrs({});
  (*sh.computeFor(Context::kCPU))(a, ctx, {inplace.blob}, {OpReq::kWriteInplace}, {inplace.blob});
  CHECK_THAT(std::memcmp(inplace.blob.dptr, s1[0]->blob.dptr, rows.bytes()) == 0, "shuffle in place");
  // Fisher-Yates fairness: each value lands in each position about equally often.
  Buffer small(Shape{4}, DType::kInt32);
  for (int i = 0; i < 4; ++i) small.blob.data<int32_t>()[i] = i;
  std::vector<int> pos(16, 0);
  for (int t = 0; t < 8000; ++t) {
    auto s = runOp(sh, {}, {small.blob}, static_cast<uint64_t>(t) * 4);
    for (int p = 0; p < 4; ++p) pos[p * 4 + s[0]->blob.data<int32_t>()[p]]++;
  }
  CHECK_THAT(std::all_of(pos.begin(), pos.end(), [](int c) { return std::abs(c - 2000) < 200; }),
             "shuffle is uniform");
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "test/fixtures/reduce.json";
  std::ifstream f(path);
  if (!f) { std::printf("cannot open %s\n", path); return 2; }
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  Parser p{text};
  J root = p.parse();
  for (auto& c : root["cases"].arr) checkCase(c);
  for (auto& c : root["errors"].arr) checkError(c);
  checkRandom(root["philox"]);
  std::printf("%d checks, %d failures (%zu cases, %zu error cases)\n", gChecks, gFailures, root["cases"].arr.size(),
              root["errors"].arr.size());
  return gFailures == 0 ? 0 : 1;
}
