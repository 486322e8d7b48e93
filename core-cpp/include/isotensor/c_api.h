/* isotensor C ABI: the only door into the core, wrapped 1:1 by the WASM loader and the Node addon. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ISOTENSOR_C_API_H_
#define ISOTENSOR_C_API_H_

#include <stddef.h>
#include <stdint.h>

#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#define IST_API EMSCRIPTEN_KEEPALIVE
#else
#define IST_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles. Every call returns 0 on success and -1 on failure; the
 * message of the last failure on this thread is ist_get_last_error(). */
typedef void* IstNDArrayHandle;
typedef const void* IstOpHandle;

/* Device types follow MXNet: 1 cpu, 2 gpu. dtypes are MXNet type flags
 * (float32 0, float64 1, float16 2, uint8 3, int32 4, int8 5, int64 6,
 * bool 7, int16 8, uint16 9, uint32 10, uint64 11, bfloat16 12). */

IST_API const char* ist_get_last_error(void);

/* ---- library / engine ---- */
/* Starts the engine. num_threads <= 0 picks the hardware concurrency.
 * engine_kind: 0 from ISOTENSOR_ENGINE (default threaded), 1 threaded, 2 naive. */
IST_API int ist_init(int num_threads, int engine_kind);
/* JSON object: engine, threads, simd, cuda, num_gpus, cublas, cudnn, ... */
IST_API int ist_runtime_info(const char** out_json);
IST_API int ist_num_gpus(int* out);
IST_API int ist_wait_all(void);
/* Pushes an op after everything pushed so far; it stores 1 into *flag and
 * wakes futex waiters on it when all earlier work is done (WASM Promise twin). */
IST_API int ist_wait_all_signal(int32_t* flag);
/* Records (1) or stops (0) an execution trace of engine ops. */
IST_API int ist_engine_set_trace(int on);
/* JSON array of {op, thread, start_us, end_us} since tracing started; clears it. */
IST_API int ist_engine_take_trace(const char** out_json);
IST_API int ist_random_seed(int32_t seed, int dev_type, int dev_id);
/* out[0] live bytes, out[1] peak bytes, out[2] pooled (cached free) bytes,
 * out[3] live allocation count. */
IST_API int ist_memory_info(int dev_type, int dev_id, int64_t* out);
/* Returns cached pooled memory of the device to the system. */
IST_API int ist_memory_release(int dev_type, int dev_id);
#if defined(__EMSCRIPTEN__)
// The WASM heap's size in 64 KiB pages. The JS side re-creates its views of the heap when this
// changed: cheaper than reading a shared memory's buffer (a new object check) on every call.
IST_API int ist_heap_pages(void);
#endif

/* ---- NDArray ---- */
IST_API int ist_ndarray_create(const int64_t* shape, int ndim, int dtype, int dev_type,
                               int dev_id, IstNDArrayHandle* out);
/* Drops this handle; the storage is freed by an engine write once no other
 * handle (view) refers to it and every pending op on it has run. */
IST_API int ist_ndarray_free(IstNDArrayHandle h);
/* *out_shape points to storage owned by the handle, valid until it is freed. */
IST_API int ist_ndarray_get_shape(IstNDArrayHandle h, int* out_ndim, const int64_t** out_shape);
IST_API int ist_ndarray_get_dtype(IstNDArrayHandle h, int* out_dtype);
IST_API int ist_ndarray_get_context(IstNDArrayHandle h, int* out_dev_type, int* out_dev_id);
/* Blocking copies between host memory and the array (nbytes must match). */
IST_API int ist_ndarray_sync_copy_from_cpu(IstNDArrayHandle h, const void* data, size_t nbytes);
IST_API int ist_ndarray_sync_copy_to_cpu(IstNDArrayHandle h, void* data, size_t nbytes);
IST_API int ist_ndarray_wait_to_read(IstNDArrayHandle h);
IST_API int ist_ndarray_wait_to_write(IstNDArrayHandle h);
/* Pushes a read of h that stores 1 into *flag and wakes futex waiters. */
IST_API int ist_ndarray_read_signal(IstNDArrayHandle h, int32_t* flag);
/* Pushes a read of h that calls cb(arg) on an engine thread when the array is
 * ready (or failed). Native Promise twin. */
