// Marks a hot loop function for an extra AVX2/FMA build chosen at load time on processors that
// have it; the default build stays portable x86-64.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BRAINALIGN_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define BRAINALIGN_VECTOR_CLONES
#endif
