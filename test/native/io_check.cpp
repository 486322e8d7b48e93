// Standalone checker for core-cpp/io/ndarray_file.cc against the Python-written fixtures.
// SPDX-License-Identifier: Apache-2.0
//
// Checks, for every entry of test/fixtures/ndarray-files/manifest.json: decoded dtypes, shapes,
// keys and values (or the expected error text); that re-encoding a V2-only or V3-only file gives
// back the very same bytes; the NDArray adapter round trip; every truncation of every good file
// fails cleanly; random byte corruption never crashes (build with sanitizers to make that mean
// something). Until the real NDArray/engine are linked in, a test double of the four NDArray
// members the adapter uses is defined here; build with -DIO_CHECK_REAL_CORE to use the real ones.
//
// Build and run (from the repo root):
//   g++ -std=c++17 -O1 -g -fsanitize=address,undefined -Icore-cpp -Icore-cpp/include
//       test/native/io_check.cpp core-cpp/io/ndarray_file.cc core-cpp/base/base.cc -o /tmp/io_check
//   /tmp/io_check test/fixtures/ndarray-files
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/half.h"
#include "io/ndarray_file.h"
#include "ndarray/ndarray.h"

using namespace ist;

#ifndef IO_CHECK_REAL_CORE
// Test double: host memory, no engine. Only what saveNDArrayList/loadNDArrayList touch.
namespace ist {
Chunk::Chunk(size_t n, Context c) : data(n ? std::malloc(n) : nullptr), bytes(n), ctx(c) {}
Chunk::~Chunk() { std::free(data); }
NDArray::NDArray(const Shape& shape, DType dtype, Context ctx)
    : chunk_(std::make_shared<Chunk>(static_cast<size_t>(shapeSize(shape)) * dtypeSize(dtype),
                                     ctx)),
      shape_(shape), dtype_(dtype), ctx_(ctx) {}
void NDArray::syncCopyFromCPU(const void* src, size_t n) const {
  if (n != nbytes()) throw IsotensorError("fake syncCopyFromCPU: size mismatch");
  if (n) std::memcpy(dataPtr(), src, n);
}
void NDArray::syncCopyToCPU(void* dst, size_t n) const {
  if (n != nbytes()) throw IsotensorError("fake syncCopyToCPU: size mismatch");
  if (n) std::memcpy(dst, dataPtr(), n);
}
}  // namespace ist
#endif

// ---------------- a small JSON reader (enough for manifest.json) ----------------

struct Json {
  enum Kind { kNull, kBool, kNum, kStr, kArr, kObj } kind = kNull;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;
  const Json* get(const std::string& k) const {
    for (const auto& kv : obj) if (kv.first == k) return &kv.second;
    return nullptr;
  }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}
  Json parse() {
    Json v = value();
    ws();
    if (i_ != s_.size()) fail("trailing text");
    return v;
  }

 private:
  [[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "manifest.json: %s at %zu\n", why, i_);
    std::exit(2);
  }
  void ws() { while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_; }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) { ++i_; return true; }
    return false;
  }
  static void appendUtf8(std::string& out, unsigned cp) {
    auto put = [&](unsigned v) { out += static_cast<char>(v); };
    if (cp < 0x80) {
      put(cp);
    } else if (cp < 0x800) {
      put(0xC0 | (cp >> 6)); put(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
      put(0xE0 | (cp >> 12)); put(0x80 | ((cp >> 6) & 63)); put(0x80 | (cp & 63));
    } else {
      put(0xF0 | (cp >> 18)); put(0x80 | ((cp >> 12) & 63));
      put(0x80 | ((cp >> 6) & 63)); put(0x80 | (cp & 63));
    }
  }
  std::string string() {
    if (!eat('"')) fail("expected string");
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') { out += c; continue; }
      char e = s_[i_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          unsigned cp = std::stoul(s_.substr(i_, 4), nullptr, 16);
          i_ += 4;
          if (cp >= 0xD800 && cp < 0xDC00 && s_.compare(i_, 2, "\\u") == 0) {
            unsigned lo = std::stoul(s_.substr(i_ + 2, 4), nullptr, 16);
            i_ += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          appendUtf8(out, cp);
          break;
        }
        default: out += e;
      }
    }
    if (i_ >= s_.size()) fail("unterminated string");
    ++i_;
    return out;
  }
  Json value() {
    ws();
    Json v;
    if (i_ >= s_.size()) fail("unexpected end");
    char c = s_[i_];
    if (c == '{') {
      ++i_;
      v.kind = Json::kObj;
      if (eat('}')) return v;
      do {
        std::string k = string();
        if (!eat(':')) fail("expected ':'");
        v.obj.emplace_back(k, value());
      } while (eat(','));
      if (!eat('}')) fail("expected '}'");
    } else if (c == '[') {
      ++i_;
      v.kind = Json::kArr;
      if (eat(']')) return v;
      do v.arr.push_back(value()); while (eat(','));
      if (!eat(']')) fail("expected ']'");
    } else if (c == '"') {
      v.kind = Json::kStr;
      v.str = string();
    } else if (s_.compare(i_, 4, "true") == 0) { v.kind = Json::kBool; v.b = true; i_ += 4; }
    else if (s_.compare(i_, 5, "false") == 0) { v.kind = Json::kBool; i_ += 5; }
    else if (s_.compare(i_, 4, "null") == 0) { i_ += 4; }
    else {
      char* end = nullptr;
      v.kind = Json::kNum;
      v.num = std::strtod(s_.c_str() + i_, &end);
      if (end == s_.c_str() + i_) fail("bad number");
      i_ = static_cast<size_t>(end - s_.c_str());
    }
    return v;
  }
  const std::string& s_;
  size_t i_ = 0;
};

