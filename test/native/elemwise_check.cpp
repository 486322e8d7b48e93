// Standalone check of the elementwise ops: runs every registered op's inference and CPU compute on
// TBlobs against test/fixtures/elemwise.json (NumPy), with write, accumulate and in-place
// requests, plus large randomised broadcast / dtype cases against a naive reference.
//
// Build and run from the repository root:
//
//   g++ -std=c++17 -O2 -pthread -Icore-cpp -Icore-cpp/include test/native/elemwise_check.cpp
//       core-cpp/base/base.cc core-cpp/op/registry.cc core-cpp/op/params.cc
//       core-cpp/ops/elemwise/*.cc core-cpp/engine/{engine,threaded_engine,naive_engine}.cc
//       core-cpp/engine/{thread_pool,parallel_for}.cc -o /tmp/elemwise_check
//   /tmp/elemwise_check test/fixtures/elemwise.json
//
// -DIST_ELEMWISE_SPLIT_PARALLEL_FOR (without the engine files) swaps in a parallelFor that
// splits every loop into uneven chunks on threads, to exercise chunk boundaries.
// -DIST_ELEMWISE_EXPECT_GPU plus the object of kernels/cuda/elemwise.cu and -lcudart_static
// also checks that every op got its GPU compute. WASM: the same sources with
// `em++ -O2 -msimd128 -fexceptions -sALLOW_MEMORY_GROWTH -sNODERAWFS -o /tmp/check.js`, run with
// `node --no-experimental-fetch /tmp/check.js test/fixtures/elemwise.json` (emscripten 3.1.6
// trips over Node 20's fetch).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "op/registry.h"
#include "ops/elemwise/functors.h"

using namespace ist;

// ---- a parallelFor that always splits ---------------------------------------------------------
#ifdef IST_ELEMWISE_SPLIT_PARALLEL_FOR
namespace ist {
// Splits into up to 4 uneven chunks on threads whenever it can, to exercise chunk boundaries.
void parallelFor(int64_t n, int64_t, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t k = n < 4 ? n : 4;
  std::vector<int64_t> cut(k + 1);
  for (int64_t c = 0; c <= k; ++c) cut[c] = n * c * c / (k * k);
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  for (int64_t c = 0; c < k; ++c) {
    if (cut[c + 1] > cut[c]) fn(cut[c], cut[c + 1]);
  }
#else
  std::vector<std::thread> threads;
  for (int64_t c = 0; c + 1 < k; ++c) {
    if (cut[c + 1] > cut[c]) threads.emplace_back(fn, cut[c], cut[c + 1]);
  }
  if (cut[k] > cut[k - 1]) fn(cut[k - 1], cut[k]);
  for (auto& t : threads) t.join();
#endif
}
int parallelThreads() { return 4; }
}  // namespace ist
#endif

// ---- a small JSON reader -----------------------------------------------------------------------
struct Json {
  enum Kind { kNull, kBool, kNum, kStr, kArr, kObj } kind = kNull;
  double num = 0;
  bool b = false;
  std::string str;
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;
  const Json& operator[](const std::string& k) const {
    static Json none;
    for (auto& kv : obj) if (kv.first == k) return kv.second;
    return none;
  }
};

