// Stand-alone self-test and microbenchmark of the engine, parallelFor and the storage pool.
// Build and run (from the repo root; not part of the library): sh core-cpp/engine/engine_selftest.sh
//   = g++ -std=c++17 -O2 -pthread -Icore-cpp -Icore-cpp/include core-cpp/engine/engine_selftest.cpp
//       core-cpp/engine/*.cc core-cpp/storage/*.cc core-cpp/base/base.cc -o /tmp/engine_selftest
//   (append -fsanitize=thread -O1 -g to the script's arguments to check for races)
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include "base/error.h"
#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/parallel_for.h"
#include "engine/thread_pool.h"  // IST_HAS_THREADS
#include "storage/storage.h"

using namespace ist;

static int gFailures = 0;
#define EXPECT(cond, ...)                                         \
  do {                                                            \
    if (!(cond)) {                                                \
      ++gFailures;                                                \
      std::printf("  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      std::printf(__VA_ARGS__);                                   \
      std::printf("\n");                                          \
    }                                                             \
  } while (0)

static double nowUs() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
static void sleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Minimal reader of the trace JSON: (op, start, end) per event.
struct Ev { std::string op; int thread; double start, end; };
static std::vector<Ev> parseTrace(const std::string& js) {
  std::vector<Ev> out;
  size_t pos = 0;
  while ((pos = js.find("{\"op\":\"", pos)) != std::string::npos) {
    Ev e;
    size_t q = js.find('"', pos + 7);
    e.op = js.substr(pos + 7, q - pos - 7);
    std::sscanf(js.c_str() + q, "\",\"thread\":%d,\"start_us\":%lf,\"end_us\":%lf", &e.thread, &e.start, &e.end);
    out.push_back(e);
    pos = q;
  }
  return out;
}

// (1) A chain of writes on A and one write on C: C runs while A's chain is running.
static void testSeedOverlap() {
  std::printf("[1] seed example: chain on A overlaps the write on C\n");
  Engine* eng = Engine::get();
  VarHandle a = eng->newVariable(), c = eng->newVariable();
  Engine::setTrace(true);
  for (int i = 0; i < 4; ++i) eng->pushSync([](RunContext) { sleepMs(15); }, Context::cpu(), {}, {a}, "chainA");
  eng->pushSync([](RunContext) { sleepMs(15); }, Context::cpu(), {}, {c}, "writeC");
  eng->waitForAll();
  Engine::setTrace(false);
  std::string js = Engine::takeTraceJSON();
  std::printf("  trace: %s\n", js.c_str());
  auto evs = parseTrace(js);
  double a0 = 1e30, a1 = 0, c0 = 0, c1 = 0, prevEnd = 0;
  int na = 0;
  bool ordered = true;
  for (auto& e : evs) {
    if (e.op == "chainA") {
      ++na;
      if (e.start < prevEnd) ordered = false;
      prevEnd = e.end;
      a0 = std::min(a0, e.start);
      a1 = std::max(a1, e.end);
    } else if (e.op == "writeC") {
      c0 = e.start;
      c1 = e.end;
    }
  }
  EXPECT(na == 4 && evs.size() == 5, "events %zu", evs.size());
  EXPECT(ordered, "chain on A ran out of order or overlapped itself");
  EXPECT(c0 < a1 && c1 > a0, "C [%.0f,%.0f] did not overlap A's chain [%.0f,%.0f]", c0, c1, a0, a1);
  std::printf("  A chain [%.0f, %.0f] us, C [%.0f, %.0f] us\n", a0, a1, c0, c1);
  eng->deleteVariable([](RunContext) {}, Context::cpu(), a);
  eng->deleteVariable([](RunContext) {}, Context::cpu(), c);
  EXPECT(Engine::takeTraceJSON() == "[]", "trace not cleared");
}

// (2) Random DAGs over 8 vars: the threaded engine must equal a sequential reference.
static void testRandomDags(EngineBase* eng, const char* label, int dags) {
  std::printf("[2] %d random DAGs on %s\n", dags, label);
  std::mt19937 rng(1234);
  int mismatches = 0;
  constexpr int kVars = 8;
  for (int dag = 0; dag < dags; ++dag) {
    std::vector<VarHandle> vars(kVars);
    for (auto& v : vars) v = eng->newVariable();
    std::vector<uint64_t> state(kVars), ref(kVars);
    for (int i = 0; i < kVars; ++i) state[i] = ref[i] = i + 1;
    const int nops = 5 + rng() % 40;
    for (int k = 0; k < nops; ++k) {
      std::vector<int> reads, writes;
      for (int i = 0; i < kVars; ++i) {
        int r = rng() % 8;
        if (r == 0) reads.push_back(i);
        else if (r == 1) writes.push_back(i);
        else if (r == 2 && (rng() & 1)) { reads.push_back(i); writes.push_back(i); }  // both lists
      }
      if (writes.empty()) writes.push_back(rng() % kVars);
      if (rng() % 4 == 0) reads.push_back(reads.empty() ? 0 : reads[0]);  // duplicate entry
      const uint64_t salt = rng();
      const bool slow = rng() % 16 == 0;
      // Value: every written var mixes the read values, its own value and the salt.
      auto body = [reads, writes, salt](uint64_t* st) {
        uint64_t acc = salt;
        for (int r : reads) acc = acc * 1000003u + st[r];
        for (int w : writes) st[w] = st[w] * 31u + acc + static_cast<uint64_t>(w);
      };
      body(ref.data());
      std::vector<VarHandle> cv, mv;
      for (int r : reads) cv.push_back(vars[r]);
      for (int w : writes) mv.push_back(vars[w]);
      const Context ctx = rng() % 10 == 0 ? Context::gpu(rng() % 2) : Context::cpu();
      uint64_t* st = state.data();
      eng->pushSync([body, st, slow](RunContext) {
        if (slow) std::this_thread::sleep_for(std::chrono::microseconds(50));
        body(st);
      }, ctx, cv, mv, "dagop");
    }
    if (dag % 2) eng->waitForAll();
    else for (auto v : vars) eng->waitForVarWrite(v);
    if (state != ref) ++mismatches;
    for (auto v : vars) eng->deleteVariable([](RunContext) {}, Context::cpu(), v);
  }
  eng->waitForAll();
  EXPECT(mismatches == 0, "%d of %d DAGs differ from the sequential reference", mismatches, dags);
  std::printf("  %d mismatches\n", mismatches);
}

// (3) Read-after-write, write-after-read, write-after-write, and concurrent readers.
static void testOrdering(EngineBase* eng) {
  std::printf("[3] RAW / WAR / WAW order, concurrent readers\n");
  VarHandle x = eng->newVariable();
  int value = 0;
  std::atomic<int> seen1{-1}, seen2{-1};
  eng->pushSync([&](RunContext) { sleepMs(10); value = 1; }, Context::cpu(), {}, {x}, "w1");
  eng->pushSync([&](RunContext) { sleepMs(10); seen1 = value; }, Context::cpu(), {x}, {}, "r1");   // RAW
  eng->pushSync([&](RunContext) { value = 2; }, Context::cpu(), {}, {x}, "w2");                     // WAR
  eng->pushSync([&](RunContext) { sleepMs(5); value = 3; }, Context::cpu(), {}, {x}, "w3");         // WAW
  eng->pushSync([&](RunContext) { seen2 = value; }, Context::cpu(), {x}, {}, "r2");
  eng->waitForVar(x);
  EXPECT(seen1 == 1 && value == 3, "seen1=%d value=%d", seen1.load(), value);
  eng->waitForAll();
  EXPECT(seen2 == 3, "seen2=%d", seen2.load());

  // Four readers of one var run together (given at least two workers).
  std::atomic<int> inside{0}, maxInside{0};
  for (int i = 0; i < 4; ++i)
    eng->pushSync([&](RunContext) {
      int now = ++inside;
      int m = maxInside.load();
      while (now > m && !maxInside.compare_exchange_weak(m, now)) {}
      sleepMs(20);
      --inside;
    }, Context::cpu(), {x}, {}, "reader");
  eng->waitForAll();
  EXPECT(eng->numWorkers() < 2 || maxInside >= 2, "readers never overlapped (max %d)", maxInside.load());
  std::printf("  readers overlapping at most: %d (workers %d)\n", maxInside.load(), eng->numWorkers());
  eng->deleteVariable([](RunContext) {}, Context::cpu(), x);
  eng->waitForAll();
}

// (4) Errors: stored on written vars, inherited downstream, healed by a pure write, raised once.
static void testErrors(EngineBase* eng, const char* label) {
  std::printf("[4] errors on %s\n", label);
  const std::string msg = "myop: argument 'x': boom (2,3)";
  VarHandle a = eng->newVariable(), b = eng->newVariable(), d = eng->newVariable();
  std::atomic<bool> readRan{false}, inplaceRan{false}, healRan{false};
  eng->pushSync([&](RunContext) { throw IsotensorError(msg); }, Context::cpu(), {}, {a}, "myop");
  eng->pushSync([&](RunContext) { readRan = true; }, Context::cpu(), {a}, {b}, "reader");
  bool threw = false;
  try {
    eng->waitForVar(a);
  } catch (const IsotensorError& e) {
    threw = std::string(e.what()) == msg;
  }
  EXPECT(threw, "waitForVar(a) did not rethrow the IsotensorError");
  threw = false;
  try {
    eng->waitForVar(b);
  } catch (const IsotensorError& e) {
    threw = std::string(e.what()) == msg;
  }
  EXPECT(threw, "b did not inherit a's error");
  EXPECT(!readRan, "an op reading a failed var ran");
  eng->pushSync([&](RunContext) { inplaceRan = true; }, Context::cpu(), {a}, {a}, "inplace");
  eng->pushSync([&](RunContext) { healRan = true; }, Context::cpu(), {}, {a}, "overwrite");
  eng->waitForVar(a);  // healed: must not throw
  EXPECT(!inplaceRan && healRan, "inplace=%d heal=%d", (int)inplaceRan, (int)healRan);
  bool clean = true;
  try {
    eng->waitForAll();  // both errors were raised by waitForVar already
  } catch (...) {
    clean = false;
  }
  EXPECT(clean, "waitForAll raised an error a waitForVar had already raised");

  // A fresh error nobody waited for: waitForAll raises it once, then is clean.
  eng->pushSync([](RunContext) { throw IsotensorError("other: argument 'y': bad"); }, Context::cpu(), {},
                {d}, "other");
  int raised = 0;
  for (int i = 0; i < 2; ++i) {
    try {
      eng->waitForAll();
    } catch (const IsotensorError& e) {
      raised += std::string(e.what()) == "other: argument 'y': bad";
    }
  }
  EXPECT(raised == 1, "waitForAll raised %d times", raised);
  // A non-IsotensorError keeps its type; the engine keeps working.
  eng->pushSync([](RunContext) { throw std::out_of_range("oor"); }, Context::cpu(), {}, {d}, "oor");
  bool typed = false;
  try {
    eng->waitForVar(d);
  } catch (const std::out_of_range&) {
    typed = true;
  }
  EXPECT(typed, "exception type not kept");
  int v = 0;
  eng->pushSync([&](RunContext) { v = 7; }, Context::cpu(), {}, {d}, "after");
  eng->waitForVar(d);
  EXPECT(v == 7, "engine broken after an error");
  // kRunOnError ops run even on a failed input and leave the error in place.
  eng->pushSync([](RunContext) { throw IsotensorError("e3"); }, Context::cpu(), {}, {b}, "e3");
  std::atomic<bool> signalled{false};
  eng->pushSync([&](RunContext) { signalled = true; }, Context::cpu(), {b}, {}, "signal", true);
  bool stillFailed = false;
  try {
    eng->waitForVar(b);
  } catch (const IsotensorError&) {
    stillFailed = true;
  }
  try { eng->waitForAll(); } catch (...) {}
  EXPECT(signalled && stillFailed, "signal=%d failed=%d", (int)signalled, (int)stillFailed);
  for (VarHandle x : {a, b, d}) eng->deleteVariable([](RunContext) {}, Context::cpu(), x);
  eng->waitForAll();
}

// (5) deleteVariable frees vars, runs the deleter after pending ops, and even on failed vars.
static void testDelete(EngineBase* eng) {
  std::printf("[5] deleteVariable does not leak\n");
  eng->waitForAll();
  const int64_t before = liveVarCount();
  std::atomic<int> deleted{0}, ran{0};
  std::atomic<bool> orderOk{true};
  for (int i = 0; i < 20000; ++i) {
    VarHandle v = eng->newVariable();
    auto* done = new std::atomic<bool>(false);
    eng->pushSync([&ran, done](RunContext) { ++ran; done->store(true); }, Context::cpu(), {}, {v}, "w");
    if (i % 7 == 0) eng->pushSync([](RunContext) { throw IsotensorError("x"); }, Context::cpu(), {}, {v}, "bad");
    eng->deleteVariable([&deleted, &orderOk, done](RunContext) {
      if (!done->load()) orderOk = false;
      delete done;
      ++deleted;
    }, Context::cpu(), v);
  }
  try { eng->waitForAll(); } catch (...) {}
  EXPECT(deleted == 20000 && ran == 20000 && orderOk, "deleted=%d ran=%d", deleted.load(), ran.load());
  EXPECT(liveVarCount() == before, "live vars %lld -> %lld", (long long)before, (long long)liveVarCount());
  std::printf("  live vars before %lld after %lld\n", (long long)before, (long long)liveVarCount());
}

// (6) parallelFor: coverage, nesting, exceptions, called from ops while every worker is busy.
static void testParallelFor() {
  std::printf("[6] parallelFor (threads %d)\n", parallelThreads());
  const int64_t n = 1 << 20;
  std::vector<int> hits(n, 0);
  parallelFor(n, 1, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) ++hits[i]; });
  bool once = true;
  for (int h : hits) once &= h == 1;
  EXPECT(once, "not every index visited exactly once");
  std::atomic<int64_t> total{0};
  parallelFor(64, 100000, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      parallelFor(1000, 100, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
  });
  EXPECT(total == 64000, "nested total %lld", (long long)total.load());
  bool caught = false;
  try {
    parallelFor(n, 1, [&](int64_t b, int64_t) { if (b == 0) throw IsotensorError("pf: argument 'x': chunk"); });
  } catch (const IsotensorError&) {
    caught = true;
  }
  EXPECT(caught, "exception in a chunk not propagated");
  int64_t small = 0;
  parallelFor(10, 1, [&](int64_t b, int64_t e) { small += e - b; });  // too small: runs inline
  EXPECT(small == 10, "small=%lld", (long long)small);

  // Every worker busy: W ops each run a parallelFor (plus nested ones), one op blocks a worker.
  Engine* eng = Engine::get();
  const int w = eng->numWorkers();
  std::vector<VarHandle> vars;
  std::vector<int64_t> sums(w + 1, 0);
  std::atomic<bool> release{false};
  VarHandle blocker = eng->newVariable();
  const bool threaded = std::string(eng->kind()) == "threaded";  // naive would spin here forever
  if (threaded)
    eng->pushSync([&](RunContext) { while (!release) std::this_thread::yield(); }, Context::cpu(), {}, {blocker},
                  "block");
  for (int k = 0; k <= w; ++k) {
    vars.push_back(eng->newVariable());
    eng->pushSync([&sums, k](RunContext) {
      std::atomic<int64_t> s{0};
      parallelFor(1 << 18, 4, [&](int64_t b, int64_t e) {
        int64_t local = 0;
        for (int64_t i = b; i < e; ++i) local += i;
        std::atomic<int64_t> nested{0};
        parallelFor(4, 20000, [&](int64_t b2, int64_t e2) { nested += e2 - b2; });
        local += nested - 4;
        s += local;
      });
      sums[k] = s;
    }, Context::cpu(), {}, {vars.back()}, "pfop");
  }
  for (auto v : vars) eng->waitForVar(v);  // runs while `block` still holds a worker
  release = true;
  eng->waitForAll();
  const int64_t expect = (int64_t(1) << 18) * ((int64_t(1) << 18) - 1) / 2;
  bool allOk = true;
  for (int64_t s : sums) allOk &= s == expect;
  EXPECT(allOk, "parallelFor inside ops gave wrong sums");
  for (auto v : vars) eng->deleteVariable([](RunContext) {}, Context::cpu(), v);
  eng->deleteVariable([](RunContext) {}, Context::cpu(), blocker);
  eng->waitForAll();
}

static void testStorage() {
  std::printf("[s] storage pool\n");
  const Context cpu = Context::cpu();
  Storage::releasePooled(cpu);
  MemoryStats s0 = Storage::stats(cpu);
  void* z1 = Storage::alloc(cpu, 0);
  void* z2 = Storage::alloc(cpu, 0);
  EXPECT(z1 && z2 && z1 != z2, "size 0 blocks not unique");
  std::vector<std::pair<void*, size_t>> blocks;
  for (size_t sz : {1, 63, 64, 65, 4096, 5000, 9000, 1 << 20, 3 << 20}) {
    void* p = Storage::alloc(cpu, sz);
    EXPECT(reinterpret_cast<uintptr_t>(p) % 64 == 0, "unaligned block for %zu", sz);
    std::memset(p, 0xab, sz);
    blocks.push_back({p, sz});
  }
  MemoryStats s1 = Storage::stats(cpu);
  EXPECT(s1.liveCount == s0.liveCount + 11, "liveCount %lld", (long long)s1.liveCount);
  for (auto& b : blocks) Storage::free(cpu, b.first, b.second);
  Storage::free(cpu, z1, 0);
  Storage::free(cpu, z2, 0);
  MemoryStats s2 = Storage::stats(cpu);
  EXPECT(s2.liveBytes == s0.liveBytes && s2.liveCount == s0.liveCount, "live bytes did not return");
  EXPECT(s2.pooledBytes > 0 && s2.peakBytes >= s1.liveBytes, "pooled %lld", (long long)s2.pooledBytes);
  void* again = Storage::alloc(cpu, 4990);  // same bucket as 5000: reused
  EXPECT(again == blocks[5].first, "cached block not reused");
  Storage::free(cpu, again, 4990);
  Storage::releasePooled(cpu);
  EXPECT(Storage::stats(cpu).pooledBytes == 0, "releasePooled kept blocks");
  std::string err;
  const size_t huge = ~size_t(0) / 4 * 3;
  try {
    Storage::alloc(cpu, huge);
  } catch (const IsotensorError& e) {
    err = e.what();
  }
  EXPECT(err == "storage: argument 'bytes': cannot allocate " + std::to_string(huge) + " bytes on cpu(0)", "%s",
         err.c_str());
  err.clear();
  try {
    Storage::alloc(Context::gpu(0), 16);
  } catch (const IsotensorError& e) {
    err = e.what();
  }
  EXPECT(err.find("gpu(0) is not available: isotensor was built without CUDA") != std::string::npos, "%s", err.c_str());
  // Threads hammering the pool.
  std::vector<std::thread> ts;
  for (int t = 0; t < (IST_HAS_THREADS ? 4 : 0); ++t)
    ts.emplace_back([t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 20000; ++i) {
        size_t sz = rng() % 100000;
        void* p = Storage::alloc(Context::cpu(), sz);
        static_cast<char*>(p)[0] = 1;
        Storage::free(Context::cpu(), p, sz);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT(Storage::stats(cpu).liveBytes == s0.liveBytes, "live bytes after threads");
  std::printf("  peak %lld B, pooled %lld B\n", (long long)Storage::stats(cpu).peakBytes,
              (long long)Storage::stats(cpu).pooledBytes);
}

static void benchPush(EngineBase* eng, const char* label) {
  const int n = 100000;
  std::vector<VarHandle> vars(64);
  for (auto& v : vars) v = eng->newVariable();
  eng->waitForAll();
  auto run = [&](const char* what, auto pushOne) {
    double best = 1e30;
    for (int rep = 0; rep < 3; ++rep) {
      double t0 = nowUs();
      for (int i = 0; i < n; ++i) pushOne(i);
      eng->waitForAll();
      best = std::min(best, (nowUs() - t0) / n);
    }
    std::printf("  %-8s %-34s %.3f us/op\n", label, what, best);
  };
  run("empty op, no vars", [&](int) { eng->pushSync([](RunContext) {}, Context::cpu(), {}, {}, "e"); });
  run("empty op, write 1 of 64 vars", [&](int i) {
    eng->pushSync([](RunContext) {}, Context::cpu(), {}, {vars[i & 63]}, "e");
  });
  run("empty op, read 1 + write 1 (chain)", [&](int i) {
    eng->pushSync([](RunContext) {}, Context::cpu(), {vars[i & 63]}, {vars[(i + 1) & 63]}, "e");
  });
  run("empty op, all write one var", [&](int) {
    eng->pushSync([](RunContext) {}, Context::cpu(), {}, {vars[0]}, "e");
  });
  // Latency rather than throughput: one op, then block until it ran (includes waking a worker).
  double t0 = nowUs();
  const int m = 10000;
  for (int i = 0; i < m; ++i) {
    eng->pushSync([](RunContext) {}, Context::cpu(), {}, {vars[0]}, "e");
    eng->waitForVar(vars[0]);
  }
  std::printf("  %-8s %-34s %.3f us/op\n", label, "round trip: push 1 op + waitForVar", (nowUs() - t0) / m);
  for (auto v : vars) eng->deleteVariable([](RunContext) {}, Context::cpu(), v);
  eng->waitForAll();
}

// Usage: engine_selftest            all tests, then the benchmark (process engine: 4 workers)
//        engine_selftest bench [N]  only the benchmark, N workers
int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "bench") {
    Engine::init(argc > 2 ? std::atoi(argv[2]) : 0, 1);
    std::printf("workers %d\n", Engine::get()->numWorkers());
    benchPush(engineImpl(), Engine::get()->kind());
    return 0;
  }
  Engine::init(4, 1);
  Engine::init(1, 2);  // ignored: the first init wins
  std::printf("engine %s, workers %d, parallel threads %d\n", Engine::get()->kind(), Engine::get()->numWorkers(),
              parallelThreads());
  // Without threads (single-threaded WASM) every engine is naive: skip what needs concurrency.
  const bool threaded = std::string(Engine::get()->kind()) == "threaded";
  EXPECT(threaded == (IST_HAS_THREADS != 0), "kind %s", Engine::get()->kind());

  if (threaded) testSeedOverlap();
  testRandomDags(engineImpl(), "process ThreadedEngine(4)", 1000);
  {
    auto t2 = makeThreadedEngine(2);
    testRandomDags(t2.get(), "ThreadedEngine(2)", 300);
    testOrdering(t2.get());
    testErrors(t2.get(), "ThreadedEngine(2)");
  }
  auto naive = makeNaiveEngine();
  testRandomDags(naive.get(), "NaiveEngine", 200);
  testOrdering(engineImpl());
  testErrors(engineImpl(), "process ThreadedEngine");
  testErrors(naive.get(), "NaiveEngine");
  testDelete(engineImpl());
  testDelete(naive.get());
  testParallelFor();
  testStorage();

  // onIdle fires once everything pushed so far is done.
  std::atomic<bool> slowDone{false}, idleSawDone{false};
  VarHandle v = Engine::get()->newVariable();
  Engine::get()->pushSync([&](RunContext) { sleepMs(10); slowDone = true; }, Context::cpu(), {}, {v}, "slow");
  std::atomic<bool> idleRan{false};
  engineImpl()->onIdle([&] { idleSawDone = slowDone.load(); idleRan = true; });
  Engine::get()->waitForAll();
  while (!idleRan) std::this_thread::yield();
  EXPECT(idleSawDone, "onIdle fired early");
  Engine::get()->deleteVariable([](RunContext) {}, Context::cpu(), v);

  std::printf("[7] microbenchmark: push + run, 1e5 ops then waitForAll (best of 3)\n");
  benchPush(engineImpl(), Engine::get()->kind());
  benchPush(naive.get(), "naive");
  Engine::get()->waitForAll();
  std::printf(gFailures ? "FAILED: %d checks\n" : "all engine self-tests passed\n", gFailures);
  return gFailures ? 1 : 0;
}