// ---------------- helpers ----------------

int g_failures = 0, g_checks = 0;

#define CHECK_THAT(cond, what)                                                  \
  do {                                                                          \
    ++g_checks;                                                                 \
    if (!(cond)) {                                                              \
      ++g_failures;                                                             \
      std::cerr << "FAIL " << __LINE__ << ": " << what << "\n";                 \
    }                                                                           \
  } while (0)

std::vector<uint8_t> readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) { std::cerr << "cannot open " << path << "\n"; std::exit(2); }
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                              std::istreambuf_iterator<char>());
}

template <typename T> T loadAs(const uint8_t* p, size_t i) {
  T v;
  std::memcpy(&v, p + i * sizeof(T), sizeof(T));
  return v;
}

// Element i as a double (floats, small ints) for comparison with a manifest number.
double elementAsDouble(const DecodedRecord& r, size_t i) {
  const uint8_t* p = r.bytes();
  switch (r.dtype) {
    case DType::kFloat32: return loadAs<float>(p, i);
    case DType::kFloat64: return loadAs<double>(p, i);
    case DType::kFloat16: return halfBitsToFloat(loadAs<uint16_t>(p, i));
    case DType::kBFloat16: return bf16BitsToFloat(loadAs<uint16_t>(p, i));
    case DType::kUint8: return loadAs<uint8_t>(p, i);
    case DType::kBool: return loadAs<uint8_t>(p, i);
    case DType::kInt8: return loadAs<int8_t>(p, i);
    case DType::kInt16: return loadAs<int16_t>(p, i);
    case DType::kUint16: return loadAs<uint16_t>(p, i);
    case DType::kInt32: return loadAs<int32_t>(p, i);
    case DType::kUint32: return loadAs<uint32_t>(p, i);
    default: return NAN;
  }
}

std::string elementAsString(const DecodedRecord& r, size_t i) {
  if (r.dtype == DType::kInt64) return std::to_string(loadAs<int64_t>(r.bytes(), i));
  if (r.dtype == DType::kUint64) return std::to_string(loadAs<uint64_t>(r.bytes(), i));
  std::ostringstream os;
  os.precision(17);
  os << elementAsDouble(r, i);
  return os.str();
}

