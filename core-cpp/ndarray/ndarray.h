// NDArray: a shared storage chunk + byte offset + shape + dtype + context.
//
// The chunk owns one engine Var; views (reshape, slice on axis 0, at) share the
// chunk and so its Var, which makes the engine order every op touching any view.
// When the last NDArray referring to a chunk goes away, freeing the memory is
// pushed to the engine as a write, so it never races ops still using it.
#pragma once
#include <memory>
#include "base/context.h"
#include "base/dtype.h"
#include "base/shape.h"
#include "engine/engine.h"
#include "ndarray/tblob.h"

namespace ist {

struct Node;

struct Chunk {
  void* data = nullptr;
  size_t bytes = 0;
  Context ctx;
  VarHandle var = nullptr;
  Chunk(size_t bytes, Context ctx);
  ~Chunk();
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;
};

class NDArray {
 public:
  NDArray() = default;  // "none" array
  NDArray(const Shape& shape, DType dtype, Context ctx);

  bool isNone() const { return chunk_ == nullptr; }
  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  Context ctx() const { return ctx_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  int64_t size() const { return shapeSize(shape_); }
  size_t nbytes() const { return static_cast<size_t>(size()) * dtypeSize(dtype_); }
  VarHandle var() const { return chunk_->var; }
  // Address of the first element; only dereference inside an engine op (or after a wait).
  void* dataPtr() const { return static_cast<char*>(chunk_->data) + offset_; }
  TBlob blob() const { return TBlob{dataPtr(), shape_, dtype_, ctx_}; }
  bool sameStorage(const NDArray& o) const { return chunk_ == o.chunk_; }
  const std::shared_ptr<Chunk>& chunk() const { return chunk_; }

  // Autograd: the graph node (and output index) that produced this array while recording,
  // or the variable node attached by markVariables; null when untracked.
  const std::shared_ptr<Node>& agNode() const { return agNode_; }
  uint32_t agIndex() const { return agIndex_; }
  void setAutogradEntry(std::shared_ptr<Node> node, uint32_t index) {
    agNode_ = std::move(node);
    agIndex_ = index;
  }
  // The same array (shared storage) cut off from the autograd graph.
  NDArray detach() const {
    NDArray r = *this;
    r.agNode_.reset();
    r.agIndex_ = 0;
    return r;
  }

  // Views. reshape accepts MXNet's special codes 0 -1 -2 -3 -4.
  NDArray reshape(const Shape& codes) const;
  NDArray slice(int64_t begin, int64_t end) const;  // axis 0, [begin, end)
  NDArray at(int64_t index) const;                   // axis 0, drops it

  void waitToRead() const;
  void waitToWrite() const;
  // Blocking host copies; nbytes must equal this->nbytes().
  void syncCopyFromCPU(const void* src, size_t nbytes) const;
  void syncCopyToCPU(void* dst, size_t nbytes) const;

 private:
  std::shared_ptr<Chunk> chunk_;
  size_t offset_ = 0;
  Shape shape_;
  DType dtype_ = DType::kFloat32;
  Context ctx_;
  std::shared_ptr<Node> agNode_;
  uint32_t agIndex_ = 0;
};

// MXNet reshape codes: 0 copy dim, -1 infer, -2 copy rest, -3 merge two, -4 split (next two).
Shape inferReshape(const Shape& in, const Shape& codes, bool reverse, const char* op);

// Copies bytes between devices/host (cudaMemcpy on GPU builds); set by the CUDA module.
struct DeviceCopier {
  // kind: 0 host->device, 1 device->host, 2 device->device
  void (*copy)(void* dst, const void* src, size_t bytes, int kind, int devId, void* stream);
};
void setDeviceCopier(const DeviceCopier& c);
void copyBytes(const TBlob& dst, const TBlob& src, void* stream);

}  // namespace ist
