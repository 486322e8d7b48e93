// How an isotensor timed call ends: only once its result is computed, on any device.
//
// `mx.waitAll()` waits for every pushed engine op and then for each GPU's queued kernels and
// copies (cudaDeviceSynchronize), so a timed call covers the real device time: the same rule as
// torch.cuda.synchronize() in the torch-cuda column.

/**
 * Blocks until `y` (and everything pushed before it) is computed.
 * @param {any} mx the isotensor module
 * @param {any} _y the call's result (kept for call sites; waitAll covers it)
 */
export function finish(mx, _y) {
  mx.waitAll();
}