struct JsonReader {
  const std::string& s;
  size_t p = 0;
  void ws() { while (p < s.size() && isspace((unsigned char)s[p])) ++p; }
  Json value() {
    ws();
    Json j;
    char c = s[p];
    if (c == '{') {
      j.kind = Json::kObj;
      ++p; ws();
      if (s[p] == '}') { ++p; return j; }
      for (;;) {
        ws();
        std::string k = value().str;
        ws(); ++p;  // ':'
        j.obj.emplace_back(k, value());
        ws();
        if (s[p++] == '}') break;
      }
    } else if (c == '[') {
      j.kind = Json::kArr;
      ++p; ws();
      if (s[p] == ']') { ++p; return j; }
      for (;;) {
        j.arr.push_back(value());
        ws();
        if (s[p++] == ']') break;
      }
    } else if (c == '"') {
      j.kind = Json::kStr;
      ++p;
      while (s[p] != '"') {
        if (s[p] == '\\') ++p;
        j.str += s[p++];
      }
      ++p;
    } else if (s.compare(p, 4, "true") == 0) { j.kind = Json::kBool; j.b = true; p += 4; }
    else if (s.compare(p, 5, "false") == 0) { j.kind = Json::kBool; p += 5; }
    else if (s.compare(p, 4, "null") == 0) { p += 4; }
    else {
      j.kind = Json::kNum;
      char* end = nullptr;
      j.num = strtod(s.c_str() + p, &end);
      p = end - s.c_str();
    }
    return j;
  }
};

// ---- arrays as TBlobs --------------------------------------------------------------------------
struct Array {
  std::shared_ptr<std::vector<uint64_t>> mem;  // 8-byte aligned storage
  TBlob blob;
  Array(const Shape& shape, DType dtype) {
    blob.shape = shape;
    blob.dtype = dtype;
    size_t bytes = size_t(shapeSize(shape)) * dtypeSize(dtype);
    mem = std::make_shared<std::vector<uint64_t>>(bytes / 8 + 2, 0xdeadbeefdeadbeefull);
    blob.dptr = mem->data();
  }
  int64_t size() const { return blob.size(); }
  double get(int64_t i) const {
    IST_TYPE_SWITCH_ALL(blob.dtype, T, "get", { return convert<double>(blob.data<T>()[i]); });
    return 0;
  }
  void set(int64_t i, double v) {
    IST_TYPE_SWITCH_ALL(blob.dtype, T, "set", { blob.data<T>()[i] = convert<T>(v); });
  }
};

double jsonNumber(const Json& j) {
  if (j.kind == Json::kStr) {
    if (j.str == "nan") return NAN;
    return j.str == "inf" ? INFINITY : -INFINITY;
  }
  return j.num;
}

Array fromJson(const Json& j) {
  Shape shape;
  for (auto& d : j["shape"].arr) shape.push_back(int64_t(d.num));
  Array a(shape, dtypeFromName(j["dtype"].str));
  for (int64_t i = 0; i < a.size(); ++i) a.set(i, jsonNumber(j["data"].arr[i]));
  return a;
}

std::string jsonAttr(const Json& v) {
  if (v.kind == Json::kBool) return v.b ? "True" : "False";
  if (v.kind == Json::kStr) return v.str;
  return paramparse::formatDouble(v.num);
}

// ---- running ops ----------------------------------------------------------------------------
int gFailures = 0, gChecks = 0;

void fail(const std::string& what) {
  ++gFailures;
  if (gFailures <= 60) fprintf(stderr, "FAIL %s\n", what.c_str());
}

// Infers shape and dtype, allocates the output and runs the CPU compute with `req`.
Array runOp(const std::string& name, const AttrDict& params, std::vector<Array> ins,
            OpReq req = OpReq::kWriteTo, const Array* init = nullptr, bool inplace = false) {
  const Op& op = OpRegistry::get(name);
  NodeAttrs attrs = op.parseAttrs(params);
  std::vector<Shape> ishapes, oshapes{unknownShape()};
  std::vector<int> itypes, otypes{-1};
  for (auto& a : ins) { ishapes.push_back(a.blob.shape); itypes.push_back(int(a.blob.dtype)); }
  op.inferShapeFn(attrs, ishapes, oshapes);
  op.inferTypeFn(attrs, itypes, otypes);
  Array out(oshapes[0], DType(otypes[0]));
  const size_t bytes = size_t(out.size()) * dtypeSize(out.blob.dtype);
  if (init) std::memcpy(out.blob.dptr, init->blob.dptr, bytes);
  std::vector<TBlob> in;
  for (auto& a : ins) in.push_back(a.blob);
  if (inplace) {
    std::memcpy(out.blob.dptr, in[0].dptr, bytes);
    in[0].dptr = out.blob.dptr;
  }
  const FCompute* f = op.computeFor(Context::kCPU);
  if (!f) throwError(name, "", "no CPU compute");
  (*f)(attrs, OpContext{}, in, {req}, {out.blob});
  return out;
}

