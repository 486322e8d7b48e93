// Machine peaks for bench/lib/peak.mjs, compiled at bench time into a temporary directory with
//
//   cc -O2 -pthread bench/peak/fma_peak.c -o DIR/fma_peak && DIR/fma_peak THREADS
//
// and printing one JSON line. Two probes:
//
// 1. float32 FMA throughput: CHAINS independent accumulators acc = acc * x + y (x = y = 0.5, so every
//    chain converges to 1.0: no overflow, no denormals; distinct start values, or the compiler merges
//    identical chains into one), 16 lanes per zmm FMA (AVX-512F) or 8 per
//    ymm FMA (AVX2+FMA fallback when the CPU lacks AVX-512F), 2 flops per lane. 12 chains cover an FMA
//    latency of 4-6 cycles at 2 FMAs per cycle. The kernels carry their ISA in a target attribute and
//    are chosen with __builtin_cpu_supports, so the file needs no -mavx512f / -march=native (which
//    would let the compiler put AVX-512 into the rest of the program too). Timed on 1 thread and on
//    THREADS threads started together: 100 runs of ~2 ms, each thread's best run, summed.
// 2. Memory bandwidth, STREAM "Add" shaped like W2: y[i] = a[i] + b[i] over three float32 arrays of
//    256 MiB each (far beyond any cache), bytes counted = 12 per element (a and b read, y written;
//    the write-allocate read of y is not counted, as in STREAM and in W2's GB/s). Each thread works
//    on, and first touched, its own contiguous share. Best of 12 passes (a pass takes as long as its
//    slowest thread: threads share the memory bus, so per-thread figures would not add up), on 1 and
//    on THREADS threads.

#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

#define CHAINS 12
#define MAX_THREADS 256

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static volatile float g_half = 0.5f;  // volatile: the compiler cannot fold the chains

#if HAVE_X86
#define FMA12(T, FMA)                                                                   \
  for (long i = 0; i < iters; i++) {                                                    \
    a0 = FMA(a0, x, y); a1 = FMA(a1, x, y); a2 = FMA(a2, x, y); a3 = FMA(a3, x, y);     \
    a4 = FMA(a4, x, y); a5 = FMA(a5, x, y); a6 = FMA(a6, x, y); a7 = FMA(a7, x, y);     \
    a8 = FMA(a8, x, y); a9 = FMA(a9, x, y); a10 = FMA(a10, x, y); a11 = FMA(a11, x, y); \
  }

