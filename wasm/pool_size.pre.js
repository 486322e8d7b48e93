// Threads flavour: the engine runs min(cores, 8) threads (or Module.istThreads from the loader) and the
// pthread pool holds two more, for the short-lived threads of ist_wait_all_signal / ist_ndarray_read_signal.
// A pool worker must exist before pthread_create when the caller then blocks, so the pool is made up front.
// Node 20 has no navigator, so os.cpus() is used there (require comes from the loader's Node shim).
var istEngineThreads = (function () {
  if (Module['istThreads'] > 0) return Module['istThreads'] | 0;
  var n = 0;
  if (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) n = navigator.hardwareConcurrency;
  else if (typeof require === 'function') { try { n = require('os').cpus().length; } catch (e) { n = 0; } }
  return Math.max(1, Math.min(n || 4, 8));
})();
var istPoolSize = istEngineThreads + 2;
Module['istEngineThreads'] = istEngineThreads;
Module['istPoolSize'] = istPoolSize;
