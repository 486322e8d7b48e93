// A bound executor node's cache of an op's prepared form of one input: a convolution's weights
// packed for the GEMM or Winograd-transformed, made once instead of on every inference call.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include "engine/write_stamp.h"

namespace ist {

// The input's engine var is checked on each use (varWriteStamp), so a weight written since the
// form was made (an optimizer step, set_params, an in-place op) is prepared again, never served
// stale. Used only from inside the node's op, whose runs the engine serialises (each writes the
// node's output), so it needs no lock.
class PreparedInput {
 public:
  explicit PreparedInput(VarHandle input) : var_(input) {}

  // The prepared bytes of form `kind` (the caller's tag for a layout: its op, dtype and
  // geometry): the cached ones when they were made with this kind from the data the op sees now,
  // else make(buf) fills `bytes` fresh bytes at buf (64-byte aligned). Call it from the op only.
  template <typename Make>
  const void* get(uint64_t kind, size_t bytes, Make&& make) {
    const uint64_t stamp = varWriteStamp(var_);
    if (buf_ && stamp == stamp_ && kind == kind_ && bytes == bytes_) return buf_.get();
    if (bytes > capacity_) {
      buf_.reset(static_cast<unsigned char*>(::operator new(bytes, std::align_val_t(64))));
      capacity_ = bytes;
    }
    kind_ = kind;
    bytes_ = bytes;
    stamp_ = 0;  // not valid until make() returns (it may throw)
    make(static_cast<void*>(buf_.get()));
    stamp_ = stamp;
    return buf_.get();
  }

  size_t bytes() const { return capacity_; }

 private:
  struct AlignedDelete {
    void operator()(unsigned char* p) const { ::operator delete(p, std::align_val_t(64)); }
  };
  VarHandle var_;
  std::unique_ptr<unsigned char, AlignedDelete> buf_;
  size_t capacity_ = 0, bytes_ = 0;
  uint64_t kind_ = 0, stamp_ = 0;
};

}  // namespace ist
