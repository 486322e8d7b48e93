# emscripten flags of the two WASM flavours (included by the Makefile).
#
# Exceptions: both flavours use -fexceptions (JS-based EH). -fwasm-exceptions is broken with -pthread in
# emscripten 3.1.6 (typed catches do not match), and in the single flavour it saved only ~12 ns per C ABI
# call (50 vs 85 ns for three tiny try/catch calls) while miscompiling a catch handler that assigns a
# thread_local std::string (it traps with "unreachable"), which is how the C ABI records its last error.

EMXX := em++
# Size (the .wasm is what a page downloads and compiles): IST_OP_DOCS=0 leaves the operators' doc strings out
# (the TS wrappers carry them); -fno-rtti drops the type names of every std::function target (the core uses
# neither typeid nor dynamic_cast; thrown types keep their type info, so catch clauses still match).
# -Wno-pass-failed: IST_SAME_INDEX_LOOP asks for vectorisation on generic loops, and instances that cannot be
# vectorised (a libm call, 16-bit floats) would each warn.
WASM_CXXFLAGS := -std=c++17 -O3 -msimd128 -fexceptions -fno-rtti -Wno-pass-failed -DIST_OP_DOCS=0 -Icore-cpp \
                 -Icore-cpp/include
WASM_THREADS_FLAGS := -pthread
WASM_SINGLE_FLAGS :=
WASM_PRE_JS := wasm/pool_size.pre.js

# Link at -O2: the link level only sets binaryen's wasm-opt passes over code LLVM already compiled at -O3.
# wasm-opt -O3 took 195 s of CPU per flavour against 92 s at -O2 (a fifth of a clean build's CPU time on
# two cores), for a .wasm 1.2 % smaller and no speed difference the bench could see (W1, W5 and W6 on the
# single flavour, alternating runs, within run-to-run noise).
# _ist_* are kept by EMSCRIPTEN_KEEPALIVE (IST_API in c_api.h). The loader reads the current memory from
# Module.wasmMemory (threads: always set by the glue) or Module.HEAPU8 (single: refreshed on growth).
# ENV: the loader copies the ISOTENSOR_* variables of process.env into it, so getenv() in the core sees them.
# NODEJS_CATCH_*=0: the glue must not take over process-wide uncaughtException/unhandledRejection.
WASM_LDFLAGS := -O2 -msimd128 -fexceptions -sMODULARIZE=1 -sEXPORT_ES6=1 \
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=64MB -sMAXIMUM_MEMORY=4GB -sTOTAL_STACK=5MB \
  -sEXPORTED_FUNCTIONS=_malloc,_free \
  -sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8,HEAPU8,HEAP32,ENV \
  -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0 -Wno-pthreads-mem-growth
# Threads: wasm/pool_size.pre.js sizes the pthread pool (engine threads = min(cores, 8), plus 2) so that
# threads start without yielding to the event loop.
WASM_THREADS_LDFLAGS := -pthread -sENVIRONMENT=web,worker,node -sPTHREAD_POOL_SIZE=istPoolSize \
  -sDEFAULT_PTHREAD_STACK_SIZE=2MB --pre-js $(WASM_PRE_JS) -sEXPORT_NAME=createIsotensorThreads
# Single: web-only glue has no Node code, so it runs unchanged in Node, Deno, Bun, browsers and workerd
# when the loader passes wasmBinary.
WASM_SINGLE_LDFLAGS := -sENVIRONMENT=web -sEXPORT_NAME=createIsotensorSimd