bool isFloat(DType t) { return dtypeIsFloat(t); }

bool close(double got, double want, double rtol, double atol, DType t) {
  if (!isFloat(t)) return got == want;
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= atol + rtol * std::fabs(want);
}

void compare(const std::string& what, const Array& got, const Array& want, double rtol,
             double atol) {
  ++gChecks;
  if (got.blob.shape != want.blob.shape) {
    fail(what + ": shape " + shapeString(got.blob.shape) + " != " + shapeString(want.blob.shape));
    return;
  }
  if (got.blob.dtype != want.blob.dtype) {
    fail(what + ": dtype " + dtypeName(got.blob.dtype) + " != " + dtypeName(want.blob.dtype));
    return;
  }
  for (int64_t i = 0; i < got.size(); ++i) {
    if (!close(got.get(i), want.get(i), rtol, atol, got.blob.dtype)) {
      std::ostringstream os;
      os.precision(10);
      os << what << ": element " << i << " got " << got.get(i) << " want " << want.get(i);
      fail(os.str());
      return;
    }
  }
}

void runFixtures(const std::string& path) {
  std::ifstream f(path);
  if (!f) { fail("cannot read " + path); return; }
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  JsonReader r{text};
  Json root = r.value();
  int n = 0;
  for (const Json& c : root["cases"].arr) {
    ++n;
    const std::string name = c["name"].str, opName = c["op"].str;
    AttrDict params;
    for (auto& kv : c["params"].obj) params[kv.first] = jsonAttr(kv.second);
    std::vector<Array> ins;
    for (auto& j : c["inputs"].arr) ins.push_back(fromJson(j));
    Array want = fromJson(c["output"]);
    const double rtol = c["rtol"].num, atol = c["atol"].num;
    try {
      compare(name + " [write]", runOp(opName, params, ins), want, rtol, atol);
      if (want.blob.dtype != DType::kBool && want.size() > 0) {
        // kAddTo onto 1.5 (floats) or 1 (integers): expect want + that.
        Array init(want.blob.shape, want.blob.dtype), want2(want.blob.shape, want.blob.dtype);
        const double base = isFloat(want.blob.dtype) ? 1.5 : 1;
        for (int64_t i = 0; i < want.size(); ++i) {
          init.set(i, base);
          want2.set(i, want.get(i) + base);
        }
        const double addTol = want.blob.dtype == DType::kFloat16 ? 2e-3 : rtol;
        compare(name + " [addto]", runOp(opName, params, ins, OpReq::kAddTo, &init), want2,
                addTol, atol);
      }
      const Op& op = OpRegistry::get(opName);
      bool canInplace = false;
      for (auto& pr : op.inplacePairs) canInplace |= pr == std::make_pair(0, 0);
      if (canInplace && ins[0].blob.shape == want.blob.shape &&
          ins[0].blob.dtype == want.blob.dtype) {
        Array got = runOp(opName, params, ins, OpReq::kWriteInplace, nullptr, true);
        compare(name + " [inplace]", got, want, rtol, atol);
      }
    } catch (const IsotensorError& e) {
      fail(name + ": threw " + e.what());
    }
  }
  printf("fixtures: %d cases from %s\n", n, path.c_str());
}

// ---- error messages -------------------------------------------------------------------------
void expectError(const std::string& what, const std::function<void()>& fn,
                 const std::string& needle) {
  ++gChecks;
  try {
    fn();
    fail(what + ": no error");
  } catch (const IsotensorError& e) {
    if (std::string(e.what()).find(needle) == std::string::npos) {
      fail(what + ": message '" + e.what() + "' lacks '" + needle + "'");
    }
  }
}

