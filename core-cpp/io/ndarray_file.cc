// MXNet's NDArray list format: encoder, bounds-checked decoder, sparse densifying, NDArray glue.
#include "io/ndarray_file.h"

#include <cstring>
#include <new>
#include <sstream>
#include "base/error.h"
#include "ndarray/ndarray.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ndarray_file.cc copies tensor bytes as they are: it needs a little-endian host"
#endif

namespace ist {

namespace {

const char* const kLoadOp = "load";
const char* const kSaveOp = "save";
// isotensor arrays are dense: a sparse record is expanded, up to this many bytes (4 GiB).
const uint64_t kMaxDensifiedBytes = uint64_t{1} << 32;

std::string hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << std::uppercase << v;
  return os.str();
}

// ---- writing ----

class Writer {
 public:
  explicit Writer(size_t reserve) { out_.reserve(reserve); }
  void u32(uint32_t v) { le(v, 4); }
  void i32(int32_t v) { le(static_cast<uint32_t>(v), 4); }
  void u64(uint64_t v) { le(v, 8); }
  void i64(int64_t v) { le(static_cast<uint64_t>(v), 8); }
  void bytes(const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  // Grows the buffer by n bytes and returns where they start (for filling in place).
  uint8_t* extend(size_t n) {
    size_t at = out_.size();
    out_.resize(at + n);
    return out_.data() + at;
  }
  void tshape(const Shape& s) {
    i32(static_cast<int32_t>(s.size()));
    for (int64_t d : s) i64(d);
  }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

// ---- reading ----

// Checked little-endian cursor over the input; every failure names where in the file it happened.
class Reader {
 public:
  Reader(const uint8_t* buf, size_t len) : buf_(buf), len_(len) {}
  size_t pos() const { return pos_; }
  uint64_t left() const { return len_ - pos_; }
  void setPlace(std::string place) { place_ = std::move(place); }

  // Throws the "truncated" error unless n more bytes are there.
  void need(uint64_t n, const char* what) const {
    if (n > left()) {
      std::ostringstream os;
      os << "truncated NDArray file: " << place_ << " needs " << n
         << (n == 1 ? " byte of " : " bytes of ") << what << " at offset " << pos_ << ", only "
         << left() << " left";
      throwError(kLoadOp, "data", os.str());
    }
  }
  // Returns a pointer to the next n bytes and moves past them.
  const uint8_t* take(uint64_t n, const char* what) {
    need(n, what);
    const uint8_t* p = buf_ + pos_;
    pos_ += static_cast<size_t>(n);
    return p;
  }
  uint32_t u32(const char* what) { return static_cast<uint32_t>(le(take(4, what), 4)); }
  int32_t i32(const char* what) { return static_cast<int32_t>(u32(what)); }
  uint64_t u64(const char* what) { return le(take(8, what), 8); }
  int64_t i64(const char* what) { return static_cast<int64_t>(u64(what)); }

  [[noreturn]] void corrupt(size_t at, const std::string& detail) const {
    fail(at, "corrupt NDArray file: ", detail);
  }
  [[noreturn]] void fail(size_t at, const char* prefix, const std::string& detail) const {
    std::ostringstream os;
    os << prefix << place_ << " (offset " << at << "): " << detail;
    throwError(kLoadOp, "data", os.str());
  }

 private:
  static uint64_t le(const uint8_t* p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
  const uint8_t* buf_;
  size_t len_;
  size_t pos_ = 0;
  std::string place_ = "the file header";
};

// A shape as read from a record; `none` when the record stands for MXNet's empty NDArray.
struct ReadShape {
  Shape shape;
  bool none = false;
};

// TShape: i32 ndim + ndim × i64. `npSemantics` (V3): ndim -1 / dim -1 = unknown = none, ndim 0 =
// scalar. Legacy (V1/V2): ndim 0 = none; ndim -1 (what 1.6+ writes for an unknown shape) too.
ReadShape readTShape(Reader& r, bool npSemantics, const char* what) {
  size_t at = r.pos();
  int32_t ndim = r.i32(what);
  ReadShape out;
  if (ndim == -1 || (ndim == 0 && !npSemantics)) {
    out.none = true;
    return out;
  }
  if (ndim < 0 || ndim > kNDArrayFileMaxNDim) {
    r.corrupt(at, std::string(what) + " has ndim " + std::to_string(ndim) + " (expected 0.." +
                      std::to_string(kNDArrayFileMaxNDim) + ")");
  }
  r.need(8ull * static_cast<uint64_t>(ndim), what);
  out.shape.resize(static_cast<size_t>(ndim));
  for (int i = 0; i < ndim; ++i) {
    int64_t d = r.i64(what);
    if (d == -1 && npSemantics) {
      out.none = true;
    } else if (d < 0) {
      r.corrupt(at, std::string(what) + " has dim " + std::to_string(d) + " at axis " +
                        std::to_string(i));
    }
    out.shape[static_cast<size_t>(i)] = d;
  }
  if (out.none) out.shape.clear();
  return out;
}

// V0: the record's first u32 was ndim, followed by ndim × u32 dims.
ReadShape readLegacyShape(Reader& r, uint32_t ndim, size_t at) {
  ReadShape out;
  if (ndim == 0) {
    out.none = true;
    return out;
  }
  if (ndim > static_cast<uint32_t>(kNDArrayFileMaxNDim)) {
    r.corrupt(at, "unknown record magic " + hex(ndim) + " (expected " + hex(kNDArrayV2Magic) +
                      ", " + hex(kNDArrayV3Magic) + ", " + hex(kNDArrayV1Magic) +
                      ", or a legacy record starting with its ndim <= " +
                      std::to_string(kNDArrayFileMaxNDim) + ")");
  }
  r.need(4ull * ndim, "shape");
  out.shape.resize(ndim);
  for (uint32_t i = 0; i < ndim; ++i) out.shape[i] = r.u32("shape");
  return out;
}

// Elements × itemsize, or corrupt() when it overflows 64 bits.
uint64_t checkedBytes(const Reader& r, size_t at, const Shape& s, DType t, const char* what) {
  uint64_t n = dtypeSize(t);
  for (int64_t d : s) {
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) {
      r.corrupt(at, std::string(what) + " of shape " + shapeString(s) + " and dtype " +
                        dtypeName(t) + " would need more than 2^64 bytes");
    }
  }
  return n;
}

DType readTypeFlag(Reader& r, const char* what) {
  size_t at = r.pos();
  int32_t flag = r.i32(what);
  if (!dtypeIsValid(flag)) {
    r.corrupt(at, std::string("unknown ") + what + " " + std::to_string(flag) +
                      " (expected an mshadow type flag 0..12)");
  }
  return static_cast<DType>(flag);
}

bool isIndexType(DType t) {
  switch (t) {
    case DType::kUint8: case DType::kInt8: case DType::kInt16: case DType::kUint16:
    case DType::kInt32: case DType::kUint32: case DType::kInt64: case DType::kUint64:
      return true;
    default:
      return false;
  }
}

// Index i of an integer aux array as int64 (uint64 values above INT64_MAX come out negative,
// which every range check below rejects).
int64_t indexAt(const uint8_t* p, DType t, int64_t i) {
  const uint8_t* q = p + static_cast<size_t>(i) * dtypeSize(t);
  switch (t) {
    case DType::kUint8: return *q;
    case DType::kInt8: return static_cast<int8_t>(*q);
    case DType::kInt16: { int16_t v; memcpy(&v, q, 2); return v; }
    case DType::kUint16: { uint16_t v; memcpy(&v, q, 2); return v; }
    case DType::kInt32: { int32_t v; memcpy(&v, q, 4); return v; }
    case DType::kUint32: { uint32_t v; memcpy(&v, q, 4); return v; }
    case DType::kInt64: { int64_t v; memcpy(&v, q, 8); return v; }
    case DType::kUint64: { uint64_t v; memcpy(&v, q, 8); return static_cast<int64_t>(v); }
    default: return -1;
  }
}

struct AuxBlob {
  DType dtype;
  Shape shape;
  const uint8_t* data = nullptr;
};

// row_sparse: values (nnz, shape[1:]...) at rows idx[0..nnz) of a zero array of `shape`.
void densifyRowSparse(const Reader& r, size_t at, DecodedRecord* rec, const Shape& sshape,
                      const uint8_t* values, const AuxBlob& idx) {
  const Shape& shape = rec->shape;
  bool ok = !shape.empty() && sshape.size() == shape.size() && idx.shape.size() == 1 &&
            idx.shape[0] == sshape[0];
  for (size_t i = 1; ok && i < shape.size(); ++i) ok = sshape[i] == shape[i];
  if (!ok) {
    r.corrupt(at, "row_sparse array of shape " + shapeString(shape) + " has storage shape " +
                      shapeString(sshape) + " and row indices of shape " + shapeString(idx.shape));
  }
  size_t rowBytes = rec->nbytes / static_cast<size_t>(shape[0] ? shape[0] : 1);
  rec->densified.assign(rec->nbytes, 0);
  for (int64_t k = 0; k < sshape[0]; ++k) {
    int64_t row = indexAt(idx.data, idx.dtype, k);
    if (row < 0 || row >= shape[0]) {
      r.corrupt(at, "row_sparse row index " + std::to_string(row) + " (entry " + std::to_string(k) +
                        ") is out of range for shape " + shapeString(shape));
    }
    if (rowBytes) {
      memcpy(rec->densified.data() + static_cast<size_t>(row) * rowBytes,
             values + static_cast<size_t>(k) * rowBytes, rowBytes);
    }
  }
}

// csr: values[indptr[r]..indptr[r+1]) sit at columns indices[...] of row r of a 2-d zero array.
void densifyCSR(const Reader& r, size_t at, DecodedRecord* rec, const Shape& sshape,
                const uint8_t* values, const AuxBlob& indptr, const AuxBlob& indices) {
  const Shape& shape = rec->shape;
  if (shape.size() != 2 || sshape.size() != 1 || indptr.shape.size() != 1 ||
      indices.shape.size() != 1 || indices.shape[0] != sshape[0] ||
      (indptr.shape[0] != shape[0] + 1 && !(indptr.shape[0] == 0 && sshape[0] == 0))) {
    r.corrupt(at, "csr array of shape " + shapeString(shape) + " has storage shape " +
                      shapeString(sshape) + ", indptr of shape " + shapeString(indptr.shape) +
                      " and indices of shape " + shapeString(indices.shape));
  }
  size_t item = dtypeSize(rec->dtype);
  int64_t nnz = sshape[0], rows = shape[0], cols = shape[1];
  rec->densified.assign(rec->nbytes, 0);
  if (indptr.shape[0] == 0) return;  // an all-zero csr whose storage was never allocated
  int64_t prev = indexAt(indptr.data, indptr.dtype, 0);
  if (prev != 0) r.corrupt(at, "csr indptr[0] is " + std::to_string(prev) + " (expected 0)");
  for (int64_t row = 0; row < rows; ++row) {
    int64_t end = indexAt(indptr.data, indptr.dtype, row + 1);
    if (end < prev || end > nnz) {
      r.corrupt(at, "csr indptr[" + std::to_string(row + 1) + "] is " + std::to_string(end) +
                        " (expected non-decreasing values within 0.." + std::to_string(nnz) + ")");
    }
    for (int64_t k = prev; k < end; ++k) {
      int64_t col = indexAt(indices.data, indices.dtype, k);
      if (col < 0 || col >= cols) {
        r.corrupt(at, "csr column index " + std::to_string(col) + " (entry " + std::to_string(k) +
                          ") is out of range for shape " + shapeString(shape));
      }
      memcpy(rec->densified.data() + static_cast<size_t>(row * cols + col) * item,
             values + static_cast<size_t>(k) * item, item);
    }
    prev = end;
  }
  if (prev != nnz) {
    r.corrupt(at, "csr indptr ends at " + std::to_string(prev) + " but there are " +
                      std::to_string(nnz) + " stored values");
  }
}

DecodedRecord readRecord(Reader& r) {
  DecodedRecord rec;
  size_t at = r.pos();
  uint32_t magic = r.u32("record magic");
  ReadShape shape;
  int nad = 0;
  Shape sshape;
  if (magic == kNDArrayV2Magic || magic == kNDArrayV3Magic) {
    bool np = magic == kNDArrayV3Magic;
    rec.version = np ? 3 : 2;
    size_t stypeAt = r.pos();
    rec.stype = r.i32("storage type");
    // -1 (undefined) is what MXNet reports for a none array; it is only valid with a none shape.
    if (rec.stype < -1 || rec.stype > 2) {
      r.corrupt(stypeAt, "unknown storage type " + std::to_string(rec.stype) +
                             " (expected 0 dense, 1 row_sparse or 2 csr)");
    }
    nad = rec.stype > 0 ? rec.stype : 0;  // aux arrays: row_sparse 1 (idx), csr 2 (indptr, idx)
    if (nad > 0) {
      ReadShape s = readTShape(r, np, "storage shape");
      if (s.none) r.corrupt(stypeAt, "sparse array has an unknown storage shape");
      sshape = s.shape;
    }
    shape = readTShape(r, np, "shape");
    if (rec.stype == -1 && !shape.none) {
      r.corrupt(stypeAt, "storage type -1 (undefined) on an array of shape " +
                             shapeString(shape.shape));
    }
  } else if (magic == kNDArrayV1Magic) {
    rec.version = 1;
    shape = readTShape(r, false, "shape");
  } else {
    rec.version = 0;
    shape = readLegacyShape(r, magic, at);
  }
  if (shape.none) {
    rec.none = true;
    rec.shape = Shape{0};
    rec.dtype = DType::kFloat32;
    return rec;
  }
  rec.shape = shape.shape;
  r.take(8, "context");  // (dev_type, dev_id): ignored, arrays load on cpu(0)
  rec.dtype = readTypeFlag(r, "type flag");
  std::vector<AuxBlob> aux(static_cast<size_t>(nad));
  for (auto& a : aux) {
    a.dtype = readTypeFlag(r, "aux type flag");
    if (!isIndexType(a.dtype)) {
      r.corrupt(at, std::string("sparse index arrays must be integers, got ") + dtypeName(a.dtype));
    }
    ReadShape s = readTShape(r, rec.version == 3, "aux shape");
    if (s.none) r.corrupt(at, "sparse index array has an unknown shape");
    a.shape = s.shape;
  }
  uint64_t denseBytes = checkedBytes(r, at, rec.shape, rec.dtype, "array");
  if (nad == 0) {
    rec.data = r.take(denseBytes, "data");  // fits size_t: it lies inside the buffer
    rec.nbytes = static_cast<size_t>(denseBytes);
    return rec;
  }
  // Sparse: stored values, then the aux arrays; bounds are checked before the dense buffer exists.
  const uint8_t* values = r.take(checkedBytes(r, at, sshape, rec.dtype, "sparse values"),
                                 "sparse values");
  for (auto& a : aux) {
    a.data = r.take(checkedBytes(r, at, a.shape, a.dtype, "aux data"), "aux data");
  }
  // The dense form is not bounded by the file's size, so it gets a limit of its own.
  if (denseBytes > kMaxDensifiedBytes || denseBytes > SIZE_MAX) {
    r.fail(at, "", std::string(rec.stype == 1 ? "row_sparse" : "csr") + " array of shape " +
                       shapeString(rec.shape) + " would take " + std::to_string(denseBytes) +
                       " bytes once densified (isotensor's limit is " +
                       std::to_string(kMaxDensifiedBytes) + ")");
  }
  rec.nbytes = static_cast<size_t>(denseBytes);
  try {
    rec.densified.reserve(rec.nbytes);
  } catch (const std::bad_alloc&) {
    r.fail(at, "", "out of memory densifying a sparse array of shape " + shapeString(rec.shape) +
                       " (" + std::to_string(rec.nbytes) + " bytes)");
  }
  if (rec.stype == 1) densifyRowSparse(r, at, &rec, sshape, values, aux[0]);
  else densifyCSR(r, at, &rec, sshape, values, aux[0], aux[1]);
  return rec;
}

}  // namespace

// ---- byte layer ----

std::vector<uint8_t> encodeNDArrayList(const std::vector<RecordSpec>& specs,
                                       const std::vector<std::string>& keys,
                                       const RecordFill& fill) {
  IST_CHECK(keys.empty() || keys.size() == specs.size(), kSaveOp, "keys",
            "got " << keys.size() << " keys for " << specs.size() << " arrays");
  bool np = false;  // any 0-d array puts the whole file in NumPy shape semantics (see header)
  uint64_t total = 32;
  for (size_t i = 0; i < specs.size(); ++i) {
    const RecordSpec& s = specs[i];
    if (s.none) continue;
    IST_CHECK(dtypeIsValid(static_cast<int>(s.dtype)), kSaveOp, "arrays",
              "array " << i << " has an unknown dtype " << static_cast<int>(s.dtype));
    for (int64_t d : s.shape) {
      IST_CHECK(d >= 0, kSaveOp, "arrays", "array " << i << " has shape " << shapeString(s.shape));
    }
    IST_CHECK(s.shape.size() <= static_cast<size_t>(kNDArrayFileMaxNDim), kSaveOp, "arrays",
              "array " << i << " has " << s.shape.size() << " dims, the format allows "
                       << kNDArrayFileMaxNDim);
    if (s.shape.empty()) np = true;
    total += 32 + 8 * s.shape.size() +
             static_cast<uint64_t>(shapeSize(s.shape)) * dtypeSize(s.dtype);
  }
  for (const auto& k : keys) total += 8 + k.size();
  IST_CHECK(total <= SIZE_MAX, kSaveOp, "arrays",
            "the file would need " << total << " bytes, more than this platform can address");

  Writer w(static_cast<size_t>(total));
  w.u64(kNDArrayListMagic);
  w.u64(0);
  w.u64(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const RecordSpec& s = specs[i];
    w.u32(np ? kNDArrayV3Magic : kNDArrayV2Magic);
    w.i32(0);  // dense storage
    if (s.none) {
      w.i32(np ? -1 : 0);  // "no array": unknown rank in NumPy semantics, ndim 0 in legacy ones
      continue;
    }
    w.tshape(s.shape);
    w.i32(Context::kCPU);
    w.i32(0);
    w.i32(static_cast<int32_t>(s.dtype));
    size_t nbytes = static_cast<size_t>(shapeSize(s.shape)) * dtypeSize(s.dtype);
    if (nbytes) fill(i, w.extend(nbytes), nbytes);
  }
  w.u64(keys.size());
  for (const auto& k : keys) {
    w.u64(k.size());
    w.bytes(k.data(), k.size());
  }
  return w.take();
}

DecodedList decodeNDArrayList(const uint8_t* buf, size_t len) {
  IST_CHECK(buf != nullptr || len == 0, kLoadOp, "data", "null buffer of length " << len);
  Reader r(buf, len);
  uint64_t header = r.u64("list magic");
  if (header != kNDArrayListMagic) {
    r.corrupt(0, "not an MXNet NDArray file: header is " + hex(header) + " (expected 0x112)");
  }
  r.u64("reserved field");
  size_t countAt = r.pos();
  uint64_t n = r.u64("array count");
  // Each record takes at least 4 bytes (a legacy none record), so a larger count cannot be real.
  if (n > r.left() / 4) {
    r.corrupt(countAt, "array count " + std::to_string(n) + " cannot fit in the " +
                           std::to_string(r.left()) + " bytes left");
  }
  DecodedList out;
  out.records.reserve(static_cast<size_t>(n));
  for (uint64_t i = 0; i < n; ++i) {
    r.setPlace("record " + std::to_string(i));
    out.records.push_back(readRecord(r));
  }
  r.setPlace("the key list");
  size_t keysAt = r.pos();
  uint64_t nk = r.u64("key count");
  if (nk != 0 && nk != n) {
    r.corrupt(keysAt, "key count " + std::to_string(nk) + " must be 0 or the array count " +
                          std::to_string(n));
  }
  out.keys.reserve(static_cast<size_t>(nk));
  for (uint64_t i = 0; i < nk; ++i) {
    r.setPlace("key " + std::to_string(i));
    uint64_t klen = r.u64("key length");
    const uint8_t* p = r.take(klen, "key text");
    out.keys.emplace_back(reinterpret_cast<const char*>(p), static_cast<size_t>(klen));
  }
  return out;
}

// ---- NDArray adapter ----

std::vector<uint8_t> saveNDArrayList(const std::vector<NDArray>& arrays,
                                     const std::vector<std::string>& keys) {
  std::vector<RecordSpec> specs(arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    specs[i].none = arrays[i].isNone();
    if (!specs[i].none) {
      specs[i].shape = arrays[i].shape();
      specs[i].dtype = arrays[i].dtype();
    }
  }
  return encodeNDArrayList(specs, keys, [&](size_t i, uint8_t* dst, size_t nbytes) {
    arrays[i].syncCopyToCPU(dst, nbytes);
  });
}

void loadNDArrayList(const uint8_t* buf, size_t len, std::vector<NDArray>* arrays,
                     std::vector<std::string>* keys) {
  DecodedList list = decodeNDArrayList(buf, len);
  arrays->clear();
  arrays->reserve(list.records.size());
  for (const DecodedRecord& rec : list.records) {
    NDArray a(rec.shape, rec.dtype, Context::cpu());
    if (rec.nbytes) a.syncCopyFromCPU(rec.bytes(), rec.nbytes);
    arrays->push_back(std::move(a));
  }
  *keys = std::move(list.keys);
}

}  // namespace ist