IST_API int ist_ndarray_read_callback(IstNDArrayHandle h, void (*cb)(void*), void* arg);
/* Views sharing storage. reshape accepts MXNet's codes 0 -1 -2 -3 -4. */
IST_API int ist_ndarray_reshape(IstNDArrayHandle h, const int64_t* shape, int ndim,
                                IstNDArrayHandle* out);
IST_API int ist_ndarray_slice(IstNDArrayHandle h, int64_t begin, int64_t end,
                              IstNDArrayHandle* out);
IST_API int ist_ndarray_at(IstNDArrayHandle h, int64_t index, IstNDArrayHandle* out);
/* Host pointer of a CPU array's first element after waiting for pending writes. */
IST_API int ist_ndarray_data_ptr(IstNDArrayHandle h, void** out);
/* Nonzero when both handles share one storage chunk. */
IST_API int ist_ndarray_same_storage(IstNDArrayHandle a, IstNDArrayHandle b, int* out);

/* ---- operators ---- */
IST_API int ist_op_get(const char* name, IstOpHandle* out);
/* JSON array describing every registered op (name, aliases, inputs, params
 * with type/default/doc, outputs, doc) for code generation. */
IST_API int ist_op_list_json(const char** out_json);
/* JSON {"op": {"float32": n, ...}} of calls since start-up per dtype of the first input, for ops
 * called at least once (the operator coverage report). */
IST_API int ist_op_call_counts_json(const char** out_json);
/* Runs an op imperatively (pushed to the engine; returns at once).
 * inputs: num_inputs handles. If *num_outputs > 0 on entry, outputs holds that
 * many caller-provided arrays that receive the results (e.g. a += b).
 * Otherwise new arrays are created and written to outputs (capacity
 * out_capacity) and *num_outputs is set. Params are MXNet attribute strings;
 * "ctx" ("cpu(0)") and "dtype" are accepted by creation ops. */
IST_API int ist_imperative_invoke(IstOpHandle op, int num_inputs, const IstNDArrayHandle* inputs,
                                  int* num_outputs, IstNDArrayHandle* outputs, int out_capacity,
                                  int num_params, const char** keys, const char** vals);

/* ---- autograd ---- */
/* Thread-local switches; *prev (may be NULL) receives the previous value. */
IST_API int ist_autograd_set_recording(int on, int* prev);
IST_API int ist_autograd_set_training(int on, int* prev);
IST_API int ist_autograd_is_recording(int* out);
IST_API int ist_autograd_is_training(int* out);
/* Makes vars[i] graph inputs whose gradient goes to grads[i] (NULL allowed with req 0).
 * reqs: MXNet OpReqType codes, 0 null, 1 write, 3 add. */
IST_API int ist_autograd_mark_variables(int num, const IstNDArrayHandle* vars, const int* reqs,
                                        const IstNDArrayHandle* grads);
/* Differentiates heads (head_grads NULL, or per head a handle or NULL for ones).
 * num_vars == 0: writes every reachable variable's gradient buffer (per its req).
 * Otherwise out_grads receives num_vars new handles, d(heads)/d(vars[i]). */
IST_API int ist_autograd_backward(int num_heads, const IstNDArrayHandle* heads,
                                  const IstNDArrayHandle* head_grads, int num_vars,
                                  const IstNDArrayHandle* vars, int retain_graph, int create_graph,
                                  int is_train, IstNDArrayHandle* out_grads);
/* A new handle on the same storage with no autograd history. */
IST_API int ist_ndarray_detach(IstNDArrayHandle h, IstNDArrayHandle* out);
/* A new handle on a variable's gradient buffer, or *out = NULL when h is not a variable. */
IST_API int ist_ndarray_get_grad(IstNDArrayHandle h, IstNDArrayHandle* out);
/* 0 untracked, 1 variable, 2 recorded op output. */
IST_API int ist_ndarray_autograd_kind(IstNDArrayHandle h, int* out);
/* Whether backward wrote the variable's gradient since the state was last set to 0 (MXNet's
 * MXNDArrayGetGradState: 0 for an array that is not a variable); setting it needs a variable. */
IST_API int ist_ndarray_get_grad_state(IstNDArrayHandle h, int* out);
IST_API int ist_ndarray_set_grad_state(IstNDArrayHandle h, int state);

/* Custom autograd functions. The host computes forward itself, then records the node: */
IST_API int ist_autograd_record_custom(int id, int num_inputs, const IstNDArrayHandle* inputs,
                                       int num_outputs, const IstNDArrayHandle* outputs);