void runErrorChecks() {
  auto f32 = [](Shape s) { return Array(s, DType::kFloat32); };
  expectError("broadcast_add shapes", [&] { runOp("broadcast_add", {}, {f32({2, 3}), f32({4})}); },
              "broadcast_add: argument 'rhs': shapes (2,3) and (4,) cannot be broadcast together");
  expectError("elemwise_add shapes", [&] { runOp("elemwise_add", {}, {f32({2, 3}), f32({3, 2})}); },
              "elemwise_add: argument 'rhs': shapes (2,3) and (3,2) differ");
  expectError("elemwise_mul dtypes",
              [&] { runOp("elemwise_mul", {}, {f32({2}), Array({2}, DType::kInt32)}); },
              "elemwise_mul: argument 'rhs': dtypes float32 and int32 differ");
  expectError("broadcast_sub dtypes",
              [&] { runOp("broadcast_sub", {}, {Array({2}, DType::kFloat64), f32({1})}); },
              "dtypes float64 and float32 differ");
  expectError("exp on bool", [&] { runOp("exp", {}, {Array({2}, DType::kBool)}); },
              "exp: argument 'dtype': dtype bool is not supported");
  expectError("where condition",
              [&] { runOp("where", {}, {f32({3}), f32({2, 3}), f32({2, 3})}); },
              "where: argument 'condition'");
  expectError("where x/y", [&] { runOp("where", {}, {f32({2}), f32({2, 3}), f32({2, 2})}); },
              "where: argument 'y': shapes (2,3) and (2,2) differ");
  expectError("Cast dtype", [&] { runOp("Cast", {{"dtype", "float128"}}, {f32({2})}); },
              "Cast: argument 'dtype': invalid value 'float128'");
  expectError("clip missing a_max", [&] { runOp("clip", {{"a_min", "0"}}, {f32({2})}); },
              "clip: argument 'a_max': required parameter is missing");
  expectError("scalar unknown param", [&] { runOp("_plus_scalar", {{"scalr", "1"}}, {f32({2})}); },
              "_plus_scalar: argument 'scalr': unknown parameter");
}

// ---- randomised large cases against a naive reference ----------------------------------------
std::mt19937 gRng(1234);

Array randomArray(const Shape& s, DType t, double lo, double hi) {
  Array a(s, t);
  std::uniform_real_distribution<double> u(lo, hi);
  for (int64_t i = 0; i < a.size(); ++i) a.set(i, dtypeIsFloat(t) ? u(gRng) : std::floor(u(gRng)));
  return a;
}

// Element of `a` (shape sa) read at output coordinates `coord` (NumPy broadcasting).
int64_t bcastIndex(const Shape& sa, const Shape& so, const std::vector<int64_t>& coord) {
  int64_t idx = 0;
  const size_t off = so.size() - sa.size();
  for (size_t d = 0; d < sa.size(); ++d) idx = idx * sa[d] + (sa[d] == 1 ? 0 : coord[d + off]);
  return idx;
}

template <typename OP, typename T>
void checkBroadcast(const char* opName, const Shape& sa, const Shape& sb, double lo, double hi) {
  const DType t = DTypeOf<T>::value;
  Array a = randomArray(sa, t, lo, hi), b = randomArray(sb, t, lo, hi);
  Array got = runOp(opName, {}, {a, b});
  const Shape so = broadcastShapes(sa, sb, opName);
  Array want(so, t);
  std::vector<int64_t> coord(so.size(), 0);
  for (int64_t i = 0; i < want.size(); ++i) {
    int64_t rest = i;
    for (size_t d = so.size(); d-- > 0;) { coord[d] = rest % so[d]; rest /= so[d]; }
    using CT = typename ComputeType<T>::type;
    const T va = a.blob.data<T>()[bcastIndex(sa, so, coord)];
    const T vb = b.blob.data<T>()[bcastIndex(sb, so, coord)];
    want.blob.data<T>()[i] = T(OP::Map(CT(va), CT(vb)));
  }
  compare(std::string(opName) + " " + shapeString(sa) + "+" + shapeString(sb) + " " +
              dtypeName(t), got, want, 0, 0);
}

