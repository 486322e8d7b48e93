// The CPU worker pool: engine ops queue as tasks, parallelFor chunks jump the queue.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#include "base/function_ref.h"

// Single-threaded WebAssembly has no threads at all: one runner, everything inline.
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define IST_HAS_THREADS 0
#else
#define IST_HAS_THREADS 1
#endif

namespace ist {

class ThreadPool {
 public:
  using TaskFn = void (*)(void*);
  // Starts numThreads workers (none when numThreads <= 1 is asked of a thread-less build).
  // Workers are numbered firstIndex.. in traces.
  ThreadPool(int numThreads, int firstIndex = 1);
  // Drains the queue, then joins the workers. The process pool is never destroyed.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Worker threads (>= 1: with no threads the caller is the only runner).
  int size() const { return threads_.empty() ? 1 : static_cast<int>(threads_.size()); }
  // Queues fn(arg) for a worker (runs it inline when the pool has no threads).
  void submit(TaskFn fn, void* arg);
  // True on one of this pool's workers.
  bool onWorker() const;
  // True while parallelFor chunks wait for helpers (workers should take those first).
  bool jobsWaiting() const { return jobsQueued_.load(std::memory_order_relaxed) > 0; }
  void parallelFor(int64_t n, int64_t costPerItem, FunctionRef<void(int64_t, int64_t)> fn);

 private:
  struct Task { TaskFn fn; void* arg; };
  struct Job;
  void workerLoop(int index);
  static void runChunks(Job& job);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  std::deque<std::shared_ptr<Job>> jobs_;
  int sleeping_ = 0;
  bool stop_ = false;
  std::atomic<int> jobsQueued_{0};
  std::atomic<int> queued_{0};  // tasks_.size(), readable without the lock
  std::vector<std::thread> threads_;
};

// The pool parallelFor uses: the process engine's (Engine::get() creates it).
ThreadPool* processPool();
void setProcessPool(ThreadPool* pool);

// Trace index of the calling thread (see currentThreadIndex in engine_impl.h).
void setCurrentThreadIndex(int index);

}  // namespace ist
