// SpinLock: a lock for the engine's few-instruction critical sections (a var's queue, the push order).
#pragma once
#include <atomic>
#include <thread>

namespace ist {

// std::mutex costs a call into the C library per lock and unlock; in the WASM threads build that is
// musl's pthread_mutex_lock, ~35 ns a pair, and an imperative op takes 16 of them. The sections this
// guards are a handful of loads and stores, so an uncontended exchange is all a lock needs to be.
// A waiter spins briefly, then yields, so a holder that lost its time slice gets the core back.
class SpinLock {
 public:
  void lock() noexcept {
    if (!held_.exchange(true, std::memory_order_acquire)) return;
    for (int spins = 0;; ++spins) {
      while (held_.load(std::memory_order_relaxed)) {
        if (spins++ >= 64) std::this_thread::yield();
      }
      if (!held_.exchange(true, std::memory_order_acquire)) return;
    }
  }
  void unlock() noexcept { held_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> held_{false};
};

}  // namespace ist
