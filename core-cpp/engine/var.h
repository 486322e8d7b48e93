// Engine internals shared by ThreadedEngine and NaiveEngine: vars, op dependencies, errors, tracing.
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>
#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/spin_lock.h"

namespace ist {

// An error thrown by an op, shared by every var it poisons (downstream ops inherit the same
// record, so the message stays the original one). `raised` is set once a wait has thrown it,
// so waitForAll does not throw it a second time.
struct ErrorRecord {
  std::exception_ptr error;
  std::atomic<bool> raised{false};
};
using ErrorRef = std::shared_ptr<ErrorRecord>;

struct OpBlock;  // ThreadedEngine's op (threaded_engine.cc)
struct Var;

enum DepMode : uint8_t { kDepRead = 1, kDepWrite = 2 };

// One (op, var) edge; also the node of the var's queue of ops waiting for access.
struct VarDep {
  Var* var;
  OpBlock* op;
  VarDep* next;
  uint8_t mode;  // kDepRead, kDepWrite or both (a var in both lists: read-modify-write)
};

// A var grants access in program order: any number of readers at once, one writer alone.
// `error` is read by ops holding access to the var and written only by its writer.
struct Var {
  SpinLock mu;                   // guards the fields below except error
  VarDep* head = nullptr;        // ops waiting, FIFO
  VarDep* tail = nullptr;
  int readers = 0;               // ops granted read access and not done
  bool writer = false;           // an op holds write access
  ErrorRef error;
  // Changes each time an op that writes the var has run (write_stamp.h); process-unique, so a
  // new var never repeats a stamp an earlier one had.
  std::atomic<uint64_t> writeStamp;
  Var();
  ~Var();
};

// Fills deps with one entry per distinct var: mutable vars are writes, a const var also listed
// as mutable adds kDepRead to its write, duplicates collapse. noexcept (as runOp): the engine's
// per-op calls must not cost a JS exception trampoline each in the WASM build; running out of
// memory for a few dep entries is fatal.
void collectDeps(const VarHandle* constVars, size_t numConst, const VarHandle* mutableVars,
                 size_t numMutable, OpBlock* op, std::vector<VarDep>& deps) noexcept;

// Push flags. kRunOnError: pushSync's runOnError (run even when a var the op reads carries an
// error; on success leave the errors of its written vars alone). kNoTrace: internal ops.
constexpr unsigned kRunOnError = 1u;
constexpr unsigned kNoTrace = 2u;
// kRunInline: a trivial op (a waiter's signal) that runs on whichever thread makes it ready,
// sparing a hand-off to a pool thread on the way to the waiting thread.
constexpr unsigned kRunInline = 4u;
// kRunIfReady: a small op (pushSmall) that runs on the pushing thread when the push grants all
// its vars; otherwise it waits and runs on a worker like any op.
constexpr unsigned kRunIfReady = 8u;

// The hook set by setGpuWorkerInit (null when none).
using GpuWorkerInit = void* (*)(int devId);
GpuWorkerInit gpuWorkerInit();

struct GpuOpTimer;
const GpuOpTimer* gpuOpTimer();  // setGpuOpTimer's timer (engine_impl.h); null when none

class ThreadPool;
// The pool a threaded engine runs its CPU ops on (the process pool when it is the process engine).
ThreadPool* threadedEnginePool(EngineBase* engine);

// Errors recorded by one engine, in the order they were thrown.
class ErrorList {
 public:
  void add(const ErrorRef& e);
  // Rethrows the first error no wait has raised yet; clears the list either way.
  void raiseFirstUnraised();
 private:
  std::mutex mu_;
  std::vector<ErrorRef> errors_;
};

// Marks the error raised and rethrows it (waitForVar). No-op on null.
void raiseVarError(const ErrorRef& e);

// Runs an op with the engine's error rules and drops fn's captures: skips fn when a var the op
// reads carries an error (unless kRunOnError), records a thrown error in `errors`, then sets,
// inherits or clears the errors of the vars the op writes. The caller holds access to all deps.
void runOp(SyncFn& fn, const RunContext& rc, const char* name, const VarDep* deps, size_t n,
           unsigned flags, ErrorList& errors) noexcept;

}  // namespace ist
