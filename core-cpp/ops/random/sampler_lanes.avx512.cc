// The samplers' lane kernels at 8 doubles per vector; built with the AVX512 flags.
#if defined(__x86_64__)
#include "ops/random/sampler_lanes.h"

ist::sampler::LaneDrawFn ist::sampler::laneDrawAvx512() { return &Lanes<kBuildLanes>::draw; }
#endif