Shape randomShape(int maxRank, int maxDim) {
  std::uniform_int_distribution<int> r(0, maxRank), d(1, maxDim);
  Shape s(r(gRng));
  for (auto& x : s) x = d(gRng);
  return s;
}

void runRandomChecks() {
  // Random geometries: out shape, each operand keeps or broadcasts each dim, drops leading dims.
  std::uniform_int_distribution<int> coin(0, 2);
  for (int k = 0; k < 300; ++k) {
    Shape so = randomShape(6, 4);
    Shape sa = so, sb = so;
    for (size_t d = 0; d < so.size(); ++d) {
      if (coin(gRng) == 0) sa[d] = 1;
      if (coin(gRng) == 0) sb[d] = 1;
    }
    const size_t drop = std::uniform_int_distribution<size_t>(0, sa.size())(gRng) / 2;
    sa.erase(sa.begin(), sa.begin() + drop);
    switch (k % 5) {
      case 0: checkBroadcast<elem::minus, float>("broadcast_sub", sa, sb, -5, 5); break;
      case 1: checkBroadcast<elem::div, int32_t>("broadcast_div", sb, sa, -9, 9); break;
      case 2: checkBroadcast<elem::mod, int64_t>("broadcast_mod", sa, sb, -20, 20); break;
      case 3: checkBroadcast<elem::gt, half_t>("broadcast_greater", sa, sb, -3, 3); break;
      case 4: checkBroadcast<elem::power, double>("broadcast_power", sb, sa, 0.5, 2); break;
    }
  }
  // Large, multi-chunk cases (rows, columns, outer products, scalars, long inner rows).
  checkBroadcast<elem::minus, float>("broadcast_sub", {300, 257}, {257}, -5, 5);
  checkBroadcast<elem::minus, float>("broadcast_sub", {300, 1}, {1, 257}, -5, 5);
  checkBroadcast<elem::minus, float>("broadcast_sub", {257, 300}, {257, 1}, -5, 5);
  checkBroadcast<elem::minus, float>("broadcast_sub", {}, {100003}, -5, 5);
  checkBroadcast<elem::minus, float>("broadcast_sub", {100003}, {1}, -5, 5);
  checkBroadcast<elem::plus, half_t>("broadcast_add", {1000, 3}, {1000, 1}, -5, 5);
  checkBroadcast<elem::plus, bf16_t>("broadcast_add", {5, 1, 2000}, {1, 3, 2000}, -5, 5);
  checkBroadcast<elem::mul, uint8_t>("broadcast_mul", {3, 70000}, {70000}, 0, 255);
  checkBroadcast<elem::maximum, int16_t>("_maximum", {50001}, {50001}, -300, 300);
  checkBroadcast<elem::hypot, uint16_t>("broadcast_hypot", {7, 1, 900}, {1, 11, 1}, 0, 300);
  checkBroadcast<elem::logical_xor, bool>("broadcast_logical_xor", {64, 1}, {1, 65}, 0, 2);

  // Unary ops on long arrays (half/bfloat16 go through float blocks, integer math through
  // double blocks): compare with the functor applied element by element.
  auto unary = [](const char* op, auto functor, DType t, int64_t n, double lo, double hi) {
    using OP = decltype(functor);
    Array x = randomArray({n}, t, lo, hi);
    Array got = runOp(op, {}, {x});
    Array want({n}, t);
    IST_TYPE_SWITCH_NUMERIC(t, T, op, {
      using CT = typename ComputeType<T>::type;
      for (int64_t i = 0; i < n; ++i) want.blob.data<T>()[i] = T(OP::Map(CT(x.blob.data<T>()[i])));
    });
    compare(std::string(op) + " long " + dtypeName(t), got, want, 0, 0);
  };
  unary("exp", elem::exp{}, DType::kFloat32, 100003, -5, 5);
  unary("exp", elem::exp{}, DType::kFloat16, 1001, -5, 5);
  unary("tanh", elem::tanh{}, DType::kBFloat16, 777, -3, 3);
  unary("sqrt", elem::square_root{}, DType::kInt32, 1000, 0, 1e6);
  unary("sigmoid", elem::sigmoid{}, DType::kUint64, 600, 0, 10);
  unary("negative", elem::negation{}, DType::kInt8, 1000, -128, 128);
  unary("square", elem::square{}, DType::kUint16, 1000, 0, 65536);
  unary("rint", elem::rint{}, DType::kFloat64, 5000, -100, 100);
}