/* backward() calls the hook on its own thread with num_ograds new handles the callee owns; the callee
 * stores num_igrads new handles (or NULL for a zero gradient) that the library takes over. It
 * returns NULL, or on failure a malloc'd message the library frees. In WebAssembly the hook is
 * Module.istCustomBackward(id, num_ograds, ograds_ptr, num_igrads, igrads_ptr) (same contract). */
typedef char* (*IstCustomBackwardFn)(int id, int num_ograds, const IstNDArrayHandle* ograds, int num_igrads,
                                     IstNDArrayHandle* igrads);
IST_API int ist_autograd_set_custom_backward(IstCustomBackwardFn fn);
/* Ids of functions whose recorded node is gone since the last call (up to capacity). */
IST_API int ist_autograd_take_released_custom(int capacity, int* ids, int* count);

/* ---- serialization (MXNet binary NDArray list format) ---- */
/* keys may be NULL (list) or num_arrays names (dict). The buffer is owned by
 * the library until ist_buffer_free. */
IST_API int ist_ndarray_save(int num_arrays, const IstNDArrayHandle* arrays, const char** keys,
                             uint8_t** out_buf, size_t* out_len);
IST_API int ist_buffer_free(uint8_t* buf);
/* Parses a buffer. Results stay valid until the next load on this thread:
 * *out_arrays (num_arrays new handles the caller owns), *out_keys (num_keys). */
IST_API int ist_ndarray_load(const uint8_t* buf, size_t len, int* out_num_arrays,
                             IstNDArrayHandle** out_arrays, int* out_num_keys,
                             const char*** out_keys);

/* ---- symbol ---- */
/* A symbol handle points to an ist::Symbol (its output entries); graphs are shared between
 * handles, which ist_symbol_free drops one by one. Strings and JSON returned stay valid until
 * the next symbol call on this thread. Lists come back as JSON arrays of strings. */
typedef void* IstSymbolHandle;
IST_API int ist_symbol_create_variable(const char* name, IstSymbolHandle* out);
/* An op node without inputs yet (MXNet's CreateAtomicSymbol); params are MXNet attribute strings,
 * hidden keys ("lr_mult", "__init__", ...) included. Inputs come with ist_symbol_compose. */
IST_API int ist_symbol_create_atomic(const char* op, int num_params, const char** keys, const char** vals,
                                     IstSymbolHandle* out);
/* MXNet's Symbol::Compose, in place: keys NULL = positional args; else args[i] is input keys[i]
 * (an empty or NULL key: positional, before the named ones).
 * An op symbol without inputs gets them (missing ones become variables "<name>_<input>"); a
 * composed symbol has its free variables of those names replaced. name may be NULL (""). */
IST_API int ist_symbol_compose(IstSymbolHandle sym, const char* name, int num_args, const char** keys,
                               const IstSymbolHandle* args);
IST_API int ist_symbol_free(IstSymbolHandle sym);
IST_API int ist_symbol_copy(IstSymbolHandle sym, IstSymbolHandle* out);
IST_API int ist_symbol_group(int num, const IstSymbolHandle* syms, IstSymbolHandle* out);
IST_API int ist_symbol_num_outputs(IstSymbolHandle sym, int* out);
IST_API int ist_symbol_get_output(IstSymbolHandle sym, int index, IstSymbolHandle* out);
IST_API int ist_symbol_get_internals(IstSymbolHandle sym, IstSymbolHandle* out);
IST_API int ist_symbol_get_children(IstSymbolHandle sym, IstSymbolHandle* out);
/* MXSymbolCutSubgraph: cuts the inputs of the subgraph `sym` marks ("__subgraph_name__") that come from
 * outside it, in place; *out is a group of the cut entries (possibly empty). */
IST_API int ist_symbol_cut_subgraph(IstSymbolHandle sym, IstSymbolHandle* out);
/* which: 0 arguments, 1 outputs, 2 auxiliary states, 3 all inputs (arguments and aux, graph order). */
IST_API int ist_symbol_list(IstSymbolHandle sym, int which, const char** out_json);
/* *success 0 when absent (or a group's name). */
IST_API int ist_symbol_get_name(IstSymbolHandle sym, const char** out, int* success);
IST_API int ist_symbol_get_attr(IstSymbolHandle sym, const char* key, const char** out, int* success);
IST_API int ist_symbol_set_attr(IstSymbolHandle sym, const char* key, const char* value);
/* recursive 0: the head node's {key: value}; 1: {node name: {key: value}} over the whole graph. */
IST_API int ist_symbol_list_attr(IstSymbolHandle sym, int recursive, const char** out_json);
/* MXNet 1.9's JSON, byte for byte; from_json reads every MXNet version's files. */
IST_API int ist_symbol_to_json(IstSymbolHandle sym, const char** out_json);
IST_API int ist_symbol_from_json(const char* json, IstSymbolHandle* out);

