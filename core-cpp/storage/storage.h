// Pooled, size-bucketed device memory: one pool per device, 64-byte aligned on CPU.
#pragma once
#include <cstddef>
#include <cstdint>
#include "base/context.h"

namespace ist {

struct MemoryStats {
  int64_t liveBytes = 0;    // handed out and not yet freed
  int64_t peakBytes = 0;    // max of liveBytes since start
  int64_t pooledBytes = 0;  // freed, cached for reuse
  int64_t liveCount = 0;    // allocations handed out
};

class Storage {
 public:
  // Returns at least `bytes` bytes (never null; size 0 gets a valid pointer). Throws IsotensorError.
  static void* alloc(Context ctx, size_t bytes);
  static void free(Context ctx, void* ptr, size_t bytes);
  static MemoryStats stats(Context ctx);
  // Drops every cached block of the device.
  static void releasePooled(Context ctx);
};

// A device's raw allocator beneath the pool (cudaMalloc for GPUs); set by the CUDA module.
struct DeviceAllocator {
  void* (*alloc)(int devId, size_t bytes);
  void (*free)(int devId, void* ptr);
};
void setGpuAllocator(const DeviceAllocator& a);

}  // namespace ist