bool valueMatches(const DecodedRecord& r, size_t i, const Json& want) {
  if (r.dtype == DType::kInt64 || r.dtype == DType::kUint64) {
    return want.kind == Json::kStr && elementAsString(r, i) == want.str;
  }
  double got = elementAsDouble(r, i);
  if (want.kind == Json::kStr) {
    if (want.str == "nan") return std::isnan(got);
    if (want.str == "inf") return std::isinf(got) && got > 0;
    if (want.str == "-inf") return std::isinf(got) && got < 0;
    return false;
  }
  if (r.dtype == DType::kFloat32) return static_cast<float>(want.num) == static_cast<float>(got);
  return want.num == got;
}

std::string shapeOf(const Json& j) {
  Shape s;
  for (const auto& d : j.arr) s.push_back(static_cast<int64_t>(d.num));
  return shapeString(s);
}

void checkRecord(const std::string& where, const DecodedRecord& r, const Json& want) {
  CHECK_THAT(dtypeName(r.dtype) == want.get("dtype")->str,
             where << ": dtype " << dtypeName(r.dtype) << " != " << want.get("dtype")->str);
  CHECK_THAT(shapeString(r.shape) == shapeOf(*want.get("shape")),
             where << ": shape " << shapeString(r.shape) << " != " << shapeOf(*want.get("shape")));
  const Json* none = want.get("none");
  CHECK_THAT(r.none == (none && none->b), where << ": none flag " << r.none);
  size_t n = static_cast<size_t>(shapeSize(r.shape));
  CHECK_THAT(r.nbytes == n * dtypeSize(r.dtype), where << ": nbytes " << r.nbytes);
  if (const Json* pat = want.get("pattern")) {
    int64_t mod = static_cast<int64_t>(pat->get("mod")->num);
    int64_t off = static_cast<int64_t>(pat->get("offset")->num);
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) {
      if (elementAsDouble(r, i) != static_cast<double>(static_cast<int64_t>(i) % mod + off)) ++bad;
    }
    CHECK_THAT(bad == 0, where << ": " << bad << " elements differ from the pattern");
    return;
  }
  const Json& values = *want.get("values");
  CHECK_THAT(values.arr.size() == n, where << ": " << values.arr.size() << " values for " << n);
  for (size_t i = 0; i < n && i < values.arr.size(); ++i) {
    CHECK_THAT(valueMatches(r, i, values.arr[i]),
               where << ": element " << i << " is " << elementAsString(r, i));
  }
}

std::vector<uint8_t> reencode(const DecodedList& list) {
  std::vector<RecordSpec> specs;
  for (const auto& r : list.records) specs.push_back({r.shape, r.dtype, false});
  return encodeNDArrayList(specs, list.keys, [&](size_t i, uint8_t* dst, size_t n) {
    if (n != list.records[i].nbytes) throw IsotensorError("fill size mismatch");
    std::memcpy(dst, list.records[i].bytes(), n);
  });
}

bool sameContent(const DecodedList& a, const DecodedList& b) {
  if (a.records.size() != b.records.size() || a.keys != b.keys) return false;
  for (size_t i = 0; i < a.records.size(); ++i) {
    const auto &x = a.records[i], &y = b.records[i];
    if (x.shape != y.shape || x.dtype != y.dtype || x.nbytes != y.nbytes) return false;
    if (x.nbytes && std::memcmp(x.bytes(), y.bytes(), x.nbytes) != 0) return false;
  }
  return true;
}

// Runs f expecting an IsotensorError; returns its message ("" if none was thrown).
template <typename F> std::string errorOf(F f) {
  try {
    f();
  } catch (const IsotensorError& e) {
    return e.what();
  }
  return "";
}

// ---------------- checks ----------------

