// MXNet's NDArray list format (nd.save / .params files): a byte layer and an NDArray adapter.
//
// File = u64 0x112, u64 0, u64 n, n records, u64 n_keys (0 or n), keys (u64 len + bytes).
// Records, all little-endian, unpadded (see /work/shared/FORMATS.md §3):
//   V0 legacy  u32 ndim, ndim×u32 dims, ctx, type flag, data
//   V1         u32 0xF993FAC8, TShape, ctx, type flag, data
//   V2         u32 0xF993FAC9, i32 stype, [storage TShape], TShape, ctx, type flag, [aux types
//              and shapes], data, [aux data]
//   V3         u32 0xF993FACA, same layout as V2, NumPy shape semantics
// TShape = i32 ndim + ndim×i64 dims; ctx = i32 dev_type + i32 dev_id.
//
// Decisions where MXNet has no single answer:
// - Writing: every record is V2 (what mx.nd.save writes), unless some array is 0-d. MXNet's
//   legacy shape semantics read "ndim 0" as "no array", so a 0-d array only exists in NumPy
//   semantics (V3, what npx.save writes). MXNet refuses a V3 record unless np-shape is on and
//   refuses a V2 record while it is on (thread-local mode), so a file mixing both is unreadable
//   there: a list holding any 0-d array is written entirely as V3 records (npx.load reads it).
//   Empty arrays (a dim of 0, ndim > 0) are ordinary records in both versions.
// - Reading "none" records (V0/V1/V2 ndim 0, V3 ndim -1 or a dim -1; MXNet gives a none
//   NDArray, which isotensor has no public form for) yields an empty float32 array of shape (0,)
//   and DecodedRecord::none = true.
// - Sparse records (row_sparse, csr) are densified: the result is the dense array they stand for.
// - The device in a record is ignored: arrays load on cpu(0). Bytes after the keys are ignored,
//   as MXNet's stream reader does.
// - Every length is checked against what is left of the buffer before anything is allocated;
//   malformed input raises IsotensorError "load: argument 'data': ..." naming record and offset.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include "base/dtype.h"
#include "base/shape.h"

namespace ist {

class NDArray;

constexpr uint64_t kNDArrayListMagic = 0x112;
constexpr uint32_t kNDArrayV1Magic = 0xF993FAC8u;
constexpr uint32_t kNDArrayV2Magic = 0xF993FAC9u;
constexpr uint32_t kNDArrayV3Magic = 0xF993FACAu;
// Ranks above this are taken as corruption (NumPy's own limit is 32; MXNet's kernels stop at 6-10).
constexpr int kNDArrayFileMaxNDim = 32;

// ---- byte layer (no NDArray, no engine) ----

// What one record of a file to write holds; its bytes come from the fill callback.
struct RecordSpec {
  Shape shape;
  DType dtype = DType::kFloat32;
  bool none = false;  // a "none" NDArray: written as shape only (V2 ndim 0 / V3 ndim -1)
};
// Writes the row-major little-endian bytes of record `index` (exactly nbytes, > 0) to dst.
using RecordFill = std::function<void(size_t index, uint8_t* dst, size_t nbytes)>;

// keys empty = list file; otherwise one key per record.
std::vector<uint8_t> encodeNDArrayList(const std::vector<RecordSpec>& specs,
                                       const std::vector<std::string>& keys,
                                       const RecordFill& fill);

struct DecodedRecord {
  Shape shape;                    // dense logical shape; (0,) for a none record
  DType dtype = DType::kFloat32;
  int version = 2;                // 0, 1, 2 or 3 (record magic)
  int stype = 0;                  // storage type as stored: 0 dense, 1 row_sparse, 2 csr
  bool none = false;              // the record was a "none" array
  const uint8_t* data = nullptr;  // dense bytes: into the input buffer, or into `densified`
  size_t nbytes = 0;
  std::vector<uint8_t> densified;  // owns the bytes of a densified sparse record
  const uint8_t* bytes() const { return densified.empty() ? data : densified.data(); }
};

struct DecodedList {
  std::vector<DecodedRecord> records;
  std::vector<std::string> keys;  // empty, or one per record
};

// Parses a whole file. Dense records point into buf, which must outlive the result.
DecodedList decodeNDArrayList(const uint8_t* buf, size_t len);

// ---- NDArray adapter ----

// Blocks until every array can be read (NDArray::syncCopyToCPU). keys empty = list.
std::vector<uint8_t> saveNDArrayList(const std::vector<NDArray>& arrays,
                                     const std::vector<std::string>& keys);
// Arrays are created on cpu(0). Clears and fills both outputs.
void loadNDArrayList(const uint8_t* buf, size_t len, std::vector<NDArray>* arrays,
                     std::vector<std::string>* keys);

}  // namespace ist
