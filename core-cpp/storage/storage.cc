// Pooled device memory: size-bucketed free lists per device, a capped cache, live/peak stats.
//
// Buckets: requests up to 4 KiB round up to a power of two (64 B at least, so size 0 still gets
// a unique block); larger ones round up to a multiple of a quarter of their power of two
// (5000 -> 5120, 9000 -> 10240), so slack stays under 25% while sizes still repeat enough to reuse.
// All stats count bucket-rounded bytes, i.e. what the pool really holds for the caller.
// Cache cap: a freed block is cached while pooled bytes stay within max(kMinCache, peakBytes);
// otherwise the largest cached blocks are released first (and a block bigger than the cap is
// released at once). An allocation that fails releases the device's cache and retries once.
// The pools are never destroyed (storage may be freed by engine workers during exit).
#include "storage/storage.h"
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>
#include "base/error.h"

namespace ist {

namespace {

constexpr size_t kAlign = 64;
constexpr int kMaxDevices = 64;
#if defined(__EMSCRIPTEN__)
constexpr int64_t kMinCache = int64_t(64) << 20;  // WASM memory never shrinks: keep less around
#else
constexpr int64_t kMinCache = int64_t(256) << 20;
#endif

struct Pool {
  std::mutex mu;
  std::map<size_t, std::vector<void*>> cache;  // bucket size -> free blocks
  MemoryStats stats;
};

std::atomic<Pool*> gPools[2][kMaxDevices];
std::atomic<const DeviceAllocator*> gGpuAllocator{nullptr};

void checkContext(Context ctx) {
  IST_CHECK(ctx.devType == Context::kCPU || ctx.devType == Context::kGPU, "storage", "ctx",
            "unknown device type " << ctx.devType);
  IST_CHECK(ctx.devId >= 0 && ctx.devId < kMaxDevices, "storage", "ctx",
            "device id " << ctx.devId << " is out of range [0, " << kMaxDevices << ")");
}

// The device's pool, created on first use; null when it does not exist and create is false.
Pool* poolOf(Context ctx, bool create) {
  std::atomic<Pool*>& slot = gPools[ctx.devType - 1][ctx.devId];
  Pool* p = slot.load(std::memory_order_acquire);
  if (p || !create) return p;
  Pool* fresh = new Pool;
  if (slot.compare_exchange_strong(p, fresh, std::memory_order_acq_rel)) return fresh;
  delete fresh;  // another thread won
  return p;
}

// Returns 0 when no bucket can hold n (the request is hopeless).
size_t bucketSize(size_t n) {
  if (n <= 64) return 64;
  const uint64_t v = n;
  if (v > (uint64_t(1) << 60) || v > SIZE_MAX / 2) return 0;
  const int log2 = 63 - __builtin_clzll(v);
  const uint64_t pow = uint64_t(1) << log2;
  if (v == pow) return n;
  if (v <= 4096) return static_cast<size_t>(pow << 1);
  const uint64_t step = pow >> 2;
  return static_cast<size_t>((v + step - 1) / step * step);
}

void* rawAlloc(Context ctx, size_t bytes) {
  if (ctx.isGPU()) {
    const DeviceAllocator* a = gGpuAllocator.load(std::memory_order_acquire);
    return a->alloc(ctx.devId, bytes);
  }
  void* p = nullptr;
  return posix_memalign(&p, kAlign, bytes) == 0 ? p : nullptr;
}

void rawFree(Context ctx, void* p) {
  if (ctx.isGPU()) gGpuAllocator.load(std::memory_order_acquire)->free(ctx.devId, p);
  else std::free(p);
}

[[noreturn]] void throwCannotAllocate(Context ctx, size_t bytes) {
  throwError("storage", "bytes", "cannot allocate " + std::to_string(bytes) + " bytes on " + ctx.str());
}

}  // namespace

void setGpuAllocator(const DeviceAllocator& a) {
  gGpuAllocator.store(new DeviceAllocator(a), std::memory_order_release);  // leaked on purpose
}

void* Storage::alloc(Context ctx, size_t bytes) {
  checkContext(ctx);
  IST_CHECK(!ctx.isGPU() || gGpuAllocator.load(std::memory_order_acquire), "storage", "ctx",
            ctx.str() << " is not available: isotensor was built without CUDA");
  const size_t size = bucketSize(bytes);
  if (size == 0) throwCannotAllocate(ctx, bytes);
  Pool& pool = *poolOf(ctx, true);
  void* p = nullptr;
  {
    std::lock_guard<std::mutex> lk(pool.mu);
    auto it = pool.cache.find(size);
    if (it != pool.cache.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
      pool.stats.pooledBytes -= static_cast<int64_t>(size);
    }
  }
  if (!p) {
    p = rawAlloc(ctx, size);
    if (!p) {
      releasePooled(ctx);
      p = rawAlloc(ctx, size);
    }
    if (!p) throwCannotAllocate(ctx, bytes);
  }
  std::lock_guard<std::mutex> lk(pool.mu);
  pool.stats.liveBytes += static_cast<int64_t>(size);
  pool.stats.liveCount += 1;
  pool.stats.peakBytes = std::max(pool.stats.peakBytes, pool.stats.liveBytes);
  return p;
}

void Storage::free(Context ctx, void* ptr, size_t bytes) {
  if (!ptr) return;
  checkContext(ctx);
  const size_t size = bucketSize(bytes);
  Pool* pool = poolOf(ctx, false);
  if (!pool || size == 0) return;  // never handed out by alloc
  std::vector<void*> release;
  {
    std::lock_guard<std::mutex> lk(pool->mu);
    MemoryStats& s = pool->stats;
    s.liveBytes -= static_cast<int64_t>(size);
    s.liveCount -= 1;
    const int64_t cap = std::max(kMinCache, s.peakBytes);
    const int64_t sz = static_cast<int64_t>(size);
    if (sz > cap) {
      release.push_back(ptr);
    } else {
      while (s.pooledBytes + sz > cap && !pool->cache.empty()) {  // evict the largest blocks
        auto last = std::prev(pool->cache.end());
        if (last->second.empty()) {
          pool->cache.erase(last);
          continue;
        }
        release.push_back(last->second.back());
        last->second.pop_back();
        s.pooledBytes -= static_cast<int64_t>(last->first);
      }
      pool->cache[size].push_back(ptr);
      s.pooledBytes += sz;
    }
  }
  for (void* p : release) rawFree(ctx, p);
}

MemoryStats Storage::stats(Context ctx) {
  checkContext(ctx);
  Pool* pool = poolOf(ctx, false);
  if (!pool) return MemoryStats{};
  std::lock_guard<std::mutex> lk(pool->mu);
  return pool->stats;
}

void Storage::releasePooled(Context ctx) {
  checkContext(ctx);
  Pool* pool = poolOf(ctx, false);
  if (!pool) return;
  std::vector<void*> release;
  {
    std::lock_guard<std::mutex> lk(pool->mu);
    for (auto& bucket : pool->cache)
      release.insert(release.end(), bucket.second.begin(), bucket.second.end());
    pool->cache.clear();
    pool->stats.pooledBytes = 0;
  }
  for (void* p : release) rawFree(ctx, p);
}

}  // namespace ist
