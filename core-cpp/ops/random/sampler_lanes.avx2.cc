// The samplers' lane kernels at 4 doubles per vector; built with the AVX2 flags.
#if defined(__x86_64__)
#include "ops/random/sampler_lanes.h"

ist::sampler::LaneDrawFn ist::sampler::laneDrawAvx2() { return &Lanes<kBuildLanes>::draw; }
#endif
