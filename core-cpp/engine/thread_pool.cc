// The CPU worker pool and its parallelFor: chunks claimed from a shared counter by the caller
// and by idle workers, so a caller never waits on work nobody is doing.
#include "engine/thread_pool.h"
#include <algorithm>
#include <exception>

namespace ist {

namespace {
thread_local const ThreadPool* tPool = nullptr;
thread_local int tThreadIndex = 0;
std::atomic<ThreadPool*> gProcessPool{nullptr};

// Below this much work (n * costPerItem, rough scalar ops) waking helpers costs more than it saves.
constexpr int64_t kMinParallelWork = 32768;
// Target work per chunk; chunks are claimed dynamically so busy workers just take fewer.
constexpr int64_t kChunkWork = 16384;
}  // namespace

ThreadPool* processPool() { return gProcessPool.load(std::memory_order_acquire); }
void setProcessPool(ThreadPool* pool) { gProcessPool.store(pool, std::memory_order_release); }
void setCurrentThreadIndex(int index) { tThreadIndex = index; }
int currentThreadIndex() { return tThreadIndex; }

struct ThreadPool::Job {
  const FunctionRef<void(int64_t, int64_t)>* fn = nullptr;  // valid while a chunk is unclaimed
  int64_t n = 0;
  int64_t chunks = 0;
  int helpersWanted = 0;  // guarded by the pool's mu_
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::mutex mu;  // guards error; pairs with cv for the caller's final wait
  std::condition_variable cv;
  std::exception_ptr error;
};

ThreadPool::ThreadPool(int numThreads, int firstIndex) {
#if IST_HAS_THREADS
  for (int i = 0; i < numThreads; ++i) threads_.emplace_back([this, i, firstIndex] { workerLoop(firstIndex + i); });
#else
  (void)numThreads;
  (void)firstIndex;
#endif
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool ThreadPool::onWorker() const { return tPool == this; }

void ThreadPool::submit(TaskFn fn, void* arg) {
  if (threads_.empty()) {
    fn(arg);
    return;
  }
  bool wake;
  {
    std::lock_guard<std::mutex> lk(mu_);
    tasks_.push_back(Task{fn, arg});
    queued_.fetch_add(1, std::memory_order_relaxed);
    wake = sleeping_ > 0;
  }
  if (wake) cv_.notify_one();
}

void ThreadPool::workerLoop(int index) {
  tPool = this;
  tThreadIndex = index;
  std::unique_lock<std::mutex> lk(mu_);
  bool spun = false;
  for (;;) {
    // Ready engine ops first: independent ops run side by side (the engine's inter-op
    // parallelism, e.g. the seed's c *= 3 beside the a chain) instead of queueing behind
    // the chunks of one op.
    if (!tasks_.empty()) {
      Task t = tasks_.front();
      tasks_.pop_front();
      queued_.fetch_sub(1, std::memory_order_relaxed);
      spun = false;
      lk.unlock();
      t.fn(t.arg);
      lk.lock();
      continue;
    }
    if (!jobs_.empty()) {  // then parallelFor chunks: their caller runs them too, so they never starve
      std::shared_ptr<Job> job = jobs_.front();
      if (--job->helpersWanted <= 0) {
        jobs_.pop_front();
        jobsQueued_.fetch_sub(1, std::memory_order_relaxed);
      }
      spun = false;
      lk.unlock();
      runChunks(*job);
      job.reset();
      lk.lock();
      continue;
    }
    if (stop_) return;
    if (!spun) {  // spin briefly first: a burst of small ops would otherwise pay a futex wake each
      lk.unlock();
      for (int i = 0; i < 64 && queued_.load(std::memory_order_relaxed) == 0 && !jobsWaiting(); ++i)
        std::this_thread::yield();
      lk.lock();
      spun = true;
      continue;  // re-check everything, stop_ included
    }
    spun = false;
    ++sleeping_;
    cv_.wait(lk);
    --sleeping_;
  }
}

void ThreadPool::runChunks(Job& job) {
  const int64_t per = job.n / job.chunks, rem = job.n % job.chunks;
  for (;;) {
    const int64_t c = job.next.fetch_add(1, std::memory_order_relaxed);
    if (c >= job.chunks) return;  // job may already be finished: touch nothing else
    const int64_t begin = c * per + std::min(c, rem);
    const int64_t end = begin + per + (c < rem ? 1 : 0);
    try {
      (*job.fn)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lk(job.mu);
      if (!job.error) job.error = std::current_exception();
    }
    if (job.done.fetch_add(1, std::memory_order_acq_rel) + 1 == job.chunks) {
      std::lock_guard<std::mutex> lk(job.mu);
      job.cv.notify_all();
    }
  }
}

void ThreadPool::parallelFor(int64_t n, int64_t costPerItem,
                             FunctionRef<void(int64_t, int64_t)> fn) {
  if (n <= 0) return;
  const int64_t cost = std::max<int64_t>(costPerItem, 1);
  const int64_t work = n > INT64_MAX / cost ? INT64_MAX : n * cost;
  const bool inPool = onWorker();
  const int helpers = static_cast<int>(threads_.size()) - (inPool ? 1 : 0);
  if (helpers <= 0 || n < 2 || work < kMinParallelWork) {
    fn(0, n);
    return;
  }
  const int64_t runners = helpers + 1;
  const int64_t chunks = std::min(n, std::max<int64_t>(2, std::min(work / kChunkWork, 4 * runners)));
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->n = n;
  job->chunks = chunks;
  job->helpersWanted = static_cast<int>(std::min<int64_t>(chunks - 1, helpers));
  int wake;
  {
    std::lock_guard<std::mutex> lk(mu_);
    jobs_.push_back(job);
    jobsQueued_.fetch_add(1, std::memory_order_relaxed);
    wake = std::min(sleeping_, job->helpersWanted);
  }
  if (wake == 1) cv_.notify_one();
  else if (wake > 1) cv_.notify_all();

  runChunks(*job);
  {  // every chunk is claimed: workers that have not picked the job up yet need not
    std::lock_guard<std::mutex> lk(mu_);
    auto it = std::find(jobs_.begin(), jobs_.end(), job);
    if (it != jobs_.end()) {
      jobs_.erase(it);
      jobsQueued_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  // Wait for chunks other threads are running (briefly spinning: they are usually short).
  for (int i = 0; i < 256 && job->done.load(std::memory_order_acquire) < chunks; ++i) std::this_thread::yield();
  std::unique_lock<std::mutex> lk(job->mu);
  job->cv.wait(lk, [&] { return job->done.load(std::memory_order_acquire) >= chunks; });
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace ist
