// Thread counts: brainalign parallelises over its own fixed-size blocks of work, so results
// do not depend on how many threads run them.
#pragma once

namespace brainalign {

// The number of threads to use for a request of `requested` (0 or less: every core).
int resolve_threads(int requested);

// Prepares the process for the numeric engines, once: the BLAS library runs single-threaded
// (parallelism comes from brainalign's own blocks; a threaded BLAS inside them would
// oversubscribe the cores), and large work buffers are recycled by the allocator instead of
// being mapped and unmapped for every block.
void configure_compute_runtime();

}  // namespace brainalign
