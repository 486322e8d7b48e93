// Portability macros shared by CPU, WASM and CUDA compilation of the core.
#pragma once

// ISTX marks scalar math that both the CPU/WASM launcher and the CUDA launcher instantiate.
#if defined(__CUDACC__)
#define ISTX __host__ __device__ __forceinline__
#else
#define ISTX inline
#endif
