// A bound executor node's cache of an op's prepared form of one input: a convolution's weights
// packed for the GEMM or Winograd-transformed, made once instead of on every inference call.
#pragma once
#include <cstddef>
#include <cstdint>
#include "base/context.h"
#include "engine/write_stamp.h"
#include "storage/storage.h"

namespace ist {

// The input's engine var is checked on each use (varWriteStamp), so a weight written since the
// form was made (an optimizer step, set_params, an in-place op) is prepared again, never served
// stale. Used only from inside the node's op, whose runs the engine serialises (each writes the
// node's output), so it needs no lock. The bytes come from the CPU storage pool, so
// mx.memoryInfo() counts them with the executor's other memory.
class PreparedInput {
 public:
  explicit PreparedInput(VarHandle input) : var_(input) {}
  ~PreparedInput() { release(); }
  PreparedInput(const PreparedInput&) = delete;
  PreparedInput& operator=(const PreparedInput&) = delete;

  // The prepared bytes of form `kind` (the caller's tag for a layout: its op, dtype and
  // geometry): the cached ones when they were made with this kind from the data the op sees now,
  // else make(buf) fills `bytes` fresh bytes at buf (64-byte aligned). Call it from the op only.
  template <typename Make>
  const void* get(uint64_t kind, size_t bytes, Make&& make) {
    const uint64_t stamp = varWriteStamp(var_);
    if (buf_ && stamp == stamp_ && kind == kind_ && bytes == bytes_) return buf_;
    stamp_ = 0;  // not valid until make() returns (it or the allocation may throw)
    if (bytes > capacity_ || !buf_) {
      release();
      buf_ = Storage::alloc(Context::cpu(), bytes);
      capacity_ = bytes;
    }
    kind_ = kind;
    bytes_ = bytes;
    make(buf_);
    stamp_ = stamp;
    return buf_;
  }

 private:
  void release() {
    if (buf_) Storage::free(Context::cpu(), buf_, capacity_);
    buf_ = nullptr;
    capacity_ = 0;
  }
  VarHandle var_;
  void* buf_ = nullptr;
  size_t capacity_ = 0, bytes_ = 0;
  uint64_t kind_ = 0, stamp_ = 0;
};

}  // namespace ist