// ---- registry coverage ----------------------------------------------------------------------
void runRegistryChecks() {
  const char* names[] = {
      "elemwise_add", "_add", "_plus", "_Plus", "elemwise_sub", "_sub", "_minus", "_Minus",
      "elemwise_mul", "_mul", "_Mul", "elemwise_div", "_div", "_Div", "_mod", "_power", "_Power",
      "_maximum", "_minimum", "_equal", "_not_equal", "_greater", "_greater_equal", "_lesser",
      "_lesser_equal", "_hypot", "_logical_and", "_logical_or", "_logical_xor", "broadcast_add",
      "broadcast_plus", "broadcast_sub", "broadcast_minus", "broadcast_mul", "broadcast_div",
      "broadcast_mod", "broadcast_power", "broadcast_maximum", "broadcast_minimum",
      "broadcast_equal", "broadcast_not_equal", "broadcast_greater", "broadcast_greater_equal",
      "broadcast_lesser", "broadcast_lesser_equal", "broadcast_hypot", "broadcast_logical_and",
      "broadcast_logical_or", "broadcast_logical_xor", "_plus_scalar", "_PlusScalar",
      "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar", "_rdiv_scalar",
      "_mod_scalar", "_rmod_scalar", "_power_scalar", "_rpower_scalar", "_maximum_scalar",
      "_minimum_scalar", "_equal_scalar", "_not_equal_scalar", "_greater_scalar",
      "_greater_equal_scalar", "_lesser_scalar", "_lesser_equal_scalar", "_hypot_scalar",
      "_logical_and_scalar", "_logical_or_scalar", "_logical_xor_scalar", "negative", "abs",
      "sign", "exp", "log", "sqrt", "square", "relu", "sigmoid", "tanh", "floor", "ceil", "round",
      "rint", "trunc", "fix", "reciprocal", "rsqrt", "expm1", "log1p", "log2", "log10", "sin",
      "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh",
      "degrees", "radians", "cbrt", "rcbrt", "softsign", "logical_not", "erf", "clip", "where",
      "Cast", "cast", "_copy", "identity", "_copyto", "BlockGrad", "stop_gradient",
      "hard_sigmoid", "add_n", "ElementWiseSum", "smooth_l1"};
  for (const char* n : names) {
    ++gChecks;
    const Op* op = OpRegistry::find(n);
    if (!op) fail(std::string("op not registered: ") + n);
    else if (!op->computeFor(Context::kCPU)) fail(std::string("no CPU compute: ") + n);
#ifdef IST_ELEMWISE_EXPECT_GPU  // linked with kernels/cuda/elemwise.cu's object
    else if (!op->computeFor(Context::kGPU)) fail(std::string("no GPU compute: ") + n);
#endif
  }
  int ops = 0, aliases = 0;
  for (const Op* op : OpRegistry::list()) { ++ops; aliases += int(op->aliases.size()); }
  printf("registry: %d ops, %d aliases\n", ops, aliases);
}

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "test/fixtures/elemwise.json";
  runRegistryChecks();
  runFixtures(path);
  runErrorChecks();
  runRandomChecks();
  printf("%d checks, %d failures\n", gChecks, gFailures);
  return gFailures ? 1 : 0;
}