__attribute__((target("avx512f,fma"))) static float fma_avx512(long iters) {
  __m512 x = _mm512_set1_ps(g_half), y = _mm512_set1_ps(g_half);
#define S(i) _mm512_set1_ps(g_half * (float)(i + 1))
  __m512 a0 = S(0), a1 = S(1), a2 = S(2), a3 = S(3), a4 = S(4), a5 = S(5), a6 = S(6), a7 = S(7), a8 = S(8),
         a9 = S(9), a10 = S(10), a11 = S(11);
#undef S
  FMA12(__m512, _mm512_fmadd_ps)
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float fma_avx2(long iters) {
  __m256 x = _mm256_set1_ps(g_half), y = _mm256_set1_ps(g_half);
#define S(i) _mm256_set1_ps(g_half * (float)(i + 1))
  __m256 a0 = S(0), a1 = S(1), a2 = S(2), a3 = S(3), a4 = S(4), a5 = S(5), a6 = S(6), a7 = S(7), a8 = S(8),
         a9 = S(9), a10 = S(10), a11 = S(11);
#undef S
  FMA12(__m256, _mm256_fmadd_ps)
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}
#endif

static float (*g_kernel)(long) = 0;
static int g_lanes = 0;
static const char *g_isa = "none";

// ---- threads started together ----

typedef struct {
  int id, nthreads;
  long iters;
  // bandwidth
  float *y, *a, *b;
  size_t lo, hi;
  int mode;  // 0 fma, 1 first touch, 2 add pass
  double seconds;
  float sink;
} job_t;

static pthread_barrier_t g_barrier;

static void add_range(float *restrict y, const float *restrict a, const float *restrict b, size_t lo, size_t hi) {
  // GCC vector extension: 16-byte vectors on any target (SSE2 on x86-64, NEON on arm64); a memory-bound
  // loop needs no wider ones. lo and hi are multiples of 16 floats and the arrays are 64-byte aligned.
  typedef float v4 __attribute__((vector_size(16)));
  v4 *Y = (v4 *)(y + lo);
  const v4 *A = (const v4 *)(a + lo), *B = (const v4 *)(b + lo);
  size_t n = (hi - lo) / 4;
  for (size_t i = 0; i < n; i += 4) {
    Y[i] = A[i] + B[i];
    Y[i + 1] = A[i + 1] + B[i + 1];
    Y[i + 2] = A[i + 2] + B[i + 2];
    Y[i + 3] = A[i + 3] + B[i + 3];
  }
}

static void *worker(void *p) {
  job_t *j = (job_t *)p;
  pthread_barrier_wait(&g_barrier);
  double t0 = now();
  if (j->mode == 0) {
    j->sink = g_kernel(j->iters);
  } else if (j->mode == 1) {
    for (size_t i = j->lo; i < j->hi; i++) { j->a[i] = 1.0f; j->b[i] = 2.0f; j->y[i] = 0.0f; }
  } else {
    add_range(j->y, j->a, j->b, j->lo, j->hi);
  }
  j->seconds = now() - t0;
  return 0;
}

static double g_seconds[MAX_THREADS];  // each thread's seconds in the last run_threads

/** Runs `mode` on n threads together; returns the slowest thread's seconds (each one's in g_seconds). */
static double run_threads(int n, int mode, long iters, float *y, float *a, float *b, size_t count) {
  pthread_t th[MAX_THREADS];
  job_t jobs[MAX_THREADS];
  pthread_barrier_init(&g_barrier, 0, (unsigned)n);
  size_t per = (count / (size_t)n) & ~(size_t)15;
  for (int i = 0; i < n; i++) {
    jobs[i] = (job_t){ .id = i, .nthreads = n, .iters = iters, .y = y, .a = a, .b = b,
                       .lo = per * (size_t)i, .hi = i == n - 1 ? count : per * (size_t)(i + 1), .mode = mode };
    pthread_create(&th[i], 0, worker, &jobs[i]);
  }
  double worst = 0;
  float sink = 0;
  for (int i = 0; i < n; i++) {
    pthread_join(th[i], 0);
    g_seconds[i] = jobs[i].seconds;
    if (jobs[i].seconds > worst) worst = jobs[i].seconds;
    sink += jobs[i].sink;
  }
  pthread_barrier_destroy(&g_barrier);
  if (sink == 12345.678f) fprintf(stderr, "%g\n", sink);  // keep the results alive
  return worst;
}

/**
 * FLOP/s on n threads running at once (0 when no FMA kernel): 100 runs of ~2 ms, and per thread its
 * best run; the sum of those. Short runs, many of them, and per-thread bests: on a shared machine
 * another process's time slice (a few ms) lands in some runs of some threads, and a run's slowest
 * thread would carry it (2 threads: 130 instead of 234 GFLOP/s under load). FMA throughput is per
 * core, so one thread being descheduled does not speed up another, and the sum is not inflated.
 */
static double fma_flops(int n) {
  if (!g_kernel) return 0;
  long iters = 1 << 20;
  for (int r = 0; r < 3; r++) {                                     // warm up the clock, then calibrate
    double t = run_threads(1, 0, iters, 0, 0, 0, 0);
    iters = (long)((double)iters * 0.002 / (t > 1e-6 ? t : 1e-6));
    if (iters < 1000) iters = 1000;
  }
  double best[MAX_THREADS] = { 0 };
  for (int r = 0; r < 100; r++) {
    run_threads(n, 0, iters, 0, 0, 0, 0);
    for (int i = 0; i < n; i++) {
      double f = (double)iters * CHAINS * g_lanes * 2.0 / g_seconds[i];
      if (f > best[i]) best[i] = f;
    }
  }
  double sum = 0;
  for (int i = 0; i < n; i++) sum += best[i];
  return sum;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  size_t bytes_per_array = argc > 2 ? (size_t)atol(argv[2]) << 20 : (size_t)256 << 20;
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
#if HAVE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) { g_kernel = fma_avx512; g_lanes = 16; g_isa = "avx512f"; }
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) { g_kernel = fma_avx2; g_lanes = 8; g_isa = "avx2+fma"; }
#endif
  double f1 = fma_flops(1), fn = fma_flops(threads);

  size_t count = (bytes_per_array / sizeof(float)) & ~(size_t)63;
  float *y = aligned_alloc(64, count * sizeof(float));
  float *a = aligned_alloc(64, count * sizeof(float));
  float *b = aligned_alloc(64, count * sizeof(float));
  double bw1 = 0, bwn = 0;
  if (y && a && b) {
    run_threads(threads, 1, 0, y, a, b, count);                    // first touch, spread like the passes
    for (int r = 0; r < 12; r++) {
      double s1 = run_threads(1, 2, 0, y, a, b, count);
      double sn = run_threads(threads, 2, 0, y, a, b, count);
      double g1 = 12.0 * (double)count / s1, gn = 12.0 * (double)count / sn;
      if (g1 > bw1) bw1 = g1;
      if (gn > bwn) bwn = gn;
    }
    if (y[count - 1] != 3.0f) { fprintf(stderr, "bandwidth check failed: %g\n", y[count - 1]); return 1; }
  }
  printf("{\"isa\":\"%s\",\"lanes\":%d,\"chains\":%d,\"threads\":%d,\"flops1t\":%.6g,\"flopsNt\":%.6g,"
         "\"bytesPerArray\":%zu,\"bw1t\":%.6g,\"bwNt\":%.6g}\n",
         g_isa, g_lanes, CHAINS, threads, f1, fn, count * sizeof(float), bw1, bwn);
  return 0;
}