void checkFixture(const std::string& dir, const Json& e, bool verbose) {
  std::string name = e.get("file")->str;
  std::vector<uint8_t> bytes = readFile(dir + "/" + name);
  if (const Json* err = e.get("error")) {
    std::string msg = errorOf([&] { decodeNDArrayList(bytes.data(), bytes.size()); });
    CHECK_THAT(!msg.empty(), name << ": loaded but should fail with '" << err->str << "'");
    CHECK_THAT(msg.find(err->str) != std::string::npos,
               name << ": message '" << msg << "' lacks '" << err->str << "'");
    CHECK_THAT(msg.rfind("load: argument 'data': ", 0) == 0, name << ": message '" << msg << "'");
    if (verbose) std::cout << "  " << name << ": " << msg << "\n";
    return;
  }
  DecodedList list;
  std::string msg = errorOf([&] { list = decodeNDArrayList(bytes.data(), bytes.size()); });
  CHECK_THAT(msg.empty(), name << ": " << msg);
  if (!msg.empty()) return;
  const Json& arrays = *e.get("arrays");
  CHECK_THAT(list.records.size() == arrays.arr.size(),
             name << ": " << list.records.size() << " arrays");
  std::vector<std::string> keys;
  for (const auto& k : e.get("keys")->arr) keys.push_back(k.str);
  CHECK_THAT(list.keys == keys, name << ": keys differ");
  for (size_t i = 0; i < list.records.size() && i < arrays.arr.size(); ++i) {
    checkRecord(name + " #" + std::to_string(i), list.records[i], arrays.arr[i]);
  }

  // Re-encode: same content always; same bytes when the file is all-V2 dense CPU or all-V3.
  std::vector<uint8_t> again = reencode(list);
  DecodedList back = decodeNDArrayList(again.data(), again.size());
  CHECK_THAT(sameContent(list, back), name << ": re-encoded content differs");
  bool allV2 = true, allV3 = true, any0d = false, plain = true;
  for (const auto& r : list.records) {
    allV2 = allV2 && r.version == 2;
    allV3 = allV3 && r.version == 3;
    any0d = any0d || r.shape.empty();
    plain = plain && r.stype == 0 && !r.none;
  }
  bool canMatch = plain && name != "gpu-context.params" && name != "big.params" &&
                  ((allV2 && !any0d) || (allV3 && any0d));
  if (canMatch) CHECK_THAT(again == bytes, name << ": re-encoded bytes differ from the fixture");

  // NDArray adapter: load → save → same bytes as the byte layer's re-encoding.
  std::vector<NDArray> nds;
  std::vector<std::string> ndKeys;
  loadNDArrayList(bytes.data(), bytes.size(), &nds, &ndKeys);
  CHECK_THAT(nds.size() == list.records.size() && ndKeys == list.keys, name << ": adapter load");
  for (size_t i = 0; i < nds.size(); ++i) {
    CHECK_THAT(nds[i].ctx() == Context::cpu(0), name << ": not on cpu(0)");
  }
  CHECK_THAT(saveNDArrayList(nds, ndKeys) == again, name << ": adapter save differs");

  // Every strict prefix that cuts into the content must fail with an IsotensorError.
  size_t trailing = name == "big.params" ? 5 : 0;
  size_t limit = bytes.size() - trailing;
  size_t step = limit > 4096 ? 97 : 1;
  int leaked = 0;
  for (size_t cut = 0; cut < limit; cut += step) {
    std::string m = errorOf([&] { decodeNDArrayList(bytes.data(), cut); });
    if (m.empty()) ++leaked;
  }
  CHECK_THAT(leaked == 0, name << ": " << leaked << " truncations loaded without error");
  if (verbose) std::cout << "  " << name << ": ok (" << list.records.size() << " arrays)\n";
}

