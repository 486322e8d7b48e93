// Picking the fastest of several ways to compute the same result on a GPU, by running them.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace ist {

// Runs each candidate once to warm up (lazily built plans, caches), then in a few batches of calls
// back to back, each timed from the first host call to completion on `stream` (the best batch
// counts; per-call host overhead counts where it exceeds the device time, which decides small
// problems), and returns the index of the fastest.
// Call it on the stream's own worker thread. Candidates must be repeatable: each overwrites the
// same outputs. One that throws is skipped (all throwing rethrows the first error).
// ISOTENSOR_LOG_TIMED_CHOICES=1 prints each decision (`what`, times) to stderr.
// synchronous: each timed call waits for the stream, so a candidate's host time always counts
// (as it does for a caller that waits for each result).
int fastestOf(void* stream, const std::vector<std::function<void()>>& candidates, const char* what,
              bool synchronous = false);

// fastestOf once per key (the decision is remembered for the life of the process); later calls
// return the remembered index without running anything.
int fastestOnce(const std::string& key, void* stream, const std::vector<std::function<void()>>& candidates,
                const char* what);

// Runs the candidate fastestOnce picks for key.
inline void runFastestOnce(const std::string& key, void* stream, const std::vector<std::function<void()>>& candidates,
                           const char* what) {
  candidates[static_cast<size_t>(fastestOnce(key, stream, candidates, what))]();
}

}  // namespace ist
