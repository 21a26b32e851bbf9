// Thread counts: brainalign parallelises over its own fixed-size blocks of work, so results
// do not depend on how many threads run them.
#pragma once

namespace brainalign {

// The number of threads to use for a request of `requested` (0 or less: every core).
int resolve_threads(int requested);

// Keeps the BLAS library single-threaded: parallelism comes from brainalign's own blocks,
// and a multi-threaded BLAS inside them would oversubscribe the cores.
void use_single_threaded_blas();

}  // namespace brainalign
