// parallelFor on the process pool (the engine's CPU workers), serial when there are no threads.
#include "engine/parallel_for.h"
#include "engine/engine.h"
#include "engine/thread_pool.h"

namespace ist {

static ThreadPool* pool() {
  ThreadPool* p = processPool();
  if (!p) {
    Engine::get();  // first use: starts the engine, which creates the pool
    p = processPool();
  }
  return p;
}

void parallelFor(int64_t n, int64_t costPerItem, FunctionRef<void(int64_t, int64_t)> fn) {
  if (n <= 0) return;
  ThreadPool* p = pool();
  if (!p) {
    fn(0, n);
    return;
  }
  p->parallelFor(n, costPerItem, fn);
}

int parallelThreads() {
  ThreadPool* p = pool();
  return p ? p->size() : 1;
}

}  // namespace ist