/* ---- executor ---- */
/* An executor handle points to an ist::GraphExecutor: a symbol bound to arrays, with its forward and
 * gradient graph, memory plan and every internal array allocated at bind. JSON returned stays valid
 * until the next executor call on this thread. */
typedef void* IstExecutorHandle;
/* Shape inference. keys[i] names an argument or auxiliary state (keys NULL: the first num arguments
 * in order) whose shape is shape_data[ind_ptr[i] .. ind_ptr[i+1]) (a 0 dim, or an empty shape, is
 * unknown). partial 0 fails unless everything is decided. *out_json: {"arg_names", "arg_shapes",
 * "out_names", "out_shapes", "aux_names", "aux_shapes", "complete"}; unknown dims 0, unknown shapes
 * null. A conflict fails naming the node, op, argument and both shapes. */
IST_API int ist_symbol_infer_shape(IstSymbolHandle sym, int num, const char** keys, const int* ind_ptr,
                                   const int64_t* shape_data, int partial, const char** out_json);
/* The same for dtype flags (-1 unknown): "arg_types", "out_types", "aux_types". */
IST_API int ist_symbol_infer_type(IstSymbolHandle sym, int num, const char** keys, const int* dtypes,
                                  int partial, const char** out_json);
/* args: num_args arrays in list-arguments order; arg_grads: NULL or one per argument (NULL where
 * grad_reqs[i] is 0); grad_reqs: NULL (all 0) or 0 null, 1 write, 3 add per argument; aux: one per
 * auxiliary state. Groups: nodes whose "__ctx_group__" is group_names[i] run on that context.
 * flags: bit 0 turns memory planning off (also ISOTENSOR_NO_MEMORY_PLAN=1). */
IST_API int ist_executor_bind(IstSymbolHandle sym, int dev_type, int dev_id, int num_args,
                              const IstNDArrayHandle* args, const IstNDArrayHandle* arg_grads,
                              const int* grad_reqs, int num_aux, const IstNDArrayHandle* aux,
                              int num_groups, const char** group_names, const int* group_dev_types,
                              const int* group_dev_ids, int flags, IstExecutorHandle* out);
IST_API int ist_executor_free(IstExecutorHandle h);
/* Pushes every forward node (returns at once, like ops). */
IST_API int ist_executor_forward(IstExecutorHandle h, int is_train);
/* out_grads: NULL, or num (one per output) handles, NULL entries meaning ones. */
IST_API int ist_executor_backward(IstExecutorHandle h, int num, const IstNDArrayHandle* out_grads,
                                  int is_train);
/* New handles on the output arrays (the same storage on every call). */
IST_API int ist_executor_outputs(IstExecutorHandle h, int capacity, int* num, IstNDArrayHandle* out);
/* out[0] planned bytes, out[1] naive (one buffer per entry) bytes, out[2] entries placed in place,
 * out[3] entries reusing a freed buffer, out[4] storage buffers. */
IST_API int ist_executor_plan_stats(IstExecutorHandle h, int64_t* out);
/* The plan per entry: {"planned_bytes", ..., "entries": [{node, op, output, backward, shape, dtype,
 * storage, inplace_of}]}. */
IST_API int ist_executor_plan_json(IstExecutorHandle h, const char** out_json);
/* The monitor: called on the calling thread as each node is pushed, once per node output, with
 * its name ("fc1_output") and a new handle the callee owns (the value is ready once read).
 * monitor_all also reports each node's inputs first. fn NULL and user NULL removes it. In
 * WebAssembly pass fn NULL and a nonzero user: calls go to Module.istExecutorMonitor(user,
 * name_ptr, handle). */
typedef void (*IstExecutorMonitorFn)(const char* name, IstNDArrayHandle value, void* user);
IST_API int ist_executor_set_monitor(IstExecutorHandle h, IstExecutorMonitorFn fn, void* user,
                                     int monitor_all);

#ifdef __cplusplus
}
#endif
#endif  // ISOTENSOR_C_API_H_