// Flipping bytes must give a clean result or an IsotensorError (sanitizers catch the rest).
void fuzz(const std::string& dir, const Json& manifest) {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {  // xorshift64
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int runs = 0, errors = 0;
  for (const auto& e : manifest.get("files")->arr) {
    if (e.get("error")) continue;
    std::vector<uint8_t> base = readFile(dir + "/" + e.get("file")->str);
    if (base.empty() || base.size() > 4096) continue;
    for (int t = 0; t < 300; ++t) {
      std::vector<uint8_t> b = base;
      int flips = 1 + static_cast<int>(next() % 4);
      for (int k = 0; k < flips; ++k) {
        size_t at = next() % b.size();
        uint64_t r = next();
        // half the time a random byte, half the time one flipped bit
        b[at] = (r & 1) ? static_cast<uint8_t>(r >> 8)
                        : static_cast<uint8_t>(b[at] ^ (1u << ((r >> 8) % 8)));
      }
      ++runs;
      try {
        DecodedList l = decodeNDArrayList(b.data(), b.size());
        std::vector<NDArray> nds;
        std::vector<std::string> keys;
        loadNDArrayList(b.data(), b.size(), &nds, &keys);
      } catch (const IsotensorError&) {
        ++errors;
      }
    }
  }
  std::cout << "fuzz: " << runs << " corrupted buffers, " << errors << " rejected, none crashed\n";
}

// Writer-side checks that need no fixture.
void writerChecks() {
  // A list holding a 0-d array is written entirely as V3 records.
  std::vector<RecordSpec> specs = {{{2}, DType::kFloat32, false}, {{}, DType::kInt32, false}};
  auto fill = [](size_t, uint8_t* dst, size_t n) { std::memset(dst, 1, n); };
  std::vector<uint8_t> f = encodeNDArrayList(specs, {}, fill);
  DecodedList l = decodeNDArrayList(f.data(), f.size());
  CHECK_THAT(l.records.size() == 2 && l.records[0].version == 3 && l.records[1].version == 3 &&
                 l.records[1].shape.empty() && l.records[1].nbytes == 4,
             "0-d list not written as V3");
  // Without 0-d arrays: V2.
  specs.pop_back();
  f = encodeNDArrayList(specs, {"w"}, fill);
  l = decodeNDArrayList(f.data(), f.size());
  CHECK_THAT(l.records[0].version == 2 && l.keys == std::vector<std::string>{"w"}, "V2 dict");
  // None arrays: V2 ndim 0 / V3 ndim -1, read back as none.
  specs = {{{}, DType::kFloat32, true}, {{0, 3}, DType::kFloat64, false}};
  f = encodeNDArrayList(specs, {}, fill);
  l = decodeNDArrayList(f.data(), f.size());
  CHECK_THAT(l.records[0].none && l.records[0].version == 2 &&
                 l.records[1].shape == Shape({0, 3}) && l.records[1].dtype == DType::kFloat64 &&
                 l.records[1].nbytes == 0,
             "none + empty in V2");
  specs.push_back({{}, DType::kUint8, false});
  f = encodeNDArrayList(specs, {}, fill);
  l = decodeNDArrayList(f.data(), f.size());
  CHECK_THAT(l.records[0].none && l.records[0].version == 3 && l.records[2].shape.empty(),
             "none + 0-d in V3");
  // Key count mismatch.
  std::string m = errorOf([&] { encodeNDArrayList(specs, {"a"}, fill); });
  CHECK_THAT(m.find("save: argument 'keys': got 1 keys for 3 arrays") == 0, "keys mismatch: " << m);
  // Null buffer, zero length.
  m = errorOf([&] { decodeNDArrayList(nullptr, 0); });
  CHECK_THAT(m.find("truncated") != std::string::npos, "empty buffer: " << m);
  // A big array round trip (16 MiB), bytes passed through untouched.
  specs = {{{1024, 4096}, DType::kFloat32, false}};
  f = encodeNDArrayList(specs, {"big"}, [](size_t, uint8_t* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>(i * 31 + 7);
  });
  l = decodeNDArrayList(f.data(), f.size());
  bool same = l.records[0].nbytes == size_t{1024} * 4096 * 4;
  for (size_t i = 0; same && i < l.records[0].nbytes; i += 4093) {
    same = l.records[0].bytes()[i] == static_cast<uint8_t>(i * 31 + 7);
  }
  CHECK_THAT(same && f.size() == 24 + 4 + 4 + 4 + 16 + 8 + 4 + l.records[0].nbytes + 8 + 8 + 3,
             "big round trip");
}

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "test/fixtures/ndarray-files";
  bool verbose = argc > 2 && std::string(argv[2]) == "-v";
  std::vector<uint8_t> text = readFile(dir + "/manifest.json");
  std::string s(text.begin(), text.end());
  Json manifest = JsonParser(s).parse();
  int files = 0;
  for (const auto& e : manifest.get("files")->arr) {
    checkFixture(dir, e, verbose);
    ++files;
  }
  writerChecks();
  fuzz(dir, manifest);
  std::cout << "io_check: " << files << " fixtures, " << g_checks << " checks, " << g_failures
            << " failures\n";
  return g_failures ? 1 : 0;
}
